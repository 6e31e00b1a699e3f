"""An article page read into an ArticleRecord by a chain of strategies.

Structured data first (JSON-LD), then page metadata (OpenGraph and <meta>), then the visible
markup (<h1>, <time>, bylines), then trafilatura for the body and htmldate for a last-resort
date. For each field the first strategy with an answer wins and names itself in `provenance`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html

from kronika.spiders.parsers.charset import decode_html
from kronika.spiders.parsers.dates import to_utc
from kronika.spiders.parsers.records import ArticleRecord

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                 "opinionnewsarticle", "reportage", "liveblogposting", "backgroundnewsarticle"}
_BYLINE_RE = re.compile(r"^\s*(?:by|authors?|автор(?:ка|и|ы)?)\s*[:\-–—]?\s+(.{2,80}?)\s*$", re.I)
# A byline often runs on into the date: "By Ann Lee · 8 January 2026".
_BYLINE_END_RE = re.compile(r"\s+[|·•—–]\s+|\s*\|\s*")
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b|\bі\b|\bи\b|\bта\b)\s*", re.I)
_TITLE_SEP_RE = re.compile(r"\s+[|–—\-·»:]{1,2}\s+")
_UK_LETTERS = set("іїєґІЇЄҐ")
_RU_LETTERS = set("ыэъёЫЭЪЁ")


def _norm(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return text or None


def _language_code(value: Any) -> str | None:
    """Primary language subtag: "uk-UA" and "uk_UA" -> "uk"; "ua" (a common slip) -> "uk"."""
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    if not re.fullmatch(r"[a-z]{2,3}", code):
        return None
    return "uk" if code == "ua" else code


def guess_language(text: str | None) -> str | None:
    """Tiny script heuristic for undeclared pages: letters unique to Ukrainian or Russian."""
    if not text:
        return None
    sample = text[:5000]
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if cyrillic > latin:
        uk = sum(1 for ch in sample if ch in _UK_LETTERS)
        ru = sum(1 for ch in sample if ch in _RU_LETTERS)
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
        return None
    return "en" if latin else None


# --- (a) JSON-LD -------------------------------------------------------------------------------

def _load_json(raw: str) -> Any:
    raw = raw.strip()
    # CMS templates wrap JSON-LD in comments or CDATA, or leave trailing commas.
    raw = re.sub(r"^\s*(<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)", "", raw)
    raw = re.sub(r"(-->|//\s*\]\]>|\]\]>)\s*$", "", raw)
    for candidate in (raw, re.sub(r",\s*([}\]])", r"\1", raw)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _nodes(data: Any, depth: int = 0) -> Iterator[dict]:
    """Every dict in a JSON-LD document, through lists and @graph, shallow enough to be safe."""
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _nodes(data["@graph"], depth + 1)
        for key in ("mainEntity", "mainEntityOfPage", "hasPart"):
            if isinstance(data.get(key), dict | list):
                yield from _nodes(data[key], depth + 1)


def _types(node: dict) -> set[str]:
    t = node.get("@type")
    values = t if isinstance(t, list) else [t]
    return {v.rpartition("/")[2].lower() for v in values if isinstance(v, str)}


def _jsonld_article(doc: lxml.html.HtmlElement) -> tuple[dict | None, dict[str, dict]]:
    """The first article-typed node (one with a headline preferred) and an @id index for references."""
    candidates: list[dict] = []
    by_id: dict[str, dict] = {}
    for script in doc.xpath("//script[@type]"):
        if script.get("type", "").strip().lower() not in ("application/ld+json", "application/json+ld"):
            continue
        data = _load_json(script.text or "")
        if data is None:
            continue  # invalid JSON-LD is common; the other strategies cover for it
        for node in _nodes(data):
            if isinstance(node.get("@id"), str):
                by_id.setdefault(node["@id"], node)
            if _types(node) & ARTICLE_TYPES:
                candidates.append(node)
    if not candidates:
        return None, by_id
    with_headline = [c for c in candidates if _norm(c.get("headline") or c.get("name"))]
    return (with_headline or candidates)[0], by_id


def _people(value: Any, by_id: dict[str, dict]) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], item)
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = name[0] if name else None
            name = _norm(name)
        else:
            name = _norm(item)
        if name and not name.startswith(("http://", "https://")):
            names.append(name)
    return list(dict.fromkeys(names))


def _from_jsonld(doc: lxml.html.HtmlElement, found: dict[str, Any]) -> None:
    node, by_id = _jsonld_article(doc)
    if node is None:
        return
    found["title"] = _norm(node.get("headline")) or _norm(node.get("name"))
    found["authors"] = _people(node.get("author"), by_id) or _people(node.get("creator"), by_id)
    found["published_at"] = to_utc(node.get("datePublished")) or to_utc(node.get("dateCreated"))
    found["modified_at"] = to_utc(node.get("dateModified"))
    found["language"] = _language_code(node.get("inLanguage"))
    found["description"] = _norm(node.get("description"))
    body = node.get("articleBody")
    found["body"] = body.strip() if isinstance(body, str) and body.strip() else None


# --- (b) OpenGraph and <meta> ------------------------------------------------------------------

def _meta(doc: lxml.html.HtmlElement, *keys: str) -> str | None:
    wanted = {k.lower() for k in keys}
    for el in doc.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted:
            value = _norm(el.get("content"))
            if value:
                return value
    return None


def _from_meta(doc: lxml.html.HtmlElement, url: str, found: dict[str, Any]) -> None:
    found["title"] = _meta(doc, "og:title", "twitter:title")
    found["published_at"] = to_utc(_meta(doc, "article:published_time", "og:article:published_time",
                                         "datepublished", "pubdate", "publish-date", "dc.date.issued"))
    found["modified_at"] = to_utc(_meta(doc, "article:modified_time", "og:updated_time", "datemodified"))
    author = _meta(doc, "author", "article:author", "dc.creator", "parsely-author")
    found["authors"] = [author] if author and not author.startswith(("http://", "https://")) else []
    found["description"] = _meta(doc, "description", "og:description", "twitter:description")
    lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    found["language"] = (_language_code(lang) or _language_code(_meta(doc, "og:locale"))
                         or _language_code(_meta(doc, "content-language", "language", "dc.language")))
    if not found["language"]:
        for el in doc.xpath("//meta[@http-equiv][@content]"):
            if el.get("http-equiv", "").lower() == "content-language":
                found["language"] = _language_code(el.get("content"))
    for el in doc.xpath("//link[@rel][@href]"):
        if "canonical" in el.get("rel", "").lower().split():
            found["canonical_url"] = urljoin(url, el.get("href").strip())
            break


# --- (c) visible markup ------------------------------------------------------------------------

def _headline_el(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for xpath in ("//article//h1", "//main//h1", "//h1"):
        for el in doc.xpath(xpath):
            if _norm(el.text_content()):
                return el
    return None


def _html_time(doc: lxml.html.HtmlElement, h1: lxml.html.HtmlElement | None) -> datetime | None:
    times = doc.xpath("//article//time[@datetime]")
    if not times and h1 is not None:
        # "Near the h1": inside the nearest ancestors of the headline, closest first.
        for ancestor in list(h1.iterancestors())[:3]:
            times = ancestor.xpath(".//time[@datetime]")
            if times:
                break
    for el in times:
        dt = to_utc(el.get("datetime"))
        if dt is not None:
            return dt
    return None


def _split_authors(text: str) -> list[str]:
    names = [_norm(part) for part in _AUTHOR_SPLIT_RE.split(text)]
    return [n for n in names if n and len(n.split()) <= 6]


def _html_authors(doc: lxml.html.HtmlElement) -> list[str]:
    scope = doc.xpath("//article") or doc.xpath("//main") or [doc]
    for root in scope[:1]:
        for el in root.xpath(".//*[@rel='author' or contains(@class,'author') or contains(@class,'byline')]"):
            text = _norm(el.text_content())
            if not text or len(text) > 100:
                continue
            m = _BYLINE_RE.match(text)
            names = _split_authors(_BYLINE_END_RE.split(m.group(1) if m else text)[0])
            if names:
                return names
        # The innermost element holding a byline is the cleanest: its parent adds dates and icons.
        bylines = []
        for el in root.iter("p", "span", "div", "address", "a", "li", "small"):
            text = _norm(el.text_content())
            if text and len(text) <= 100:
                m = _BYLINE_RE.match(text)
                if m:
                    bylines.append(m.group(1))
        for byline in sorted(bylines, key=len):
            names = _split_authors(_BYLINE_END_RE.split(byline)[0])
            if names:
                return names
    return []


def _strip_site_name(title: str, site_name: str | None) -> str:
    parts = [p for p in _TITLE_SEP_RE.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if site_name:
        rest = [p for p in parts if p.strip().lower() != site_name.strip().lower()]
        if rest and len(rest) < len(parts):
            return " – ".join(rest)
    # Otherwise the site name is the shorter end; keep the longest part.
    return max(parts, key=len).strip()


def _from_html(doc: lxml.html.HtmlElement, found: dict[str, Any]) -> None:
    h1 = _headline_el(doc)
    found["title"] = _norm(h1.text_content()) if h1 is not None else None
    found["published_at"] = _html_time(doc, h1)
    found["authors"] = _html_authors(doc)


# --- (d) body text and fallbacks --------------------------------------------------------------

def _trafilatura_text(html: str, url: str) -> str | None:
    try:
        import trafilatura
    except ImportError:
        return None
    try:
        text = trafilatura.extract(
            html, url=url, include_comments=False, include_tables=False, favor_precision=True,
            output_format="txt", with_metadata=False,
        )
    except Exception:  # trafilatura on hostile markup: the body stays unknown, the rest still counts
        return None
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def _htmldate(html: str, url: str) -> datetime | None:
    try:
        from htmldate import find_date
    except ImportError:
        return None
    try:
        value = find_date(html, extensive_search=False, original_date=True, url=url,
                          outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception:  # htmldate on hostile markup: leave the date unknown
        return None
    return to_utc(value)


def _pick(record: ArticleRecord, field: str, sources: list[tuple[str, Any]]) -> None:
    for name, value in sources:
        if value:
            setattr(record, field, value)
            record.provenance[field] = name
            return


def parse_article_html(html: str, url: str) -> ArticleRecord:
    """Like parse_article, for text that is already decoded."""
    record = ArticleRecord(url=url)
    if not html or not html.strip():
        return record
    try:
        doc = lxml.html.document_fromstring(html, base_url=url)
    except (lxml.etree.ParserError, ValueError):
        return record

    layers: list[tuple[str, dict[str, Any]]] = []
    strategies: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
        ("jsonld", lambda f: _from_jsonld(doc, f)),
        ("meta", lambda f: _from_meta(doc, url, f)),
        ("html", lambda f: _from_html(doc, f)),
    ]
    for name, strategy in strategies:
        found: dict[str, Any] = {}
        try:
            strategy(found)
        except Exception:  # one strategy tripping on odd markup must not cost the others
            pass
        layers.append((name, found))

    for field in ("title", "authors", "published_at", "modified_at", "language", "description", "canonical_url"):
        _pick(record, field, [(name, found.get(field)) for name, found in layers])

    if record.title is None:
        title = _norm(doc.findtext(".//title"))
        if title:
            record.title = _strip_site_name(title, _meta(doc, "og:site_name"))
            record.provenance["title"] = "html"

    text = _trafilatura_text(html, url)
    if text and record.title:
        # trafilatura keeps an in-article <h1>; the record has the title in its own field.
        first, _, rest = text.partition("\n")
        if first.strip() == record.title and rest.strip():
            text = rest
    ld_body = layers[0][1].get("body")
    if ld_body:
        ld_body = "\n".join(line for line in (" ".join(x.split()) for x in ld_body.splitlines()) if line)
    # Paywalled pages show a teaser but carry the whole story in articleBody; otherwise the
    # extracted page text is cleaner (articleBody is often truncated or loses paragraphs).
    if ld_body and (not text or len(text) < 0.5 * len(ld_body)):
        record.text, record.provenance["text"] = ld_body, "jsonld"
    elif text:
        record.text, record.provenance["text"] = text, "trafilatura"

    if record.published_at is None:
        _pick(record, "published_at", [("htmldate", _htmldate(html, url))])
    if record.language is None:
        _pick(record, "language", [("heuristic", guess_language(record.text or record.title))])
    return record


def parse_article(body: bytes, url: str, content_type: str | None = None) -> ArticleRecord:
    """Read an article page's bytes (any declared or detectable charset) into an ArticleRecord.

    Never raises on bad input: fields that cannot be found stay None/empty. Dates are aware UTC.
    """
    try:
        html, _ = decode_html(body or b"", content_type)
        return parse_article_html(html, url)
    except Exception:  # last line of defence: extraction must not stop the extract step
        return ArticleRecord(url=url)
