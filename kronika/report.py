"""Read-only summaries of the database and the archive, for `status`, `history` and the demo."""
from __future__ import annotations

from pathlib import Path

import surt as surt_lib
from rich.table import Table
from sqlalchemy import func, or_, select

from kronika.settings import Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (Article, ArticleVersion, Capture, CrawlRun, Source, TelegramPost,
                                       TelegramPostVersion, TelegramPostView, WarcFile)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.warc.gz*") if p.is_file()) if path.exists() else 0


def source_summaries(env: Environment) -> list[dict]:
    engine = open_database(env.database_url)
    summaries = []
    with unit_of_work(engine) as session:
        for source in session.scalars(select(Source).order_by(Source.name)):
            last = session.scalars(select(CrawlRun).where(CrawlRun.source == source.name)
                                   .order_by(CrawlRun.started_at.desc()).limit(1)).first()
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
                "warc_files": files, "warc_records": int(records),
                "archive_bytes": _dir_size(env.archive_dir / source.name),
                "articles": articles, "article_versions": article_versions,
                "posts": posts, "post_versions": post_versions,
            })
    return summaries


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
        history = [{"captured_at": c.captured_at.isoformat(), "record_type": c.record_type, "status": c.status,
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
        return [{"captured_at": c.captured_at.isoformat(), "record_type": c.record_type, "status": c.status,
                 "payload_digest": c.payload_digest, "warc_file": path, "offset": c.offset, "length": c.length,
                 "crawl_run_id": c.crawl_run_id, "url": c.url}
                for _, c, path in sightings]
