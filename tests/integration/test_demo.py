"""`kronika demo` as the README tells a newcomer to run it: offline, in an empty directory, through
Airflow on the bundled mirror; then `kronika pools`' output imported by a real `airflow pools import`.

One demo run serves both (it is the slow part; a first demo crawls epochs 0 and 1): its summary must say every DAG run succeeded and
that what was stored is what the mirror serves, and the database must agree with the summary.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kronika.airflow_runner import prepare_environment
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.mirror.site import MirrorSite
from kronika.settings import load_config, site_pool
from tests.support.cli import kronika

pytest.importorskip("airflow", reason="Airflow is not installed (pip install -e '.[airflow]')")
pytestmark = pytest.mark.airflow

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "demo.yaml"


def in_directory(directory: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`kronika ARGS` run from `directory`, with none of this machine's Kronika settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KRONIKA_", "AIRFLOW"))}
    return subprocess.run([sys.executable, "-m", "kronika.cli", *args], cwd=directory, capture_output=True,
                          text=True, env={**environment, **(env or {})}, timeout=900)


def test_the_demo_runs_offline_in_an_empty_directory_and_its_pools_import_into_airflow(tmp_path):
    demo = in_directory(tmp_path, "demo", "--json")
    assert demo.returncode == 0, demo.stderr[-3000:]
    summary = json.loads(demo.stdout)

    config = load_config(DEMO_CONFIG)
    # a first demo crawls the mirror at epoch 0, then at epoch 1 (stories revised, posts edited and
    # deleted): every source's DAG once per epoch, all successful
    assert set(summary["dag_runs"]) == {f"kronika_{s.name} (epoch {e})" for s in config.sources for e in (0, 1)}
    assert set(summary["dag_runs"].values()) == {"success"}, summary["dag_runs"]
    # what the mirror served over both epochs (Kronika keeps what it saw, deleted posts too)
    sites = [MirrorSite(epoch=epoch) for epoch in (0, 1)]
    served = {"articles": len({a.url for site in sites for a in site.expected_articles(VIRTUAL_BASE_URL)}),
              "posts": len({p.url for site in sites for p in site.expected_posts()})}
    assert summary["mirror_serves"] == served and summary["stored"] == served

    # everything is where the README says, under the directory it ran in: data/
    database = tmp_path / "data" / "kronika.db"
    assert database.is_file()
    assert {p.name for p in (tmp_path / "data" / "archive").iterdir() if p.is_dir()} >= {s.name for s in config.sources}
    with create_engine(f"sqlite:///{database}").connect() as connection:
        articles = connection.scalar(text("SELECT COUNT(*) FROM articles"))
        posts = connection.scalar(text("SELECT COUNT(*) FROM telegram_posts"))
        runs = connection.execute(text("SELECT source, status FROM crawl_runs")).all()
    assert {"articles": articles, "posts": posts} == served
    assert {source for source, _ in runs} == {s.name for s in config.sources}
    assert {status for _, status in runs} == {"succeeded"} and len(runs) == 2 * len(config.sources)
    per_source = {row["source"]: row for row in summary["sources"]}
    assert sum(r["articles"] for r in per_source.values()) == articles

    check_pools_import_into_airflow(tmp_path, config)


def check_pools_import_into_airflow(tmp_path: Path, config) -> None:
    """`kronika pools > pools.json && airflow pools import pools.json`, as its --help says, into the
    Airflow database the demo created: one pool per site, holding every source of that site."""
    pools = kronika("--config", str(DEMO_CONFIG), "pools", "--slots", "2")
    assert pools.returncode == 0, pools.stderr
    specs = json.loads(pools.stdout)
    sites = {site_pool(source) for source in config.sources}
    assert set(specs) == sites
    for name, spec in specs.items():
        assert spec["slots"] == 2 and spec["include_deferred"] is False
        assert {s.name for s in config.sources if site_pool(s) == name} == {
            part.strip() for part in spec["description"].removeprefix("Kronika crawls of ").split(",")}
    (tmp_path / "pools.json").write_text(pools.stdout, encoding="utf-8")

    airflow = str(Path(sys.executable).with_name("airflow"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    environment |= prepare_environment(tmp_path / "data" / "airflow")
    imported = subprocess.run([airflow, "pools", "import", str(tmp_path / "pools.json")], env=environment,
                              capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr[-2000:]
    listed = subprocess.run([airflow, "pools", "list", "-o", "json"], env=environment, capture_output=True,
                            text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr[-2000:]
    rows = next(json.loads(line) for line in listed.stdout.splitlines() if line.startswith("["))
    in_airflow = {row["pool"]: int(row["slots"]) for row in rows}
    assert all(in_airflow.get(name) == 2 for name in sites), in_airflow
