"""Times a person types, read one way by every command, the web view and the config.

Accepted everywhere a time is asked for (`--since`, `--until`, `--at`, `--from`, `--to`, `?since=`):

- a 14-digit WARC/replay timestamp or a prefix of one: `20260102130500`, `202601021305`, `20260102`, `2026`;
- an ISO 8601 date or time: `2026-01-02`, `2026-01-02T13:05`, `2026-01-02T13:05:00Z`, `…+02:00`;
- an age, meaning that long ago: `90s`, `15m`, `2h`, `3d` (also written `2h ago`);
- `now`, `today` and `yesterday` (midnight UTC).

A time without an offset is UTC; every result is an aware UTC datetime. Only the standard library
is imported here, so the command line stays quick to start.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FORMS = "20260102130500 (or a prefix: 2026, 20260102), 2026-01-02, 2026-01-02T13:05:00Z, 2h or 3d (ago), today or yesterday"


def parse_duration(text: str) -> int:
    """'90s', '15m', '6h', '3d' -> seconds (the config's recapture, overlap_age, max_article_age)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration like 30m, 6h or 3d: {text!r}")
    number, unit = match.groups()
    return int(number) * _UNITS[unit]


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """A time in any of the forms above -> an aware UTC datetime; ValueError naming the forms otherwise."""
    value = text.strip()
    lowered = value.lower()
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    if value.isdigit() and 4 <= len(value) <= 14 and len(value) % 2 == 0:
        padded = value + "0101000000"[len(value) - 4:] if len(value) < 14 else value
        try:
            return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ValueError(f"cannot read time {text!r}: not a real date; use {FORMS}") from None
    if lowered in ("now", "today", "yesterday"):
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return {"now": now, "today": midnight, "yesterday": midnight - timedelta(days=1)}[lowered]
    age = lowered.removesuffix(" ago").replace(" ", "")
    if _DURATION.match(age):
        return now - timedelta(seconds=parse_duration(age))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read time {text!r}: use {FORMS}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
