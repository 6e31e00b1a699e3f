"""A Scrapy DNS resolver for tests: names in the KRONIKA_TEST_HOSTS setting resolve as told.

It lets a test make a public-looking host name point at 127.0.0.1 (a DNS answer the network
guard must not trust) without touching the machine's resolver.
"""
from __future__ import annotations

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver


class FixedHostsResolver(CachingThreadedResolver):
    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.hosts = crawler.settings.getdict("KRONIKA_TEST_HOSTS")
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's name)
        if name in self.hosts:
            return defer.succeed(self.hosts[name])
        return super().getHostByName(name, timeout)
