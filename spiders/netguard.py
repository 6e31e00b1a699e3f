"""Keep crawls off private networks unless a source allows them (KRONIKA_ALLOW_PRIVATE_NETWORKS).

Checked three times, each catching what the one before cannot:
- before a request goes out (the middleware): IP literals and host names the system resolves to
  a private address, every redirect hop included (the hop is a new request);
- when the connection is made (`GuardedResolver`, Scrapy's TWISTED_DNS_RESOLVER): the answer the download
  handler actually connects to, so a DNS answer that changed since the first check (rebinding)
  fails the download before a single byte is sent;
- on the response's peer address (the middleware again), which nothing upstream can fake.
The middleware sits outside the recorder, so a refused response is never archived or parsed.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy import exceptions as scrapy_exceptions
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


@lru_cache(maxsize=4096)
def _resolve(host: str) -> tuple[str, ...]:
    try:
        return tuple({info[4][0] for info in socket.getaddrinfo(host, None)})
    except OSError:
        return ()  # let the download fail with its own DNS error


class PrivateAddressRefused(DNSLookupError):
    """A host name resolved to a private address: to Twisted, a name that did not resolve."""


# Twisted's endpoint turns any resolver failure into a DNSLookupError of its own (and Scrapy into
# CannotResolveHostError), so the resolver notes here which names it refused (one crawl per
# process), for the middleware to recognise them
_refused: dict[str, str] = {}
_UNRESOLVED = (DNSLookupError, *(getattr(scrapy_exceptions, name) for name in ("CannotResolveHostError",)
                                 if hasattr(scrapy_exceptions, name)))


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers that are not public addresses."""

    allow_private = True

    @classmethod
    def from_crawler(cls, crawler, reactor):
        # built once per process (one crawl per process), from the process's settings: no stats
        # here, so the middleware counts and logs the refusal when the download fails
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("KRONIKA_ALLOW_PRIVATE_NETWORKS", False)
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's name)
        answer = self._look_up(name, timeout)
        if not self.allow_private:
            answer.addCallback(self._judge, name)
        return answer

    def _look_up(self, name, timeout):
        """The DNS answer, before it is judged (a test resolver answers from its own table here)."""
        return super().getHostByName(name, timeout)

    def _judge(self, address: str, name: str) -> str:
        try:
            public = is_public_address(address)
        except ValueError:
            public = False
        if not public:
            _refused[name] = address
            raise PrivateAddressRefused(f"{name} resolves to {address}")
        return address


class PrivateNetworkGuardMiddleware:
    def __init__(self, allow_private: bool, stats):
        self.allow_private = allow_private
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("KRONIKA_ALLOW_PRIVATE_NETWORKS", False), crawler.stats)

    def _refuse(self, url: str, address: str) -> None:
        self.stats.inc_value("kronika/netguard/refused")
        logger.error("refused %s: %s is not a public address (set allow_private_networks to crawl it)",
                     url, address)
        raise IgnoreRequest(f"private address {address}")

    def process_request(self, request, spider=None):
        if self.allow_private or request.meta.get("proxy"):
            return None  # through a proxy only the proxy's address counts: checked on the response
        host = urlsplit(request.url).hostname or ""
        try:
            addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)
        except ValueError:
            addresses = _resolve(host)
        for address in addresses:
            if not is_public_address(address):
                self._refuse(request.url, address)
        return None

    def process_exception(self, request, exception, spider=None):
        """A download that failed because the resolver refused its host: counted, never retried."""
        if not isinstance(exception, _UNRESOLVED):
            return None
        host = urlsplit(request.meta.get("proxy") or request.url).hostname or ""
        if host in _refused:
            self._refuse(request.url, _refused[host])  # raises IgnoreRequest: RetryMiddleware never sees it
        return None

    def process_response(self, request, response, spider=None):
        if not self.allow_private and response.ip_address is not None:
            if not is_public_address(str(response.ip_address)):
                self._refuse(response.url, str(response.ip_address))
        return response
