"""The WARC writer in a process of its own, beside the crawl: `python -m kronika.storage.warc.writer_process`.

A loopback crawl is bound by the crawler's one CPU, and turning a response into three records
(headers decoded and redacted, digests, gzip members, the write) cost that CPU ~0.27 ms a page
(docs/performance.md). Here that work runs on another core: the crawler hands over what it fetched,
as it has it (`Fetched`: bytes and Scrapy's header dicts), and waits without blocking its reactor
for the answer, so a response still reaches the spider only once its records are in the file.

The protocol, one frame each way per request (4-byte big-endian length, then a pickle):
  ("write", Fetched fields, revisit, digest) -> ("ok", file name, offset, record type, payload digest)
                                              | ("error", errno, message)   the file could not be written
                                              | ("failed", message)        this exchange could not be
                                                                           made into records (nothing written)
  ("close",)                                 -> ("closed", [closed file paths], error text or None)
Requests are answered in order. Pickle is safe here: both ends are this program, over a private
socketpair.

The process dies with its crawler (PR_SET_PDEATHSIG): a killed crawl must not leave a writer
appending to a file the next crawl is repairing. What a kill leaves is what it always was: an
`.open` file whose last record may be partial, cut back by `repair_open_files`.
"""
from __future__ import annotations

import ctypes
import json
import os
import pickle
import signal
import socket
import struct
import sys
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from kronika.storage.warc.writer import HttpExchange, Revisit, RollingWarcWriter, redact

_LENGTH = struct.Struct(">I")
REASONS = {status.value: status.phrase for status in HTTPStatus}  # http.client's table, without its import
PR_SET_PDEATHSIG = 1


def frame(message: tuple) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


class Fetched(NamedTuple):
    """One exchange as the crawler has it, in the cheapest form to hand over."""

    url: str
    method: str
    request_headers: dict[bytes, list[bytes]]  # Scrapy's Headers, as a plain dict
    request_body: bytes
    status: int
    protocol: str | None
    response_headers: dict[bytes, list[bytes]]
    response_body: bytes  # as received: before decompression
    captured_at: datetime
    ip_address: str | None
    role: str | None  # kronika_role; None: "robots" for /robots.txt, else "other"
    fetch_ms: int
    found_url: str | None  # the URL as found, when it differs (canonicalised, redirected)


def write_request(fetched: Fetched, revisit: Revisit | None, digest: str | None) -> bytes:
    # a plain tuple pickles faster than the named one; this runs on the crawler's CPU
    return frame(("write", tuple(fetched), revisit, digest))


def _headers(raw: dict[bytes, list[bytes]]) -> list[tuple[str, str]]:
    # latin-1: byte for byte, whatever the server sent
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in raw.items() for value in values]


def exchange_of(fetched: Fetched, secret_names: frozenset[str]) -> tuple[HttpExchange, dict[str, str]]:
    """The exchange to write (secrets redacted) and its metadata record's fields."""
    parts = urlsplit(fetched.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = redact(_headers(fetched.request_headers), secret_names)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", parts.netloc))
    exchange = HttpExchange(
        url=fetched.url, method=fetched.method, request_target=target, request_headers=request_headers,
        request_body=fetched.request_body, status=fetched.status, reason=REASONS.get(fetched.status, ""),
        protocol=fetched.protocol or "HTTP/1.1", response_headers=_headers(fetched.response_headers),
        response_body=fetched.response_body, captured_at=fetched.captured_at, ip_address=fetched.ip_address)
    role = fetched.role or ("robots" if parts.path == "/robots.txt" else "other")
    metadata = {"kronikaRole": role, "fetchTimeMs": str(fetched.fetch_ms)}
    if fetched.found_url and fetched.found_url != fetched.url:
        metadata["kronikaOriginalUrl"] = fetched.found_url
    via = fetched.request_headers.get(b"Referer")
    if via:
        metadata["via"] = via[-1].decode("latin-1")  # the value Scrapy's Headers.get gives
    return exchange, metadata


def split_frames(buffer: bytearray) -> list[tuple]:
    """The whole frames at the start of `buffer` (removed from it), decoded."""
    messages = []
    start = 0
    while len(buffer) - start >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(buffer, start)
        end = start + _LENGTH.size + length
        if len(buffer) < end:
            break
        messages.append(pickle.loads(buffer[start + _LENGTH.size:end]))
        start = end
    del buffer[:start]
    return messages


def _read_frame(stream) -> tuple | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None  # the crawler closed its end
    (length,) = _LENGTH.unpack(head)
    body = stream.read(length)
    if len(body) < length:
        return None
    return pickle.loads(body)


def serve(channel: socket.socket, writer: RollingWarcWriter, secret_names: frozenset[str]) -> None:
    """Answer the crawler's requests until it asks to close (or goes away)."""
    stream = channel.makefile("rb", buffering=1 << 20)
    while True:
        message = _read_frame(stream)
        if message is None:
            # the crawler is gone without closing: keep what was written, whole records only,
            # `.open` as after any crash (its next crawl repairs and closes the file)
            return
        if message[0] == "close":
            error = None
            try:
                writer.close()
            except OSError as exc:  # the file stays `.open`: the next crawl of the source repairs it
                error = str(exc)
            channel.sendall(frame(("closed", [str(p) for p in writer.closed_files], error)))
            return
        _, fields, revisit, digest = message
        try:
            exchange, metadata = exchange_of(Fetched(*fields), secret_names)
            written = writer.write_exchange(exchange, revisit=revisit, metadata=metadata, digest=digest)
            # plain values: a Path costs the crawler more to unpickle than the rest of the answer
            reply = ("ok", written.path.name, written.offset, written.record_type, written.payload_digest)
        except OSError as exc:
            reply = ("error", exc.errno, exc.strerror or str(exc))
        except Exception as exc:  # one exchange's fault (a bug, odd input): the writer and the file go on
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        channel.sendall(frame(reply))


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the crawler died before the line above took effect
        sys.exit(1)


def main(argv: list[str]) -> int:
    fd, parent, config = int(argv[0]), int(argv[1]), json.loads(argv[2])
    _die_with_parent(parent)
    # Ctrl-C and a SIGTERM to the process group are for the crawler, which then stops gracefully and
    # closes us in order; if it dies instead, so do we (above)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel = socket.socket(fileno=fd)
    writer = RollingWarcWriter(Path(config["directory"]), prefix=config["prefix"], warcinfo=config["warcinfo"],
                               max_size=config["max_size"])
    serve(channel, writer, frozenset(config["secret_names"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
