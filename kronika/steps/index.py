"""Index closed WARC files into `warc_files` and `captures`: incremental, one transaction per file.

Only closed files (`*.warc.gz`) are read; an `.open` file belongs to a running crawl, or to a
killed one that the next crawl of its source repairs first. Re-running adds nothing.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import surt
from sqlalchemy import select

from kronika.settings import Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, CrawlRun, Source, WarcFile
from kronika.storage.warc.reader import scan


@dataclass
class IndexResult:
    files: list[str] = field(default_factory=list)
    captures: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def closed_warc_files(archive_dir: Path, source: str | None = None) -> list[Path]:
    pattern = f"{source}/*.warc.gz" if source else "*/*.warc.gz"
    return sorted(Path(archive_dir).glob(pattern), key=_chronological)


_STAMP = re.compile(r"-(\d{17})-(\d{5})-")


def _chronological(path: Path) -> tuple:
    """Order files by the timestamp and serial in their names (Heritrix/IIPC naming)."""
    match = _STAMP.search(path.name)
    return (match.groups() if match else ("", ""), path.name)


def surt_of(url: str) -> str:
    try:
        return surt.surt(url)
    except Exception:  # a URL too odd to canonicalise still gets indexed, under its own text
        return url


def _captures_of(path: Path) -> tuple[dict, list[dict], int]:
    """warcinfo fields, capture rows (response/revisit, with role from metadata), record count."""
    warcinfo: dict = {}
    captures: dict[str, dict] = {}
    records = 0
    for info in scan(path):
        records += 1
        if info.rec_type == "warcinfo" and not warcinfo:
            warcinfo = {k: v[0] for k, v in info.fields.items()}
            warcinfo["_date"] = info.date
        elif info.rec_type in ("response", "revisit"):
            captures[info.record_id] = {
                "url": info.url, "surt": surt_of(info.url), "captured_at": info.date,
                "status": info.status, "mime": info.mime, "payload_digest": info.payload_digest,
                "record_type": info.rec_type, "offset": info.offset, "length": info.length,
                "record_id": info.record_id, "role": None,
                "refers_to_url": info.refers_to_url, "refers_to_date": info.refers_to_date,
            }
        elif info.rec_type == "metadata" and info.concurrent_to in captures:
            role = info.fields.get("kronikaRole")
            captures[info.concurrent_to]["role"] = role[0] if role else None
    return warcinfo, list(captures.values()), records


def index(env: Environment | None = None, source: str | None = None,
          progress: Callable[[Path], None] | None = None) -> IndexResult:
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    result = IndexResult()
    with unit_of_work(engine) as session:
        known = set(session.scalars(select(WarcFile.path)))
    for path in closed_warc_files(env.archive_dir, source):
        relative = path.relative_to(env.archive_dir).as_posix()
        if relative in known:
            continue
        warcinfo, rows, records = _captures_of(path)
        source_name = warcinfo.get("kronika-source") or path.parent.name
        run_id = warcinfo.get("kronika-crawl-run")
        with unit_of_work(engine) as session:
            if session.get(Source, source_name) is None:
                # rebuilding from WARC alone: the archive says which source wrote it
                session.add(Source(name=source_name, kind="unknown", config={},
                                   created_at=datetime.now(timezone.utc)))
                session.flush()
            if run_id and session.get(CrawlRun, run_id) is None:
                session.add(CrawlRun(id=run_id, source=source_name, status="recovered",
                                     started_at=warcinfo.get("_date") or datetime.now(timezone.utc),
                                     finished_at=None, stats={}))
                session.flush()
            warc_file = WarcFile(path=relative, source=source_name, sha256=sha256_of(path),
                                 size=path.stat().st_size, records=records,
                                 created_at=warcinfo.get("_date") or datetime.now(timezone.utc),
                                 indexed_at=datetime.now(timezone.utc), extracted_at=None)
            session.add(warc_file)
            session.flush()
            session.add_all(Capture(warc_file_id=warc_file.id, crawl_run_id=run_id, **row) for row in rows)
        result.files.append(relative)
        result.captures += len(rows)
        if progress:
            progress(path)
    return result
