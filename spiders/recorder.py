"""The WARC recorder: a downloader middleware next to the download handler.

It sits at the highest downloader-middleware priority, so on the way back it is the first to see
each response: before HttpCompressionMiddleware decompresses the body, before redirects and
retries are acted on (so every hop and every retried attempt is archived). Nothing downstream
parses a response that has not been written to WARC first.

Configured by settings (the crawl step fills them):
  KRONIKA_WARC_DIR, KRONIKA_WARC_PREFIX, KRONIKA_WARC_MAX_SIZE, KRONIKA_WARCINFO (dict),
  KRONIKA_DEDUP_FILE (JSON {url: [payload_digest, iso_date]} of earlier captures, for revisits),
  KRONIKA_SECRET_HEADERS (more request header names to redact), KRONIKA_ARCHIVE_SECRETS (keep them).

Secrets stay out of the archive: the values of Cookie, Authorization, Proxy-Authorization and the
source's configured headers are written as "[redacted]" in request records (the name is kept, so
a reader sees that one was sent), unless the source sets `archive_secrets: true`.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from http.client import responses as REASONS
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from kronika.storage.warc.writer import HttpExchange, Revisit, RollingWarcWriter, payload_digest

logger = logging.getLogger(__name__)


REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


def redact(headers: list[tuple[str, str]], secret_names: frozenset[str]) -> list[tuple[str, str]]:
    """The headers with the values of `secret_names` (lower-case) replaced by REDACTED."""
    return [(name, REDACTED if name.lower() in secret_names else value) for name, value in headers]


def _headers(scrapy_headers) -> list[tuple[str, str]]:
    # latin-1: byte for byte, whatever the server sent
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in scrapy_headers.items() for value in values]


class WarcRecorderMiddleware:
    def __init__(self, crawler, writer: RollingWarcWriter, dedup: dict[str, tuple[str, datetime]]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer = writer
        self.dedup = dedup
        settings = crawler.settings
        self.secret_names = frozenset() if settings.getbool("KRONIKA_ARCHIVE_SECRETS", False) else (
            SECRET_HEADERS | {n.lower() for n in settings.getlist("KRONIKA_SECRET_HEADERS")})

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
        request_headers = redact(_headers(request.headers), self.secret_names)
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
        try:
            written = self.writer.write_exchange(exchange, revisit=revisit, metadata=metadata, digest=digest)
        except OSError as exc:
            # a full or failing disk is not one bad page: nothing more can be archived, so stop
            # (and never hand the spider a response that is not in the WARC file)
            self._stop_on_write_error(exc)
            raise IgnoreRequest(f"not archived: {exc}") from None
        if revisit is None and response.status == 200:
            self.dedup[url] = (digest, now)
        self.stats.inc_value("kronika/warc/records_response" if revisit is None else "kronika/warc/records_revisit")
        self.stats.inc_value("kronika/warc/bytes_archived", len(response.body))
        # tell the spider where its bytes are, for logs and for tests
        request.meta["kronika_warc"] = {"path": written.path.name, "offset": written.offset}
        return response

    def _stop_on_write_error(self, exc: OSError) -> None:
        if self.stats.get_value("kronika/warc/write_error"):
            return  # responses already in flight: the crawl is stopping
        self.stats.set_value("kronika/warc/write_error", f"cannot write the WARC file: {exc}")
        logger.error("cannot write the WARC file (%s): stopping the crawl", exc)
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="warc_write_failed"))
        else:
            engine.close_spider(self.crawler.spider, "warc_write_failed")

    def spider_closed(self, spider, reason):
        try:
            self.writer.close()
        except OSError as exc:  # the file stays `.open`; the next crawl of the source repairs it
            logger.error("cannot close the WARC file: %s", exc)
            if not self.stats.get_value("kronika/warc/write_error"):
                self.stats.set_value("kronika/warc/write_error", f"cannot close the WARC file: {exc}")
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
