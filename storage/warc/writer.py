"""Writing WARC files: one gzip member per record, `warcinfo` first, `.open` until closed.

Files follow Heritrix/IIPC naming, `<prefix>-<timestamp>-<serial>-<host>.warc.gz`, are written
as `….warc.gz.open`, fsynced and renamed when closed, and roll over at a size limit. A closed
file is never written again, so a crash can only leave an `.open` file behind, which
`repair_open_files` truncates to its last complete record and closes.

Digests are SHA-1 in base32 (`sha1:…`): the form pywb, cdxj-indexer, WACZ tooling and
Heritrix-made archives all use for deduplication, so our revisits can refer across tools.

Records are serialised here rather than by warcio's generic record builder: the crawl writes
three records per page, and the builder's header objects, stream copies and second digest pass
cost ~0.7 ms of the crawler's single CPU per page; the whole recorder now costs ~0.27 ms a page,
timed in-process (docs/performance.md). warcio stays the reference: tests compare every record
type with what its builder writes, and read everything back with it (`warcio check`).
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kronika.storage.version import kronika_version

WARC_VERSION = "WARC/1.1"
OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000
GZIP_LEVEL = 6  # gzip's own default: the usual balance of size and speed
# A body the server already compressed (gzip, br, ...) does not shrink again: its record's gzip
# member is written "stored" (level 0), which costs a tenth of the CPU for ~2% more bytes (the WARC
# and HTTP headers stay uncompressed). Still one valid gzip member per record.
STORED_LEVEL = 0
_COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "compress"})


REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"

# Secrets stay out of request records: these headers' values are written as REDACTED (the name is
# kept, so a reader sees that one was sent), with the source's configured headers added to them.
REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


def redact(headers: list[tuple[str, str]], secret_names: frozenset[str]) -> list[tuple[str, str]]:
    """The headers with the values of `secret_names` (lower-case) replaced by REDACTED."""
    return [(name, REDACTED if name.lower() in secret_names else value) for name, value in headers]


def _sha1(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


_EMPTY_DIGEST = _sha1(b"")


def payload_digest(body: bytes) -> str:
    return _sha1(body) if body else _EMPTY_DIGEST  # most request bodies are empty


def warc_date(moment: datetime) -> str:
    # warcio's datetime_to_iso_date(use_micros=True) form (fractions only when there are some),
    # written here so the writer process starts without importing warcio (and fsspec with it)
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True)
class HttpExchange:
    """One request and its response, as they went over the wire (body before decompression)."""

    url: str
    method: str
    request_target: str  # path and query, as in the request line
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    protocol: str  # "HTTP/1.1"
    response_headers: list[tuple[str, str]]
    response_body: bytes
    captured_at: datetime
    ip_address: str | None = None


@dataclass(frozen=True)
class Revisit:
    """Where an identical payload was first archived."""

    refers_to_url: str
    refers_to_date: datetime


@dataclass(frozen=True)
class WrittenRecord:
    path: Path  # the final (closed) name of the file
    offset: int
    length: int
    record_id: str
    record_type: str
    payload_digest: str


# -- records -----------------------------------------------------------------------
def http_head(first_line: str, headers: Sequence[tuple[str, str]]) -> bytes:
    """The status or request line and the headers, as the HTTP block of a record starts.

    Header values arrive decoded as latin-1 (byte for byte); a value that is not ASCII is written
    the way warcio writes it (RFC 8187 percent-encoding), so every reader sees one form. A header
    name or status line that is not ASCII (warcio refuses those) is written as the bytes received."""
    text = first_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    if text.isascii():
        return text.encode("ascii")
    from warcio.statusandheaders import StatusAndHeaders  # rare: not worth warcio's import at start-up

    protocol, _, rest = first_line.partition(" ")
    try:
        return StatusAndHeaders(rest, list(headers), protocol=protocol).to_ascii_bytes()
    except UnicodeEncodeError:
        try:
            return text.encode("latin-1")  # what arrived, byte for byte
        except UnicodeEncodeError:  # a configured header beyond latin-1: never sent as such by Scrapy either
            return text.encode("utf-8")


def warc_record(warc_type: str, date: str, block: Sequence[bytes], content_type: str,
                url: str | None = None, fields: Sequence[tuple[str, str]] = ()) -> tuple[str, bytes]:
    """(WARC-Record-ID, the whole record) of a WARC/1.1 record whose block is the `block` parts.

    `fields` are the record's other WARC headers (digests of the payload, concurrent records,
    the revisit's target ...); the block digest and length are computed here."""
    record_id = f"<urn:uuid:{uuid.uuid4()}>"
    lines = [WARC_VERSION, f"WARC-Type: {warc_type}", f"WARC-Record-ID: {record_id}", f"WARC-Date: {date}"]
    if url is not None:
        fields = [("WARC-Target-URI", url), *fields]
    for name, value in fields:
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in the WARC header {name}: {value!r}")
        lines.append(f"{name}: {value}")
    lines += [f"WARC-Block-Digest: {_sha1(*block)}", f"Content-Type: {content_type}",
              f"Content-Length: {sum(len(part) for part in block)}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")  # WARC headers may be UTF-8
    return record_id, b"".join((head, *block, b"\r\n\r\n"))


class RollingWarcWriter:
    """Appends exchanges to WARC files in one directory, rolling over at `max_size` bytes."""

    def __init__(self, directory: Path, prefix: str, warcinfo: dict[str, str],
                 max_size: int = DEFAULT_MAX_SIZE, hostname: str | None = None):
        self.directory = Path(directory)
        self.prefix = prefix
        self.warcinfo = warcinfo
        self.max_size = max_size
        self.hostname = _safe_host(hostname or socket.gethostname())
        self.closed_files: list[Path] = []
        self._serial = 0
        self._fh: io.FileIO | None = None
        self._open_path: Path | None = None
        self._closed_path: Path | None = None  # the name the open file will have
        self._broken = False

    # -- lifecycle ---------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        return self._closed_path

    def _start_file(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self._serial += 1
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.hostname}.warc.gz"
            path = self.directory / (name + OPEN_SUFFIX)
            if not path.exists() and not (self.directory / name).exists():
                break
        # exclusive create: two writers never share a file. Unbuffered: every byte handed over is in
        # the file, so a failed write (a full disk) can be cut back to the last complete record
        self._fh = open(path, "xb", buffering=0)
        self._open_path = path
        self._closed_path = self._final_name(path)
        info = {"software": f"Kronika/{kronika_version()}", "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "hostname": socket.gethostname(), **self.warcinfo}
        _, record = warc_record("warcinfo", warc_date(datetime.now(timezone.utc)), [_warc_fields(info)],
                                "application/warc-fields", fields=[("WARC-Filename", name)])
        try:
            self._write([_gzip_member(record)])
        except OSError:
            self._cut_back_to(0)
            self.close()  # removes the empty file: the next exchange starts a new one, warcinfo first
            raise

    def _write(self, members: list[bytes]) -> None:
        """Append gzip members (one per record) to the file, in one write where the OS allows."""
        data = memoryview(b"".join(members) if len(members) > 1 else members[0])
        while data:  # a raw write may take only part of it
            data = data[self._fh.write(data):]

    def _cut_back_to(self, offset: int) -> None:
        """Drop a partly written exchange (ENOSPC mid-record): the file ends at a whole record again."""
        try:
            self._fh.truncate(offset)
            self._fh.seek(offset)
        except OSError:
            self._broken = True  # close() leaves it `.open`, for repair_open_files to cut back

    def close(self) -> Path | None:
        """Flush, fsync and rename the current file to its final name."""
        if self._fh is None:
            return None
        if self._broken or self._fh.tell() == 0:
            # a partial record that could not be cut off stays `.open` for repair; a file without
            # even its warcinfo record (a full disk) is removed
            self._fh.close()
            if not self._broken:
                self._open_path.unlink()
            self._fh = self._open_path = self._closed_path = None
            self._broken = False
            return None
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self._final_name(self._open_path)
        os.replace(self._open_path, final)
        _fsync_dir(self.directory)
        self.closed_files.append(final)
        self._fh = self._open_path = self._closed_path = None
        return final

    @staticmethod
    def _final_name(open_path: Path) -> Path:
        return open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])

    def __enter__(self) -> RollingWarcWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------
    def write_exchange(self, exchange: HttpExchange, revisit: Revisit | None = None,
                       metadata: dict[str, str | list[str]] | None = None,
                       digest: str | None = None) -> WrittenRecord:
        """Write response (or revisit), request and optional metadata; return the response's place.

        `digest` is the payload digest when the caller computed it already (the recorder does, to
        decide on a revisit): hashing a body once is enough."""
        if self._fh is not None and (self._broken or self._fh.tell() >= self.max_size):
            self.close()
        if self._fh is None:
            self._start_file()
        date = warc_date(exchange.captured_at)
        digest = digest or payload_digest(exchange.response_body)

        status_line = f"{exchange.protocol} {exchange.status} {exchange.reason}".rstrip()
        response_head = http_head(status_line, exchange.response_headers)
        ip = [("WARC-IP-Address", exchange.ip_address)] if exchange.ip_address else []
        if revisit is None:
            response_id, response = warc_record(
                "response", date, [response_head, exchange.response_body], "application/http; msgtype=response",
                url=exchange.url, fields=[*ip, ("WARC-Payload-Digest", digest)])
            level = STORED_LEVEL if _already_compressed(exchange) else GZIP_LEVEL
        else:
            # identical payload: the HTTP headers only, pointing at the record holding the body
            response_id, response = warc_record(
                "revisit", date, [response_head], "application/http; msgtype=response", url=exchange.url,
                fields=[*ip, ("WARC-Profile", REVISIT_PROFILE), ("WARC-Refers-To-Target-URI", revisit.refers_to_url),
                        ("WARC-Refers-To-Date", warc_date(revisit.refers_to_date)), ("WARC-Payload-Digest", digest)])
            level = GZIP_LEVEL
        members = [_gzip_member(response, level)]

        request_head = http_head(f"{exchange.method} {exchange.request_target} {exchange.protocol}",
                                 exchange.request_headers)
        _, request = warc_record(
            "request", date, [request_head, exchange.request_body], "application/http; msgtype=request",
            url=exchange.url, fields=[("WARC-Concurrent-To", response_id),
                                      ("WARC-Payload-Digest", payload_digest(exchange.request_body))])
        members.append(_gzip_member(request))
        if metadata:
            body = _warc_fields(metadata)
            _, meta = warc_record("metadata", date, [body], "application/warc-fields", url=exchange.url,
                                  fields=[("WARC-Concurrent-To", response_id), ("WARC-Payload-Digest", payload_digest(body))])
            members.append(_gzip_member(meta))

        offset = self._fh.tell()
        try:
            # all of the exchange or none of it: a later close() leaves no partial record behind
            self._write(members)
        except OSError:
            self._cut_back_to(offset)
            raise
        # unbuffered writes: what a crash can lose is bounded by one exchange
        return WrittenRecord(path=self._closed_path, offset=offset, length=len(members[0]),
                             record_id=response_id, record_type="response" if revisit is None else "revisit",
                             payload_digest=digest)


def _already_compressed(exchange: HttpExchange) -> bool:
    for name, value in exchange.response_headers:
        if name.lower() == "content-encoding":
            return any(part.strip().lower() in _COMPRESSED_ENCODINGS for part in value.split(","))
    return False


def _gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """One gzip member of `data`.

    zlib's default state (a 32 KB window, memLevel 8: ~270 KB) is allocated and cleared for every
    member, and for a request or metadata record, or a stored body, that cost ~60 us: more than
    the compressing. A window no larger than the data loses nothing (no match reaches further
    back), and the hash tables shrink with it; stored members need neither."""
    window_bits = min(zlib.MAX_WBITS, max(10, (len(data) - 1).bit_length()))
    mem_level = 1 if level == STORED_LEVEL else max(1, min(8, window_bits - 7))
    compressor = zlib.compressobj(level, zlib.DEFLATED, window_bits | 16, mem_level)  # | 16: gzip framing
    return compressor.compress(data) + compressor.flush()


def _warc_fields(fields: dict[str, str | list[str]]) -> bytes:
    lines = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            # a field value may not contain line breaks (application/warc-fields)
            lines.append(f"{name}: {' '.join(str(item).split())}\r\n")
    return "".join(lines).encode("utf-8")


def _safe_host(host: str) -> str:
    return "".join(ch if ch.isalnum() or ch in ".-" else "-" for ch in host) or "localhost"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- crash repair ------------------------------------------------------------------
def complete_members_end(path: Path, chunk_size: int = 1 << 20) -> int:
    """Byte offset just past the last complete gzip member (= record) of a file."""
    good_end = 0
    consumed = 0  # compressed bytes fed so far, in the file's coordinates
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with open(path, "rb") as fh:
        pending = b""
        while True:
            chunk = fh.read(chunk_size)
            if not chunk and not pending:
                break
            data = pending + chunk
            pending = b""
            while data:
                try:
                    decompressor.decompress(data)
                except zlib.error:
                    return good_end  # corrupt bytes: keep what precedes them
                if decompressor.eof:
                    used = len(data) - len(decompressor.unused_data)
                    consumed += used
                    good_end = consumed
                    data = decompressor.unused_data
                    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                else:
                    consumed += len(data)
                    data = b""
            if not chunk:
                break
    return good_end


def repair_open_files(directories: Iterable[Path]) -> list[Path]:
    """Close `.open` files a killed crawl left: truncate to the last complete record, rename."""
    repaired = []
    for directory in directories:
        for open_path in sorted(Path(directory).glob(f"*.warc.gz{OPEN_SUFFIX}")):
            end = complete_members_end(open_path)
            final = RollingWarcWriter._final_name(open_path)
            if end == 0:
                # not even the warcinfo record survived: nothing to keep
                open_path.unlink()
                continue
            with open(open_path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(open_path, final)
            _fsync_dir(open_path.parent)
            repaired.append(final)
    return repaired
