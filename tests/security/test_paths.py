"""Path traversal: names from the config and paths from the database cannot leave the archive dir.

Source names become directory and file names (`<archive>/<source>/kronika-<source>-....warc.gz`),
so config validation refuses anything but `[a-z0-9-]`. WARC paths are stored relative to the
archive directory; a tampered `warc_files.path` (`../outside.warc.gz`) is refused by `get`,
`extract`, the web view and `wacz` instead of being read, even when the file it names exists and
is a valid WARC.
"""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from kronika.cli import main
from kronika.mirror import hostile
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.settings import ConfigError, NewsSource, load_config
from kronika.steps.crawl import source_dir
from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database
from kronika.storage.warc.paths import archive_path
from tests.integration.helpers import warc_files

BAD_NAMES = ["../escape", "..", ".", "a/b", "a\\b", "/etc", "Upper", "-leading-dash", "with space", "nul\x00",
             "dot.name", "x" * 65, ""]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_source_names_that_could_leave_the_archive_are_refused_by_config(tmp_path, name):
    config = tmp_path / "sources.yaml"
    config.write_text(json.dumps({"sources": [{"name": name, "kind": "news", "start_urls": ["https://example.org/"],
                                               "allowed_domains": ["example.org"]}]}))
    with pytest.raises(ConfigError, match="field name"):
        load_config(config)


def test_every_path_a_crawl_writes_stays_under_its_source_dir(sqlite_env, mirror):
    source = NewsSource.model_validate({
        "name": "paths-news", "kind": "news", "start_urls": [VIRTUAL_BASE_URL + "/hostile/start/listing-hostile-links.html"],
        "allowed_domains": ["mirror.kronika.test"], "max_depth": 0, "download_delay": 0,
        "allow_private_networks": True, "proxy": mirror.url})
    run_source(source, sqlite_env)
    root = source_dir(sqlite_env, source.name).resolve()
    written = [p for p in sqlite_env.archive_dir.rglob("*") if p.is_file()]
    assert written
    custody = (sqlite_env.archive_dir / "custody").resolve()  # the archive-wide custody lock
    for path in written:
        resolved = path.resolve()
        assert resolved.is_relative_to(root) or resolved.parent in (sqlite_env.archive_dir.resolve(), custody), path


@pytest.mark.parametrize("relative", ["../../etc/passwd", "/etc/passwd", "src/../../x.warc.gz", "..",
                                      "C:\\Windows\\win.ini", "..\\..\\x.warc.gz", "src/\x00.warc.gz", ""])
def test_archive_path_refuses_what_could_point_outside(tmp_path, relative):
    with pytest.raises(ValueError, match="outside the archive"):
        archive_path(tmp_path, relative)


def test_archive_path_accepts_stored_relative_paths(tmp_path):
    assert archive_path(tmp_path, "herald/kronika-herald-1.warc.gz") == tmp_path / "herald" / "kronika-herald-1.warc.gz"


def test_a_tampered_warc_path_in_the_database_is_refused_when_reading(sqlite_env, mirror, tmp_path):
    source = NewsSource.model_validate({
        "name": "tampered", "kind": "news", "start_urls": [VIRTUAL_BASE_URL + "/hostile/start/listing-hostile-links.html"],
        "allowed_domains": ["mirror.kronika.test"], "max_depth": 0, "download_delay": 0,
        "allow_private_networks": True, "proxy": mirror.url})
    run_source(source, sqlite_env)
    article_url = VIRTUAL_BASE_URL + hostile.companion_path("listing-hostile-links.html")
    assert CliRunner().invoke(main, ["get", article_url]).exit_code == 0

    # the (valid) WARC moved outside the archive dir, and the database pointed at it there
    [real] = warc_files(sqlite_env.archive_dir)
    outside = sqlite_env.archive_dir.parent / "outside.warc.gz"
    shutil.move(real, outside)
    engine = open_database(sqlite_env.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE warc_files SET path = '../outside.warc.gz'"))
        capture_id = connection.execute(text("SELECT id FROM captures WHERE url = :u"), {"u": article_url}).scalar_one()

    got = CliRunner().invoke(main, ["get", article_url])
    assert got.exit_code != 0
    assert "outside the archive directory" in got.output and len(got.output.strip().splitlines()) == 1

    counts = extract(sqlite_env, all_files=True).counts
    assert counts["unreadable_records"] >= 1 and counts["new_article_versions"] == 0

    from starlette.testclient import TestClient

    from kronika.web import create_app

    with TestClient(create_app(sqlite_env)) as client:
        response = client.get(f"/capture/{capture_id}")
    assert response.status_code == 404 and "Lab Desk" not in response.text

    out = CliRunner().invoke(main, ["wacz", str(tmp_path / "x.wacz")])
    assert out.exit_code != 0 and "outside the archive directory" in out.output
