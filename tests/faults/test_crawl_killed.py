"""SIGKILL of real crawls at many seeded-random moments: nothing closed is ever damaged, what was left
open is repaired by the next crawl of its source, every indexed capture reads back, and a final
uninterrupted run stores exactly the mirror."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select

from kronika.steps.index import index
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun
from kronika.storage.warc.writer import complete_members_end
from tests.faults.processes import (
    assert_every_capture_readable,
    closed_warcs,
    crawl_in_background,
    gone,
    kill,
    open_warcs,
    wait_for_child,
    warcio_check,
)
from tests.integration.helpers import assert_database_matches_mirror, assert_warcio_check_passes

KILLS = 20
SEED = 20261125
SPIDER = b"kronika.spiders.run"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the crawl process through /proc")]


def test_crawls_killed_at_random_moments_lose_and_corrupt_nothing(sqlite_env, mirror, demo_config):
    rng = random.Random(SEED)
    # slowed down (one request at a time, a pause between them) so that the kills land mid-crawl
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
        delay = rng.uniform(0.3, 2.6)
        thread.join(timeout=delay)
        if thread.is_alive() and pid is not None:
            in_flight = [p for p in open_warcs(archive) if p.parent.name == source.name]
            if kill(pid):
                killed_runs += 1
                if in_flight and complete_members_end(in_flight[0]) > 0:
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

    assert killed_runs >= KILLS // 2, f"only {killed_runs} of {KILLS} crawls were caught running"
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
