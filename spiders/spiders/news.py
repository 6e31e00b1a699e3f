"""The news spider: from feeds, sitemaps and listing pages to article pages.

It only decides what to fetch. Every response is archived by the recorder on its way in, and
articles are extracted later from the WARC records, so `parse_article` stores nothing itself.

Before an article is scheduled its URL is canonicalised (tracking parameters, case, port,
fragment) and checked against the source's filters (allow/deny patterns, maximum age, the page
budget). The URL as it was found is kept in the request's meta, and the recorder writes it next to
the capture. Articles due for a recapture come from the crawl step as `recapture_urls`.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload

from kronika.spiders.parsers.discovery import parse_discovery
from kronika.spiders.urls import canonicalize_url, matches_any

# What an article page may be served as; anything else is dropped after its headers, unless the
# source sets fetch_non_html. No Content-Type at all is let through (the body is sniffed later).
HTML_TYPES = ("text/html", "application/xhtml+xml")


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, start_urls: list[str], allowed_domains: list[str], max_depth: int = 1,
                 max_pages: int = 500, recapture_urls: list[str] | None = None,
                 allow_urls: list[str] | None = None, deny_urls: list[str] | None = None,
                 max_article_age_seconds: int | None = None, fetch_non_html: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = list(start_urls)
        self.allowed_domains = list(allowed_domains)
        self.max_depth = int(max_depth)
        self.max_pages = int(max_pages)
        self.recapture_urls = list(recapture_urls or [])
        self.allow = [re.compile(p) for p in allow_urls or []]
        self.deny = [re.compile(p) for p in deny_urls or []]
        self.max_age = timedelta(seconds=int(max_article_age_seconds)) if max_article_age_seconds else None
        self.fetch_non_html = bool(fetch_non_html)
        self.articles_scheduled = 0
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        return spider

    async def start(self):
        # Recaptures first: they are due work, and a feed that lists the same URL then finds it seen.
        for url in self.recapture_urls:
            request = self._article_request(url, recapture=True)
            if request is not None:
                yield request
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_discovery, errback=self.on_error,
                                 meta={"kronika_role": "discovery", "kronika_depth": 0})

    # ---- what to fetch

    def _article_request(self, found_url: str, published_at: datetime | None = None,
                         recapture: bool = False) -> scrapy.Request | None:
        stats = self.crawler.stats
        url = canonicalize_url(found_url)
        if url in self._seen:
            return None
        self._seen.add(url)
        if not recapture:
            if (self.allow and not matches_any(url, self.allow)) or matches_any(url, self.deny):
                stats.inc_value("kronika/filtered/url_pattern")
                return None
            if self.max_age and published_at and published_at < datetime.now(timezone.utc) - self.max_age:
                stats.inc_value("kronika/filtered/too_old")
                return None
        if self.articles_scheduled >= self.max_pages:
            stats.inc_value("kronika/articles_over_limit")
            return None
        self.articles_scheduled += 1
        stats.inc_value("kronika/articles_recaptured" if recapture else "kronika/articles_scheduled")
        if url != found_url:
            stats.inc_value("kronika/urls_canonicalised")
        meta = {"kronika_role": "article", "kronika_found_url": found_url}
        if recapture:
            meta["kronika_recapture"] = True
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, meta=meta,
                              dont_filter=recapture)

    def parse_discovery(self, response):
        stats = self.crawler.stats
        if response.status != 200:
            stats.inc_value("kronika/errors")
            stats.inc_value("kronika/errors/discovery_status")
            self.logger.error("discovery page %s answered %s", response.url, response.status)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        result = parse_discovery(response.body, response.url, content_type, self.allowed_domains)
        stats.inc_value(f"kronika/discovery/{result.kind}")
        for error in result.errors:
            stats.inc_value("kronika/errors")
            stats.inc_value("kronika/errors/discovery_parse")
            self.logger.error("discovery page %s: %s", response.url, error)
        for entry in result.entries:
            request = self._article_request(entry.url, entry.published_at)
            if request is not None:
                yield request
        depth = response.meta.get("kronika_depth", 0)
        if depth < self.max_depth:
            for url in result.follow:
                yield scrapy.Request(canonicalize_url(url), callback=self.parse_discovery,
                                     errback=self.on_error,
                                     meta={"kronika_role": "discovery", "kronika_depth": depth + 1})

    def parse_article(self, response):
        self.crawler.stats.inc_value(f"kronika/article_status/{response.status}")
        if response.status >= 500 or response.status == 429:
            self.crawler.stats.inc_value("kronika/errors")
            self.logger.error("article %s answered %s after retries", response.url, response.status)

    # ---- politeness and safety

    def on_headers(self, headers, body_length, request, spider):
        """Drop a non-HTML article response before its body is downloaded (and so archived)."""
        if self.fetch_non_html or request.meta.get("kronika_role") != "article":
            return
        content_type = headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            self.crawler.stats.inc_value("kronika/skipped_non_html")
            self.logger.info("skipped %s: %s is not HTML (set fetch_non_html to keep it)",
                             request.url, content_type)
            raise StopDownload(fail=True)

    def on_error(self, failure):
        if failure.check(StopDownload):
            return  # a deliberate skip (non-HTML), counted in on_headers
        self.crawler.stats.inc_value("kronika/errors")
        self.crawler.stats.inc_value(f"kronika/errors/{failure.type.__name__}")
        self.logger.error("%s: %s", failure.request.url, failure.getErrorMessage())
