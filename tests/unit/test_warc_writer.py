"""The WARC writer: standard records the real validators accept, rollover, revisits, crash repair."""
from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kronika.storage.warc.reader import read_response, scan
from kronika.storage.warc.writer import (
    HttpExchange,
    Revisit,
    RollingWarcWriter,
    complete_members_end,
    payload_digest,
    repair_open_files,
)
from tests.support.warc import warcio_check


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


def _warcio_records(data: bytes) -> list:
    from warcio.archiveiterator import ArchiveIterator

    records = []
    for record in ArchiveIterator(io.BytesIO(data)):
        records.append((record.rec_type, dict(record.rec_headers.headers),
                        record.http_headers.headers if record.http_headers else None,
                        record.http_headers.statusline if record.http_headers else None,
                        record.content_stream().read()))
    return records


def test_records_match_what_warcios_own_builder_writes(tmp_path):
    """Our serialiser against warcio's generic builder, record type by record type, on the same
    exchange: the same WARC headers (but the random record IDs) and the same HTTP blocks. The
    one deliberate difference: the request line carries the HTTP version ("GET / HTTP/1.1"), which
    warcio's builder drops."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    when = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    original = exchange(gzip_body=True, when=when)
    # a non-ASCII header value: both percent-encode it (RFC 8187)
    original = replace(original, response_headers=[*original.response_headers,
                                                   ("Content-Disposition", 'inline; filename="Звіт.pdf"'.encode().decode("latin-1"))])
    metadata = {"kronikaRole": "article", "via": "http://news.example/"}
    with RollingWarcWriter(tmp_path, "t", {"kronika-source": "test"}) as writer:
        writer.write_exchange(original, metadata=metadata)
        writer.write_exchange(original, revisit=Revisit("http://news.example/a.html", when), metadata=metadata)
        path = writer.current_path
    ours = _warcio_records(path.read_bytes())

    buffer = io.BytesIO()
    builder = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    ours_info = ours[0][1]
    buffer.write(b"")
    builder.write_record(builder.create_warcinfo_record(ours_info["WARC-Filename"], _fields_of(path)))
    date = "2026-03-01T12:00:00.123456Z"
    for revisit in (False, True):
        http = StatusAndHeaders("200 OK", list(original.response_headers), protocol="HTTP/1.1")
        headers = {"WARC-Date": date, "WARC-IP-Address": "93.184.216.34"}
        if revisit:
            response = builder.create_revisit_record(original.url, payload_digest(original.response_body),
                                                     "http://news.example/a.html", date, http_headers=http,
                                                     warc_headers_dict=headers)
        else:
            headers["WARC-Payload-Digest"] = payload_digest(original.response_body)
            response = builder.create_warc_record(original.url, "response", payload=io.BytesIO(original.response_body),
                                                  length=len(original.response_body), http_headers=http,
                                                  warc_headers_dict=headers)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request = builder.create_warc_record(
            original.url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders("GET /a.html", list(original.request_headers), protocol="HTTP/1.1",
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        body = b"kronikaRole: article\r\nvia: http://news.example/\r\n"
        meta = builder.create_warc_record(original.url, "metadata", payload=io.BytesIO(body), length=len(body),
                                          warc_content_type="application/warc-fields",
                                          warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        for record in (response, request, meta):
            builder.write_record(record)
    theirs = _warcio_records(buffer.getvalue())

    assert [r[0] for r in ours] == [r[0] for r in theirs] == [
        "warcinfo", "response", "request", "metadata", "revisit", "request", "metadata"]
    random = {"WARC-Record-ID", "WARC-Concurrent-To"}
    for (kind, our_headers, our_http, our_line, our_body), (_, their_headers, their_http, their_line, their_body) \
            in zip(ours, theirs):
        if kind == "warcinfo":
            random = random | {"WARC-Date"}
        if kind == "request":  # the request line differs (see above): so do the block digest and length
            assert our_line == "/a.html HTTP/1.1" and their_line == "/a.html"
            random = random | {"WARC-Block-Digest", "Content-Length"}
        assert {k: v for k, v in our_headers.items() if k not in random} == \
            {k: v for k, v in their_headers.items() if k not in random}, kind
        assert our_http == their_http and our_body == their_body, kind
        random = {"WARC-Record-ID", "WARC-Concurrent-To"}
    assert ours[2][1]["WARC-Concurrent-To"] == ours[1][1]["WARC-Record-ID"] == ours[3][1]["WARC-Concurrent-To"]
    assert warcio_check(path).returncode == 0


def _fields_of(path: Path) -> dict[str, str]:
    """The warcinfo fields of a file we wrote, in order (for warcio's builder to write again)."""
    [info] = [r for r in scan(path) if r.rec_type == "warcinfo"]
    return {name: values[0] for name, values in info.fields.items()}


def test_a_line_break_cannot_smuggle_a_warc_header():
    from kronika.storage.warc.writer import warc_record

    with pytest.raises(ValueError, match="line break"):
        warc_record("request", "2026-01-01T00:00:00Z", [b""], "application/http; msgtype=request",
                    url="http://x.example/", fields=[("WARC-Concurrent-To", "<urn:x>\r\nWARC-Type: response")])


def test_a_header_name_that_is_not_ascii_is_written_as_received():
    """warcio percent-encodes non-ASCII values but refuses such names: those keep their bytes."""
    from kronika.storage.warc.writer import http_head

    assert http_head("HTTP/1.1 200 OK", [("X-Caf\xe9", "cr\xe8me")]) == "HTTP/1.1 200 OK\r\nX-Caf\xe9: cr\xe8me\r\n\r\n".encode("latin-1")
    assert http_head("HTTP/1.1 200 OK", [("X-Note", "cr\xe8me")]) == b"HTTP/1.1 200 OK\r\nX-Note: cr%C3%A8me\r\n\r\n"
