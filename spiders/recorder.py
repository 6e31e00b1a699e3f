"""The WARC recorder: a downloader middleware next to the download handler.

It sits at the highest downloader-middleware priority, so on the way back it is the first to see
each response: before HttpCompressionMiddleware decompresses the body, before redirects and
retries are acted on (so every hop and every retried attempt is archived). Nothing downstream
parses a response that has not been written to WARC first: the records are made and written by a
writer process on another core (kronika.storage.warc.writer_process), and the response goes on
when it answers.

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
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future

from kronika.spiders.warc_channel import ArchivingFailed, WriterProcess
from kronika.storage.warc.writer import REDACTED, SECRET_HEADERS, Revisit, payload_digest, redact
from kronika.storage.warc.writer_process import Fetched

__all__ = ["REDACTED", "SECRET_HEADERS", "WarcRecorderMiddleware", "redact"]

logger = logging.getLogger(__name__)


class WarcRecorderMiddleware:
    def __init__(self, crawler, writer: WriterProcess, dedup: dict[str, tuple[str, datetime]]):
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
        secret_names = frozenset() if settings.getbool("KRONIKA_ARCHIVE_SECRETS", False) else (
            SECRET_HEADERS | {n.lower() for n in settings.getlist("KRONIKA_SECRET_HEADERS")})
        writer = WriterProcess(
            Path(directory),
            prefix=settings.get("KRONIKA_WARC_PREFIX", "kronika"),
            warcinfo=_warcinfo(settings),
            max_size=settings.getint("KRONIKA_WARC_MAX_SIZE", 1_000_000_000),
            secret_names=secret_names,
        )
        middleware = cls(crawler, writer, _load_dedup(settings.get("KRONIKA_DEDUP_FILE")))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def process_response(self, request, response, spider=None):
        # only what the crawler has at hand: decoding, redaction and the records are the writer's work
        url = response.url
        now = datetime.now(timezone.utc)
        meta = request.meta
        redirects = meta.get("redirect_urls")
        fetched = Fetched(
            url=url, method=request.method, request_headers=dict(request.headers), request_body=request.body or b"",
            status=response.status, protocol=response.protocol, response_headers=dict(response.headers),
            response_body=response.body, captured_at=now,
            # through a proxy the peer is the proxy, not the server: leave the address out
            ip_address=str(response.ip_address) if response.ip_address and "proxy" not in meta else None,
            role=meta.get("kronika_role"), fetch_ms=int(meta.get("download_latency", 0) * 1000),
            # the URL as it was found (before canonicalisation or redirects), kept beside the capture
            found_url=meta.get("kronika_found_url") or (redirects[0] if redirects else None))
        revisit = None
        digest = None  # the writer process digests the body, unless a revisit decision needs it here
        earlier = self.dedup.get(url)
        if earlier and response.status == 200:
            digest = payload_digest(response.body)
            if earlier[0] == digest:
                revisit = Revisit(refers_to_url=url, refers_to_date=earlier[1])
        try:
            written = await maybe_deferred_to_future(self.writer.write(fetched, revisit=revisit, digest=digest))
        except OSError as exc:
            # a full or failing disk is not one bad page: nothing more can be archived, so stop
            # (and never hand the spider a response that is not in the WARC file)
            self._stop_on_write_error(exc)
            raise IgnoreRequest(f"not archived: {exc}") from None
        except ArchivingFailed as exc:  # this page only (nothing of it written): the crawl goes on without it
            logger.error("cannot archive %s: %s", url, exc)
            self.stats.inc_value("kronika/warc/archiving_failed")
            raise IgnoreRequest(f"not archived: {exc}") from None
        if revisit is None and response.status == 200:
            self.dedup[url] = (written.payload_digest, now)
        self.stats.inc_value("kronika/warc/records_response" if revisit is None else "kronika/warc/records_revisit")
        self.stats.inc_value("kronika/warc/bytes_archived", len(response.body))
        # tell the spider where its bytes are, for logs and for tests
        meta["kronika_warc"] = {"path": written.file_name, "offset": written.offset}
        return response

    def _stop_on_write_error(self, exc: OSError) -> None:
        if self.stats.get_value("kronika/warc/write_error"):
            return  # responses already in flight: the crawl is stopping
        self.stats.set_value("kronika/warc/write_error", f"cannot write the WARC file: {exc}")
        logger.error("cannot write the WARC file (%s): stopping the crawl", exc)
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            deferred_from_coro(engine.close_spider_async(reason="warc_write_failed"))
        else:
            engine.close_spider(self.crawler.spider, "warc_write_failed")

    def spider_closed(self, spider, reason):
        return deferred_from_coro(self._close())

    async def _close(self) -> None:
        try:
            error = await maybe_deferred_to_future(self.writer.close())
        except OSError as exc:  # the writer process is gone: what it wrote stays `.open`, for repair
            error = str(exc)
        if error:  # the file stays `.open`; the next crawl of the source repairs it
            logger.error("cannot close the WARC file: %s", error)
            if not self.stats.get_value("kronika/warc/write_error"):
                self.stats.set_value("kronika/warc/write_error", f"cannot close the WARC file: {error}")
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
