"""The web as real servers serve it, crawled for real: nothing lost, nothing misreported.

One news run (crawl, index, extract, check) goes over the mirror's `/realweb/` section
(kronika/mirror/realweb.py): feeds and sitemaps that are malformed the way real ones are, a
sitemap index with gzipped and plain children, an HTML error page answered with 200, a 301
text/plain -> 302 -> article chain, and a link for each kind of skip. Each case must give its
companion article, with a counted warning where the document was read leniently; skips are
counted per reason and are never errors; the errors are counted per cause and sum up.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kronika.mirror import realweb
from kronika.mirror.server import VIRTUAL_BASE_URL, MirrorServer
from kronika.settings import Environment, NewsSource, TelegramSource
from kronika.steps.crawl import crawl
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, Capture, CrawlRun, TelegramPost
from tests.integration.helpers import assert_warcio_check_passes

BASE = VIRTUAL_BASE_URL


@dataclass
class Crawled:
    env: Environment
    stats: dict
    log: str
    hits: dict[str, int]
    articles: dict[str, Article]
    captures: dict[str, list[Capture]]
    run: CrawlRun
    check_failed: list[str]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Crawled:
    tmp = tmp_path_factory.mktemp("realweb")
    env = Environment(database_url=f"sqlite:///{tmp / 'kronika.db'}", archive_dir=tmp / "archive")
    with MirrorServer(port=0) as mirror:
        source = NewsSource.model_validate({
            "name": "real-web", "kind": "news", "start_urls": realweb.start_urls(BASE),
            "allowed_domains": ["mirror.kronika.test"], "download_delay": 0, "concurrent_requests_per_domain": 8,
            "allow_private_networks": True, "proxy": mirror.url, "deny_urls": [r"/opinion-"],
            "max_article_age": "3650d"})
        result = run_source(source, env)
        hits = dict(mirror.hits)
    log = "\n".join(p.read_text(encoding="utf-8") for p in (env.archive_dir / "real-web" / "logs").glob("*.log"))
    with unit_of_work(open_database(env.database_url)) as session:
        articles = {a.url: a for a in session.scalars(select(Article))}
        captures: dict[str, list[Capture]] = {}
        for capture in session.scalars(select(Capture)):
            captures.setdefault(capture.url, []).append(capture)
        run = session.scalars(select(CrawlRun)).one()
        session.expunge_all()
    return Crawled(env, dict(result.crawl.stats), log, hits, articles, captures, run, result.check.failed)


# (the sitemap index lists child sitemaps, not an article: its test is below)
CASES = [c for c in realweb.CASES if c.error is None and c.slug != "sitemap-index-mixed.xml"]


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_each_malformed_start_page_still_gives_its_article(crawled: Crawled, case: realweb.Case):
    companion = BASE + realweb.companion_path(case.slug)
    stored = [url for url in crawled.articles if url.split("?")[0] == companion]
    assert stored, f"{case.slug}: its companion article was lost"
    assert crawled.articles[stored[0]].title == realweb.article_title(stored[0].rsplit("/", 1)[-1].split("?")[0]
                                                                      .removesuffix(".html"))
    if case.warning:
        lines = [line for line in crawled.log.splitlines()
                 if case.slug in line and "WARNING" in line and case.warning in line]
        assert lines, f"{case.slug}: no warning saying {case.warning!r}"


def test_the_unescaped_ampersand_feed_gives_every_item_under_its_clean_url(crawled: Crawled):
    assert BASE + realweb.companion_path("feed-stray-ampersand.xml") in crawled.articles  # utm_* dropped
    assert BASE + "/realweb/news/stray-ampersand-second-story.html" in crawled.articles
    # the truncated feed: both complete items, and the cut one costs nothing else
    assert BASE + "/realweb/news/truncated-feed-second-story.html" in crawled.articles


def test_a_sitemap_index_with_gzipped_and_plain_children(crawled: Crawled):
    for name in realweb.SITEMAP_CHILDREN:
        assert BASE + realweb.child_article(name) in crawled.articles, name
    assert crawled.stats["kronika/discovery/sitemapindex"] == 1
    # the truncated sitemap's cut entry is not requested under a wrong (cut) address
    assert not [p for p in crawled.hits if p.rstrip("/") == "/realweb/news"]


def test_an_html_error_page_with_status_200_is_a_counted_error(crawled: Crawled):
    assert crawled.stats["kronika/errors/discovery_empty"] == 1
    assert [line for line in crawled.log.splitlines() if "feed-error-page-200.xml" in line and "ERROR" in line]


def test_a_redirect_is_followed_whatever_its_content_type(crawled: Crawled):
    hops = [BASE + path for path in realweb.REDIRECT_HOPS]
    final = BASE + realweb.REDIRECTED
    # every hop archived: the 301 text/plain and the 302 without a body
    assert [crawled.captures[u][0].status for u in hops] == [301, 302]
    assert crawled.captures[hops[0]][0].mime.startswith("text/plain")
    # the final URL is the article, the first URL is kept with it
    assert final in crawled.articles and hops[0] not in crawled.articles
    assert crawled.captures[final][0].status == 200
    assert crawled.captures[final][0].original_url == hops[0]


def test_skips_are_counted_per_reason_and_are_not_errors(crawled: Crawled):
    stats = crawled.stats
    assert stats["kronika/skipped/non_html"] == 1  # the PDF
    assert stats["kronika/skipped/robots"] == 1  # /lab/private/ is disallowed
    assert stats["kronika/skipped/offsite"] == 1  # elsewhere.example.net
    assert stats["kronika/skipped/url_rule"] == 1  # deny_urls: /opinion-
    assert stats["kronika/skipped/too_old"] == 1  # the 1999 story
    assert not [p for p in crawled.hits if "private" in p or "opinion-" in p or "from-1999" in p]
    # the only error of the run is the error page; errors are the sum of their causes
    causes = {k: v for k, v in stats.items() if k.startswith("kronika/errors/")}
    assert causes == {"kronika/errors/discovery_empty": 1}
    assert stats["kronika/errors"] == sum(causes.values())
    assert not [k for k in stats if k.startswith("kronika/errors/") and "skip" in k]
    assert crawled.run.status == "succeeded" and not crawled.check_failed, crawled.check_failed
    assert "Traceback" not in crawled.log and "Spider error processing" not in crawled.log
    assert_warcio_check_passes(crawled.env.archive_dir)


def test_lenient_reads_are_counted_as_warnings(crawled: Crawled):
    warned = [c for c in realweb.CASES if c.warning]
    assert crawled.stats["kronika/discovery/warnings"] >= len(warned)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_an_error_with_its_cause(sqlite_env):
    source = NewsSource.model_validate({
        "name": "site-down", "kind": "news", "start_urls": [BASE + "/herald/rss.xml", BASE + "/vistnyk/"],
        "allowed_domains": ["mirror.kronika.test"], "download_delay": 0, "allow_private_networks": True,
        "proxy": f"http://127.0.0.1:{_closed_port()}"})
    stats = crawl(source, sqlite_env).stats
    assert stats["kronika/errors/connection_refused"] == 2
    assert stats["kronika/errors"] == 2
    assert not [k for k in stats if k.startswith("kronika/skipped/")]


# ---- Telegram as Telegram serves it

def _channel_run(env: Environment, mirror: MirrorServer, channel: str, **fields):
    source = TelegramSource.model_validate({
        "name": channel.replace("_", "-"), "kind": "telegram", "channel": channel,
        "mirror": BASE + realweb.TELEGRAM_PREFIX, "download_delay": 0, "allow_private_networks": True,
        "proxy": mirror.url, "throttle_delay": 0.2} | fields)
    result = run_source(source, env)
    log = "\n".join(p.read_text(encoding="utf-8") for p in (env.archive_dir / source.name / "logs").glob("*.log"))
    with unit_of_work(open_database(env.database_url)) as session:
        posts = {p.post_id: p for p in session.scalars(select(TelegramPost).where(TelegramPost.channel == channel))}
        session.expunge_all()
    return result, posts, log


def test_a_throttled_page_is_asked_again_and_its_posts_are_kept(sqlite_env, mirror):
    result, posts, log = _channel_run(sqlite_env, mirror, realweb.TG_THROTTLED_ONCE)
    older = f"{realweb.TELEGRAM_PREFIX}{realweb.TG_THROTTLED_ONCE}?before=31"
    assert mirror.hits[older] == 3  # twice "No posts found", then the page
    assert sorted(posts) == [28, 29, 30, 31, 32, 33]
    stats = result.crawl.stats
    assert stats["kronika/telegram/throttle_retries"] == 2
    assert "kronika/telegram/throttled" not in stats and stats.get("kronika/errors", 0) == 0
    assert "kronika/telegram/empty_pages" not in stats and "MARKUP CHANGED" not in log
    # every attempt is archived
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        attempts = session.scalars(select(Capture).where(Capture.url == BASE + older)).all()
    assert len(attempts) == 3
    assert result.check.failed == []


def test_persistent_throttling_is_counted_as_throttling_not_as_a_markup_change(sqlite_env, mirror):
    result, posts, log = _channel_run(sqlite_env, mirror, realweb.TG_THROTTLED_ALWAYS, throttle_retries=2)
    stats = result.crawl.stats
    assert sorted(posts) == [21, 22, 23]  # the first page's posts are kept
    assert mirror.hits[f"{realweb.TELEGRAM_PREFIX}{realweb.TG_THROTTLED_ALWAYS}?before=21"] == 3
    assert stats["kronika/telegram/throttled"] == 1
    assert stats["kronika/errors/throttled"] == 1 and stats["kronika/errors"] == 1
    assert "kronika/telegram/empty_pages" not in stats and "MARKUP CHANGED" not in log
    assert "THROTTLED" in log
    assert result.extract.counts.get("telegram_empty_pages", 0) == 0


def test_a_channel_without_posts_is_neither_throttling_nor_a_markup_change(sqlite_env, mirror):
    result, posts, log = _channel_run(sqlite_env, mirror, realweb.TG_EMPTY)
    stats = result.crawl.stats
    assert posts == {}
    assert stats["kronika/telegram/no_posts_found"] == 1
    assert stats.get("kronika/errors", 0) == 0 and "kronika/telegram/throttled" not in stats


def test_voice_sticker_location_and_a_link_preview_video_are_stored(any_env, mirror):
    result, posts, log = _channel_run(any_env, mirror, realweb.TG_MEDIA)
    assert sorted(posts) == [201, 202, 203, 204]
    assert posts[201].voice == {"url": "https://cdn.example.invalid/file/voice-201.ogg", "duration": "0:37"}
    assert posts[202].sticker == {"image": "https://cdn.example.invalid/file/sticker-202.webp", "emoji": "🙏"}
    assert posts[203].location["latitude"] == 48.4647 and posts[203].location["longitude"] == 35.0462
    # a post made only of one of these is not an empty post: its content is in its version hash
    assert len({posts[n].text_hash for n in (201, 202, 203)}) == 3
    # the video in the link preview belongs to the preview, not to the post
    preview = posts[204].link_preview
    assert preview["video"] == "https://cdn.example.invalid/file/preview-video-204.mp4"
    assert preview["title"] == "Clip of the bridge"
    assert posts[204].media == []
    assert result.crawl.stats.get("kronika/telegram/warnings", 0) == 0
