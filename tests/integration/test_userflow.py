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


def _article_and_post(env) -> tuple[str, str]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from kronika.storage.db.models import Article, ArticleVersion, TelegramPost
    from kronika.storage.db.readonly import read_only_engine

    engine = read_only_engine(env.database_url)
    with Session(engine) as session:
        article = session.scalars(select(Article).join(ArticleVersion).group_by(Article.id)
                                  .order_by(func.count(ArticleVersion.id).desc(), Article.id).limit(1)).one()
        post = session.scalars(select(TelegramPost).order_by(TelegramPost.post_id).limit(1)).one()
        urls = article.url, post.url
    engine.dispose()
    return urls


def _forms_of(url: str) -> list[str]:
    """How people copy an article's URL: https, www., a trailing slash, a fragment, tracking tags, no scheme."""
    rest = url.split("://", 1)[1]
    return [url, "https://" + rest, "https://www." + rest, url + "/", url + "#comments",
            url + "?utm_source=tw&utm_medium=social", rest]


def _post_forms(url: str) -> list[str]:
    channel, number = url.rstrip("/").split("/")[-2:]
    return [url, f"https://t.me/s/{channel}/{number}", f"t.me/{channel}/{number}",
            f"https://telegram.me/{channel}/{number}/", f"https://t.me/{channel.upper()}/{number}?single"]


def test_every_form_of_a_url_finds_the_same_thing_in_every_command(crawled):
    from click.testing import CliRunner
    from starlette.testclient import TestClient

    from kronika.cli import main
    from kronika.web import create_app

    article_url, post_url = _article_and_post(crawled)
    runner = CliRunner(env=crawled_env(crawled))  # in-process: dozens of lookups, one import

    def run(*args: str) -> dict:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return json.loads(result.stdout)

    def answers(url: str, kind: str) -> dict:
        history, diff, timeline = run("history", url, "--json"), run("diff", url, "--json"), run("timeline", url, "--json")
        result = {"history": [row["capture_id"] for row in history], "diff": diff["url"],
                  "timeline": timeline[kind]["url"]}
        if kind == "article":
            result["get"] = run("get", url, "--json")["capture"]["record_id"]
        return result

    with TestClient(create_app(crawled)) as client:
        for kind, forms in (("article", _forms_of(article_url)), ("post", _post_forms(post_url))):
            expected = answers(forms[0], kind)
            assert expected["history"] and expected["diff"] == expected["timeline"]
            page = client.get("/find", params={"url": forms[0]}, follow_redirects=False).headers["location"]
            assert page.startswith("/articles/" if kind == "article" else "/posts/")
            for form in forms[1:]:
                assert answers(form, kind) == expected, form
                found = client.get("/find", params={"url": form}, follow_redirects=False)
                assert found.status_code == 303 and found.headers["location"] == page, form
        assert client.get("/find", params={"url": "https://nowhere.example/x"}).status_code == 404
        assert client.get("/find").status_code == 400


def test_a_url_that_was_never_captured_is_a_one_line_error_in_every_command(crawled):
    env = crawled_env(crawled)
    for command in (["history"], ["get"], ["diff"], ["timeline"]):
        line = one_line_error(kronika(*command, "https://nowhere.example/x", env=env))
        assert "https://nowhere.example/x" in line


def test_every_command_reads_times_the_same_way(crawled, tmp_path):
    from click.testing import CliRunner

    from kronika.cli import main

    article_url, post_url = _article_and_post(crawled)
    runner = CliRunner(env=crawled_env(crawled))
    commands = {
        "export": ["export", "articles", "-o", str(tmp_path / "a.jsonl"), "--since"],
        "search": ["search", "flood", "--since"],
        "timeline": ["timeline", "--channel", "zarichna_ova", "--until"],
        "diff": ["diff", article_url, "--to"],
        "get": ["get", article_url, "--at"],
        "wacz": ["wacz", str(tmp_path / "p.wacz"), "--until"],
        "claims": ["claims", "timeline", "--query", "flood", "--since"],
    }
    for name, command in commands.items():
        for form in ("20260102", "2026-01-02T13:05:00Z", "2h", "3d", "yesterday", "now"):
            result = runner.invoke(main, [*command, form])
            assert result.exit_code != 2 and "cannot read time" not in result.output, (name, form, result.output)
        bad = runner.invoke(main, [*command, "soon"])
        assert bad.exit_code == 2 and "cannot read time 'soon'" in bad.output, (name, bad.output)


def test_a_database_that_is_down_is_named_with_what_to_do(tmp_path):
    result = kronika("status", env={"KRONIKA_DATABASE_URL": "postgresql+psycopg://nobody:pw@127.0.0.1:1/none"})
    line = one_line_error(result)
    assert line == ("error: cannot reach the database at postgresql+psycopg://nobody:***@127.0.0.1:1/none "
                    "(connection refused); set KRONIKA_DATABASE_URL or start PostgreSQL")
    assert result.returncode == 3


def test_a_database_older_than_the_code_asks_for_db_upgrade(tmp_path):
    from kronika.storage.db.engine import make_engine, upgrade

    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    upgrade(engine, "0001")
    engine.dispose()
    for command in (["status"], ["search", "flood"], ["history", "http://example.org/"]):
        line = one_line_error(kronika(*command, env={"KRONIKA_DATABASE_URL": f"sqlite:///{old}"}))
        assert f"the database at {old} is older than this version of Kronika" in line and "kronika db upgrade" in line


CONFIG_MISTAKES = [
    ("defaults:\n  download_dealy: 1\nsources: []\n", "field download_dealy: not a known key — did you mean 'download_delay'?"),
    ("sources:\n  - {name: a, kind: news, start_urls: ['https://b.example/'], allowed_domains: [a.example]}\n",
     "start URL https://b.example/ is outside allowed_domains (a.example)"),
    ("sources:\n  - {name: a, kind: news, schedule: '0 0 31 2 *', start_urls: ['https://a.example/'], allowed_domains: [a.example]}\n",
     "a cron expression that never fires: '0 0 31 2 *'"),
    ("sources:\n  - {name: a, kind: news, start_urls: ['https://a.example/'], allowed_domains: [a.example], allow_urls: ['[a-z0-9']}\n",
     "not a regular expression: '[a-z0-9'"),  # markup-like text reaches the user whole
]


@pytest.mark.parametrize(("body", "expected"), CONFIG_MISTAKES, ids=["misspelt key", "start URL", "cron", "pattern"])
def test_config_mistakes_are_one_line_with_the_fix(body, expected, tmp_path):
    config = tmp_path / "sources.yaml"
    config.write_text(body)
    line = one_line_error(kronika("--config", str(config), "sources"))
    assert expected in line, line


