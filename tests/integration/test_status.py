"""`kronika status`: last run's additions, next scheduled run, lag, sizes; non-zero when failing."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from kronika.report import next_run
from kronika.storage.db.engine import head_revisions, open_database, unit_of_work
from kronika.storage.db.models import CrawlRun
from tests.integration.crawled import crawl_with_history
from tests.support.cli import kronika as run_kronika


def kronika(*args: str) -> subprocess.CompletedProcess:
    return run_kronika(*args, columns=250)


def test_status_reports_runs_schedule_lag_and_sizes(sqlite_env, mirror, demo_config):
    crawl_with_history(demo_config, sqlite_env, mirror)
    result = kronika("status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"]["dialect"] == "sqlite" and report["database"]["bytes"] > 0
    assert report["archive"]["bytes"] > 0 and set(report["database"]["schema_revisions"]) == head_revisions()
    rows = {row["source"]: row for row in report["sources"]}
    assert set(rows) == {s.name for s in demo_config.sources} and report["failing"] == []
    generated = datetime.fromisoformat(report["generated_at"])
    for row in rows.values():
        assert row["schedule"] == "*/30 * * * *" and row["configured"]
        following = datetime.fromisoformat(row["next_run_at"])
        assert generated < following <= generated + timedelta(minutes=30)
        assert following.minute in (0, 30)
        assert 0 <= row["lag_seconds"] < 600 and row["last_run_status"] == "succeeded"
        assert row["pages_fetched"] > 0 and row["archive_bytes"] > 0
    # the second crawl (epoch 1) rewrote articles and edited and added posts: the last run says so
    assert rows["zarichna-ova"]["new_posts"] >= 1 and rows["zarichna-ova"]["new_post_versions"] > rows["zarichna-ova"]["new_posts"]
    assert sum(rows[s]["new_article_versions"] for s in ("riverside-herald", "zarichna-vistnyk")) >= 1

    table = kronika("status")
    assert table.returncode == 0 and "Kronika status" in table.stdout and "zarichna-ova" in table.stdout

    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        newest = session.scalars(select(CrawlRun).where(CrawlRun.source == "zarichna-ova")
                                 .order_by(CrawlRun.started_at.desc()).limit(1)).one()
        newest.status = "failed"
    failing = kronika("status", "--json")
    assert failing.returncode == 1 and json.loads(failing.stdout)["failing"] == ["zarichna-ova"]
    assert "failing: zarichna-ova" in kronika("status").stderr


def test_next_run_follows_cron_and_aliases():
    at = datetime(2026, 1, 14, 6, 20, tzinfo=timezone.utc)
    assert next_run("*/30 * * * *", at) == datetime(2026, 1, 14, 6, 30, tzinfo=timezone.utc)
    assert next_run("@daily", at) == datetime(2026, 1, 15, tzinfo=timezone.utc)
    assert next_run(None, at) is None
