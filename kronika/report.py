"""Read-only summaries of the database and the archive, for `status`, `history` and the demo."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rich.table import Table
from sqlalchemy import func, select, text

from kronika import runs
from kronika.settings import Environment
from kronika.storage.db.engine import current_revisions, open_database, unit_of_work
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    CrawlRun,
    Source,
    TelegramPost,
    TelegramPostVersion,
    WarcFile,
)
from kronika.storage.db.readonly import sqlite_path
from kronika.storage.warc.paths import tree_size


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
            run = runs.summarise(last, session) if last else None
            summaries.append({
                "source": source.name, "kind": source.kind,
                "last_run_at": last.started_at.isoformat() if last else None,
                "last_run_status": last.status if last else None,
                "last_run_reason": run.reason if run else None,
                "runs": session.scalar(select(func.count(CrawlRun.id)).where(CrawlRun.source == source.name)),
                "pages": run.pages if run else 0,
                "pages_fetched": run.pages if run else 0,  # the older name of `pages`, kept for scripts
                "revisits": run.revisits if run else 0,
                "errors": run.errors if run else 0,
                "errors_by_cause": run.errors_by_cause if run else {},
                "skipped": run.skipped if run else 0,
                "skipped_by_reason": run.skipped_by_reason if run else {},
                "requests": run.requests if run else 0,
                "responses_by_status": run.responses_by_status if run else {},
                "bytes_received": run.bytes_received if run else 0,
                "warc_files": files, "warc_records": int(records),
                "archive_bytes": tree_size(env.archive_dir / source.name),
                "articles": articles, "article_versions": article_versions,
                "posts": posts, "post_versions": post_versions,
                "last_run_id": last.id if last else None,
                "last_run_finished_at": last.finished_at.isoformat() if last and last.finished_at else None,
                # lag is measured from the last run that succeeded: failed runs do not reset it
                "last_success_at": last_success.isoformat() if last_success else None,
                "lag_seconds": round((now - last_success).total_seconds()) if last_success else None,
                **{key: getattr(run, key) if run else 0 for key in runs.NEW_ROW_KEYS},
            })
            if schedules is not None:
                schedule = schedules.get(source.name)
                summaries[-1].update({"schedule": schedule, "next_run_at": _iso(next_run(schedule, now)),
                                      "configured": source.name in schedules})
    return summaries


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def status_report(env: Environment, schedules: dict[str, str | None] | None = None,
                  config_path: str | None = None) -> dict:
    """`kronika status`: every source's summary, the size of the database and the archive, and
    which config file, archive and database it read (`config_path`: None when there was none)."""
    now = datetime.now(timezone.utc)
    sources = source_summaries(env, schedules, now)
    engine = open_database(env.database_url)
    archive = env.archive_dir if env.archive_is_remote else Path(env.archive_dir).resolve()
    return {
        "generated_at": now.isoformat(),
        "config": str(Path(config_path).resolve()) if config_path else None,
        "database": {"url": engine.url.render_as_string(hide_password=True), "dialect": engine.dialect.name,
                     "path": str(sqlite_path(env.database_url) or "") or None,  # SQLite: the file, absolute
                     "bytes": database_bytes(engine), "schema_revisions": sorted(current_revisions(engine))},
        "archive": {"dir": str(archive), "bytes": tree_size(env.archive_dir)},
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


_COLOURS = {"succeeded": "green", "failed": "bold red", "interrupted": "red", "running": "yellow"}


def _when(value: str | None) -> str:
    """A time as a user copies it: UTC to the second."""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _counts(by_key: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in by_key.items()) or "-"


def _status_cells(row: dict, now: datetime) -> dict[str, str]:
    status = row["last_run_status"] or "never"
    next_at = datetime.fromisoformat(row["next_run_at"]) if row.get("next_run_at") else None
    at = datetime.fromisoformat(row["last_run_at"]) if row["last_run_at"] else None
    lag = row["lag_seconds"]
    return {
        "last run": f"[{_COLOURS.get(status, 'dim')}]{status}[/]",
        "started (UTC)": _when(row["last_run_at"]),
        "ago": f"{_ago((now - at).total_seconds())}" if at else "-",
        "requests": f"{row.get('requests', 0)} ({_human_bytes(row.get('bytes_received'))})",
        "not 2xx": " ".join(f"{code}×{n}" for code, n in row.get("responses_by_status", {}).items()
                            if not code.startswith("2")) or "-",
        "pages": str(row["pages"]),
        "errors": f"[red]{row['errors']}[/]" if row["errors"] else "0",
        "skipped": str(row.get("skipped", 0)),
        "new articles": f"{row['new_articles']}/{row['new_article_versions']}",
        "new posts": f"{row['new_posts']}/{row['new_post_versions']}",
        "next run (UTC)": _when(row.get("next_run_at")),
        "in": f"{_ago((next_at - now).total_seconds())}" if next_at else "-",
        "lag": _ago(lag) if lag is not None else ("never succeeded" if row["last_run_at"] else "-"),
        "archive": _human_bytes(row["archive_bytes"]),
        "articles": f"{row['articles']}/{row['article_versions']}",
        "posts": f"{row['posts']}/{row['post_versions']}",
    }


def status_table(report: dict) -> Table:
    """The status report as one wide table, a row per source (for terminals wide enough to show it whole)."""
    now = datetime.fromisoformat(report["generated_at"])
    table = Table(title="Kronika status", caption=(
        "requests made (bytes received), responses not 2xx by status, new articles/versions and "
        "posts/versions of the last run; lag: since the last successful run"))
    table.add_column("source", no_wrap=True)
    for row in report["sources"]:
        cells = _status_cells(row, now)
        if len(table.columns) == 1:
            for header in cells:
                table.add_column(header, justify="right", no_wrap=True)
        table.add_row(row["source"], *cells.values())
    return table


def _status_pairs(row: dict, now: datetime) -> list[tuple[str, str]]:
    """One source's status as label/value lines (rich markup): fits 80 columns, cuts nothing."""
    cells = _status_cells(row, now)
    return [("last run", f"{cells['last run']}  {cells['started (UTC)']} UTC ({cells['ago']} ago)"),
            ("run id", row.get("last_run_id") or "-"),
            ("requests", f"{cells['requests']}; not 2xx: {cells['not 2xx']}"),
            ("pages", cells["pages"]),
            ("errors", f"{cells['errors']}  {_counts(row.get('errors_by_cause', {}))}" if row["errors"] else "0"),
            ("skipped", f"{cells['skipped']}  {_counts(row.get('skipped_by_reason', {}))}"
             if row.get("skipped") else "0"),
            ("new", f"articles/versions {cells['new articles']}, posts/versions {cells['new posts']}"),
            ("next run", f"{cells['next run (UTC)']} UTC (in {cells['in']})" if row.get("next_run_at") else "-"),
            ("lag", cells["lag"]),
            ("stored", f"articles {cells['articles']}, posts {cells['posts']}, archive {cells['archive']}")]


def print_status(console, report: dict) -> None:
    """`kronika status` for people: what it read, then every source; wide table or one block per source.

    Paths, run ids and reasons are printed unwrapped (soft wrap): the terminal may fold them, but a
    copy of the line gives them whole."""
    from rich.markup import escape

    now = datetime.fromisoformat(report["generated_at"])
    database = report["database"]
    console.print(f"[dim]config[/]    {escape(report.get('config') or 'none (the database alone)')}", soft_wrap=True)
    console.print(f"[dim]archive[/]   {escape(report['archive']['dir'])} "
                  f"({_human_bytes(report['archive']['bytes'])})", soft_wrap=True)
    console.print(f"[dim]database[/]  {escape(database.get('path') or database['url'])} ({database['dialect']}, "
                  f"{_human_bytes(database['bytes'])}, schema {'+'.join(database['schema_revisions'])})",
                  soft_wrap=True)
    table = status_table(report)
    # the table only when every cell fits whole; otherwise one block per source
    from kronika.cli.layout import fits, print_block

    wide = fits(console, table)
    if wide:
        console.print(table)
        for row in report["sources"]:  # the run id to copy, whole (the table has no room for it)
            if row.get("last_run_id"):
                console.print(f"[dim]{escape(row['source'])} last run:[/] {row['last_run_id']}", soft_wrap=True,
                              highlight=False)
    else:
        console.print("[bold]Kronika status[/]")
        for row in report["sources"]:
            console.print()
            print_block(console, f"[bold]{escape(row['source'])}[/] ({row['kind']})", _status_pairs(row, now))
    for row in report["sources"]:
        if row.get("last_run_reason") and row["last_run_status"] == "failed":
            console.print(f"[bold red]{escape(row['source'])} failed:[/] {escape(row['last_run_reason'])}",
                          soft_wrap=True)
        elif wide and (row.get("errors_by_cause") or row.get("skipped_by_reason")):
            console.print(f"{escape(row['source'])}: errors {_counts(row.get('errors_by_cause', {}))}; "
                          f"skipped {_counts(row.get('skipped_by_reason', {}))}", soft_wrap=True)


def run_table(console, results: list[dict]) -> None:
    """`kronika run` for people: a row per source run, then its id, causes and reason on lines of their own."""
    from rich.markup import escape

    table = Table(title="Kronika run", caption="new: rows/versions this run added")
    table.add_column("source", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for header in ("pages", "errors", "skipped", "new articles", "new posts"):
        table.add_column(header, justify="right")
    for row in results:
        status = row["status"]
        table.add_row(row["source"], f"[{_COLOURS.get(status, 'dim')}]{status}[/]", str(row["pages"]),
                      f"[red]{row['errors']}[/]" if row["errors"] else "0", str(row["skipped"]),
                      f"{row['new_articles']}/{row['new_article_versions']}",
                      f"{row['new_posts']}/{row['new_post_versions']}")
    console.print(table)
    for row in results:
        details = [f"run {row['id']}", f"{row['requests']} requests"]
        if row["errors_by_cause"]:
            details.append(f"errors: {_counts(row['errors_by_cause'])}")
        if row["skipped_by_reason"]:
            details.append(f"skipped: {_counts(row['skipped_by_reason'])}")
        details.append(f"WARC: {', '.join(row['warc_files']) or 'none'}")
        console.print(f"{escape(row['source'])}: {escape('; '.join(details))}", soft_wrap=True, highlight=False)
        if row.get("reason"):
            console.print(f"[bold red]{escape(row['source'])} {status}:[/] {escape(row['reason'])}",
                          soft_wrap=True, highlight=False)


def summary_table(summaries: list[dict], title: str) -> Table:
    table = Table(title=title, caption="WARC: files/records; articles and posts: rows/versions")
    table.add_column("source", no_wrap=True)
    table.add_column("last run", no_wrap=True)
    for header in ("pages", "revisits", "errors", "WARC", "articles", "posts"):
        table.add_column(header, justify="right")
    for row in summaries:
        table.add_row(row["source"], row["last_run_status"] or "-", str(row["pages"]), str(row["revisits"]),
                      str(row["errors"]), f"{row['warc_files']}/{row['warc_records']}",
                      f"{row['articles']}/{row['article_versions']}", f"{row['posts']}/{row['post_versions']}")
    return table
