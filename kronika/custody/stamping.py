"""Closing and stamping WARC files into the custody record.

After a crawl's spider process has ended, `record_closed` hashes each WARC file the crawl closed
(new `*.warc.gz` files in the source's folder), writes a `closed` custody entry for it and asks
every configured time-stamping authority for a token over its SHA-256. This runs in the crawl
step, not in the WARC writer: the writer process must keep pace with the crawl, and a TSA may
take seconds to answer or not answer at all. A token is checked on receipt (signature, TSA chain
at the token's time, digest), written next to the file as `<file>.<tsa>.tsr` (the form
`openssl ts -verify -in` reads) and stored in `timestamp_tokens`. A TSA that fails leaves a row
with its error and no token: the file is unstamped, and `kronika stamp` (`stamp_missing`) asks
again later.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from kronika.custody import log as custody_log
from kronika.custody.tsa import TimestampError, load_bundle, request_token, verify_token
from kronika.settings import Config, Environment, Timestamping
from kronika.storage.db.engine import unit_of_work
from kronika.storage.db.models import CustodyEntry, TimestampToken, WarcFile
from kronika.storage.warc.paths import archive_path, file_sha256, write_atomically

logger = logging.getLogger(__name__)

WARC_KIND = "warc-file"
HEAD_KIND = "custody-head"


def tsa_tag(url: str) -> str:
    """A short, stable name for a TSA in token file names (its URL may hold anything)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def token_path(relative: str, url: str) -> str:
    return f"{relative}.{tsa_tag(url)}.tsr"


@dataclass
class StampReport:
    closed: list[str] = field(default_factory=list)  # files given a `closed` entry
    stamped: list[str] = field(default_factory=list)  # (file, TSA) tokens obtained, as "file @ url"
    failed: list[str] = field(default_factory=list)  # "file @ url: reason"
    unstamped: int = 0  # files left without any token (no TSA configured, or none answered)
    problems: list[str] = field(default_factory=list)  # files whose bytes no longer match their digest

    def as_dict(self) -> dict:
        return {"closed": self.closed, "stamped": self.stamped, "failed": self.failed,
                "unstamped": self.unstamped, "problems": self.problems}


def _roots(timestamping: Timestamping) -> list:
    return load_bundle(timestamping.ca_bundle)


def stamp_digest(engine, env: Environment, kind: str, subject: str, sha256_hex: str,
                 timestamping: Timestamping, token_file: Callable[[str], str] | None,
                 report: StampReport, lock_dir: Path | None = None) -> int:
    """A token from every configured TSA that has not given one yet; returns how many the subject has."""
    with unit_of_work(engine) as session:
        rows = {r.tsa_url: r for r in session.scalars(select(TimestampToken).where(
            TimestampToken.kind == kind, TimestampToken.subject == subject))}
        have = {url for url, r in rows.items() if r.token is not None and r.sha256 == sha256_hex}
    try:
        roots = _roots(timestamping)
    except TimestampError as exc:
        report.failed.extend(f"{subject} @ {url}: {exc}" for url in timestamping.urls if url not in have)
        return len(have)
    digest = bytes.fromhex(sha256_hex)
    for url in timestamping.urls:
        if url in have:
            continue
        now = datetime.now(timezone.utc)
        try:
            token = request_token(url, digest, timestamping.timeout)
            verify_token(token.reply, digest, roots)
        except TimestampError as exc:
            _save(engine, kind, subject, sha256_hex, url, None, None, str(exc), now)
            report.failed.append(f"{subject}: {exc}")
            continue
        stored = None
        if token_file:
            stored = token_file(url)
            write_atomically(archive_path(env.archive_dir, stored), lambda fh, data=token.reply: fh.write(data), "wb")
        _save(engine, kind, subject, sha256_hex, url, token.reply, token.gen_time, None, now)
        custody_log.append(engine, "stamped" if kind == WARC_KIND else "head-stamped", subject, sha256_hex,
                           {"tsa_url": url, "gen_time": token.gen_time.isoformat(), "token_file": stored,
                            "token_sha256": hashlib.sha256(token.reply).hexdigest(), "serial": token.serial},
                           lock_dir=lock_dir)
        report.stamped.append(f"{subject} @ {url}")
        have.add(url)
    return len(have)


def _save(engine, kind: str, subject: str, sha256_hex: str, url: str, token: bytes | None,
          gen_time: datetime | None, error: str | None, now: datetime) -> None:
    with unit_of_work(engine) as session:
        row = session.scalars(select(TimestampToken).where(TimestampToken.kind == kind, TimestampToken.subject == subject,
                                                           TimestampToken.tsa_url == url)).first()
        if row is None:
            row = TimestampToken(kind=kind, subject=subject, tsa_url=url)
            session.add(row)
        row.sha256, row.token, row.gen_time, row.error, row.requested_at = sha256_hex, token, gen_time, error, now


def _closed_files(engine, prefix: str | None = None) -> dict[str, str]:
    with unit_of_work(engine) as session:
        query = select(CustodyEntry.file, CustodyEntry.sha256).where(CustodyEntry.action == "closed")
        if prefix:
            query = query.where(CustodyEntry.file.like(f"{prefix}%"))
        return dict(session.execute(query).all())


def record_closed(engine, env: Environment, source_name: str, directory: Path,
                  timestamping: Timestamping | None) -> StampReport:
    """A `closed` entry (and tokens, when configured) for each closed file of the source not yet in the log.

    `directory` is where the crawl wrote: the archive's source folder, or the spool's for an
    object-store archive (the files are hashed there, before they are uploaded)."""
    report = StampReport()
    known = set(_closed_files(engine, f"{source_name}/"))
    with unit_of_work(engine) as session:
        # files indexed before the custody log existed are `kronika stamp`'s (from their indexed
        # digest): hashing a whole old archive here would hold up the first crawl after an upgrade
        known |= set(session.scalars(select(WarcFile.path).where(WarcFile.source == source_name)))
    new = [(f"{source_name}/{p.name}", p) for p in sorted(Path(directory).glob("*.warc.gz"))
           if f"{source_name}/{p.name}" not in known]
    if not new:
        return report
    digests = {relative: file_sha256(path) for relative, path in new}
    lock_dir = env.local_archive_dir / "custody"
    custody_log.append_many(engine, [("closed", relative, digests[relative],
                                      {"size": path.stat().st_size, "source": source_name})
                                     for relative, path in new], lock_dir=lock_dir)
    report.closed = [relative for relative, _ in new]
    for relative, _ in new:
        tokens = 0
        if timestamping:
            tokens = stamp_digest(engine, env, WARC_KIND, relative, digests[relative], timestamping,
                                  lambda url, relative=relative: token_path(relative, url), report, lock_dir)
        report.unstamped += tokens == 0
    return report


def stamp_missing(engine, env: Environment, config: Config, source: str | None = None,
                  progress: Callable[[str], None] | None = None) -> StampReport:
    """Tokens for every closed file that lacks one from a TSA its source is configured with.

    Files indexed before the custody log existed get their `closed` entry here (detail
    `recorded_late`). Each file is hashed again first: a token is only ever asked for the
    digest the file has now, and a file that no longer matches its logged digest is reported,
    not stamped."""
    report = StampReport()
    closed = _closed_files(engine, f"{source}/" if source else None)
    with unit_of_work(engine) as session:
        query = select(WarcFile.path, WarcFile.sha256)
        if source:
            query = query.where(WarcFile.source == source)
        indexed = dict(session.execute(query).all())
    late = {path: digest for path, digest in indexed.items() if path not in closed}
    if late:
        custody_log.append_many(engine, [("closed", path, digest, {"recorded_late": True})
                                         for path, digest in sorted(late.items())],
                                lock_dir=env.local_archive_dir / "custody")
        report.closed = sorted(late)
        closed.update(late)
    by_name = {s.name: s for s in config.sources}
    for relative, logged in sorted(closed.items()):
        owner = by_name.get(relative.split("/", 1)[0])
        timestamping = owner.timestamping if owner else config.timestamping
        if not timestamping:
            report.unstamped += 1
            continue
        with unit_of_work(engine) as session:
            have = set(session.scalars(select(TimestampToken.tsa_url).where(
                TimestampToken.kind == WARC_KIND, TimestampToken.subject == relative,
                TimestampToken.token.is_not(None))))
        if set(timestamping.urls) <= have:
            continue
        if progress:
            progress(relative)
        try:
            current = file_sha256(archive_path(env.archive_dir, relative))
        except FileNotFoundError:
            report.problems.append(f"{relative}: missing from the archive")
            continue
        except ValueError as exc:  # a path outside the archive (a tampered entry): never read
            report.problems.append(str(exc))
            continue
        if current != logged:
            report.problems.append(f"{relative}: sha256 is {current}, the custody log says {logged}: not stamped")
            continue
        tokens = stamp_digest(engine, env, WARC_KIND, relative, current, timestamping,
                              lambda url, relative=relative: token_path(relative, url), report,
                              env.local_archive_dir / "custody")
        report.unstamped += tokens == 0
    return report


def tokens_for(engine, subjects: list[str], kind: str = WARC_KIND) -> list[TimestampToken]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(TimestampToken).where(
            TimestampToken.kind == kind, TimestampToken.subject.in_(subjects), TimestampToken.token.is_not(None))
            .order_by(TimestampToken.subject, TimestampToken.id)))
        session.expunge_all()
        return rows
