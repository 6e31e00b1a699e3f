"""Names a user types — sources, channels, tables — checked against the known ones.

An unknown name is an error everywhere (never an empty answer with exit status 0), and the message
suggests the close matches (difflib), or lists the known names when none is close.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class UnknownName(ValueError):
    """A source, channel or table name that is not known; the message is one line with suggestions."""


def close_matches(name: str, known: Iterable[str]) -> list[str]:
    """The known names close to `name`, closest first (case is ignored)."""
    by_lower = {k.lower(): k for k in known}
    return [by_lower[m] for m in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]


def unknown_name(kind: str, name: str, known: Iterable[str], where: str = "") -> UnknownName:
    """The error for `name` not among `known`: "no source named 'heral' in X — did you mean 'herald'?"."""
    known = sorted(set(known))
    matches = close_matches(name, known)
    if matches:
        hint = "did you mean " + " or ".join(repr(m) for m in matches) + "?"
    else:
        hint = f"known: {', '.join(known)}" if known else "none stored yet"
    return UnknownName(f"no {kind} named {name!r}{where} — {hint}")


def check_name(kind: str, name: str, known: Iterable[str], where: str = "", ignore_case: bool = False) -> str:
    """`name` if it is known (its stored spelling when `ignore_case`), else raise UnknownName."""
    known = list(known)
    for candidate in known:
        if candidate == name or (ignore_case and candidate.lower() == name.lower()):
            return candidate
    raise unknown_name(kind, name, known, where)


def stored_sources(session) -> list[str]:
    """The sources the database knows (every source that has been crawled)."""
    from sqlalchemy import select

    from kronika.storage.db.models import Source

    return list(session.scalars(select(Source.name).order_by(Source.name)))


def stored_channels(session) -> list[str]:
    """The Telegram channels the database holds posts of, as Telegram spells them."""
    from sqlalchemy import select

    from kronika.storage.db.models import TelegramPost

    return list(session.scalars(select(TelegramPost.channel).distinct().order_by(TelegramPost.channel)))


def check_stored_source(database_url: str, name: str | None) -> str | None:
    """`name` (None passes) if the database at `database_url` holds that source, else UnknownName."""
    if name is None:
        return None
    from sqlalchemy.orm import Session

    from kronika.storage.db.readonly import read_only_engine

    engine = read_only_engine(database_url)
    try:
        with Session(engine) as session:
            return check_name("source", name, stored_sources(session), " in the database")
    finally:
        engine.dispose()


def check_archive_source(env, name: str | None) -> str | None:
    """`name` (None passes) if the archive has a folder of that source's WARC files, else UnknownName.

    For `index` and `extract`, which may run on an empty database (a rebuild from the archive alone).
    An archive on an object store is not listed: the name passes unchecked."""
    if name is None or env.archive_is_remote:
        return name
    from pathlib import Path

    root = Path(env.archive_dir)
    folders = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")] if root.is_dir() else []
    return check_name("source", name, folders, f" in the archive {root}")
