"""The archive on an object store: KRONIKA_ARCHIVE_DIR=s3://bucket/prefix against a local moto server.

Crawls write WARC files into the local spool and upload each closed file; `index`, `extract`,
`get`, `verify`, `wacz` and `replay`'s copy read them back from the bucket. The server is moto's
server mode started by the test (a real HTTP S3 endpoint on loopback, not an in-process mock).
"""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from kronika.cli import main
from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.settings import Environment, load_config
from kronika.steps.crawl import CrawlFailed
from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc.paths import archive_root, is_remote
from tests.integration.helpers import assert_database_matches_mirror, row_counts
from tests.support.s3 import S3Unavailable, fresh_filesystem, s3_server
from tests.support.warc import assert_warcio_check

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "kronika-archive"
SOURCE = "riverside-herald"


@pytest.fixture
def s3(monkeypatch):
    with ExitStack() as stack:
        try:
            environ = stack.enter_context(s3_server())
        except S3Unavailable as exc:
            pytest.skip(str(exc))
        stack.callback(fresh_filesystem)  # forget the instance bound to this server
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        fs = fresh_filesystem()
        fs.mkdir(BUCKET)
        yield {"fs": fs, "environ": environ}


@pytest.fixture
def remote_env(s3, tmp_path, monkeypatch, mirror):
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}",
                      archive_dir=f"s3://{BUCKET}/archive", spool_dir=tmp_path / "spool")
    environ = {**s3["environ"], "KRONIKA_DATABASE_URL": env.database_url,
               "KRONIKA_ARCHIVE_DIR": str(env.archive_dir), "KRONIKA_SPOOL_DIR": str(env.spool_dir),
               "KRONIKA_MIRROR_PROXY": mirror.url, "KRONIKA_CONFIG": str(ROOT / "config" / "demo.yaml")}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return {"env": env, "environ": environ, "fs": s3["fs"], "mirror": mirror, "tmp": tmp_path}


def _objects(fs, pattern: str) -> list[str]:
    fs.invalidate_cache()
    return sorted(fs.glob(f"{BUCKET}/archive/{pattern}"))


def _cli(remote, *args):
    return CliRunner().invoke(main, list(args), env=remote["environ"], catch_exceptions=False)


def test_archive_dir_may_be_a_directory_or_an_object_store_url(tmp_path):
    assert archive_root("data/archive") == Path("data/archive")
    assert archive_root(f"file://{tmp_path}") == tmp_path
    remote = archive_root("s3://bucket/prefix")
    assert is_remote(remote) and str(remote) == "s3://bucket/prefix"
    assert str(Environment("sqlite://", "s3://bucket/prefix").archive_dir / "src") == "s3://bucket/prefix/src"


def test_crawls_publish_warc_files_to_the_bucket_and_every_reader_reads_them_back(remote_env):
    env, fs = remote_env["env"], remote_env["fs"]
    config = load_config()
    for source in config.sources:
        run_source(source, env)
    assert_database_matches_mirror(env.database_url)

    # every closed WARC file is in the bucket, listed in warc_files, and gone from the spool
    objects = _objects(fs, "*/*.warc.gz")
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        rows = {row.path: row for row in session.scalars(select(WarcFile))}
    assert {name.split("/archive/", 1)[1] for name in objects} == set(rows)
    assert not list(env.spool_dir.glob("*/*.warc.gz*")), "the spool keeps no WARC file after upload"
    for name in objects:
        assert fs.size(name) == rows[name.split("/archive/", 1)[1]].size
    assert _objects(fs, f"{SOURCE}/indexes/index.cdxj"), "the collection's CDXJ index is in the bucket"

    # the files in the bucket are valid WARC (warcio's own check, on downloaded copies)
    local = remote_env["tmp"] / "downloaded"
    local.mkdir()
    for name in objects:
        fs.get_file(name, str(local / Path(name).name))
    assert_warcio_check(*sorted(local.iterdir()))

    # get: the article's text, read from its record in the bucket
    expected = [a for a in remote_env["mirror"].site.expected_articles(VIRTUAL_BASE_URL) if a.outlet == "herald"][0]
    got = _cli(remote_env, "get", expected.url, "--json")
    assert got.exit_code == 0, got.output
    assert " ".join(expected.paragraphs[0].split()) in " ".join(json.loads(got.stdout)["text"].split())

    # status sizes the archive from the bucket
    status = json.loads(_cli(remote_env, "status", "--json").stdout)
    in_bucket = sum(fs.size(name) for name in _objects(fs, "*/*"))
    assert status["archive"]["dir"] == f"s3://{BUCKET}/archive" and status["archive"]["bytes"] >= in_bucket > 0

    # index again: nothing new; extract everything again from the bucket, with two workers: same rows
    counts = row_counts(env.database_url)
    again = _cli(remote_env, "index", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["files"] == []
    extract(env, all_files=True, workers=2)
    assert row_counts(env.database_url) == counts

    # verify reads every byte back from the bucket, and catches a changed object
    clean = _cli(remote_env, "verify", "--json")
    assert clean.exit_code == 0, clean.output
    report = json.loads(clean.stdout)
    assert report["ok"] and report["files"] == len(objects) and report["digests_checked"] > report["records"]
    with unit_of_work(engine) as session:
        capture = session.scalars(select(Capture).where(Capture.url == expected.url)).first()
        relative = session.get(WarcFile, capture.warc_file_id).path
    data = bytearray(fs.cat_file(f"{BUCKET}/archive/{relative}"))
    data[capture.offset + capture.length // 2] ^= 0x01
    fs.pipe_file(f"{BUCKET}/archive/{relative}", bytes(data))
    broken = _cli(remote_env, "verify", "--json")
    assert broken.exit_code == 1
    problems = json.loads(broken.stdout)["problems"]
    assert any(p["file"] == relative and p["offset"] == capture.offset for p in problems), problems


def test_wacz_and_replay_copy_read_from_the_bucket(remote_env, tmp_path):
    env, fs = remote_env["env"], remote_env["fs"]
    run_source(load_config().source(SOURCE), env)
    out = tmp_path / "herald.wacz"
    packaged = _cli(remote_env, "wacz", str(out), "--source", SOURCE)
    assert packaged.exit_code == 0, packaged.output
    validate = subprocess.run([str(Path(sys.executable).parent / "wacz"), "validate", "-f", str(out)],
                              capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr

    from kronika.storage.warc import replay

    copy = replay.local_copy(env.archive_dir, tmp_path / "replay")
    assert sorted(p.name for p in (copy / SOURCE).glob("*.warc.gz")) == sorted(
        Path(name).name for name in _objects(fs, f"{SOURCE}/*.warc.gz"))
    assert replay.collections(copy)[SOURCE]["archive_paths"].startswith(str((copy / SOURCE).resolve()))


def test_a_failed_upload_keeps_the_file_and_the_next_crawl_publishes_it(remote_env):
    env, fs = remote_env["env"], remote_env["fs"]
    source = load_config().source(SOURCE)
    fs.rm(BUCKET, recursive=True)  # the bucket is gone: every upload fails
    with pytest.raises(CrawlFailed, match=r"cannot upload riverside-herald/.*\.warc\.gz to s3://"):
        run_source(source, env)
    kept = sorted(p.name for p in (env.spool_dir / SOURCE).glob("*.warc.gz"))
    assert len(kept) == 1, "the closed file stays in the spool"

    fs.mkdir(BUCKET)
    run_source(source, env)
    uploaded = [Path(name).name for name in _objects(fs, f"{SOURCE}/*.warc.gz")]
    assert kept[0] in uploaded and len(uploaded) == 2
    assert not list((env.spool_dir / SOURCE).glob("*.warc.gz"))
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(WarcFile)) == 2
