"""The text Kronika extracted from an article or a post, as it stood at a moment (`kronika get --text`).

The version in effect at a moment is the newest captured at or before it; before the first capture
there was none, and that is an error the user can act on (the first capture's time is named).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kronika import browse, lookup
from kronika.settings import Environment
from kronika.storage.db.models import Article
from kronika.storage.db.readonly import read_only_engine


def version_at(versions: list[dict], moment: datetime | None) -> dict:
    """The version in effect at `moment` (the newest without one)."""
    if moment is None:
        return versions[-1]
    # to the second: a 14-digit timestamp copied from `history` names its capture's second
    earlier = [v for v in versions if v["captured_at"].replace(microsecond=0) <= moment]
    if not earlier:
        raise ValueError(f"no version had been captured by {moment.isoformat()} "
                         f"(the first is from {versions[0]['captured_at'].isoformat()})")
    return earlier[-1]


def extracted_text(env: Environment, url: str, moment: datetime | None = None) -> dict:
    """{kind, url, version, versions, captured_at, capture_id, title, text} of the article or post at `url`."""
    engine = read_only_engine(env.database_url)
    try:
        with Session(engine) as session:
            found = lookup.find(session, url)  # the one URL lookup every command uses
            article = found if isinstance(found, Article) else None
            post = found if found is not None and article is None else None
            if found is None:
                raise ValueError(f"no article or post stored for {url} (see `kronika search`, or run "
                                 "`kronika extract`)")
            if article is not None:
                kind, identity, versions = "article", article.url, browse.article_versions(session, article.id)
            else:
                kind, identity, versions = "post", post.url, browse.post_versions(session, post.id)
    finally:
        engine.dispose()
    if not versions:
        raise ValueError(f"{identity} has no stored versions")
    chosen = version_at(versions, moment)
    return {"kind": kind, "url": identity, "version": chosen["version"], "versions": len(versions),
            "captured_at": chosen["captured_at"], "capture_id": chosen["capture_id"],
            "title": chosen.get("title"), "text": chosen["text"] or ""}
