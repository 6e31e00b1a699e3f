"""The rebuild spread over workers (kronika/steps/rebuild.py, dags/kronika_rebuild.py) gives the
rows `extract --all` gives: through Airflow's dag.test() with batches mapped over tasks, on
SQLite and PostgreSQL; after a lost race."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy.exc import IntegrityError

from kronika.airflow_runner import prepare_environment
from kronika.settings import Environment
from kronika.steps.rebuild import plan_batches, rebuild
from kronika.steps.run import run_source
from tests.integration import test_rebuild
from tests.integration.test_rebuild import assert_same_rows, dump

fresh_database = test_rebuild.fresh_database  # the fixture: empty databases of any_env's kind


@pytest.fixture
def crawled_twice(any_env, mirror, demo_config):
    """The mirror's sources crawled at two epochs (new versions, revisits); the rows extract made."""
    for epoch in (0, 1):
        mirror.set_epoch(epoch)
        for source in demo_config.sources:
            run_source(source, any_env)
    return dump(any_env.database_url)


def test_batches_hold_whole_sources(any_env, crawled_twice):
    batches = plan_batches(any_env, batch_size=1)
    sources = [source for batch in batches for source in batch["sources"]]
    assert len(batches) == len(sources) == len(set(sources)) == 3  # one source each, none split
    assert plan_batches(any_env, sources=["zarichna-ova"])[0]["sources"] == ["zarichna-ova"]
    assert plan_batches(any_env, since="2999-01-01") == []
    together = plan_batches(any_env, batch_size=1000)
    assert len(together) == 1 and sorted(together[0]["files"]) == sorted(f for b in batches for f in b["files"])


def test_the_rebuild_dag_gives_the_rows_of_extract_all(any_env, crawled_twice, fresh_database, tmp_path):
    pytest.importorskip("airflow", reason="Airflow is not installed (pip install -e '.[airflow]')")
    target = fresh_database()
    child = {**os.environ, **prepare_environment(tmp_path / "airflow"),
             "KRONIKA_DATABASE_URL": target, "KRONIKA_ARCHIVE_DIR": str(any_env.archive_dir)}
    result = subprocess.run([sys.executable, "-m", "kronika.airflow_runner", "--conf", json.dumps({"batch_size": 1}),
                             "kronika_rebuild"], env=child, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"kronika_rebuild": "success"}
    assert_same_rows(crawled_twice, dump(target))


def test_a_file_that_lost_a_race_is_loaded_again(any_env, mirror, demo_config, monkeypatch, fresh_database):
    for source in demo_config.sources:
        run_source(source, any_env)
    original = dump(any_env.database_url)
    target = Environment(database_url=fresh_database(), archive_dir=any_env.archive_dir)
    from kronika.steps.extract import extract_file as real_extract_file

    lost = []

    def another_writer_first(engine, env, file_id, rules, result):
        if not lost:  # another writer commits this file's rows; ours fails on their unique key
            lost.append(file_id)
            real_extract_file(engine, env, file_id, rules, result.__class__())
            raise IntegrityError("INSERT INTO articles ...", {}, Exception("UNIQUE constraint failed"))
        return real_extract_file(engine, env, file_id, rules, result)

    import kronika.steps.extract as extract_module

    monkeypatch.setattr(extract_module, "extract_file", another_writer_first)
    summary = rebuild(target)
    assert lost and summary["retried_files"] == 1
    assert_same_rows(original, dump(target.database_url))

