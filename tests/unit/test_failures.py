"""Known failures become one line a person can act on, with an exit status (kronika/cli/failures.py)."""
from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from kronika.cli.failures import EXIT_ARCHIVE, EXIT_DATABASE, describe


def _driver_error(message: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


@pytest.fixture(autouse=True)
def database(monkeypatch):
    monkeypatch.setenv("KRONIKA_DATABASE_URL", "postgresql+psycopg://kronika:secret@db.internal:5432/kronika")


@pytest.mark.parametrize("driver_message, expected", [
    ('connection to server at "127.0.0.1", port 1 failed: Connection refused', "(connection refused); set KRONIKA_DATABASE_URL or start PostgreSQL"),
    ('could not translate host name "db.internal" to address', "(unknown host)"),
    ('password authentication failed for user "kronika"', "(password authentication failed)"),
    ("database is locked", "is locked by another writer"),
    ("no such table: captures", "run `kronika db upgrade`"),
    ('database "kronika" does not exist', "create it (createdb)"),
])
def test_database_failures(driver_message, expected):
    failure = describe(_driver_error(driver_message))
    assert failure is not None and expected in failure.message and failure.exit_code == EXIT_DATABASE
    assert "postgresql+psycopg://kronika:***@db.internal:5432/kronika" in failure.message  # never the password
    assert "OperationalError" not in failure.message and "\n" not in failure.message


@pytest.mark.parametrize("error, expected", [
    (PermissionError(errno.EACCES, "Permission denied", "/srv/archive/herald"), "cannot write to /srv/archive/herald"),
    (OSError(errno.ENOSPC, "No space left on device", "/srv/archive"), "no space left"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/archive/x.warc.gz"), "KRONIKA_ARCHIVE_DIR"),
])
def test_archive_failures(error, expected):
    failure = describe(error)
    assert failure is not None and expected in failure.message and failure.exit_code == EXIT_ARCHIVE


def test_an_unknown_failure_is_left_to_the_generic_line():
    assert describe(RuntimeError("boom")) is None
    assert describe(_driver_error("something new")) is None
