"""`kronika search`: full-text search over the stored articles and Telegram posts."""
from __future__ import annotations

import re
from datetime import datetime

import click
from rich.text import Text

from kronika.cli.base import console, emit_json, main, one_line_errors, reading_environment
from kronika.cli.params import TIME, TIME_HELP


@main.command()
@click.argument("query")
@click.option("--source", help="Only this source's articles or posts.")
@click.option("--since", type=TIME, help=f"Published at or after this time. {TIME_HELP}")
@click.option("--until", type=TIME, help="Published before this time.")
@click.option("--kind", type=click.Choice(["all", "article", "post"]), default="all", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--latest", "latest_only", is_flag=True,
              help="Only the current text (default: every version, so text a rewrite removed is found too).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def search(query: str, source: str | None, since: datetime | None, until: datetime | None, kind: str, limit: int,
           latest_only: bool, as_json: bool) -> None:
    """Full-text search over every version of the articles and posts, best matches first, with snippets.

    Every word must match; a word also matches as a prefix ("удар" finds "удару"). Each hit names
    the versions that matched and whether the latest still holds the text: "removed" means a later
    version took it out (`kronika diff URL` shows how).

    \b
    Example: kronika search "ракетний удар" --source zarichna-vistnyk --since 2026-01-01
             kronika search "figure was preliminary"        (found in version 1, removed)
             kronika search "missile strike" --latest --json
    """
    from kronika.names import check_stored_source
    from kronika.search import search as run_search
    from kronika.storage.db.engine import open_database

    env = reading_environment()
    check_stored_source(env.database_url, source)
    engine = open_database(env.database_url)
    kinds = ("article", "post") if kind == "all" else (kind,)
    hits = run_search(engine, query, source=source, since=since, until=until,
                      limit=limit, kinds=kinds, latest_only=latest_only)
    if as_json:
        emit_json({"query": query, "latest_only": latest_only, "hits": [hit.as_dict() for hit in hits]})
        return
    if not hits:
        console.print(f"no matches for {query!r}")
        return
    from kronika.cli.layout import Column, show_rows

    # the URL is copied (to `diff`, `get`, `history`): a table when it fits whole, else a block per hit
    columns = [Column("URL", copy=True), Column("score", justify="right"), Column("published"),
               Column("kind · source"), Column("title", prose=True), Column("found in"),
               Column("snippet", prose=True)]
    rows = [[Text(hit.url), f"{hit.score:.2f}",
             hit.published_at.strftime("%Y-%m-%d %H:%M") if hit.published_at else "-",
             Text(f"{hit.kind} · {hit.source}"), Text(hit.title or ""), found_in(hit), _marked(hit.snippet)]
            for hit in hits]
    show_rows(console, columns, rows, title=f"{len(hits)} matches for {query!r}")


def found_in(hit) -> Text:
    """Which versions matched, of how many, and whether the latest still holds the text."""
    numbers = [str(v["version"]) for v in hit.matched_versions]
    text = Text(f"v{', '.join(numbers)} of {hit.versions}" if numbers else f"latest of {hit.versions}")
    text.append("\nremoved" if not hit.in_latest else "\nin latest",
                style="bold red" if not hit.in_latest else "green")
    return text


def _marked(snippet: str) -> Text:
    """The snippet with the matched words (between [ and ]) in bold, no markup parsed."""
    text = Text()
    for i, part in enumerate(re.split(r"\[([^\]]*)\]", snippet)):
        text.append(part, style="bold yellow" if i % 2 else None)
    return text
