"""Reading WARC files: stream record summaries with their offsets, and fetch one record back.

Nothing here loads a file whole; `scan` reads headers and skips bodies, `read_response` seeks
straight to one record.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_datetime

from kronika.storage.warc.paths import open_binary

MAX_BODY_BYTES = 50_000_000  # decoded bodies beyond this are refused, not loaded


@dataclass
class RecordInfo:
    offset: int
    length: int
    rec_type: str
    record_id: str
    url: str | None
    date: datetime | None
    status: int | None = None
    mime: str | None = None
    payload_digest: str | None = None
    concurrent_to: str | None = None
    refers_to_url: str | None = None
    refers_to_date: datetime | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # warcinfo / metadata bodies


def parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    return iso_date_to_datetime(value).replace(tzinfo=timezone.utc)


def parse_fields(body: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


def scan(path: Path) -> Iterator[RecordInfo]:
    """Every record of a WARC file with its offset and compressed length, bodies unread."""
    with open_binary(path) as fh:
        iterator = ArchiveIterator(fh, no_record_parse=False, check_digests=False)
        for record in iterator:
            headers = record.rec_headers
            info = RecordInfo(
                offset=0, length=0,
                rec_type=record.rec_type,
                record_id=headers.get_header("WARC-Record-ID"),
                url=headers.get_header("WARC-Target-URI"),
                date=parse_warc_date(headers.get_header("WARC-Date")),
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                concurrent_to=headers.get_header("WARC-Concurrent-To"),
                refers_to_url=headers.get_header("WARC-Refers-To-Target-URI"),
                refers_to_date=parse_warc_date(headers.get_header("WARC-Refers-To-Date")),
            )
            if record.http_headers is not None and record.rec_type in ("response", "revisit"):
                status = record.http_headers.get_statuscode()
                info.status = int(status) if status and status.isdigit() else None
                content_type = record.http_headers.get_header("Content-Type")
                if content_type:
                    info.mime = content_type.split(";")[0].strip().lower()
            if record.rec_type in ("warcinfo", "metadata"):
                info.fields = parse_fields(record.content_stream().read(1_000_000))
            # offset and length are known once the iterator has moved past the record
            iterator.read_to_end(record)
            info.offset = iterator.get_record_offset()
            info.length = iterator.get_record_length()
            yield info


@dataclass
class StoredResponse:
    url: str
    date: datetime | None
    rec_type: str
    status: int | None
    headers: list[tuple[str, str]]
    status_line: str
    protocol: str
    raw_body: bytes  # as archived (still content-encoded)
    body: bytes  # content-decoded
    record_headers: list[tuple[str, str]] = field(default_factory=list)  # the WARC record's own, as written

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def read_response(path: Path, offset: int, fh: BinaryIO | None = None) -> StoredResponse:
    """The response (or revisit) record at `offset`, with its body decoded.

    `fh`, when given, is `path` already open (a reader taking many records from one file, on an
    object store above all, keeps it open instead of opening the file per record)."""
    with (nullcontext(fh) if fh is not None else open_binary(path)) as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        http = record.http_headers
        raw = record.raw_stream.read(MAX_BODY_BYTES + 1) if record.rec_type == "response" else b""
        if len(raw) > MAX_BODY_BYTES:
            raise ValueError(f"{path}@{offset}: body larger than {MAX_BODY_BYTES} bytes")
        body = _decode_content(raw, http.get_header("Content-Encoding") if http else None)
        status = http.get_statuscode() if http else None
        return StoredResponse(
            url=record.rec_headers.get_header("WARC-Target-URI"),
            date=parse_warc_date(record.rec_headers.get_header("WARC-Date")),
            rec_type=record.rec_type,
            status=int(status) if status and status.isdigit() else None,
            headers=list(http.headers) if http else [],
            status_line=http.statusline if http else "",
            protocol=http.protocol if http else "",
            raw_body=raw,
            body=body,
            record_headers=list(record.rec_headers.headers),
        )


def _decode_content(raw: bytes, encoding: str | None) -> bytes:
    """Undo Content-Encoding with a size cap (a gzip bomb is refused, not inflated)."""
    import zlib

    if not encoding or not raw:
        return raw
    encodings = [e.strip().lower() for e in encoding.split(",") if e.strip()]
    data = raw
    for name in reversed(encodings):
        if name in ("gzip", "x-gzip"):
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif name == "deflate":
            decompressor = zlib.decompressobj()
        elif name == "identity":
            continue
        elif name == "br":
            import brotli  # Scrapy's optional dependency; present only when a server sent br

            data = brotli.decompress(data)
            continue
        else:
            raise ValueError(f"unsupported Content-Encoding {name!r}")
        try:
            out = decompressor.decompress(data, MAX_BODY_BYTES + 1)
        except zlib.error as exc:  # a body that lies about its encoding is unreadable, not fatal
            raise ValueError(f"corrupt {name} body: {exc}") from None
        if len(out) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
            raise ValueError(f"decoded body larger than {MAX_BODY_BYTES} bytes")
        data = out
    return data
