"""Crawl one source: repair what a killed crawl left, run the spider in its own process.

The spider writes WARC files only; this step records the run in `crawl_runs` and hands the spider
what it needs from the database (earlier payload digests for revisits, where a channel's new
posts end) as plain files and arguments, so the spider never touches SQL.
"""
from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from kronika import __version__
from kronika.locks import source_lock
from kronika.settings import Environment, NewsSource, TelegramSource
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, CrawlRun, TelegramPost, WarcFile
from kronika.storage.db.models import Source as SourceRow
from kronika.storage.db.upserts import upsert
from kronika.storage.warc.writer import repair_open_files

logger = logging.getLogger(__name__)

TELEGRAM_OVERLAP_POSTS = 100
TELEGRAM_MAX_PAGES_AFTER_FIRST_RUN = 50


class CrawlFailed(Exception):
    pass


@dataclass
class CrawlResult:
    source: str
    run_id: str
    status: str
    stats: dict = field(default_factory=dict)
    warc_files: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


def source_dir(env: Environment, source_name: str) -> Path:
    return env.archive_dir / source_name


def scrapy_settings(source: NewsSource | TelegramSource) -> dict:
    return {
        "USER_AGENT": source.user_agent,
        "ROBOTSTXT_OBEY": source.obey_robots,
        "DOWNLOAD_DELAY": source.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrent_requests_per_domain,
        "DOWNLOAD_MAXSIZE": source.max_response_bytes,
        "DOWNLOAD_TIMEOUT": source.download_timeout,
        "KRONIKA_ALLOW_PRIVATE_NETWORKS": source.allow_private_networks,
        "KRONIKA_PROXY": source.proxy,
    }


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


def _spider_job(session, source: NewsSource | TelegramSource) -> tuple[str, dict]:
    if isinstance(source, NewsSource):
        return "news", {"start_urls": source.start_urls, "allowed_domains": source.allowed_domains,
                        "max_depth": source.max_depth, "max_pages": source.max_pages}
    newest = session.scalar(select(func.max(TelegramPost.post_id))
                            .where(TelegramPost.channel == source.channel))
    if newest is None:  # first run: a configured depth
        stop_at, max_pages = None, source.first_run_pages
    else:  # walk back past the newest stored post by an overlap, to see edits and deletions
        stop_at, max_pages = newest - TELEGRAM_OVERLAP_POSTS, TELEGRAM_MAX_PAGES_AFTER_FIRST_RUN
    return "telegram", {"channel": source.channel, "channel_url": source.channel_url,
                        "allowed_domains": source.allowed_domains,
                        "stop_at_post_id": stop_at, "max_pages": max_pages}


def register_source(session, source: NewsSource | TelegramSource) -> None:
    upsert(session, SourceRow,
           {"name": source.name, "kind": source.kind, "config": source.model_dump(mode="json"),
            "created_at": datetime.now(timezone.utc)},
           conflict=["name"], update=["kind", "config"])


def crawl(source: NewsSource | TelegramSource, env: Environment | None = None) -> CrawlResult:
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    directory = source_dir(env, source.name)
    with source_lock(env.archive_dir, source.name):
        repaired = repair_open_files([directory])
        for path in repaired:
            logger.warning("closed %s, left open by an interrupted crawl", path.name)
        run_id = str(uuid.uuid4())
        started = datetime.now(timezone.utc)
        with unit_of_work(engine) as session:
            register_source(session, source)
            session.add(CrawlRun(id=run_id, source=source.name, started_at=started,
                                 status="running", stats={}))
            dedup = _dedup_map(session, source.name)
            spider, spider_args = _spider_job(session, source)

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
                    "http-header-user-agent": source.user_agent,
                },
                "KRONIKA_DEDUP_FILE": str(tmp / "dedup.json"),
            }
            log_path = directory / "logs" / f"{run_id}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            settings["LOG_FILE"] = str(log_path.resolve())
            job = {"spider": spider, "spider_args": spider_args, "settings": settings,
                   "stats_file": str(tmp / "stats.json")}
            (tmp / "job.json").write_text(json.dumps(job), encoding="utf-8")
            process = subprocess.run([sys.executable, "-m", "kronika.spiders.run", str(tmp / "job.json")],
                                     capture_output=True, text=True)
            stats_path = tmp / "stats.json"
            stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        status = "succeeded" if process.returncode == 0 else "failed"
        with unit_of_work(engine) as session:
            run = session.get(CrawlRun, run_id)
            run.status, run.finished_at, run.stats = status, datetime.now(timezone.utc), _public_stats(stats)
        if status == "failed":
            tail = " | ".join(process.stderr.strip().splitlines()[-2:])
            raise CrawlFailed(f"crawl of {source.name} failed (exit {process.returncode}, log {log_path}): {tail}")
        return CrawlResult(source=source.name, run_id=run_id, status=status, stats=_public_stats(stats),
                           warc_files=stats.get("kronika/warc/files", []),
                           repaired=[p.name for p in repaired])


def _public_stats(stats: dict) -> dict:
    """The run's Scrapy stats that consumers read from `crawl_runs.stats`."""
    keep = {}
    for key, value in stats.items():
        if key.startswith(("kronika/", "downloader/response_status_count/", "log_count/ERROR")) or key in (
                "downloader/request_count", "downloader/response_count", "downloader/response_bytes",
                "finish_reason", "elapsed_time_seconds", "robotstxt/forbidden", "retry/count",
                "item_scraped_count"):
            keep[key] = value
    return keep
