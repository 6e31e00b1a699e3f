"""The archive's disk fills up during a real crawl (a small tmpfs mounted by the test): the crawl stops
with a one-line reason, the run is marked failed, no closed WARC file is truncated, and once there is
room again the next crawl completes and everything indexed reads back."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from kronika.settings import Environment
from kronika.steps.crawl import crawl
from kronika.steps.index import index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun
from tests.faults.processes import assert_every_capture_readable, closed_warcs, open_warcs, warcio_check

SOURCE = "riverside-herald"

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs at tmp_path/archive, unmounted afterwards (needs root, as in CI)."""
    mountpoint = tmp_path / "archive"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "kronika-fault", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def fill(directory: Path, leave: int) -> Path:
    """A filler file taking all free space of `directory`'s filesystem but `leave` bytes."""
    filler = directory / "filler"
    free = shutil.disk_usage(directory).free
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def test_a_full_archive_disk_stops_the_crawl_cleanly(sqlite_env, small_disk, mirror, demo_config, tmp_path):
    source = demo_config.source(SOURCE)
    # how much one crawl of the source writes, measured on an ordinary disk
    probe = Environment(database_url=f"sqlite:///{tmp_path / 'probe.db'}", archive_dir=tmp_path / "probe")
    crawl(source, probe)
    [probe_file] = closed_warcs(probe.archive_dir)
    needed = probe_file.stat().st_size
    assert needed > 40_000, "the crawl should write enough to fill the disk part-way"

    assert sqlite_env.archive_dir == small_disk
    filler = fill(small_disk, leave=needed // 2)
    full = subprocess.run([sys.executable, "-m", "kronika.cli", "crawl", SOURCE], capture_output=True, text=True)
    assert full.returncode != 0
    lines = full.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), full.stderr[-3000:]
    assert "No space left on device" in lines[0]
    assert "Traceback" not in full.stderr
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        [run] = session.scalars(select(CrawlRun))
        assert run.status == "failed"
        assert "No space left on device" in run.stats.get("kronika/warc/write_error", "")
    # what was written before the disk filled is a whole, closed WARC file
    written = closed_warcs(small_disk)
    assert written and not open_warcs(small_disk)
    warcio_check(written)

    # room again: the next crawl succeeds, and all captures of both runs read back
    filler.unlink()
    crawl(source, sqlite_env)
    warcio_check(closed_warcs(small_disk))
    assert not open_warcs(small_disk)
    index(sqlite_env)
    assert assert_every_capture_readable(sqlite_env.database_url, small_disk) > 0


def test_the_writer_leaves_whole_records_when_the_disk_fills(small_disk):
    """Below the crawl: exchanges written until ENOSPC; the failed one is cut off, the file closes whole,
    and a writer that cannot even write its warcinfo record leaves no file behind."""
    import errno
    from datetime import datetime, timezone

    from kronika.storage.warc.reader import scan
    from kronika.storage.warc.writer import HttpExchange, RollingWarcWriter

    def exchange(n: int) -> HttpExchange:
        return HttpExchange(url=f"http://example.test/{n}", method="GET", request_target=f"/{n}",
                            request_headers=[("Host", "example.test")], request_body=b"", status=200,
                            reason="OK", protocol="HTTP/1.1", response_headers=[("Content-Type", "text/plain")],
                            response_body=os.urandom(30_000), captured_at=datetime.now(timezone.utc))

    fill(small_disk, leave=200_000)
    writer = RollingWarcWriter(small_disk / "w", prefix="fault", warcinfo={})
    written = 0
    with pytest.raises(OSError) as failure:
        while True:
            writer.write_exchange(exchange(written))
            written += 1
    assert failure.value.errno == errno.ENOSPC and written >= 2
    closed = writer.close()
    assert closed is not None and not open_warcs(small_disk)
    warcio_check([closed])
    assert [r.url for r in scan(closed) if r.rec_type == "response"] == [
        f"http://example.test/{n}" for n in range(written)]

    fill(small_disk / "w", leave=0)  # now not even a warcinfo record fits
    starved = RollingWarcWriter(small_disk / "w", prefix="starved", warcinfo={"pad": "x" * 10_000})
    with pytest.raises(OSError):
        starved.write_exchange(exchange(0))
    assert starved.close() is None
    assert not list((small_disk / "w").glob("starved-*"))
