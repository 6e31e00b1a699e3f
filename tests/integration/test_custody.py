"""Chain of custody on real crawls of the mirror, against a real RFC 3161 TSA on loopback (OpenSSL's
`ts -reply`, tests/support/tsa.py) and keys this test makes: files stamped when closed (and
checked with `openssl ts -verify`), a TSA that is down, `kronika stamp`, the hash-chained log and
`kronika custody verify`, signed WACZ exports and evidence packages (checked by py-wacz's
`wacz validate` and `warcio check`), and `kronika verify-package` catching a flipped byte in
every member, a swapped key, a token over other data, a removed log entry and a token too far
from `created`."""
from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text

from kronika.cli import main
from kronika.custody import log as custody_log
from kronika.custody.evidence import build_evidence
from kronika.custody.package import TrustAnchors, verify_package
from kronika.custody.signing import sign_hash, signer
from kronika.custody.stamping import token_path
from kronika.custody.tsa import TimestampError, load_bundle, request_token, verify_token
from kronika.mirror.server import MirrorServer
from kronika.settings import Environment, Timestamping, load_config
from kronika.steps.custody import stamp_head, verify_custody
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CustodyEntry, TimestampToken
from tests.integration.test_object_store import remote_env, s3  # noqa: F401 (fixtures)
from tests.support.tsa import LoopbackTSA, key_pem, make_ca, make_leaf, pem
from tests.support.warc import assert_warcio_check

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTICLE = "http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html"


def config_with_tsa(directory: Path, tsa: LoopbackTSA | None) -> Path:
    """config/demo.yaml, with `timestamping` in its defaults when a TSA is given."""
    text_ = (ROOT / "config" / "demo.yaml").read_text(encoding="utf-8")
    if tsa is not None:
        text_ = text_.replace("defaults:\n", f"defaults:\n  timestamping: {{urls: ['{tsa.url}'], "
                                             f"ca_bundle: '{tsa.ca_bundle}', timeout: 5}}\n", 1)
    path = directory / "sources.yaml"
    path.write_text(text_, encoding="utf-8")
    return path


class World:
    """A crawled archive with a TSA, a config naming it, and signing keys."""

    def __init__(self, root: Path, tsa: LoopbackTSA, mirror):
        self.root, self.tsa, self.mirror = root, tsa, mirror
        self.env = Environment(database_url=f"sqlite:///{root / 'kronika.db'}", archive_dir=root / "archive")
        self.config_path = config_with_tsa(root, tsa)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.key_file = root / "signing-key.pem"
        self.key_file.write_bytes(key_pem(self.key))
        self.public_key_file = root / "signing-key.pub.pem"
        self.public_key_file.write_bytes(self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        ca_key, ca_cert = make_ca("Kronika Test Web CA")
        domain_key, domain_cert = make_leaf(ca_key, ca_cert, "archive.example.org")
        self.domain_key_file = root / "domain-key.pem"
        self.domain_key_file.write_bytes(key_pem(domain_key))
        self.domain_chain = root / "domain-chain.pem"
        self.domain_chain.write_bytes(pem(domain_cert) + pem(ca_cert))
        self.domain_ca = root / "web-ca.pem"
        self.domain_ca.write_bytes(pem(ca_cert))

    def environ(self) -> dict[str, str]:
        return {"KRONIKA_CONFIG": str(self.config_path), "KRONIKA_DATABASE_URL": self.env.database_url,
                "KRONIKA_ARCHIVE_DIR": str(self.env.archive_dir), "KRONIKA_MIRROR_PROXY": self.mirror.url}

    def kronika(self, *args: str):
        return CliRunner().invoke(main, list(args), env=self.environ(), catch_exceptions=False)

    def anchors(self, **overrides) -> TrustAnchors:
        anchors = TrustAnchors(public_key=base64.b64encode(self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode(),
            tsa_roots=load_bundle(self.tsa.ca_bundle))
        for name, value in overrides.items():
            setattr(anchors, name, value)
        return anchors


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """riverside-herald and zarichna-ova crawled at mirror epochs 0 and 1, every file stamped."""
    root = tmp_path_factory.mktemp("custody")
    with MirrorServer(port=0) as mirror, LoopbackTSA(root / "tsa") as tsa, pytest.MonkeyPatch.context() as patch:
        here = World(root, tsa, mirror)
        for name, value in here.environ().items():
            patch.setenv(name, value)
        config = load_config()
        for epoch in (0, 1):
            mirror.set_epoch(epoch)
            for source in ("riverside-herald", "zarichna-ova"):
                run_source(config.source(source), here.env)
        yield here


def warc_files(archive: Path) -> list[Path]:
    return sorted(archive.glob("*/*.warc.gz"))


# ------------------------------------------------------------------------------ stamping
def test_every_closed_file_is_logged_and_stamped_and_openssl_verifies_the_token_beside_it(world):
    engine = open_database(world.env.database_url)
    entries = custody_log.entries(engine)
    assert custody_log.check_chain(entries).ok
    for path in warc_files(world.env.archive_dir):
        relative = f"{path.parent.name}/{path.name}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        actions = [e["action"] for e in entries if e["file"] == relative]
        assert actions[:3] == ["closed", "stamped", "indexed"], (relative, actions)
        assert all(e["sha256"] == digest for e in entries if e["file"] == relative)
        token = world.env.archive_dir / token_path(relative, world.tsa.url)
        verified = subprocess.run(["openssl", "ts", "-verify", "-digest", digest, "-in", str(token),
                                   "-CAfile", str(world.tsa.ca_bundle)], capture_output=True, text=True)
        assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stderr
        with unit_of_work(engine) as session:
            row = session.scalars(select(TimestampToken).where(TimestampToken.subject == relative)).one()
        assert row.token == token.read_bytes() and row.sha256 == digest and row.error is None
    done = world.kronika("custody", "verify", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["files"] == len(warc_files(world.env.archive_dir))


def test_the_tsa_chain_is_checked_at_the_tokens_time(tmp_path):
    digest = hashlib.sha256(b"kronika").digest()
    with LoopbackTSA(tmp_path / "future", tsa_not_before=datetime.now(timezone.utc) + timedelta(days=2)) as early:
        token = request_token(early.url, digest)  # OpenSSL signs with a certificate not valid yet
        with pytest.raises(TimestampError, match="not yet valid"):
            verify_token(token.reply, digest, load_bundle(early.ca_bundle))
    with LoopbackTSA(tmp_path / "ok") as tsa:
        good = request_token(tsa.url, digest)
        assert verify_token(good.reply, digest, load_bundle(tsa.ca_bundle)) == good.gen_time
        with pytest.raises(TimestampError):  # another CA is not this TSA's root
            verify_token(good.reply, digest, load_bundle(early.ca_bundle))


def test_a_tsa_that_does_not_answer_loses_nothing_and_kronika_stamp_catches_up(tmp_path, mirror, monkeypatch):
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}", archive_dir=tmp_path / "archive")
    with LoopbackTSA(tmp_path / "tsa") as tsa:
        config_path = config_with_tsa(tmp_path, tsa)
        for name, value in {"KRONIKA_CONFIG": str(config_path), "KRONIKA_DATABASE_URL": env.database_url,
                            "KRONIKA_ARCHIVE_DIR": str(env.archive_dir), "KRONIKA_MIRROR_PROXY": mirror.url}.items():
            monkeypatch.setenv(name, value)
        tsa.refuse = True
        result = run_source(load_config().source("zarichna-ova"), env)
        assert result.crawl.status == "succeeded" and result.check.failed == []
        assert result.crawl.stats["kronika/custody/unstamped"] == 1 and tsa.requests == 1
        [path] = warc_files(env.archive_dir)
        relative = f"zarichna-ova/{path.name}"
        engine = open_database(env.database_url)
        with unit_of_work(engine) as session:
            row = session.scalars(select(TimestampToken).where(TimestampToken.subject == relative)).one()
            assert row.token is None and "503" in row.error
        assert [e["action"] for e in custody_log.entries(engine)] == ["closed", "indexed"]
        refused = CliRunner().invoke(main, ["stamp"], catch_exceptions=False)
        assert refused.exit_code == 1 and "503" in refused.output
        tsa.refuse = False
        done = CliRunner().invoke(main, ["stamp", "--json"], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert json.loads(done.output)["stamped"] == [f"{relative} @ {tsa.url}"]
        assert (env.archive_dir / token_path(relative, tsa.url)).exists()
        again = CliRunner().invoke(main, ["stamp", "--json"], catch_exceptions=False)
        assert json.loads(again.output)["stamped"] == []  # nothing missing any more


def test_an_archive_from_before_custody_is_recorded_late_by_kronika_stamp_not_by_the_next_crawl(
        tmp_path, mirror, monkeypatch):
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}", archive_dir=tmp_path / "archive")
    with LoopbackTSA(tmp_path / "tsa") as tsa:
        for name, value in {"KRONIKA_CONFIG": str(config_with_tsa(tmp_path, tsa)), "KRONIKA_MIRROR_PROXY": mirror.url,
                            "KRONIKA_DATABASE_URL": env.database_url,
                            "KRONIKA_ARCHIVE_DIR": str(env.archive_dir)}.items():
            monkeypatch.setenv(name, value)
        source = load_config().source("zarichna-ova")
        run_source(source, env)
        engine = open_database(env.database_url)
        with unit_of_work(engine) as session:  # as an archive indexed before this version was
            session.execute(text("DELETE FROM custody_log"))
            session.execute(text("DELETE FROM timestamp_tokens"))
        [old] = warc_files(env.archive_dir)
        run_source(source, env)
        [new] = [p for p in warc_files(env.archive_dir) if p != old]
        assert [(e["action"], e["file"]) for e in custody_log.entries(engine)][:2] == [
            ("closed", f"zarichna-ova/{new.name}"), ("stamped", f"zarichna-ova/{new.name}")]
        done = CliRunner().invoke(main, ["stamp", "--json"], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert json.loads(done.output)["closed"] == [f"zarichna-ova/{old.name}"]
        late = [e for e in custody_log.entries(engine) if e["file"] == f"zarichna-ova/{old.name}"]
        assert [e["action"] for e in late] == ["closed", "stamped"] and late[0]["detail"] == {"recorded_late": True}
        assert custody_log.check_chain(custody_log.entries(engine)).ok


def test_on_an_object_store_tokens_sit_beside_the_uploaded_files_and_custody_verify_reads_them(remote_env):  # noqa: F811
    from kronika.storage.warc.paths import archive_path

    env = remote_env["env"]
    with LoopbackTSA(remote_env["tmp"] / "tsa") as tsa:
        config = load_config(config_with_tsa(remote_env["tmp"], tsa))
        result = run_source(config.source("zarichna-ova"), env)
        assert result.crawl.stats["kronika/custody/stamped"] == 1
        [relative] = result.index.files
        token = archive_path(env.archive_dir, token_path(relative, tsa.url))
        digest = hashlib.sha256(archive_path(env.archive_dir, relative).read_bytes()).digest()
        assert verify_token(token.read_bytes(), digest, load_bundle(tsa.ca_bundle))
        assert not list((env.spool_dir / "zarichna-ova").glob("*.warc.gz"))  # uploaded, then removed
        head = stamp_head(env, config)
        assert archive_path(env.archive_dir, "custody/log.jsonl").exists() and head["stamped"]
        checked = verify_custody(env, config)
        assert checked.ok and checked.files == 1 and checked.tokens == 2, checked.problems


def test_without_a_tsa_files_are_simply_unstamped_and_nothing_warns(sqlite_env, demo_config, caplog):
    caplog.set_level("INFO", logger="kronika")
    result = run_source(demo_config.source("zarichna-ova"), sqlite_env)
    assert result.crawl.status == "succeeded"
    assert result.crawl.stats["kronika/custody/unstamped"] == 1
    custody = [r for r in caplog.records if "time-stamped" in r.getMessage()]
    assert len(custody) == 1 and custody[0].levelname == "INFO"  # said once, not an error per file
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR") and r.name.startswith("kronika")]
    done = CliRunner().invoke(main, ["stamp"], catch_exceptions=False)
    assert done.exit_code == 0 and "no `timestamping` in the config" in done.output


# ------------------------------------------------------------------------------ the log
def test_custody_verify_names_a_changed_file_a_removed_entry_and_a_rewritten_chain(tmp_path, mirror, monkeypatch):
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}", archive_dir=tmp_path / "archive")
    with LoopbackTSA(tmp_path / "tsa") as tsa:
        config_path = config_with_tsa(tmp_path, tsa)
        monkeypatch.setenv("KRONIKA_MIRROR_PROXY", mirror.url)
        config = load_config(config_path)
        run_source(config.source("zarichna-ova"), env)
        engine = open_database(env.database_url)
        head = stamp_head(env, config)
        assert head["stamped"] and verify_custody(env, config).ok
        copied = custody_log.read_lines((env.archive_dir / "custody" / "log.jsonl").read_text())
        assert copied[-1]["seq"] == head["head"] and custody_log.check_chain(copied).ok
        # the database lost: the archive's copy puts the log back
        fresh = open_database(f"sqlite:///{tmp_path / 'rebuilt.db'}")
        assert custody_log.restore(fresh, copied) == len(copied)
        assert custody_log.entries(fresh) == copied and custody_log.restore(fresh, copied) == 0
        started_anew = open_database(f"sqlite:///{tmp_path / 'anew.db'}")
        custody_log.append(started_anew, "verified", "x", "0" * 64)
        with pytest.raises(ValueError, match="differs"):  # a log that went its own way is not overwritten
            custody_log.restore(started_anew, copied)

        # an insider rewrites who closed the file, and re-hashes the whole chain after it
        with unit_of_work(engine) as session:
            rows = list(session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq)))
            prev = custody_log.GENESIS
            for row in rows:
                if row.seq == 1:
                    row.user = "someone-else"
                body = custody_log.as_dict(row) | {"prev_sha256": prev}
                row.prev_sha256, row.entry_sha256 = prev, custody_log.entry_hash(body)
                prev = row.entry_sha256
        rewritten = verify_custody(env, config)
        assert custody_log.check_chain(custody_log.entries(engine)).ok  # the chain alone cannot tell...
        assert any("not the one time-stamped" in p for p in rewritten.problems)  # ...its time-stamped head can

    # a removed entry breaks the chain; a changed byte in a file is named
    with unit_of_work(engine) as session:
        session.execute(text("DELETE FROM custody_log WHERE seq = 2"))
    [path] = warc_files(env.archive_dir)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    broken = verify_custody(env, config)
    assert any("entry 3: expected entry 2" in p for p in broken.problems)
    assert any(p.startswith(f"zarichna-ova/{path.name}: sha256 is") for p in broken.problems)
    with unit_of_work(engine) as session:  # an entry pointing outside the archive is reported, never read
        session.execute(text("UPDATE custody_log SET file = '../../etc/passwd' WHERE seq = 1"))
    outside = verify_custody(env, config).problems
    assert any("refusing a WARC path outside the archive directory: '../../etc/passwd'" in p for p in outside)


def _append_entries(database_url: str, lock_dir: str, count: int, worker: int) -> None:
    engine = open_database(database_url)
    for number in range(count):
        custody_log.append(engine, "verified", f"worker-{worker}/{number}", "0" * 64, lock_dir=Path(lock_dir))


def test_two_writers_at_once_keep_one_unbroken_chain(any_env, tmp_path):
    open_database(any_env.database_url)  # schema first, not raced by the writers
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_entries, args=(any_env.database_url, str(tmp_path / "locks"), 60, n))
               for n in range(2)]
    # and a third that does not share the lock file (another machine): the database's key guards it
    writers.append(context.Process(target=_append_entries, args=(any_env.database_url, str(tmp_path / "other"), 60, 2)))
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    entries = custody_log.entries(open_database(any_env.database_url))
    assert len(entries) == 180 and custody_log.check_chain(entries).ok


# ------------------------------------------------------------------------------ packages
def wacz_validate(package: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "wacz"), "validate", "-f", str(package)], capture_output=True, text=True)


def test_a_signed_wacz_export_validates_and_verifies_in_both_signing_modes(world, tmp_path):
    anonymous = tmp_path / "herald.wacz"
    done = world.kronika("wacz", str(anonymous), "--source", "riverside-herald", "--sign", str(world.key_file))
    assert done.exit_code == 0, done.output
    validated = wacz_validate(anonymous)
    assert validated.returncode == 0 and "Has signature" in validated.stdout, validated.stdout
    result = verify_package(anonymous, world.anchors())
    assert result.ok, [c for c in result.checks if c.status != "ok"]
    assert {c.name for c in result.checks if c.status == "skipped"} == set()
    with zipfile.ZipFile(anonymous) as package:
        signed = json.loads(package.read("datapackage-digest.json"))["signedData"]
        names = package.namelist()
    assert {"hash", "created", "software", "version", "signature", "publicKey", "timeSignature",
            "timestampCert"} == set(signed)
    assert any(n.startswith("custody/") and n.endswith(".tsr") for n in names) and "custody/log.jsonl" in names

    domain = tmp_path / "herald-domain.wacz"
    done = world.kronika("wacz", str(domain), "--source", "riverside-herald", "--sign", str(world.domain_key_file),
                         "--cert", str(world.domain_chain))
    assert done.exit_code == 0, done.output
    assert wacz_validate(domain).returncode == 0
    checked = verify_package(domain, world.anchors(public_key=None, domain_roots=load_bundle(world.domain_ca)))
    assert checked.ok, [c for c in checked.checks if c.status != "ok"]
    assert "domain certificate chains to a trusted root" in {c.name for c in checked.checks if c.status == "ok"}
    untrusted = verify_package(domain, world.anchors(public_key=None, domain_roots=load_bundle(world.tsa.ca_bundle)))
    assert [c.name for c in untrusted.failures] == ["domain certificate chains to a trusted root"]

    # the verify-package command: exit 0, then 1 with the reason on one line
    assert world.kronika("verify-package", str(anonymous), "--public-key", str(world.public_key_file),
                         "--tsa-ca", str(world.tsa.ca_bundle)).exit_code == 0
    wrong_key = world.kronika("verify-package", str(domain), "--public-key", str(world.public_key_file))
    assert wrong_key.exit_code == 1 and "signing key is the expected key" in wrong_key.output


def test_signing_without_a_tsa_is_refused_before_any_work(world, tmp_path, monkeypatch):
    monkeypatch.setenv("KRONIKA_CONFIG", str(config_with_tsa(tmp_path, None)))
    env = world.environ() | {"KRONIKA_CONFIG": str(tmp_path / "sources.yaml")}
    done = CliRunner().invoke(main, ["wacz", str(tmp_path / "x.wacz"), "--sign", str(world.key_file)], env=env)
    assert done.exit_code == 1 and "time-stamping authority" in done.output
    assert not (tmp_path / "x.wacz").exists()


@pytest.fixture(scope="module")
def evidence(world, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("evidence") / "article.wacz"
    done = world.kronika("evidence", ARTICLE, "--out", str(out), "--sign", str(world.key_file), "--json")
    assert done.exit_code == 0, done.output
    return out


def test_an_evidence_package_holds_every_record_of_the_article_and_verifies(world, evidence, tmp_path):
    result = verify_package(evidence, world.anchors())
    assert result.ok, [c for c in result.checks if c.status != "ok"]
    assert wacz_validate(evidence).returncode == 0
    with zipfile.ZipFile(evidence) as package:
        names = package.namelist()
        [warc] = [n for n in names if n.startswith("archive/")]
        (tmp_path / "evidence.warc.gz").write_bytes(package.read(warc))
        versions = json.loads(package.read("text/versions.json"))
        manifest = json.loads(package.read("custody/manifest.json"))
        report = package.read("report/index.html").decode()
    assert_warcio_check(tmp_path / "evidence.warc.gz")
    from kronika.storage.warc.reader import scan

    records = list(scan(tmp_path / "evidence.warc.gz"))
    types = [r.rec_type for r in records]
    assert {"warcinfo", "response", "request", "metadata"} <= set(types)
    targets = {r.url for r in records if r.rec_type in ("response", "revisit")}
    assert targets == {ARTICLE}
    # every record copied is the original's bytes at the offset the manifest gives
    for item in manifest["files"]:
        original = (world.env.archive_dir / item["path"]).read_bytes()
        assert hashlib.sha256(original).hexdigest() == item["sha256"]
        for record in item["records"]:
            piece = original[record["offset"]: record["offset"] + record["length"]]
            assert hashlib.sha256(piece).hexdigest() == record["sha256"]
        assert item["tokens"] and item["entries"]
    assert versions and all(f"text/{Path(v['text_member']).name}" in names for v in versions)
    assert ARTICLE in report and "openssl ts -verify" in report and manifest["files"][0]["sha256"] in report
    # the package itself went into the custody log
    packaged = [e for e in custody_log.entries(open_database(world.env.database_url)) if e["action"] == "packaged"]
    assert packaged and packaged[-1]["sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()


def test_an_evidence_package_of_a_telegram_post(world, tmp_path):
    from kronika.storage.db.models import TelegramPost

    with unit_of_work(open_database(world.env.database_url)) as session:
        post = session.scalars(select(TelegramPost).where(TelegramPost.versions > 1).limit(1)).first() or \
            session.scalars(select(TelegramPost).limit(1)).first()
        channel, post_id = post.channel, post.post_id
    out = tmp_path / "post.wacz"
    done = world.kronika("evidence", f"t.me/{channel}/{post_id}", "--out", str(out), "--sign", str(world.key_file))
    assert done.exit_code == 0, done.output
    result = verify_package(out, world.anchors())
    assert result.ok, [c for c in result.checks if c.status != "ok"]
    with zipfile.ZipFile(out) as package:
        versions = json.loads(package.read("text/versions.json"))
    assert versions and all(v["table"] == "telegram_post_versions" for v in versions)
    missing = world.kronika("evidence", "t.me/nosuchchannel/1", "--out", str(tmp_path / "none.wacz"))
    assert missing.exit_code == 1 and "no article, post or capture" in missing.output


def test_a_revisit_comes_with_its_original_response(world, tmp_path):
    out = tmp_path / "robots.wacz"
    done = world.kronika("evidence", "http://mirror.kronika.test/robots.txt", "--out", str(out),
                         "--sign", str(world.key_file), "--json")
    assert done.exit_code == 0, done.output
    assert verify_package(out, world.anchors()).ok
    from kronika.storage.warc.reader import scan

    with zipfile.ZipFile(out) as package:
        [warc] = [n for n in package.namelist() if n.startswith("archive/")]
        (tmp_path / "e.warc.gz").write_bytes(package.read(warc))
    records = list(scan(tmp_path / "e.warc.gz"))
    revisits = [r for r in records if r.rec_type == "revisit"]
    responses = {r.payload_digest for r in records if r.rec_type == "response"}
    assert revisits and all(r.payload_digest in responses for r in revisits)


# ------------------------------------------------------------------------------ tampering
def rewrite(source: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of a package with some members replaced (None: removed), as a valid ZIP file."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in changes and changes[info.filename] is None:
                continue
            new.writestr(info, changes.get(info.filename, old.read(info.filename)))
    return target


def members_of(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as archive:
        return archive.namelist()


def test_a_flipped_byte_in_any_member_is_detected_and_named(world, evidence, tmp_path):
    members = members_of(evidence)
    assert len(members) >= 10
    for member in members:
        with zipfile.ZipFile(evidence) as archive:
            data = bytearray(archive.read(member))
        data[len(data) // 2] ^= 0x01
        result = verify_package(rewrite(evidence, tmp_path / "t.wacz", {member: bytes(data)}), world.anchors())
        named = [c for c in result.failures if member in (c.member or "").split(", ")]
        assert named, (member, [(c.name, c.detail, c.member) for c in result.failures])


def test_a_flipped_byte_in_the_zip_file_itself_is_detected(world, evidence, tmp_path):
    data = bytearray(evidence.read_bytes())
    with zipfile.ZipFile(evidence) as archive:
        info = archive.getinfo(next(n for n in archive.namelist() if n.startswith("archive/")))
    data[info.header_offset + 200] ^= 0x01  # inside the stored WARC member's bytes
    (tmp_path / "t.wacz").write_bytes(bytes(data))
    assert not verify_package(tmp_path / "t.wacz", world.anchors()).ok


def _signed_data(package: Path) -> tuple[dict, dict]:
    with zipfile.ZipFile(package) as archive:
        digest = json.loads(archive.read("datapackage-digest.json"))
        return digest, json.loads(archive.read("datapackage.json"))


def test_a_swapped_key_is_detected(world, evidence, tmp_path):
    digest, _ = _signed_data(evidence)
    other = ec.generate_private_key(ec.SECP256R1())
    digest["signedData"]["publicKey"] = base64.b64encode(other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    swapped = rewrite(evidence, tmp_path / "t.wacz", {"datapackage-digest.json": json.dumps(digest).encode()})
    assert [c.name for c in verify_package(swapped, world.anchors(public_key=None)).failures] == [
        "signature over the digest"]
    # re-signed whole with another key: valid on its own, but not the key the verifier expects
    (tmp_path / "other.pem").write_bytes(key_pem(other))
    resigned = tmp_path / "resigned.wacz"
    assert world.kronika("evidence", ARTICLE, "--out", str(resigned), "--sign", str(tmp_path / "other.pem")).exit_code == 0
    assert verify_package(resigned, world.anchors(public_key=None)).ok
    assert [c.name for c in verify_package(resigned, world.anchors()).failures] == ["signing key is the expected key"]


def test_a_token_over_other_data_is_detected(world, evidence, tmp_path):
    digest, _ = _signed_data(evidence)
    other = request_token(world.tsa.url, hashlib.sha256(b"some other signature").digest())
    digest["signedData"]["timeSignature"] = base64.b64encode(other.reply).decode()
    tampered = rewrite(evidence, tmp_path / "t.wacz", {"datapackage-digest.json": json.dumps(digest).encode()})
    failures = verify_package(tampered, world.anchors()).failures
    assert [c.name for c in failures] == ["token over the signature"] and "Mismatch" in failures[0].detail


def test_a_removed_log_entry_is_detected_even_when_the_insider_re_signs(world, evidence, tmp_path):
    with zipfile.ZipFile(evidence) as archive:
        lines = archive.read("custody/log.jsonl").decode().splitlines(keepends=True)
    removed = json.loads(lines[1])
    log_bytes = "".join(lines[:1] + lines[2:]).encode()
    digest, package = _signed_data(evidence)
    for resource in package["resources"]:
        if resource["path"] == "custody/log.jsonl":
            resource["hash"], resource["bytes"] = f"sha256:{hashlib.sha256(log_bytes).hexdigest()}", len(log_bytes)
    package_bytes = json.dumps(package, indent=2).encode()
    digest["hash"] = f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"
    timestamping = Timestamping(urls=[world.tsa.url], ca_bundle=str(world.tsa.ca_bundle))
    digest["signedData"] = sign_hash(digest["hash"], package["created"], world.key, timestamping)
    tampered = rewrite(evidence, tmp_path / "t.wacz", {"custody/log.jsonl": log_bytes, "datapackage.json": package_bytes,
                                                        "datapackage-digest.json": json.dumps(digest).encode()})
    failures = verify_package(tampered, world.anchors()).failures
    assert failures and all(c.name.startswith("custody") for c in failures), [(c.name, c.detail) for c in failures]
    assert any(f"entry {removed['seq']} missing" in c.detail for c in failures)


def test_a_token_far_from_created_is_detected(world, tmp_path):
    timestamping = Timestamping(urls=[world.tsa.url], ca_bundle=str(world.tsa.ca_bundle))
    out = tmp_path / "late.wacz"
    build_evidence(world.env, ARTICLE, out, sign=signer(world.key_file, timestamping),
                   created=datetime.now(timezone.utc) - timedelta(hours=1))
    failures = verify_package(out, world.anchors()).failures
    assert [c.name for c in failures] == ["token time within 10 minutes of created"]
    assert "3600 s apart" in failures[0].detail or " s apart" in failures[0].detail
