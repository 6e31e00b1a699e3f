"""Keep crawls off private networks unless a source allows them (KRONIKA_ALLOW_PRIVATE_NETWORKS).

Checked twice: before a request goes out (IP literals and resolved host names) and on the address
the response actually came from, which a DNS answer changed between the two cannot hide. It sits
outside the recorder, so a refused response is never archived or parsed.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

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

    def process_response(self, request, response, spider=None):
        if not self.allow_private and response.ip_address is not None:
            if not is_public_address(str(response.ip_address)):
                self._refuse(response.url, str(response.ip_address))
        return response
