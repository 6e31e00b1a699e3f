"""What /capture/N shows: where a capture's WARC record is, what its headers and digests say, and
the body it holds (a revisit's from its original record), read from the WARC file itself."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kronika import browse
from kronika.storage.warc.paths import archive_path
from kronika.storage.warc.reader import StoredResponse, read_response
from kronika.storage.warc.replay import timestamp14

MAX_SHOWN_CHARS = 400_000  # the page shows this much of a body; /capture/N/body has all of it


class RecordMissing(LookupError):
    """The capture's WARC file is not in the archive directory (moved, or a path pointing outside it)."""


@dataclass
class CaptureRecord:
    capture_id: int
    source: str  # the WARC file's folder: the source, and its pywb collection
    url: str
    captured_at: Any
    rows: list[tuple[str, str]]  # the record's place and identity, label → value
    record: StoredResponse  # this capture's own record (a revisit has no body)
    payload: StoredResponse  # the record holding the body: a revisit's original, else the same
    original: dict | None  # a revisit's original capture: id, url, captured_at, warc_file, offset
    text: str  # the body decoded as text, cut at MAX_SHOWN_CHARS
    cut: bool  # whether `text` was cut
    encoding: str


def _read(archive_dir, warc_path: str, offset: int) -> StoredResponse:
    try:
        return read_response(archive_path(archive_dir, warc_path), offset)
    except (FileNotFoundError, ValueError):  # ValueError: a stored path pointing outside the archive
        raise RecordMissing(f"WARC file {warc_path} is not in the archive directory") from None


def load_capture(session: Session, archive_dir, capture_id: int) -> CaptureRecord | None:
    """The capture with its record read back from the archive, or None when there is no such capture."""
    from kronika.spiders.parsers.charset import decode_html

    found = browse.capture_location(session, capture_id)
    if found is None:
        return None
    capture, warc_path = found
    record = _read(archive_dir, warc_path, capture.offset)
    original, payload = None, record
    if capture.record_type == "revisit":
        source_capture = browse.payload_capture(session, capture)
        if source_capture.id != capture.id:
            source_capture, original_path = browse.capture_location(session, source_capture.id)
            payload = _read(archive_dir, original_path, source_capture.offset)
            original = {"id": source_capture.id, "url": source_capture.url, "captured_at": source_capture.captured_at,
                        "warc_file": original_path, "offset": source_capture.offset}
    headers = dict((name.lower(), value) for name, value in record.record_headers)
    rows = [
        ("capture", str(capture.id)),
        ("URL", capture.url),
        *([("linked as", capture.original_url)] if capture.original_url else []),
        ("captured at", capture.captured_at.isoformat()),
        ("timestamp (for replay, get --at)", timestamp14(capture.captured_at)),
        ("record type", capture.record_type),
        ("HTTP status", str(capture.status) if capture.status is not None else "—"),
        ("MIME type", capture.mime or "—"),
        ("WARC file", warc_path),
        ("offset", str(capture.offset)),
        ("length (compressed bytes)", str(capture.length)),
        ("WARC-Record-ID", capture.record_id),
        ("WARC-Date", headers.get("warc-date", "—")),
        ("WARC-Payload-Digest", headers.get("warc-payload-digest") or capture.payload_digest or "—"),
        ("WARC-Block-Digest", headers.get("warc-block-digest", "—")),
        *([("WARC-Refers-To-Target-URI", headers.get("warc-refers-to-target-uri") or capture.refers_to_url or "—"),
           ("WARC-Refers-To-Date", headers.get("warc-refers-to-date") or
            (capture.refers_to_date.isoformat() if capture.refers_to_date else "—"))]
          if capture.record_type == "revisit" else []),
        ("crawl run", capture.crawl_run_id or "—"),
        ("role", capture.role or "—"),
    ]
    text, encoding = decode_html(payload.body, payload.header("Content-Type"))
    return CaptureRecord(capture.id, warc_path.split("/", 1)[0], capture.url, capture.captured_at, rows, record,
                         payload, original, text[:MAX_SHOWN_CHARS], len(text) > MAX_SHOWN_CHARS, encoding)
