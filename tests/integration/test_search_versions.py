"""Search reads every version: text a rewrite removed is found, marked removed, and not found with
--latest; the web view's search runs the same query. Through the real CLI, SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from kronika.steps.run import run_source
from tests.support.cli import kronika

# the Herald's strike report said "She said the figure was preliminary." until its rewrite (epoch 1)
REMOVED_FROM_ARTICLE = "figure was preliminary"
HERALD_STRIKE = "/herald/news/missile-strike-hits-zarichansk-residential-district.html"
# the ОВА's post 4134 named "вулиці Заводській" until it was edited to "вулиці Заводської"
REMOVED_FROM_POST = "Заводській"
EDITED_POST = "https://t.me/zarichna_ova/4134"


@pytest.fixture
def rewritten(any_env, mirror, demo_config):
    """The Herald and the ОВА channel crawled before and after their rewrites and edits."""
    chosen = [s for s in demo_config.sources if s.name in ("riverside-herald", "zarichna-ova")]
    for epoch in (0, 1):
        mirror.set_epoch(epoch)
        for source in chosen:
            run_source(source, any_env)
    return any_env


def _search(*args: str) -> dict:
    result = kronika("search", *args, "--json", "--limit", "50")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_text_removed_in_a_rewrite_is_found_and_marked_removed(rewritten):
    hits = _search(REMOVED_FROM_ARTICLE)["hits"]
    strike = [h for h in hits if h["url"].endswith(HERALD_STRIKE)]
    assert strike, [h["url"] for h in hits]
    assert strike[0]["in_latest"] is False
    assert [v["version"] for v in strike[0]["matched_versions"]] == [1] and strike[0]["versions"] == 2
    assert "[preliminary]" in strike[0]["snippet"]
    # the current text no longer says it
    assert not [h for h in _search(REMOVED_FROM_ARTICLE, "--latest")["hits"] if h["url"].endswith(HERALD_STRIKE)]

    # a Telegram post's edit alike
    post = [h for h in _search(REMOVED_FROM_POST, "--kind", "post")["hits"] if h["url"] == EDITED_POST]
    assert post and post[0]["in_latest"] is False and [v["version"] for v in post[0]["matched_versions"]] == [1]
    assert EDITED_POST not in {h["url"] for h in _search(REMOVED_FROM_POST, "--latest")["hits"]}

    # text still there matches every version that has it, and says it is in the latest
    kept = [h for h in _search("residential district")["hits"] if h["url"].endswith(HERALD_STRIKE)][0]
    assert kept["in_latest"] is True and [v["version"] for v in kept["matched_versions"]] == [1, 2]

    # people see it in the table: the versions and the word "removed"
    table = kronika("search", REMOVED_FROM_ARTICLE, columns=200)
    assert table.returncode == 0, table.stderr
    assert "removed" in table.stdout and "v1 of 2" in table.stdout


def test_web_search_uses_the_same_index_and_still_matches_urls(rewritten):
    from kronika.web import create_app

    with TestClient(create_app(rewritten)) as client:
        page = client.get("/articles", params={"q": REMOVED_FROM_ARTICLE})
        assert page.status_code == 200
        assert HERALD_STRIKE in page.text and "removed" in page.text and "<mark>preliminary</mark>" in page.text
        # part of a URL still finds the article (a pasted link), though no text holds it
        page = client.get("/articles", params={"q": "missile-strike-hits-zarichansk"})
        assert HERALD_STRIKE in page.text
        page = client.get("/posts", params={"q": REMOVED_FROM_POST})
        assert "/posts/" in page.text and "removed" in page.text
        page = client.get("/channels/zarichna_ova", params={"q": "4134"})
        assert "zarichna_ova/4134" in page.text
