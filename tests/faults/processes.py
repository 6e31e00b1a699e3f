"""Finding and killing the real child processes of the steps under test, and checking what they left."""
from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from kronika.steps.crawl import CrawlFailed, crawl
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc.reader import read_response
from kronika.storage.warc.writer import complete_members_end
from tests.support.warc import assert_warcio_check


def children(marker: bytes, parent: int | None = None) -> list[int]:
    """PIDs of the processes started by `parent` (this process) whose command line holds `marker`."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and marker in cmdline:
            found.append(int(entry.name))
    return found


def running(marker: bytes) -> list[int]:
    """PIDs of live (not zombie) processes, anyone's, whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def gone(marker: bytes, timeout: float = 10) -> bool:
    """Whether every process whose command line holds `marker` has ended within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_for_child(marker: bytes, timeout: float = 60, alive: threading.Thread | None = None) -> int | None:
    """The PID of the child once it runs; None when `alive` (the thread starting it) ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = children(marker)
        if found:
            return found[0]
        if alive is not None and not alive.is_alive():
            return None
        time.sleep(0.01)
    raise AssertionError(f"no child process matching {marker!r} within {timeout}s")


def crawl_in_background(source, env) -> tuple[threading.Thread, dict]:
    """A real crawl step running in a thread (started), and the dict its outcome lands in:
    "result" (its CrawlResult) or "failed" (the CrawlFailed message)."""
    outcome: dict = {}

    def run_crawl():
        try:
            outcome["result"] = crawl(source, env)
        except CrawlFailed as exc:
            outcome["failed"] = str(exc)

    thread = threading.Thread(target=run_crawl)
    thread.start()
    return thread, outcome


def records_so_far(path: Path) -> list[str]:
    """Record types of an `.open` file being written, up to its last complete record."""
    with open(path, "rb") as fh:
        data = fh.read(complete_members_end(path))
    return [record.rec_type for record in ArchiveIterator(io.BytesIO(data))]


def kill(pid: int) -> bool:
    """SIGKILL; False when the process had already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


def warcio_check(files: list[Path]) -> None:
    """The real `warcio check` on each file (all digests, every record complete)."""
    assert_warcio_check(*files)


def closed_warcs(archive_dir: Path) -> list[Path]:
    return sorted(Path(archive_dir).glob("*/*.warc.gz"))


def open_warcs(archive_dir: Path) -> list[Path]:
    return sorted(Path(archive_dir).glob("*/*.warc.gz.open"))


def assert_every_capture_readable(database_url: str, archive_dir: Path) -> int:
    """Every capture row points at a record that reads back as its own (type and URL); returns how many."""
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        rows = session.execute(select(Capture.url, Capture.record_type, Capture.offset, WarcFile.path)
                               .join(WarcFile, Capture.warc_file_id == WarcFile.id)).all()
    engine.dispose()
    for url, record_type, offset, path in rows:
        stored = read_response(Path(archive_dir) / path, offset)
        assert (stored.url, stored.rec_type) == (url, record_type), f"{path}@{offset}"
    return len(rows)
