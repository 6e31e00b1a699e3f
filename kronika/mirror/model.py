"""The mirror's content model: the YAML files in `content/` read into dataclasses at one epoch.

An epoch is one state of the web: articles get rewritten and posts get edited, deleted or added as
the epoch grows. The templates read these records and nothing else; `site.py` routes requests to
them and states what a correct pipeline should extract from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).with_name("content")


@dataclass(frozen=True)
class Page:
    """One HTTP answer of the mirror (and of its crawl lab)."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    slug: str
    name: str


@dataclass(frozen=True)
class Outlet:
    key: str  # "herald" | "vistnyk"
    name: str
    language: str
    sections: tuple[Section, ...]

    def section_name(self, slug: str) -> str | None:
        return next((s.name for s in self.sections if s.slug == slug), None)


@dataclass(frozen=True)
class Article:
    outlet: str
    slug: str
    title: str
    authors: tuple[str, ...]
    section: str  # a Section.slug
    published: datetime
    modified: datetime | None
    lead: str
    tags: tuple[str, ...]
    body: tuple[str, ...]  # paragraphs, with [text](/path) link markup
    language: str


@dataclass(frozen=True)
class Channel:
    username: str
    title: str
    description: str
    subscribers: int
    photos: int
    avatar: str


@dataclass(frozen=True)
class OtherChannel:
    """A further name the mirror answers for; `mode` says how it behaves (see channel.yaml)."""

    username: str
    mode: str
    title: str | None = None
    subscribers: int | None = None


@dataclass(frozen=True)
class Forward:
    name: str
    url: str


@dataclass(frozen=True)
class LinkPreview:
    url: str
    site: str = ""
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Post:
    id: int
    posted_at: datetime
    text: str  # plain text with **bold**; "" for a post without text
    views: int | None
    edited: bool = False
    service: bool = False
    author_signature: str | None = None
    forwarded_from: Forward | None = None
    reply_to: int | None = None
    photo: str | None = None
    link_preview: LinkPreview | None = None


# --------------------------------------------------------------------------- reading the YAML

@cache
def load(name: str) -> dict[str, Any]:
    with open(CONTENT_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def utc(value: Any) -> datetime:
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"mirror content needs timezone-aware times, got {value!r}")
    return dt.astimezone(timezone.utc)


def outlet(outlet_file: str) -> Outlet:
    raw = load(outlet_file)["outlet"]
    return Outlet(key=raw["key"], name=raw["name"], language=raw["language"],
                  sections=tuple(Section(s["slug"], s["name"]) for s in raw["sections"]))


def articles_at(outlet_file: str, epoch: int) -> list[Article]:
    """The outlet's articles as they stand at `epoch`, newest first."""
    data = load(outlet_file)
    home = data["outlet"]
    result = []
    for raw in data["articles"]:
        if int(raw.get("appears_at", 0)) > epoch:
            continue
        state = {"title": raw["title"], "lead": raw["lead"], "body": list(raw["body"]),
                 "modified": raw.get("modified")}
        for index, rev in enumerate(raw.get("revisions") or [], start=1):
            if int(rev.get("epoch", index)) > epoch:
                continue
            for key in ("title", "lead", "modified"):
                if key in rev:
                    state[key] = rev[key]
            if "body" in rev:
                state["body"] = list(rev["body"])
            for idx, text in (rev.get("replace") or {}).items():
                state["body"][int(idx)] = text
            state["body"].extend(rev.get("append") or [])
        result.append(Article(
            outlet=home["key"], slug=raw["slug"], title=state["title"], authors=tuple(raw["authors"]),
            section=raw["section"], published=utc(raw["published"]),
            modified=utc(state["modified"]) if state["modified"] else None,
            lead=state["lead"], tags=tuple(str(t) for t in raw.get("tags") or []),
            body=tuple(str(p) for p in state["body"]), language=raw.get("language", home["language"]),
        ))
    result.sort(key=lambda a: (a.published, a.slug), reverse=True)
    return result


def channel() -> Channel:
    raw = load("channel.yaml")["channel"]
    return Channel(username=raw["username"], title=raw["title"], description=raw["description"],
                   subscribers=int(raw["subscribers"]), photos=int(raw["photos"]), avatar=raw["avatar"])


def other_channels() -> dict[str, OtherChannel]:
    """Keyed by lower-case username, as Telegram's names are case-insensitive."""
    return {c["username"].lower(): OtherChannel(username=c["username"], mode=c.get("mode", ""),
                                                title=c.get("title"), subscribers=c.get("subscribers"))
            for c in load("channel.yaml").get("other_channels") or []}


def post_from_content(raw: dict[str, Any]) -> Post:
    """One post as channel.yaml writes it (the scale benchmark generates posts in this shape)."""
    fwd, preview = raw.get("forwarded_from"), raw.get("link_preview")
    return Post(
        id=int(raw["id"]), posted_at=utc(raw["posted_at"]), text=raw.get("text") or "",
        # a service message shows no views, whatever the file says
        views=None if raw.get("service") or raw.get("views") is None else int(raw["views"]),
        edited=bool(raw.get("edited", False)), service=bool(raw.get("service", False)),
        author_signature=raw.get("author_signature"),
        forwarded_from=Forward(fwd["name"], fwd["url"]) if fwd else None,
        reply_to=raw.get("reply_to"), photo=raw.get("photo"),
        link_preview=LinkPreview(**preview) if preview else None,
    )


def posts_at(epoch: int) -> list[Post]:
    """The channel's visible posts at `epoch`, oldest first."""
    data = load("channel.yaml")
    posts = {p["id"]: dict(p) for p in data["posts"]}
    removed: dict[int, dict[str, Any]] = {}
    for change in sorted(data.get("changes") or [], key=lambda c: c["epoch"]):
        if change["epoch"] > epoch:
            break
        growth = float(change.get("views_growth", 1.0))
        for post in posts.values():
            if post.get("views") is not None:
                post["views"] = int(post["views"] * growth)
        for edit in change.get("edit") or []:
            posts[edit["id"]].update(text=edit["text"], edited=True)
        for post_id in change.get("delete") or []:
            if post_id in posts:
                removed[post_id] = posts.pop(post_id)
        for post_id in change.get("restore") or []:  # a deleted (hidden) post shown again
            if post_id in removed:
                posts[post_id] = removed.pop(post_id)
        for new in change.get("add") or []:
            posts[new["id"]] = dict(new)
    return [post_from_content(posts[k]) for k in sorted(posts)]


def max_epoch() -> int:
    """The last epoch at which any content changes."""
    epochs = [0]
    for name in ("herald.yaml", "vistnyk.yaml"):
        for raw in load(name)["articles"]:
            epochs.append(int(raw.get("appears_at", 0)))
            epochs.extend(int(r.get("epoch", i)) for i, r in enumerate(raw.get("revisions") or [], 1))
    epochs.extend(int(c["epoch"]) for c in load("channel.yaml").get("changes") or [])
    return max(epochs)
