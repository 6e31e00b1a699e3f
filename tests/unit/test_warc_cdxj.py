"""The CDXJ index: line for line what the real `cdxj-indexer` writes, merged incrementally and sorted."""
from __future__ import annotations

import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kronika.storage.warc.cdxj import (
    LineSorter,
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
    merge_into(index, ["a 1 {}\n", "b 2 {}\n"], ["one.warc.gz"])
    merge_into(index, ["a 0 {}\n", "c 3 {}\n"], ["two.warc.gz"])
    merge_into(index, ["c 3 {}\n"], ["two.warc.gz"])  # an interrupted run, repeated
    assert index.read_text() == "a 0 {}\na 1 {}\nb 2 {}\nc 3 {}\n"
    assert covered_files(index) == {"one.warc.gz", "two.warc.gz"}
    assert not list(index.parent.glob("*.tmp"))


def test_line_sorter_spills_sorted_runs_and_merges_them(tmp_path):
    rng = random.Random(7)
    lines = [f"{rng.randrange(10**6):07d} {i} {{}}\n" for i in range(1000)] + ["dup\n", "dup\n"]
    with LineSorter(run_lines=50, max_runs=4) as sorter:
        sorter.extend(lines[:500])
        sorter.extend(lines[500:])
        # 1002 lines, 50 in memory at a time: runs were written and folded, never more than four
        assert 1 <= sorter.runs <= 4 and sorter.count == len(lines)
        assert list(sorter.merged()) == sorted(lines)  # duplicates kept: merge_into drops them
    assert sorter.runs == 0


def test_index_of_a_backlog_is_the_same_when_its_lines_spill(tmp_path, monkeypatch):
    path = write_sample(tmp_path)
    lines = cdxj_lines(index_records(path), path.name) * 3
    whole = tmp_path / "whole" / "index.cdxj"
    merge_into(whole, sorted(lines), ["a.warc.gz"])
    spilled = tmp_path / "spilled" / "index.cdxj"
    with LineSorter(run_lines=2) as sorter:
        sorter.extend(lines)
        assert sorter.runs >= 2
        merge_into(spilled, sorter.merged(), ["a.warc.gz"])
    assert spilled.read_text() == whole.read_text() == "".join(sorted(set(lines)))


def test_timestamps():
    assert warc_timestamp("2026-01-02T13:05:07.123456Z") == "20260102130507"
    assert warc_timestamp("2026-01-02T13:05:07Z") == "20260102130507"
