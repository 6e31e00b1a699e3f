"""The DAGs, run for real by Airflow (dag.test()) against the mirror."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kronika.airflow_runner import prepare_environment
from tests.conftest import ROOT
from tests.integration.helpers import assert_database_matches_mirror, assert_warcio_check_passes, row_counts

pytest.importorskip("airflow", reason="Airflow is not installed (pip install -e '.[airflow]')")


def run_airflow(args: list[str], env: dict, tmp_path) -> subprocess.CompletedProcess:
    child = {**os.environ, **env, **prepare_environment(tmp_path / "airflow")}
    return subprocess.run([sys.executable, "-m", "kronika.airflow_runner", *args], env=child,
                          capture_output=True, text=True, timeout=600)


def test_every_demo_dag_runs_to_success_and_stores_the_mirror(sqlite_env, mirror, demo_config, tmp_path):
    dag_ids = [f"kronika_{source.name}" for source in demo_config.sources]
    result = run_airflow(dag_ids, {}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'"{dag_ids[0]}": "success"' in result.stdout
    assert_database_matches_mirror(sqlite_env.database_url)
    assert_warcio_check_passes(sqlite_env.archive_dir)
    counts = row_counts(sqlite_env.database_url)

    again = run_airflow(dag_ids, {}, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    after = row_counts(sqlite_env.database_url)
    assert {k: after[k] for k in ("articles", "article_versions", "telegram_posts", "telegram_post_versions")} == \
        {k: counts[k] for k in ("articles", "article_versions", "telegram_posts", "telegram_post_versions")}


def test_exports_and_maintenance_dags_run_after_a_source(sqlite_env, mirror, demo_config, tmp_path):
    exports = tmp_path / "exports"
    result = run_airflow(["kronika_zarichna-ova", "kronika_exports", "kronika_maintenance"],
                         {"KRONIKA_EXPORT_DIR": str(exports)}, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((exports / "latest" / "manifest.json").read_text())
    counts = row_counts(sqlite_env.database_url)
    assert manifest["tables"]["telegram_posts"]["rows"] == counts["telegram_posts"] > 0
    assert (exports / "latest" / manifest["tables"]["telegram_posts"]["file"]).stat().st_size > 0
    assert not (exports / "staging").exists()
    # maintenance verified the files it found and stamped them
    from sqlalchemy import select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import WarcFile

    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        assert all(f.verified_at is not None for f in session.scalars(select(WarcFile)))
    # ... and copied the custody log (every file closed and indexed) to the archive, its chain intact
    from kronika.custody.log import check_chain, read_lines

    copied = read_lines((sqlite_env.archive_dir / "custody" / "log.jsonl").read_text())
    assert check_chain(copied).ok and {"closed", "indexed"} <= {e["action"] for e in copied}


def test_a_bad_config_is_an_import_error_naming_file_source_and_field(tmp_path, sqlite_env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: broken-one\n    kind: news\n    allowed_domains: [x.org]\n")
    result = run_airflow(["kronika_broken-one"], {"KRONIKA_CONFIG": str(bad)}, tmp_path)
    assert result.returncode == 2
    assert "DAG import error" in result.stderr
    line = [text for text in result.stderr.splitlines() if "DAG import error" in text][0]
    assert str(bad) in line and "'broken-one'" in line and "start_urls" in line


def test_dag_shape_follows_the_config(monkeypatch, tmp_path):
    monkeypatch.setenv("KRONIKA_CONFIG", str(ROOT / "config" / "demo.yaml"))
    for key, value in prepare_environment(tmp_path / "airflow").items():
        monkeypatch.setenv(key, value)
    code = ("import json; from airflow.dag_processing.dagbag import DagBag; "
            "from kronika.airflow_runner import DAGS_FOLDER; b = DagBag(str(DAGS_FOLDER)); "
            "print(json.dumps({i: {'edges': sorted([t.task_id, sorted(t.downstream_task_ids)] for t in d.tasks), "
            "'schedule': str(d.schedule), 'tags': sorted(d.tags), "
            "'max_active_runs': d.max_active_runs, 'catchup': d.catchup, 'retries': d.default_args['retries'], "
            "'pools': {t.task_id: t.pool for t in d.tasks}, 'doc': d.doc_md, "
            "'outlets': [a.name for a in d.task_dict['extract'].outlets] if 'extract' in d.task_dict else []} "
            "for i, d in b.dags.items()}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-2000:]
    import json

    dags = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(dags) == {"kronika_riverside-herald", "kronika_zarichna-vistnyk", "kronika_zarichna-ova",
                         "kronika_exports", "kronika_maintenance", "kronika_rebuild"}
    # the rebuild: plan, the batches mapped over workers, then what spans sources once
    assert dags["kronika_rebuild"]["edges"] == [["extract_batch", ["finalise"]], ["finalise", []],
                                                ["plan", ["extract_batch"]]]
    assert dags["kronika_rebuild"]["schedule"] == "None"
    assert dags["kronika_maintenance"]["edges"] == [["package_yesterday", ["vacuum"]], ["stamp_custody_head", []],
                                                    ["vacuum", []], ["verify", ["package_yesterday"]]]
    for dag_id, dag in dags.items():
        if dag_id in ("kronika_exports", "kronika_maintenance", "kronika_rebuild"):
            continue
        assert dag["edges"] == [["check", []], ["crawl", ["index"]], ["extract", ["check"]], ["index", ["extract"]]]
        assert dag["retries"] >= 1
        # one pool per site: the two outlets and the channel share the mirror's host
        assert dag["pools"]["crawl"] == "kronika_site_mirror_kronika_test"
        assert dag["pools"]["index"] == "default_pool"
        assert "mirror.kronika.test" in dag["doc"]
        assert dag["schedule"] == "*/30 * * * *" and dag["max_active_runs"] == 1 and dag["catchup"] is False
    assert dags["kronika_zarichna-ova"]["tags"] == ["kronika", "telegram"]
    assert dags["kronika_zarichna-ova"]["outlets"] == ["kronika://telegram_posts"]
    assert dags["kronika_riverside-herald"]["outlets"] == ["kronika://articles"]
