"""Read-only summaries of the database and the archive, for `status`, `history` and the demo."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import surt as surt_lib
from rich.table import Table
from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.orm import aliased

from kronika.settings import Environment
from kronika.storage.db.engine import current_revisions, open_database, unit_of_work
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    CrawlRun,
    Source,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
    WarcFile,
)
from kronika.storage.warc.paths import tree_size
from kronika.storage.warc.replay import timestamp14


def next_run(schedule: str | None, after: datetime) -> datetime | None:
    """When a cron schedule (5 fields or @hourly-style) fires next after `after`."""
    if not schedule:
        return None
    from croniter import croniter

    return croniter(schedule, after).get_next(datetime).astimezone(timezone.utc)


def database_bytes(engine) -> int | None:
    """The database's size on disk: the SQLite file (with its WAL), or Kronika's tables in PostgreSQL."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.is_file()) if path.name else None
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')")).scalar())
    return None


def _run_counts(session, run_id: str) -> dict[str, int]:
    """What one run added: versions extracted from its captures, and how many of them were firsts."""
    counts = {}
    for name, model, owner in (("article", ArticleVersion, ArticleVersion.article_id),
                               ("post", TelegramPostVersion, TelegramPostVersion.post_id)):
        earlier = aliased(model)
        in_run = (select(func.count(model.id)).join(Capture, model.capture_id == Capture.id)
                  .where(Capture.crawl_run_id == run_id))
        counts[f"new_{name}_versions"] = session.scalar(in_run)
        counts[f"new_{name}s"] = session.scalar(in_run.where(~exists().where(
            getattr(earlier, owner.key) == owner, earlier.captured_at < model.captured_at)))
    return counts


def source_summaries(env: Environment, schedules: dict[str, str | None] | None = None,
                     now: datetime | None = None) -> list[dict]:
    """Per source: its last run and what it added, rows, archive size; with `schedules` (from the
    config), the next scheduled run and the lag since the last successful one."""
    engine = open_database(env.database_url)
    now = now or datetime.now(timezone.utc)
    summaries = []
    with unit_of_work(engine) as session:
        for source in session.scalars(select(Source).order_by(Source.name)):
            last = session.scalars(select(CrawlRun).where(CrawlRun.source == source.name)
                                   .order_by(CrawlRun.started_at.desc()).limit(1)).first()
            last_success = session.scalar(select(func.max(CrawlRun.finished_at)).where(
                CrawlRun.source == source.name, CrawlRun.status == "succeeded"))
            articles = session.scalar(select(func.count(Article.id)).where(Article.source == source.name))
            article_versions = session.scalar(select(func.count(ArticleVersion.id)).join(Article)
                                              .where(Article.source == source.name))
            posts = session.scalar(select(func.count(TelegramPost.id)).where(TelegramPost.source == source.name))
            post_versions = session.scalar(select(func.count(TelegramPostVersion.id)).join(TelegramPost)
                                           .where(TelegramPost.source == source.name))
            files, records = session.execute(select(func.count(WarcFile.id), func.coalesce(func.sum(WarcFile.records), 0))
                                             .where(WarcFile.source == source.name)).one()
            stats = (last.stats or {}) if last else {}
            summaries.append({
                "source": source.name, "kind": source.kind,
                "last_run_at": last.started_at.isoformat() if last else None,
                "last_run_status": last.status if last else None,
                "runs": session.scalar(select(func.count(CrawlRun.id)).where(CrawlRun.source == source.name)),
                "pages_fetched": stats.get("downloader/response_count", 0),
                "revisits": stats.get("kronika/warc/records_revisit", 0),
                "errors": stats.get("kronika/errors", 0),
                "requests": stats.get("downloader/request_count", 0),
                "responses_by_status": {key.rpartition("/")[2]: value for key, value in sorted(stats.items())
                                        if key.startswith("downloader/response_status_count/")},
                "bytes_received": stats.get("downloader/response_bytes", 0),
                "warc_files": files, "warc_records": int(records),
                "archive_bytes": tree_size(env.archive_dir / source.name),
                "articles": articles, "article_versions": article_versions,
                "posts": posts, "post_versions": post_versions,
                "last_run_id": last.id if last else None,
                "last_run_finished_at": last.finished_at.isoformat() if last and last.finished_at else None,
                "last_success_at": last_success.isoformat() if last_success else None,
                "lag_seconds": round((now - last_success).total_seconds()) if last_success else None,
                **(_run_counts(session, last.id) if last else
                   dict.fromkeys(("new_articles", "new_article_versions", "new_posts", "new_post_versions"), 0)),
            })
            if schedules is not None:
                schedule = schedules.get(source.name)
                summaries[-1].update({"schedule": schedule, "next_run_at": _iso(next_run(schedule, now)),
                                      "configured": source.name in schedules})
    return summaries


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def status_report(env: Environment, schedules: dict[str, str | None] | None = None) -> dict:
    """`kronika status`: every source's summary, and the size of the database and the archive."""
    now = datetime.now(timezone.utc)
    sources = source_summaries(env, schedules, now)
    engine = open_database(env.database_url)
    return {
        "generated_at": now.isoformat(),
        "database": {"url": engine.url.render_as_string(hide_password=True), "dialect": engine.dialect.name,
                     "bytes": database_bytes(engine), "schema_revisions": sorted(current_revisions(engine))},
        "archive": {"dir": str(env.archive_dir), "bytes": tree_size(env.archive_dir)},
        "failing": [s["source"] for s in sources if s["last_run_status"] == "failed"],
        "sources": sources,
    }


def _human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= length:
            return f"{seconds / length:.1f}{unit}"
    return f"{seconds:.0f}s"


def status_table(report: dict) -> Table:
    """The status report for a terminal: a row per source, red where a source is failing."""
    now = datetime.fromisoformat(report["generated_at"])
    table = Table(title="Kronika status", caption=(
        f"database {report['database']['dialect']} {_human_bytes(report['database']['bytes'])}, "
        f"schema {'+'.join(report['database']['schema_revisions'])}; "
        f"archive {report['archive']['dir']} {_human_bytes(report['archive']['bytes'])}. "
        "the last run's requests (bytes received), responses not 2xx by status, new articles/versions "
        "and posts/versions; lag: since the last success"))
    table.add_column("source", no_wrap=True)
    for header in ("last run", "at", "requests", "not 2xx", "errors", "new articles", "new posts",
                   "next run", "lag", "archive", "articles", "posts"):
        table.add_column(header, justify="right")
    colours = {"succeeded": "green", "failed": "bold red", "interrupted": "red", "running": "yellow"}
    for row in report["sources"]:
        status = row["last_run_status"] or "never"
        at = datetime.fromisoformat(row["last_run_at"]) if row["last_run_at"] else None
        next_at = datetime.fromisoformat(row["next_run_at"]) if row.get("next_run_at") else None
        table.add_row(
            row["source"], f"[{colours.get(status, 'dim')}]{status}[/]",
            f"{_ago((now - at).total_seconds())} ago" if at else "-",
            f"{row.get('requests', 0)} ({_human_bytes(row.get('bytes_received'))})",
            " ".join(f"{code}×{n}" for code, n in row.get("responses_by_status", {}).items()
                     if not code.startswith("2")) or "-",
            f"[red]{row['errors']}[/]" if row["errors"] else "0",
            f"{row['new_articles']}/{row['new_article_versions']}", f"{row['new_posts']}/{row['new_post_versions']}",
            f"in {_ago((next_at - now).total_seconds())}" if next_at else "-", _ago(row["lag_seconds"]),
            _human_bytes(row["archive_bytes"]), f"{row['articles']}/{row['article_versions']}",
            f"{row['posts']}/{row['post_versions']}")
    return table


def summary_table(summaries: list[dict], title: str) -> Table:
    table = Table(title=title, caption="WARC: files/records; articles and posts: rows/versions")
    table.add_column("source", no_wrap=True)
    for header in ("last run", "pages", "revisits", "errors", "WARC", "articles", "posts"):
        table.add_column(header, justify="right")
    for row in summaries:
        table.add_row(row["source"], row["last_run_status"] or "-", str(row["pages_fetched"]), str(row["revisits"]),
                      str(row["errors"]), f"{row['warc_files']}/{row['warc_records']}",
                      f"{row['articles']}/{row['article_versions']}", f"{row['posts']}/{row['post_versions']}")
    return table


def capture_history(env: Environment, url: str) -> list[dict]:
    """Every capture of a URL, matched exactly or by its SURT form (www., port, case, query order)."""
    engine = open_database(env.database_url)
    key = surt_lib.surt(url)
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(Capture, WarcFile.path).join(WarcFile, Capture.warc_file_id == WarcFile.id)
            .where(or_(Capture.url == url, Capture.surt == key)).order_by(Capture.captured_at))
        history = [{"captured_at": c.captured_at.isoformat(), "timestamp": timestamp14(c.captured_at), "record_type": c.record_type, "status": c.status,
                    "payload_digest": c.payload_digest, "warc_file": path, "offset": c.offset,
                    "length": c.length, "crawl_run_id": c.crawl_run_id, "url": c.url}
                   for c, path in rows]
        if history:
            return history
        # a Telegram post is not fetched by its own URL: it was seen on captured channel pages
        post = session.scalars(select(TelegramPost).where(TelegramPost.url == url)).first()
        if post is None:
            return []
        sightings = session.execute(
            select(TelegramPostView, Capture, WarcFile.path)
            .join(Capture, TelegramPostView.capture_id == Capture.id)
            .join(WarcFile, Capture.warc_file_id == WarcFile.id)
            .where(TelegramPostView.post_id == post.id).order_by(Capture.captured_at))
        version_captures = set(session.scalars(select(TelegramPostVersion.capture_id)
                                               .where(TelegramPostVersion.post_id == post.id)))
        rows = [{"captured_at": c.captured_at.isoformat(), "timestamp": timestamp14(c.captured_at), "record_type": c.record_type, "status": c.status,
                 "payload_digest": c.payload_digest, "warc_file": path, "offset": c.offset, "length": c.length,
                 "crawl_run_id": c.crawl_run_id, "url": c.url, "event": "seen", "views": view.views,
                 "new_version": c.id in version_captures}
                for view, c, path in sightings]
        # the captures that showed the post missing (deleted) or back again (reappeared)
        events = session.execute(
            select(TelegramPostEvent, Capture, WarcFile.path)
            .join(Capture, TelegramPostEvent.capture_id == Capture.id)
            .join(WarcFile, Capture.warc_file_id == WarcFile.id)
            .where(TelegramPostEvent.post_id == post.id, TelegramPostEvent.event == "deleted"))
        rows += [{"captured_at": c.captured_at.isoformat(), "timestamp": timestamp14(c.captured_at), "record_type": c.record_type, "status": c.status,
                  "payload_digest": c.payload_digest, "warc_file": path, "offset": c.offset, "length": c.length,
                  "crawl_run_id": c.crawl_run_id, "url": c.url, "event": "missing (deleted)", "views": None,
                  "new_version": False}
                 for _, c, path in events]
        return sorted(rows, key=lambda row: row["captured_at"])
