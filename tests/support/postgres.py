"""Which PostgreSQL the tests use: the URL in KRONIKA_TEST_POSTGRES_URL, or `auto`.

`auto` (what `make test` sets) means "the local default if one answers": the tests try
DEFAULT_URL once, with a short connect timeout, and use it when it answers. Either way the
session's first lines say which database is used or why none is, so a run that skipped the
PostgreSQL tests cannot be mistaken for one that ran them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
VARIABLE = "KRONIKA_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class PostgresChoice:
    url: str | None  # None: the PostgreSQL tests skip, for `reason`
    reason: str  # a sentence for the session header (and the skip message)


def answers(url: str, timeout_seconds: int = 3) -> str | None:
    """None when a connection to `url` succeeds; otherwise the error, in one line."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": timeout_seconds})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not there"; say which
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return first_line
    finally:
        engine.dispose()
    return None


def resolve(value: str | None = None) -> PostgresChoice:
    """The PostgreSQL named by `value` (default: the environment variable), `auto` resolved."""
    value = (os.environ.get(VARIABLE) if value is None else value) or ""
    value = value.strip()
    if not value:
        return PostgresChoice(None, f"{VARIABLE} is not set (`make test` sets it to `auto`; "
                                  f"or name one, e.g. {DEFAULT_URL})")
    if value.lower() != "auto":
        return PostgresChoice(value, f"{VARIABLE} names it")
    error = answers(DEFAULT_URL)
    if error is None:
        return PostgresChoice(DEFAULT_URL, f"{VARIABLE}=auto: it answered on the default port")
    return PostgresChoice(None, f"{VARIABLE}=auto: nothing usable at {DEFAULT_URL} ({error})")
