"""URL canonicalisation: one spelling per article, so a story linked five ways is stored once.

Applied before a request is scheduled and again when an article is stored (its identity is the
canonical form of the final URL after redirects, or of a same-site `<link rel=canonical>`).
Deliberately conservative: only what cannot change the page is touched. The query keeps its
order (some CMSs route on it); only known tracking parameters are dropped; the path keeps its
case (paths are case-sensitive on most servers).
"""
from __future__ import annotations

import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Parameters that say where a click came from, never which page it is.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "wickedid", "rb_clickid", "s_cid", "ncid", "ocid", "cmpid", "_ga", "_gl",
    "ref_src", "ref_url", "spm", "share", "from_share",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "itm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_escapes(path: str) -> str:
    # %7e, %7E and ~ are one character (RFC 3986 6.2.2): decode unreserved ones, upper-case the rest.
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(fix, path)


def canonicalize_url(url: str) -> str:
    """The canonical spelling of an http(s) URL; other URLs come back unchanged.

    Lower-cases scheme and host, drops a trailing dot of the host, the default port, the
    fragment, user info and tracking parameters (utm_*, fbclid, gclid, ...); an empty path
    becomes "/".
    """
    url = url.strip()
    try:
        # non-ASCII paths and queries percent-encoded as UTF-8, international hosts in IDNA form
        parts = urlsplit(safe_url_string(url))
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise_escapes(parts.path or "/")
    query = parts.query
    if query:
        # filter the raw pieces, so the parameters kept are spelled exactly as the site spelled them
        kept = [piece for piece in query.split("&")
                if piece and not is_tracking_param(unquote_plus(piece.partition("=")[0]))]
        query = "&".join(kept)
    return urlunsplit((scheme, netloc, path, query, ""))


def _site(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """True when two URLs are on the same host (ignoring "www."), or one host is below the other."""
    ha, hb = urlsplit(a).hostname, urlsplit(b).hostname
    if not ha or not hb:
        return False
    sa, sb = _site(ha), _site(hb)
    return sa == sb or sa.endswith("." + sb) or sb.endswith("." + sa)


def article_identity(final_url: str, canonical_link: str | None = None) -> str:
    """An article's identity: its same-site `rel=canonical` if it has a usable one, else its final URL.

    A canonical link to another site (syndicated copies), to a site's home page (a common CMS
    mistake), or that is not http(s), is ignored.
    """
    final = canonicalize_url(final_url)
    if canonical_link:
        candidate = canonicalize_url(urljoin(final_url, canonical_link.strip()))
        path = urlsplit(candidate).path
        if (candidate.startswith(("http://", "https://")) and same_site(candidate, final)
                and (path not in ("", "/") or urlsplit(final).path in ("", "/"))):
            return candidate
    return final


def matches_any(url: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.search(url) for p in patterns)
