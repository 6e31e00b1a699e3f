"""Run statistics: the one place that turns a crawl run's stats into what people and monitors read.

A run's `crawl_runs.stats` are Scrapy's counters plus Kronika's own. Everything that shows or
judges a run (`kronika run`, `kronika status`, the check step, the DAG, the web view, the plots)
reads it through `summarise`, so "pages", "errors" and "skips" mean the same everywhere:

- **pages**: responses received, other than robots.txt files and server errors (5xx, 429);
- **requests**: requests made, each retry of a request not counted again;
- **errors** by cause (`connection_refused`, `timeout`, `dns`, `tls`, `http_5xx`, `truncated`,
  `discovery_parse`, ...): fetches that failed after their retries, and pages that should have
  parsed and did not. The spiders count them as `kronika/errors/<cause>`; robots.txt fetches,
  which Scrapy makes on its own, are added from `robotstxt/exception_count/*`;
- **skips** by reason (`robots`, `url_rule`, `offsite`, `non_html`, `too_old`, `max_pages`, ...):
  what the crawl chose not to fetch, `kronika/skipped/<reason>`. A skip is never an error.

Older spiders wrote other keys (`kronika/errors/<ExceptionClass>`, `kronika/filtered/*`,
`kronika/skipped_non_html`, robots refusals counted as `kronika/errors/IgnoreRequest`); they are
read here too, so runs recorded before and after read alike.

`judge` is the verdict the check step records: a failed run is `failed` in `crawl_runs`, with a
one-line `reason` naming the dominant causes.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    CrawlRun,
    Source,
    TelegramPostVersion,
)

# a run whose errors exceed this share of its requests is broken, not unlucky ...
MAX_ERROR_SHARE = 0.2
# ... once it made this many requests: 1 error in 3 requests is chance, not a verdict
MIN_REQUESTS_FOR_SHARE = 10

# the Scrapy stats a run keeps in crawl_runs.stats (besides every kronika/* key)
_KEPT_PREFIXES = ("kronika/", "downloader/response_status_count/", "downloader/exception_type_count/",
                  "retry/", "robotstxt/", "offsite/", "log_count/ERROR")
_KEPT_KEYS = ("downloader/request_count", "downloader/response_count", "downloader/response_bytes",
              "downloader/exception_count", "finish_reason", "elapsed_time_seconds", "item_scraped_count")

# exception class names (Scrapy's, Twisted's, OpenSSL's) -> the cause of a failed fetch
_EXCEPTION_CAUSES = {
    "DownloadConnectionRefusedError": "connection_refused", "ConnectionRefusedError": "connection_refused",
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout", "TCPTimedOutError": "timeout",
    "UserTimeoutError": "timeout",
    "CannotResolveHostError": "dns", "DNSLookupError": "dns",
    "SSLError": "tls", "Error": "tls",  # OpenSSL.SSL.Error is plainly called Error
    "ResponseDataLossError": "truncated", "PotentialDataLoss": "truncated", "_DataLoss": "truncated",
    "ResponseNeverReceived": "connection_lost", "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost", "ResponseFailed": "connection_lost",
    "DownloadFailedError": "connection_failed", "ConnectError": "connection_failed",
    "NoRouteError": "connection_failed", "ConnectionAborted": "connection_failed",
    "DownloadCancelledError": "cancelled", "UnsupportedURLSchemeError": "unsupported_url",
}
# not failures: a middleware's deliberate "no" (robots, network guard) and the non-HTML stop
_NOT_ERRORS = {"IgnoreRequest", "StopDownload"}

# what a cause reads as in a reason line
_CAUSE_WORDS = {
    "connection_refused": "connection refused", "timeout": "timed out", "dns": "host name not found (DNS)",
    "tls": "TLS handshake failed", "http_5xx": "server error (5xx) after retries",
    "http_429": "too many requests (429) after retries", "truncated": "response cut short",
    "connection_lost": "connection lost", "connection_failed": "connection failed",
    "cancelled": "download cancelled", "unsupported_url": "unsupported URL scheme",
    "discovery_parse": "feed or sitemap unreadable", "discovery_status": "feed or sitemap answered an error",
    "markup_changed": "channel pages without posts (markup changed?)",
    "channel_unavailable": "channel unavailable", "other": "other errors",
}
# causes that a proxy in the way would have caused (the proxy is named, not the site)
_CONNECTION_CAUSES = {"connection_refused", "timeout", "connection_failed", "connection_lost", "tls"}

# skip reasons the older spiders wrote under other keys; robots, offsite and private network
# refusals come from Scrapy's and Kronika's downloader middlewares
_OLD_SKIP_KEYS = {"kronika/filtered/url_pattern": "url_rule", "kronika/filtered/too_old": "too_old",
                  "kronika/skipped_non_html": "non_html", "kronika/articles_over_limit": "max_pages",
                  "robotstxt/forbidden": "robots", "offsite/filtered": "offsite",
                  "kronika/netguard/refused": "private_network"}

NEW_ROW_KEYS = ("new_articles", "new_article_versions", "new_posts", "new_post_versions")


def public_stats(stats: dict) -> dict:
    """The crawl's stats that `crawl_runs.stats` keeps: everything this module reads, no more."""
    return {key: value for key, value in stats.items()
            if key.startswith(_KEPT_PREFIXES) or key in _KEPT_KEYS}


def _int(stats: dict, key: str) -> int:
    try:
        return int(stats.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def exception_cause(name: str) -> str | None:
    """The cause of a failed fetch from an exception's (dotted or bare) class name; None: not an error."""
    bare = name.strip("<>' ").removeprefix("class '").rsplit(".", 1)[-1]
    if bare in _NOT_ERRORS:
        return None
    return _EXCEPTION_CAUSES.get(bare) or _snake(bare.removesuffix("Error") or bare)


def _with_prefix(stats: dict, prefix: str) -> dict[str, int]:
    return {key[len(prefix):]: _int(stats, key) for key in stats if key.startswith(prefix)}


def requests_made(stats: dict) -> int:
    """Requests the crawl made, a retried request counted once (redirect hops are requests of their own)."""
    retries = _int(stats, "retry/count") + _int(stats, "kronika/retry_after/count")
    return max(_int(stats, "downloader/request_count") - retries, 0)


def pages_fetched(stats: dict) -> int:
    """Responses received other than robots.txt files and server errors (5xx, 429)."""
    by_status = _with_prefix(stats, "downloader/response_status_count/")
    if not by_status:  # a run recorded with the total only
        return max(_int(stats, "downloader/response_count") - _int(stats, "robotstxt/response_count"), 0)
    robots = _with_prefix(stats, "robotstxt/response_status_count/")
    return sum(max(count - robots.get(code, 0), 0) for code, count in by_status.items()
               if code.isdigit() and int(code) < 500 and int(code) != 429)


def _final_fetch_failures(stats: dict) -> Counter:
    """Failed fetches by cause from Scrapy's own counters: attempts that failed minus those retried."""
    retried = _with_prefix(stats, "retry/reason_count/")
    failures: Counter = Counter()
    for name, count in _with_prefix(stats, "downloader/exception_type_count/").items():
        cause = exception_cause(name)
        if cause:
            failures[cause] += max(count - retried.get(name, 0), 0)
    return +failures


def errors_by_cause(stats: dict) -> dict[str, int]:
    """Errors of a run by cause, most first; skips never among them."""
    causes: Counter = Counter()
    named = 0
    for name, count in _with_prefix(stats, "kronika/errors/").items():
        named += count
        cause = name if name == name.lower() else exception_cause(name)
        if cause:
            causes[cause] += count
    # errors an older spider counted without naming them: what else the stats tell
    unnamed = _int(stats, "kronika/errors") - named
    if unnamed > 0:
        # refusals (robots.txt, private network) the older spiders counted as errors without a name
        unnamed -= min(unnamed, max(_int(stats, "robotstxt/forbidden") + _int(stats, "kronika/netguard/refused")
                                    - _int(stats, "kronika/errors/IgnoreRequest"), 0))
        statuses = _with_prefix(stats, "kronika/article_status/")
        hints = Counter({
            "http_5xx": sum(n for code, n in statuses.items() if code.isdigit() and int(code) >= 500),
            "http_429": statuses.get("429", 0),
            "markup_changed": _int(stats, "kronika/telegram/empty_pages"),
            "channel_unavailable": 1 if stats.get("kronika/telegram/unavailable") else 0,
        })
        robots_failures = Counter(exception_cause(n) for n, c in
                                  _with_prefix(stats, "robotstxt/exception_count/").items() for _ in range(c))
        hints.update(_final_fetch_failures(stats) - robots_failures)
        for cause, count in hints.most_common():
            take = min(count, unnamed)
            if take > 0:
                causes[cause] += take
                unnamed -= take
        if unnamed > 0:
            causes["other"] += unnamed
    # robots.txt is fetched by Scrapy's middleware, never by a spider's callback: its failures are added here
    for name, count in _with_prefix(stats, "robotstxt/exception_count/").items():
        cause = exception_cause(name)
        if cause:
            causes[cause] += count
    return dict(sorted((+causes).items(), key=lambda item: (-item[1], item[0])))


def skipped_by_reason(stats: dict) -> dict[str, int]:
    """What the crawl chose not to fetch, by reason, most first."""
    reasons: Counter = Counter(_with_prefix(stats, "kronika/skipped/"))
    for key, reason in _OLD_SKIP_KEYS.items():
        # the same refusal may be counted by the spider and by the middleware: never twice
        reasons[reason] = max(reasons[reason], _int(stats, key))
    return dict(sorted((+reasons).items(), key=lambda item: (-item[1], item[0])))


def stated_failure(stats: dict) -> str | None:
    """Why a crawl ended early, as the spider or the WARC writer said it (a channel without a public
    preview, a disk that filled up); None when neither said anything."""
    return stats.get("kronika/telegram/unavailable") or stats.get("kronika/warc/write_error") or None


def proxy_address(source_config: dict | None) -> str | None:
    """host:port of the proxy a source's requests went through, for reason lines."""
    proxy = (source_config or {}).get("proxy")
    if not proxy:
        return None
    # the stored config has any user:password redacted ("[redacted]@host"): only host and port matter
    netloc = proxy.partition("//")[2] if "//" in proxy else proxy
    netloc = netloc.partition("/")[0].rpartition("@")[2]
    try:
        parts = urlsplit(f"http://{netloc}")
        return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    except ValueError:  # not a URL we can read: name it as written
        return netloc or None


def describe_causes(errors: dict[str, int], requests: int, proxy: str | None = None, top: int = 2) -> str:
    """The dominant causes, e.g. "connection refused by proxy 127.0.0.1:9 (2 of 2 requests)"."""
    parts = []
    for cause, count in list(errors.items())[:top]:
        words = _CAUSE_WORDS.get(cause, cause.replace("_", " "))
        if proxy and cause in _CONNECTION_CAUSES:
            words += f" by proxy {proxy}" if cause == "connection_refused" else f" (through proxy {proxy})"
        parts.append(f"{words} ({count} of {max(requests, count)} requests)")
    rest = sum(errors.values()) - sum(list(errors.values())[:top])
    if rest:
        parts.append(f"{rest} more errors")
    return "; ".join(parts)


@dataclass
class RunSummary:
    """A run as people and monitors read it: the same fields in the CLI, JSON, web view and plots."""

    id: str
    source: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None
    pages: int
    requests: int
    attempts: int
    retries: int
    revisits: int
    bytes_received: int
    responses_by_status: dict[str, int]
    errors: int
    errors_by_cause: dict[str, int]
    skipped: int
    skipped_by_reason: dict[str, int]
    new_articles: int = 0
    new_article_versions: int = 0
    new_posts: int = 0
    new_post_versions: int = 0
    articles_gone: int = 0
    empty_channel_pages: int = 0  # channel pages that were there but yielded no posts
    warc_files: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def as_dict(self, times_as_text: bool = False) -> dict[str, Any]:
        data = asdict(self) | {"seconds": self.seconds}
        if times_as_text:
            for key in ("started_at", "finished_at"):
                data[key] = data[key].isoformat() if data[key] else None
        return data


def summarise_stats(stats: dict | None, *, run_id: str = "", source: str = "", status: str = "succeeded",
                    started_at: datetime | None = None, finished_at: datetime | None = None,
                    reason: str | None = None, new_rows: dict[str, int] | None = None) -> RunSummary:
    stats = stats or {}
    errors = errors_by_cause(stats)
    skipped = skipped_by_reason(stats)
    # what extract made of the run: counted from the database when asked, else as recorded after extract
    rows = new_rows if new_rows is not None else {key: _int(stats, f"kronika/{key}") for key in NEW_ROW_KEYS}
    files = stats.get("kronika/warc/files")
    return RunSummary(
        id=run_id, source=source, status=status, started_at=started_at, finished_at=finished_at, reason=reason,
        pages=pages_fetched(stats), requests=requests_made(stats), attempts=_int(stats, "downloader/request_count"),
        retries=_int(stats, "retry/count") + _int(stats, "kronika/retry_after/count"),
        revisits=_int(stats, "kronika/warc/records_revisit"), bytes_received=_int(stats, "downloader/response_bytes"),
        responses_by_status=dict(sorted(_with_prefix(stats, "downloader/response_status_count/").items())),
        errors=sum(errors.values()), errors_by_cause=errors, skipped=sum(skipped.values()), skipped_by_reason=skipped,
        articles_gone=_int(stats, "kronika/articles_gone"),
        empty_channel_pages=_int(stats, "kronika/telegram/empty_pages"), warc_files=list(files) if isinstance(files, list) else [],
        **{key: int(rows.get(key) or 0) for key in NEW_ROW_KEYS})


def summarise(run: CrawlRun, session: Session | None = None) -> RunSummary:
    """A recorded run; with a session, its new rows are counted from the database (true after a rebuild)."""
    return summarise_stats(run.stats, run_id=run.id, source=run.source, status=run.status,
                           started_at=run.started_at, finished_at=run.finished_at,
                           reason=getattr(run, "reason", None),
                           new_rows=new_rows(session, run.id) if session is not None else None)


def new_rows(session: Session, run_id: str) -> dict[str, int]:
    """What one run added: versions extracted from its captures, and how many of them were firsts
    (a version with no earlier version of the same article or post)."""
    counts = {}
    for name, model, owner in (("article", ArticleVersion, ArticleVersion.article_id),
                               ("post", TelegramPostVersion, TelegramPostVersion.post_id)):
        earlier = aliased(model)
        in_run = (select(func.count(model.id)).join(Capture, model.capture_id == Capture.id)
                  .where(Capture.crawl_run_id == run_id))
        counts[f"new_{name}_versions"] = session.scalar(in_run) or 0
        counts[f"new_{name}s"] = session.scalar(in_run.where(~exists().where(
            getattr(earlier, owner.key) == owner, earlier.captured_at < model.captured_at))) or 0
    return counts


def record_new_rows(session: Session, run: CrawlRun) -> dict:
    """Write what the run's captures became into its stats (`kronika/new_*`), for consumers of the table."""
    counts = new_rows(session, run.id)
    gone = session.scalar(select(func.count(Article.id)).where(
        Article.source == run.source, Article.gone_at.is_not(None), Article.gone_at >= run.started_at))
    stats = dict(run.stats or {})
    stats.update({f"kronika/{key}": value for key, value in counts.items()})
    stats["kronika/articles_gone"] = gone or 0
    run.stats = stats
    return stats


# ------------------------------------------------------------------------------------ the verdict
@dataclass
class Verdict:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def expect(self, condition: bool, ok: str, broken: str) -> None:
        (self.passed if condition else self.failed).append(ok if condition else broken)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.failed) or None


def judge(summary: RunSummary, had_pages: bool, proxy: str | None = None) -> Verdict:
    """Whether a finished run is good enough to call succeeded, and if not, why in one line.

    - zero pages from a source whose earlier runs had pages always fails;
    - a run that fetched nothing and had errors fails (a first run of a site that is down);
    - errors above MAX_ERROR_SHARE of the requests fail, once there were MIN_REQUESTS_FOR_SHARE;
    - skips never count.
    """
    verdict = Verdict()
    causes = describe_causes(summary.errors_by_cause, summary.requests, proxy)
    because = f": {causes}" if causes else ""
    if had_pages:
        verdict.expect(summary.pages > 0, f"{summary.pages} pages fetched",
                       f"zero pages fetched, although earlier runs fetched pages{because}")
    else:
        verdict.expect(summary.pages > 0 or summary.errors == 0, f"{summary.pages} pages fetched",
                       f"nothing fetched{because}")
    share = summary.errors / summary.requests if summary.requests else 0.0
    if summary.pages > 0:  # a run with no pages has failed above already, for the same errors
        verdict.expect(summary.requests < MIN_REQUESTS_FOR_SHARE or share <= MAX_ERROR_SHARE,
                       f"{summary.errors} errors in {summary.requests} requests",
                       f"errors in {summary.errors} of {summary.requests} requests "
                       f"(more than {MAX_ERROR_SHARE:.0%}){because}")
    verdict.expect(summary.empty_channel_pages == 0, "every channel page had posts",
                   f"{summary.empty_channel_pages} channel pages yielded no posts: the page markup may have changed")
    return verdict


def source_proxy(session: Session, source: str) -> str | None:
    row = session.get(Source, source)
    return proxy_address(row.config if row is not None else None)


# set while a step after the crawl (index, extract) has failed: the crawl itself went well
FAILED_STEP = "kronika/failed_step"


def crawl_went_well(run: CrawlRun) -> bool:
    """The crawl succeeded, whatever a later step did to the run's status."""
    return run.status == "succeeded" or (run.status == "failed" and bool((run.stats or {}).get(FAILED_STEP)))


def record_verdict(session: Session, run: CrawlRun, verdict: Verdict) -> None:
    """The check's verdict becomes the run's status: a run that fails its check is `failed`.

    A run failed by a step after the crawl (index, extract) that a retry then got through is judged
    afresh: the check is the newest word on it."""
    stats = dict(run.stats or {})
    step_failed = bool(stats.pop(FAILED_STEP, None))
    if step_failed:
        run.stats = stats
        run.status, run.reason = "succeeded", None
    if verdict.failed and run.status in ("succeeded", "running"):
        run.status = "failed"
    if verdict.failed and not run.reason:
        run.reason = one_line(verdict.reason)


def one_line(text: str | None, limit: int = 500) -> str | None:
    """A reason as stored in `crawl_runs.reason`: one line, bounded."""
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def mark_step_failed(session: Session, run_id: str, step: str, reason: str) -> None:
    """A step after the crawl (index, extract) failed: the run's captures are not all in the database,
    so the run has not succeeded. A later check (after a retry got through) judges it afresh."""
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status in ("succeeded", "running"):
        run.status, run.reason = "failed", one_line(f"{step} failed after the crawl: {reason}")
        run.stats = dict(run.stats or {}) | {FAILED_STEP: step}
