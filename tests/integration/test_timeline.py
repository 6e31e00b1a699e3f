"""`kronika timeline`: an article's versions with what changed, a channel's and a search's events."""
from __future__ import annotations

import json
import subprocess

from kronika.browse import word_diff
from tests.integration.crawled import crawl_with_history
from tests.support.cli import kronika as run_kronika


def kronika(*args: str) -> subprocess.CompletedProcess:
    return run_kronika(*args, columns=200)


def test_timeline_of_an_article_a_post_a_channel_and_a_query(sqlite_env, mirror, demo_config):
    from kronika.mirror.server import VIRTUAL_BASE_URL
    from kronika.mirror.site import MirrorSite

    crawl_with_history(demo_config, sqlite_env, mirror)
    before = {a.url: a for a in MirrorSite(0).expected_articles(VIRTUAL_BASE_URL)}
    after = {a.url: a for a in MirrorSite(1).expected_articles(VIRTUAL_BASE_URL)}
    rewritten = next(url for url in before if url in after and before[url].paragraphs != after[url].paragraphs)

    result = kronika("timeline", rewritten, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["article"]["url"] == rewritten
    first, second = data["versions"][0], data["versions"][-1]
    assert [v["version"] for v in data["versions"]] == list(range(1, len(data["versions"]) + 1))
    assert "text" in second["changed"] and second["words_added"] + second["words_removed"] > 0
    # the diff rebuilds both texts exactly
    runs = second["diff"]
    assert "".join(t for op, t in runs if op != "-") == second["text"]
    assert "".join(t for op, t in runs if op != "+") == data["versions"][-2]["text"]
    assert first["diff"] is None

    table = kronika("timeline", rewritten, "--diff")
    assert table.returncode == 0 and "version 1 → 2" in table.stdout

    post = kronika("timeline", "https://t.me/zarichna_ova/4117", "--json")
    assert post.returncode == 0, post.stderr
    versions = json.loads(post.stdout)["versions"]
    assert len(versions) == 2 and "28" in versions[-1]["text"]

    channel = kronika("timeline", "--channel", "zarichna_ova", "--json")
    events = json.loads(channel.stdout)["events"]
    kinds = {e["event"] for e in events}
    assert {"posted", "edited", "deleted"} <= kinds
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    since = kronika("timeline", "--channel", "zarichna_ova", "--since", "2026-01-17", "--json")
    assert all(e["at"] >= "2026-01-17" for e in json.loads(since.stdout)["events"])

    query = kronika("timeline", "--query", "Zarichansk")
    assert query.returncode == 0 and "events" in query.stdout

    missing = kronika("timeline", "https://nowhere.example/a")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    both = kronika("timeline", rewritten, "--channel", "x")
    assert both.returncode == 1 and "one of" in both.stderr


def test_word_diff_keeps_both_texts():
    old, new = "Two missiles hit\nthe district; 14 injured.", "Two missiles hit\nthe district; 28 injured, one killed."
    runs = word_diff(old, new)
    assert "".join(t for op, t in runs if op != "-") == new
    assert "".join(t for op, t in runs if op != "+") == old
    assert ("-", "14") in runs and any(op == "+" and "28" in t for op, t in runs)
    assert word_diff(None, "a") == [("+", "a")] and word_diff("a", "a") == [("=", "a")]


def test_views_are_dropped_on_downgrade_and_created_again(sqlite_env):
    from alembic import command
    from sqlalchemy import inspect

    from kronika.storage.db.engine import alembic_config, open_database, upgrade

    engine = open_database(sqlite_env.database_url)
    views = {"v_articles_latest", "v_article_changes", "v_posts_latest", "v_post_edits", "v_deletions"}
    assert views <= set(inspect(engine).get_view_names())
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert not set(inspect(engine).get_view_names())
    upgrade(engine)
    assert views <= set(inspect(engine).get_view_names())
