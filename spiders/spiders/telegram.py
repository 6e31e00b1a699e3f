"""The Telegram spider: a channel's public web preview (`t.me/s/<channel>`), newest page first.

It walks older pages through `?before=<id>` until it reaches `stop_at_post_id` (the newest post
already stored, less an overlap window, chosen by the crawl step) or `max_pages`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from kronika.spiders.parsers.telegram import parse_channel_page


class TelegramSpider(scrapy.Spider):
    name = "telegram"

    def __init__(self, channel: str, channel_url: str, allowed_domains: list[str],
                 stop_at_post_id: int | None = None, max_pages: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.channel = channel
        self.channel_url = channel_url
        self.allowed_domains = list(allowed_domains)
        self.stop_at_post_id = int(stop_at_post_id) if stop_at_post_id is not None else None
        self.max_pages = int(max_pages)

    async def start(self):
        yield self._page_request(self.channel_url, 1)

    def _page_request(self, url: str, page_number: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                              meta={"kronika_role": "channel", "kronika_page": page_number})

    def parse_page(self, response):
        stats = self.crawler.stats
        if response.status != 200 or "/s/" not in urlsplit(response.url).path:
            stats.inc_value("kronika/errors")
            self.logger.error("channel %s: no public preview at %s (status %s, ended at %s); "
                              "the channel may not exist or has its preview disabled",
                              self.channel, self.channel_url, response.status, response.url)
            return
        page = parse_channel_page(response.body, response.url)
        stats.inc_value("kronika/telegram/pages")
        stats.inc_value("kronika/telegram/posts_seen", len(page.posts))
        for warning in page.warnings:
            stats.inc_value("kronika/telegram/warnings")
            self.logger.warning("channel %s page %s: %s", self.channel, response.url, warning)
        if not page.posts:
            stats.inc_value("kronika/telegram/empty_pages")
            return
        oldest = min(post.post_id for post in page.posts)
        reached_known = self.stop_at_post_id is not None and oldest <= self.stop_at_post_id
        page_number = response.meta.get("kronika_page", 1)
        if page.before and not reached_known and page_number < self.max_pages:
            yield self._page_request(f"{self.channel_url}?before={page.before}", page_number + 1)

    def on_error(self, failure):
        self.crawler.stats.inc_value("kronika/errors")
        self.logger.error("%s: %s", failure.request.url, failure.getErrorMessage())
