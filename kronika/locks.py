"""One run per source at a time: an advisory lock file in the source's archive folder; and a
blocking lock that queues short critical sections (appends to the custody log)."""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SourceBusy(Exception):
    pass


@contextmanager
def source_lock(archive_dir: Path, source: str) -> Iterator[None]:
    directory = Path(archive_dir) / source
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise SourceBusy(f"source {source!r} is already being crawled (lock held by pid {holder}); "
                             f"wait for that run to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        # the kernel drops the lock with the descriptor, also when the process is killed
        os.close(fd)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Wait for, then hold, an exclusive advisory lock on `path` (created if missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def serialise_source(session, source: str) -> None:
    """Hold, until the session's transaction ends, the right to write one source's derived rows:
    two extracts loading files of one source would otherwise re-derive the same items at once."""
    serialise(session, f"kronika-extract:{source}")


def serialise(session, name: str) -> None:
    """Wait for, then hold until the session's transaction ends, a database-wide lock called `name`.

    PostgreSQL: a transaction-scoped advisory lock keyed by the name's hash. SQLite has one writer
    at a time anyway; BEGIN IMMEDIATE takes the write lock when the transaction starts, so a second
    writer waits (busy_timeout) instead of failing when what it read has gone stale. Call it before
    anything is written in the transaction."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
    elif dialect == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
