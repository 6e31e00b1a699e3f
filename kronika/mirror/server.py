"""A loopback HTTP server for the offline mirror (stdlib only, so tests need nothing else).

It serves `MirrorSite` pages, gzips HTML and XML when the client accepts it (so an archive that
keeps bytes as they came over the wire stores compressed bodies), counts every request in `hits`,
and can switch epochs while running, which is how tests simulate articles being rewritten and
posts being edited between two crawls.

For the politeness tests it also logs when each request arrived (`hit_times`, `arrivals`) and how
many were being answered at once (`max_in_flight`), and can hold each answer until a number of
requests are in flight (`hold`), so a crawler's concurrency is seen from the server's side.
"""
from __future__ import annotations

import collections
import gzip
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import hostile, realweb
from .site import MirrorSite, Page

log = logging.getLogger(__name__)

# The mirror's stable name when a crawler uses it as its HTTP proxy (`.test` never resolves on the
# internet, RFC 2606): captures keep the same URLs from run to run, whatever port serves them.
VIRTUAL_BASE_URL = "http://mirror.kronika.test"

_COMPRESSIBLE = ("text/html", "application/xml", "application/rss+xml", "text/xml")


def _accepts_gzip(header: str | None) -> bool:
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        q = params.strip()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "KronikaMirror/1.0"

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        owner = self.server.owner
        host = self.headers.get("Host") or f"{owner.host}:{owner.port}"
        base_url = f"http://{host}"
        target = self.path
        if not target.startswith("/"):
            # absolute-form request target: the mirror is being used as an HTTP proxy for its
            # virtual host (VIRTUAL_BASE_URL), so URLs stay the same whatever port it runs on
            parts = urlsplit(target)
            base_url = f"{parts.scheme}://{parts.netloc}"
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        hit = owner._count(target)
        owner._arrived(target)
        # answered (no longer in flight) just before the first byte goes out: once the client has
        # its answer it may send the next request, which must not find this one still counted
        answered = False

        def answering() -> None:
            nonlocal answered
            if not answered:
                answered = True
                owner._answered()

        try:
            self._serve(owner, target, base_url, send_body, hit, answering)
        finally:
            answering()

    def _serve(self, owner: MirrorServer, target: str, base_url: str, send_body: bool, hit: int,
               answering) -> None:
        if target.startswith((hostile.PREFIX, realweb.PREFIX)):
            answering()  # these write their own responses
        if target.startswith(hostile.PREFIX):
            # hostile cases write their own (often broken) responses on the socket
            hostile.serve(self, target, base_url, send_body)
            return
        if target.startswith(realweb.PREFIX):
            realweb.serve(self, target, base_url, send_body, hit=hit)
            return
        page = owner.site.page(target, base_url=base_url, hit=hit)
        if page is None:
            page = Page(400, "text/plain; charset=utf-8", b"Bad request\n")
        body = page.body
        headers = dict(page.headers)
        if page.content_type.startswith(_COMPRESSIBLE):
            headers["Vary"] = "Accept-Encoding"
            if _accepts_gzip(self.headers.get("Accept-Encoding")):
                # mtime=0: the same page always compresses to the same bytes, so unchanged pages
                # keep the same payload digest between crawls
                body = gzip.compress(body, compresslevel=6, mtime=0)
                headers["Content-Encoding"] = "gzip"
        answering()
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: MirrorServer

    def handle_error(self, request, client_address) -> None:
        import sys

        # a client hanging up (a timed-out crawler, the hostile cases' resets) is not a server fault
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            log.debug("client %s hung up", client_address)
            return
        super().handle_error(request, client_address)


class MirrorServer:
    """The mirror on a loopback port. `port=0` picks a free port; read it from `.port` / `.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, epoch: int = 0):
        self.host = host
        self._requested_port = port
        self._lock = threading.Lock()
        self._site = MirrorSite(epoch)
        self._sites = {epoch: self._site}
        self._hits: collections.Counter[str] = collections.Counter()
        self._times: dict[str, list[float]] = {}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._arrivals: list[tuple[float, str]] = []
        # answers in progress, the most seen at once, and the hold (see `hold`)
        self._changed = threading.Condition(self._lock)
        self._answering = 0
        self._max_answering = 0
        self._hold: tuple[int, float, str] | None = None

    # ---- state

    @property
    def site(self) -> MirrorSite:
        return self._site

    @property
    def epoch(self) -> int:
        return self._site.epoch

    def set_epoch(self, epoch: int) -> None:
        """Switch the content live; requests already in flight finish on the old epoch."""
        with self._lock:
            if epoch not in self._sites:
                self._sites[epoch] = MirrorSite(epoch)
            self._site = self._sites[epoch]

    @property
    def hits(self) -> collections.Counter[str]:
        """Requests served so far, keyed by path with query. A copy: safe to read while serving."""
        with self._lock:
            return collections.Counter(self._hits)

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()
            self._times.clear()
            self._arrivals.clear()
            self._max_answering = self._answering

    def _count(self, path: str) -> int:
        with self._lock:
            now = time.monotonic()
            self._hits[path] += 1
            self._times.setdefault(path, []).append(now)
            self._arrivals.append((now, path))
            return self._hits[path]

    def arrivals(self) -> list[tuple[float, str]]:
        """(time.monotonic(), path with query) of every request, in the order they arrived."""
        with self._lock:
            return list(self._arrivals)

    @property
    def max_in_flight(self) -> int:
        """The most requests being answered at the same moment since the start (or reset_hits)."""
        with self._lock:
            return self._max_answering

    @contextmanager
    def hold(self, until_in_flight: int, at_most: float, prefix: str = "/") -> Iterator[None]:
        """Hold each answer to a path under `prefix` until `until_in_flight` requests are being
        answered at once, or `at_most` seconds have passed: a crawler allowed N parallel requests
        is seen reaching N, and one allowed fewer is seen never exceeding them."""
        with self._lock:
            self._hold = (until_in_flight, at_most, prefix)
        try:
            yield
        finally:
            with self._lock:
                self._hold = None
                self._changed.notify_all()

    def _arrived(self, path: str) -> None:
        """A request is being answered; under a hold, wait for the others (see `hold`)."""
        with self._lock:
            self._answering += 1
            self._max_answering = max(self._max_answering, self._answering)
            self._changed.notify_all()
            hold = self._hold
            if hold is not None and path.startswith(hold[2]):
                until, at_most, _ = hold
                deadline = time.monotonic() + at_most
                while self._answering < until and self._hold is hold:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)

    def _answered(self) -> None:
        with self._lock:
            self._answering -= 1
            self._changed.notify_all()

    def hit_times(self, path: str) -> list[float]:
        """time.monotonic() of every request of a path (with query), oldest first."""
        with self._lock:
            return list(self._times.get(path, []))

    # ---- lifecycle

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the mirror server is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bind(self) -> MirrorServer:
        if self._httpd is None:
            self._httpd = _Server((self.host, self._requested_port), _Handler)
            self._httpd.owner = self
        return self

    def start(self) -> MirrorServer:
        self.bind()
        if self._thread is None:
            assert self._httpd is not None
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="kronika-mirror", daemon=True)
            self._thread.start()
            log.info("mirror serving %s (epoch %d)", self.url, self.epoch)
        return self

    def serve_forever(self) -> None:
        self.bind()
        assert self._httpd is not None
        self._httpd.serve_forever()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        if self._thread is not None:
            httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8000, epoch: int = 0) -> None:
    """Serve the mirror in the foreground until Ctrl-C (for `kronika mirror serve`)."""
    server = MirrorServer(host, port, epoch).bind()
    print(f"Kronika mirror (epoch {epoch}) at {server.url}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("mirror stopped", flush=True)
