"""Read a capture back from the archive (a revisit's payload from its original).

Which capture a URL names is decided by kronika.lookup, the one URL rule of every command.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc.cdxj import urlkey
from kronika.storage.warc.paths import archive_path
from kronika.storage.warc.reader import StoredResponse, read_response


@dataclass
class Retrieved:
    capture: dict  # the capture asked for (url, captured_at, record_type, status, file, offset, ...)
    response: StoredResponse  # its headers; body from the original record for a revisit
    payload_from: dict | None  # for a revisit: the original capture the payload was read from


def _as_dict(capture: Capture, path: str) -> dict:
    return {"url": capture.url, "captured_at": capture.captured_at.isoformat(), "record_type": capture.record_type,
            "status": capture.status, "mime": capture.mime, "payload_digest": capture.payload_digest,
            "warc_file": path, "offset": capture.offset, "length": capture.length,
            "record_id": capture.record_id, "crawl_run_id": capture.crawl_run_id}


def first_response_like(session, revisit: Capture) -> Capture | None:
    """The first response archived under the revisit's target URL with its payload digest.

    Exact and repeatable (the rebuild from WARC depends on it): what `extract` and the web view
    read a revisit's bytes from. `original_of` below is the lenient lookup `kronika get` uses.
    """
    return session.scalars(
        select(Capture).where(Capture.url == (revisit.refers_to_url or revisit.url),
                              Capture.payload_digest == revisit.payload_digest,
                              Capture.record_type == "response")
        .order_by(Capture.captured_at).limit(1)).first()


def original_of(session, revisit: Capture) -> tuple[Capture, str] | None:
    """The response record a revisit refers to: same payload digest, its URL and date when written."""
    query = (select(Capture, WarcFile.path).join(WarcFile, Capture.warc_file_id == WarcFile.id)
             .where(Capture.record_type == "response", Capture.payload_digest == revisit.payload_digest))
    rows = session.execute(query).all()
    if not rows:
        return None
    target_url = revisit.refers_to_url or revisit.url
    target_date = revisit.refers_to_date or revisit.captured_at

    def distance(row):
        capture = row[0]
        same_url = capture.url == target_url or capture.surt == urlkey(target_url)
        return (not same_url, abs((capture.captured_at - target_date).total_seconds()))

    return min(rows, key=distance)


def read_capture(session, archive_dir: Path, capture: Capture, path: str) -> Retrieved:
    """A capture's record read back from the archive; a revisit's body from the original it refers to.

    Which capture a URL names is kronika.lookup's question; this only reads."""
    original = original_of(session, capture) if capture.record_type == "revisit" else None
    response = read_response(archive_path(archive_dir, path), capture.offset)
    payload_from = None
    if original is not None:
        source, source_path = original
        stored = read_response(archive_path(archive_dir, source_path), source.offset)
        # the revisit's own status and headers (what the server said then), the original's bytes
        response.raw_body, response.body = stored.raw_body, stored.body
        payload_from = _as_dict(source, source_path)
    elif capture.record_type == "revisit":
        raise LookupError(f"the revisit of {capture.url} at {capture.captured_at.isoformat()} refers to "
                          f"{capture.refers_to_url} at {capture.refers_to_date}, which is not in the index")
    return Retrieved(capture=_as_dict(capture, path), response=response, payload_from=payload_from)


def http_head(response: StoredResponse) -> bytes:
    """The status line and headers as archived (CRLF line ends, blank line at the end)."""
    lines = [f"{response.protocol} {response.status_line}".strip()]
    lines += [f"{name}: {value}" for name, value in response.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
