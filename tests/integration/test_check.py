"""The `check` step: a run that looks successful but is broken fails loudly."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kronika.steps.check import CheckFailed, check
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun, Source

T0 = datetime(2026, 1, 2, 12, tzinfo=timezone.utc)


def add_runs(env, *stats_list, status="succeeded"):
    with unit_of_work(open_database(env.database_url)) as session:
        if session.get(Source, "s") is None:
            session.add(Source(name="s", kind="news", config={}, created_at=T0))
            session.flush()
        for number, stats in enumerate(stats_list):
            session.add(CrawlRun(id=f"run-{number}-{len(stats)}-{status}", source="s",
                                 started_at=T0 + timedelta(hours=number), status=status, stats=stats))


def test_a_healthy_run_passes(sqlite_env):
    add_runs(sqlite_env, {"downloader/response_count": 20}, {"downloader/response_count": 18})
    result = check("s", sqlite_env)
    assert not result.failed and len(result.passed) == 5


def test_zero_pages_after_pages_fails(sqlite_env):
    add_runs(sqlite_env, {"downloader/response_count": 20}, {"downloader/response_count": 0})
    with pytest.raises(CheckFailed, match="zero pages fetched"):
        check("s", sqlite_env)


def test_too_many_errors_fails_and_the_run_is_recorded_failed_with_its_causes(sqlite_env):
    add_runs(sqlite_env, {"downloader/request_count": 12, "downloader/response_status_count/200": 7,
                          "kronika/errors": 5, "kronika/errors/timeout": 5})
    reason = "errors in 5 of 12 requests (more than 20%): timed out (5 of 12 requests)"
    with pytest.raises(CheckFailed, match=re.escape(reason)):
        check("s", sqlite_env)
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.reason) == ("failed", reason)
    # checked again, the run this check failed gets the same verdict (not "the crawl ended failed")
    again = check("s", sqlite_env, raise_on_failure=False)
    assert again.failed == [reason] and again.reason == reason


def test_a_few_errors_in_a_few_requests_do_not_fail_a_run(sqlite_env):
    add_runs(sqlite_env, {"downloader/request_count": 4, "downloader/response_status_count/200": 3,
                          "kronika/errors": 1, "kronika/errors/timeout": 1})
    result = check("s", sqlite_env)
    assert not result.failed and result.status == "succeeded" and result.reason is None


def test_channel_pages_without_posts_fail_as_a_markup_change(sqlite_env):
    add_runs(sqlite_env, {"downloader/response_count": 4, "kronika/telegram/empty_pages": 3})
    with pytest.raises(CheckFailed, match="markup may have changed"):
        check("s", sqlite_env)


def test_an_open_warc_file_fails(sqlite_env):
    add_runs(sqlite_env, {"downloader/response_count": 4})
    folder = sqlite_env.archive_dir / "s"
    folder.mkdir(parents=True)
    (folder / "kronika-s-20260102120000000-00001-host.warc.gz.open").write_bytes(b"")
    result = check("s", sqlite_env, raise_on_failure=False)
    assert any("left open" in failure for failure in result.failed)


def test_a_failed_crawl_and_a_missing_source_fail(sqlite_env):
    add_runs(sqlite_env, {"downloader/response_count": 4}, status="failed")
    with pytest.raises(CheckFailed, match="ended failed"):
        check("s", sqlite_env)
    with pytest.raises(CheckFailed, match="no crawl run"):
        check("other", sqlite_env)
