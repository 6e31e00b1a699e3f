"""The custody steps: prove the custody log and the files in it intact, and time-stamp the log's head.

`verify_custody` is what `kronika custody verify` runs; `stamp_head` is what the maintenance DAG
runs once a day (and `kronika custody stamp-head` by hand): an RFC 3161 token over the newest
entry's hash fixes the whole chain up to it in time, and the log up to that entry is written to
the archive (`custody/log.jsonl`, the tokens beside it in `custody/heads/`), so a copy outside the
database survives with the WARC files.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from kronika.custody import log as custody_log
from kronika.custody.stamping import HEAD_KIND, WARC_KIND, StampReport, stamp_digest, tsa_tag
from kronika.custody.tsa import TimestampError, load_bundle, verify_token
from kronika.settings import Config, Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import TimestampToken
from kronika.storage.warc.paths import archive_path, file_sha256, write_atomically

LOG_COPY = "custody/log.jsonl"


@dataclass
class CustodyCheck:
    entries: int = 0
    files: int = 0
    tokens: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "files": self.files, "tokens": self.tokens,
                "problems": self.problems, "notes": self.notes}


def trusted_tsa_roots(config: Config) -> list:
    bundles = {s.timestamping.ca_bundle for s in config.sources if s.timestamping}
    if config.timestamping:
        bundles.add(config.timestamping.ca_bundle)
    roots = []
    for bundle in sorted(bundles):
        roots.extend(load_bundle(bundle))
    return roots


def verify_custody(env: Environment, config: Config, progress: Callable[[str], None] | None = None) -> CustodyCheck:
    """The chain unbroken; every logged file's bytes as closed; every stored token valid for its digest."""
    engine = open_database(env.database_url)
    result = CustodyCheck()
    rows = custody_log.entries(engine)
    chain = custody_log.check_chain(rows, whole=True)
    result.entries = chain.entries
    result.problems.extend(f"custody log: {p}" for p in chain.problems)
    by_seq = {r["seq"]: r for r in rows}
    closed: dict[str, str] = {}
    for row in rows:
        if row["action"] == "closed" and row["file"]:
            closed.setdefault(row["file"], row["sha256"])
    for relative, logged in sorted(closed.items()):
        if progress:
            progress(relative)
        result.files += 1
        try:
            current = file_sha256(archive_path(env.archive_dir, relative))
        except FileNotFoundError:
            result.problems.append(f"{relative}: missing from the archive")
            continue
        except ValueError as exc:  # a path that points outside the archive: a tampered entry
            result.problems.append(f"custody log names {exc}")
            continue
        if current != logged:
            result.problems.append(f"{relative}: sha256 is {current}, it was {logged} when closed")
    try:
        roots = trusted_tsa_roots(config)
    except TimestampError as exc:
        roots = []
        result.notes.append(f"tokens not checked: {exc}")
    with unit_of_work(engine) as session:
        tokens = list(session.scalars(select(TimestampToken).where(TimestampToken.token.is_not(None))))
    if tokens and not roots:
        result.notes.append("tokens not checked: no `timestamping.ca_bundle` in the config")
    for token in tokens if roots else []:
        result.tokens += 1
        try:
            verify_token(token.token, bytes.fromhex(token.sha256), roots)
        except TimestampError as exc:
            result.problems.append(f"token of {token.subject} from {token.tsa_url}: {exc}")
            continue
        if token.kind == WARC_KIND and token.subject in closed and closed[token.subject] != token.sha256:
            result.problems.append(f"token of {token.subject} covers {token.sha256}, not the closed digest")
        if token.kind == HEAD_KIND:
            seq = int(token.subject.rsplit(":", 1)[1])
            entry = by_seq.get(seq)
            if entry is None or entry["entry_sha256"] != token.sha256:
                result.problems.append(f"custody log entry {seq} is not the one time-stamped at "
                                       f"{token.gen_time.isoformat() if token.gen_time else '?'} (log rewritten)")
    return result


def stamp_head(env: Environment, config: Config) -> dict:
    """An RFC 3161 token over the log's newest entry (once per head), and the log copied to the archive."""
    engine = open_database(env.database_url)
    head = custody_log.head(engine)
    if head is None:
        return {"head": None, "note": "the custody log is empty"}
    lock_dir = env.local_archive_dir / "custody"
    rows = [r for r in custody_log.entries(engine) if r["seq"] <= head["seq"]]
    write_atomically(archive_path(env.archive_dir, LOG_COPY),
                     lambda fh: fh.writelines(custody_log.export_lines(rows)))
    if config.timestamping is None:
        return {"head": head["seq"], "log": LOG_COPY, "stamped": [],
                "note": "no `timestamping` in the config's defaults: the head is not time-stamped"}
    report = StampReport()
    subject = f"custody_log:{head['seq']}"
    stamp_digest(engine, env, HEAD_KIND, subject, head["entry_sha256"], config.timestamping,
                 lambda url: f"custody/heads/{head['seq']:012d}.{tsa_tag(url)}.tsr", report, lock_dir)
    if report.failed and not report.stamped:
        raise RuntimeError(f"the custody log's head was not time-stamped: {report.failed[0]}")
    return {"head": head["seq"], "entry_sha256": head["entry_sha256"], "log": LOG_COPY,
            "stamped": report.stamped, "failed": report.failed}
