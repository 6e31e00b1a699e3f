"""The WARC recorder: a downloader middleware next to the download handler.

It sits at the highest downloader-middleware priority, so on the way back it is the first to see
each response: before HttpCompressionMiddleware decompresses the body, before redirects and
retries are acted on (so every hop and every retried attempt is archived). Nothing downstream
parses a response that has not been written to WARC first.

Configured by settings (the crawl step fills them):
  KRONIKA_WARC_DIR, KRONIKA_WARC_PREFIX, KRONIKA_WARC_MAX_SIZE, KRONIKA_WARCINFO (dict),
  KRONIKA_DEDUP_FILE (JSON {url: [payload_digest, iso_date]} of earlier captures, for revisits).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from http.client import responses as REASONS
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from kronika.storage.warc.writer import HttpExchange, Revisit, RollingWarcWriter, payload_digest

logger = logging.getLogger(__name__)


def _headers(scrapy_headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in scrapy_headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcRecorderMiddleware:
    def __init__(self, crawler, writer: RollingWarcWriter, dedup: dict[str, tuple[str, datetime]]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer = writer
        self.dedup = dedup

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        directory = settings.get("KRONIKA_WARC_DIR")
        if not directory:
            raise NotConfigured("KRONIKA_WARC_DIR is not set")
        writer = RollingWarcWriter(
            Path(directory),
            prefix=settings.get("KRONIKA_WARC_PREFIX", "kronika"),
            warcinfo=_warcinfo(settings),
            max_size=settings.getint("KRONIKA_WARC_MAX_SIZE", 1_000_000_000),
        )
        middleware = cls(crawler, writer, _load_dedup(settings.get("KRONIKA_DEDUP_FILE")))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request, response, spider=None):
        url = response.url
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _headers(request.headers)
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        now = datetime.now(timezone.utc)
        exchange = HttpExchange(
            url=url,
            method=request.method,
            request_target=target,
            request_headers=request_headers,
            request_body=request.body or b"",
            status=response.status,
            reason=REASONS.get(response.status, ""),
            protocol=response.protocol or "HTTP/1.1",
            response_headers=_headers(response.headers),
            response_body=response.body,
            captured_at=now,
            # through a proxy the peer is the proxy, not the server: leave the address out
            ip_address=str(response.ip_address) if response.ip_address and "proxy" not in request.meta else None,
        )
        revisit = None
        digest = payload_digest(response.body)
        earlier = self.dedup.get(url)
        if earlier and earlier[0] == digest and response.status == 200:
            revisit = Revisit(refers_to_url=url, refers_to_date=earlier[1])
        role = request.meta.get("kronika_role") or ("robots" if parts.path == "/robots.txt" else "other")
        metadata = {"kronikaRole": role, "fetchTimeMs": str(int(request.meta.get("download_latency", 0) * 1000))}
        # the URL as it was found (before canonicalisation or redirects), kept beside the capture
        redirects = request.meta.get("redirect_urls") or []
        original = request.meta.get("kronika_found_url") or (redirects[0] if redirects else None)
        if original and original != url:
            metadata["kronikaOriginalUrl"] = original
        via = request.headers.get("Referer")
        if via:
            metadata["via"] = via.decode("latin-1")
        written = self.writer.write_exchange(exchange, revisit=revisit, metadata=metadata, digest=digest)
        if revisit is None and response.status == 200:
            self.dedup[url] = (digest, now)
        self.stats.inc_value("kronika/warc/records_response" if revisit is None else "kronika/warc/records_revisit")
        self.stats.inc_value("kronika/warc/bytes_archived", len(response.body))
        # tell the spider where its bytes are, for logs and for tests
        request.meta["kronika_warc"] = {"path": written.path.name, "offset": written.offset}
        return response

    def spider_closed(self, spider, reason):
        self.writer.close()
        self.stats.set_value("kronika/warc/files", [p.name for p in self.writer.closed_files])


def _warcinfo(settings) -> dict[str, str]:
    """The crawl step's fields, plus what the recorder itself knows: the HTTP client and the collection."""
    import scrapy
    import twisted

    fields = {k: str(v) for k, v in (settings.getdict("KRONIKA_WARCINFO") or {}).items()}
    fields.setdefault("http-client", f"Scrapy/{scrapy.__version__} Twisted/{twisted.__version__}")
    if "kronika-source" in fields:
        # IIPC/Heritrix name for the collection a file belongs to (here: the source)
        fields.setdefault("isPartOf", fields["kronika-source"])
    return fields


def _load_dedup(path: str | None) -> dict[str, tuple[str, datetime]]:
    if not path or not Path(path).exists():
        return {}
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {url: (digest, datetime.fromisoformat(date)) for url, (digest, date) in raw.items()}
