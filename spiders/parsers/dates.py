"""Date strings found in feeds, sitemaps and pages, turned into timezone-aware UTC datetimes."""
from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime

# Dates outside this window are parse accidents (a "0000-00-00" CMS default, a year 9999 sentinel).
_MIN_YEAR, _MAX_YEAR = 1990, 2100


def _aware(dt: datetime, default_tz: tzinfo | None = None) -> datetime:
    # A naive date from a page has no better guess than the site's zone (when configured) or UTC.
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=default_tz or timezone.utc)
    return dt.astimezone(timezone.utc)


def to_utc(value: object, default_tz: tzinfo | None = None) -> datetime | None:
    """Parse ISO 8601, RFC 822 or other common date strings; None when it cannot be read.

    `default_tz` is the zone of a date written without an offset (UTC when not given).
    """
    if isinstance(value, datetime):
        dt: datetime | None = value
    elif isinstance(value, str):
        dt = _parse(value)
    else:
        return None
    if dt is None or not (_MIN_YEAR <= dt.year <= _MAX_YEAR):
        return None
    try:
        return _aware(dt, default_tz)
    except (OverflowError, ValueError):
        return None


def _parse(value: str) -> datetime | None:
    s = " ".join(value.split())
    if not s or len(s) > 100:
        return None
    iso = s
    # fromisoformat (3.11) reads most ISO forms but not a "+0200" offset without the colon.
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        pass
    if not re.search(r"\d{4}", s):
        # dateutil fills missing parts from today, so "12" would become a date this month.
        return None
    try:
        from dateutil import parser as dateutil_parser
    except ImportError:
        return None
    try:
        return dateutil_parser.parse(s)
    except (ValueError, OverflowError, TypeError, dateutil_parser.ParserError):
        return None
