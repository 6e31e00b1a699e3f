"""`verify_file`: recomputes every record's block and payload digests and the file's sha256."""
from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

from kronika.storage.warc.cdxj import index_records
from kronika.storage.warc.verify import digest_matches, verify_file
from kronika.storage.warc.writer import RollingWarcWriter, payload_digest
from tests.unit.test_warc_writer import exchange


def write(directory: Path) -> Path:
    with RollingWarcWriter(directory, "t", {}) as writer:
        for number in range(3):
            writer.write_exchange(exchange(url=f"http://news.example/{number}", body=b"<p>%d</p>" % number * 50),
                                  metadata={"kronikaRole": "article"})
    [path] = directory.glob("*.warc.gz")
    return path


def response_at(path: Path, number: int):
    return [r for r in index_records(path) if r.rec_type == "response"][number]


def test_a_clean_file_passes_with_every_digest_checked(tmp_path):
    path = write(tmp_path)
    check = verify_file(path)
    assert check.problems == []
    assert check.records == 10  # warcinfo + 3 x (response, request, metadata)
    assert check.digests_checked == 1 + 3 * 6  # warcinfo's block; block and payload of the others
    assert check.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and check.size == path.stat().st_size


def test_a_changed_body_in_a_valid_gzip_member_fails_both_digests(tmp_path):
    path = write(tmp_path)
    target = response_at(path, 1)
    data = path.read_bytes()
    record = gzip.decompress(data[target.offset: target.offset + target.length])
    changed = record.replace(b"<p>1</p>", b"<p>7</p>", 1)
    assert changed != record
    path.write_bytes(data[:target.offset] + gzip.compress(changed) + data[target.offset + target.length:])
    problems = verify_file(path).problems
    assert {p.problem.split(" (")[0] for p in problems} == {"WARC-Block-Digest mismatch", "WARC-Payload-Digest mismatch"}
    assert {(p.offset, p.url) for p in problems} == {(target.offset, "http://news.example/1")}


def test_a_flipped_compressed_byte_is_caught_at_its_record(tmp_path):
    # incompressible bodies (as gzip-encoded pages are): the middle of a record's member is its body,
    # so the flip spares the headers the report names the URL from
    with RollingWarcWriter(tmp_path, "t", {}) as writer:
        for number in range(3):
            writer.write_exchange(exchange(url=f"http://news.example/{number}", body=os.urandom(4000)))
    [path] = tmp_path.glob("*.warc.gz")
    target = response_at(path, 2)
    data = bytearray(path.read_bytes())
    data[target.offset + target.length // 2] ^= 0x40
    path.write_bytes(bytes(data))
    [problem] = verify_file(path).problems
    assert problem.offset == target.offset and problem.url == "http://news.example/2"
    assert "corrupt gzip member" in problem.problem


def test_a_truncated_file_is_caught(tmp_path):
    path = write(tmp_path)
    path.write_bytes(path.read_bytes()[:-10])
    problems = verify_file(path).problems
    assert problems and "truncated" in problems[-1].problem


def test_digest_forms():
    body = b"hello"
    assert digest_matches(payload_digest(body), body) is True
    assert digest_matches(payload_digest(body), body + b"!") is False
    assert digest_matches("sha256:" + hashlib.sha256(body).hexdigest(), body) is True
    assert digest_matches("nosuch:abc", body) is None


