"""Read-only connections for the consumers of the database: the web view, exports, timelines, plots.

Read-only by construction, not by care: SQLite is opened through a `mode=ro` URI (and
`query_only`), PostgreSQL with `default_transaction_read_only`, so no code path behind these
engines can write, whatever it tries. Nothing is created or migrated here: a database that is
missing or behind the code is reported, not fixed.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from kronika.storage.db.engine import current_revisions, head_revisions


class DatabaseNotReady(ValueError):
    """No database at the URL, or one whose schema is older than the code."""


def sqlite_path(url: str) -> Path | None:
    """The absolute file a SQLite URL names (relative paths are taken from the current directory);
    None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser().resolve()


def require_database(url: str) -> None:
    """Raise DatabaseNotReady unless the database exists and its schema is current: read-only
    commands call this first, so a wrong path or an old schema is reported, never created or migrated."""
    read_only_engine(url).dispose()


def _shown(url: str) -> str:
    path = sqlite_path(url)
    return str(path) if path else make_url(url).render_as_string(hide_password=True)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _sqlite_read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()
    # SQLite's lower() folds ASCII only; searches in Ukrainian need the real thing (ILIKE uses lower)
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def read_only_engine(url: str, check_schema: bool = True) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise DatabaseNotReady("an in-memory SQLite database cannot be opened read-only")
        path = sqlite_path(url)
        if not path.is_file():
            raise DatabaseNotReady(
                f"no database at {path} — run `kronika run SOURCE` (or `kronika crawl`) first, or set "
                "KRONIKA_DATABASE_URL to the one you mean (a relative path is taken from the current directory)")
        engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true",
                               connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_read_only)
    else:
        options = " ".join(filter(None, [parsed.query.get("options"), "-c default_transaction_read_only=on"]))
        engine = create_engine(parsed.update_query_dict({"options": options}), pool_pre_ping=True)
    if check_schema:
        try:
            current = current_revisions(engine)
        except Exception:
            engine.dispose()
            raise
        missing = head_revisions() - current
        if missing:
            engine.dispose()
            if not current:
                raise DatabaseNotReady(f"no Kronika tables in the database at {_shown(url)} — run `kronika db "
                                       "upgrade` (or a first `kronika run SOURCE`), or set KRONIKA_DATABASE_URL")
            raise DatabaseNotReady(f"the database at {_shown(url)} is older than this version of Kronika (it lacks "
                                   f"schema revisions {', '.join(sorted(missing))}): run `kronika db upgrade`")
    return engine
