"""`kronika replay` from the default (relative) archive directory, through a real pywb, and the web
view's replay links into it.

Two sources of the mirror are crawled from a working directory with no KRONIKA_ARCHIVE_DIR or
KRONIKA_DATABASE_URL set (the defaults `data/archive` and `sqlite:///data/kronika.db`, as a new
user has them); `kronika replay` then runs as a process of its own in that directory, as a user
starts it. Every capture must replay from its own source's collection and from `all`, at the
14-digit timestamp `kronika history` prints and the web view links.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kronika.cli import main
from kronika.settings import Environment
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, Capture, TelegramPost, TelegramPostVersion
from kronika.storage.warc import replay as pywb
from tests.integration.test_archive import _fetch_when_up, _free_port, _wayback

NEWS, CHANNEL = "riverside-herald", "zarichna-ova"
BIN = Path(sys.executable).parent


@pytest.fixture
def default_dirs(tmp_path, monkeypatch, mirror, demo_config):
    """A working directory where the archive and database are at their default relative paths."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KRONIKA_ARCHIVE_DIR", raising=False)
    monkeypatch.delenv("KRONIKA_DATABASE_URL", raising=False)
    env = Environment.from_env()
    assert not Path(str(env.archive_dir)).is_absolute()  # the case that used to serve nothing
    for name in (NEWS, CHANNEL):
        run_source(demo_config.source(name), env)
    return env


def _text(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())


def test_replay_from_the_default_archive_dir_serves_every_source_and_all(default_dirs, tmp_path):
    wayback = _wayback()
    engine = open_database(default_dirs.database_url)
    with unit_of_work(engine) as session:
        article, article_capture = session.execute(
            select(Article, Capture).join(ArticleVersion, ArticleVersion.article_id == Article.id)
            .join(Capture, ArticleVersion.capture_id == Capture.id).where(Article.source == NEWS).limit(1)).one()
        post, post_capture = session.execute(
            select(TelegramPost, Capture).join(TelegramPostVersion, TelegramPostVersion.post_id == TelegramPost.id)
            .join(Capture, TelegramPostVersion.capture_id == Capture.id)
            .where(TelegramPost.source == CHANNEL).limit(1)).one()
        wanted = {NEWS: (article_capture.url, article_capture.captured_at, article.title),
                  # the channel page names each post it shows (data-post="channel/id")
                  CHANNEL: (post_capture.url, post_capture.captured_at, f"{post.channel}/{post.post_id}")}
        article_id, post_id = article.id, post.id
    engine.dispose()

    # `kronika history` prints the 14-digit timestamp to copy into a replay URL
    history = CliRunner().invoke(main, ["history", wanted[NEWS][0], "--json"])
    assert history.exit_code == 0, history.output
    stamps = [row["timestamp"] for row in json.loads(history.output)]
    assert pywb.timestamp14(wanted[NEWS][1]) in stamps and all(len(s) == 14 and s.isdigit() for s in stamps)
    table = CliRunner().invoke(main, ["history", wanted[NEWS][0]])
    assert table.exit_code == 0 and pywb.timestamp14(wanted[NEWS][1]) in table.output
    got = CliRunner().invoke(main, ["get", wanted[NEWS][0], "--at", pywb.timestamp14(wanted[NEWS][1]), "--headers"])
    assert got.exit_code == 0 and f"({pywb.timestamp14(wanted[NEWS][1])})" in got.stderr

    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("KRONIKA_ARCHIVE_DIR", "KRONIKA_DATABASE_URL")}
    log = open(tmp_path / "replay.log", "wb")
    process = subprocess.Popen([str(BIN / "kronika"), "replay", "--port", str(port)], cwd=tmp_path,
                               env={**environ, "KRONIKA_PYWB": str(wayback)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for source, (url, captured_at, expected) in wanted.items():
            for collection in (source, pywb.ALL):
                body = _fetch_when_up(f"{base}/{pywb.replay_path(collection, captured_at, url)}", process)
                assert _text(expected.encode()) in _text(body), (collection, url)
        # one source's collection does not hold another's captures
        other = f"{base}/{pywb.replay_path(NEWS, wanted[CHANNEL][1], wanted[CHANNEL][0])}"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(other, timeout=10)
        assert missing.value.code == 404

        # the web view, pointed at pywb, links each version to its capture's replay
        from starlette.testclient import TestClient

        from kronika.web import create_app

        with TestClient(create_app(default_dirs, replay_url=base + "/")) as client:
            for path, source in ((f"/articles/{article_id}", NEWS), (f"/posts/{post_id}", CHANNEL)):
                page = client.get(path).text
                links = [part.split('"', 1)[0] for part in page.split('class="replay-link" href="')[1:]]
                assert links, path
                url, captured_at, expected = wanted[source]
                assert f"{base}/{pywb.replay_path(source, captured_at, url)}" in links
                for link in links:
                    assert _text(expected.encode()) in _text(_fetch_when_up(link.replace("&amp;", "&"), process))
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    output = (tmp_path / "replay.log").read_text(errors="replace")
    assert process.returncode == 0, output[-2000:]
    assert f"collections: {pywb.ALL} (every source), {NEWS}, {CHANNEL}" in " ".join(output.split())
    # the config pywb ran from names absolute paths only
    config = json.loads((tmp_path / "data" / "archive" / ".replay" / "config.yaml").read_text())
    assert all(Path(c["archive_paths"]).is_absolute() for c in config["collections"].values())


def test_replay_with_nothing_indexed_is_a_one_line_error(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in ("KRONIKA_ARCHIVE_DIR", "KRONIKA_DATABASE_URL")}
    (tmp_path / "data" / "archive").mkdir(parents=True)
    result = subprocess.run([str(BIN / "kronika"), "replay", "--port", str(_free_port())], cwd=tmp_path,
                            env={**environ, "KRONIKA_PYWB": str(_wayback())}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "no collection to replay" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
