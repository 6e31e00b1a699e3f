"""Shared fixtures: an isolated archive + database per test, the mirror on a free port, PostgreSQL."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kronika.settings import Environment
from tests.support import postgres

pytest_plugins = ["tests.support.skip_policy", "pytester"]

ROOT = Path(__file__).resolve().parent.parent
# KRONIKA_TEST_POSTGRES_URL, with `auto` (make test) resolved to the local default when it answers
POSTGRES = postgres.resolve()
POSTGRES_URL = POSTGRES.url


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session) -> None:
    # printed also under -q (a report header is not): which PostgreSQL, or why none
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"postgresql: {POSTGRES.url or 'none, the PostgreSQL tests skip'} ({POSTGRES.reason})")


@pytest.fixture
def mirror():
    from kronika.mirror.server import MirrorServer

    with MirrorServer(port=0) as server:
        yield server


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch) -> Environment:
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}", archive_dir=tmp_path / "archive")
    monkeypatch.setenv("KRONIKA_DATABASE_URL", env.database_url)
    monkeypatch.setenv("KRONIKA_ARCHIVE_DIR", str(env.archive_dir))
    return env


@pytest.fixture
def postgres_url():
    """A fresh schema in the PostgreSQL named by KRONIKA_TEST_POSTGRES_URL, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(f"no PostgreSQL for the tests: {POSTGRES.reason}")
    with fresh_postgres_schema("kronika_test") as url:
        yield url


@contextmanager
def fresh_postgres_schema(prefix: str) -> Iterator[str]:
    """A new, empty schema in the test PostgreSQL; the URL that makes it the search path."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_env(request, tmp_path, monkeypatch) -> Environment:
    """The same test on SQLite and on PostgreSQL (skipped when no PostgreSQL is configured)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kronika.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    env = Environment(database_url=url, archive_dir=tmp_path / "archive")
    monkeypatch.setenv("KRONIKA_DATABASE_URL", env.database_url)
    monkeypatch.setenv("KRONIKA_ARCHIVE_DIR", str(env.archive_dir))
    return env


@pytest.fixture
def demo_config(mirror, monkeypatch):
    """config/demo.yaml with this test's mirror as the proxy for mirror.kronika.test."""
    from kronika.settings import load_config

    monkeypatch.setenv("KRONIKA_MIRROR_PROXY", mirror.url)
    monkeypatch.setenv("KRONIKA_CONFIG", str(ROOT / "config" / "demo.yaml"))
    return load_config()
