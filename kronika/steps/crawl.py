"""Crawl one source: repair what a killed crawl left, run the spider in its own process.

The spider writes WARC files only; this step records the run in `crawl_runs` and hands the spider
what it needs from the database (earlier payload digests for revisits, where a channel's new
posts end) as plain files and arguments, so the spider never touches SQL.
"""
from __future__ import annotations

import json
import logging
import platform
import re
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from kronika import __version__, runs
from kronika.locks import source_lock
from kronika.settings import Environment, NewsSource, TelegramSource, first_run_cutoff, parse_duration
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    Article,
    Capture,
    CrawlRun,
    TelegramPost,
    WarcFile,
)
from kronika.storage.db.models import Source as SourceRow
from kronika.storage.db.upserts import upsert
from kronika.storage.warc.writer import repair_open_files

logger = logging.getLogger(__name__)


class CrawlFailed(Exception):
    def __init__(self, message: str, run_id: str | None = None):
        super().__init__(message)
        self.run_id = run_id  # the failed run, recorded in crawl_runs (None: failed before it began)


@dataclass
class CrawlResult:
    source: str
    run_id: str
    status: str
    stats: dict = field(default_factory=dict)
    warc_files: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """What the crawl task hands the next task (an Airflow XCom): small, JSON, read through runs."""
        return {"run_id": self.run_id, "warc_files": self.warc_files, "pages": runs.pages_fetched(self.stats)}


def source_dir(env: Environment, source_name: str) -> Path:
    """Where crawls of a source write WARC files: its archive folder, or its spool folder."""
    return env.local_archive_dir / source_name


def publish_closed_files(env: Environment, source_name: str) -> list[str]:
    """Upload the source's closed WARC files from the spool to a remote archive, oldest first.

    Each local file is removed only once its copy is in the archive with the same size, so an
    upload that fails (or a crawl killed between closing and uploading) leaves the file for the
    next crawl of the source to publish. Nothing to do for a local archive.
    """
    if not env.archive_is_remote:
        return []
    from kronika.storage.warc.paths import publish

    published = []
    for path in sorted(source_dir(env, source_name).glob("*.warc.gz")):
        relative = f"{source_name}/{path.name}"
        try:
            publish(path, env.archive_dir, relative)
        except Exception as exc:
            raise CrawlFailed(f"cannot upload {relative} to {env.archive_dir}: {type(exc).__name__}: {exc} "
                              f"(kept in {path.parent}; the next crawl of {source_name} uploads it)") from None
        path.unlink()
        published.append(relative)
        logger.info("uploaded %s to %s", relative, env.archive_dir)
    return published


def scrapy_settings(source: NewsSource | TelegramSource) -> dict:
    return {
        "USER_AGENT": source.effective_user_agent,
        # AutoThrottle never goes below DOWNLOAD_DELAY; the server's pace can only slow us down
        "AUTOTHROTTLE_ENABLED": source.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(source.download_delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": source.autothrottle_target_concurrency,
        "ROBOTSTXT_OBEY": source.obey_robots,
        "DOWNLOAD_DELAY": source.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrent_requests_per_domain,
        "DOWNLOAD_MAXSIZE": source.max_response_bytes,
        "DOWNLOAD_TIMEOUT": source.download_timeout,
        "KRONIKA_ALLOW_PRIVATE_NETWORKS": source.allow_private_networks,
        "KRONIKA_PROXY": source.proxy,
        # custom KRONIKA_* and dict settings stay out of Scrapy's "Overridden settings" log line
        "KRONIKA_SECRET_HEADERS": sorted(source.headers),
        "KRONIKA_ARCHIVE_SECRETS": source.archive_secrets,
    } | (_request_headers(source.headers) if source.headers else {}) | ({"KRONIKA_TELEGRAM_THROTTLE_RETRIES": source.throttle_retries,
                                        "KRONIKA_TELEGRAM_THROTTLE_DELAY": source.throttle_delay}
                                       if isinstance(source, TelegramSource) else {})


def _request_headers(headers: dict[str, str]) -> dict:
    # Scrapy's defaults are imported only for a source that sets headers: importing Scrapy costs
    # the crawl command seconds of start-up, and the spider's own process imports it anyway
    from scrapy.settings import default_settings

    return {"DEFAULT_REQUEST_HEADERS": {**default_settings.DEFAULT_REQUEST_HEADERS, **headers}}


def _dedup_map(session, source_name: str) -> dict[str, list[str]]:
    """The newest archived payload digest of every URL of the source (for revisit records)."""
    newest = (select(Capture.url, func.max(Capture.captured_at).label("at"))
              .join(WarcFile, Capture.warc_file_id == WarcFile.id)
              .where(WarcFile.source == source_name, Capture.record_type == "response",
                     Capture.status == 200)
              .group_by(Capture.url).subquery())
    rows = session.execute(
        select(Capture.url, Capture.payload_digest, Capture.captured_at)
        .join(newest, (Capture.url == newest.c.url) & (Capture.captured_at == newest.c.at))
        .where(Capture.record_type == "response"))
    return {url: [digest, at.isoformat()] for url, digest, at in rows}


def due_for_recapture(session, source: NewsSource, now: datetime | None = None,
                      everything: bool = False) -> list[str]:
    """URLs of the source's articles that a recapture point has passed since they were last seen.

    With the schedule [1h, 6h, 24h, 72h], an article first seen at F is due once F+1h has passed
    and it was last seen before F+1h, again after F+6h, and so on; after F+72h never again. Gone
    articles (404/410) are not recaptured on schedule. `everything` takes every known article,
    gone ones too (`--recapture-all`).
    """
    now = now or datetime.now(timezone.utc)
    offsets = sorted(timedelta(seconds=parse_duration(d)) for d in source.recapture)
    query = select(Article.url, Article.first_seen_at, Article.last_seen_at, Article.gone_at).where(
        Article.source == source.name).order_by(Article.first_seen_at.desc(), Article.id)
    due = []
    for url, first, last, gone in session.execute(query):
        if everything:
            due.append(url)
            continue
        if gone is not None:
            continue
        passed = [first + o for o in offsets if first + o <= now]
        if passed and last < passed[-1]:
            due.append(url)
    return due


def telegram_stop_at(session, source: TelegramSource, now: datetime) -> int | None:
    """Where a later run of a channel stops walking back: the overlap window behind the newest post.

    The window reaches back over the last `overlap_posts` stored posts and over every post
    published in the last `overlap_age`, whichever goes further, so that edits, view counts and
    deletions of recent posts are seen on every run. None when nothing is stored yet.
    """
    channel = TelegramPost.channel == source.channel
    newest = session.scalar(select(func.max(TelegramPost.post_id)).where(channel))
    if newest is None:
        return None
    stops = [newest]
    if source.overlap_posts > 0:
        by_count = session.scalar(select(TelegramPost.post_id).where(channel).order_by(TelegramPost.post_id.desc())
                                  .offset(source.overlap_posts - 1).limit(1))
        stops.append(by_count if by_count is not None
                     else session.scalar(select(func.min(TelegramPost.post_id)).where(channel)))
    cutoff = now - timedelta(seconds=parse_duration(source.overlap_age))
    by_age = session.scalar(select(func.min(TelegramPost.post_id)).where(channel, TelegramPost.posted_at >= cutoff))
    if by_age is not None:
        stops.append(by_age)
    return min(stops)


def _known_media(session, source_name: str) -> list[str]:
    """Media URLs already archived for the source: a later run does not fetch them again."""
    return list(session.scalars(select(Capture.url).distinct().join(WarcFile, Capture.warc_file_id == WarcFile.id)
                                .where(WarcFile.source == source_name, Capture.role == "media",
                                       Capture.status == 200)))


def _spider_job(session, source: NewsSource | TelegramSource, recapture_all: bool = False) -> tuple[str, dict]:
    if isinstance(source, NewsSource):
        return "news", {"start_urls": source.start_urls, "allowed_domains": source.allowed_domains,
                        "max_depth": source.max_depth, "max_pages": source.max_pages,
                        "recapture_urls": due_for_recapture(session, source, everything=recapture_all),
                        "allow_urls": source.allow_urls, "deny_urls": source.deny_urls,
                        "max_article_age_seconds": (parse_duration(source.max_article_age)
                                                    if source.max_article_age else None),
                        "fetch_non_html": source.fetch_non_html}
    now = datetime.now(timezone.utc)
    stop_at = telegram_stop_at(session, source, now)
    stop_before = None
    if stop_at is not None:  # a later run: as far back as the overlap window, max_pages at most
        max_pages = source.max_pages
    elif source.first_run_since:  # first run back to a date
        stop_before, max_pages = first_run_cutoff(source.first_run_since, now).isoformat(), source.max_pages
    else:  # first run: a number of pages
        max_pages = source.first_run_pages
    return "telegram", {"channel": source.channel, "channel_url": source.channel_url,
                        "allowed_domains": source.allowed_domains, "stop_at_post_id": stop_at,
                        "stop_before": stop_before, "max_pages": max_pages, "media": source.media,
                        "known_media": _known_media(session, source.name) if source.media != "none" else []}


def register_source(session, source: NewsSource | TelegramSource) -> None:
    # from the writer, not the recorder: importing the recorder would load Scrapy and Twisted into
    # this process (seconds of start-up), where only the spider's own process needs them
    from kronika.storage.warc.writer import REDACTED

    config = source.model_dump(mode="json")
    # the database is no place for credentials: header values and a proxy's user:password
    config["headers"] = {name: REDACTED for name in source.headers}
    if source.proxy and "@" in source.proxy:
        config["proxy"] = re.sub(r"//[^/@]*@", f"//{REDACTED}@", source.proxy)
    upsert(session, SourceRow,
           {"name": source.name, "kind": source.kind, "config": config,
            "created_at": datetime.now(timezone.utc)},
           conflict=["name"], update=["kind", "config"])


def crawl(source: NewsSource | TelegramSource, env: Environment | None = None,
          recapture_all: bool = False) -> CrawlResult:
    """Crawl one source; `recapture_all` re-fetches every known article of a news source."""
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    directory = source_dir(env, source.name)
    with source_lock(env.local_archive_dir, source.name):
        repaired = repair_open_files([directory])
        for path in repaired:
            logger.warning("closed %s, left open by an interrupted crawl", path.name)
        _record_custody(engine, env, source, directory)  # files closed by the repair above
        publish_closed_files(env, source.name)  # what a killed crawl closed but did not upload
        run_id = str(uuid.uuid4())
        started = datetime.now(timezone.utc)
        with unit_of_work(engine) as session:
            register_source(session, source)
            # under the source's lock no other crawl of it runs: a run still "running" was killed,
            # or lost its database before it could say how it ended
            for stale in session.scalars(select(CrawlRun).where(CrawlRun.source == source.name,
                                                                CrawlRun.status == "running")):
                stale.status = "interrupted"
                logger.warning("crawl run %s of %s never finished: marked interrupted", stale.id, source.name)
            session.add(CrawlRun(id=run_id, source=source.name, started_at=started,
                                 status="running", stats={}))
            dedup = _dedup_map(session, source.name)
            spider, spider_args = _spider_job(session, source, recapture_all=recapture_all)

        with tempfile.TemporaryDirectory(prefix="kronika-crawl-") as tmp:
            tmp = Path(tmp)
            (tmp / "dedup.json").write_text(json.dumps(dedup), encoding="utf-8")
            settings = scrapy_settings(source) | {
                "KRONIKA_WARC_DIR": str(directory.resolve()),
                "KRONIKA_WARC_PREFIX": f"kronika-{source.name}",
                "KRONIKA_WARCINFO": {
                    "software": f"Kronika/{__version__} (Scrapy)",
                    "python": platform.python_version(),
                    "kronika-source": source.name,
                    "kronika-crawl-run": run_id,
                    "robots": "obey" if source.obey_robots else "ignore",
                    "http-header-user-agent": source.effective_user_agent,
                },
                "KRONIKA_DEDUP_FILE": str(tmp / "dedup.json"),
            }
            log_path = directory / "logs" / f"{run_id}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            settings["LOG_FILE"] = str(log_path.resolve())
            if "known_media" in spider_args:  # possibly long: a file, not an argument
                (tmp / "known_media.json").write_text(json.dumps(spider_args.pop("known_media")), encoding="utf-8")
                spider_args["known_media_file"] = str(tmp / "known_media.json")
            job = {"spider": spider, "spider_args": spider_args, "settings": settings,
                   "stats_file": str(tmp / "stats.json")}
            (tmp / "job.json").write_text(json.dumps(job), encoding="utf-8")
            process = subprocess.run([sys.executable, "-m", "kronika.spiders.run", str(tmp / "job.json")],
                                     capture_output=True, text=True)
            stats_path = tmp / "stats.json"
            stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        status = "succeeded" if process.returncode == 0 else "failed"
        # after the spider: hashing and a TSA's round trip never slow the crawl loop (docs/custody.md)
        stats.update(_record_custody(engine, env, source, directory))
        try:
            publish_closed_files(env, source.name)
        except CrawlFailed as exc:
            status, upload_error = "failed", str(exc)
        else:
            upload_error = None
        failure = upload_error
        if status == "failed" and not failure:
            # a reason the spider stated (a channel without a public preview) beats a log tail
            tail = runs.stated_failure(stats) or " | ".join(process.stderr.strip().splitlines()[-2:])
            failure = f"crawl of {source.name} failed (exit {process.returncode}, log {log_path}): {tail}"
        with unit_of_work(engine) as session:
            run = session.get(CrawlRun, run_id)
            run.status, run.finished_at, run.stats = status, datetime.now(timezone.utc), runs.public_stats(stats)
            run.reason = runs.one_line(failure)
        if failure:
            raise CrawlFailed(failure, run_id=run_id)
        return CrawlResult(source=source.name, run_id=run_id, status=status, stats=runs.public_stats(stats),
                           warc_files=runs.summarise_stats(stats).warc_files,
                           repaired=[p.name for p in repaired])


def _record_custody(engine, env: Environment, source: NewsSource | TelegramSource, directory: Path) -> dict:
    """`closed` custody entries and RFC 3161 tokens for the files the crawl closed; said once per run."""
    from kronika.custody.stamping import record_closed

    try:
        report = record_closed(engine, env, source.name, directory, source.timestamping)
    except Exception as exc:  # the files are safe either way: `kronika stamp` records them later
        logger.error("could not record the closed WARC files in the custody log: %s: %s (`kronika stamp` "
                     "records them later)", type(exc).__name__, exc)
        return {"kronika/custody/unrecorded": 1}
    if not report.closed:
        return {}
    if source.timestamping is None:
        logger.info("%d WARC files closed, not time-stamped: no `timestamping` in the config (docs/custody.md)",
                    len(report.closed))
    elif report.failed:
        logger.warning("%d of %d WARC files left unstamped (%s); `kronika stamp` stamps them later",
                       report.unstamped, len(report.closed), report.failed[0])
    return {"kronika/custody/closed": len(report.closed), "kronika/custody/stamped": len(report.stamped),
            "kronika/custody/unstamped": report.unstamped}

