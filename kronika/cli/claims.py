"""`kronika claims`: numeric claims about casualties and attacks (issue 21).

`claims parse` runs the extractor (kronika/claims) on a text file, exactly as extraction runs it on
an article or post. `claims timeline` reads the stored claims (the database opened read-only);
`claims backfill` writes the claims of versions stored before claims existed (or all of them
again with --redo, after the extractor changed).
"""
from __future__ import annotations

import re
import sys
from datetime import datetime

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


@main.group()
def claims() -> None:
    """Numeric claims (killed, injured, drones, ...): who said which figure, and how it changed.

    Example: kronika claims timeline --category killed
    """


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) for each blank-line-separated paragraph: each is read on its own."""
    spans, start = [], 0
    for gap in re.finditer(r"\n[ \t]*\n\s*", text):
        spans.append((start, text[start:gap.start()]))
        start = gap.end()
    spans.append((start, text[start:]))
    return [(offset, p) for offset, p in spans if p.strip()]


@claims.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--lang", type=click.Choice(["auto", "en", "uk", "ru"]), default="auto", show_default=True,
              help="The text's language; auto guesses it for each paragraph.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per claim.")
@one_line_errors
def parse(file: str, lang: str, as_json: bool) -> None:
    """The claims in a UTF-8 text FILE ('-' reads standard input); offsets are into its text.

    \b
    Example: kronika claims parse statement.txt --json
             echo "At least 27 people were killed, the governor said." | kronika claims parse -
    """
    from kronika.claims import extract_claims

    try:
        if file == "-":
            text = sys.stdin.read()
        else:
            with open(file, encoding="utf-8", newline="") as handle:
                text = handle.read()
    except FileNotFoundError:
        raise KnownError(f"no such file: {file}") from None
    except UnicodeDecodeError as exc:
        raise KnownError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    found = []
    for offset, paragraph in paragraphs(text):
        for claim in extract_claims(paragraph, None if lang == "auto" else lang):
            found.append({
                "category": claim.category, "value": claim.count, "value_high": claim.count_high,
                "qualifier": claim.qualifier, "speaker": claim.speaker, "subset": claim.subset,
                "lang": claim.lang, "text": claim.sentence, "start": offset + claim.start, "end": offset + claim.end,
            })
    if as_json:
        emit_json(found)
        return
    if not found:
        console.print("no claims")
        return
    table = Table("category", "value", "qualifier", "speaker", "figure", "sentence")
    for c in found:
        value = str(c["value"]) + (f"-{c['value_high']}" if c["value_high"] is not None else "")
        table.add_row(c["category"] + (" (part)" if c["subset"] else ""), value, c["qualifier"], c["speaker"] or "",
                      f"{c['start']}-{c['end']}", c["text"])
    console.print(table)


# ------------------------------------------------------------------------------ stored claims


@claims.command()
@click.option("--url", help="Only this article or post (its URL, or a t.me/CHANNEL/ID link).")
@click.option("--query", "-q", help="Only claims whose sentence, URL or title contains this.")
@click.option("--source", help="Only this source.")
@click.option("--since", type=TIME, help=f"Only versions captured at or after this time. {TIME_HELP}")
@click.option("--category", help="Only this category (killed, injured, hospitalised, missing, drones, missiles, …).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per entry.")
@one_line_errors
def timeline(url: str | None, query: str | None, source: str | None, since: datetime | None, category: str | None,
             as_json: bool) -> None:
    """Each figure per source and category, in capture order, with who said it and where.

    A figure marked * differs from the one the version before of the same article or post stated.

    \b
    Examples:
      kronika claims timeline --category injured
      kronika claims timeline --url http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html
      kronika claims timeline --query Zarichansk --since 2026-01-14 --json
    """
    from kronika import lookup
    from kronika.claims.timeline import ENTRY_KEYS, figure_text
    from kronika.claims.timeline import timeline as claims_timeline

    if url and query:
        raise KnownError("give --url or --query, not both")
    filters = {"query": query, "source": source, "since": since, "category": category}
    with read_session() as session:
        if source:
            from kronika.names import check_name, stored_sources

            check_name("source", source, stored_sources(session), " in the database")
        if url:
            from kronika.storage.db.models import Article

            found = lookup.find(session, url)
            if found is None:
                raise KnownError(f"no article or post stored for {url} (try --query)")
            filters["article_id" if isinstance(found, Article) else "post_row_id"] = found.id
        entries = claims_timeline(session, **filters)
    if as_json:
        emit_json([{key: entry[key].isoformat() if key == "captured_at" else entry[key] for key in ENTRY_KEYS}
                   for entry in entries])
        return
    if not entries:
        raise KnownError("no claims match (kronika claims backfill extracts them for versions stored before claims existed)")
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for entry in entries:
        groups.setdefault((entry["category"], entry["source"], entry["url"]), []).append(entry)
    for (group_category, group_source, group_url), items in groups.items():
        # one small table per figure's history: three narrow columns fit an 80-column terminal,
        # and the URL stands whole above it (to copy)
        console.print(f"\n[bold]{group_category}[/] · {group_source}", highlight=False)
        console.print(group_url, soft_wrap=True, highlight=False)
        table = Table()
        table.add_column("captured (UTC)", no_wrap=True)
        table.add_column("figure", justify="right", no_wrap=True)
        table.add_column("said by", overflow="fold", max_width=40)
        for entry in items:
            figure = figure_text(entry["value"], entry["value_high"], entry["qualifier"])
            if entry["subset"]:
                figure = f"[dim]({figure})[/]"
            elif entry["changed"]:
                figure = f"[bold yellow]*{figure}[/]"
            table.add_row(entry["captured_at"].strftime("%Y-%m-%d %H:%M"), figure, entry["speaker"] or "—")
        console.print(table)
    errors.print("* the figure changed since the version before; (n) a part of a total", style="dim")


@claims.command()
@click.option("--redo", is_flag=True, help="Delete every claim and extract them all again (after the extractor changed).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@one_line_errors
def backfill(redo: bool, as_json: bool) -> None:
    """Extract the claims of every stored version that has none (a database from before claims).

    Example: kronika claims backfill
    """
    from kronika.claims.store import backfill as run_backfill
    from kronika.claims.store import versions_without_claims
    from kronika.storage.db.engine import open_database, unit_of_work

    engine = open_database(environment().database_url)
    try:
        with unit_of_work(engine) as session:
            articles, posts = versions_without_claims(session, redo=redo)
        with progress_bar("versions") as bar:
            task = bar.add_task("extracting claims", total=articles + posts)
            counts = run_backfill(engine, redo=redo, progress=lambda n: bar.advance(task, n))
    finally:
        engine.dispose()
    if as_json:
        emit_json(counts)
    else:
        errors.print(f"read {counts['article_versions']} article versions and {counts['post_versions']} post "
                     f"versions: {counts['claims']} claims stored", highlight=False)
