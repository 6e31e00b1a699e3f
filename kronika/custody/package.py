"""The custody part of a package, and the independent check of a whole package.

A signed WACZ (and every evidence package) carries, besides the WACZ members:

- `custody/log.jsonl`: the custody log entries of the WARC files it draws on (each entry with its
  own hash and its predecessor's, as in the log);
- `custody/<file>.<tsa>.tsr`: the RFC 3161 tokens over those files' SHA-256;
- `custody/manifest.json`: for each original WARC file its archive path, SHA-256, entry numbers,
  tokens, and where its bytes are in the package: the whole file (`member`) or the records
  copied from it (`records`: offset and length in the original, offset in the package's WARC,
  SHA-256 of the record's gzip member), so a holder of the original can compare byte for byte.

`verify_package` checks a package with nothing but the file and, optionally, the trust anchors a
verifier got from elsewhere: the expected public key, the TSA's root and the domain CA's roots.
No database, no network.
"""
from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509

from kronika.custody import log as custody_log
from kronika.custody.signing import (
    certificate_name,
    parse_created,
    public_key_b64,
    verify_signature,
)
from kronika.custody.tsa import TimestampError, load_certificates, token_time, verify_token

MANIFEST = "custody/manifest.json"
LOG_MEMBER = "custody/log.jsonl"
DIGEST_MEMBER = "datapackage-digest.json"
PACKAGE_MEMBER = "datapackage.json"
MAX_TOKEN_SKEW_SECONDS = 600  # the spec: `created` within 10 minutes of the token over the signature


def token_member(relative: str, tsa_tag: str) -> str:
    return f"custody/{PurePosixPath(relative).name}.{tsa_tag}.tsr"


def custody_members(files: list[dict[str, Any]], entries: list[dict[str, Any]],
                    tokens: dict[str, bytes]) -> dict[str, bytes]:
    """The custody members of a package: `files` as in the manifest, their log entries, their tokens."""
    members = {name: data for name, data in sorted(tokens.items())}
    members[LOG_MEMBER] = "".join(custody_log.export_lines(entries)).encode("utf-8")
    members[MANIFEST] = json.dumps({"kronika_custody": 1, "files": files}, indent=2,
                                   ensure_ascii=False).encode("utf-8")
    return members


# ------------------------------------------------------------------------------ verifying
@dataclass
class Check:
    name: str
    status: str  # ok | failed | skipped
    detail: str = ""
    member: str | None = None  # the package member the check read (what a failure points at)


@dataclass
class PackageCheck:
    path: str
    checks: list[Check] = field(default_factory=list)
    reading: str | None = None  # the member the checks being added are about

    @property
    def ok(self) -> bool:
        return not any(c.status == "failed" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "failed"]

    def add(self, name: str, ok: bool | None, detail: str = "") -> None:
        self.checks.append(Check(name, "skipped" if ok is None else "ok" if ok else "failed", detail, self.reading))

    def as_dict(self) -> dict:
        return {"package": self.path, "ok": self.ok, "checks": [asdict(c) for c in self.checks]}


@dataclass
class TrustAnchors:
    """What a verifier knows from outside the package (each optional)."""

    public_key: str | None = None  # base64 SubjectPublicKeyInfo of the signer's key
    tsa_roots: list[x509.Certificate] = field(default_factory=list)
    domain_roots: list[x509.Certificate] = field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_package(path: str | Path, anchors: TrustAnchors | None = None) -> PackageCheck:
    anchors = anchors or TrustAnchors()
    result = PackageCheck(path=str(path))
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.add("package opens as a ZIP file", False, str(exc))
        return result
    with archive:
        names = set(archive.namelist())
        try:
            package_bytes = archive.read(PACKAGE_MEMBER)
            package = json.loads(package_bytes)
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            result.add(PACKAGE_MEMBER, False, f"missing or unreadable: {exc}")
            return result
        _check_resources(archive, names, package, result)
        signed = _check_digest(archive, names, package_bytes, package, result)
        if signed is not None:
            _check_signature(signed, anchors, result)
            _check_time_signature(signed, package, anchors, result)
        _check_warc_records(archive, package, result)
        _check_custody(archive, names, anchors, result)
    return result


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return archive.read(name)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):  # a CRC error is a changed member too
        return None


def _check_resources(archive, names: set[str], package: dict, result: PackageCheck) -> None:
    listed = set()
    for resource in package.get("resources", []):
        member = resource.get("path", "")
        listed.add(member)
        result.reading = member
        digest = hashlib.sha256()
        size = 0
        try:
            with archive.open(member) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
        except KeyError:
            result.add(f"resource {member}", False, "listed in datapackage.json, missing from the package")
            continue
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # zipfile's own CRC check of the member
            result.add(f"resource {member}", False, f"unreadable: {exc}")
            continue
        expected = resource.get("hash", "")
        if f"sha256:{digest.hexdigest()}" != expected or size != resource.get("bytes"):
            result.add(f"resource {member}", False,
                       f"sha256:{digest.hexdigest()} ({size} bytes), datapackage.json says {expected} "
                       f"({resource.get('bytes')} bytes)")
        else:
            result.add(f"resource {member}", True, expected)
    for extra in sorted(names - listed - {PACKAGE_MEMBER, DIGEST_MEMBER}):
        result.reading = extra
        if not extra.endswith("/"):
            result.add(f"resource {extra}", False, "in the package but not listed in datapackage.json")


def _check_digest(archive, names: set[str], package_bytes: bytes, package: dict, result: PackageCheck) -> dict | None:
    result.reading = DIGEST_MEMBER
    raw = _read(archive, DIGEST_MEMBER)
    if raw is None:
        result.add("datapackage-digest.json", False, "missing: the package is not signed")
        return None
    try:
        digest = json.loads(raw)
    except ValueError as exc:
        result.add("datapackage-digest.json", False, f"not JSON: {exc}")
        return None
    actual = f"sha256:{_sha256(package_bytes)}"
    result.reading = f"{DIGEST_MEMBER}, {PACKAGE_MEMBER}"
    result.add("datapackage-digest.json hash of datapackage.json", digest.get("hash") == actual,
               f"{digest.get('hash')} (datapackage.json is {actual})")
    result.reading = DIGEST_MEMBER
    signed = digest.get("signedData")
    if not isinstance(signed, dict):
        result.add("signature", False, "datapackage-digest.json has no signedData: the package is not signed")
        return None
    result.add("signedData covers the digest", signed.get("hash") == digest.get("hash"),
               f"signedData.hash {signed.get('hash')}")
    result.reading = f"{DIGEST_MEMBER}, {PACKAGE_MEMBER}"
    result.add("signedData.created is datapackage.json's created", signed.get("created") == package.get("created"),
               f"{signed.get('created')} / {package.get('created')}")
    return signed


def _check_signature(signed: dict, anchors: TrustAnchors, result: PackageCheck) -> None:
    result.reading = DIGEST_MEMBER
    chain: list[x509.Certificate] = []
    if signed.get("domainCert"):
        try:
            chain = load_certificates(signed["domainCert"].encode("ascii"))
            public_key = chain[0].public_key()
        except (ValueError, IndexError, UnicodeEncodeError) as exc:
            result.add("signature", False, f"domainCert is not a PEM certificate chain: {exc}")
            return
        mode = f"domain certificate of {certificate_name(chain[0])}"
    elif signed.get("publicKey"):
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        try:
            public_key = load_der_public_key(base64.b64decode(signed["publicKey"], validate=True))
        except (ValueError, TypeError) as exc:
            result.add("signature", False, f"publicKey is not a base64 DER public key: {exc}")
            return
        mode = "anonymous key"
    else:
        result.add("signature", False, "signedData has neither publicKey nor domainCert")
        return
    fingerprint = _sha256(base64.b64decode(public_key_b64(public_key)))
    ok = verify_signature(signed.get("hash", ""), signed.get("signature", ""), public_key)
    result.add("signature over the digest", ok, f"{mode}, key sha256 {fingerprint}")
    if anchors.public_key:
        result.add("signing key is the expected key", public_key_b64(public_key) == anchors.public_key,
                   f"package key sha256 {fingerprint}, expected "
                   f"{_sha256(base64.b64decode(anchors.public_key))}")
    elif not chain:
        result.add("signing key is the expected key", None,
                   f"anonymous signature: compare key sha256 {fingerprint} with the signer's published key "
                   "(--public-key)")
    if chain:
        result.add("domain matches the certificate", signed.get("domain") == certificate_name(chain[0]),
                   f"{signed.get('domain')} / {certificate_name(chain[0])}")
        if anchors.domain_roots:
            result.add("domain certificate chains to a trusted root", *_chain_ok(chain, anchors.domain_roots,
                                                                              signed))
        else:
            result.add("domain certificate chains to a trusted root", None, "no --ca roots given")


def _chain_ok(chain: list[x509.Certificate], roots: list[x509.Certificate], signed: dict) -> tuple[bool, str]:
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    try:
        at = parse_created(signed.get("created", ""))
        verifier = (PolicyBuilder().store(Store(roots)).time(at)
                    .build_server_verifier(x509.DNSName(signed.get("domain", ""))))
        verifier.verify(chain[0], chain[1:])
        return True, f"valid at {signed.get('created')}"
    except (VerificationError, ValueError) as exc:
        return False, str(exc)


def _check_time_signature(signed: dict, package: dict, anchors: TrustAnchors, result: PackageCheck) -> None:
    result.reading = DIGEST_MEMBER
    if not signed.get("timeSignature"):
        result.add("token over the signature", False, "signedData has no timeSignature")
        return
    try:
        reply = base64.b64decode(signed["timeSignature"], validate=True)
        chain = load_certificates(signed.get("timestampCert", "").encode("ascii")) if signed.get(
            "timestampCert") else []
    except (ValueError, TypeError) as exc:
        result.add("token over the signature", False, f"unreadable: {exc}")
        return
    roots, anchored = anchors.tsa_roots, True
    if not roots:  # without an outside anchor the chain's own root is used: consistency, not trust
        roots, anchored = [c for c in chain if c.issuer == c.subject], False
    digest = hashlib.sha256(signed.get("signature", "").encode("ascii")).digest()
    try:
        moment = verify_token(reply, digest, roots, intermediates=chain)
    except TimestampError as exc:
        result.add("token over the signature", False, str(exc))
        return
    result.add("token over the signature", True,
               f"signed by the TSA at {moment.isoformat()}" + ("" if anchored else
                                                               " (TSA root taken from the package: "
                                                               "pass --tsa-ca to anchor it)"))
    if not anchored:
        result.add("TSA chains to a trusted root", None, "no --tsa-ca roots given")
    try:
        created = parse_created(package.get("created", ""))
    except ValueError:
        result.add("token time within 10 minutes of created", False, f"created is {package.get('created')!r}")
        return
    skew = abs((moment - created).total_seconds())
    result.add("token time within 10 minutes of created", skew <= MAX_TOKEN_SKEW_SECONDS,
               f"token {moment.isoformat()}, created {package.get('created')}: {skew:.0f} s apart")


def _check_warc_records(archive: zipfile.ZipFile, package: dict, result: PackageCheck) -> None:
    from kronika.storage.warc.verify import verify_file

    for resource in package.get("resources", []):
        member = resource.get("path", "")
        if not member.startswith("archive/") or member not in archive.namelist():
            continue
        result.reading = member
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp) / "member.warc.gz"
            try:
                with archive.open(member) as source, open(local, "wb") as out:
                    for chunk in iter(lambda source=source: source.read(1 << 20), b""):
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError):
                pass  # unreadable bytes: whatever was copied is still checked record by record
            check = verify_file(local, name=member)
        problems = "; ".join(f"@{p.offset}: {p.problem}" for p in check.problems[:5])
        result.add(f"WARC records of {member}", not check.problems,
                   problems or f"{check.records} records, {check.digests_checked} digests")


def _check_custody(archive: zipfile.ZipFile, names: set[str], anchors: TrustAnchors, result: PackageCheck) -> None:
    result.reading = f"{MANIFEST}, {LOG_MEMBER}"
    if MANIFEST not in names:
        result.add("custody", None, "the package carries no custody record")
        return
    try:
        manifest = json.loads(_read(archive, MANIFEST) or b"")
        entries = custody_log.read_lines((_read(archive, LOG_MEMBER) or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        result.add("custody record", False, f"unreadable: {exc}")
        return
    chain = custody_log.check_chain(entries, whole=False)
    result.add("custody log entries: each hash and link", chain.ok,
               "; ".join(chain.problems[:5]) or f"{chain.entries} entries")
    by_seq = {e.get("seq"): e for e in entries}
    for item in manifest.get("files", []):
        relative, sha256 = item.get("path"), item.get("sha256")
        missing = [seq for seq in item.get("entries", []) if seq not in by_seq]
        closed = [e for e in entries if e.get("file") == relative and e.get("action") == "closed"]
        problems = [f"entry {seq} missing from {LOG_MEMBER}" for seq in missing]
        if not closed:
            problems.append("no `closed` entry")
        elif closed[0].get("sha256") != sha256:
            problems.append(f"closed with sha256 {closed[0].get('sha256')}, the manifest says {sha256}")
        result.add(f"custody entries of {relative}", not problems, "; ".join(problems) or
                   f"closed {closed[0].get('at')} on {closed[0].get('host')}")
        _check_file_bytes(archive, item, result)
        _check_file_tokens(archive, item, anchors, result)
        result.reading = f"{MANIFEST}, {LOG_MEMBER}"


def _check_file_bytes(archive: zipfile.ZipFile, item: dict, result: PackageCheck) -> None:
    relative = item.get("path")
    if item.get("member"):
        result.reading = item["member"]
        digest = hashlib.sha256()
        try:
            with archive.open(item["member"]) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
            result.add(f"{item['member']} is {relative} as closed", False, str(exc))
            return
        result.add(f"{item['member']} is {relative} as closed", digest.hexdigest() == item.get("sha256"),
                   f"sha256 {digest.hexdigest()}")
        return
    records = item.get("records", [])
    if not records:
        return
    result.reading = records[0].get("package_member")
    warc = _read(archive, records[0].get("package_member", ""))
    bad = []
    for record in records:
        data = warc[record["package_offset"]: record["package_offset"] + record["length"]] if warc else b""
        if _sha256(data) != record.get("sha256"):
            bad.append(f"{record.get('type')} record from {relative}@{record.get('offset')}")
    result.add(f"records copied from {relative}", not bad,
               "; ".join(bad[:5]) or f"{len(records)} records byte-identical to the manifest's digests")


def _check_file_tokens(archive: zipfile.ZipFile, item: dict, anchors: TrustAnchors, result: PackageCheck) -> None:
    relative = item.get("path")
    tokens = item.get("tokens", [])
    if not tokens:
        result.add(f"time-stamps of {relative}", None, "the file was never time-stamped")
        return
    for token in tokens:
        reply = _read(archive, token.get("member", ""))
        result.reading = token.get("member")
        name = f"time-stamp {token.get('member')}"
        if reply is None:
            result.add(name, False, "missing from the package")
            continue
        try:
            digest = bytes.fromhex(item.get("sha256", ""))
        except ValueError:
            result.add(name, False, "the manifest's sha256 is not hex")
            continue
        roots = anchors.tsa_roots
        if not roots:
            result.add(name, None, f"TSA time {_safe_time(reply)}; no --tsa-ca roots given to check the "
                                   f"token (openssl ts -verify -digest {item.get('sha256')} -in FILE.tsr -CAfile ROOT)")
            continue
        try:
            moment = verify_token(reply, digest, roots)
        except TimestampError as exc:
            result.add(name, False, str(exc))
            continue
        result.add(name, True, f"{relative} existed with this sha256 at {moment.isoformat()} ({token.get('tsa_url')})")


def _safe_time(reply: bytes) -> str:
    try:
        return token_time(reply).isoformat()
    except Exception:  # the library's own parse errors
        return "unreadable"


def load_anchors(public_key: str | None, tsa_ca: str | None, domain_ca: str | None) -> TrustAnchors:
    anchors = TrustAnchors()
    if public_key:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        data = Path(public_key).read_bytes()
        try:
            anchors.public_key = public_key_b64(load_pem_public_key(data))
        except ValueError:
            anchors.public_key = data.decode("ascii").strip()  # the base64 form a package carries
    if tsa_ca:
        anchors.tsa_roots = load_certificates(Path(tsa_ca).read_bytes())
    if domain_ca:
        anchors.domain_roots = load_certificates(Path(domain_ca).read_bytes())
    return anchors
