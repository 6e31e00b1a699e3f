"""Commands for archivists and data consumers: export, timeline, plot, serve (all read-only)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from kronika.cli.base import (
    KnownError,
    console,
    emit_json,
    environment,
    errors,
    main,
    one_line_errors,
    progress_bar,
    read_session,
)
from kronika.cli.params import TIME, TIME_HELP


def _table_names() -> str:
    from kronika.storage.export import public_tables

    return ", ".join(public_tables())


# ------------------------------------------------------------------------------------ export
@main.command(epilog="Tables and views: the public schema, documented in docs/schema.md.")
@click.argument("table", required=False)
@click.option("--all", "all_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write every public table and view into DIR, with manifest.json (rows, sha256, schema version).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Default: from -o's suffix, else jsonl (parquet for --all).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout; Parquet needs a file).")
@click.option("--source", help="Only this source's rows.")
@click.option("--since", type=TIME, help=f"Only rows at or after this time. {TIME_HELP}")
@click.option("--until", type=TIME, help="Only rows before this time.")
@click.option("--list", "list_tables", is_flag=True, help="List the tables and views that can be exported.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON (the manifest for --all).")
@one_line_errors
def export(table: str | None, all_dir: str | None, fmt: str | None, output: str | None, source: str | None,
           since: datetime | None, until: datetime | None, list_tables: bool, as_json: bool) -> None:
    """Export a table or view as JSON Lines, CSV or Parquet, streaming (constant memory).

    \b
    Examples:
      kronika export articles --format parquet -o articles.parquet
      kronika export v_article_changes --source riverside-herald --since 2026-01-14 > changes.jsonl
      kronika export --all dump/            (every table and view as Parquet + dump/manifest.json)
    """
    from kronika.storage.db.readonly import read_only_engine
    from kronika.storage.export import count_rows, export_all, export_table, format_for, public_tables, query

    if list_tables:
        tables = public_tables()
        if as_json:
            emit_json({name: [c.name for c in t.c] for name, t in tables.items()})
            return
        listing = Table(title="Exportable tables and views (docs/schema.md)")
        listing.add_column("name", style="cyan")
        listing.add_column("kind")
        listing.add_column("columns")
        for name, t in tables.items():
            listing.add_row(name, "view" if t.info.get("view") else "table", ", ".join(c.name for c in t.c))
        console.print(listing)
        return
    if bool(table) == bool(all_dir):
        raise KnownError("name one TABLE or pass --all DIR (kronika export --list shows the tables)")
    engine = read_only_engine(environment().database_url)
    try:
        if all_dir:
            if source or since or until or output:
                raise KnownError("--all exports whole tables: --source, --since, --until and -o do not apply")
            with progress_bar("rows") as bar:
                def on_table(name: str, total: int):
                    task = bar.add_task(name, total=total)
                    return lambda n: bar.advance(task, n)

                manifest = export_all(engine, Path(all_dir), fmt or "parquet", on_table=on_table)
            if as_json:
                emit_json(manifest)
            else:
                summary = Table(title=f"{all_dir}: schema {manifest['schema_version']}, {manifest['format']}")
                for column in ("table", "rows", "bytes", "sha256"):
                    summary.add_column(column, justify="right" if column in ("rows", "bytes") else "left")
                for name, entry in manifest["tables"].items():
                    summary.add_row(name, str(entry["rows"]), str(entry["bytes"]), entry["sha256"][:16] + "…")
                console.print(summary)
            return
        fmt = fmt or format_for(output)
        target = Path(output) if output else None
        with engine.connect() as connection:
            tables = public_tables()
            if table not in tables:
                from kronika.names import unknown_name

                raise KnownError(f"{unknown_name('public table or view', table, tables)} "
                                 "(kronika export --list shows them)")
            if source:
                from sqlalchemy.orm import Session

                from kronika.names import check_name, stored_sources

                with Session(connection) as session:
                    check_name("source", source, stored_sources(session), " in the database")
            total = count_rows(connection, query(tables[table], source, since, until))
            with progress_bar("rows") as bar:
                task = bar.add_task(f"exporting {table}", total=total)
                rows = export_table(connection, table, fmt, target, source, since, until,
                                    progress=lambda n: bar.advance(task, n))
        if as_json and target:
            emit_json({"table": table, "format": fmt, "rows": rows, "file": str(target)})
        else:
            errors.print(f"{table}: {rows} rows{f' to {target}' if target else ''} ({fmt})", highlight=False)
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------ timeline
def _diff_text(runs) -> str:
    """Removed text struck through in red, added underlined in green; without colours (a pipe, a
    file) wdiff's markers instead: [-removed-]{+added+}."""
    from rich.markup import escape

    if console.color_system:
        styles = {"-": "[red strike]{}[/]", "+": "[green underline]{}[/]", "=": "{}"}
    else:
        styles = {"-": "[-{}-]", "+": "{{+{}+}}", "=": "{}"}
    return "".join(styles[op].format(escape(text)) for op, text in runs)


def _print_versions(title: str, versions: list[dict], label: str) -> None:
    """A row per version; the 14-digit timestamp and capture id whole (they are copied to `get --at`
    and replay), as a table when it fits, else a block per version."""
    from kronika.cli.layout import Column, plain, show_rows
    from kronika.storage.warc.replay import timestamp14

    columns = [Column("#", justify="right"), Column("timestamp (UTC)", copy=True), Column(label, prose=True),
               Column("changed", prose=True), Column("words +/-"), Column("capture", justify="right", copy=True)]
    rows = [[f"version {v['version']}", timestamp14(v["captured_at"]), plain((v.get("title") or v.get("text") or "")[:70]),
             plain(", ".join(v["changed"]) or ("first version" if v["version"] == 1 else "-")),
             f"[green]+{v['words_added']}[/] [red]-{v['words_removed']}[/]", str(v["capture_id"])]
            for v in versions]
    console.print(f"[bold]{plain(title)}[/]", soft_wrap=True, highlight=False)
    show_rows(console, columns, rows)


@main.command()
@click.argument("url", required=False)
@click.option("--channel", help="Every post of a Telegram channel: posted, edited, deleted.")
@click.option("--query", "-q", "q", help="Articles and posts whose title, URL or text contains this.")
@click.option("--since", type=TIME, help=f"Only events at or after this time, for --channel. {TIME_HELP}")
@click.option("--until", type=TIME, help="Only events before this time, for --channel.")
@click.option("--diff", "show_diff", is_flag=True, help="Show each version's text changes word by word.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def timeline(url: str | None, channel: str | None, q: str | None, since: datetime | None, until: datetime | None,
             show_diff: bool, as_json: bool) -> None:
    """The versions of an article (or post) over time, or a channel's or a search's events, with what changed.

    \b
    Examples:
      kronika timeline http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html --diff
      kronika timeline https://t.me/zarichna_ova/4117
      kronika timeline --channel zarichna_ova --since 2026-01-14
      kronika timeline --query "Zarichansk" --json
    """
    from kronika import browse

    if sum(bool(x) for x in (url, channel, q)) != 1:
        raise KnownError("give one of URL, --channel C or --query Q")
    with read_session() as session:
        if url:
            from kronika import lookup
            from kronika.storage.db.models import Article

            found = lookup.find(session, url)
            article = found if isinstance(found, Article) else None
            post = found if found is not None and article is None else None
            if found is None:
                raise KnownError(f"no article or post stored for {url} (try `kronika timeline --query`)")
            if article is not None:
                item, versions, label = browse.article_dict(article), browse.article_versions(session, article.id), "title"
            else:
                item, versions, label = browse.post_dict(post), browse.post_versions(session, post.id), "text"
            previous = None
            for version in versions:
                version["diff"] = browse.word_diff(previous and previous["text"], version["text"]) if previous else None
                previous = version
            if as_json:
                emit_json({"article" if article else "post": item, "versions": versions})
                return
            _print_versions(item.get("title") or item["url"], versions, label)
            if show_diff:
                for version in versions[1:]:
                    console.rule(f"version {version['version'] - 1} → {version['version']} "
                                 f"({version['captured_at']:%Y-%m-%d %H:%M:%S}; changed: {', '.join(version['changed']) or 'nothing'})")
                    console.print(_diff_text(version["diff"]), highlight=False)
            elif len(versions) > 1:
                errors.print("--diff shows the changes word by word", style="dim")
            return
        if channel:
            from kronika.names import check_name, stored_channels

            channel = check_name("channel", channel.lstrip("@"), stored_channels(session), " in the database",
                                 ignore_case=True)
            events = browse.channel_timeline(session, channel, since, until)
            title = f"@{channel}"
        else:
            events = browse.query_timeline(session, q)
            title = f"“{q}”"
    if not events:
        raise KnownError(f"nothing stored for {title}")
    if as_json:
        emit_json({"events": events})
        return
    from kronika.cli.layout import Column, plain, show_rows

    colours = {"edited": "yellow", "changed": "yellow", "deleted": "bold red", "gone": "bold red"}
    rows = []
    for event in events:
        words = f"+{event['words_added']} -{event['words_removed']}" if "words_added" in event else ""
        what = ", ".join(event.get("changed") or []) or (event.get("title") or "")[:60]
        rows.append([event["at"].strftime("%Y-%m-%d %H:%M"), f"[{colours.get(event['event'], 'green')}]{event['event']}[/]",
                     plain(event["url"]), plain(what), words])
    # URLs whole, to copy: a table when they fit, else a block per event
    show_rows(console, [Column("at (UTC)"), Column("event"), Column("url", copy=True), Column("what", prose=True),
                        Column("words +/-")], rows, title=f"{title}: {len(events)} events")


# ------------------------------------------------------------------------------------ plot
@main.command()
@click.argument("kind", type=click.Choice(["runs", "versions", "posts", "claims"]))
@click.option("--source", help="Only this source (for posts: a Telegram source; default: every channel).")
@click.option("--category", help="For claims: only this category (killed, injured, …).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print what was plotted as JSON.")
@one_line_errors
def plot(kind: str, source: str | None, category: str | None, output: str, as_json: bool) -> None:
    """Plot runs (pages and errors per run), versions (per article), posts (posts and edits per day)
    or claims (the figures each source stated over time, changed ones marked).

    \b
    Examples:
      kronika plot runs -o runs.png
      kronika plot versions --source riverside-herald -o versions.png
      kronika plot posts --source zarichna-ova -o posts.png
      kronika plot claims --category injured -o injured.png
    """
    from kronika import plots

    if category and kind != "claims":
        raise KnownError("--category applies to `plot claims` only")
    with read_session() as session:
        if source:
            from kronika.names import check_name, stored_sources

            check_name("source", source, stored_sources(session), " in the database")
        if kind == "claims":
            summary = plots.plot_claims(session, Path(output), source, category)
        else:
            summary = plots.PLOTS[kind](session, Path(output), source)
    if as_json:
        emit_json(summary)
    else:
        errors.print(f"wrote {output}: {summary['description']}", highlight=False)


# ------------------------------------------------------------------------------------ serve
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port (0: any free port).")
@click.option("--replay-url", envvar="KRONIKA_REPLAY_URL",
              help="Where `kronika replay` serves pywb (e.g. http://127.0.0.1:8080/): each capture links to "
                   "its replay there, at /<source>/<14-digit timestamp>/<url>.")
@one_line_errors
def serve(host: str, port: int, replay_url: str | None) -> None:
    """Serve the read-only web view: sources and runs, searchable articles and posts, diffs, captures.

    The database is opened read-only (SQLite mode=ro, PostgreSQL default_transaction_read_only);
    the app has no route that writes.

    Example: kronika serve --port 8000    then open http://127.0.0.1:8000/
    """
    import socket

    import uvicorn

    from kronika.web import create_app

    app = create_app(environment(), replay_url=replay_url)
    try:  # bind first: a port in use or a bad address is a one-line error, and port 0 gets a real number
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise KnownError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    errors.print(f"Kronika web view on http://{host}:{sock.getsockname()[1]}/ (read-only; Ctrl-C to stop)",
                 highlight=False)
    server.run(sockets=[sock])
