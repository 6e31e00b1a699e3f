"""Recent changes as an Atom 1.0 feed (RFC 4287), for feed readers and chat integrations.

Written with ElementTree, which escapes every text and attribute for XML. An entry's content is
HTML (type="html": the diff excerpt with <del>/<ins>), built from archived text escaped with
html.escape first, so archived markup is text in the reader too, never markup. Characters XML 1.0
cannot carry (most C0 controls), which a scraped page may hold, are dropped so the feed stays
well-formed.
"""
from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from html import escape

from kronika.changes import Change

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_FEED_NAMESPACE = uuid.UUID("0b8f6f1e-5a43-5b8e-8f0a-41d9c3b7a2e5")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_id(source: str | None) -> str:
    """The feed's own id: stable for a source (or for all sources), wherever the view is served."""
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'kronika changes ' + (source or '*'))}"


def _show(value) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def content_html(change: Change) -> str:
    """The entry's body as HTML: what changed, the fields old → new, and the text around each change."""
    parts = [f"<p>{escape(change.summary)}</p>"]
    if change.old_at:
        parts.append(f"<p>version captured {rfc3339(change.old_at)} → version captured {rfc3339(change.at)}</p>")
    if change.fields:
        rows = "".join(f"<tr><th>{escape(name)}</th><td><del>{escape(_show(old))}</del></td>"
                       f"<td><ins>{escape(_show(new))}</ins></td></tr>" for name, old, new in change.fields)
        parts.append(f"<table><tr><th></th><th>old</th><th>new</th></tr>{rows}</table>")
    if change.excerpt:
        tags = {"-": "<del>{}</del>", "+": "<ins>{}</ins>", "=": "{}"}
        runs, previous = [], "="
        for op, text in change.excerpt:
            # a removed word and the word that replaced it, apart even where a reader ignores styles
            runs.append((" " if {op, previous} == {"-", "+"} else "") + tags[op].format(escape(text)))
            previous = op
        parts.append("<p>" + "".join(runs) + "</p>")
    return "\n".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = xml_safe(text)
    return element


def atom_feed(changes: list[Change], *, base_url: str, self_path: str, page_path: str, title: str,
              source: str | None, updated: datetime | None = None) -> bytes:
    """The feed document. `updated` is used when there are no changes (the newest run, say)."""
    base_url = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", feed_id(source))
    _text(feed, "title", title)
    _text(feed, "updated", rfc3339(max([c.at for c in changes], default=updated or EPOCH)))
    _text(feed, "generator", "Kronika")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=base_url + self_path)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=base_url + page_path)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Kronika")
    for change in changes:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", change.entry_id)
        _text(entry, "title", f"{change.kind}: {change.title}", type="text")
        _text(entry, "updated", rfc3339(change.at))
        _text(entry, "published", rfc3339(change.at))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html",
                      href=xml_safe(base_url + change.link))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=xml_safe(change.url))
        ET.SubElement(entry, f"{{{ATOM}}}category", term=change.kind)
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", change.source)  # the outlet or channel the change was seen at
        _text(entry, "summary", change.summary, type="text")
        _text(entry, "content", content_html(change), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
