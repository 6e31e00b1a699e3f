"""Two runs of the same source at once: the second is refused with a clear message."""
from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

from kronika.locks import SourceBusy, source_lock


def hold_lock(archive_dir, ready, release):
    with source_lock(archive_dir, "busy-source"):
        ready.set()
        release.wait(30)


def test_a_second_run_of_a_source_is_refused_while_the_first_holds_it(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=hold_lock, args=(tmp_path, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(SourceBusy, match=rf"already being crawled \(lock held by pid {holder.pid}\)"):
            with source_lock(tmp_path, "busy-source"):
                pass
        with source_lock(tmp_path, "another-source"):  # other sources are not blocked
            pass
    finally:
        release.set()
        holder.join(30)
    with source_lock(tmp_path, "busy-source"):  # free again once the first run ends
        pass


def test_a_killed_holder_releases_the_lock(tmp_path):
    code = ("import sys, time; from pathlib import Path; from kronika.locks import source_lock\n"
            "with source_lock(Path(sys.argv[1]), 's'):\n    print('locked', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(SourceBusy):
        with source_lock(tmp_path, "s"):
            pass
    holder.kill()
    holder.wait()
    with source_lock(tmp_path, "s"):
        pass


def test_the_cli_says_so_in_one_line(tmp_path, demo_config, sqlite_env):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    # hold the lock of a real demo source, as a scheduled run would
    holder = multiprocessing.Process(target=_hold_named, args=(sqlite_env.archive_dir, "riverside-herald", ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        result = subprocess.run([sys.executable, "-m", "kronika.cli", "crawl", "riverside-herald"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1 and "already being crawled" in result.stderr
    finally:
        release.set()
        holder.join(30)


def _hold_named(archive_dir, name, ready, release):
    with source_lock(archive_dir, name):
        ready.set()
        release.wait(30)


def test_a_run_left_running_is_marked_interrupted_by_the_next_crawl_of_its_source(sqlite_env, mirror, demo_config):
    # a crawl killed whole, or one whose database went away before it recorded its end, leaves its
    # row "running"; under the source's lock the next crawl knows it is not, and says so
    from datetime import datetime, timezone

    from sqlalchemy import select

    from kronika.steps.crawl import crawl, register_source
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import CrawlRun

    source, other = demo_config.sources[0], demo_config.sources[1]
    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        for s in (source, other):
            register_source(session, s)
            session.add(CrawlRun(id=f"lost-{s.name}", source=s.name, started_at=datetime.now(timezone.utc),
                                 status="running", stats={}))
    result = crawl(source, sqlite_env)
    with unit_of_work(engine) as session:
        statuses = {run.id: run.status for run in session.scalars(select(CrawlRun))}
    assert statuses == {f"lost-{source.name}": "interrupted", result.run_id: "succeeded",
                        f"lost-{other.name}": "running"}, "another source's run is not this crawl's to judge"
