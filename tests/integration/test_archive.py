"""The archive as an archivist uses it, on real crawls of the mirror: warcinfo and digests, the CDXJ
index against the real `cdxj-indexer`, `kronika get`, `kronika verify` (a flipped byte is caught),
`kronika wacz` checked by the real `wacz validate`, and `kronika replay` through a real pywb."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kronika.cli import main
from kronika.mirror.server import VIRTUAL_BASE_URL, MirrorServer
from kronika.settings import Environment, load_config
from kronika.steps.index import index
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc import replay as pywb
from kronika.storage.warc.cdxj import collection_index, covered_files
from kronika.storage.warc.reader import scan
from tests.integration.helpers import assert_warcio_check_passes, warc_files

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "riverside-herald"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """riverside-herald crawled twice (the second run's unchanged pages are revisits), indexed, extracted."""
    root = tmp_path_factory.mktemp("archive")
    env = Environment(database_url=f"sqlite:///{root / 'kronika.db'}", archive_dir=root / "archive")
    with MirrorServer(port=0) as mirror, pytest.MonkeyPatch.context() as patch:
        patch.setenv("KRONIKA_MIRROR_PROXY", mirror.url)
        patch.setenv("KRONIKA_CONFIG", str(ROOT / "config" / "demo.yaml"))
        patch.setenv("KRONIKA_DATABASE_URL", env.database_url)
        patch.setenv("KRONIKA_ARCHIVE_DIR", str(env.archive_dir))
        source = load_config().source(SOURCE)
        first = run_source(source, env)
        second = run_source(source, env)
        yield {"env": env, "root": root, "site": mirror.site, "runs": (first, second),
               "environ": {"KRONIKA_DATABASE_URL": env.database_url, "KRONIKA_ARCHIVE_DIR": str(env.archive_dir)}}


def article(archive):
    """One mirror article of the herald, with a paragraph to look for."""
    expected = [a for a in archive["site"].expected_articles(VIRTUAL_BASE_URL) if a.outlet == "herald"]
    return expected[0]


def captures_of(env, url):
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        return list(session.scalars(select(Capture).where(Capture.url == url).order_by(Capture.captured_at)))


def cli(archive, *args):
    return CliRunner().invoke(main, list(args), env=archive["environ"], catch_exceptions=False)


# -- writing -----------------------------------------------------------------------------
def test_every_file_starts_with_a_complete_warcinfo_and_every_record_has_its_digests(archive):
    env = archive["env"]
    files = warc_files(env.archive_dir)
    assert len(files) == 2
    assert_warcio_check_passes(env.archive_dir)
    run_ids = {run.crawl.run_id for run in archive["runs"]}
    for path in files:
        records = list(scan(path))
        info = records[0]
        assert info.rec_type == "warcinfo"
        fields = {k: v[0] for k, v in info.fields.items()}
        assert fields["software"].startswith("Kronika/") and fields["format"] == "WARC File Format 1.1"
        assert fields["hostname"] and fields["kronika-source"] == SOURCE == fields["isPartOf"]
        assert fields["robots"] == "obey" and fields["kronika-crawl-run"] in run_ids
        assert "Scrapy/" in fields["http-client"]
        for record in records[1:]:
            assert record.payload_digest and record.payload_digest.startswith("sha1:"), record
    # the second run found every payload unchanged: revisits pointing at the first run's records
    second = [r for r in scan(files[1]) if r.rec_type in ("response", "revisit")]
    assert second and all(r.rec_type == "revisit" for r in second if r.status == 200)


# -- index ---------------------------------------------------------------------------------
def test_cdxj_index_is_what_cdxj_indexer_writes_and_is_incremental(archive, monkeypatch):
    env = archive["env"]
    source_dir = env.archive_dir / SOURCE
    index_path = collection_index(source_dir)
    ours = index_path.read_text(encoding="utf-8").splitlines()
    files = sorted(p.name for p in source_dir.glob("*.warc.gz"))
    reference = subprocess.run([str(BIN / "cdxj-indexer"), "--sort", *files], cwd=source_dir,
                               capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(reference) > 20
    assert ours == reference, "same records, offsets, lengths and urlkeys, in the same order"
    assert covered_files(index_path) == set(files)

    before = index_path.read_bytes()
    again = index(env, SOURCE)
    assert again.files == [] and again.cdxj_lines == 0 and index_path.read_bytes() == before

    # an index lost from disk is rebuilt from the files alone (the database already has them)
    index_path.unlink()
    covered = index_path.with_name(index_path.name + ".files")
    covered.unlink()
    rebuilt = index(env, SOURCE)
    assert rebuilt.files == [] and index_path.read_bytes() == before

    # and rebuilt the same when its lines are sorted on disk: three in memory, runs folded at two
    import kronika.storage.warc.cdxj as cdxj_module

    monkeypatch.setattr(cdxj_module, "RUN_LINES", 3)
    monkeypatch.setattr(cdxj_module, "MAX_RUNS", 2)
    index_path.unlink()
    covered.unlink()
    spilled = index(env, SOURCE)
    assert spilled.cdxj_lines == len(reference) and index_path.read_bytes() == before


# -- get -------------------------------------------------------------------------------------
def test_get_prints_the_closest_capture_and_a_revisit_with_its_original_payload(archive):
    expected = article(archive)
    captures = captures_of(archive["env"], expected.url)
    assert [c.record_type for c in captures] == ["response", "revisit"]
    first, second = captures
    paragraph = " ".join(expected.paragraphs[0].split())

    newest = cli(archive, "get", expected.url)
    assert newest.exit_code == 0, newest.output
    assert paragraph in " ".join(newest.stdout.split()), "a revisit shows the payload of its original"

    as_json = json.loads(cli(archive, "get", expected.url, "--json").stdout)
    assert as_json["capture"]["record_type"] == "revisit"
    assert as_json["payload_from"]["record_id"] == first.record_id
    assert paragraph in " ".join(as_json["text"].split())

    at_first = json.loads(cli(archive, "get", expected.url, "--at", first.captured_at.isoformat(), "--json").stdout)
    assert at_first["capture"]["record_id"] == first.record_id and at_first["payload_from"] is None
    assert json.loads(cli(archive, "get", expected.url, "--at", "2999", "--json").stdout)[
        "capture"]["record_id"] == second.record_id

    # SURT-equivalent forms of the URL: case, default port, and the SURT key itself
    host_upper = expected.url.replace("mirror.kronika.test", "MIRROR.Kronika.test:80")
    for form in (host_upper, first.surt):
        found = json.loads(cli(archive, "get", form, "--json").stdout)
        assert found["capture"]["url"] == expected.url, form

    headers = cli(archive, "get", expected.url, "--headers").stdout_bytes
    assert headers.startswith(b"HTTP/1.1 200") and b"\r\nContent-Type: text/html" in headers
    raw = cli(archive, "get", expected.url, "--at", first.captured_at.isoformat(), "--raw").stdout_bytes
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == _raw_body(archive, first)

    missing = cli(archive, "get", "http://mirror.kronika.test/never/captured")
    assert missing.exit_code == 1 and "no captures" in missing.stderr


def _raw_body(archive, capture):
    from kronika.storage.warc.reader import read_response

    engine = open_database(archive["env"].database_url)
    with unit_of_work(engine) as session:
        path = session.get(WarcFile, capture.warc_file_id).path
    return read_response(archive["env"].archive_dir / path, capture.offset).raw_body


# -- verify ------------------------------------------------------------------------------------
def test_verify_passes_on_the_archive_and_catches_one_flipped_byte(archive, tmp_path):
    clean = cli(archive, "verify", "--json")
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.stdout)
    assert report["ok"] and report["files"] == 2 and report["digests_checked"] > report["records"]
    engine = open_database(archive["env"].database_url)
    with unit_of_work(engine) as session:
        assert all(row.verified_at is not None for row in session.scalars(select(WarcFile)))

    # a copy of the archive and its database, with one byte of an article's body flipped
    copy = tmp_path / "copy"
    shutil.copytree(archive["root"], copy, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    _checkpoint(archive["env"].database_url, copy / "kronika.db")
    environ = {"KRONIKA_DATABASE_URL": f"sqlite:///{copy / 'kronika.db'}", "KRONIKA_ARCHIVE_DIR": str(copy / "archive")}
    expected = article(archive)
    first = captures_of(archive["env"], expected.url)[0]
    with unit_of_work(engine) as session:
        relative = session.get(WarcFile, first.warc_file_id).path
    target = copy / "archive" / relative
    data = bytearray(target.read_bytes())
    flip_at = first.offset + first.length // 2
    data[flip_at] ^= 0x01
    target.write_bytes(bytes(data))

    broken = CliRunner().invoke(main, ["verify", "--json"], env=environ, catch_exceptions=False)
    assert broken.exit_code == 1
    problems = json.loads(broken.stdout)["problems"]
    at_record = [p for p in problems if p["offset"] == first.offset]
    assert at_record and at_record[0]["file"] == relative and at_record[0]["url"] == expected.url
    assert any("sha256" in p["problem"] and p["file"] == relative for p in problems)
    human = CliRunner().invoke(main, ["verify", "--source", SOURCE], env=environ, catch_exceptions=False)
    assert human.exit_code == 1 and "FAILED" in human.stdout


def _checkpoint(database_url: str, target: Path) -> None:
    """Copy the SQLite database consistently (its WAL folded in) with SQLite's backup API."""
    import sqlite3

    source = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    destination = sqlite3.connect(target)
    source.backup(destination)
    destination.close()
    source.close()


# -- wacz ----------------------------------------------------------------------------------------
def test_wacz_package_is_accepted_by_wacz_validate(archive, tmp_path):
    out = tmp_path / "herald.wacz"
    made = cli(archive, "wacz", str(out), "--source", SOURCE, "--json")
    assert made.exit_code == 0, made.output
    validate = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True)
    assert validate.returncode == 0 and "Validation succeeded" in validate.stdout, validate.stdout + validate.stderr

    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx", "pages/pages.jsonl"} <= names
        for info in wacz.infolist():
            if info.filename.startswith("archive/"):
                assert info.compress_type == zipfile.ZIP_STORED, "WARCs are stored, so readers can seek"
        package = json.loads(wacz.read("datapackage.json"))
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()]
        index_lines = wacz.read("indexes/index.cdx").decode().splitlines()
    assert package["wacz_version"] == "1.1.1"
    assert {f"archive/{p.name}" for p in warc_files(archive["env"].archive_dir)} <= {r["path"] for r in package["resources"]}
    assert pages[0]["format"] == "json-pages-1.0"
    expected = {a.url: a.title for a in archive["site"].expected_articles(VIRTUAL_BASE_URL) if a.outlet == "herald"}
    titled = {p["url"]: p.get("title") for p in pages[1:]}
    assert set(expected) <= set(titled) and all(titled[url] == title for url, title in expected.items())
    assert index_lines == collection_index(archive["env"].archive_dir / SOURCE).read_text().splitlines()

    # --since after the first run: only the second run's captures are pages, its file and the originals its
    # revisits point at go in
    second_started = min(c.captured_at for c in _all_captures(archive) if c.crawl_run_id == archive["runs"][1].crawl.run_id)
    later = tmp_path / "later.wacz"
    assert cli(archive, "wacz", str(later), "--since", second_started.isoformat()).exit_code == 0
    with zipfile.ZipFile(later) as wacz:
        later_pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert later_pages and len(later_pages) < len(pages) - 1
    assert all(p["ts"] >= second_started.strftime("%Y-%m-%dT%H:%M:%SZ") for p in later_pages)


def _all_captures(archive):
    engine = open_database(archive["env"].database_url)
    with unit_of_work(engine) as session:
        return list(session.scalars(select(Capture)))


# -- replay ----------------------------------------------------------------------------------------
def _wayback() -> Path:
    try:
        return pywb.find_wayback()
    except pywb.PywbMissing:
        # created on demand, as `make test` does: pywb cannot share Airflow's virtualenv
        subprocess.run(["make", "-C", str(ROOT), "pywb"], check=True, capture_output=True)
        return pywb.find_wayback()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_replay_serves_a_captured_article_through_pywb(archive, tmp_path):
    wayback = _wayback()
    expected = article(archive)
    first = captures_of(archive["env"], expected.url)[0]
    port = _free_port()
    log = open(tmp_path / "replay.log", "wb")
    # the command a user runs, as a process of its own, stopped the way a service manager stops it
    process = subprocess.Popen([str(BIN / "kronika"), "replay", "--port", str(port)],
                               env={**os.environ, **archive["environ"], "KRONIKA_PYWB": str(wayback)},
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/{SOURCE}"
        body = _fetch_when_up(f"{base}/{first.captured_at.strftime('%Y%m%d%H%M%S')}/{expected.url}", process)
        text = " ".join(body.decode("utf-8", "replace").split())
        assert " ".join(expected.paragraphs[0].split()) in text, text[:2000]
        assert expected.title in text
        # a timestamp prefix finds the closest capture (pywb redirects to it)
        near = _fetch_when_up(f"{base}/{first.captured_at.strftime('%Y')}/{expected.url}", process)
        assert " ".join(expected.paragraphs[0].split()) in " ".join(near.decode("utf-8", "replace").split())
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert process.returncode == 0, (tmp_path / "replay.log").read_text(errors="replace")[-2000:]


def _fetch_when_up(url: str, process, deadline: float = 90.0) -> bytes:
    started = time.monotonic()
    last_error = None
    while time.monotonic() - started < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pywb exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"pywb answered {exc.code} for {url}: {exc.read()[:500]!r}") from None
        except OSError as exc:  # not listening yet
            last_error = exc
            time.sleep(0.5)
    raise AssertionError(f"pywb did not answer within {deadline}s: {last_error}")

