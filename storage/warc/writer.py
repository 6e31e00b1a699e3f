"""Writing WARC files: one gzip member per record, `warcinfo` first, `.open` until closed.

Files follow Heritrix/IIPC naming, `<prefix>-<timestamp>-<serial>-<host>.warc.gz`, are written
as `….warc.gz.open`, fsynced and renamed when closed, and roll over at a size limit. A closed
file is never written again, so a crash can only leave an `.open` file behind, which
`repair_open_files` truncates to its last complete record and closes.

Digests are SHA-1 in base32 (`sha1:…`): the form pywb, cdxj-indexer, WACZ tooling and
Heritrix-made archives all use for deduplication, so our revisits can refer across tools.
"""
from __future__ import annotations

import io
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from kronika import __version__

WARC_VERSION = "WARC/1.1"
OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000
GZIP_LEVEL = 6  # gzip's own default: the usual balance of size and speed
# A body the server already compressed (gzip, br, ...) does not shrink again: its record's gzip
# member is written "stored" (level 0), which costs a tenth of the CPU for ~2% more bytes (the WARC
# and HTTP headers stay uncompressed). Still one valid gzip member per record.
STORED_LEVEL = 0
_COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "compress"})


def payload_digest(body: bytes) -> str:
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def warc_date(moment: datetime) -> str:
    return datetime_to_iso_date(moment.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)


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
        self._writer: WARCWriter | None = None
        self._buffer: io.BytesIO | None = None
        self._broken = False

    # -- lifecycle ---------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        return self._final_name(self._open_path) if self._open_path else None

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
        # warcio serialises each record into a buffer; we gzip it as one member ourselves, at level 6:
        # warcio's own gzip runs at level 9, which costs the crawl time for nothing on bodies that
        # are mostly compressed already
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version=WARC_VERSION)
        info = {"software": f"Kronika/{__version__}", "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "hostname": socket.gethostname(), **self.warcinfo}
        record = self._writer.create_warcinfo_record(name, info)
        try:
            self._write(record)
        except OSError:
            self._cut_back_to(0)
            self.close()  # removes the empty file: the next exchange starts a new one, warcinfo first
            raise

    def _write(self, record, level: int = GZIP_LEVEL) -> None:
        """One record, one gzip member, appended to the file."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        member = memoryview(_gzip_member(self._buffer.getvalue(), level))
        while member:  # a raw write may take only part of it
            member = member[self._fh.write(member):]

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
            self._fh = self._writer = self._open_path = self._buffer = None
            self._broken = False
            return None
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self._final_name(self._open_path)
        os.replace(self._open_path, final)
        _fsync_dir(self.directory)
        self.closed_files.append(final)
        self._fh = self._writer = self._open_path = self._buffer = None
        return final

    @staticmethod
    def _final_name(open_path: Path) -> Path:
        return open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])

    def __enter__(self) -> "RollingWarcWriter":
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
        writer = self._writer
        date = warc_date(exchange.captured_at)
        digest = digest or payload_digest(exchange.response_body)

        http_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(),
                                        exchange.response_headers, protocol=exchange.protocol)
        warc_headers = {"WARC-Date": date}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        if revisit is None:
            warc_headers["WARC-Payload-Digest"] = digest
            response = writer.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.response_body),
                length=len(exchange.response_body), http_headers=http_headers,
                warc_headers_dict=warc_headers)
        else:
            response = writer.create_revisit_record(
                exchange.url, digest, revisit.refers_to_url, warc_date(revisit.refers_to_date),
                http_headers=http_headers, warc_headers_dict=warc_headers)
        response_id = response.rec_headers.get_header("WARC-Record-ID")

        request_line = f"{exchange.method} {exchange.request_target}"
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=StatusAndHeaders(request_line, exchange.request_headers,
                                          protocol=exchange.protocol, is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})

        offset = self._fh.tell()
        try:
            self._write(response, STORED_LEVEL if revisit is None and _already_compressed(exchange) else GZIP_LEVEL)
            length = self._fh.tell() - offset
            self._write(request)
            if metadata:
                body = _warc_fields(metadata)
                meta = writer.create_warc_record(
                    exchange.url, "metadata", payload=io.BytesIO(body), length=len(body),
                    warc_content_type="application/warc-fields",
                    warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
                self._write(meta)
        except OSError:
            # all of the exchange or none of it: a later close() leaves no partial record behind
            self._cut_back_to(offset)
            raise
        # unbuffered writes: what a crash can lose is bounded by one exchange
        return WrittenRecord(path=self._final_name(self._open_path), offset=offset, length=length,
                             record_id=response_id, record_type=response.rec_type,
                             payload_digest=digest)


def _already_compressed(exchange: HttpExchange) -> bool:
    for name, value in exchange.response_headers:
        if name.lower() == "content-encoding":
            return any(part.strip().lower() in _COMPRESSED_ENCODINGS for part in value.split(","))
    return False


def _gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
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
