"""Send every request of a crawl through the source's HTTP proxy (setting KRONIKA_PROXY).

Scrapy's HttpProxyMiddleware honours `request.meta["proxy"]` but takes a crawl-wide proxy only
from environment variables; this sets the meta on every request, robots.txt fetches included,
just before that middleware runs.
"""
from __future__ import annotations


class SourceProxyMiddleware:
    def __init__(self, proxy: str | None):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("KRONIKA_PROXY") or None)

    def process_request(self, request, spider=None):
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None
