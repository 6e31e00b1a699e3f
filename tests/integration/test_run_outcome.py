"""An honest run outcome (issue 19, item 4), reproduced on real crawls.

- Site down: a source whose proxy is a closed loopback port. `kronika run` exits 1 naming the cause,
  `crawl_runs` says `failed` with that reason, `status` lists the source as failing, exits 1 and
  measures lag from the last successful run; the web view shows the run failed and links to it.
- Robots disallow on a healthy site: links refused by robots.txt are skips, and the run succeeds.
- The DAG (Airflow's dag.test()) records the same failed run as the CLI.
"""
from __future__ import annotations

import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import select

from kronika.cli import main
from kronika.report import print_status, status_report
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun

SOURCE = "herald-feed"


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, proxy: str) -> Path:
    path.write_text(f"""defaults:
  download_delay: 0
  allow_private_networks: true
sources:
  - name: {SOURCE}
    kind: news
    start_urls: [http://mirror.kronika.test/herald/rss.xml]
    allowed_domains: [mirror.kronika.test]
    proxy: {proxy}
""")
    return path


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def runs_of(env) -> list[CrawlRun]:
    with unit_of_work(open_database(env.database_url)) as session:
        rows = list(session.scalars(select(CrawlRun).order_by(CrawlRun.started_at)))
        session.expunge_all()
    return rows


def test_a_site_that_goes_down_fails_its_run_everywhere(any_env, mirror, tmp_path):
    up = write_config(tmp_path / "up.yaml", mirror.url)
    port = closed_port()
    down = write_config(tmp_path / "down.yaml", f"http://127.0.0.1:{port}")

    first = cli("--config", str(up), "run", SOURCE, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)[0]["status"] == "succeeded"

    second = cli("--config", str(down), "run", SOURCE)
    reason = (f"zero pages fetched, although earlier runs fetched pages: connection refused by proxy "
              f"127.0.0.1:{port} (2 of 2 requests)")
    assert second.exit_code == 1
    assert second.stderr.strip() == f"error: {SOURCE} failed: {reason}"
    assert "Kronika run" in second.stdout and "{'source'" not in second.stdout  # a table, not a dict
    ok, failed = runs_of(any_env)
    assert (ok.status, ok.reason) == ("succeeded", None)
    assert (failed.status, failed.reason) == ("failed", reason)
    assert failed.stats["kronika/errors"] >= 1  # the spider's own count is kept as it was

    status = cli("--config", str(down), "status", "--json")
    assert status.exit_code == 1
    report = json.loads(status.stdout)
    assert report["failing"] == [SOURCE] and report["config"] == str(down.resolve())
    row = report["sources"][0]
    assert (row["last_run_status"], row["last_run_reason"]) == ("failed", reason)
    assert row["errors_by_cause"] == {"connection_refused": 2} and row["pages"] == 0
    # lag runs from the last run that succeeded, not from the failed one
    assert row["last_success_at"] == ok.finished_at.isoformat() != row["last_run_finished_at"]
    assert row["lag_seconds"] >= round((failed.finished_at - ok.finished_at).total_seconds()) - 1

    # a person at an 80-column terminal: every line fits, nothing a user copies is cut
    console = Console(file=io.StringIO(), width=80, record=True, color_system=None)
    print_status(console, status_report(any_env, {SOURCE: None}, config_path=str(down)))
    text = console.export_text()
    for value in (str(down.resolve()), str(Path(any_env.archive_dir).resolve()), failed.id,
                  failed.started_at.strftime("%Y-%m-%d %H:%M:%S"), reason):
        assert value in text, value
    soft_wrapped = (str(down.resolve()), str(Path(any_env.archive_dir).resolve()), reason, "database ")
    assert all(len(line) <= 80 for line in text.splitlines() if not any(v in line for v in soft_wrapped))
    assert "…" not in text and "\n  last run " in text  # one block per source, not the table
    # a terminal wide enough for the whole table gets the table, still with nothing cut
    wide = Console(file=io.StringIO(), width=300, record=True, color_system=None)
    print_status(wide, status_report(any_env, {SOURCE: None}, config_path=str(down)))
    assert "Kronika status" in wide.export_text() and "…" not in wide.export_text()

    # the web view: the failed run shows as failed and its id links to its stats
    from starlette.testclient import TestClient

    from kronika.web import create_app

    with TestClient(create_app(any_env)) as client:
        page = client.get("/runs")
        assert page.status_code == 200
        assert f'href="/runs/{failed.id}"' in page.text and "status-failed" in page.text
        run_page = client.get(f"/runs/{failed.id}")
        assert run_page.status_code == 200
        assert "connection_refused" in run_page.text and f"127.0.0.1:{port}" in run_page.text
        assert client.get("/runs/no-such-run").status_code == 404


class RobotsSite(BaseHTTPRequestHandler):
    """A healthy news site: a feed of 14 articles, 4 of them under a path robots.txt disallows."""

    ARTICLES = [f"/news/{n}.html" for n in range(10)] + [f"/members/{n}.html" for n in range(4)]

    def do_GET(self):  # noqa: N802 (stdlib naming)
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/robots.txt":
            self._send("text/plain", "User-agent: *\nDisallow: /members/\n")
        elif self.path == "/rss.xml":
            items = "".join(f"<item><title>Story {path}</title><link>{base}{path}</link></item>"
                            for path in self.ARTICLES)
            self._send("application/rss+xml", f'<?xml version="1.0"?><rss version="2.0"><channel>'
                                              f"<title>Healthy</title>{items}</channel></rss>")
        elif self.path in self.ARTICLES:
            self._send("text/html", f"<html><head><title>Story {self.path}</title></head><body><article>"
                                    f"<h1>Story {self.path}</h1><p>{'A ferry ran on time today. ' * 30}</p>"
                                    "</article></body></html>")
        else:
            self.send_error(404)

    def _send(self, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def robots_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RobotsSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_robots_refusals_on_a_healthy_site_are_skips_and_the_run_succeeds(any_env, robots_site, tmp_path):
    config = tmp_path / "robots.yaml"
    config.write_text(f"""sources:
  - name: healthy
    kind: news
    start_urls: [{robots_site}/rss.xml]
    allowed_domains: [127.0.0.1]
    allow_private_networks: true
    download_delay: 0
""")
    result = cli("--config", str(config), "run", "healthy", "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert row["status"] == "succeeded" and row["reason"] is None
    assert row["errors"] == 0 and row["errors_by_cause"] == {}
    assert row["skipped_by_reason"]["robots"] == 4 and row["new_articles"] == 10
    # 4 refusals in 12 requests would have failed the run (33%) had they been counted as errors
    assert row["requests"] >= 10, row
    (run,) = runs_of(any_env)
    assert run.status == "succeeded" and run.stats.get("robotstxt/forbidden") == 4
    status = cli("--config", str(config), "status", "--json")
    assert status.exit_code == 0 and json.loads(status.stdout)["failing"] == []


def test_the_dag_records_a_site_down_run_as_failed(sqlite_env, mirror, tmp_path, monkeypatch):
    pytest.importorskip("airflow", reason="Airflow is not installed (pip install -e '.[airflow]')")
    from tests.integration.test_dags import run_airflow

    port = closed_port()
    down = write_config(tmp_path / "down.yaml", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("KRONIKA_CONFIG", str(down))
    result = run_airflow([f"kronika_{SOURCE}"], {"KRONIKA_CONFIG": str(down)}, tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {f"kronika_{SOURCE}": "failed"}
    (run,) = runs_of(sqlite_env)
    assert run.status == "failed"
    assert run.reason == f"nothing fetched: connection refused by proxy 127.0.0.1:{port} (2 of 2 requests)"
    status = cli("--config", str(down), "status", "--json")
    assert status.exit_code == 1 and json.loads(status.stdout)["failing"] == [SOURCE]


def test_a_run_whose_captures_cannot_be_indexed_is_failed_not_succeeded(sqlite_env, mirror, tmp_path):
    up = write_config(tmp_path / "up.yaml", mirror.url)
    # a real obstacle for the index step: where the source's CDXJ index folder goes, a plain file
    blocker = Path(sqlite_env.archive_dir) / SOURCE / "indexes"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    result = cli("--config", str(up), "run", SOURCE)
    assert result.exit_code == 1
    (run,) = runs_of(sqlite_env)
    assert run.status == "failed" and run.reason.startswith("index failed after the crawl: ")
    assert "indexes" in run.reason

    # what a retry of the DAG's index and extract tasks does once the obstacle is gone: the check
    # then judges the run afresh, and it succeeded after all
    from kronika.steps.check import check
    from kronika.steps.extract import extract
    from kronika.steps.index import index
    from kronika.steps.run import step_of_run

    blocker.unlink()
    with step_of_run(sqlite_env, run.id, "index"):
        index(sqlite_env, SOURCE)
    with step_of_run(sqlite_env, run.id, "extract"):
        extract(sqlite_env, source=SOURCE)
    result = check(SOURCE, sqlite_env, run_id=run.id)
    assert (result.status, result.reason, result.failed) == ("succeeded", None, [])
    (run,) = runs_of(sqlite_env)
    assert run.status == "succeeded" and "kronika/failed_step" not in run.stats
    assert result.summary.new_articles > 0


def test_the_reason_column_comes_and_goes_with_its_migration(any_env):
    from alembic import command
    from sqlalchemy import inspect

    from kronika.storage.db.engine import alembic_config, make_engine, upgrade

    engine = make_engine(any_env.database_url)
    upgrade(engine)
    assert "reason" in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015-1")  # one step below this migration, wherever it is chained
    assert "reason" not in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    upgrade(engine)
    assert "reason" in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
