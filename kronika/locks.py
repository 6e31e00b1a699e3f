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
