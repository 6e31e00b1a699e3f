"""The WARC writer: standard records the real validators accept, rollover, revisits, crash repair."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kronika.storage.warc.reader import read_response, scan
from kronika.storage.warc.writer import (HttpExchange, Revisit, RollingWarcWriter, complete_members_end,
                                         payload_digest, repair_open_files)

WARCIO = [sys.executable, "-m", "warcio.cli"]


def exchange(url="http://news.example/a.html", body=b"<html>hello</html>", gzip_body=False, when=None):
    wire = gzip.compress(body) if gzip_body else body
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(wire)))]
    if gzip_body:
        headers.append(("Content-Encoding", "gzip"))
    return HttpExchange(url=url, method="GET", request_target="/a.html",
                        request_headers=[("Host", "news.example"), ("Accept-Encoding", "gzip")],
                        request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                        response_headers=headers, response_body=wire,
                        captured_at=when or datetime.now(timezone.utc), ip_address="93.184.216.34")


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*WARCIO, "check", "-v", str(path)], capture_output=True, text=True)


def test_records_are_standard_and_linked(tmp_path):
    with RollingWarcWriter(tmp_path, "kronika-test", {"kronika-source": "test"}) as writer:
        written = writer.write_exchange(exchange(gzip_body=True), metadata={"kronikaRole": "article"})
        assert writer.current_path is not None
        assert list(tmp_path.glob("*.warc.gz.open")), "an unfinished file carries .open"
    [path] = list(tmp_path.glob("*.warc.gz"))
    assert not list(tmp_path.glob("*.open"))
    assert path.name.startswith("kronika-test-") and path == written.path
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr

    records = list(scan(path))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "metadata"]
    warcinfo, response, request, metadata = records
    assert warcinfo.fields["kronika-source"] == ["test"] and warcinfo.fields["software"][0].startswith("Kronika/")
    assert request.concurrent_to == response.record_id == metadata.concurrent_to
    assert response.offset == written.offset and response.length == written.length
    assert metadata.fields["kronikaRole"] == ["article"]
    # every record is its own gzip member: the offset alone opens it
    stored = read_response(path, written.offset)
    assert stored.raw_body[:2] == b"\x1f\x8b", "the body is archived as it came over the wire"
    assert stored.body == b"<html>hello</html>"
    assert response.payload_digest == payload_digest(stored.raw_body)
    head = path.read_bytes()
    with gzip.open(path) as fh:
        assert fh.read(9) == b"WARC/1.1\r"
    assert b"WARC-IP-Address" in gzip.decompress(head)


def test_revisit_refers_to_the_original(tmp_path):
    first_at = datetime(2026, 1, 2, 13, 5, tzinfo=timezone.utc)
    with RollingWarcWriter(tmp_path, "t", {}) as writer:
        writer.write_exchange(exchange(when=first_at))
        written = writer.write_exchange(exchange(when=first_at + timedelta(hours=1)),
                                        revisit=Revisit("http://news.example/a.html", first_at))
    assert written.record_type == "revisit"
    [path] = list(tmp_path.glob("*.warc.gz"))
    assert warcio_check(path).returncode == 0
    revisit = [r for r in scan(path) if r.rec_type == "revisit"][0]
    assert revisit.refers_to_url == "http://news.example/a.html"
    assert revisit.refers_to_date == first_at
    assert revisit.payload_digest == payload_digest(b"<html>hello</html>")
    assert read_response(path, revisit.offset).raw_body == b"", "a revisit stores headers, not the payload again"


def test_rollover_at_size_limit(tmp_path):
    with RollingWarcWriter(tmp_path, "t", {}, max_size=2_000) as writer:
        for number in range(12):
            writer.write_exchange(exchange(url=f"http://news.example/{number}", body=bytes(range(256)) * 8))
    paths = sorted(tmp_path.glob("*.warc.gz"))
    assert len(paths) > 3
    serials = [p.name.split("-")[2] for p in paths]
    assert serials == sorted(serials) and len(set(serials)) == len(serials)
    for path in paths:
        records = list(scan(path))
        assert records[0].rec_type == "warcinfo", "every file starts with warcinfo"
        assert warcio_check(path).returncode == 0
    urls = [r.url for p in paths for r in scan(p) if r.rec_type == "response"]
    assert urls == [f"http://news.example/{n}" for n in range(12)]


@pytest.mark.parametrize("cut", [1, 7, 100])
def test_repair_truncates_a_killed_file_to_its_last_complete_record(tmp_path, cut):
    writer = RollingWarcWriter(tmp_path, "t", {})
    for number in range(3):
        writer.write_exchange(exchange(url=f"http://news.example/{number}"))
    writer._fh.flush()
    open_path = writer._open_path
    complete = open_path.stat().st_size
    writer._fh.close()  # like SIGKILL: no close(), no rename
    with open(open_path, "ab") as fh:  # the start of a record that never finished
        fh.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(500))[:cut])
    assert complete_members_end(open_path) == complete
    [repaired] = repair_open_files([tmp_path])
    assert not open_path.exists() and repaired.stat().st_size == complete
    assert warcio_check(repaired).returncode == 0
    assert [r.url for r in scan(repaired) if r.rec_type == "response"] == [
        f"http://news.example/{n}" for n in range(3)]


def test_repair_drops_a_file_with_no_complete_record(tmp_path):
    path = tmp_path / "t-20260101000000000-00001-host.warc.gz.open"
    path.write_bytes(gzip.compress(b"WARC/1.1\r\n" * 50)[:20])
    assert repair_open_files([tmp_path]) == []
    assert not path.exists()


def test_cdxj_indexer_agrees_on_offsets(tmp_path):
    with RollingWarcWriter(tmp_path, "t", {}) as writer:
        written = [writer.write_exchange(exchange(url=f"http://news.example/{n}")) for n in range(3)]
    [path] = list(tmp_path.glob("*.warc.gz"))
    out = subprocess.run([sys.executable, "-m", "cdxj_indexer.main", str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        out = subprocess.run(["cdxj-indexer", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    lines = [json.loads(line.split(" ", 2)[2]) for line in out.stdout.splitlines() if '"response"' in line
             or '"mime"' in line]
    responses = {(int(entry["offset"]), int(entry["length"])) for entry in lines if entry.get("status") == "200"}
    assert {(w.offset, w.length) for w in written} <= responses


def test_an_already_compressed_body_is_stored_not_deflated_again(tmp_path):
    # the response record of a gzip-encoded body is a "stored" gzip member (deflate block type 00):
    # about as long as the record itself; a plain body is deflated as usual. Both read back whole.
    text = b"<html><body>" + b"<p>The council met and decided nothing at length.</p>" * 200 + b"</body></html>"
    with RollingWarcWriter(tmp_path, "t", {}) as writer:
        encoded = writer.write_exchange(exchange(url="http://news.example/gz.html", body=text, gzip_body=True))
        plain = writer.write_exchange(exchange(url="http://news.example/plain.html", body=text))
        path = writer.current_path
    data = path.read_bytes()
    for written in (encoded, plain):
        member = data[written.offset:written.offset + written.length]
        assert gzip.decompress(member).startswith(b"WARC/1.1\r\n")
    stored = data[encoded.offset:encoded.offset + encoded.length]
    assert stored[10] & 0b110 == 0, "BTYPE of the first deflate block: 00 = stored"
    assert encoded.length > len(gzip.decompress(stored)), "a stored member is a little longer than its content"
    assert plain.length < len(text) / 5, "a plain body is still compressed"
    assert read_response(path, encoded.offset).body == text
    assert warcio_check(path).returncode == 0
