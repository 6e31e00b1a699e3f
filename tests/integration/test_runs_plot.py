"""`kronika plot runs`: failed runs are circled red, a stretch without runs is a gap, counts are whole.

The runs are rows written straight into crawl_runs (a real database, real matplotlib): a history of
days with a pause in it cannot be crawled in a test's time. Their stats have the shape real crawls
record (see tests/unit/test_runs.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PIL import Image
from sqlalchemy.orm import Session

from kronika.plots import plot_runs, runs_figure
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun, Source
from kronika.storage.db.readonly import read_only_engine

T0 = datetime(2026, 1, 10, 6, tzinfo=timezone.utc)
HEALTHY = {"downloader/request_count": 9, "downloader/response_status_count/200": 9}
DOWN = {"downloader/request_count": 6, "retry/count": 4, "kronika/errors": 2,
        "kronika/errors/connection_refused": 2}


def test_failed_runs_are_circled_and_gaps_are_not_bridged(sqlite_env, tmp_path):
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        session.add(Source(name="s", kind="news", config={}, created_at=T0))
        session.flush()
        # hourly runs, the fourth failed, then nothing for two days, then hourly again
        hours = [0, 1, 2, 3, 4, 52, 53, 54]
        for number, hour in enumerate(hours):
            failed = number == 3
            session.add(CrawlRun(id=f"run-{number}", source="s", started_at=T0 + timedelta(hours=hour),
                                 finished_at=T0 + timedelta(hours=hour, minutes=1),
                                 status="failed" if failed else "succeeded", stats=DOWN if failed else HEALTHY,
                                 reason="nothing fetched" if failed else None))
    out = tmp_path / "runs.png"
    with Session(read_only_engine(sqlite_env.database_url)) as session:
        drawn = plot_runs(session, out)
    assert drawn["failed_runs"] == 1 and drawn["segments"] == 2 and drawn["runs"] == 8
    with Image.open(out) as image:
        pixels = image.convert("RGB").getdata()
        # the circles' pure red (matplotlib's "red"): absent from every other part of the plot
        assert sum(1 for r, g, b in pixels if r > 240 and g < 30 and b < 30) > 50


def test_integer_axes_for_counts(sqlite_env, tmp_path):
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        session.add(Source(name="s", kind="news", config={}, created_at=T0))
        session.flush()
        for number in range(3):
            session.add(CrawlRun(id=f"run-{number}", source="s", started_at=T0 + timedelta(hours=number),
                                 status="succeeded", stats={"downloader/request_count": 2,
                                                            "downloader/response_status_count/200": 2}))
    with Session(read_only_engine(sqlite_env.database_url)) as session:
        figure, _ = runs_figure(session)
    ticks = [tick for axis in figure.axes for tick in axis.get_yticks()]
    assert len(figure.axes) == 2 and ticks and all(float(tick).is_integer() for tick in ticks)
