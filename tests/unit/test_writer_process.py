"""The WARC writer process: what the crawler hands over becomes the same records, answers come back
in order, a full disk is an answer (not a crash), and a crawler gone without closing leaves whole
records in an `.open` file for repair."""
from __future__ import annotations

import errno
import gzip
import json
import os
import select
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kronika.storage.warc.reader import scan
from kronika.storage.warc.writer import REDACTED, SECRET_HEADERS, Revisit, RollingWarcWriter, repair_open_files
from kronika.storage.warc.writer_process import (
    Fetched,
    _read_frame,
    exchange_of,
    frame,
    serve,
    split_frames,
    write_request,
)

WHEN = datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc)


def fetched(n: int = 0, **changes) -> Fetched:
    values = dict(
        url=f"http://news.example/a/{n}?page=2", method="GET",
        request_headers={b"User-Agent": [b"Kronika/1"], b"Cookie": [b"session=5ecret"],
                         b"Referer": [b"http://news.example/first", b"http://news.example/"]},
        request_body=b"", status=200, protocol="HTTP/1.1",
        response_headers={b"Content-Type": [b"text/html; charset=utf-8"], b"Set-Cookie": [b"a=1", b"b=2"],
                          b"X-Caf\xe9": [b"cr\xe8me"]},
        response_body=f"<html>page {n}</html>".encode(), captured_at=WHEN, ip_address="93.184.216.34",
        role="article", fetch_ms=12, found_url=f"http://news.example/a/{n}?page=2&utm_source=x")
    values.update(changes)
    return Fetched(**values)


def test_the_exchange_is_built_as_the_recorder_built_it():
    exchange, metadata = exchange_of(fetched(), SECRET_HEADERS)
    assert exchange.request_target == "/a/0?page=2"
    # Host first when the client did not send one; secrets redacted, names kept
    assert exchange.request_headers[:3] == [("Host", "news.example"), ("User-Agent", "Kronika/1"), ("Cookie", REDACTED)]
    # repeated headers stay separate, bytes come back one for one (latin-1)
    assert ("Set-Cookie", "a=1") in exchange.response_headers and ("Set-Cookie", "b=2") in exchange.response_headers
    assert ("X-Caf\xe9", "cr\xe8me") in exchange.response_headers
    assert (exchange.reason, exchange.protocol, exchange.ip_address) == ("OK", "HTTP/1.1", "93.184.216.34")
    assert metadata == {"kronikaRole": "article", "fetchTimeMs": "12",
                        "kronikaOriginalUrl": "http://news.example/a/0?page=2&utm_source=x",
                        "via": "http://news.example/"}  # the last Referer, as Scrapy's Headers.get gives

    robots, robots_meta = exchange_of(fetched(url="http://news.example/robots.txt", role=None, found_url=None,
                                              protocol=None, request_headers={}), frozenset())
    assert robots.request_headers == [("Host", "news.example")] and robots.protocol == "HTTP/1.1"
    assert robots_meta == {"kronikaRole": "robots", "fetchTimeMs": "12"}
    kept, _ = exchange_of(fetched(), frozenset())  # archive_secrets: true
    assert ("Cookie", "session=5ecret") in kept.request_headers


def test_frames_split_only_when_whole():
    data = frame(("a", 1)) + frame(("b", b"x" * 70_000))
    buffer = bytearray(data[:10])
    assert split_frames(buffer) == [] and len(buffer) == 10
    buffer += data[10:-1]
    assert split_frames(buffer) == [("a", 1)]
    buffer += data[-1:]
    assert split_frames(buffer) == [("b", b"x" * 70_000)] and not buffer


def _serving(writer) -> tuple[socket.socket, object, threading.Thread]:
    """`serve` on a thread at the far end of a socketpair: our end, a reader of its answers, the thread."""
    ours, theirs = socket.socketpair()
    server = threading.Thread(target=serve, args=(theirs, writer, SECRET_HEADERS))
    server.start()
    return ours, ours.makefile("rb"), server


def test_serve_writes_answers_in_order_and_closes(tmp_path):
    ours, stream, server = _serving(RollingWarcWriter(tmp_path, "kronika-test", {"kronika-source": "test"}))
    for n in range(3):
        ours.sendall(write_request(fetched(n), None, None))
    answers = [_read_frame(stream) for _ in range(3)]
    ours.sendall(write_request(fetched(0), Revisit("http://news.example/a/0?page=2", WHEN), "sha1:KNOWN"))
    revisit = _read_frame(stream)
    ours.sendall(frame(("close",)))
    kind, names, error = _read_frame(stream)
    server.join(timeout=10)
    assert not server.is_alive() and kind == "closed" and error is None

    assert [a[0] for a in answers] == ["ok"] * 3
    [path] = [Path(name) for name in names]
    assert {a[1] for a in answers} == {path.name}
    offsets = [a[2] for a in answers]
    assert offsets == sorted(offsets) and answers[0][3] == "response" and answers[0][4].startswith("sha1:")
    assert revisit[0] == "ok" and revisit[3] == "revisit" and revisit[4] == "sha1:KNOWN"
    records = list(scan(path))
    responses = [r for r in records if r.rec_type == "response"]
    assert [r.offset for r in responses] == offsets
    assert [r.url for r in records if r.rec_type == "metadata"] == [f"http://news.example/a/{n}?page=2" for n in (0, 1, 2, 0)]
    assert len([r for r in records if r.rec_type == "request"]) == 4
    raw = gzip.decompress(path.read_bytes())  # what reached the file is redacted
    assert b"session=5ecret" not in raw and raw.count(b"Cookie: " + REDACTED.encode()) == 4


class _FullDisk:
    closed_files: list = []

    def write_exchange(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        return None


def test_a_write_error_is_an_answer_and_the_writer_goes_on():
    ours, stream, server = _serving(_FullDisk())
    ours.sendall(write_request(fetched(), None, None))
    assert _read_frame(stream) == ("error", errno.ENOSPC, "No space left on device")
    ours.sendall(frame(("close",)))
    assert _read_frame(stream)[0] == "closed"
    server.join(timeout=10)


def test_an_exchange_that_cannot_be_made_into_records_fails_alone(tmp_path):
    ours, stream, server = _serving(RollingWarcWriter(tmp_path, "kronika-test", {}))
    ours.sendall(write_request(fetched(0, url="http://news.example/a\r\nWARC-Type: x"), None, None))
    kind, message = _read_frame(stream)
    assert kind == "failed" and "line break" in message
    ours.sendall(write_request(fetched(1), None, None))
    assert _read_frame(stream)[0] == "ok"
    ours.sendall(frame(("close",)))
    [name] = _read_frame(stream)[1]
    assert [r.url for r in scan(Path(name)) if r.rec_type == "response"] == ["http://news.example/a/1?page=2"]
    server.join(timeout=10)


def test_a_crawler_gone_without_closing_leaves_whole_records_for_repair(tmp_path):
    ours, stream, server = _serving(RollingWarcWriter(tmp_path, "kronika-test", {}))
    for n in range(2):
        ours.sendall(write_request(fetched(n), None, None))
        assert _read_frame(stream)[0] == "ok"
    ours.sendall(write_request(fetched(2), None, None)[:-5])  # cut off mid-frame
    stream.close()
    ours.close()  # the crawler's end is gone
    server.join(timeout=10)
    assert not server.is_alive()
    [left] = tmp_path.glob("*.warc.gz.open")
    [closed] = repair_open_files([tmp_path])
    assert [r.url for r in scan(closed) if r.rec_type == "response"] == [
        "http://news.example/a/0?page=2", "http://news.example/a/1?page=2"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_writer_process_dies_with_its_crawler(tmp_path):
    """A killed crawler's writer must not go on appending to a file the next crawl repairs.

    The test, not the crawler, holds the crawler's end of the channel: the crawler's death closes
    nothing the writer reads, so only the death signal can end the writer. A write answered proves
    the writer is serving (its death signal set) before the crawler is killed; a pidfd tells when
    it has stopped running (a zombie has: init may reap it late, or never in a container)."""
    ours, theirs = socket.socketpair()
    script = (
        "import subprocess, sys, time\n"
        "fd = int(sys.argv[2])\n"
        "child = subprocess.Popen([sys.executable, '-m', 'kronika.storage.warc.writer_process', str(fd),"
        " str(__import__('os').getpid()), sys.argv[1]], pass_fds=[fd])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n")
    config = json.dumps({"directory": str(tmp_path), "prefix": "p", "warcinfo": {}, "max_size": 1000000,
                         "secret_names": []})
    crawler = subprocess.Popen([sys.executable, "-c", script, config, str(theirs.fileno())],
                               stdout=subprocess.PIPE, text=True, pass_fds=[theirs.fileno()])
    theirs.close()
    writer_pid = int(crawler.stdout.readline())
    writer = os.pidfd_open(writer_pid)
    try:
        ours.sendall(write_request(fetched(), None, None))
        answer = _read_frame(ours.makefile("rb"))
        assert answer is not None and answer[0] == "ok", answer  # serving: past its prctl
        assert _state(writer_pid) not in ("Z", "gone")
        crawler.kill()
        crawler.wait()
        # the pidfd turns readable when the process stops running (exited or killed, zombie or reaped)
        assert select.select([writer], [], [], 60)[0], "the writer process outlived its crawler"
        assert _state(writer_pid) in ("Z", "X", "gone")
    finally:
        os.close(writer)
        ours.close()
        if crawler.poll() is None:
            crawler.kill()
            crawler.wait()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
