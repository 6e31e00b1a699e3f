"""Back off when a server says so: 429 and 503 honour `Retry-After`, with a capped back-off.

A downloader middleware in the shape of Scrapy's RetryMiddleware, placed just outside it so it
sees these two statuses first (the recorder, nearer the download handler, has already archived
the refused attempt). It does not sleep: it raises the delay of the request's download slot (the
site), so every request to that site waits, then reschedules the request. The slot gets its own
delay back after the next response that is not a refusal. Other 5xx are left to RetryMiddleware.

Settings: RETRY_AFTER_ENABLED (True), RETRY_AFTER_HTTP_CODES ([429, 503]), RETRY_AFTER_MAX_TIMES
(3 attempts after the first), RETRY_AFTER_MAX_DELAY (seconds, 300: a longer Retry-After is capped,
and the request is retried then), RETRY_AFTER_BASE_DELAY (seconds, 5: a 429 without a Retry-After
header waits base * 2**attempt, capped too; a 503 without one is left to RetryMiddleware).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler, codes: set[int], max_times: int, max_delay: float, base_delay: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.codes = codes
        self.max_times = max_times
        self.max_delay = max_delay
        self.base_delay = base_delay
        # slot key -> (delay, jitter) it had before we raised it, and how many retries are pending
        self._saved: dict[str, tuple[float, float]] = {}
        self._pending: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_AFTER_ENABLED", True):
            raise NotConfigured
        return cls(crawler,
                   codes={int(c) for c in settings.getlist("RETRY_AFTER_HTTP_CODES", [429, 503])},
                   max_times=settings.getint("RETRY_AFTER_MAX_TIMES", 3),
                   max_delay=settings.getfloat("RETRY_AFTER_MAX_DELAY", 300.0),
                   base_delay=settings.getfloat("RETRY_AFTER_BASE_DELAY", 5.0))

    def _slot(self, request):
        downloader = getattr(self.crawler.engine, "downloader", None)
        key = request.meta.get("download_slot")
        if downloader is None or key is None:
            return None, None
        return key, downloader.slots.get(key)

    def _settle(self, key, slot) -> None:
        """A retried request is done: when none is left waiting, the slot gets its own pace back."""
        self._pending[key] = self._pending.get(key, 1) - 1
        if self._pending[key] <= 0:
            self._pending.pop(key, None)
            saved = self._saved.pop(key, None)
            if saved is not None and slot is not None:
                slot.delay, slot.jitter = saved

    def process_response(self, request, response, spider=None):
        key, slot = self._slot(request)
        retried = "retry_after_times" in request.meta
        stated = parse_retry_after(response.headers.get("Retry-After"))
        if (response.status not in self.codes or request.meta.get("dont_retry")
                or (stated is None and response.status != 429)):
            # (a plain 503 is left to RetryMiddleware: quick retries fit an overloaded moment)
            if retried:
                self._settle(key, slot)
            return response
        attempt = request.meta.get("retry_after_times", 0) + 1
        if attempt > self.max_times:
            self.stats.inc_value("kronika/retry_after/gave_up")
            logger.error("gave up on %s after %d answers of %d", request.url, attempt, response.status)
            request.meta["dont_retry"] = True  # RetryMiddleware must not start over
            self._settle(key, slot)
            return response
        if not retried:
            self._pending[key] = self._pending.get(key, 0) + 1
        wait = stated if stated is not None else self.base_delay * 2 ** (attempt - 1)
        if wait > self.max_delay:
            self.stats.inc_value("kronika/retry_after/capped")
            wait = self.max_delay
        if slot is not None:
            self._saved.setdefault(key, (slot.delay, slot.jitter))
            # no jitter while backing off: a random 0.5x would come back before the server said
            slot.delay, slot.jitter = max(self._saved[key][0], wait), 0.0
        self.stats.inc_value("kronika/retry_after/count")
        self.stats.inc_value(f"kronika/retry_after/status/{response.status}")
        self.stats.max_value("kronika/retry_after/max_delay", wait)
        logger.info("%s answered %d (Retry-After %s): waiting %.1fs, attempt %d of %d", request.url,
                    response.status, stated, wait, attempt, self.max_times)
        retry = request.copy()
        retry.meta["retry_after_times"] = attempt
        retry.meta["retry_after_delay"] = wait
        retry.dont_filter = True
        retry.priority = request.priority - 1
        return retry
