"""What a URL a user typed names: the article, the Telegram post, or the captures of a page.

One rule for every command (`history`, `get`, `diff`, `timeline`, `evidence`) and the web view's
`/find`, so a URL copied in any of its forms finds the same thing everywhere:

- the scheme (http or https), `www.`, the host's case, the default port, a trailing slash, the
  fragment, the order of query parameters and tracking parameters (`utm_*`, `fbclid`, ...) do not
  matter: the URL is canonicalised (`kronika.spiders.urls.canonicalize_url`) and compared by its
  SURT key, computed by the same guarded function as the CDXJ index (`storage.warc.cdxj.urlkey`);
- a URL without a scheme (`example.org/news/1`) is taken as http;
- a SURT key itself (`org,example)/news/1`) names the captures with that key;
- a Telegram post is `t.me/CHANNEL/ID`, `t.me/s/CHANNEL/ID` or `telegram.me/...`, and any
  `.../s/CHANNEL/ID` of a t.me mirror; the channel's case does not matter.

Everything takes a session (read-only engines are enough) and returns rows or plain dicts.
"""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kronika.spiders.urls import canonicalize_url
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
    WarcFile,
)
from kronika.storage.warc.cdxj import urlkey
from kronika.storage.warc.replay import timestamp14

_SURT_FORM = re.compile(r"^[a-z0-9-]+(,[a-z0-9-]+)*(:\d+)?\)")
_TELEGRAM_POST = re.compile(r"^(?:https?://)?(?:www\.)?t(?:elegram)?\.me/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)/?$",
                            re.IGNORECASE)
_MIRRORED_POST = re.compile(r"^https?://[^/]+/(?:[^?#]*/)?s/([A-Za-z0-9_]{3,64})/(\d+)/?$")


def is_surt_key(text: str) -> bool:
    return bool(_SURT_FORM.match(text))


def with_scheme(url: str) -> str:
    """`example.org/a` -> `http://example.org/a`; URLs with a scheme and SURT keys unchanged."""
    url = url.strip()
    if "://" in url or is_surt_key(url):
        return url
    return "http://" + url


def normalise(url: str) -> str:
    """The one spelling of a user's URL: a scheme added when missing, then canonicalised."""
    url = with_scheme(url)
    return url if is_surt_key(url) else canonicalize_url(url)


def surt_keys(url: str) -> set[str]:
    """The SURT keys a URL's captures are indexed under (the given form's and the canonical one's)."""
    url = with_scheme(url)
    if is_surt_key(url):
        return {url}
    return {urlkey(url), urlkey(normalise(url))}


def spellings(url: str) -> list[str]:
    """The ways a stored URL may spell the page: as given, canonical, http or https, with or
    without `www.` and a trailing slash (for tables that have no SURT column, such as articles)."""
    given = with_scheme(url)
    canonical = normalise(url)
    found = [given, canonical]
    parts = urlsplit(canonical)
    if parts.scheme in ("http", "https") and parts.netloc:
        host = parts.netloc[4:] if parts.netloc.startswith("www.") else parts.netloc
        path = parts.path.rstrip("/") or "/"
        for scheme in ("http", "https"):
            for netloc in (host, "www." + host):
                for variant in {path, path + "/"} if path != "/" else {"/"}:
                    found.append(urlunsplit((scheme, netloc, variant, parts.query, "")))
    return list(dict.fromkeys(found))


def telegram_post_id(url: str) -> tuple[str, int] | None:
    """(channel, post id) for a Telegram post's URL in any of its forms, else None."""
    text = url.strip().split("#", 1)[0].split("?", 1)[0]
    match = _TELEGRAM_POST.match(text) or _MIRRORED_POST.match(text)
    return (match[1], int(match[2])) if match else None


# ------------------------------------------------------------------------------------ rows
def find_post(session: Session, url: str) -> TelegramPost | None:
    post = session.scalars(select(TelegramPost).where(TelegramPost.url.in_(spellings(url))).limit(1)).first()
    if post is not None:
        return post
    named = telegram_post_id(url)
    if named is None:
        return None
    channel, post_id = named
    return session.scalars(select(TelegramPost).where(func.lower(TelegramPost.channel) == channel.lower(),
                                                      TelegramPost.post_id == post_id).limit(1)).first()


def _captures_query(url: str):
    return (select(Capture, WarcFile.path).join(WarcFile, Capture.warc_file_id == WarcFile.id)
            .where(or_(Capture.url.in_(spellings(url)), Capture.surt.in_(surt_keys(url))))
            .order_by(Capture.captured_at, Capture.id))


def find_article(session: Session, url: str) -> Article | None:
    """The article at `url` in any spelling, or the one a capture of `url` became (a redirect hop,
    a link with tracking parameters)."""
    article = session.scalars(select(Article).where(Article.url.in_(spellings(url)))
                              .order_by(Article.id).limit(1)).first()
    if article is not None:
        return article
    typed = spellings(url)
    capture_ids = select(Capture.id).where(or_(Capture.url.in_(typed), Capture.original_url.in_(typed),
                                               Capture.surt.in_(surt_keys(url))))
    return session.scalars(select(Article).join(ArticleVersion, ArticleVersion.article_id == Article.id)
                           .where(ArticleVersion.capture_id.in_(capture_ids)).order_by(Article.id).limit(1)).first()


def find(session: Session, url: str) -> Article | TelegramPost | None:
    """The article or post a URL names: a Telegram post's forms are tried first."""
    if telegram_post_id(url) is not None:
        post = find_post(session, url)
        if post is not None:
            return post
    return find_article(session, url) or find_post(session, url)


def captures(session: Session, url: str) -> list[tuple[Capture, str]]:
    """Every capture of the page at `url` (any spelling) with its WARC file's path, oldest first."""
    return [(capture, path) for capture, path in session.execute(_captures_query(url)).all()]


def closest_capture(session: Session, url: str, at: datetime | None) -> tuple[Capture, str] | None:
    """The capture of `url` nearest to `at` (the newest without `at`); an article's own URL finds
    its captures whatever spelling was typed."""
    rows = captures(session, url)
    if not rows:
        article = find_article(session, url)
        rows = captures(session, article.url) if article is not None else []
    if not rows:
        return None
    if at is None:
        return max(rows, key=lambda row: (row[0].captured_at, row[0].id))
    return min(rows, key=lambda row: (abs((row[0].captured_at - at).total_seconds()), -row[0].id))


def _history_row(capture: Capture, path: str, **extra) -> dict:
    return {"captured_at": capture.captured_at.isoformat(), "timestamp": timestamp14(capture.captured_at),
            "record_type": capture.record_type, "status": capture.status,
            "payload_digest": capture.payload_digest, "warc_file": path, "offset": capture.offset,
            "length": capture.length, "crawl_run_id": capture.crawl_run_id, "url": capture.url,
            "capture_id": capture.id, **extra}


def capture_history(session: Session, url: str) -> list[dict]:
    """Every capture of a URL, oldest first; for a Telegram post, the channel pages that showed it
    (`event` seen, with its views) and those that showed it gone (`missing (deleted)`)."""
    post = find_post(session, url) if telegram_post_id(url) is not None else None
    if post is None:
        rows = captures(session, url)
        if not rows:
            article = find_article(session, url)
            rows = captures(session, article.url) if article is not None else []
        if rows:
            return [_history_row(capture, path) for capture, path in rows]
        post = find_post(session, url)
        if post is None:
            return []
    # a Telegram post is not fetched by its own URL: it was seen on captured channel pages
    sightings = session.execute(
        select(TelegramPostView, Capture, WarcFile.path)
        .join(Capture, TelegramPostView.capture_id == Capture.id)
        .join(WarcFile, Capture.warc_file_id == WarcFile.id)
        .where(TelegramPostView.post_id == post.id))
    version_captures = set(session.scalars(select(TelegramPostVersion.capture_id)
                                           .where(TelegramPostVersion.post_id == post.id)))
    rows = [_history_row(c, path, event="seen", views=view.views, new_version=c.id in version_captures)
            for view, c, path in sightings]
    events = session.execute(
        select(TelegramPostEvent, Capture, WarcFile.path)
        .join(Capture, TelegramPostEvent.capture_id == Capture.id)
        .join(WarcFile, Capture.warc_file_id == WarcFile.id)
        .where(TelegramPostEvent.post_id == post.id, TelegramPostEvent.event == "deleted"))
    rows += [_history_row(c, path, event="missing (deleted)", views=None, new_version=False)
             for _, c, path in events]
    return sorted(rows, key=lambda row: row["captured_at"])
