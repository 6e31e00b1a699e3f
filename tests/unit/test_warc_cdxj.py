"""The CDXJ index: line for line what the real `cdxj-indexer` writes, merged incrementally and sorted."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kronika.storage.warc.cdxj import (
    cdxj_lines,
    covered_files,
    index_records,
    merge_into,
    warc_timestamp,
)
from kronika.storage.warc.reader import scan
from kronika.storage.warc.writer import Revisit, RollingWarcWriter

from tests.unit.test_warc_writer import exchange

CDXJ_INDEXER = Path(sys.executable).parent / "cdxj-indexer"


def write_sample(directory: Path) -> Path:
    first = datetime(2026, 1, 2, 13, 5, 7, 123456, tzinfo=timezone.utc)
    with RollingWarcWriter(directory, "t", {"kronika-source": "test"}) as writer:
        writer.write_exchange(exchange(gzip_body=True, when=first), metadata={"kronikaRole": "article"})
        writer.write_exchange(exchange(url="http://WWW.News.example:80/b.html?z=1&a=2", when=first))
        writer.write_exchange(exchange(url="http://news.example/%D0%BD%D0%BE%D0%B2%D0%B8%D0%BD%D0%B8", when=first))
        writer.write_exchange(exchange(gzip_body=True, when=first + timedelta(hours=1)),
                              revisit=Revisit("http://news.example/a.html", first),
                              metadata={"kronikaRole": "article"})
    [path] = directory.glob("*.warc.gz")
    return path


def test_records_have_the_offsets_and_lengths_warcio_sees(tmp_path):
    path = write_sample(tmp_path)
    ours = [(r.rec_type, r.offset, r.length, r.record_id) for r in index_records(path)]
    reference = [(r.rec_type, r.offset, r.length, r.record_id) for r in scan(path)]
    assert ours == reference
    # given the open file, the last record ends where the file does (no stat), and the file is read out
    with open(path, "rb") as fh:
        assert [(r.rec_type, r.offset, r.length, r.record_id) for r in index_records(path, fh)] == reference
        assert fh.read() == b"" and fh.tell() == path.stat().st_size


def test_lines_are_what_cdxj_indexer_writes(tmp_path):
    path = write_sample(tmp_path)
    ours = sorted(cdxj_lines(index_records(path), path.name))
    out = subprocess.run([str(CDXJ_INDEXER), "--sort", path.name], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert "".join(ours) == out.stdout
    assert len(ours) == 4 and any('"mime": "warc/revisit"' in line for line in ours)


def test_merge_is_sorted_incremental_and_idempotent(tmp_path):
    index = tmp_path / "indexes" / "index.cdxj"
    merge_into(index, ["b 2 {}\n", "a 1 {}\n"], ["one.warc.gz"])
    merge_into(index, ["c 3 {}\n", "a 0 {}\n"], ["two.warc.gz"])
    merge_into(index, ["c 3 {}\n"], ["two.warc.gz"])  # an interrupted run, repeated
    assert index.read_text() == "a 0 {}\na 1 {}\nb 2 {}\nc 3 {}\n"
    assert covered_files(index) == {"one.warc.gz", "two.warc.gz"}
    assert not list(index.parent.glob("*.tmp"))


def test_timestamps():
    assert warc_timestamp("2026-01-02T13:05:07.123456Z") == "20260102130507"
    assert warc_timestamp("2026-01-02T13:05:07Z") == "20260102130507"
