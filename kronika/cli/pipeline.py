"""Pipeline commands: sources, crawl, index, extract, run, status, history, parse, db, mirror, demo."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from kronika.cli.base import (
    KnownError,
    _config,
    console,
    emit_json,
    environment,
    errors,
    main,
    one_line_errors,
    progress_bar,
    read_session,
    reading_environment,
)

if TYPE_CHECKING:
    from kronika.settings import Environment



@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@one_line_errors
def sources(ctx, as_json: bool) -> None:
    """List and validate the configured sources.

    Example: kronika --config config/demo.yaml sources
    """
    config = _config(ctx)
    rows = [{"name": s.name, "kind": s.kind, "schedule": s.schedule, "start_urls": s.start_urls,
             "obey_robots": s.obey_robots} for s in config.sources]
    if as_json:
        emit_json({"config": str(config.path), "sources": rows})
        return
    table = Table(title=f"{len(rows)} sources in {config.path}")
    for column in ("name", "kind", "schedule", "start URLs"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["kind"], row["schedule"] or "-", "\n".join(row["start_urls"]))
    console.print(table)


@main.command()
@click.argument("source")
@click.option("--recapture-all", is_flag=True, help="Re-fetch every known article of the source, not only those due.")
@click.option("--dry-run", is_flag=True, help="Fetch the start pages only and print what would be followed and "
              "what skipped, and why; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@one_line_errors
def crawl(ctx, source: str, recapture_all: bool, dry_run: bool, as_json: bool) -> None:
    """Crawl one source into WARC files (no parsing, no database rows besides the run).

    \b
    Example: kronika crawl riverside-herald --recapture-all
             kronika crawl riverside-herald --dry-run      (what a crawl would fetch, writing nothing)
    """
    if dry_run:
        _print_dry_run(_config(ctx).source(source), as_json)
        return
    from kronika.steps.crawl import crawl as crawl_step

    with errors.status(f"crawling {source} ..."):
        result = crawl_step(_config(ctx).source(source), recapture_all=recapture_all)
    if as_json:
        emit_json(result.__dict__)
    else:
        from kronika import runs

        crawled = runs.summarise_stats(result.stats)
        console.print(f"{source}: run {result.run_id} {result.status}, {crawled.pages} pages, "
                      f"{crawled.errors} errors, {crawled.skipped} skipped, "
                      f"WARC files: {', '.join(result.warc_files) or 'none'}", soft_wrap=True)


def _print_dry_run(source, as_json: bool) -> None:
    from collections import Counter

    from rich.markup import escape

    from kronika.cli.layout import Column, plain, show_rows
    from kronika.dry_run import dry_run

    with errors.status(f"fetching the start pages of {source.name} ..."):
        report = dry_run(source)
    if as_json:
        emit_json(report.as_dict())
        return
    for page in report.start_pages:
        state = f"{page['status']} {page.get('content_type') or ''}".strip() if page["status"] else "not fetched"
        console.print(f"[bold]start page[/] {escape(page['url'])}: {escape(state)}, read as {page.get('kind') or '-'}"
                      + (f" ([red]{escape('; '.join(page['errors']))}[/])" if page.get("errors") else ""),
                      soft_wrap=True, highlight=False)
    colours = {"follow": "green", "skip": "yellow", "read": "cyan"}
    rows = [[plain(d.url), f"[{colours[d.action]}]{d.action}[/]", plain(d.what), plain(d.reason)]
            for d in report.decisions]
    if rows:
        show_rows(console, [Column("URL", copy=True), Column("would"), Column("what"), Column("why", prose=True)],
                  rows, title=f"{source.name}: dry run (nothing written)")
    counts = Counter(f"{d.action} {d.what}" for d in report.decisions)
    console.print(f"{source.name}: " + (", ".join(f"{n} × {what}" for what, n in sorted(counts.items())) or
                                        "nothing found on the start pages"), soft_wrap=True, highlight=False)


@main.command()
@click.option("--source", help="Only this source's files.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def index(source: str | None, as_json: bool) -> None:
    """Index closed WARC files not yet indexed into the captures table.

    Example: kronika index --source riverside-herald
    """
    from kronika.names import check_archive_source
    from kronika.steps.index import index as index_step

    check_archive_source(environment(), source)
    with progress_bar("files") as bar:
        task = bar.add_task("indexing WARC files", total=None)
        result = index_step(source=source, progress=lambda _path: bar.advance(task))
    if as_json:
        emit_json(result.__dict__)
    else:
        console.print(f"indexed {len(result.files)} new WARC files, {result.captures} captures")


@main.command()
@click.option("--all", "all_files", is_flag=True, help="Re-read every WARC file, not only new ones.")
@click.option("--source", help="Only this source's files.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes parsing articles in parallel (for large backlogs); one writer.")
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Load exactly this WARC file of the archive (repeatable; indexed first if new), e.g. one "
                   "that arrived late. The rows do not depend on the order files are loaded in.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def extract(all_files: bool, source: str | None, workers: int, files: tuple[str, ...], as_json: bool) -> None:
    """Extract articles and posts from WARC records into the database.

    Example: kronika extract --all --workers 4    (rebuild the tables from the archive alone)
    """
    from kronika.names import check_archive_source
    from kronika.steps.extract import extract as extract_step

    check_archive_source(environment(), source)
    if files and (all_files or source):
        raise click.UsageError("--file names the files itself: not with --all or --source")
    with progress_bar("files") as bar:
        task = bar.add_task("extracting WARC files", total=None)
        try:
            result = extract_step(all_files=all_files, source=source, workers=workers,
                                  progress=lambda _path: bar.advance(task),
                                  files=[Path(f) for f in files] if files else None)
        except (FileNotFoundError, ValueError) as exc:
            raise KnownError(str(exc)) from None
    if as_json:
        emit_json({"files": result.files, "counts": dict(result.counts)})
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "nothing new"
        console.print(f"extracted {len(result.files)} WARC files: {counts}")


@main.command()
@click.argument("source", required=False)
@click.option("--all", "all_sources", is_flag=True, help="Run every configured source.")
@click.option("--recapture-all", is_flag=True, help="Re-fetch every known article, not only those due.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@one_line_errors
def run(ctx, source: str | None, all_sources: bool, recapture_all: bool, as_json: bool) -> None:
    """Crawl, index, extract and check a source (what its DAG does), or --all of them.

    The check's verdict is the run's status in `crawl_runs`: a run that fails it is `failed`, with a
    one-line reason; the command then exits 1. With --all, every source is run whatever the others did.

    Example: kronika run zarichna-ova --json
    """
    from kronika.report import run_table
    from kronika.steps.crawl import CrawlFailed
    from kronika.steps.run import run_source

    config = _config(ctx)
    if bool(source) == all_sources:
        raise KnownError("name one SOURCE or pass --all")
    chosen = config.sources if all_sources else [config.source(source)]
    env = environment()
    results = []
    for item in chosen:
        try:
            with errors.status(f"running {item.name} ..."):
                outcome = run_source(item, env, recapture_all=recapture_all)
        except CrawlFailed as exc:
            if not exc.run_id:
                raise
            # the crawl itself failed (and is recorded so): the next source still runs
            results.append(_recorded_run(env, exc.run_id) | {"checks_failed": [str(exc)]})
            continue
        results.append(outcome.summary().as_dict(times_as_text=True)
                       | {"extract": dict(outcome.extract.counts), "checks_failed": outcome.check.failed})
    if as_json:
        emit_json(results)
    else:
        run_table(console, results)
    failed = [row for row in results if row["status"] != "succeeded"]
    if failed:
        raise KnownError(" | ".join(f"{row['source']} {row['status']}: {row['reason']}" for row in failed))


def _recorded_run(env: Environment, run_id: str) -> dict:
    """A run as `crawl_runs` holds it (for a crawl that failed before there was anything to check)."""
    from kronika import runs
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import CrawlRun

    with unit_of_work(open_database(env.database_url)) as session:
        return runs.summarise(session.get(CrawlRun, run_id), session).as_dict(times_as_text=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@one_line_errors
def status(ctx, as_json: bool) -> None:
    """Per source: last run (time, status and why it failed, requests, pages, errors by cause, skips
    by reason, what it added), next scheduled run, lag since the last successful run, rows; with the
    config file, archive and database it read, and their sizes.

    Exits 1 when a source's last run failed (`failing` in --json): usable by monitoring.

    Example: kronika status --json | jq '.sources[] | {source, last_run_status, last_run_reason, lag_seconds}'
    """
    from kronika.report import print_status, status_report
    from kronika.settings import ConfigError

    try:
        config = _config(ctx)
    except ConfigError:
        config = None  # no config here: the database alone still tells most of it
    schedules = {s.name: s.schedule for s in config.sources} if config else {}
    report = status_report(reading_environment(), schedules, config_path=str(config.path) if config else None)
    if as_json:
        emit_json(report)
    else:
        print_status(console, report)
    if report["failing"]:
        errors.print(f"[bold red]failing:[/] {', '.join(report['failing'])}", highlight=False)
        sys.exit(1)


@main.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def history(url: str, as_json: bool) -> None:
    """Every capture of a URL: time, status, digest, revisit or not, run.

    Example: kronika history https://t.me/zarichna_ova/140
    """
    from kronika.lookup import capture_history

    with read_session() as session:
        rows = capture_history(session, url)
    if not rows:
        raise KnownError(f"no captures of {url}")
    if as_json:
        emit_json(rows)
        return
    from kronika.cli.layout import Column, plain, show_rows

    # the 14-digit timestamp is the one to copy (`get --at`, pywb's /<source>/<timestamp>/<url>), and
    # the digest, file and run id are copied too: a table when they fit whole, else a block per capture
    columns = [Column("timestamp (UTC)", copy=True), Column("type"), Column("status", justify="right"),
               Column("payload digest", copy=True), Column("WARC file", copy=True),
               Column("offset", justify="right", copy=True), Column("run", copy=True)]
    table_rows = [[row["timestamp"], plain(row["record_type"]), str(row["status"]),
                   plain(row["payload_digest"]), plain(row["warc_file"]), str(row["offset"]),
                   plain(row["crawl_run_id"])] for row in rows]
    console.print(plain(url), soft_wrap=True, highlight=False)
    show_rows(console, columns, table_rows, title=f"{len(rows)} captures")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--kind", type=click.Choice(["article", "telegram"]), default="article")
@click.option("--source", "source_name", help="Apply this configured source's `extraction:` rules, as extract does.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@one_line_errors
def parse(ctx, file: str, url: str, kind: str, source_name: str | None, as_json: bool) -> None:
    """Run the extraction chain on one saved page (raw HTML, gzip accepted); the code `extract` uses.

    Example: kronika parse page.html --url https://example.org/news/1 --json
    """
    from pathlib import Path

    from kronika.spiders.parsers.charset import maybe_gunzip

    body = maybe_gunzip(Path(file).read_bytes())
    if kind == "article":
        from kronika.spiders.parsers.article import parse_article

        rules = None
        if source_name:
            source = _config(ctx).source(source_name)
            extraction = getattr(source, "extraction", None)
            rules = extraction.as_rules() if extraction else None
        data = parse_article(body, url, rules=rules).as_dict()
    else:
        from kronika.spiders.parsers.telegram import parse_channel_page

        page = parse_channel_page(body, url)
        data = {"channel": asdict(page.channel), "posts": [p.as_dict() for p in page.posts], "before": page.before, "warnings": page.warnings}
    if as_json:
        emit_json(data)
    else:
        console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@main.group()
def db() -> None:
    """Database schema commands.

    Example: kronika db upgrade
    """


@db.command("upgrade")
@one_line_errors
def db_upgrade() -> None:
    """Apply Alembic migrations up to the newest schema (creates a new database).

    Read-only commands (export, timeline, plot, serve) never migrate: they ask for this instead.

    \b
    Example: KRONIKA_DATABASE_URL=postgresql+psycopg://kronika@db/kronika kronika db upgrade
    """
    from kronika.storage.db.engine import current_revisions, make_engine, upgrade

    engine = make_engine(environment().database_url)
    upgrade(engine)
    console.print(f"database at revision {', '.join(sorted(current_revisions(engine)))}")


@main.group()
def mirror() -> None:
    """The bundled offline mirror of fictional outlets and a Telegram channel.

    Example: kronika mirror serve --port 8765 --epoch 1
    """


@mirror.command("serve")
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--epoch", default=0, show_default=True, help="Content epoch: 1 serves the later revisions.")
def mirror_serve(port: int, epoch: int) -> None:
    """Serve the mirror on loopback until Ctrl-C.

    Example: kronika mirror serve --port 8765
    """
    from kronika.mirror.server import serve

    serve("127.0.0.1", port, epoch)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@one_line_errors
def demo(as_json: bool) -> None:
    """Run the whole pipeline through Airflow on the bundled mirror, offline, and summarise it.

    Starts the mirror on a free loopback port, runs the DAG of every source in config/demo.yaml
    with Airflow's dag.test() (AIRFLOW_HOME under data/), and prints what was stored.

    Example: kronika demo && kronika status
    """
    from kronika.demo import run_demo

    run_demo(console, as_json=as_json)



@main.command()
@click.option("--slots", default=1, show_default=True, help="Concurrent crawls allowed per site.")
@click.pass_context
@one_line_errors
def pools(ctx, slots: int) -> None:
    """Print the Airflow pools the DAGs use (one per site), in `airflow pools import` format.

    Example: kronika pools > pools.json && airflow pools import pools.json
    """
    from kronika.settings import site_pool

    specs: dict[str, dict] = {}
    for source in _config(ctx).sources:
        entry = specs.setdefault(site_pool(source), {"slots": slots, "include_deferred": False,
                                                     "description": "Kronika crawls of "})
        entry["description"] += ("" if entry["description"].endswith("of ") else ", ") + source.name
    emit_json(specs)
