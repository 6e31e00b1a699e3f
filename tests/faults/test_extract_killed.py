"""SIGKILL of a real `kronika extract` after each of its first files is committed: a WARC file is loaded wholly or not at all,
and re-running gives exactly the rows of an uninterrupted extract into another database."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kronika.settings import Environment
from kronika.steps.crawl import crawl
from kronika.steps.index import index
from tests.faults.processes import kill
from tests.integration.test_rebuild import assert_same_rows, dump

MAX_KILLS = 5
EXTRACT = [sys.executable, "-m", "kronika.cli", "extract"]

pytestmark = pytest.mark.slow

# the tables whose rows an extract derives from a capture (each references captures.capture_id)
DERIVED = ("article_versions", "telegram_post_versions", "telegram_post_views", "telegram_post_events",
           "telegram_channel_snapshots")


def rows_by_file(database_url: str) -> dict[str, tuple[bool, dict[str, int]]]:
    """Each WARC file: whether it is marked extracted, and how many rows of each derived table its
    captures gave."""
    engine = create_engine(database_url)
    result = {}
    with engine.connect() as connection:
        files = connection.execute(text("SELECT id, path, extracted_at FROM warc_files")).all()
        for file_id, path, extracted_at in files:
            counts = {table: connection.execute(text(
                f"SELECT count(*) FROM {table} t JOIN captures c ON t.capture_id = c.id "
                f"WHERE c.warc_file_id = :id"), {"id": file_id}).scalar() for table in DERIVED}
            result[path] = (extracted_at is not None, counts)
    engine.dispose()
    return result


def assert_no_half_loaded_file(database_url: str, reference: dict) -> int:
    """Files marked extracted hold all their rows, the others none; returns how many are extracted."""
    done = 0
    for path, (extracted, counts) in rows_by_file(database_url).items():
        if extracted:
            done += 1
            assert counts == reference[path][1], f"{path} marked extracted but holds {counts}"
        else:
            assert not any(counts.values()), f"{path} not marked extracted but holds {counts}"
    return done


def extracted_files(database_path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute("SELECT count(*) FROM warc_files WHERE extracted_at IS NOT NULL").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        connection.close()


def test_extract_killed_mid_file_leaves_no_half_loaded_file_and_resumes(sqlite_env, mirror, demo_config, tmp_path):
    # an archive of several WARC files: every source crawled at two content epochs, indexed only
    for epoch in (0, 1):
        mirror.set_epoch(epoch)
        for source in demo_config.sources:
            crawl(source, sqlite_env)
    index(sqlite_env)

    # the reference: an uninterrupted extract of the same archive into another database
    reference_env = Environment(database_url=f"sqlite:///{tmp_path / 'reference.db'}",
                                archive_dir=sqlite_env.archive_dir)
    done = subprocess.run(EXTRACT, env=os.environ | {"KRONIKA_DATABASE_URL": reference_env.database_url},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reference = rows_by_file(reference_env.database_url)
    assert len(reference) >= 6 and all(extracted for extracted, _ in reference.values())
    assert sum(counts["article_versions"] for _, counts in reference.values()) > 0

    database = Path(sqlite_env.database_url.removeprefix("sqlite:///"))
    kills, mid_way = 0, 0
    while kills < MAX_KILLS:
        before = extracted_files(database)
        process = subprocess.Popen(EXTRACT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # kill on an event, not after a delay: as soon as this run has committed one more file, so
        # the kill lands inside the next file's transaction (or between two files); every kill
        # therefore leaves at least one file done and, while files remain, at least one not
        while process.poll() is None and extracted_files(database) <= before:
            time.sleep(0.005)
        if not kill(process.pid) or process.wait() == 0:
            break  # it finished first: nothing left to interrupt
        process.communicate()
        assert process.returncode == -9
        kills += 1
        extracted = assert_no_half_loaded_file(sqlite_env.database_url, reference)
        mid_way += 0 < extracted < len(reference)

    # each kill comes right after one more file is committed (rarely two, when a commit races the
    # kill): with six files or more, the first two kills find files left to interrupt
    assert kills >= 2, f"extract was killed {kills} times only"
    assert mid_way >= 1, "no kill came between the first and the last file"
    # the retry (as Airflow's would) loads what is left; the rows equal the uninterrupted run's
    retry = subprocess.run(EXTRACT, capture_output=True, text=True)
    assert retry.returncode == 0, retry.stderr
    assert assert_no_half_loaded_file(sqlite_env.database_url, reference) == len(reference)
    assert_same_rows(dump(reference_env.database_url), dump(sqlite_env.database_url))
