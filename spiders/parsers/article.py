"""An article page read into an ArticleRecord by a chain of strategies.

Metadata strategies, in order: structured data (JSON-LD, including `@graph`), page metadata
(OpenGraph and <meta>), the source's own rules from config (CSS or XPath per field), then the
visible markup (<h1>, <time>, bylines, dates written in the text). For each field the first
strategy with an answer wins and names itself in `provenance`.

Body strategies, in order: the source's rules, the page's article-body container (itemprop or
the usual CMS class names) with furniture removed, trafilatura, and JSON-LD `articleBody` (which
wins over a visible text much shorter than itself: a paywall teaser). htmldate is the last
resort for the publication date.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, tzinfo
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

# Fields a strategy may answer; `text` (the body) has its own chain.
FIELDS = ("title", "authors", "published_at", "modified_at", "language", "section", "tags",
          "description", "canonical_url", "image_url", "paywalled")
# Keys of a source's `extraction:` rules (kronika.settings.ExtractionRules).
RULE_FIELDS = ("title", "authors", "published_at", "modified_at", "section", "tags", "description",
               "body", "image_url", "paywall")


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


def _date(found: dict[str, Any], field: str, raw: Any, tz: tzinfo | None) -> None:
    """Set a date field and its original string, only when the string reads as a date."""
    dt = to_utc(raw, tz)
    if dt is not None:
        found[field] = dt
        found[field + "_raw"] = _norm(raw) if isinstance(raw, str) else raw.isoformat()


def _tag_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"\s*[,;]\s*", value) if isinstance(value, str) else []
    tags = [_norm(t.get("name") if isinstance(t, dict) else t) for t in items]
    return list(dict.fromkeys(t for t in tags if t))


def _first_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or value.get("name") or value.get("@id")
    return _norm(value)


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
            if _types(item) & {"organization", "newsmediaorganization"}:
                continue  # "author": the outlet itself is not a byline
            name = item.get("name")
            if isinstance(name, list):
                name = name[0] if name else None
            name = _norm(name)
        else:
            name = _norm(item)
        if name and not name.startswith(("http://", "https://")):
            names.append(name)
    return list(dict.fromkeys(names))


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _liveblog_body(node: dict) -> str | None:
    updates = node.get("liveBlogUpdate")
    texts = []
    for update in updates if isinstance(updates, list) else []:
        if isinstance(update, dict):
            texts += [t for t in (_norm(update.get("headline")), _norm(update.get("articleBody"))) if t]
    return "\n".join(texts) or None


def _from_jsonld(doc: lxml.html.HtmlElement, url: str, found: dict[str, Any], tz: tzinfo | None) -> None:
    node, by_id = _jsonld_article(doc)
    if node is None:
        return
    found["title"] = _norm(node.get("headline")) or _norm(node.get("name"))
    found["authors"] = _people(node.get("author"), by_id) or _people(node.get("creator"), by_id)
    _date(found, "published_at", node.get("datePublished") or node.get("dateCreated"), tz)
    _date(found, "modified_at", node.get("dateModified"), tz)
    found["language"] = _language_code(node.get("inLanguage"))
    found["description"] = _norm(node.get("description"))
    section = node.get("articleSection")
    found["section"] = _norm(section[0] if isinstance(section, list) and section else section)
    found["tags"] = _tag_list(node.get("keywords"))
    image = _first_str(node.get("image") or node.get("thumbnailUrl"))
    found["image_url"] = urljoin(url, image) if image else None
    parts = node.get("hasPart") if isinstance(node.get("hasPart"), list) else [node.get("hasPart")]
    if _is_false(node.get("isAccessibleForFree")) or any(
            isinstance(p, dict) and _is_false(p.get("isAccessibleForFree")) for p in parts):
        found["paywalled"] = True
    body = node.get("articleBody")
    found["body"] = body.strip() if isinstance(body, str) and body.strip() else _liveblog_body(node)


# --- (b) OpenGraph and <meta> ------------------------------------------------------------------

def _meta_all(doc: lxml.html.HtmlElement, *keys: str) -> list[str]:
    wanted = {k.lower() for k in keys}
    values = []
    for el in doc.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted:
            value = _norm(el.get("content"))
            if value:
                values.append(value)
    return values


def _meta(doc: lxml.html.HtmlElement, *keys: str) -> str | None:
    values = _meta_all(doc, *keys)
    return values[0] if values else None


def _from_meta(doc: lxml.html.HtmlElement, url: str, found: dict[str, Any], tz: tzinfo | None) -> None:
    found["title"] = _meta(doc, "og:title", "twitter:title")
    _date(found, "published_at", _meta(doc, "article:published_time", "og:article:published_time",
                                       "datepublished", "pubdate", "publish-date", "dc.date.issued"), tz)
    _date(found, "modified_at", _meta(doc, "article:modified_time", "og:updated_time", "datemodified"), tz)
    authors = [a for a in _meta_all(doc, "author", "article:author", "dc.creator", "parsely-author")
               if not a.startswith(("http://", "https://"))]
    found["authors"] = list(dict.fromkeys(n for a in authors for n in _split_authors(a)))
    found["description"] = _meta(doc, "description", "og:description", "twitter:description")
    found["section"] = _meta(doc, "article:section", "parsely-section")
    found["tags"] = _tag_list(_meta_all(doc, "article:tag")) or _tag_list(_meta(doc, "news_keywords", "keywords"))
    image = _meta(doc, "og:image", "og:image:url", "twitter:image", "twitter:image:src")
    found["image_url"] = urljoin(url, image) if image else None
    if (_meta(doc, "article:content_tier") or "").lower() == "locked":
        found["paywalled"] = True
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
    if not found.get("canonical_url"):
        og_url = _meta(doc, "og:url")
        found["canonical_url"] = urljoin(url, og_url) if og_url else None


# --- (c) the source's own rules (config) -------------------------------------------------------

def _select(doc: lxml.html.HtmlElement, selector: str) -> list[Any]:
    """XPath when the selector starts like one ("/", "(", "./"), CSS otherwise."""
    selector = selector.strip()
    if selector.startswith(("/", "(", "./")):
        result = doc.xpath(selector)
        return result if isinstance(result, list) else [result]
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector)(doc)


def _value(item: Any) -> str | None:
    """An element's natural value: a <meta>'s content, a <time>'s datetime, an <img>'s src, else its text."""
    if isinstance(item, str):
        return _norm(item)
    if not isinstance(item, lxml.html.HtmlElement):
        return None
    for tag, attr in (("meta", "content"), ("time", "datetime"), ("img", "src"), ("link", "href")):
        if item.tag == tag and item.get(attr):
            return _norm(item.get(attr))
    return _norm(item.text_content())


def _from_rules(doc: lxml.html.HtmlElement, url: str, rules: Mapping[str, str], found: dict[str, Any],
                tz: tzinfo | None) -> None:
    for field, selector in rules.items():
        if field not in RULE_FIELDS or not selector:
            continue
        items = _select(doc, selector)
        if field == "body":
            blocks = [b for item in items if isinstance(item, lxml.html.HtmlElement) for b in _blocks(item)]
            found["body"] = "\n".join(blocks) or None
            continue
        if field == "paywall":
            found["paywalled"] = bool(items) or None
            continue
        values = [v for v in map(_value, items) if v]
        if field == "authors":
            found["authors"] = list(dict.fromkeys(n for v in values for n in _split_authors(v)))
        elif field == "tags":
            found["tags"] = list(dict.fromkeys(values))
        elif field in ("published_at", "modified_at"):
            for value in values:
                _date(found, field, value, tz)
                if field in found:
                    break
        elif values:
            found[field] = urljoin(url, values[0]) if field == "image_url" else values[0]


# --- (d) visible markup ------------------------------------------------------------------------

def _classes(el: lxml.html.HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')}".lower()


def _headline_el(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for xpath in ("//article//h1", "//main//h1", "//h1"):
        for el in doc.xpath(xpath):
            if _norm(el.text_content()):
                return el
    return None


_MODIFIED_RE = re.compile(r"updated|modified|datemodified|changed|edited")


def _is_modified_time(el: lxml.html.HtmlElement) -> bool:
    """A <time> (or its wrapper, e.g. <span class="updated-on">) that marks a later modification."""
    for node in [el, *list(el.iterancestors())[:2]]:
        if _MODIFIED_RE.search(_classes(node)):
            return True
    return False


def _html_times(doc: lxml.html.HtmlElement, h1: lxml.html.HtmlElement | None) -> list[lxml.html.HtmlElement]:
    times = doc.xpath("//article//time[@datetime]")
    if not times and h1 is not None:
        # "Near the h1": inside the nearest ancestors of the headline, closest first.
        for ancestor in list(h1.iterancestors())[:3]:
            times = ancestor.xpath(".//time[@datetime]")
            if times:
                break
    return times


_MONTHS = {
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                    "september", "october", "november", "december"), 1)},
    **{m: i for i, m in enumerate(("січня", "лютого", "березня", "квітня", "травня", "червня", "липня",
                                    "серпня", "вересня", "жовтня", "листопада", "грудня"), 1)},
    **{m: i for i, m in enumerate(("января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                                    "августа", "сентября", "октября", "ноября", "декабря"), 1)},
}
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](20\d\d)(?:\D{1,4}(\d{1,2}):(\d{2}))?")
_WORD_DATE_RE = re.compile(r"\b(\d{1,2})\s+([^\W\d_]+)\s+(20\d\d)(?:\D{1,6}(\d{1,2}):(\d{2}))?", re.U)
_TIME_FIRST_RE = re.compile(r"\b(\d{1,2}):(\d{2}),?\s+(\d{1,2})[./](\d{1,2})[./](20\d\d)\b")


def _text_date(text: str) -> tuple[datetime, str] | None:
    """A day (and time) written out in page text: "12.01.2026 14:35", "5 січня 2026, 09:10"."""
    found = []
    for m in _TIME_FIRST_RE.finditer(text):
        found.append((m.start(), int(m[5]), int(m[4]), int(m[3]), int(m[1]), int(m[2]), m[0]))
    for m in _NUMERIC_DATE_RE.finditer(text):
        found.append((m.start(), int(m[3]), int(m[2]), int(m[1]), int(m[4] or 0), int(m[5] or 0), m[0]))
    for m in _WORD_DATE_RE.finditer(text):
        month = _MONTHS.get(m[2].lower())
        if month:
            found.append((m.start(), int(m[3]), month, int(m[1]), int(m[4] or 0), int(m[5] or 0), m[0]))
    for _, year, month, day, hour, minute, raw in sorted(found):
        try:
            return datetime(year, month, day, hour, minute), raw.strip(" ,")
        except ValueError:
            continue
    return None


def _date_text_nodes(doc: lxml.html.HtmlElement, h1: lxml.html.HtmlElement | None) -> Iterator[str]:
    """Short texts where pages print their dates: date/meta-classed elements, the headline's neighbours."""
    scope = (doc.xpath("//article") or doc.xpath("//main") or [doc])[0]
    for el in scope.iter():
        if isinstance(el.tag, str) and re.search(r"date|time|meta|posted|published", _classes(el)) \
                and not _is_modified_time(el):
            text = _norm(el.text_content())
            if text and len(text) < 120:
                yield text
    if h1 is not None:
        for sibling in [*list(h1.itersiblings(preceding=True))[:2], *list(h1.itersiblings())[:4]]:
            text = _norm(sibling.text_content())
            if text and len(text) < 160:
                yield text


def _split_authors(text: str) -> list[str]:
    names = [_norm(part) for part in _AUTHOR_SPLIT_RE.split(text)]
    return [n for n in names if n and len(n.split()) <= 6]


def _html_authors(doc: lxml.html.HtmlElement) -> list[str]:
    scope = doc.xpath("//article") or doc.xpath("//main") or [doc]
    for root in scope[:1]:
        for el in root.xpath(".//*[@rel='author' or contains(@class,'author') or contains(@class,'byline')]"):
            if re.search(r"bio|box|about|avatar", el.get("class", "")):
                continue  # an author's profile box, not the byline
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


def _html_tags(doc: lxml.html.HtmlElement) -> list[str]:
    scope = (doc.xpath("//article") or doc.xpath("//main") or [doc])[0]
    tags = [_norm(el.text_content()) for el in scope.xpath(
        ".//a[contains(concat(' ', @rel, ' '), ' tag ') and not(contains(@rel, 'category'))]")]
    if not tags:
        for box in scope.xpath(".//*[contains(@class,'tags')]"):
            tags = [_norm(el.text_content()) for el in box.xpath(".//a | .//li | .//*[contains(@class,'tag')]")
                    if not el.xpath(".//a | .//li")]
            if tags:
                break
    return list(dict.fromkeys(t for t in tags if t and len(t) < 60))


def _html_section(doc: lxml.html.HtmlElement) -> str | None:
    """The category link (rel="category"), else the last breadcrumb before the article itself."""
    for el in doc.xpath("//a[contains(concat(' ', @rel, ' '), ' category ')]"):
        if _norm(el.text_content()):
            return _norm(el.text_content())
    for crumbs in doc.xpath("//*[contains(@class,'breadcrumb') or @aria-label='Breadcrumb']"):
        links = [_norm(a.text_content()) for a in crumbs.xpath(".//a")]
        links = [text for text in links if text]
        if len(links) >= 2:  # the first crumb is the home page
            return links[-1]
    return None


_PAYWALL_RE = re.compile(r"paywall|regwall|subscriber-only|subscribers-only|premium-wall|piano-offer|locked-content")


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


def _from_html(doc: lxml.html.HtmlElement, found: dict[str, Any], tz: tzinfo | None) -> None:
    h1 = _headline_el(doc)
    found["title"] = _norm(h1.text_content()) if h1 is not None else None
    times = _html_times(doc, h1)
    published = [t for t in times if not _is_modified_time(t)]
    modified = [t for t in times if _is_modified_time(t)]
    for el in published:
        _date(found, "published_at", el.get("datetime"), tz)
        if "published_at" in found:
            break
    for el in modified:
        _date(found, "modified_at", el.get("datetime"), tz)
        if "modified_at" in found:
            break
    if "modified_at" not in found:
        for el in doc.iter():
            if isinstance(el.tag, str) and el.tag != "time" and _MODIFIED_RE.search(_classes(el)):
                hit = _text_date(_norm(el.text_content()) or "")
                if hit:
                    _date(found, "modified_at", hit[0], tz)
                    found["modified_at_raw"] = hit[1]
                    break
    if "published_at" not in found:
        for text in _date_text_nodes(doc, h1):
            hit = _text_date(text)
            if hit:
                _date(found, "published_at", hit[0], tz)
                found["published_at_raw"] = hit[1]
                break
    found["authors"] = _html_authors(doc)
    found["tags"] = _html_tags(doc)
    found["section"] = _html_section(doc)
    for el in doc.iter():
        if isinstance(el.tag, str) and _PAYWALL_RE.search(_classes(el)):
            found["paywalled"] = True
            break


# --- (e) the body ------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt"}
_DROP_TAGS = {"script", "style", "noscript", "figure", "figcaption", "aside", "nav", "form", "button",
              "iframe", "svg", "template", "select", "input", "footer", "header", "time"}
_JUNK_CLASS_RE = re.compile(
    r"share|social|related|read-?also|read-?more|see-?also|newsletter|advert|promo|subscribe|paywall|"
    r"author-?(bio|box|info|card)|\bbio\b|byline|caption|comment(?!ary)|sponsor|banner|cookie|\btags?\b|tag-?list|"
    r"breadcrumb|pull-?quote|toolbar|widget|\bmeta\b|entry-meta|post-meta|article-meta|credit|sign-?off|disclaimer|"
    r"\bads?\b|\bad-|-ad\b|donat|recommend|most-read|popular|(^|\s)hidden(\s|$)|sr-only|visually-hidden")
_JUNK_LINE_RE = re.compile(
    r"^(read (also|more)|see also|related( stories| coverage)?:|also read|more on this|"
    r"читайте (також|также|також:|ще)|дивіться також|смотрите также|подписывайтесь|підписуйтесь|"
    r"subscribe (to|for)|follow us|sign up for|advertisement|реклама|share this|поділитися|поделиться|"
    r"просмотров|переглядів|views:|версия для печати|версія для друку|print version)",
    re.I)
_CONTAINER_CLASS_RE = re.compile(
    r"(^|\s)((article|story|post|entry|news|content|text|body|c-article|td-post|single)[-_]{1,2}"
    r"(body|content|text|inner)|articlebody|article-text|story-text|body-text|field-body|rich-text|"
    r"live-?blog|live-?feed|live-?updates)(\s|$)")


def _junk(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _DROP_TAGS:
        return True
    classes = f"{el.get('class', '')} {el.get('id', '')}".lower()
    if classes.strip() and _JUNK_CLASS_RE.search(classes):
        return True
    return el.get("hidden") is not None or el.get("aria-hidden") == "true"


def _blocks(container: lxml.html.HtmlElement) -> list[str]:
    """The container's paragraphs, headings and list items, furniture and promo lines dropped."""
    blocks: list[str] = []

    def walk(el: lxml.html.HtmlElement) -> None:
        for child in el:
            if not isinstance(child.tag, str) or _junk(child):
                continue
            if child.tag in _BLOCK_TAGS and not child.xpath(".//p | .//li[not(ancestor::li)]"):
                text = _norm(child.text_content())
                links = _norm(" ".join(a.text_content() for a in child.xpath(".//a")))
                # a paragraph that is only a link is an inline "read also" teaser
                if text and not _JUNK_LINE_RE.match(text) and not (links == text and len(text) < 160):
                    blocks.append(text)
            else:
                walk(child)

    walk(container)
    return blocks


def _loose_text_size(container: lxml.html.HtmlElement) -> int:
    """Characters of the container's own text outside any paragraph-like block (furniture skipped)."""

    def walk(el: lxml.html.HtmlElement) -> int:
        size = len((el.text or "").strip())
        for child in el:
            if isinstance(child.tag, str) and not _junk(child) and child.tag not in _BLOCK_TAGS:
                size += walk(child)
            size += len((child.tail or "").strip())
        return size

    return walk(container)


_LEAD_CLASS_RE = re.compile(r"(^|[\s_-])(lead|standfirst|intro|dek)([\s_-]|$)")


def _lead(container: lxml.html.HtmlElement) -> list[str]:
    """The lead paragraph a CMS sets just before the body element ("article__lead"): part of the story."""
    for sibling in container.itersiblings(preceding=True):
        if not isinstance(sibling.tag, str) or _junk(sibling):
            continue
        if _LEAD_CLASS_RE.search(f" {sibling.get('class', '')} {sibling.get('id', '')} ".lower()):
            text = _norm(sibling.text_content())
            return [text] if text and 40 <= len(text) <= 800 else []
        if _norm(sibling.text_content()):
            return []  # only the element right before the body counts
    return []


def _container_text(doc: lxml.html.HtmlElement) -> str | None:
    candidates = doc.xpath("//*[@itemprop='articleBody']") or [
        el for el in doc.iter() if isinstance(el.tag, str) and el.tag not in ("body", "html")
        and _CONTAINER_CLASS_RE.search(f" {el.get('class', '')} {el.get('id', '')} ".lower())]
    scored = []
    for el in candidates:
        blocks = _blocks(el)
        scored.append((sum(len(b) for b in blocks), el, blocks))
    if not scored:
        return None
    size, best, blocks = max(scored, key=lambda item: item[0])
    # a wrapper ("content-inner") holds the real body ("article-body"): the innermost that keeps
    # most of the text is the body, without the wrapper's extras
    for inner_size, el, inner_blocks in scored:
        if el is not best and best in el.iterancestors() and inner_size >= 0.6 * size:
            best, blocks = el, inner_blocks
    blocks = _lead(best) + blocks
    size = sum(len(b) for b in blocks)
    # a body written as text and <br> rather than paragraphs: the blocks are only its quotes or
    # subheads, so leave the page to trafilatura, which reads line breaks
    if size < 80 or _loose_text_size(best) > size:
        return None
    return "\n".join(blocks)


def _is_byline(line: str, authors: list[str]) -> bool:
    m = _BYLINE_RE.match(line) if len(line) <= 100 else None
    names = _split_authors(_BYLINE_END_RE.split(m.group(1))[0]) if m else []
    return bool(names) and set(names) <= set(authors)


def _clean_lines(text: str, authors: list[str]) -> str:
    """Drop the byline, view counters and promo lines that generic extraction keeps in the text."""
    kept = [line for line in text.split("\n") if not _JUNK_LINE_RE.match(line) and not _is_byline(line, authors)]
    return "\n".join(kept)


def _trafilatura_text(html: str, url: str) -> str | None:
    try:
        import trafilatura
    except ImportError:
        return None
    text = None
    # precision first (no comments, no teaser lists); its filters can discard a whole plain page
    # (table layouts, no article markup), so then trafilatura's default balance
    for precision in (True, False):
        try:
            text = trafilatura.extract(
                html, url=url, include_comments=False, include_tables=False, favor_precision=precision,
                output_format="txt", with_metadata=False,
            )
        except Exception:  # trafilatura on hostile markup: the body stays unknown, the rest still counts
            text = None
        if text:
            break
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(_rejoin_wrapped([line for line in lines if line])) or None


def _rejoin_wrapped(lines: list[str]) -> list[str]:
    """Put back together a paragraph the page's source wrapped (text and <br> kept its line ends):
    a line that ends mid-sentence followed by one that starts in lower case is one paragraph."""
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1][-1:].isalpha() and line[:1].islower():
            joined[-1] += " " + line
        else:
            joined.append(line)
    return joined


def _htmldate(html: str, url: str) -> tuple[datetime, str] | None:
    try:
        from htmldate import find_date
    except ImportError:
        return None
    try:
        value = find_date(html, extensive_search=True, original_date=True, url=url,
                          outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception:  # htmldate on hostile markup: leave the date unknown
        return None
    dt = to_utc(value)
    return (dt, value) if dt else None


def _pick(record: ArticleRecord, field: str, sources: list[tuple[str, Any]]) -> str | None:
    for name, value in sources:
        if value:
            setattr(record, field, value)
            record.provenance[field] = name
            return name
    return None


def _untruncate_title(record: ArticleRecord, layers: list[tuple[str, dict[str, Any]]]) -> None:
    """A metadata title cut short ("New court files expose Sheldon Adelson's...") gives way to a
    later strategy's title that it is the start of, usually the page's own <h1>."""
    title = (record.title or "").rstrip()
    if not title.endswith(("...", "\u2026")):
        return
    stem = title.rstrip(".\u2026").rstrip()
    for name, found in layers:
        other = found.get("title")
        if other and other.startswith(stem) and not other.rstrip().endswith(("...", "\u2026")):
            record.title, record.provenance["title"] = other, name
            return


def _timezone(rules: Mapping[str, Any] | None) -> tzinfo | None:
    name = (rules or {}).get("timezone")
    if not name:
        return None
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def parse_article_html(html: str, url: str, rules: Mapping[str, Any] | None = None) -> ArticleRecord:
    """Like parse_article, for text that is already decoded."""
    record = ArticleRecord(url=url)
    if not html or not html.strip():
        return record
    try:
        doc = lxml.html.document_fromstring(html, base_url=url)
    except (lxml.etree.ParserError, ValueError):
        return record
    tz = _timezone(rules)

    layers: list[tuple[str, dict[str, Any]]] = []
    strategies: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
        ("jsonld", lambda f: _from_jsonld(doc, url, f, tz)),
        ("meta", lambda f: _from_meta(doc, url, f, tz)),
        ("rules", lambda f: _from_rules(doc, url, rules or {}, f, tz)),
        ("html", lambda f: _from_html(doc, f, tz)),
    ]
    for name, strategy in strategies:
        if name == "rules" and not rules:
            continue
        found: dict[str, Any] = {}
        try:
            strategy(found)
        except Exception:  # one strategy tripping on odd markup (or a bad rule) must not cost the others
            pass
        layers.append((name, found))
    by_name = dict(layers)

    for field in FIELDS:
        winner = _pick(record, field, [(name, found.get(field)) for name, found in layers])
        if winner and field in ("published_at", "modified_at"):
            setattr(record, field + "_raw", by_name[winner].get(field + "_raw"))

    _untruncate_title(record, layers)
    if record.title is None:
        title = _norm(doc.findtext(".//title"))
        if title:
            record.title = _strip_site_name(title, _meta(doc, "og:site_name"))
            record.provenance["title"] = "html"

    text = None
    for name, candidate in (("rules", lambda: by_name.get("rules", {}).get("body")),
                            ("container", lambda: _container_text(doc)),
                            ("trafilatura", lambda: _trafilatura_text(html, url))):
        try:
            text = candidate()
        except Exception:  # a body strategy failing leaves the next one to answer
            text = None
        if text:
            record.provenance["text"] = name
            break
    if text and record.title:
        # an in-article <h1> is kept by trafilatura; the record has the title in its own field.
        first, _, rest = text.partition("\n")
        if first.strip() == record.title and rest.strip():
            text = rest
    if text:
        text = _clean_lines(text, record.authors) or text
    ld_body = by_name["jsonld"].get("body")
    if ld_body:
        ld_body = "\n".join(line for line in (" ".join(x.split()) for x in ld_body.splitlines()) if line)
    # Paywalled pages show a teaser but may carry the whole story in articleBody; otherwise the
    # extracted page text is cleaner (articleBody is often truncated or loses paragraphs).
    if ld_body and (not text or len(text) < 0.5 * len(ld_body)):
        record.text, record.provenance["text"] = ld_body, "jsonld"
    elif text:
        record.text = text
    else:
        record.provenance.pop("text", None)

    if record.published_at is None:
        hit = _htmldate(html, url)
        if hit:
            record.published_at, record.published_at_raw = hit
            record.provenance["published_at"] = "htmldate"
    if record.language is None:
        _pick(record, "language", [("heuristic", guess_language(record.text or record.title))])
    return record


def parse_article(body: bytes, url: str, content_type: str | None = None,
                  rules: Mapping[str, Any] | None = None) -> ArticleRecord:
    """Read an article page's bytes (any declared or detectable charset) into an ArticleRecord.

    `rules` are the source's own selectors (config `extraction:`), tried after JSON-LD and meta.
    Never raises on bad input: fields that cannot be found stay None/empty. Dates are aware UTC.
    """
    try:
        html, _ = decode_html(body or b"", content_type)
        return parse_article_html(html, url, rules)
    except Exception:  # last line of defence: extraction must not stop the extract step
        return ArticleRecord(url=url)
