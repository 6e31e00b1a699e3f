"""Migrations form one line: branches written side by side must be chained when they merge, or a
database upgraded to "heads" holds several heads and every test that names a revision goes wrong."""
from kronika.storage.db.engine import head_revisions


def test_the_migrations_have_exactly_one_head():
    heads = head_revisions()
    assert len(heads) == 1, f"several migration heads {sorted(heads)}: set one's down_revision to the other"


def test_the_quick_head_check_agrees_with_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from kronika.storage.db.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(config).get_heads())
