"""XML as real servers send it, made readable without trusting it.

Feeds and sitemaps arrive with a byte-order mark or blank lines before `<?xml`, an unescaped `&`
in a link (`?utm_source=rss&utm_medium=feed`), HTML entities XML does not define (`&nbsp;`), an
encoding declaration the bytes do not follow, or cut off half-way. A strict parser rejects the
whole document for any of these, and every article in it is lost for that run. The repairs here
are the ones that cannot change what a well-formed document says; each is reported as a warning.

The DOCTYPE goes first and always: its entity declarations are how XML bombs ("billion laughs")
and external entities (XXE) work, and no feed or sitemap needs one to be read.
"""
from __future__ import annotations

import codecs
import html.entities
import re

import lxml.etree

_DECLARATION_RE = re.compile(rb"^<\?xml[^>]*?\?>", re.S)
_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
# an & that starts no entity or character reference: a stray ampersand in a URL or a title
_STRAY_AMP_RE = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,8});)")
_NAMED_ENTITY_RE = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


_PROLOG_RE = re.compile(rb"<(?:!--.*?-->|\?.*?\?>|(![Dd][Oo][Cc][Tt][Yy][Pp][Ee])|([A-Za-z_]))", re.S)


def _doctype_start(body: bytes) -> int:
    """Where the DOCTYPE starts, when there is one before the root element (comments skipped), else -1."""
    for m in _PROLOG_RE.finditer(body, 0, 65536):
        if m.group(1):
            return m.start()
        if m.group(2):
            return -1
    return -1


def _strip_doctype(body: bytes) -> tuple[bytes, bool]:
    """The body without its DOCTYPE; True when the DOCTYPE declared entities (an internal subset)."""
    start = _doctype_start(body)
    if start < 0:
        return body, False  # (a "<!DOCTYPE" in a comment or in a CDATA section is text)
    bracket = body.find(b"[", start)
    close = body.find(b">", start)
    if close < 0:
        return body, False
    subset = 0 <= bracket < close
    if subset:
        end_subset = body.find(b"]", bracket)
        close = body.find(b">", end_subset) if end_subset >= 0 else -1
        if close < 0:  # an unterminated internal subset: nothing after it can be trusted
            return body[:start], True
    return body[:start] + body[close + 1:], subset


def _declared_encoding(body: bytes) -> str | None:
    m = _DECLARATION_RE.match(body)
    if not m:
        return None
    enc = _ENCODING_RE.search(m.group(0))
    return enc.group(1).decode("ascii").lower() if enc else None


def _reencode(body: bytes, warnings: list[str]) -> bytes:
    """UTF-8 bytes with a UTF-8 declaration when the declared (or default) encoding does not fit."""
    declared = _declared_encoding(body) or "utf-8"
    try:
        codecs.lookup(declared)
    except LookupError:
        warnings.append(f"unknown encoding {declared!r} declared; read as UTF-8")
        declared = "utf-8"
    try:
        text = body.decode(declared)
        if declared in ("utf-8", "utf8"):
            return body
    except UnicodeDecodeError:
        # the usual lie: "UTF-8" declared, a single-byte code page sent (or the reverse)
        for guess in ("utf-8", "windows-1251" if _looks_cyrillic(body) else "windows-1252"):
            try:
                text = body.decode(guess)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = body.decode("utf-8", errors="replace")
            guess = "utf-8 with replacement characters"
        warnings.append(f"the bytes are not {declared} as declared; read as {guess}")
    return b'<?xml version="1.0" encoding="UTF-8"?>' + _DECLARATION_RE.sub(b"", text.encode("utf-8"), count=1)


def _looks_cyrillic(body: bytes) -> bool:
    # windows-1251 letters sit in 0xC0-0xFF; plain Latin-1 text has them far more rarely
    high = sum(1 for b in body[:65536] if b >= 0xC0)
    return high > 20 and high > sum(1 for b in body[:65536] if 0x80 <= b < 0xC0)


def _fix_entities(body: bytes, warnings: list[str]) -> bytes:
    stray = len(_STRAY_AMP_RE.findall(body))
    if stray:
        body = _STRAY_AMP_RE.sub(b"&amp;", body)
        warnings.append(f"{stray} unescaped '&' escaped")
    replaced: set[str] = set()

    def numeric(m: re.Match) -> bytes:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        replaced.add(name.decode("ascii"))
        char = html.entities.html5.get(name.decode("ascii") + ";")
        if char is None:
            return b"&amp;" + name + b";"  # no entity anywhere: kept as the text it was
        return "".join(f"&#{ord(c)};" for c in char).encode("ascii")

    body = _NAMED_ENTITY_RE.sub(numeric, body)
    if replaced:
        warnings.append(f"entities XML does not define replaced: {', '.join(sorted(replaced)[:10])}")
    return body


def prepare(body: bytes, warnings: list[str], repair_entities: bool = True) -> bytes:
    """Bytes a parser can read: leading junk and the DOCTYPE removed, entities and encoding repaired.

    `repair_entities=False` leaves entities and the encoding to a parser that handles them itself
    (feedparser). UTF-16/32 documents (with their BOM) are left as they are, DOCTYPE aside.
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body
    start = body.lstrip()
    if start.startswith(codecs.BOM_UTF8):
        start = start[len(codecs.BOM_UTF8):].lstrip()
    if len(start) != len(body) and start.startswith(b"<"):
        warnings.append("blank space or a byte-order mark before the XML declaration removed")
        body = start
    body, had_entities = _strip_doctype(body)
    if had_entities:
        warnings.append("DOCTYPE with entity declarations ignored (entities are never expanded)")
    if repair_entities:
        body = _reencode(body, warnings)
        body = _fix_entities(body, warnings)
    return body


def _parser(recover: bool) -> lxml.etree.XMLParser:
    # nothing fetched, nothing expanded, no huge trees: the body is untrusted input
    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                                remove_comments=True, remove_pis=True, recover=recover)


def parse(body: bytes, warnings: list[str]) -> lxml.etree._Element | None:
    """The document's root: strictly if it is well-formed, else what the recovering parser salvages."""
    try:
        return lxml.etree.fromstring(body, parser=_parser(recover=False))
    except lxml.etree.XMLSyntaxError as exc:
        warnings.append(f"invalid XML, read leniently: {exc}")
    try:
        return lxml.etree.fromstring(body, parser=_parser(recover=True))
    except lxml.etree.XMLSyntaxError:
        return None
