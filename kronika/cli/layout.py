"""Listings that never cut what a user copies: a table when it fits the terminal, else one block per row.

A value a user copies — a URL, a 14-digit timestamp, a run id, a digest, a file name — is never
truncated, folded or hyphenated: in a table its column is as wide as its longest value; when that
does not fit the terminal, each row becomes a block of `label  value` lines printed unwrapped (the
terminal may wrap a long line on screen, but a copy of it gives the value whole). Prose columns
(titles, snippets) wrap inside the table down to `PROSE_MIN_WIDTH` letters.

    columns = [Column("timestamp (UTC)", copy=True), Column("status", justify="right"), Column("title", prose=True)]
    show_rows(console, columns, rows, title="…")
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

PROSE_MIN_WIDTH = 16  # narrower than this, wrapped prose reads as a column of syllables


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    copy: bool = False  # a value to copy (URL, timestamp, id, digest, file): never cut
    prose: bool = False  # free text: may wrap inside the table


def fits(console: Console, table: Table) -> bool:
    """Whether the table can be drawn at the console's width with nothing cut: each one-line
    (no_wrap) column as wide as its widest cell, each wrapping column as wide as its longest word
    (and its min_width). Rich's own minimum would squeeze one-line columns with an ellipsis."""
    from rich.measure import Measurement

    options = console.options.update(max_width=100_000)
    total = 0
    for column in table.columns:
        cells = [column.header, *column.cells]
        measured = [Measurement.get(console, options, console.render_str(c) if isinstance(c, str) else c)
                    for c in cells]
        if column.no_wrap:
            width = max(m.maximum for m in measured)
        else:
            width = max([column.min_width or 0, *(m.minimum for m in measured)])
        total += width + table.padding[1] + table.padding[3]  # cell padding, left and right
    if table.box is not None:
        total += len(table.columns) + 1 if table.show_edge else len(table.columns) - 1  # the rules between
    return total <= console.width


def table_of(columns: list[Column], rows: list[list], title: str | None = None,
             caption: str | None = None) -> Table:
    table = Table(title=title, caption=caption)
    for column in columns:
        if column.prose:
            table.add_column(column.header, justify=column.justify, min_width=PROSE_MIN_WIDTH, ratio=1)
        else:  # copied values and short fields alike stay on one line
            table.add_column(column.header, justify=column.justify, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _as_text(value) -> Text:
    if isinstance(value, Text):
        return value
    return Text.from_markup(value) if isinstance(value, str) else Text(str(value))


def print_block(console: Console, heading: RenderableType, pairs: list[tuple[str, object]]) -> None:
    """One row as a heading line and `label  value` lines, unwrapped (soft wrap: copies stay whole)."""
    console.print(heading, soft_wrap=True, highlight=False)
    width = max((len(label) for label, _ in pairs), default=0)
    for label, value in pairs:
        lines = _as_text(value).split("\n")
        for i, line in enumerate(lines):
            if not line.plain and len(lines) > 1:
                continue
            prefix = Text(f"  {label.ljust(width) if i == 0 else ' ' * width}  ", style="dim")
            console.print(prefix + line, soft_wrap=True, highlight=False)


def show_rows(console: Console, columns: list[Column], rows: list[list], title: str | None = None,
              caption: str | None = None, heading: int = 0) -> bool:
    """Print rows as a table if it fits, else one block per row headed by column `heading`; True for a table.

    Cells are rich markup strings or Text; empty cells are left out of a block."""
    table = table_of(columns, rows, title, caption)
    if fits(console, table):
        console.print(table)
        return True
    if title:
        console.print(Text(title, style="bold"), soft_wrap=True, highlight=False)
    for row in rows:
        head = _as_text(row[heading]).copy()
        head.stylize("bold")
        console.print()
        print_block(console, head, [(column.header, value) for i, (column, value) in enumerate(zip(columns, row))
                                    if i != heading and _as_text(value).plain.strip()])
    if caption:
        console.print()
        console.print(Text(caption, style="dim"), soft_wrap=True, highlight=False)
    return False


def plain(value: str | None) -> str:
    """A stored value (URL, title, file name) as markup that shows it literally."""
    return escape(value or "")
