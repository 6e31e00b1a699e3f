"""The news spider's discovery, politeness and revision tracking, each through a real crawl.

Every test runs Scrapy in its own process against the mirror on loopback (reached as the HTTP
proxy for mirror.kronika.test, like the demo), writes real WARC files, indexes and extracts them
into a real database. The crawl lab (kronika/mirror/content/lab.yaml) holds the awkward cases.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kronika.cli import main
from kronika.mirror.lab import article_path
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.mirror.site import MirrorSite
from kronika.settings import NewsSource
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, Capture, CrawlRun
from tests.integration.helpers import assert_warcio_check_passes

LAB = VIRTUAL_BASE_URL + "/lab/"


def lab_source(mirror, **overrides) -> NewsSource:
    fields = {
        "name": "crawl-lab", "kind": "news",
        "start_urls": [LAB, LAB + "news-sitemap.xml.gz", LAB + "broken-feed.xml", LAB + "bomb-sitemap.xml.gz"],
        "allowed_domains": ["mirror.kronika.test"], "download_delay": 0,
        "concurrent_requests_per_domain": 4, "allow_private_networks": True, "proxy": mirror.url,
        "user_agent": "Kronika-test/0.1", "contact_url": "https://example.org/kronika-contact",
        "deny_urls": [r"/lab/news/opinion-"], "max_article_age": "14d",
    }
    return NewsSource.model_validate(fields | overrides)


def lab_url(slug: str) -> str:
    return VIRTUAL_BASE_URL + article_path(slug)


def articles_by_url(env) -> dict[str, Article]:
    with unit_of_work(open_database(env.database_url)) as session:
        return {a.url: a for a in session.scalars(select(Article))}


def test_lab_crawl_discovers_politely_and_stores_canonical_articles(sqlite_env, mirror):
    result = run_source(lab_source(mirror), sqlite_env)
    stats = result.crawl.stats
    hits = mirror.hits
    stored = articles_by_url(sqlite_env)
    assert result.crawl.status == "succeeded"

    # tracking parameters dropped before scheduling: the clean URL is fetched, never the tagged one
    assert hits[article_path("bridge-reopens-after-repairs")] == 1
    assert not [p for p in hits if "utm_" in p or "fbclid" in p]
    assert lab_url("bridge-reopens-after-repairs") in stored
    assert stats["kronika/urls_canonicalised"] >= 1

    # a same-site rel=canonical is the identity; an off-site one (a syndicated copy) is not
    assert hits[article_path("print-edition-story") + "?view=print"] == 1
    assert lab_url("print-edition-story") in stored
    assert lab_url("print-edition-story") + "?view=print" not in stored
    assert lab_url("syndicated-wire-story") in stored

    # the gzipped Google News sitemap: its fresh entry fetched, the 40-day-old one filtered by age
    assert stats["kronika/discovery/sitemap"] == 1
    assert lab_url("fresh-from-the-news-sitemap") in stored
    assert hits[article_path("old-story-in-the-news-sitemap")] == 0
    assert stats["kronika/skipped/too_old"] == 1

    # deny pattern: never requested
    assert hits[article_path("opinion-why-the-bridge-matters")] == 0
    assert stats["kronika/skipped/url_rule"] == 1

    # robots.txt: the disallowed page is linked from the listing and never requested
    assert not [p for p in hits if p.startswith("/lab/private/")]
    assert stats.get("robotstxt/forbidden", 0) >= 1
    assert stats["kronika/skipped/robots"] == stats["robotstxt/forbidden"]  # a skip, not an error

    # non-HTML article candidates are dropped after the headers and not archived
    assert stats["kronika/skipped/non_html"] == 1

    # the malformed feed and the gzip bomb are counted errors, and the run went on
    assert stats["kronika/errors/discovery_parse"] >= 2
    assert stats["kronika/errors"] == sum(v for k, v in stats.items() if k.startswith("kronika/errors/"))
    assert not [k for k in stats if k.startswith("kronika/errors/") and ("robot" in k or "Ignore" in k)]

    # windows-1251 and koi8-r declared only in a meta tag come out as Cyrillic
    ukrainian = stored[lab_url("vidnovlennia-shkoly-1251")]
    assert ukrainian.title == "Школу на Садовій відремонтують до весни"
    assert "Міська рада Зарічанська виділила кошти" in ukrainian.text
    russian = stored[lab_url("novosti-koi8-r")]
    assert "круглосуточный пункт обогрева" in russian.text

    # 429 (Retry-After: 1 s) and 503 (Retry-After as an HTTP date): one refusal, one retry each,
    # with the site's download slot held back for the stated time
    for slug in ("busy-newsroom-update", "busy-until-a-date"):
        assert hits[article_path(slug)] == 2, slug
        assert lab_url(slug) in stored
    assert stats["kronika/retry_after/count"] == 2
    assert stats["kronika/retry_after/status/429"] == 1 and stats["kronika/retry_after/status/503"] == 1
    assert stats["kronika/retry_after/max_delay"] >= 1
    # a lower bound only (a slow machine makes the gap longer, never shorter)
    times = mirror.hit_times(article_path("busy-newsroom-update"))
    assert times[1] - times[0] >= 0.9

    # a redirect chain: every hop archived, the final URL is the identity, the first one is kept
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        every_capture = list(session.scalars(select(Capture)))
        captures = {c.url: c for c in every_capture}
        runs = list(session.scalars(select(CrawlRun)))
    hops = [VIRTUAL_BASE_URL + "/lab/go/moved-story-final-address",
            VIRTUAL_BASE_URL + "/lab/moved/moved-story-final-address"]
    assert [captures[u].status for u in hops] == [302, 301]
    final = lab_url("moved-story-final-address")
    assert captures[final].status == 200 and final in stored
    assert captures[final].original_url == hops[0]
    assert captures[lab_url("bridge-reopens-after-repairs")].original_url.endswith("fbclid=IwAR0xyz")
    # refused attempts are archived too: the 429 and the 200 of its retry, each its own capture
    busy = [c.status for c in every_capture if c.url == lab_url("busy-newsroom-update")]
    assert sorted(busy) == [200, 429]

    # per-run statistics are stored with the run
    stats = runs[0].stats
    assert stats["downloader/request_count"] > 0 and stats["downloader/response_bytes"] > 0
    assert stats["downloader/response_status_count/429"] == 1
    assert stats["kronika/new_articles"] == len(stored) == 11
    assert stats["kronika/new_article_versions"] == 11
    assert_warcio_check_passes(sqlite_env.archive_dir)


def test_max_pages_and_allow_patterns_limit_what_is_fetched(sqlite_env, mirror):
    source = lab_source(mirror, start_urls=[LAB], max_pages=2, allow_urls=[r"/lab/news/"], deny_urls=[])
    result = run_source(source, sqlite_env)
    hits = mirror.hits
    fetched = [p for p in hits if p.startswith("/lab/news/")]
    assert len(fetched) == 2, fetched
    assert result.crawl.stats["kronika/articles_scheduled"] == 2
    assert result.crawl.stats["kronika/skipped/max_pages"] >= 1
    # /lab/go/... links do not match the allow pattern
    assert not [p for p in hits if p.startswith("/lab/go/")]


def test_revisions_between_two_runs_and_diff(any_env, mirror, demo_config):
    herald = demo_config.source("riverside-herald")
    run_source(herald, any_env)
    mirror.set_epoch(1)
    second = run_source(herald, any_env)
    url = VIRTUAL_BASE_URL + "/herald/news/missile-strike-hits-zarichansk-residential-district.html"
    with unit_of_work(open_database(any_env.database_url)) as session:
        article = session.scalars(select(Article).where(Article.url == url)).one()
        versions = list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.captured_at)))
        unchanged = session.scalars(select(Article).where(
            Article.url == VIRTUAL_BASE_URL + "/herald/news/residents-describe-the-moment-of-impact.html")).one()
    assert len(versions) == 2 and article.versions == 2
    assert "At least nine people were injured" in versions[0].text
    assert "At least 21 people were injured" in versions[1].text
    assert versions[1].title == "Missile strike on Zarichansk: at least 21 injured"
    assert unchanged.versions == 1, "an unchanged article gets no new version"
    assert second.crawl.stats["kronika/new_article_versions"] >= 4
    # articles that appear at epoch 1 are the run's new ones
    assert second.crawl.stats["kronika/new_articles"] == len(MirrorSite(1).herald) - len(MirrorSite(0).herald)

    runner = CliRunner()
    out = runner.invoke(main, ["diff", url, "--json"])
    assert out.exit_code == 0, out.output
    diff = json.loads(out.output)
    assert diff["fields"]["title"] == {"from": versions[0].title, "to": versions[1].title}
    inserted = " ".join(op["to"] for op in diff["text"] if op["op"] in ("insert", "replace"))
    deleted = " ".join(op["from"] for op in diff["text"] if op["op"] in ("delete", "replace"))
    assert "21" in inserted and "nine" in deleted
    # --from/--to pick the versions in effect at those times: the same pair here
    out = runner.invoke(main, ["diff", url, "--from", versions[0].captured_at.isoformat(),
                               "--to", versions[1].captured_at.isoformat()])
    assert out.exit_code == 0 and "21" in out.output
    # `status` shows the run's statistics
    out = runner.invoke(main, ["status", "--json"])
    herald_status = next(s for s in json.loads(out.output)["sources"] if s["source"] == "riverside-herald")
    assert herald_status["new_article_versions"] >= 4 and herald_status["requests"] > 0
    assert herald_status["responses_by_status"]["200"] > 0


def test_recapture_schedule_and_deleted_articles(sqlite_env, mirror):
    source = lab_source(mirror, start_urls=[LAB])
    run_source(source, sqlite_env)
    gone_slugs = ("short-lived-story", "withdrawn-story")
    engine = open_database(sqlite_env.database_url)
    # pretend the first crawl was two hours ago: every article passed its 1h recapture point
    with unit_of_work(engine) as session:
        for article in session.scalars(select(Article)):
            article.first_seen_at -= timedelta(hours=2)
            article.last_seen_at -= timedelta(hours=2)
    mirror.set_epoch(1)
    mirror.reset_hits()
    second = run_source(source, sqlite_env)
    stored = articles_by_url(sqlite_env)
    # the deleted articles are no longer listed: only the recapture found them gone
    for slug, status in zip(gone_slugs, (410, 404)):
        assert mirror.hits[article_path(slug)] == 1
        assert stored[lab_url(slug)].gone_at is not None and stored[lab_url(slug)].gone_status == status
    assert second.crawl.stats["kronika/articles_recaptured"] == len(stored)
    assert second.crawl.stats["kronika/articles_gone"] == 2
    assert stored[lab_url("bridge-reopens-after-repairs")].versions == 2
    assert stored[lab_url("syndicated-wire-story")].gone_at is None

    # now nothing is due (each was seen after its last passed recapture point) and gone ones rest
    mirror.reset_hits()
    third = run_source(source, sqlite_env)
    assert third.crawl.stats.get("kronika/articles_recaptured", 0) == 0
    assert mirror.hits[article_path("withdrawn-story")] == 0


def test_recapture_all_from_the_command_line(sqlite_env, mirror, tmp_path, monkeypatch):
    run_source(lab_source(mirror, start_urls=[LAB]), sqlite_env)
    known = articles_by_url(sqlite_env)
    # the same source, now started from the news sitemap only (which lists one article)
    config = tmp_path / "lab.yaml"
    source = lab_source(mirror, start_urls=[LAB + "news-sitemap.xml.gz"])
    config.write_text(json.dumps({"sources": [source.model_dump(mode="json")]}), encoding="utf-8")
    monkeypatch.setenv("KRONIKA_CONFIG", str(config))
    mirror.reset_hits()
    out = CliRunner().invoke(main, ["run", "crawl-lab", "--recapture-all", "--json"])
    assert out.exit_code == 0, out.output
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc())).first()
    assert run.stats["kronika/articles_recaptured"] == len(known)
    assert mirror.hits[article_path("withdrawn-story")] == 1
    assert mirror.hits[article_path("fresh-from-the-news-sitemap")] == 1, "listed and recaptured: fetched once"
    # nothing changed on the mirror: only the sitemap's article (new to this source) is a version
    assert run.stats["kronika/new_articles"] == 1 and run.stats["kronika/new_article_versions"] == 1


def test_user_agent_names_a_contact_url(mirror):
    from kronika.steps.crawl import scrapy_settings

    settings = scrapy_settings(lab_source(mirror, autothrottle=True))
    assert settings["USER_AGENT"] == "Kronika-test/0.1 (+https://example.org/kronika-contact)"
    assert settings["AUTOTHROTTLE_ENABLED"] is True


@pytest.mark.parametrize("value", ["[", "(?P<"])
def test_bad_filter_pattern_is_rejected_before_any_request(value, mirror):
    with pytest.raises(ValueError, match="not a regular expression"):
        lab_source(mirror, deny_urls=[value])
