"""Index closed WARC files into `warc_files` and `captures`, and into each collection's CDXJ index.

Incremental, one transaction per file; a collection is a source (its folder in the archive), and
its pywb-compatible index is `<source>/indexes/index.cdxj`, kept sorted. Only closed files
(`*.warc.gz`) are read; an `.open` file belongs to a running crawl, or to a killed one that the
next crawl of its source repairs first. Re-running adds nothing.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from kronika.locks import file_lock
from kronika.settings import Environment
from kronika.storage.db.bulk import insert_rows
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, CrawlRun, Source, WarcFile
from kronika.storage.db.upserts import insert_ignore
from kronika.storage.warc.cdxj import (
    INDEX_DIR,
    INDEX_NAME,
    LineSorter,
    cdxj_lines,
    collection_index,
    covered_files,
    index_records,
    merge_into,
    urlkey,
)
from kronika.storage.warc.paths import archive_root, file_sha256, is_remote, list_files, open_binary, relative_name
from kronika.storage.warc.reader import parse_warc_date

logger = logging.getLogger(__name__)


@dataclass
class IndexResult:
    files: list[str] = field(default_factory=list)
    captures: int = 0
    cdxj_lines: int = 0  # lines added to the collections' CDXJ indexes
    cdxj_indexes: list[str] = field(default_factory=list)  # the indexes that changed
    errors: list[str] = field(default_factory=list)  # files that could not be read
    indexed: list[tuple[str, str]] = field(default_factory=list)  # (path, sha256) of the files added


class _Fingerprinting:
    """A file read through this is SHA-256'd on the way, so indexing reads each new file once
    (once downloaded, on an object store). Should the reader ever seek, the hash is given up:
    `sha256()` then returns None and the caller hashes the file apart."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._digest = hashlib.sha256()
        self._position = 0
        self._sequential = True

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        if self._sequential:
            self._digest.update(data)
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._fh.seek(offset, whence)
        self._sequential = self._sequential and position == self._position
        self._position = position
        return position

    def close(self) -> None:  # the caller's `with` closes the file
        pass

    def sha256(self) -> str | None:
        """The file's SHA-256, reading whatever the indexer left unread (nothing, usually)."""
        while self.read(1 << 20):
            pass
        return self._digest.hexdigest() if self._sequential else None


def closed_warc_files(archive_dir: Path, source: str | None = None) -> list[Path]:
    pattern = f"{source}/*.warc.gz" if source else "*/*.warc.gz"
    return sorted(list_files(archive_root(archive_dir), pattern), key=_chronological)


_STAMP = re.compile(r"-(\d{17})-(\d{5})-")


def _chronological(path: Path) -> tuple:
    """Order files by the timestamp and serial in their names (Heritrix/IIPC naming)."""
    match = _STAMP.search(path.name)
    return (match.groups() if match else ("", ""), path.name)


def surt_of(url: str) -> str:
    return urlkey(url)


def _status(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _mime(content_type: str | None) -> str | None:
    return content_type.split(";")[0].strip().lower() or None if content_type else None


def _read_file(path: Path) -> tuple[dict, list[dict], int, list[str], str, int]:
    """warcinfo fields, capture rows (role from metadata), record count, CDXJ lines, the file's
    SHA-256 and size, in one pass over the file."""
    warcinfo: dict = {}
    captures: dict[str, dict] = {}
    records = []
    with open_binary(path) as raw:
        reader = _Fingerprinting(raw)
        for info in index_records(path, reader):
            records.append(info)
            if info.rec_type == "warcinfo" and not warcinfo:
                warcinfo = {k: v[0] for k, v in info.fields.items()}
                warcinfo["_date"] = parse_warc_date(info.warc_date)
            elif info.rec_type in ("response", "revisit") and info.url:
                captures[info.record_id] = {
                    "url": info.url, "surt": surt_of(info.url), "captured_at": parse_warc_date(info.warc_date),
                    "status": _status(info.status), "mime": _mime(info.content_type),
                    "payload_digest": info.payload_digest,
                    "record_type": info.rec_type, "offset": info.offset, "length": info.length,
                    "record_id": info.record_id, "role": None, "original_url": None,
                    "refers_to_url": info.refers_to_url, "refers_to_date": parse_warc_date(info.refers_to_date),
                }
            elif info.rec_type == "metadata" and info.concurrent_to in captures:
                role = info.fields.get("kronikaRole")
                captures[info.concurrent_to]["role"] = role[0] if role else None
                original = info.fields.get("kronikaOriginalUrl")
                captures[info.concurrent_to]["original_url"] = original[0] if original else None
        sha256 = reader.sha256() or file_sha256(path)  # None: the reader seeked, hash the file apart
        size = reader.tell()  # read to its end, seeks or not: its position is the size, no asking the store
    return warcinfo, list(captures.values()), len(records), cdxj_lines(records, path.name), sha256, size


def index(env: Environment | None = None, source: str | None = None,
          progress: Callable[[Path], None] | None = None, paths: list[Path] | None = None) -> IndexResult:
    """Index every closed WARC file of the archive (of one source), or only `paths`."""
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    result = IndexResult()
    with unit_of_work(engine) as session:
        known = set(session.scalars(select(WarcFile.path)))
    by_collection: dict[str, list[Path]] = {}
    for path in closed_warc_files(env.archive_dir, source) if paths is None else paths:
        by_collection.setdefault(path.parent.name, []).append(path)
    for name, paths in by_collection.items():
        with LineSorter() as new_lines:  # a backlog's lines are sorted on disk, not held in memory
            _index_collection(engine, env, name, paths, known, new_lines, result, progress)
    from kronika.custody.record import files_indexed

    files_indexed(env, result.indexed)
    return result


def _index_collection(engine, env: Environment, name: str, paths: list[Path], known: set[str],
                      new_lines: LineSorter, result: IndexResult, progress: Callable[[Path], None] | None) -> None:
    collection = env.archive_dir / name
    index_path = collection_index(collection)
    covered = covered_files(index_path)
    newly_covered: list[str] = []
    for path in paths:
        relative = relative_name(env.archive_dir, path)
        in_db, in_cdxj = relative in known, path.name in covered
        if in_db and in_cdxj:
            continue
        try:
            warcinfo, rows, records, lines, sha256, size = _read_file(path)
        except Exception as exc:  # one unreadable file must not stop the others being indexed
            logger.error("cannot index %s: %s: %s (run `kronika verify`)", relative, type(exc).__name__, exc)
            result.errors.append(f"{relative}: {type(exc).__name__}: {exc}")
            continue
        if not in_db:
            _add_file(engine, env, path, relative, warcinfo, rows, records, sha256, size)
            result.files.append(relative)
            result.indexed.append((relative, sha256))
            result.captures += len(rows)
        if not in_cdxj:
            new_lines.extend(lines)
            newly_covered.append(path.name)
        if progress:
            progress(path)
    if newly_covered:
        # two extracts indexing files of one source at once (`extract --file`) take turns
        with file_lock(index_path.with_name(".index.lock")) if not is_remote(index_path) else nullcontext():
            merge_into(index_path, new_lines.merged(), newly_covered)
        result.cdxj_lines += new_lines.count
        result.cdxj_indexes.append(f"{name}/{INDEX_DIR}/{INDEX_NAME}")


def _add_file(engine, env: Environment, path: Path, relative: str, warcinfo: dict, rows: list[dict],
              records: int, sha256: str, size: int) -> None:
    source_name = warcinfo.get("kronika-source") or path.parent.name
    run_id = warcinfo.get("kronika-crawl-run")
    with unit_of_work(engine) as session:
        # rebuilding from WARC alone: the archive says which source and run wrote it (ON CONFLICT:
        # two extracts indexing two files of one run at once both get here)
        insert_ignore(session, Source, [{"name": source_name, "kind": "unknown", "config": {},
                                         "created_at": datetime.now(timezone.utc)}], conflict=["name"])
        if run_id:
            insert_ignore(session, CrawlRun, [{"id": run_id, "source": source_name, "status": "recovered",
                                               "started_at": warcinfo.get("_date") or datetime.now(timezone.utc),
                                               "finished_at": None, "stats": {}}], conflict=["id"])
        warc_file = WarcFile(path=relative, source=source_name, sha256=sha256,
                             size=size, records=records,
                             created_at=warcinfo.get("_date") or datetime.now(timezone.utc),
                             indexed_at=datetime.now(timezone.utc), extracted_at=None)
        session.add(warc_file)
        session.flush()
        # in one stream (COPY on PostgreSQL): a file holds hundreds of captures, one INSERT each was
        # the index load's cost there
        insert_rows(session, Capture, [{"warc_file_id": warc_file.id, "crawl_run_id": run_id, **row} for row in rows])
