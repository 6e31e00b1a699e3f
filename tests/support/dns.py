"""A Scrapy DNS resolver for tests: names in the KRONIKA_TEST_HOSTS setting resolve as told.

It lets a test make a public-looking host name point at 127.0.0.1 (a DNS answer the network
guard must not trust) without touching the machine's resolver.
"""
from __future__ import annotations

from twisted.internet import defer

from kronika.spiders.netguard import GuardedResolver


class FixedHostsResolver(GuardedResolver):
    """The production resolver (guard included) with some names answered from the test's table."""

    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.hosts = crawler.settings.getdict("KRONIKA_TEST_HOSTS")
        return resolver

    def _look_up(self, name, timeout):
        if name in self.hosts:
            return defer.succeed(self.hosts[name])
        return super()._look_up(name, timeout)
