"""An old database (schema 0001, with data) upgrades to the current heads and keeps its data;
migration 0002 is reversible. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, text

from kronika.cli import main
from kronika.search import search
from kronika.storage.db.engine import alembic_config, current_revisions, head_revisions, make_engine, upgrade

NOW = datetime(2026, 1, 14, 6, 0, tzinfo=timezone.utc)


def _old_data(engine) -> None:
    """Rows written the way revision 0001's schema had them (plain SQL: today's models have more columns)."""
    naive = engine.dialect.name == "sqlite"
    when = NOW.replace(tzinfo=None) if naive else NOW
    statements = [
        ("INSERT INTO sources (name, kind, config, created_at) VALUES ('herald', 'news', '{}', :t)", {}),
        ("INSERT INTO warc_files (id, path, source, sha256, size, records, created_at, indexed_at) "
         "VALUES (1, 'herald/a.warc.gz', 'herald', 'abc', 10, 3, :t, :t)", {}),
        ("INSERT INTO captures (id, url, surt, captured_at, status, record_type, warc_file_id, \"offset\", length, "
         "record_id, role) VALUES (1, 'https://h.example/a', 'example,h)/a', :t, 200, 'response', 1, 0, 10, "
         "'<urn:uuid:1>', 'article')", {}),
        ("INSERT INTO articles (id, source, url, first_seen_at, last_seen_at, title, authors, language, text, "
         "text_hash, versions) VALUES (1, 'herald', 'https://h.example/a', :t, :t, 'Old title', '[\"Ann Lee\"]', "
         "'en', 'Ferries stopped at the old pier.', 'h1', 1)", {}),
        ("INSERT INTO article_versions (id, article_id, capture_id, title, authors, text, text_hash, captured_at, "
         "provenance) VALUES (1, 1, 1, 'Old title', '[\"Ann Lee\"]', 'Ferries stopped at the old pier.', 'h1', :t, "
         "'{\"title\": \"jsonld\"}')", {}),
        ("INSERT INTO telegram_posts (id, source, channel, post_id, url, first_seen_at, last_seen_at, text, edited, "
         "is_service, media, versions) VALUES (1, 'herald', 'ch', 7, 'https://t.me/ch/7', :t, :t, "
         "'Повітряна тривога в області', false, false, '[]', 1)", {}),
    ]
    with engine.begin() as connection:
        for sql, params in statements:
            connection.execute(text(sql), {"t": when, **params})


def test_old_database_upgrades_with_its_data(any_env):
    engine = make_engine(any_env.database_url)
    upgrade(engine, "0001")
    assert current_revisions(engine) == {"0001"}
    _old_data(engine)

    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current_revisions(engine) == head_revisions()

    with engine.connect() as connection:
        article = connection.execute(text("SELECT title, text, tags, paywalled, section FROM articles")).one()
        version = connection.execute(text("SELECT text, tags, paywalled FROM article_versions")).one()
        post = connection.execute(text("SELECT text FROM telegram_posts")).one()
    assert article.title == "Old title" and article.text == "Ferries stopped at the old pier."
    assert article.tags in ([], "[]") and not article.paywalled and article.section is None
    assert version.text == "Ferries stopped at the old pier." and not version.paywalled
    assert post.text == "Повітряна тривога в області"
    # rows from before the search index existed are searchable
    assert [h.url for h in search(engine, "pier")] == ["https://h.example/a"]
    assert [h.url for h in search(engine, "тривога")] == ["https://t.me/ch/7"]
    tables = set(inspect(engine).get_table_names())
    assert {"story_clusters", "story_cluster_articles"} <= tables

    # upgrading again is a no-op
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()


def test_migration_0002_is_reversible(any_env):
    engine = make_engine(any_env.database_url)
    upgrade(engine, "0002")
    _old_data_columns = {c["name"] for c in inspect(engine).get_columns("articles")}
    assert {"section", "tags", "paywalled", "published_at_raw"} <= _old_data_columns
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    inspector = inspect(engine)
    assert "section" not in {c["name"] for c in inspector.get_columns("articles")}
    assert "story_clusters" not in inspector.get_table_names()
    assert not [n for n in inspector.get_table_names() if "_fts" in n]
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()


def test_migration_0017_claims_is_reversible_and_backfills_old_versions(any_env):
    """A database from before claims upgrades with its versions in place; `kronika claims backfill`
    then finds their figures; downgrading drops the table and the view, and upgrading again works."""
    engine = make_engine(any_env.database_url)
    upgrade(engine, "0016")
    _old_data(engine)
    naive = engine.dialect.name == "sqlite"
    when = NOW.replace(tzinfo=None) if naive else NOW
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO captures (id, url, surt, captured_at, status, record_type, warc_file_id, \"offset\", length, "
            "record_id, role) VALUES (2, 'https://h.example/a', 'example,h)/a', :t, 200, 'response', 1, 10, 10, "
            "'<urn:uuid:2>', 'article')"), {"t": when})
        connection.execute(text(
            "INSERT INTO article_versions (id, article_id, capture_id, title, authors, text, text_hash, captured_at, "
            "provenance, language) VALUES (2, 1, 2, 'Strike', '[]', 'At least nine people were injured, the "
            "governor said.', 'h2', :t, '{}', 'en')"), {"t": when})
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    assert "claims" in inspect(engine).get_table_names()

    result = CliRunner().invoke(main, ["claims", "backfill", "--json"])
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        claims = connection.execute(text("SELECT article_version_id, category, count, qualifier, source FROM claims")).all()
        assert connection.execute(text("SELECT count(*) FROM v_claim_changes")).scalar() == 0
    assert [tuple(c) for c in claims] == [(2, "injured", 9, "at_least", "herald")]

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016")
    inspector = inspect(engine)
    assert "claims" not in inspector.get_table_names() and "v_claim_changes" not in inspector.get_view_names()
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
