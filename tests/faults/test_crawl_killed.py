"""SIGKILL of real crawls at many seeded-random moments: nothing closed is ever damaged, what was left
open is repaired by the next crawl of its source, every indexed capture reads back, and a final
uninterrupted run stores exactly the mirror."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kronika.steps.index import index
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun
from tests.faults.processes import (
    assert_every_capture_readable,
    closed_warcs,
    crawl_in_background,
    gone,
    kill,
    open_warcs,
    records_so_far,
    wait_for_child,
    warcio_check,
)
from tests.integration.helpers import assert_database_matches_mirror, assert_warcio_check_passes

KILLS = 20
SEED = 20261125
SPIDER = b"kronika.spiders.run"
MAX_RECORDS = 13  # the warcinfo and up to four exchanges: every demo source's crawl writes more

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the crawl process through /proc")]


def test_crawls_killed_at_random_moments_lose_and_corrupt_nothing(sqlite_env, mirror, demo_config):
    rng = random.Random(SEED)
    # one request at a time with a pause between them, so that a crawl is still running when the
    # records it is killed after are in its file (a crawl writes far more than MAX_RECORDS)
    sources = [s.model_copy(update={"download_delay": 0.08, "concurrent_requests_per_domain": 1})
               for s in demo_config.sources]
    archive = sqlite_env.archive_dir
    killed_with_responses = 0
    killed_runs = 0
    for attempt in range(KILLS):
        source = sources[attempt % len(sources)]
        left_open = [p for p in open_warcs(archive) if p.parent.name == source.name]
        thread, outcome = crawl_in_background(source, sqlite_env)
        pid = wait_for_child(SPIDER, alive=thread)
        # the moment, as an event rather than a delay: once this crawl's file holds `records`
        # complete records (0: as soon as its spider runs; 1: the warcinfo; then 3 per exchange),
        # or inside the next one's bytes
        records = rng.randint(0, MAX_RECORDS)
        if pid is not None and _records_written(archive, source.name, left_open, records, thread):
            in_flight = [p for p in open_warcs(archive) if p.parent.name == source.name and p not in left_open]
            if kill(pid):
                killed_runs += 1
                if in_flight and len(records_so_far(in_flight[0])) >= 4:  # warcinfo and a whole exchange
                    killed_with_responses += 1
        thread.join(timeout=60)
        assert not thread.is_alive()
        # the crawl's WARC writer process died with it (nothing appends to what the next run repairs)
        assert gone(str(archive).encode()), "a process still works on the archive"

        # what an earlier kill left open was closed by this crawl before its spider started
        for path in left_open:
            assert not path.exists(), f"attempt {attempt}: {path.name} was not repaired"
        if "failed" in outcome:
            assert "exit -9" in outcome["failed"], outcome["failed"]
        # no closed file is ever damaged, whenever the kill came
        warcio_check(closed_warcs(archive))
        index(sqlite_env)
        assert_every_capture_readable(sqlite_env.database_url, archive)

    assert killed_runs == KILLS, f"only {killed_runs} of {KILLS} crawls were still running at their moment"
    assert killed_with_responses >= KILLS // 4, f"only {killed_with_responses} kills came mid-crawl"
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        statuses = [run.status for run in session.scalars(select(CrawlRun))]
    assert statuses.count("failed") == killed_runs, "every killed crawl is marked failed"
    assert "running" not in statuses

    # the final, uninterrupted run of every source: repairs what is left and stores the whole mirror
    for source in demo_config.sources:
        run_source(source, sqlite_env)
    assert not open_warcs(archive)
    assert_warcio_check_passes(archive)
    assert assert_every_capture_readable(sqlite_env.database_url, archive) > 0
    assert_database_matches_mirror(sqlite_env.database_url)


def _records_written(archive: Path, source: str, left_open: list[Path], records: int,
                     crawl: threading.Thread) -> bool:
    """Wait until this crawl's new `.open` file holds `records` complete records; False if the crawl
    ended first. Polls the file: what is waited for is an event, not a length of time."""
    deadline = time.monotonic() + 120  # a guard against a hang, not a speed requirement
    while crawl.is_alive():
        if records == 0:
            return True
        new = [p for p in open_warcs(archive) if p.parent.name == source and p not in left_open]
        try:
            if new and len(records_so_far(new[0])) >= records:
                return True
        except FileNotFoundError:  # closed (renamed) meanwhile: the crawl is ending
            pass
        assert time.monotonic() < deadline, f"{source}: {records} records never appeared"
        time.sleep(0.01)
    return False
