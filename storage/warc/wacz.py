"""Package WARC files as a WACZ 1.1.1 file (https://specs.webrecorder.net/wacz/1.1.1/).

Layout: `archive/*.warc.gz` (stored, not deflated, so a reader can seek into them inside the ZIP),
`indexes/index.cdx` (CDXJ lines for those files, sorted, as `cdxj-indexer` writes them),
`pages/pages.jsonl` (the pages a user would open, with titles), `datapackage.json` (every other
file with its sha256 and size) and `datapackage-digest.json` (the sha256 of datapackage.json and,
when signed, the WACZ signing spec's `signedData` over it; docs/custody.md).
"""
from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kronika.storage.version import kronika_version
from kronika.storage.warc.cdxj import cdxj_lines, index_records
from kronika.storage.warc.paths import archive_path, open_binary

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


@dataclass(frozen=True)
class Page:
    url: str
    captured_at: datetime
    title: str | None = None

    def as_json(self) -> dict:
        entry = {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"{self.captured_at.isoformat()} {self.url}").hex,
                 "url": self.url, "ts": _iso(self.captured_at)}
        if self.title:
            entry["title"] = self.title
        return entry


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _HashingWriter:
    """Counts and hashes what is written into a ZIP member."""

    def __init__(self, target):
        self.target, self.size, self.sha256 = target, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.target.write(data)
        self.size += len(data)
        self.sha256.update(data)


def build_wacz(out: Path, warc_files: Iterable[Path], pages: Iterable[Page], title: str,
               description: str | None = None, on_bytes: Callable[[int], None] | None = None,
               members: dict[str, bytes] | None = None, sign: Callable[[str, str], dict] | None = None,
               created: datetime | None = None) -> dict:
    """Write the WACZ; return its datapackage (as written).

    `members` are further files (`folder/name`: bytes), listed and hashed in the datapackage like
    the others. `sign(hash, created)` returns the WACZ signing spec's `signedData` block for
    `datapackage-digest.json` (kronika.custody.signing makes one)."""
    warc_files = list(warc_files)
    names = [p.name for p in warc_files]
    if len(set(names)) != len(names):
        raise ValueError("two WARC files share a name; a WACZ's archive/ folder needs unique names")
    resources = []
    lines: list[str] = []
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    created = _iso(created or datetime.now(timezone.utc))
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as wacz:
            for path in warc_files:
                info = zipfile.ZipInfo(f"archive/{path.name}", date_time=_zip_time(path))
                info.compress_type = zipfile.ZIP_STORED
                with wacz.open(info, "w", force_zip64=True) as member, open_binary(path) as source:
                    writer = _HashingWriter(member)
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        writer.write(chunk)
                        if on_bytes:
                            on_bytes(len(chunk))
                resources.append(_resource(info.filename, writer.size, writer.sha256.hexdigest()))
                lines.extend(cdxj_lines(index_records(path), path.name))
            index_bytes = "".join(sorted(lines)).encode("utf-8")
            _write_small(wacz, "indexes/index.cdx", index_bytes, resources)
            page_lines = [json.dumps(PAGES_HEADER)] + [json.dumps(p.as_json(), ensure_ascii=False) for p in pages]
            _write_small(wacz, "pages/pages.jsonl", ("\n".join(page_lines) + "\n").encode("utf-8"), resources)
            for name, data in (members or {}).items():
                _write_small(wacz, name, data, resources)
            package = {"profile": "data-package", "title": title, "created": created, "modified": created,
                       "wacz_version": WACZ_VERSION, "software": f"Kronika {kronika_version()}", "resources": resources}
            if description:
                package["description"] = description
            package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
            _write_small(wacz, "datapackage.json", package_bytes, None)
            digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
            if sign:
                digest["signedData"] = sign(digest["hash"], created)
            _write_small(wacz, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"), None)
    except BaseException:  # a failed signature (no TSA) or a full disk leaves no half package
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return package


def _resource(path: str, size: int, sha256_hex: str) -> dict:
    return {"name": Path(path).name.lower(), "path": path, "hash": f"sha256:{sha256_hex}", "bytes": size}


def _write_small(wacz: zipfile.ZipFile, name: str, data: bytes, resources: list | None) -> None:
    info = zipfile.ZipInfo(name, date_time=datetime.now(timezone.utc).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    wacz.writestr(info, data)
    if resources is not None:
        resources.append(_resource(name, len(data), hashlib.sha256(data).hexdigest()))


def _zip_time(path: Path) -> tuple:
    mtime = getattr(path.stat(), "st_mtime", None)  # an object store may not tell
    moment = datetime.fromtimestamp(mtime, timezone.utc) if mtime else datetime.now(timezone.utc)
    return max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


# -- choosing what goes in, from the database ------------------------------------------
PAGE_ROLES = ("article", "channel")


def select_for_wacz(database_url: str, archive_dir: Path, source: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> tuple[list[Path], list[Page]]:
    """The files holding captures in [since, until) (and the originals their revisits need), and the pages.

    Files are whole: a file that holds one capture in the range comes in with all its records.
    Pages are the article and channel captures in the range, titled from the extracted articles
    (or the page's own <title>).
    """
    from sqlalchemy import select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import Article, Capture, WarcFile

    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        query = select(Capture, WarcFile.path).join(WarcFile, Capture.warc_file_id == WarcFile.id)
        if source:
            query = query.where(WarcFile.source == source)
        if since:
            query = query.where(Capture.captured_at >= since)
        if until:
            query = query.where(Capture.captured_at < until)
        rows = session.execute(query.order_by(Capture.captured_at)).all()
        files = {path for _, path in rows}
        digests = {c.payload_digest for c, _ in rows if c.record_type == "revisit" and c.payload_digest}
        if digests:
            originals = session.execute(
                select(WarcFile.path).join(Capture, Capture.warc_file_id == WarcFile.id)
                .where(Capture.record_type == "response", Capture.payload_digest.in_(digests))).scalars()
            files |= set(originals)
        titles = dict(session.execute(select(Article.url, Article.title)).all())
        page_rows = [(c.url, c.captured_at, c.record_type, path, c.offset) for c, path in rows
                     if c.role in PAGE_ROLES and c.status == 200]
    pages = []
    for url, captured_at, record_type, path, offset in page_rows:
        title = titles.get(url)
        if not title and record_type == "response":
            title = _html_title(archive_path(archive_dir, path), offset)
        pages.append(Page(url=url, captured_at=captured_at, title=title))
    ordered = sorted((archive_path(archive_dir, p) for p in files), key=lambda p: p.name)
    return ordered, pages


def _html_title(path: Path, offset: int) -> str | None:
    import html
    import re

    from w3lib.encoding import html_to_unicode

    from kronika.storage.warc.reader import read_response

    try:
        stored = read_response(path, offset)
        # the charset from the header, the BOM or a <meta> declaration, else UTF-8 (no detection: a title
        # is a label in a package index, and a wrong guess only costs a few odd characters)
        _, text = html_to_unicode(stored.header("Content-Type"), stored.body[:200_000])
    except Exception:  # a title is a nicety: an unreadable page is still listed, by URL
        return None
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    return " ".join(html.unescape(match.group(1)).split()) if match else None
