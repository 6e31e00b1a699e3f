"""Links and their titles as lists write them: resolved against the page, markup stripped."""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urljoin, urlsplit


def join_url(base: str, link: str) -> str | None:
    """`link` resolved against `base`, or None when it is no URL at all ("http://[::1", a bad port)."""
    try:
        joined = urljoin(base, link.strip())
        urlsplit(joined).port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        return None
    return joined


def plain_title(text: str | None) -> str | None:
    """A title's words only: feed titles may carry escaped or CDATA markup ("type=html" in Atom)."""
    if not text:
        return None
    if "<" in text or "&" in text:
        text = html_lib.unescape(re.sub(r"<[^>]*>", "", text))
    return " ".join(text.split()) or None
