"""Whether a news source wants an article link: the rules the spider and `crawl --dry-run` share.

Pure: the caller canonicalises the URL and keeps the page budget; this says which configured rule,
if any, turns the link away (the reason is the skip counted in the run's stats).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from kronika.spiders.urls import matches_any


def skip_reason(url: str, published_at: datetime | None, allow: list[re.Pattern], deny: list[re.Pattern],
                max_age: timedelta | None, now: datetime | None = None) -> str | None:
    """`url_rule` (outside allow_urls or inside deny_urls), `too_old` (published before max_article_age
    ago) or None when the article is wanted."""
    if (allow and not matches_any(url, allow)) or matches_any(url, deny):
        return "url_rule"
    if max_age and published_at and published_at < (now or datetime.now(timezone.utc)) - max_age:
        return "too_old"
    return None
