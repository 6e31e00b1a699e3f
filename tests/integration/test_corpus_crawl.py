"""A real crawl over markup nobody here wrote: the real-world corpus (`make corpus`), served on loopback.

The mirror's `/realweb/corpus/` serves the downloaded files as they are. One news run reads the
corpus's real feeds and sitemaps (their links lead to other sites: skipped as off-site, never
errors) and a listing of newspaper4k's saved news pages, which are fetched, archived and extracted
into articles; one Telegram run reads teleglance's t.me/s page.
"""
from __future__ import annotations

from sqlalchemy import select

from kronika.mirror import realweb
from kronika.mirror.server import VIRTUAL_BASE_URL, MirrorServer
from kronika.settings import NewsSource, TelegramSource
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, TelegramPost
from tests.corpus import corpus
from tests.integration.helpers import assert_warcio_check_passes

BASE = VIRTUAL_BASE_URL + realweb.CORPUS_PREFIX


def test_a_real_crawl_over_the_corpus(sqlite_env, monkeypatch):
    data = corpus()
    monkeypatch.setattr(realweb, "CORPUS_DIR", data)
    discovery = ["feeds/trafilatura/feed2.rss", "feeds/trafilatura/feed1.atom", "sitemaps/trafilatura/sitemap.xml",
                 "sitemaps/trafilatura/sitemap.xml.gz", "sitemaps/trafilatura/sitemap2.xml"]
    pages = sorted(p.name for p in (data / "articles/newspaper4k").glob("*.html"))
    with MirrorServer(port=0) as mirror:
        news = NewsSource.model_validate({
            "name": "corpus-news", "kind": "news",
            "start_urls": [BASE + "articles/newspaper4k/", *(BASE + p for p in discovery)],
            "allowed_domains": ["mirror.kronika.test"], "download_delay": 0, "concurrent_requests_per_domain": 8,
            "allow_private_networks": True, "proxy": mirror.url, "max_pages": 100})
        result = run_source(news, sqlite_env)
        channel = TelegramSource.model_validate({
            "name": "corpus-channel", "kind": "telegram", "channel": "feed_page",
            "mirror": BASE + "telegram/teleglance/", "download_delay": 0, "allow_private_networks": True,
            "proxy": mirror.url})
        telegram = run_source(channel, sqlite_env)
    stats = result.crawl.stats
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        articles = {a.url: a for a in session.scalars(select(Article))}
        posts = {p.post_id: p for p in session.scalars(select(TelegramPost))}
        session.expunge_all()
    # every saved news page became an article with a title and text
    # except: two pages whose rel=canonical is the bare id "8003098" (resolved on the same site, it
    # is their identity: one article), a meta-refresh redirect page and an RSS file named .html
    missing = {n for n in pages if BASE + "articles/newspaper4k/" + n not in articles}
    assert missing == {"cleveland.com1.html", "video_article_01.html", "google_meta_refresh.html", "sample_rss.html"}
    assert BASE + "articles/newspaper4k/8003098" in articles
    for name in set(pages) - missing:
        url = BASE + "articles/newspaper4k/" + name
        assert articles[url].title and articles[url].text, name
    # the real feeds and sitemaps were read; their links (other sites) are skips, not errors
    assert stats["kronika/discovery/sitemap"] == 2 and stats["kronika/discovery/sitemapindex"] == 1
    assert stats["kronika/discovery/rss"] == 1 and stats["kronika/discovery/atom"] == 1
    assert stats["kronika/skipped/offsite"] >= 84
    assert stats.get("kronika/errors", 0) == 0, {k: v for k, v in stats.items() if "errors" in k}
    assert result.check.failed == []
    # the t.me/s page: every dated post stored, the voice message and the sticker as fields
    assert sorted(posts) == [101, 102, 103, 104, 105, 106, 107, 108, 110]
    assert posts[104].voice["url"].endswith("voice104.ogg") and posts[108].sticker["emoji"] == "🎉"
    assert telegram.crawl.stats.get("kronika/errors", 0) == 0
    assert_warcio_check_passes(sqlite_env.archive_dir)
