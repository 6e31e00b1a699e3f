"""Index records of a WARC file fast, and keep a pywb-compatible CDXJ index per collection.

`index_records` walks a file with FastWARC (headers parsed, bodies skipped: only warcinfo and
metadata bodies, which are small, are read), giving each record its compressed offset and length.
`cdxj_line` turns a capture into the line `cdxj-indexer` would write for it, field for field, so
pywb and WACZ tooling read our index as their own. `merge_into` folds new lines into a sorted
`index.cdxj` and is safe to repeat: identical lines are kept once. `LineSorter` sorts the new
lines of any number of files in bounded memory (sorted runs spilled to temporary files), so
indexing a large backlog does not hold every line at once.
"""
from __future__ import annotations

import heapq
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, TextIO

import surt
from fastwarc.warc import ArchiveIterator, WarcRecordType

from kronika.storage.warc.paths import file_size, open_binary, write_atomically
from kronika.storage.warc.reader import parse_fields

INDEX_DIR = "indexes"
INDEX_NAME = "index.cdxj"
COVERED_SUFFIX = ".files"  # beside the index: the WARC files whose lines it holds
CDXJ_RECORD_TYPES = ("response", "revisit", "resource", "metadata")
# Lines sorted in memory at a time (~2 MB); beyond, each sorted run goes to a temporary file, and
# at most MAX_RUNS are kept before they are merged into one (open files stay few).
RUN_LINES = 5_000
MAX_RUNS = 64
_MIME_END = re.compile(r"[;\s]")
_json_string = json.encoder.encode_basestring_ascii  # what json.dumps uses for str (ensure_ascii)


@dataclass
class IndexRecord:
    offset: int
    length: int
    rec_type: str
    record_id: str
    url: str | None
    warc_date: str | None  # as written, e.g. 2026-01-02T13:05:00.123456Z
    status: str | None = None  # the HTTP status code as text, as in the status line
    content_type: str | None = None  # HTTP Content-Type (response, revisit) or the record's own
    payload_digest: str | None = None
    concurrent_to: str | None = None
    refers_to_url: str | None = None
    refers_to_date: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)  # warcinfo / metadata bodies


def index_records(path: Path, fh: BinaryIO | None = None) -> Iterator[IndexRecord]:
    """Every record of a (record-per-gzip-member) WARC file with its offset and compressed length.

    `fh`: the file already open (read from its start), for a caller that reads it through a
    wrapper of its own; it is left open, read to its end (the end is where the last record stops:
    no second look at the file, which on an object store is a request)."""
    previous: IndexRecord | None = None
    with nullcontext(fh) if fh is not None else open_binary(path) as stream:
        # HTTP headers are parsed only where an index needs them (responses and revisits)
        for record in ArchiveIterator(stream, parse_http=False):
            if record.record_type == WarcRecordType.request:
                # a request is counted and measured, nothing more: no index needs its headers
                info = IndexRecord(offset=record.stream_pos, length=0, rec_type="request",
                                   record_id=record.record_id, url=None, warc_date=None)
            else:
                info = _describe(record)
            # each record is one gzip member: it ends where the next one starts
            if previous is not None:
                previous.length = info.offset - previous.offset
                yield previous
            previous = info
    if previous is not None:
        if fh is None:
            size = file_size(path)
        else:
            while fh.read(1 << 20):  # whatever the iterator left unread (nothing, usually)
                pass
            size = fh.tell()
        previous.length = size - previous.offset
        yield previous


_CANONICAL = {name.lower(): name for name in (
    "WARC-Type", "WARC-Record-ID", "WARC-Target-URI", "WARC-Date", "WARC-Payload-Digest", "WARC-Concurrent-To",
    "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "Content-Type")}


def _describe(record) -> IndexRecord:
    # one conversion of the header map, then plain dict look-ups (HeaderMap.get costs more);
    # names as the WARC spec spells them, or any other case as a fallback
    headers = record.headers.asdict()
    if "WARC-Type" not in headers:
        headers = {_CANONICAL.get(name.lower(), name): value for name, value in headers.items()}
    rec_type = headers.get("WARC-Type") or str(record.record_type)
    info = IndexRecord(
        offset=record.stream_pos, length=0, rec_type=rec_type,
        record_id=headers.get("WARC-Record-ID"), url=headers.get("WARC-Target-URI"),
        warc_date=headers.get("WARC-Date"),
        payload_digest=headers.get("WARC-Payload-Digest"),
        concurrent_to=headers.get("WARC-Concurrent-To"),
        refers_to_url=headers.get("WARC-Refers-To-Target-URI"),
        refers_to_date=headers.get("WARC-Refers-To-Date"),
    )
    http = None
    if rec_type in ("response", "revisit") and record.is_http:
        record.parse_http()
        http = record.http_headers
    if http is not None:
        first = (http.status_line or "").split(" ", 2)
        info.status = first[1] if len(first) > 1 else None
        info.content_type = http.get("Content-Type")
    else:
        info.content_type = headers.get("Content-Type")
    if rec_type in ("warcinfo", "metadata"):
        info.fields = parse_fields(record.reader.read(1_000_000))
    return info


@lru_cache(maxsize=4096)  # a page's records (response, request, its capture row) follow one another
def urlkey(url: str) -> str:
    """The SURT key pywb sorts and looks captures up by (a URL too odd for SURT keys itself)."""
    try:
        return surt.surt(url)
    except Exception:
        return url


def warc_timestamp(warc_date: str) -> str:
    """2026-01-02T13:05:00.123Z -> 20260102130500 (what CDX lines and replay URLs use)."""
    if len(warc_date) >= 19 and warc_date[4] == "-" and warc_date[10] == "T":  # the usual full form, fast
        return (warc_date[0:4] + warc_date[5:7] + warc_date[8:10] + warc_date[11:13] + warc_date[14:16]
                + warc_date[17:19])
    digits = "".join(ch for ch in warc_date.split(".")[0] if ch.isdigit())
    return (digits + "0" * 14)[:14]


def _mime(record: IndexRecord) -> str | None:
    if record.rec_type == "revisit":
        return "warc/revisit"
    if not record.content_type:
        return None
    return _MIME_END.split(record.content_type, maxsplit=1)[0].strip() or None


def is_indexed_by_cdxj(record: IndexRecord) -> bool:
    """cdxj-indexer's default choice: captures, plus resource/metadata records that are not warc-fields."""
    if record.rec_type not in CDXJ_RECORD_TYPES:
        return False
    if record.rec_type in ("resource", "metadata") and record.content_type == "application/warc-fields":
        return False
    return bool(record.url)


def cdxj_line(record: IndexRecord, filename: str) -> str:
    """`urlkey timestamp {json}`: the same keys, order and string values as cdxj-indexer."""
    # json.dumps of the dict, written out by hand with json's own string encoder (a hot loop)
    values = (("url", record.url), ("mime", _mime(record)), ("status", record.status),
              ("digest", record.payload_digest), ("length", str(record.length)),
              ("offset", str(record.offset)), ("filename", filename))
    body = ", ".join(f'"{key}": {_json_string(value)}' for key, value in values if value)
    return f"{urlkey(record.url)} {warc_timestamp(record.warc_date or '')} {{{body}}}\n"


def cdxj_lines(records: Iterable[IndexRecord], filename: str) -> list[str]:
    return [cdxj_line(r, filename) for r in records if is_indexed_by_cdxj(r)]


# -- the collection index -------------------------------------------------------------
def collection_index(collection_dir: Path) -> Path:
    """`<collection>/indexes/index.cdxj` (a `Path`, or a `UPath` on an object store)."""
    return collection_dir / INDEX_DIR / INDEX_NAME


def covered_files(index_path: Path) -> set[str]:
    listing = index_path.with_name(index_path.name + COVERED_SUFFIX)
    if not listing.exists():
        return set()
    return {line for line in listing.read_text(encoding="utf-8").splitlines() if line}


class LineSorter:
    """An external merge sort of text lines: memory holds RUN_LINES of them, whatever the total.

    `extend` as often as needed, then `merged()` streams every line in order (duplicates kept:
    `merge_into` drops them). Temporary files vanish on `close` or when the process dies.
    """

    def __init__(self, run_lines: int | None = None, max_runs: int | None = None):
        self.count = 0
        self._lines: list[str] = []
        self._runs: list[TextIO] = []
        self._run_lines, self._max_runs = run_lines or RUN_LINES, max_runs or MAX_RUNS

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self._lines.append(line)
            self.count += 1
            if len(self._lines) >= self._run_lines:
                self._lines.sort()
                self._spill(self._lines)
                self._lines = []

    def _spill(self, ordered_lines: Iterable[str]) -> None:
        if len(self._runs) >= self._max_runs:  # fold the runs so far into one
            runs, self._runs = self._runs, []
            self._spill(heapq.merge(*runs))
            for run in runs:
                run.close()
        run = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        run.writelines(ordered_lines)
        run.seek(0)
        self._runs.append(run)

    @property
    def runs(self) -> int:
        """Sorted runs on disk (for tests: 0 while everything fits in memory)."""
        return len(self._runs)

    def merged(self) -> Iterator[str]:
        self._lines.sort()
        return heapq.merge(*self._runs, self._lines)

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._lines = [], []

    def __enter__(self) -> LineSorter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def merge_into(index_path: Path, sorted_lines: Iterable[str], new_files: Iterable[str]) -> int:
    """Fold `sorted_lines` (in order: `LineSorter.merged()` or `sorted(...)`) into the sorted index
    (streamed, replaced whole); record `new_files` as covered.

    Lines already present are not written twice, so a run interrupted between writing the index
    and the file list can simply be repeated. Returns the number of lines in the index.
    """
    count = 0

    def write_index(out) -> None:
        nonlocal count
        existing = index_path.open("r", encoding="utf-8") if index_path.exists() else None
        try:
            last = None
            for line in heapq.merge(existing or [], sorted_lines):
                if line != last:
                    out.write(line)
                    count += 1
                last = line
        finally:
            if existing:
                existing.close()

    write_atomically(index_path, write_index)
    listing = index_path.with_name(index_path.name + COVERED_SUFFIX)
    covered = covered_files(index_path) | set(new_files)
    write_atomically(listing, lambda out: out.write("".join(f"{name}\n" for name in sorted(covered))))
    return count
