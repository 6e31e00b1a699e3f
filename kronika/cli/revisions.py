"""`kronika diff URL`: what changed between two versions of an article or a Telegram post.

Word-level: the texts are split into words (whitespace kept apart from words, so paragraphs stay
readable) and compared with difflib (`kronika.browse.word_opcodes`, shared with the web view);
changed fields (title, dates, authors; for posts, edited and media) are listed beside the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.text import Text

from kronika.cli.base import KnownError, console, emit_json, main, one_line_errors, reading_environment

_TELEGRAM_POST = re.compile(r"^https?://(?:www\.)?t(?:elegram)?\.me/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)/?(?:[?#].*)?$")

if TYPE_CHECKING:
    from kronika.settings import Environment



@dataclass
class Version:
    number: int  # 1 for the first version
    captured_at: datetime
    capture_id: int
    text: str
    fields: dict


def word_diff(old: str, new: str) -> list[dict]:
    """Opcodes over words: [{"op": equal|insert|delete|replace, "from": ..., "to": ...}]."""
    from kronika.browse import word_opcodes

    return [{"op": tag, "from": removed, "to": added} for tag, removed, added in word_opcodes(old, new)]


def changed_fields(old: dict, new: dict) -> dict:
    return {name: {"from": old.get(name), "to": new.get(name)}
            for name in new if old.get(name) != new.get(name)}


def parse_time(value: str | None) -> datetime | None:
    from kronika.storage.warc.retrieve import parse_when

    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise KnownError(str(exc)) from None


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def article_versions(session, url: str) -> tuple[str, list[Version]]:
    from sqlalchemy import or_, select

    from kronika.spiders.urls import canonicalize_url
    from kronika.storage.db.models import Article, ArticleVersion, Capture

    canonical = canonicalize_url(url)
    article = session.scalars(select(Article).where(or_(Article.url == url, Article.url == canonical))
                              .order_by(Article.id)).first()
    if article is None:
        # the URL of a capture rather than the article's identity (a redirect hop, a tagged link)
        capture_ids = select(Capture.id).where(or_(Capture.url == url, Capture.original_url == url))
        article = session.scalars(select(Article).join(ArticleVersion, ArticleVersion.article_id == Article.id)
                                  .where(ArticleVersion.capture_id.in_(capture_ids))).first()
    if article is None:
        raise KnownError(f"no article with the URL {url}")
    rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                           .order_by(ArticleVersion.captured_at, ArticleVersion.id))
    versions = [Version(i, v.captured_at, v.capture_id, v.text or "",
                        {"title": v.title, "authors": list(v.authors or []),
                         "published_at": _iso(v.published_at), "modified_at": _iso(v.modified_at),
                         "language": v.language})
                for i, v in enumerate(rows, start=1)]
    return article.url, versions


def post_versions(session, channel: str, post_id: int) -> tuple[str, list[Version]]:
    from sqlalchemy import select

    from kronika.storage.db.models import TelegramPost, TelegramPostVersion

    post = session.scalars(select(TelegramPost).where(TelegramPost.channel.ilike(channel),
                                                      TelegramPost.post_id == post_id)).first()
    if post is None:
        raise KnownError(f"no post {post_id} of the channel {channel}")
    rows = session.scalars(select(TelegramPostVersion).where(TelegramPostVersion.post_id == post.id)
                           .order_by(TelegramPostVersion.captured_at, TelegramPostVersion.id))
    versions = [Version(i, v.captured_at, v.capture_id, v.text or "",
                        {"edited": v.edited, "media": list(v.media or [])})
                for i, v in enumerate(rows, start=1)]
    return post.url, versions


def _at(versions: list[Version], moment: datetime | None, default: Version) -> Version:
    """The version in effect at `moment`: the newest captured at or before it."""
    if moment is None:
        return default
    earlier = [v for v in versions if v.captured_at <= moment]
    if not earlier:
        raise KnownError(f"no version had been captured by {moment.isoformat()} "
                         f"(the first is from {versions[0].captured_at.isoformat()})")
    return earlier[-1]


def revision_diff(env: Environment, url: str, since: datetime | None = None,
                  until: datetime | None = None) -> dict:
    from kronika.storage.db.engine import open_database, unit_of_work

    with unit_of_work(open_database(env.database_url)) as session:
        match = _TELEGRAM_POST.match(url.strip())
        if match:
            kind, (identity, versions) = "telegram_post", post_versions(session, match.group(1), int(match.group(2)))
        else:
            kind, (identity, versions) = "article", article_versions(session, url.strip())
    if not versions:
        raise KnownError(f"{identity} has no stored versions")
    if len(versions) == 1 and since is None and until is None:
        old = new = versions[0]
    else:
        new = _at(versions, until, versions[-1])
        old = _at(versions, since, versions[max(0, versions.index(new) - 1)])
    return {
        "kind": kind, "url": identity, "versions": len(versions),
        "from": {"version": old.number, "captured_at": old.captured_at.isoformat(), "capture_id": old.capture_id},
        "to": {"version": new.number, "captured_at": new.captured_at.isoformat(), "capture_id": new.capture_id},
        "fields": changed_fields(old.fields, new.fields),
        "text": word_diff(old.text, new.text),
        "text_changed": old.text != new.text,
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
@click.option("--from", "since", metavar="TIME", help="Compare from the version in effect at this time (ISO 8601).")
@click.option("--to", "until", metavar="TIME", help="Compare to the version in effect at this time (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (word-level opcodes and changed fields).")
@one_line_errors
def diff(url: str, since: str | None, until: str | None, as_json: bool) -> None:
    """Word-level diff of an article's (or a t.me/<channel>/<id> post's) text and changed fields.

    Without --from/--to: the newest version against the one before it.

    \b
    Example: kronika diff https://example.org/news/strike.html
             kronika diff https://t.me/zarichna_ova/4117 --from 2026-01-14T08:00:00Z --json
    """
    result = revision_diff(reading_environment(), url, parse_time(since), parse_time(until))
    if as_json:
        emit_json(result)
    else:
        console.print(render(result), soft_wrap=True)
