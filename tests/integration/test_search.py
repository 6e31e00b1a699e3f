"""`kronika search` over the crawled mirror: Ukrainian and English, articles and posts, ranked,
with snippets, filters; SQLite FTS5 and PostgreSQL tsvector ('simple')."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from kronika.cli import main
from kronika.search import ensure_search_index, search
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article

VISTNYK_STRIKE = "/vistnyk/novyny/raketnyi-udar-po-zarichansku/"
HERALD_STRIKE = "/herald/news/missile-strike-hits-zarichansk-residential-district.html"


@pytest.fixture
def crawled(any_env, mirror, demo_config):
    for source in demo_config.sources:
        run_source(source, any_env)
    return open_database(any_env.database_url)


def test_search_ukrainian_english_posts_filters_and_cli(any_env, crawled):
    engine = crawled
    # Ukrainian: the article whose title has both words ranks first; the snippet marks the words
    hits = search(engine, "ракетний удар")
    assert hits and hits[0].kind == "article" and hits[0].url.endswith(VISTNYK_STRIKE), hits[:3]
    assert "[" in hits[0].snippet and "]" in hits[0].snippet
    assert all(h.score >= n.score for h, n in zip(hits, hits[1:])), "ranked best first"

    # English, case-insensitive; prefix matching stands in for stemming ("strike" finds "strikes")
    hits = search(engine, "Missile STRIKE")
    assert hits[0].url.endswith(HERALD_STRIKE), hits[:3]
    assert any("strikes" in h.snippet.lower() or "struck" in h.snippet.lower() or "strike" in h.snippet.lower()
               for h in hits)

    # Cyrillic case folding and prefixes: "ЗАРІЧАНСЬК" finds "Зарічанська", "Зарічанську"
    inflected = search(engine, "ЗАРІЧАНСЬК", limit=100)
    assert len({h.url for h in inflected}) >= 5

    # posts are searched too, and --source keeps to one source
    posts = search(engine, "тривоги", source="zarichna-ova", limit=100)
    assert posts and {h.kind for h in posts} == {"post"} and {h.source for h in posts} == {"zarichna-ova"}
    assert all(h.url.startswith("https://t.me/zarichna_ova/") for h in posts)
    assert search(engine, "тривоги", source="riverside-herald") == []

    # --since / --until on the publication time
    since = datetime(2026, 1, 15, tzinfo=timezone.utc)
    later = search(engine, "Зарічанськ", since=since, limit=100)
    assert later and all(h.published_at >= since for h in later)
    assert {h.url for h in later} < {h.url for h in inflected}
    until = search(engine, "Зарічанськ", until=since, limit=100)
    assert until and all(h.published_at < since for h in until)

    assert search(engine, "wordthatappearsnowhere") == []
    with pytest.raises(ValueError):
        search(engine, "  ... ")

    # the command line: JSON out, one-line error for a bad date
    runner = CliRunner()
    result = runner.invoke(main, ["search", "ракетний удар", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["hits"][0]["url"].endswith(VISTNYK_STRIKE) and len(data["hits"]) <= 3
    result = runner.invoke(main, ["search", "missile strike", "--source", "riverside-herald"])
    assert result.exit_code == 0 and "missile" in result.output.lower()
    result = runner.invoke(main, ["search", "удар", "--since", "yesterday"])  # every command's time forms
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["search", "удар", "--since", "soon"])
    assert result.exit_code != 0 and "--since" in result.output


def test_index_follows_changes_and_repairs_itself(any_env, crawled):
    engine = crawled
    with unit_of_work(engine) as session:
        article = session.scalars(select(Article).where(Article.url.endswith(HERALD_STRIKE))).one()
        article.text = (article.text or "") + "\nA heron landed on the roof of the bus garage."
    assert [h.url for h in search(engine, "heron")] == [article.url]
    with unit_of_work(engine) as session:
        session.get(Article, article.id).text = "Nothing about birds."
    assert search(engine, "heron") == []

    if engine.dialect.name == "sqlite":
        # a batch migration that recreates a table drops its triggers: search puts them back
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER articles_fts_au"))
        assert ensure_search_index(engine) is True
        assert ensure_search_index(engine) is False
        with unit_of_work(engine) as session:
            session.get(Article, article.id).text = "The heron came back."
        assert [h.url for h in search(engine, "heron")] == [article.url]
