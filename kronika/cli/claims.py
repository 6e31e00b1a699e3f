"""`kronika claims`: numeric claims about casualties and attacks (issue 21).

`claims parse` runs the extractor (kronika/claims) on a text file, exactly as extraction runs it on
an article or post; the stored claims and their history are read by the other `claims` commands.
"""
from __future__ import annotations

import re
import sys

import click
from rich.table import Table

from kronika.cli.base import KnownError, console, emit_json, main, one_line_errors


@main.group()
def claims() -> None:
    """Numeric claims (killed, injured, drones, ...): who said which figure, and how it changed."""


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
