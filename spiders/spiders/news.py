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
from datetime import datetime, timedelta

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload

from kronika.spiders.article_filter import skip_reason
from kronika.spiders.outcomes import count_error, count_failure, count_skip
from kronika.spiders.parsers.discovery import parse_discovery
from kronika.spiders.urls import canonicalize_url

# What an article page may be served as; anything else is dropped after its headers, unless the
# source sets fetch_non_html. No Content-Type at all is let through (the body is sniffed later).
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _content_type(headers) -> str:
    return headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()


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
            reason = skip_reason(url, published_at, self.allow, self.deny, self.max_age)
            if reason:
                count_skip(stats, reason)
                return None
        if self.articles_scheduled >= self.max_pages:
            count_skip(stats, "max_pages")
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
            count_error(stats, "http_5xx" if response.status >= 500 else "discovery_status")
            self.logger.error("discovery page %s answered %s", response.url, response.status)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        result = parse_discovery(response.body, response.url, content_type, self.allowed_domains)
        stats.inc_value(f"kronika/discovery/{result.kind}")
        for warning in result.warnings:
            # read leniently: the page counted, what was wrong with it is counted too
            stats.inc_value("kronika/discovery/warnings")
            self.logger.warning("discovery page %s: %s", response.url, warning)
        for error in result.errors:
            count_error(stats, "discovery_parse")
            self.logger.error("discovery page %s: %s", response.url, error)
        if result.offsite:
            count_skip(stats, "offsite", result.offsite)
        if not result.errors and result.kind == "html" and not result.entries and not result.follow:
            # a "listing" without one article link or next page: an error page served with 200, a
            # login wall, a page built by scripts; the outlet's news did not reach us
            count_error(stats, "discovery_empty")
            self.logger.error("discovery page %s: an HTML page with no article links and no next page",
                              response.url)
        for entry in result.entries:
            request = self._article_request(entry.url, entry.published_at or entry.modified_at)
            if request is not None:
                yield request
        depth = response.meta.get("kronika_depth", 0)
        if depth < self.max_depth:
            for url in result.follow:
                yield scrapy.Request(canonicalize_url(url), callback=self.parse_discovery,
                                     errback=self.on_error,
                                     meta={"kronika_role": "discovery", "kronika_depth": depth + 1})

    def parse_article(self, response):
        # the final response of any redirects: every decision about the article is taken here
        stats = self.crawler.stats
        stats.inc_value(f"kronika/article_status/{response.status}")
        if response.status >= 500:
            count_error(stats, "http_5xx")
            self.logger.error("article %s answered %s after retries", response.url, response.status)
        elif response.status == 429:
            count_error(stats, "http_429")
            self.logger.error("article %s answered %s after retries", response.url, response.status)
        elif 300 <= response.status < 400:
            # a redirect that could not be followed (no Location): nothing arrived
            count_error(stats, "bad_redirect")
            self.logger.error("article %s answered %s without a usable Location", response.url, response.status)
        elif not self.fetch_non_html and (kind := _content_type(response.headers)) and kind not in HTML_TYPES:
            # (a response the header check let through, e.g. one with a Location but no redirect status)
            count_skip(stats, "non_html")
            self.logger.info("skipped %s: %s is not HTML (set fetch_non_html to keep it)", response.url, kind)

    # ---- politeness and safety

    def on_headers(self, headers, body_length, request, spider):
        """Drop a non-HTML article response before its body is downloaded (and so archived).

        Redirects pass whatever they are served as (a 301 often says text/plain or nothing at all):
        only the final response of a chain is judged. The signal carries no status, so a redirect
        is told by its Location header.
        """
        if self.fetch_non_html or request.meta.get("kronika_role") != "article":
            return
        if headers.get(b"Location"):
            return
        content_type = _content_type(headers)
        if content_type and content_type not in HTML_TYPES:
            self.logger.info("skipped %s: %s is not HTML (set fetch_non_html to keep it)",
                             request.url, content_type)
            raise StopDownload(fail=True)  # counted as a skip (non_html) in on_error

    def on_error(self, failure):
        kind, word = count_failure(self.crawler.stats, failure.value)
        if kind == "skip":
            self.logger.info("skipped %s (%s): %s", failure.request.url, word, failure.getErrorMessage())
        else:
            self.logger.error("%s (%s): %s", failure.request.url, word, failure.getErrorMessage())
