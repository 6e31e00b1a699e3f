"""The `kronika` command line on a real run: data as tables or JSON, one-line errors, exit codes."""
from __future__ import annotations

import json

import pytest

from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.mirror.site import MirrorSite
from kronika.steps.run import run_source
from tests.support.cli import kronika

COMMANDS = [[], ["sources"], ["crawl"], ["index"], ["extract"], ["run"], ["status"], ["history"], ["parse"],
            ["db", "upgrade"], ["mirror", "serve"], ["demo"], ["export"], ["timeline"], ["plot"], ["serve"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kronika")
def test_every_command_has_help(command):
    result = kronika(*command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout


@pytest.fixture
def crawled(sqlite_env, demo_config):
    for source in demo_config.sources:
        run_source(source, sqlite_env)
    return sqlite_env


def test_status_json_and_table(crawled, demo_config):
    result = kronika("status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["source"]: row for row in report["sources"]}
    assert set(rows) == {s.name for s in demo_config.sources}
    site = MirrorSite()
    assert rows["zarichna-ova"]["posts"] == len(site.expected_posts())
    assert rows["riverside-herald"]["articles"] + rows["zarichna-vistnyk"]["articles"] == len(
        site.expected_articles(VIRTUAL_BASE_URL))
    assert all(row["last_run_status"] == "succeeded" and row["warc_files"] >= 1 for row in rows.values())
    table = kronika("status")
    assert table.returncode == 0 and "riverside-herald" in table.stdout


def test_status_exits_non_zero_when_a_source_failed(crawled):
    from sqlalchemy import select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import CrawlRun

    with unit_of_work(open_database(crawled.database_url)) as session:
        newest = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc()).limit(1)).one()
        newest.status = "failed"
    assert kronika("status", "--json").returncode == 1


def test_history_of_an_article_and_of_a_telegram_post(crawled):
    article = MirrorSite().expected_articles(VIRTUAL_BASE_URL)[0]
    result = kronika("history", article.url, "--json")
    assert result.returncode == 0, result.stderr
    [capture] = json.loads(result.stdout)
    assert capture["status"] == 200 and capture["record_type"] == "response"
    assert capture["warc_file"].endswith(".warc.gz")
    # SURT-equivalent forms find the same capture (case of the host, default port)
    upper = article.url.replace("mirror.kronika.test", "MIRROR.kronika.test:80")
    assert json.loads(kronika("history", upper, "--json").stdout) == [capture]

    post = MirrorSite().expected_posts()[-1]
    sightings = json.loads(kronika("history", post.url, "--json").stdout)
    assert len(sightings) == 1 and sightings[0]["url"].startswith(f"{VIRTUAL_BASE_URL}/t/s/")


def test_history_of_an_unknown_url_is_a_one_line_error(crawled):
    result = kronika("history", "https://nowhere.example/")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no captures" in result.stderr


def test_parse_runs_the_extraction_chain_on_a_saved_page(tmp_path):
    site = MirrorSite()
    article = site.expected_articles(VIRTUAL_BASE_URL)[0]
    page = site.page(article.url[len(VIRTUAL_BASE_URL):], base_url=VIRTUAL_BASE_URL)
    saved = tmp_path / "page.html.gz"
    import gzip

    saved.write_bytes(gzip.compress(page.body))
    result = kronika("parse", str(saved), "--url", article.url, "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == article.title and record["authors"] == article.authors

    channel = site.page("/t/s/zarichna_ova", base_url=VIRTUAL_BASE_URL)
    saved.write_bytes(channel.body)
    result = kronika("parse", str(saved), "--url", f"{VIRTUAL_BASE_URL}/t/s/zarichna_ova", "--kind", "telegram", "--json")
    data = json.loads(result.stdout)
    assert [p["post_id"] for p in data["posts"]] == [p.post_id for p in site.expected_posts()][-len(data["posts"]):]


def test_unknown_source_and_missing_argument_fail_in_one_line(demo_config, sqlite_env):
    result = kronika("crawl", "no-such-source")
    assert result.returncode == 1 and "no source named 'no-such-source'" in result.stderr
    assert "Traceback" not in result.stderr
    assert kronika("run").returncode != 0


def test_a_database_that_is_down_is_a_one_line_error(sqlite_env):
    result = kronika("status", env={"KRONIKA_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 3  # the database cannot be reached (kronika/cli/failures.py)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
