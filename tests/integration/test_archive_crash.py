"""A real crawl killed with SIGKILL mid-way: its `.open` WARC file survives, the next crawl of the
source truncates it to its last complete record and closes it, `kronika index` indexes it, and every
file passes `warcio check`."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from kronika.steps.crawl import crawl
from kronika.steps.index import index
from kronika.storage.warc.cdxj import collection_index
from kronika.storage.warc.reader import scan
from kronika.storage.warc.writer import complete_members_end
from tests.faults.processes import children, crawl_in_background, records_so_far
from tests.integration.helpers import assert_warcio_check_passes

SOURCE = "riverside-herald"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the crawl process through /proc")
def test_a_crawl_killed_with_sigkill_is_repaired_by_the_next_crawl_and_indexed(sqlite_env, mirror, demo_config):
    # slow enough to be caught mid-crawl: one request at a time, a pause between them
    slow = demo_config.source(SOURCE).model_copy(update={"download_delay": 0.4, "concurrent_requests_per_domain": 1})
    source_dir = sqlite_env.archive_dir / SOURCE
    thread, outcome = crawl_in_background(slow, sqlite_env)
    open_file = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        candidates = list(source_dir.glob("*.warc.gz.open"))
        # wait until a few exchanges are on disk (warcinfo + robots.txt + some pages)
        if candidates and complete_members_end(candidates[0]) > 0 and \
                records_so_far(candidates[0]).count("response") >= 4:
            open_file = candidates[0]
            break
        time.sleep(0.1)
    assert open_file is not None, "the crawl never had an open WARC file with responses in it"
    [pid] = children(b"kronika.spiders.run")
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert "failed" in outcome, "the crawl step reports the killed crawl as failed"
    assert open_file.exists(), "a killed crawl leaves its .open file behind"
    assert not list(source_dir.glob("*.warc.gz")), "nothing was closed"
    size_killed = open_file.stat().st_size
    complete = complete_members_end(open_file)
    assert 0 < complete <= size_killed

    # the next crawl of the source closes it first (fast this time)
    result = crawl(demo_config.source(SOURCE), sqlite_env)
    closed = open_file.with_name(open_file.name.removesuffix(".open"))
    assert result.repaired == [closed.name]
    assert not open_file.exists() and closed.exists()
    assert closed.stat().st_size == complete, "truncated to the last complete record"

    indexed = index(sqlite_env, SOURCE)
    assert f"{SOURCE}/{closed.name}" in indexed.files
    responses = [r for r in scan(closed) if r.rec_type == "response"]
    assert len(responses) >= 4
    assert closed.name in collection_index(source_dir).read_text()
    assert_warcio_check_passes(sqlite_env.archive_dir)
