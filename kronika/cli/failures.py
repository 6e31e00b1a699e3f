"""The failures people meet, as one line they can act on and an exit status (docs/operations.md,
"Errors and what to do").

`one_line_errors` (kronika/cli/base.py) asks `describe` about every exception a command raises;
what it does not know stays "<ExceptionName>: <first line>", still one line. Exit statuses:
1 something the user named or configured is wrong, 2 a usage error (click's own), 3 the database
cannot be reached or is busy, 4 the archive cannot be read or written.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass

EXIT_WRONG_INPUT = 1
EXIT_DATABASE = 3
EXIT_ARCHIVE = 4


@dataclass(frozen=True)
class Failure:
    message: str
    exit_code: int = EXIT_WRONG_INPUT


def _database_shown() -> str:
    """The database the command used, as a person may be shown it (no password)."""
    from sqlalchemy.engine import make_url

    from kronika.settings import Environment
    from kronika.storage.db.readonly import sqlite_path

    url = Environment.from_env().database_url
    try:
        path = sqlite_path(url)
        return str(path) if path else make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL SQLAlchemy cannot even parse
        return url


# (words in the driver's message, what they mean); the first that matches is the reason
_UNREACHABLE = (
    ("connection refused", "connection refused"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("timeout expired", "timed out"),
    ("timed out", "timed out"),
    ("no route to host", "no route to host"),
    ("password authentication failed", "password authentication failed"),
    ("no password supplied", "no password given"),
    ("role", "no such user"),
)


def _database_failure(exc: Exception) -> Failure | None:
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    if isinstance(exc, (NoSuchModuleError, ArgumentError)):
        return Failure(f"KRONIKA_DATABASE_URL is not a database URL SQLAlchemy can use ({str(exc).splitlines()[0]}); "
                       "e.g. sqlite:///data/kronika.db or postgresql+psycopg://user@host/db")
    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    where = _database_shown()
    if "database is locked" in text or "could not obtain lock" in text:
        return Failure(f"the database at {where} is locked by another writer (waited 30 s); retry when the "
                       "running crawl, extract or migration is done", EXIT_DATABASE)
    if "unable to open database file" in text:
        return Failure(f"cannot open the SQLite database at {where}: its folder is missing or not writable; "
                       "create it, or set KRONIKA_DATABASE_URL", EXIT_DATABASE)
    if "no such table" in text or "undefinedtable" in text or ("relation" in text and "does not exist" in text):
        return Failure(f"the database at {where} lacks Kronika's tables or is older than this version: "
                       "run `kronika db upgrade`", EXIT_DATABASE)
    if "database" in text and "does not exist" in text:
        return Failure(f"the PostgreSQL server has no database named in {where}: create it (createdb) or "
                       "set KRONIKA_DATABASE_URL", EXIT_DATABASE)
    if "read-only" in text or "readonly" in text:
        return Failure(f"the database at {where} is read-only here: a command that writes needs write access "
                       "(check the file's permissions, or the PostgreSQL role)", EXIT_DATABASE)
    for words, reason in _UNREACHABLE:
        if words in text and (words != "role" or "does not exist" in text):
            return Failure(f"cannot reach the database at {where} ({reason}); set KRONIKA_DATABASE_URL or "
                           "start PostgreSQL", EXIT_DATABASE)
    return None


def _archive_failure(exc: OSError) -> Failure | None:
    name = exc.filename or ""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Failure(f"cannot write to {name} ({os.strerror(exc.errno).lower()}): make the archive directory "
                       "writable by this user, or set KRONIKA_ARCHIVE_DIR", EXIT_ARCHIVE)
    if exc.errno == errno.ENOSPC:
        return Failure(f"no space left on the device holding {name or 'the archive'}: free some, or move "
                       "KRONIKA_ARCHIVE_DIR / KRONIKA_SPOOL_DIR", EXIT_ARCHIVE)
    if exc.errno == errno.ENOENT and name:
        return Failure(f"no such file or directory: {name} (is KRONIKA_ARCHIVE_DIR right? a relative path is "
                       "taken from the current directory)", EXIT_ARCHIVE)
    return None


def describe(exc: BaseException) -> Failure | None:
    """The one-line message and exit status of a known failure, or None for one not known here."""
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        found = _archive_failure(exc)
        if found:
            return found
    try:
        return _database_failure(exc)
    except ImportError:  # SQLAlchemy is always installed; only a broken install gets here
        return None
