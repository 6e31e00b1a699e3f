"""`kronika diff URL`: what changed between two versions of an article or a Telegram post.

Word-level: the texts are split into words (whitespace kept apart from words, so paragraphs stay
readable) and compared with difflib (`kronika.browse.word_opcodes`, shared with the web view);
changed fields (title, dates, authors; for posts, edited and media) are listed beside the text.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.text import Text

from kronika.cli.base import KnownError, console, emit_json, main, one_line_errors, reading_environment
from kronika.cli.params import TIME, TIME_HELP

if TYPE_CHECKING:
    from kronika.settings import Environment



def word_diff(old: str, new: str) -> list[dict]:
    """Opcodes over words: [{"op": equal|insert|delete|replace, "from": ..., "to": ...}]."""
    from kronika.browse import word_opcodes

    return [{"op": tag, "from": removed, "to": added} for tag, removed, added in word_opcodes(old, new)]


def changed_fields(old: dict, new: dict) -> dict:
    return {name: {"from": old.get(name), "to": new.get(name)}
            for name in new if old.get(name) != new.get(name)}


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


# the fields compared beside the text, per kind (the versions come from kronika.browse, as in the web view)
DIFF_FIELDS = {"article": ("title", "authors", "published_at", "modified_at", "language"),
               "telegram_post": ("edited", "media")}


def _fields(version: dict, kind: str) -> dict:
    return {name: _iso(version.get(name)) for name in DIFF_FIELDS[kind]}


def _at(versions: list[dict], moment: datetime | None, default: dict) -> dict:
    """The version in effect at `moment`: the newest captured at or before it."""
    if moment is None:
        return default
    earlier = [v for v in versions if v["captured_at"] <= moment]
    if not earlier:
        raise KnownError(f"no version had been captured by {moment.isoformat()} "
                         f"(the first is from {versions[0]['captured_at'].isoformat()})")
    return earlier[-1]


def revision_diff(env: Environment, url: str, since: datetime | None = None,
                  until: datetime | None = None) -> dict:
    from sqlalchemy.orm import Session

    from kronika import browse, lookup
    from kronika.storage.db.models import Article
    from kronika.storage.db.readonly import read_only_engine

    engine = read_only_engine(env.database_url)
    try:
        with Session(engine) as session:
            found = lookup.find(session, url)
            if found is None:
                raise KnownError(f"no article or post stored for {url} (try `kronika search`)")
            if isinstance(found, Article):
                kind, versions = "article", browse.article_versions(session, found.id)
            else:
                kind, versions = "telegram_post", browse.post_versions(session, found.id)
            identity = found.url
    finally:
        engine.dispose()
    if not versions:
        raise KnownError(f"{identity} has no stored versions")
    if len(versions) == 1 and since is None and until is None:
        old = new = versions[0]
    else:
        new = _at(versions, until, versions[-1])
        old = _at(versions, since, versions[max(0, versions.index(new) - 1)])
    old_text, new_text = old["text"] or "", new["text"] or ""
    return {
        "kind": kind, "url": identity, "versions": len(versions),
        "from": {"version": old["version"], "captured_at": old["captured_at"].isoformat(),
                 "capture_id": old["capture_id"]},
        "to": {"version": new["version"], "captured_at": new["captured_at"].isoformat(),
               "capture_id": new["capture_id"]},
        "fields": changed_fields(_fields(old, kind), _fields(new, kind)),
        "text": word_diff(old_text, new_text),
        "text_changed": old_text != new_text,
    }


def render(diff: dict) -> Text:
    out = Text()
    out.append(f"{diff['url']}\n", style="bold")
    out.append(f"version {diff['from']['version']} ({diff['from']['captured_at']}) -> "
               f"version {diff['to']['version']} ({diff['to']['captured_at']}) of {diff['versions']}\n")
    if diff["from"]["version"] == diff["to"]["version"]:
        out.append("only one version stored: nothing to compare\n", style="yellow")
        return out
    for name, change in diff["fields"].items():
        out.append(f"{name}: ", style="bold")
        out.append(f"{change['from']}", style="red strike")
        out.append(" -> ")
        out.append(f"{change['to']}\n", style="green")
    if not diff["text_changed"]:
        out.append("text unchanged\n", style="dim")
        return out
    out.append("\n")
    for op in diff["text"]:
        if op["op"] == "equal":
            out.append(op["from"])
            continue
        if op["from"]:
            out.append(f"[-{op['from']}-]", style="red strike")
        if op["to"]:
            out.append(f"{{+{op['to']}+}}", style="green")
    out.append("\n")
    return out


@main.command()
@click.argument("url")
@click.option("--from", "since", type=TIME, help=f"Compare from the version in effect at this time. {TIME_HELP}")
@click.option("--to", "until", type=TIME, help="Compare to the version in effect at this time (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (word-level opcodes and changed fields).")
@one_line_errors
def diff(url: str, since: datetime | None, until: datetime | None, as_json: bool) -> None:
    """Word-level diff of an article's (or a t.me/<channel>/<id> post's) text and changed fields.

    Without --from/--to: the newest version against the one before it.

    \b
    Example: kronika diff https://example.org/news/strike.html
             kronika diff https://t.me/zarichna_ova/4117 --from 2026-01-14T08:00:00Z --json
    """
    result = revision_diff(reading_environment(), url, since, until)
    if as_json:
        emit_json(result)
    else:
        console.print(render(result), soft_wrap=True)
