"""The WARC writer process in the middle of a real crawl. SIGKILLed: the crawl stops with a one-line
reason (no response goes unarchived into the spider), the run is marked failed, what was written
stays whole, and the next crawl of the source repairs the file and completes. SIGTERMed with its
crawl (a supervisor stopping the process group): the crawl stops gracefully and closes its file."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kronika.steps.crawl import crawl
from kronika.steps.index import index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun
from tests.faults.processes import (
    assert_every_capture_readable,
    children,
    closed_warcs,
    crawl_in_background,
    kill,
    open_warcs,
    records_so_far,
    wait_for_child,
    warcio_check,
)

SOURCE = "riverside-herald"
SPIDER = b"kronika.spiders.run"
WRITER = b"kronika.storage.warc.writer_process"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the writer process through /proc")]


def test_a_killed_writer_process_stops_the_crawl_and_loses_nothing_written(sqlite_env, mirror, demo_config):
    # slowed down, so that the crawl is still running when the writer has written a few exchanges
    source = demo_config.source(SOURCE).model_copy(update={"download_delay": 0.1, "concurrent_requests_per_domain": 1})
    archive = sqlite_env.archive_dir
    thread, outcome = crawl_in_background(source, sqlite_env)
    spider = wait_for_child(SPIDER, alive=thread)
    # the warcinfo record and at least two exchanges (three records each) are in the file
    writer = _writer_at_work(spider, archive, records=7)
    assert kill(writer)
    thread.join(timeout=120)
    assert not thread.is_alive()

    assert "failed" in outcome, outcome
    reason = outcome["failed"]
    assert "the WARC writer process ended" in reason and "\n" not in reason
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        [run] = session.scalars(select(CrawlRun))
        assert run.status == "failed"
        assert "the WARC writer process ended" in run.stats["kronika/warc/write_error"]
    [left] = open_warcs(archive)  # nobody closed it: it waits for repair
    warcio_check(closed_warcs(archive))

    # the next crawl repairs it (cut to whole records) and completes; every capture reads back
    result = crawl(demo_config.source(SOURCE), sqlite_env)
    assert result.repaired == [left.name.removesuffix(".open")]
    assert not open_warcs(archive)
    warcio_check(closed_warcs(archive))
    index(sqlite_env)
    assert assert_every_capture_readable(sqlite_env.database_url, archive) > 0


def _writer_at_work(spider: int, archive: Path, records: int) -> int:
    """The crawl's writer process, once its file holds `records` complete records."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = children(WRITER, parent=spider)
        in_flight = open_warcs(archive)
        if found and in_flight and len(records_so_far(in_flight[0])) >= records:
            return found[0]
        time.sleep(0.02)
    raise AssertionError("the writer process was not seen writing")


def test_a_sigterm_to_the_crawl_and_its_writer_stops_it_gracefully(sqlite_env, mirror, demo_config):
    """What a supervisor does (SIGTERM to the process group): Scrapy stops gracefully, the writer waits
    to be closed by it, and the file is closed whole: nothing left `.open`."""
    source = demo_config.source(SOURCE).model_copy(update={"download_delay": 0.1, "concurrent_requests_per_domain": 1})
    archive = sqlite_env.archive_dir
    thread, _ = crawl_in_background(source, sqlite_env)
    spider = wait_for_child(SPIDER, alive=thread)
    writer = _writer_at_work(spider, archive, records=4)
    # the group's signal reaches both; the writer first, as the harsher order
    os.kill(writer, signal.SIGTERM)
    os.kill(spider, signal.SIGTERM)
    thread.join(timeout=120)
    assert not thread.is_alive()

    assert not open_warcs(archive), "the graceful stop closed the file"
    written = closed_warcs(archive)
    assert written
    warcio_check(written)
    index(sqlite_env)
    assert assert_every_capture_readable(sqlite_env.database_url, archive) > 0
