"""The custody log: who did what to which file, when; append-only and hash-chained.

Every entry carries the SHA-256 of the entry before it (`prev_sha256`) and its own
(`entry_sha256`, over its canonical JSON form), so an entry changed, inserted or removed anywhere
breaks every hash after it. The log lives in the database (`custody_log`), which every worker
shares, also when the archive is an object store where files cannot be appended to: the
primary key `seq` lets exactly one of two writers that read the same head add the next entry,
and the other retries on the new head. On one machine a lock file also queues the writers
(`kronika.locks.file_lock`), so SQLite's writers rarely collide at all.

An entry's exported form (one JSON line, `export_lines`) is what evidence packages carry and
what `verify_lines` checks without a database.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from kronika import __version__
from kronika.storage.db.engine import unit_of_work
from kronika.storage.db.models import CustodyEntry

logger = logging.getLogger(__name__)

GENESIS = "0" * 64  # the `prev_sha256` of the first entry
ACTIONS = ("closed", "stamped", "indexed", "verified", "exported", "packaged", "head-stamped")
FIELDS = ("seq", "at", "action", "file", "sha256", "host", "user", "version", "detail", "prev_sha256")
APPEND_ATTEMPTS = 50


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: its fields as sorted, compact JSON."""
    return json.dumps({k: body[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def entry_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def as_dict(entry: CustodyEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "at": _iso(entry.at), "action": entry.action, "file": entry.file,
            "sha256": entry.sha256, "host": entry.host, "user": entry.user, "version": entry.version,
            "detail": entry.detail or {}, "prev_sha256": entry.prev_sha256, "entry_sha256": entry.entry_sha256}


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no passwd entry
        user = str(os.getuid())
    return socket.gethostname(), user


def append(engine, action: str, file: str | None = None, sha256: str | None = None,
           detail: dict[str, Any] | None = None, lock_dir: Path | None = None) -> dict[str, Any]:
    """Add one entry at the head of the chain; returns it as exported."""
    return append_many(engine, [(action, file, sha256, detail)], lock_dir)[0]


def append_many(engine, items: Iterable[tuple[str, str | None, str | None, dict | None]],
                lock_dir: Path | None = None) -> list[dict[str, Any]]:
    """Add entries in order, in one transaction (one head read for many files)."""
    items = list(items)
    if not items:
        return []
    for action, *_ in items:
        if action not in ACTIONS:
            raise ValueError(f"not a custody action: {action!r}")
    if lock_dir is None:
        return _append_retrying(engine, items)
    from kronika.locks import file_lock

    with file_lock(Path(lock_dir) / "custody.lock"):
        return _append_retrying(engine, items)


def _append_retrying(engine, items: list) -> list[dict[str, Any]]:
    host, user = _who()
    for attempt in range(APPEND_ATTEMPTS):
        try:
            with unit_of_work(engine) as session:
                head = session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1)).first()
                seq, prev = (head.seq, head.entry_sha256) if head else (0, GENESIS)
                written = []
                for action, file, sha256, detail in items:
                    seq += 1
                    body = {"seq": seq, "at": _iso(datetime.now(timezone.utc)), "action": action, "file": file,
                            "sha256": sha256, "host": host, "user": user, "version": __version__,
                            "detail": detail or {}, "prev_sha256": prev}
                    body["entry_sha256"] = entry_hash(body)
                    session.add(CustodyEntry(seq=seq, at=datetime.fromisoformat(body["at"]), action=action,
                                             file=file, sha256=sha256, host=host, user=user,
                                             version=__version__, detail=body["detail"], prev_sha256=prev,
                                             entry_sha256=body["entry_sha256"]))
                    prev = body["entry_sha256"]
                    written.append(body)
            return written
        except (IntegrityError, OperationalError) as exc:
            # another writer took this seq (or holds SQLite's write lock): read the new head again
            if attempt == APPEND_ATTEMPTS - 1:
                raise
            logger.debug("custody append retried: %s", type(exc).__name__)
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def entries(engine, files: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The log (or the entries of some files), in chain order."""
    with unit_of_work(engine) as session:
        query = select(CustodyEntry).order_by(CustodyEntry.seq)
        if files is not None:
            query = query.where(CustodyEntry.file.in_(list(files)))
        return [as_dict(e) for e in session.scalars(query)]


def head(engine) -> dict[str, Any] | None:
    with unit_of_work(engine) as session:
        entry = session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1)).first()
        return as_dict(entry) if entry else None


def export_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass
class ChainCheck:
    entries: int = 0
    head: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(rows: Iterable[dict[str, Any]], whole: bool = True) -> ChainCheck:
    """Each entry's own hash, and (for the whole log, `whole`) each link to the entry before it.

    For a part of the log (the entries of some files, as a package carries them) the links
    between consecutive entries cannot be checked, but each entry's hash still can."""
    result = ChainCheck()
    previous: dict[str, Any] | None = None
    for row in rows:
        result.entries += 1
        seq = row.get("seq")
        try:
            computed = entry_hash(row)
        except (KeyError, TypeError) as exc:
            result.problems.append(f"entry {seq}: malformed ({exc})")
            previous = row
            continue
        if computed != row.get("entry_sha256"):
            result.problems.append(f"entry {seq}: its content does not match its hash (changed after it was written)")
        expected_seq = previous["seq"] + 1 if previous else 1
        if whole and seq != expected_seq:
            result.problems.append(f"entry {seq}: expected entry {expected_seq} here (entries missing or out of order)")
        elif not whole and previous and not (isinstance(seq, int) and seq > previous["seq"]):
            result.problems.append(f"entry {seq}: out of order after entry {previous['seq']}")
        if seq == expected_seq:  # a neighbour (or the first entry): the link itself is checkable
            expected_prev = previous.get("entry_sha256") if previous else GENESIS
            if row.get("prev_sha256") != expected_prev:
                result.problems.append(f"entry {seq}: prev_sha256 does not match the entry before it (chain broken)")
        previous = row
        result.head = row.get("entry_sha256")
    return result


def read_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def restore(engine, rows: list[dict[str, Any]]) -> int:
    """Put entries from an exported copy (custody/log.jsonl) back into an empty or shorter log.

    The copy must be a whole, unbroken chain, and every entry the database already has must be
    the copy's own; returns how many entries were added."""
    chain = check_chain(rows, whole=True)
    if not chain.ok:
        raise ValueError(f"the copy is not an unbroken chain: {chain.problems[0]}")
    with unit_of_work(engine) as session:
        have = dict(session.execute(select(CustodyEntry.seq, CustodyEntry.entry_sha256)).all())
        for seq, digest in have.items():
            if seq <= len(rows) and rows[seq - 1]["entry_sha256"] != digest:
                raise ValueError(f"entry {seq} in the database differs from the copy's: restore into a log "
                                 "that the copy extends (before new entries are written)")
        added = 0
        for row in rows:
            if row["seq"] in have:
                continue
            session.add(CustodyEntry(seq=row["seq"], at=datetime.fromisoformat(row["at"]), action=row["action"],
                                     file=row["file"], sha256=row["sha256"], host=row["host"], user=row["user"],
                                     version=row["version"], detail=row["detail"], prev_sha256=row["prev_sha256"],
                                     entry_sha256=row["entry_sha256"]))
            added += 1
    return added
