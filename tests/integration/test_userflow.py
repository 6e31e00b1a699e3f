"""The real `kronika` command as a new user runs it: from another directory, with wrong paths and
unknown names, and URLs copied in every form. Each mistake must be a one-line error naming what
was tried, and nothing may be created by a command that only reads."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kronika.steps.run import run_source
from tests.support.cli import kronika, one_line_error

READ_COMMANDS = [
    ["search", "missile"],
    ["history", "http://mirror.kronika.test/herald/news/flood.html"],
    ["get", "http://mirror.kronika.test/herald/news/flood.html"],
    ["diff", "http://mirror.kronika.test/herald/news/flood.html"],
    ["status"],
    ["export", "articles"],
    ["timeline", "--channel", "zarichna_ova"],
    ["verify"],
    ["evidence", "http://mirror.kronika.test/herald/news/flood.html", "--out", "x.wacz"],
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One source of each kind crawled once from the mirror, into a database and archive of its own."""
    from kronika.mirror.server import MirrorServer
    from kronika.settings import Environment, load_config

    base = tmp_path_factory.mktemp("crawled")
    env = Environment(database_url=f"sqlite:///{base / 'kronika.db'}", archive_dir=base / "archive")
    with MirrorServer(port=0) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("KRONIKA_MIRROR_PROXY", server.url)
        config = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.yaml")
        for name in ("riverside-herald", "zarichna-ova"):
            run_source(config.source(name), env)
    return env


def crawled_env(env) -> dict:
    return {"KRONIKA_DATABASE_URL": env.database_url, "KRONIKA_ARCHIVE_DIR": str(env.archive_dir)}


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_command_from_another_directory_names_the_database_and_creates_none(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KRONIKA_DATABASE_URL", raising=False)
    monkeypatch.delenv("KRONIKA_ARCHIVE_DIR", raising=False)
    line = one_line_error(kronika(*command))
    assert f"no database at {tmp_path / 'data' / 'kronika.db'}" in line, line
    assert "kronika run" in line  # how to fix it
    assert not (tmp_path / "data" / "kronika.db").exists(), "a read-only command created a database"


def test_a_database_url_naming_a_missing_file_is_an_error_not_an_empty_archive(tmp_path):
    missing = tmp_path / "elsewhere" / "kronika.db"
    line = one_line_error(kronika("status", env={"KRONIKA_DATABASE_URL": f"sqlite:///{missing}"}))
    assert str(missing) in line
    assert not missing.exists() and not missing.parent.exists()


def test_status_names_the_absolute_files_it_read(crawled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = kronika("status", "--json", env=crawled_env(crawled))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"]["path"] == str(Path(crawled.database_url.removeprefix("sqlite:///")).resolve())
    assert report["archive"]["dir"] == str(Path(crawled.archive_dir).resolve())


def test_paths_in_a_config_file_are_taken_from_its_folder(tmp_path, monkeypatch):
    from kronika.settings import load_config

    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "sources.yaml").write_text(
        "defaults:\n  timestamping: {urls: ['https://tsa.example/'], ca_bundle: roots.pem}\n"
        "sources:\n  - {name: a, kind: news, start_urls: ['https://a.example/'], allowed_domains: [a.example]}\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("conf/sources.yaml"))
    assert config.timestamping.ca_bundle == str(folder / "roots.pem")
    assert config.sources[0].timestamping.ca_bundle == str(folder / "roots.pem")


UNKNOWN_NAMES = [
    (["verify", "--source", "riverside-herlad"], "did you mean 'riverside-herald'?"),
    (["export", "articles", "--source", "riverside-herlad"], "did you mean 'riverside-herald'?"),
    (["export", "artcles"], "did you mean 'articles'"),
    (["search", "flood", "--source", "zarichna-ovva"], "did you mean 'zarichna-ova'?"),
    (["timeline", "--channel", "zarichna_ovaa"], "did you mean 'zarichna_ova'?"),
    (["plot", "runs", "--source", "no-such-source", "-o", "runs.png"], "known: riverside-herald, zarichna-ova"),
    (["wacz", "out.wacz", "--source", "riverside-herlad"], "did you mean 'riverside-herald'?"),
    (["index", "--source", "riverside-herlad"], "did you mean 'riverside-herald'?"),
    (["extract", "--source", "riverside-herlad"], "did you mean 'riverside-herald'?"),
]


@pytest.mark.parametrize(("command", "suggestion"), UNKNOWN_NAMES, ids=lambda c: " ".join(c) if isinstance(c, list) else "")
def test_an_unknown_name_is_an_error_with_the_close_matches(crawled, command, suggestion, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(kronika(*command, env=crawled_env(crawled)))
    assert suggestion in line, line
    assert not list(tmp_path.iterdir()), "nothing is written for an unknown name"


def test_an_unknown_configured_source_suggests_the_configured_ones(tmp_path):
    config = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
    for command in (["crawl", "riverside-herlad"], ["run", "riverside-herlad"]):
        line = one_line_error(kronika("--config", str(config), *command,
                                      env={"KRONIKA_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}))
        assert "no source named 'riverside-herlad'" in line and "did you mean 'riverside-herald'?" in line


def test_the_web_view_answers_404_for_an_unknown_source_or_channel(crawled):
    from starlette.testclient import TestClient

    from kronika.web import create_app

    with TestClient(create_app(crawled)) as client:
        for path in ("/runs?source=riverside-herlad", "/articles?source=riverside-herlad",
                     "/changes?source=riverside-herlad", "/changes/riverside-herlad.atom"):
            response = client.get(path)
            assert response.status_code == 404 and "did you mean" in response.text, path
        response = client.get("/channels/zarichna_ovaa")
        assert response.status_code == 404 and "zarichna_ova" in response.text
        assert client.get("/channels/ZARICHNA_OVA").status_code == 200  # Telegram names ignore case
        assert client.get("/runs?source=riverside-herald").status_code == 200
