"""What became of a request that produced no page: a skip (by rule) or an error (by failure).

Operators read a run's health from these counts, so the line between the two is drawn once, here:

- a *skip* is the crawler doing what it was told: robots.txt, the source's allow/deny rules, a link
  to another site or to a private address, a final response that is not HTML, an entry older than
  `max_article_age`, the `max_pages` budget. Counted as `kronika/skipped/<reason>`, never an error.
- an *error* is something that should have worked and did not: a refused connection, a timeout, a
  name that does not resolve, a TLS failure, a 5xx after retries, a body cut short, a response
  over the size cap, a page that should have parsed and did not. Counted as
  `kronika/errors/<cause>`, with `kronika/errors` their sum.

Causes and reasons are snake_case words; `kronika.runs` (the run summary) reads them.
"""
from __future__ import annotations

import re

from scrapy.exceptions import IgnoreRequest, StopDownload

ERRORS = "kronika/errors"
ERROR_PREFIX = "kronika/errors/"
SKIP_PREFIX = "kronika/skipped/"

# IgnoreRequest messages of Scrapy's and our own middlewares: which rule refused the request
_IGNORED = (
    ("Forbidden by robots.txt", "skip", "robots"),
    ("Filtered offsite request", "skip", "offsite"),
    ("private address", "skip", "private_network"),
    ("max redirections reached", "error", "too_many_redirects"),
    ("exceeded DOWNLOAD_MAXSIZE", "error", "too_large"),
    ("not archived", "error", "archiving_failed"),
)

# exception class names (Scrapy's, Twisted's, OpenSSL's) anywhere in the failure's chain -> cause
_BY_CLASS = (
    (("DownloadConnectionRefusedError", "ConnectionRefusedError"), "connection_refused"),
    (("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeoutError"), "timeout"),
    (("CannotResolveHostError", "DNSLookupError"), "dns"),
    (("SSLError", "SSL.Error", "CertificateError", "VerificationError", "TLSError"), "tls"),
    (("ResponseDataLossError", "_DataLoss", "PotentialDataLoss"), "truncated"),
    (("DownloadCancelledError",), "too_large"),
    (("ConnectionLost", "ConnectionDone", "ConnectionAborted", "ConnectionResetError", "ResponseFailed",
      "ResponseNeverReceived"), "connection_lost"),
    (("UnsupportedURLSchemeError", "NotSupported"), "unsupported_url"),
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.lstrip("_")).lower() or "unknown"


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception, what it wraps (Twisted keeps the reasons of a failed response in `.reasons`)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
        for reason in getattr(current, "reasons", None) or []:
            todo.append(getattr(reason, "value", reason))
    return seen


def _names(exc: BaseException) -> str:
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """("skip", reason) or ("error", cause) for the exception a request failed with."""
    if isinstance(exc, StopDownload):
        return "skip", "non_html"  # the spider stopped it after the headers (see NewsSpider.on_headers)
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        for needle, kind, word in _IGNORED:
            if needle in message:
                return kind, word
        return "error", "ignored"
    chain = _chain(exc)
    for names, cause in _BY_CLASS:
        for link in chain:
            full = _names(link)
            if any(full.endswith(n) or f".{n}" in full or n in type(link).__name__ for n in names):
                return "error", cause
    return "error", _snake(type(exc).__name__)


def count_error(stats, cause: str, n: int = 1) -> None:
    stats.inc_value(ERRORS, n)
    stats.inc_value(ERROR_PREFIX + cause, n)


def count_skip(stats, reason: str, n: int = 1) -> None:
    stats.inc_value(SKIP_PREFIX + reason, n)


def count_failure(stats, exc: BaseException) -> tuple[str, str]:
    """Count a failed request as the skip or error it is; returns what `classify_exception` said."""
    kind, word = classify_exception(exc)
    (count_skip if kind == "skip" else count_error)(stats, word)
    return kind, word
