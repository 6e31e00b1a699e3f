"""Evidence packages: everything Kronika holds about one article or post, in one signed WACZ.

`kronika evidence URL --out FILE.wacz` finds the article or post (`find_subject`, the one lookup
to swap for kronika.lookup), then copies, byte for byte, every WARC record that shows it into one
WARC file inside the package: each capture's response or revisit record, the request and
metadata records written with it, the original response (and its request and metadata) of every
revisit, and the `warcinfo` record of every file they come from. Each record is its own gzip
member, so a copied record keeps its digests, and the package's manifest says where in the
original file it was (for a comparison with `dd`/`sha256sum` by anyone holding that file).
Beside them: the versions' extracted text, the custody entries and time-stamp tokens of the
original files, an HTML report for people, and the WACZ signature.
"""
from __future__ import annotations

import hashlib
import html
import json
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kronika import __version__
from kronika.custody import log as custody_log
from kronika.custody.package import custody_members, token_member
from kronika.custody.stamping import WARC_KIND, tokens_for, tsa_tag
from kronika.settings import Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    ArticleVersion,
    Capture,
    TelegramPostEvent,
    TelegramPostVersion,
    TelegramPostView,
    WarcFile,
)
from kronika.storage.warc.paths import archive_path, open_binary
from kronika.storage.warc.wacz import Page, build_wacz

READ_CHUNK = 1 << 16


@dataclass
class Subject:
    """What the user asked for: an article, a post, or (neither known) a page by its URL."""

    kind: str  # article | post | page
    url: str
    label: str
    capture_ids: set[int]
    versions: list[dict[str, Any]] = field(default_factory=list)  # id, captured_at, capture_id, title, text


def find_subject(session, url: str) -> Subject | None:
    """URL (or t.me/CHANNEL/ID) -> the article or post and the ids of every capture that shows it.

    What the user typed is read by kronika.lookup, the URL rule of every command."""
    from kronika import lookup

    post = lookup.find_post(session, url) if lookup.telegram_post_id(url) else None
    if post is not None:
        versions = list(session.scalars(select(TelegramPostVersion).where(TelegramPostVersion.post_id == post.id)
                                        .order_by(TelegramPostVersion.id)))
        ids = {v.capture_id for v in versions}
        ids |= set(session.scalars(select(TelegramPostView.capture_id).where(TelegramPostView.post_id == post.id)))
        ids |= set(session.scalars(select(TelegramPostEvent.capture_id).where(TelegramPostEvent.post_id == post.id)))
        ids |= set(session.scalars(select(Capture.id).where(Capture.url == post.url)))
        captured = dict(session.execute(select(Capture.id, Capture.captured_at).where(
            Capture.id.in_([v.capture_id for v in versions]))).all())
        return Subject("post", post.url, f"t.me/{post.channel}/{post.post_id}", ids,
                       [{"id": v.id, "captured_at": captured.get(v.capture_id), "capture_id": v.capture_id,
                         "title": None, "text": v.text, "table": "telegram_post_versions"} for v in versions])
    article = lookup.find_article(session, url)
    if article is not None:
        versions = list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.captured_at, ArticleVersion.id)))
        ids = {capture.id for capture, _ in lookup.captures(session, article.url)}
        ids |= {v.capture_id for v in versions}
        return Subject("article", article.url, article.title or article.url, ids,
                       [{"id": v.id, "captured_at": v.captured_at, "capture_id": v.capture_id, "title": v.title,
                         "text": v.text, "table": "article_versions"} for v in versions])
    given = lookup.with_scheme(url)
    ids = {capture.id for capture, _ in lookup.captures(session, url)}
    return Subject("page", given, given, ids) if ids else None


def claims_for_version(session, table: str, version_id: int) -> list[dict[str, Any]]:
    """The claims extracted from one version (the `claims` table), for the version's entry in the
    package (`text/versions.json`) and the report: offsets are into the version's text member."""
    from kronika.storage.db.models import StoredClaim

    column = StoredClaim.article_version_id if table == "article_versions" else StoredClaim.post_version_id
    rows = session.scalars(select(StoredClaim).where(column == version_id)
                           .order_by(StoredClaim.span_start, StoredClaim.id))
    return [{"category": c.category, "value": c.count, "value_high": c.count_high, "qualifier": c.qualifier,
             "speaker": c.speaker, "subset": c.subset, "sentence": c.sentence, "start": c.span_start,
             "end": c.span_end, "lang": c.lang} for c in rows]


# ------------------------------------------------------------------------------ records
@dataclass
class Record:
    file: str  # archive-relative path of the original WARC file
    offset: int
    length: int
    type: str
    record_id: str | None
    concurrent_to: str | None = None


def _member_at(fh, offset: int, headers_only: bool = False) -> tuple[bytes, bytes]:
    """The raw gzip member starting at `offset`, and (up to 64 KiB of) its decompressed start;
    with `headers_only`, no raw bytes and only as much as holds the WARC headers."""
    fh.seek(offset)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    raw = bytearray()
    head = bytearray()
    while not decompressor.eof:
        chunk = fh.read(READ_CHUNK)
        if not chunk:
            break
        used_before = len(raw)
        raw += chunk
        out = decompressor.decompress(bytes(chunk))
        if len(head) < 1 << 16:
            head += out[: (1 << 16) - len(head)]
        if headers_only and b"\r\n\r\n" in head:
            return b"", bytes(head)
        if decompressor.eof:
            del raw[used_before + len(chunk) - len(decompressor.unused_data):]
    return bytes(raw), bytes(head)


def _warc_headers(head: bytes) -> dict[str, str]:
    end = head.find(b"\r\n\r\n")
    headers = {}
    for line in head[: end if end >= 0 else len(head)].decode("utf-8", "replace").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _records_of_capture(fh, relative: str, capture: Capture) -> list[Record]:
    """The capture's record, then the request and metadata records written concurrently with it."""
    records = [Record(relative, capture.offset, capture.length, capture.record_type, capture.record_id)]
    position = capture.offset + capture.length
    for _ in range(8):  # response, request, metadata: a few members at most
        _, head = _member_at(fh, position, headers_only=True)
        headers = _warc_headers(head)
        if not head or headers.get("warc-concurrent-to") != capture.record_id:
            break
        raw, _ = _member_at(fh, position)
        records.append(Record(relative, position, len(raw), headers.get("warc-type", "?"),
                              headers.get("warc-record-id"), capture.record_id))
        position += len(raw)
    return records


def _warcinfo(fh, relative: str) -> Record | None:
    raw, head = _member_at(fh, 0)
    headers = _warc_headers(head)
    if headers.get("warc-type") != "warcinfo":
        return None
    return Record(relative, 0, len(raw), "warcinfo", headers.get("warc-record-id"))


def select_records(session, env: Environment, subject: Subject) -> tuple[list[Record], list[dict], dict[str, str]]:
    """Every record to copy (in file order), the captures described, and each file's sha256."""
    from kronika.storage.warc.retrieve import first_response_like

    rows = session.execute(select(Capture, WarcFile.path, WarcFile.sha256)
                           .join(WarcFile, Capture.warc_file_id == WarcFile.id)
                           .where(Capture.id.in_(subject.capture_ids))).all()
    wanted = {(path, capture.offset): (capture, path, sha) for capture, path, sha in rows}
    for capture, _, _ in rows:
        if capture.record_type == "revisit":
            original = first_response_like(session, capture)
            if original is not None:
                path, sha = session.execute(select(WarcFile.path, WarcFile.sha256)
                                            .where(WarcFile.id == original.warc_file_id)).one()
                wanted.setdefault((path, original.offset), (original, path, sha))
    captures = []
    records: list[Record] = []
    sha256s: dict[str, str] = {}
    by_file: dict[str, list] = {}
    for (path, _), (capture, _, sha) in sorted(wanted.items()):
        by_file.setdefault(path, []).append(capture)
        sha256s[path] = sha
        captures.append({"id": capture.id, "url": capture.url, "captured_at": capture.captured_at.isoformat(),
                         "record_type": capture.record_type, "status": capture.status,
                         "payload_digest": capture.payload_digest, "warc_file": path, "offset": capture.offset,
                         "length": capture.length, "record_id": capture.record_id,
                         "requested": capture.id in subject.capture_ids})
    for path, file_captures in by_file.items():
        with open_binary(archive_path(env.archive_dir, path)) as fh:
            info = _warcinfo(fh, path)
            if info:
                records.append(info)
            for capture in file_captures:
                records.extend(_records_of_capture(fh, path, capture))
    captures.sort(key=lambda c: (c["captured_at"], c["id"]))
    return records, captures, sha256s


def _copy_records(env: Environment, records: list[Record], out: Path) -> list[dict]:
    """Append each record's gzip member, unchanged, to `out`; returns where each went."""
    placed = []
    position = 0
    with open(out, "wb") as target:
        current, fh = None, None
        try:
            for record in records:
                if record.file != current:
                    if fh:
                        fh.close()
                    current, fh = record.file, open_binary(archive_path(env.archive_dir, record.file))
                fh.seek(record.offset)
                data = fh.read(record.length)
                if len(data) != record.length:
                    raise ValueError(f"{record.file}@{record.offset}: file ends inside the record")
                target.write(data)
                placed.append({"file": record.file, "offset": record.offset, "length": record.length,
                               "type": record.type, "warc_record_id": record.record_id,
                               "package_offset": position, "sha256": hashlib.sha256(data).hexdigest()})
                position += len(data)
        finally:
            if fh:
                fh.close()
    return placed


# ------------------------------------------------------------------------------ custody
def custody_for(engine, files: dict[str, str], whole_members: dict[str, str] | None = None,
                records: dict[str, list[dict]] | None = None) -> dict[str, bytes]:
    """Custody members for original files (`path -> sha256`): entries, tokens and the manifest."""
    entries = custody_log.entries(engine, files=list(files))
    tokens = tokens_for(engine, list(files), WARC_KIND)
    token_members: dict[str, bytes] = {}
    manifest_files = []
    for path, sha256 in sorted(files.items()):
        item: dict[str, Any] = {"path": path, "sha256": sha256,
                                "entries": [e["seq"] for e in entries if e["file"] == path],
                                "tokens": []}
        for token in tokens:
            if token.subject == path and token.sha256 == sha256:
                member = token_member(path, tsa_tag(token.tsa_url))
                token_members[member] = token.token
                item["tokens"].append({"member": member, "tsa_url": token.tsa_url,
                                       "gen_time": token.gen_time.isoformat() if token.gen_time else None})
        if whole_members and path in whole_members:
            item["member"] = whole_members[path]
        if records and path in records:
            item["records"] = records[path]
        manifest_files.append(item)
    return custody_members(manifest_files, entries, token_members)


# ------------------------------------------------------------------------------ the package
@dataclass
class EvidenceResult:
    out: str
    subject: dict
    captures: int
    records: int
    files: list[str]
    sha256: str
    signed: bool


def _slug(subject: Subject) -> str:
    digest = hashlib.sha256(subject.url.encode("utf-8")).hexdigest()[:12]
    return f"evidence-{subject.kind}-{digest}"


def build_evidence(env: Environment, url: str, out: Path, sign=None, created: datetime | None = None) -> EvidenceResult:
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        subject = find_subject(session, url)
        if subject is None:
            raise LookupError(f"no article, post or capture of {url} (see `kronika history`, or run `kronika index`)")
        records, captures, sha256s = select_records(session, env, subject)
        claims = {v["id"]: claims_for_version(session, v["table"], v["id"]) for v in subject.versions}
    if not records:
        raise LookupError(f"{url}: its captures are not in any indexed WARC file")
    created = created or datetime.now(timezone.utc)
    name = _slug(subject)
    with tempfile.TemporaryDirectory(prefix="kronika-evidence-") as tmp:
        warc = Path(tmp) / f"{name}.warc.gz"
        placed = _copy_records(env, records, warc)
        for entry in placed:
            entry["package_member"] = f"archive/{warc.name}"
        by_file: dict[str, list[dict]] = {}
        for entry in placed:
            by_file.setdefault(entry.pop("file"), []).append(entry)
        members = custody_for(engine, sha256s, records=by_file)
        versions_meta = []
        for number, version in enumerate(subject.versions, 1):
            text_member = f"text/{subject.kind}-version-{version['id']}.txt"
            text = (version["text"] or "").encode("utf-8")
            members[text_member] = text
            versions_meta.append({"version": number, "table": version["table"], "id": version["id"],
                                  "capture_id": version["capture_id"],
                                  "captured_at": version["captured_at"].isoformat() if version["captured_at"] else None,
                                  "title": version["title"], "text_member": text_member,
                                  "text_sha256": hashlib.sha256(text).hexdigest(), "claims": claims[version["id"]]})
        members["text/versions.json"] = json.dumps(versions_meta, indent=2, ensure_ascii=False).encode("utf-8")
        custody = json.loads(members["custody/manifest.json"])
        entries = custody_log.read_lines(members["custody/log.jsonl"].decode("utf-8"))
        members["report/index.html"] = render_report(subject, captures, versions_meta, custody, entries,
                                                     created, signed=sign is not None, package_name=Path(out).name,
                                                     warc_member=f"archive/{warc.name}").encode("utf-8")
        pages = [Page(url=c["url"], captured_at=datetime.fromisoformat(c["captured_at"]), title=subject.label)
                 for c in captures if c["requested"] and c["status"] == 200]
        build_wacz(Path(out), [warc], pages, title=f"Kronika evidence: {subject.label}",
                   description=f"Every capture Kronika holds of {subject.url}, with its chain of custody",
                   members=members, sign=sign, created=created)
    package_sha256 = hashlib.sha256(Path(out).read_bytes()).hexdigest()
    return EvidenceResult(out=str(out), subject={"kind": subject.kind, "url": subject.url, "label": subject.label},
                          captures=len(captures), records=len(placed), files=sorted(sha256s),
                          sha256=package_sha256, signed=sign is not None)


# ------------------------------------------------------------------------------ the report
def _claims_cell(claims: list[dict]) -> str:
    """'injured: at least 21 (Olena Marchuk)' per claim, one a line."""
    from kronika.claims.timeline import figure_text

    return "<br>".join(
        html.escape(f"{c['category']}: {figure_text(c['value'], c['value_high'], c['qualifier'])}"
                    + (" (part of a total)" if c["subset"] else "") + (f" ({c['speaker']})" if c["speaker"] else ""))
        for c in claims)


def render_report(subject: Subject, captures: list[dict], versions: list[dict], custody: dict, entries: list[dict],
                  created: datetime, signed: bool, package_name: str, warc_member: str) -> str:
    """The human-readable report inside the package: what was captured when, digests, how to check."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c['captured_at'])}</td><td>{e(c['record_type'])}</td><td>{e(str(c['status']))}</td>"
        f"<td><code>{e(c['payload_digest'] or '')}</code></td><td><code>{e(c['warc_file'])}</code> @ {c['offset']}"
        f" ({c['length']} bytes)</td><td>{'' if c['requested'] else 'original of a revisit'}</td></tr>"
        for c in captures)
    version_rows = "".join(
        f"<tr><td>{v['version']}</td><td>{e(v['captured_at'] or '')}</td><td>{e(v['title'] or '')}</td>"
        f"<td><code>{e(v['text_member'])}</code></td><td><code>{e(v['text_sha256'])}</code></td>"
        f"<td>{_claims_cell(v.get('claims') or [])}</td></tr>"
        for v in versions)
    file_rows = []
    for item in custody["files"]:
        tokens = "<br>".join(f"{e(t['gen_time'] or '?')} by {e(t['tsa_url'])}: <code>{e(t['member'])}</code>"
                             for t in item["tokens"]) or "<em>never time-stamped</em>"
        file_rows.append(f"<tr><td><code>{e(item['path'])}</code></td><td><code>{e(item['sha256'])}</code></td>"
                         f"<td>{tokens}</td><td>{len(item.get('records', []))}</td></tr>")
    entry_rows = "".join(
        f"<tr><td>{x['seq']}</td><td>{e(x['at'])}</td><td>{e(x['action'])}</td><td><code>{e(x['file'] or '')}"
        f"</code></td><td>{e(x['host'])} / {e(x['user'])} / Kronika {e(x['version'])}</td>"
        f"<td><code>{e(x['entry_sha256'][:16])}…</code></td></tr>" for x in entries)
    first = custody["files"][0] if custody["files"] else {"sha256": "SHA256", "path": "FILE"}
    record = next((r for item in custody["files"] for r in item.get("records", [])), None)
    dd = (f"tail -c +{record['offset'] + 1} {e(Path(first['path']).name)} | head -c {record['length']} | sha256sum"
          f"   # expect {record['sha256']}") if record else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence: {e(subject.label)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:75em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;font-size:90%}}code,pre{{font-size:90%}}
pre{{background:#f4f4f4;padding:1em;overflow-x:auto}}</style></head><body>
<h1>Evidence package: {e(subject.label)}</h1>
<p>{e(subject.kind.capitalize())} <code>{e(subject.url)}</code>, packaged {e(created.strftime('%Y-%m-%d %H:%M:%S UTC'))}
by Kronika {e(__version__)}; {'signed (datapackage-digest.json)' if signed else '<strong>not signed</strong>'}.</p>
<h2>Captures</h2>
<p>Every capture Kronika holds, oldest first. The records are copied unchanged from the original WARC
files into <code>{e(warc_member)}</code>; the offset is the record's place in the original file.</p>
<table><tr><th>captured (UTC)</th><th>record</th><th>HTTP status</th><th>payload digest</th><th>original file @ offset</th><th></th></tr>
{rows}</table>
<h2>Versions (extracted text)</h2>
<p>Figures are the claims Kronika's extractor found in each version's text (docs/claims.md): what the
text says, never a verified fact.</p>
<table><tr><th>#</th><th>captured (UTC)</th><th>title</th><th>text</th><th>sha256 of the text</th><th>figures stated</th></tr>{version_rows}</table>
<h2>Original WARC files and their time-stamps</h2>
<table><tr><th>file</th><th>sha256 when closed</th><th>RFC 3161 time-stamps</th><th>records copied</th></tr>{''.join(file_rows)}</table>
<h2>Custody log entries of these files</h2>
<p>Each entry carries the SHA-256 of the entry before it in Kronika's custody log; consecutive entries
link, and each entry's own hash covers its content.</p>
<table><tr><th>#</th><th>when (UTC)</th><th>action</th><th>file</th><th>host / user / version</th><th>entry hash</th></tr>{entry_rows}</table>
<h2>How to verify this package without Kronika</h2>
<pre>unzip -d pkg {e(package_name)} &amp;&amp; cd pkg
sha256sum datapackage.json                  # equals "hash" in datapackage-digest.json
python3 -c 'import json;[print(r["hash"][7:]+"  "+r["path"]) for r in json.load(open("datapackage.json"))["resources"]]' | sha256sum -c
warcio check -v {e(warc_member)}            # every record's block and payload digest
openssl ts -reply -in custody/FILE.tsr -text # the TSA's time and the digest it signed
openssl ts -verify -digest {e(first['sha256'])} -in custody/FILE.tsr -CAfile TSA-ROOT.pem
{dd}
wacz validate -f {e(package_name)}             # py-wacz: structure, hashes, digest file
kronika verify-package {e(package_name)} --tsa-ca TSA-ROOT.pem [--public-key SIGNER.pem]</pre>
<p>The signature (<code>datapackage-digest.json</code>, <code>signedData</code>) is ECDSA P-256 over the
<code>hash</code> string; <code>timeSignature</code> is an RFC 3161 token over the SHA-256 of the base64
<code>signature</code>. With the original WARC file, the <code>tail | head | sha256sum</code> line compares a
copied record with the bytes at its offset; the file's own <code>sha256sum</code> must equal the
time-stamped digest above.</p>
<h2>What this proves, and what it does not</h2>
<p>A valid signature proves who packaged these bytes and that they are unchanged since. A valid time-stamp
over a WARC file's digest proves the file existed, exactly so, at the TSA's time. Neither proves that the
page told the truth, nor that the server sent the same to everyone: only that this is what Kronika received
at the capture time and has kept unchanged.</p>
</body></html>
"""
