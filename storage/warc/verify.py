"""Prove the archive is intact: every record's digests, and every file's sha256/size/record count.

`verify_file` reads a file once, gzip member by gzip member (one member = one record), hashing
the whole file with sha256 as it goes, and recomputes each record's `WARC-Block-Digest` and
`WARC-Payload-Digest` from the bytes. It does not trust any library's parse of the record: it
splits the WARC headers, the block (`Content-Length` bytes) and, for HTTP records, the HTTP
headers from the payload itself. A revisit's payload digest names the original's payload, which
the revisit does not hold, so only its block digest is checked.
"""
from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kronika.storage.warc.paths import archive_root, file_size, list_files, open_binary, relative_name

READ_CHUNK = 1 << 20


@dataclass
class Problem:
    file: str
    offset: int | None
    url: str | None
    problem: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class FileCheck:
    path: Path
    size: int = 0
    sha256: str = ""
    records: int = 0
    digests_checked: int = 0
    problems: list[Problem] = field(default_factory=list)


def _hash(algorithm: str, data: bytes):
    try:
        return hashlib.new(algorithm.replace("-", "").lower(), data).digest()
    except ValueError:
        return None


def digest_matches(declared: str, data: bytes) -> bool | None:
    """True/False for `sha1:BASE32` (or base16, sha256, md5) against data; None for an unknown algorithm."""
    algorithm, sep, value = declared.partition(":")
    if not sep:
        return None
    computed = _hash(algorithm, data)
    if computed is None:
        return None
    value = value.strip()
    if len(value) == 2 * len(computed):  # base16
        return value.lower() == computed.hex()
    return value.upper().rstrip("=") == base64.b32encode(computed).decode().rstrip("=")


def _headers(raw: bytes) -> tuple[str, dict[str, str]]:
    lines = raw.decode("utf-8", "replace").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def check_record(data: bytes, report: Callable[[str], None]) -> tuple[str | None, int]:
    """Check one decompressed record; report problems; return (its URL, digests checked)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        report("no end of WARC headers")
        return None, 0
    version, headers = _headers(data[:head_end])
    url = headers.get("warc-target-uri")
    if not version.startswith("WARC/"):
        report(f"not a WARC record (starts {version[:20]!r})")
        return url, 0
    try:
        length = int(headers.get("content-length", ""))
    except ValueError:
        report("no valid Content-Length")
        return url, 0
    block = data[head_end + 4: head_end + 4 + length]
    if len(block) != length:
        report(f"block is {len(block)} bytes, Content-Length says {length}")
        return url, 0
    if data[head_end + 4 + length:] != b"\r\n\r\n":
        report("record does not end with CRLF CRLF after its block")
    checked = 0
    declared = headers.get("warc-block-digest")
    if declared:
        ok = digest_matches(declared, block)
        if ok is False:
            report(f"WARC-Block-Digest mismatch ({declared})")
        checked += ok is not None
    declared = headers.get("warc-payload-digest")
    rec_type = headers.get("warc-type")
    if declared and rec_type != "revisit":
        if headers.get("content-type", "").startswith("application/http"):
            split = block.find(b"\r\n\r\n")
            payload = block[split + 4:] if split >= 0 else b""
        else:
            payload = block
        ok = digest_matches(declared, payload)
        if ok is False:
            report(f"WARC-Payload-Digest mismatch ({declared})")
        checked += ok is not None
    return url, checked


def verify_file(path: Path, name: str | None = None, on_bytes: Callable[[int], None] | None = None) -> FileCheck:
    """Every record of a record-per-gzip-member WARC file, and the file's sha256 and size."""
    name = name or path.name
    result = FileCheck(path=path)
    whole = hashlib.sha256()
    position = 0  # file offset of the start of `pending`
    member_start = 0
    member = bytearray()
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    broken = False
    with open_binary(path) as fh:
        while True:
            chunk = fh.read(READ_CHUNK)
            if not chunk:
                break
            whole.update(chunk)
            result.size += len(chunk)
            if on_bytes:
                on_bytes(len(chunk))
            data, data_at = chunk, position
            position += len(chunk)
            while data and not broken:
                try:
                    member += decompressor.decompress(data)
                except zlib.error as exc:
                    head = member or _salvage_head(data)
                    result.problems.append(Problem(name, member_start, _url_hint(head),
                                                   f"corrupt gzip member ({exc}); the rest of the file is unreadable"))
                    broken = True
                    break
                if not decompressor.eof:
                    break
                used = len(data) - len(decompressor.unused_data)
                end = data_at + used
                result.records += 1
                start, hint = member_start, _url_hint(member)
                _, checked = check_record(bytes(member), lambda message, start=start, hint=hint: result.problems.append(
                    Problem(name, start, hint, message)))
                result.digests_checked += checked
                data, data_at = decompressor.unused_data, end
                member_start = end
                member = bytearray()
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    if not broken and (member or member_start != result.size):
        result.problems.append(Problem(name, member_start, _url_hint(member),
                                       "file ends inside a record (truncated)"))
    result.sha256 = whole.hexdigest()
    return result


def _salvage_head(compressed: bytes, limit: int = 1 << 16) -> bytes:
    """What decompresses of a corrupt member before the damage (its WARC headers, usually).

    Fed a byte at a time, so the output before the failing byte is kept; the headers come first,
    so the first 64 KB are plenty."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out = bytearray()
    for start in range(min(len(compressed), limit)):
        try:
            out += decompressor.decompress(compressed[start:start + 1])
        except zlib.error:
            break
        if decompressor.eof:
            break
    return bytes(out)


def _url_hint(data: bytes | bytearray) -> str | None:
    """The Target-URI of a partly read record, when its headers got that far."""
    start = data.find(b"WARC-Target-URI:")
    if start < 0:
        return None
    end = data.find(b"\r\n", start)
    return bytes(data[start + 16: end if end >= 0 else None]).decode("utf-8", "replace").strip() or None


# -- the archive against the database ------------------------------------------------
@dataclass
class ArchiveCheck:
    files: int = 0
    records: int = 0
    bytes: int = 0
    digests_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not failures: files not yet indexed, open files
    verified: list[tuple[str, str]] = field(default_factory=list)  # (path, sha256) of the files that passed

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "files": self.files, "records": self.records, "bytes": self.bytes,
                "digests_checked": self.digests_checked,
                "problems": [p.as_dict() for p in self.problems], "notes": self.notes}


def verify_archive(database_url: str, archive_dir: Path, source: str | None = None,
                   on_start: Callable[[int], None] | None = None,
                   on_bytes: Callable[[int], None] | None = None) -> ArchiveCheck:
    """Re-read every closed file (of one source) and compare it with its `warc_files` row.

    `on_start` is told the total bytes to read, `on_bytes` each amount read (for a progress bar).
    Files that pass get `warc_files.verified_at`; a file with no row is noted (not yet indexed),
    a row whose file is gone is a problem.
    """
    from datetime import datetime, timezone

    from sqlalchemy import select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import WarcFile

    archive_dir = archive_root(archive_dir)
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        query = select(WarcFile)
        if source:
            query = query.where(WarcFile.source == source)
        rows = {row.path: row for row in session.scalars(query)}
    pattern = f"{source}/*.warc.gz" if source else "*/*.warc.gz"
    on_disk = {relative_name(archive_dir, p): p for p in sorted(list_files(archive_dir, pattern), key=str)}
    result = ArchiveCheck()
    for open_file in sorted(list_files(archive_dir, pattern + ".open"), key=str):
        result.notes.append(f"{relative_name(archive_dir, open_file)}: still open (a crawl is running, "
                            "or the next crawl of its source will repair it); not checked")
    for relative in sorted(set(rows) - set(on_disk)):
        result.problems.append(Problem(relative, None, None, "file listed in warc_files is missing"))
    if on_start:
        on_start(sum(file_size(p) for p in on_disk.values()))
    passed = []
    for relative, path in on_disk.items():
        check = verify_file(path, name=relative, on_bytes=on_bytes)
        result.files += 1
        result.records += check.records
        result.bytes += check.size
        result.digests_checked += check.digests_checked
        problems = list(check.problems)
        row = rows.get(relative)
        if row is None:
            result.notes.append(f"{relative}: not in warc_files yet (run `kronika index`); records checked only")
        else:
            if check.size != row.size:
                problems.append(Problem(relative, None, None, f"size {check.size}, warc_files says {row.size}"))
            if check.sha256 != row.sha256:
                problems.append(Problem(relative, None, None,
                                        f"sha256 {check.sha256}, warc_files says {row.sha256}"))
            if check.records != row.records:
                problems.append(Problem(relative, None, None,
                                        f"{check.records} records, warc_files says {row.records}"))
            if not problems:
                passed.append(row.id)
                result.verified.append((relative, check.sha256))
        result.problems.extend(problems)
    if passed:
        now = datetime.now(timezone.utc)
        with unit_of_work(engine) as session:
            for row in session.scalars(select(WarcFile).where(WarcFile.id.in_(passed))):
                row.verified_at = now
    return result
