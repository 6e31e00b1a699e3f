"""The news spider: from feeds, sitemaps and listing pages to article pages.

It only decides what to fetch. Every response is archived by the recorder on its way in, and
articles are extracted later from the WARC records, so `parse_article` stores nothing itself.
"""
from __future__ import annotations

import scrapy

from kronika.spiders.parsers.discovery import parse_discovery


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, start_urls: list[str], allowed_domains: list[str], max_depth: int = 1,
                 max_pages: int = 500, recapture_urls: list[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = list(start_urls)
        self.allowed_domains = list(allowed_domains)
        self.max_depth = int(max_depth)
        self.max_pages = int(max_pages)
        self.recapture_urls = list(recapture_urls or [])
        self.articles_scheduled = 0

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_discovery, errback=self.on_error,
                                 meta={"kronika_role": "discovery", "kronika_depth": 0})
        for url in self.recapture_urls:
            yield self._article_request(url)

    def _article_request(self, url: str) -> scrapy.Request | None:
        if self.articles_scheduled >= self.max_pages:
            self.crawler.stats.inc_value("kronika/articles_over_limit")
            return None
        self.articles_scheduled += 1
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta={"kronika_role": "article"})

    def parse_discovery(self, response):
        stats = self.crawler.stats
        if response.status != 200:
            stats.inc_value("kronika/errors")
            self.logger.error("discovery page %s answered %s", response.url, response.status)
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        result = parse_discovery(response.body, response.url, content_type, self.allowed_domains)
        stats.inc_value(f"kronika/discovery/{result.kind}")
        for error in result.errors:
            stats.inc_value("kronika/errors")
            self.logger.error("discovery page %s: %s", response.url, error)
        for entry in result.entries:
            request = self._article_request(entry.url)
            if request is not None:
                yield request
        depth = response.meta.get("kronika_depth", 0)
        if depth < self.max_depth:
            for url in result.follow:
                yield scrapy.Request(url, callback=self.parse_discovery, errback=self.on_error,
                                     meta={"kronika_role": "discovery", "kronika_depth": depth + 1})

    def parse_article(self, response):
        self.crawler.stats.inc_value(f"kronika/article_status/{response.status}")

    def on_error(self, failure):
        self.crawler.stats.inc_value("kronika/errors")
        self.logger.error("%s: %s", failure.request.url, failure.getErrorMessage())
