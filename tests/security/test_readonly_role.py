"""The read-only web view on PostgreSQL as a read-only database role (the grants in docs/security.md).

The role is created here with exactly the statements the documentation gives (on the test's own
schema instead of `public`); the web view and storage/db/readonly.py read through it, and the
database itself refuses its writes: not only the read-only transaction flag the engine sets, but
the missing privileges, checked on a plain engine that does not set it.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kronika.mirror import hostile
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.settings import Environment, NewsSource
from kronika.steps.run import run_source
from kronika.storage.db.readonly import read_only_engine
from tests.conftest import POSTGRES_URL

# docs/security.md, "Read-only database role" (with {schema} for the test's schema, public there)
GRANTS = """
CREATE ROLE {role} LOGIN PASSWORD '{password}';
GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role};
ALTER ROLE {role} SET default_transaction_read_only = on;
"""


def _schema(url: str) -> str:
    return make_url(url).query["options"].split("search_path=")[1]


@pytest.fixture
def reader(postgres_url, mirror, tmp_path):
    """A crawled database in the test's schema, and a URL that connects to it as a read-only role."""
    env = Environment(database_url=postgres_url, archive_dir=tmp_path / "archive")
    source = NewsSource.model_validate({
        "name": "reader-news", "kind": "news",
        "start_urls": [VIRTUAL_BASE_URL + "/hostile/start/listing-hostile-links.html"],
        "allowed_domains": ["mirror.kronika.test"], "max_depth": 0, "download_delay": 0,
        "allow_private_networks": True, "proxy": mirror.url})
    run_source(source, env)
    role, password = f"kronika_reader_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin_url = make_url(POSTGRES_URL)
    admin = create_engine(admin_url)
    with admin.begin() as connection:
        for statement in GRANTS.format(role=role, password=password, database=admin_url.database,
                                       schema=_schema(postgres_url)).strip().splitlines():
            connection.execute(text(statement))
    reader_url = make_url(postgres_url).set(username=role, password=password)
    try:
        yield env, reader_url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_the_web_view_reads_through_a_read_only_role(reader):
    from starlette.testclient import TestClient

    from kronika.web import create_app

    env, url = reader
    engine = read_only_engine(url)  # the schema check reads alembic_version as the reader, too
    with engine.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one().startswith("kronika_reader_")
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar_one() == 1
    engine.dispose()
    with TestClient(create_app(Environment(database_url=url, archive_dir=env.archive_dir))) as client:
        page = client.get("/articles")
    assert page.status_code == 200
    assert hostile.article_title("listing-hostile-links.html-companion-story.html") in page.text


@pytest.mark.parametrize("statement", [
    "INSERT INTO sources (name, kind, config, created_at) VALUES ('x', 'news', '{}', now())",
    "UPDATE articles SET title = 'defaced'",
    "DELETE FROM captures",
    "CREATE TABLE planted (id int)",
])
def test_the_database_refuses_the_read_only_roles_writes(reader, statement):
    _, url = reader
    # a plain engine: the role's missing privileges refuse, not just the read-only transaction
    engine = create_engine(url)
    with engine.connect() as connection:
        # the role's default (default_transaction_read_only) would refuse first: lift it for the session
        assert connection.execute(text("SHOW default_transaction_read_only")).scalar_one() == "on"
        connection.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"))
        connection.commit()
        with pytest.raises(DBAPIError, match="permission denied"):
            connection.execute(text(statement))
    engine.dispose()
