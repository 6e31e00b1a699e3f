"""The crawler's end of the WARC writer process (kronika.storage.warc.writer_process).

`WriterProcess.write` returns a Deferred that fires with an `Archived` (where the response
record went) once the writer process has the exchange's records in the file; or fails with the
OSError it met (a full disk), a `WriterGone` (an OSError too: the process ended), or an
`ArchivingFailed` (this exchange could not be made into records; the next may be). The reactor
never blocks on the writer: frames go out through a Twisted transport, answers come back through
its protocol.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import NamedTuple

from twisted.internet.defer import Deferred, fail
from twisted.internet.protocol import Factory, Protocol

from kronika.storage.warc.writer import Revisit
from kronika.storage.warc.writer_process import Fetched, frame, split_frames, write_request


class Archived(NamedTuple):
    file_name: str  # the closed name of the file the response (or revisit) record is in
    offset: int
    record_type: str  # "response" or "revisit"
    payload_digest: str


class ArchivingFailed(Exception):
    """This one exchange could not be made into records (nothing of it was written)."""


class WriterGone(OSError):
    """The writer process ended before answering."""


class _Channel(Protocol):
    def __init__(self, owner: WriterProcess):
        self.owner = owner
        self.buffer = bytearray()

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 (Twisted's name)
        self.buffer += data
        for message in split_frames(self.buffer):
            self.owner._answer(message)

    def connectionLost(self, reason=None) -> None:  # noqa: N802
        self.owner._lost()


class _OneChannel(Factory):
    def __init__(self, protocol: _Channel):
        self.protocol_instance = protocol

    def buildProtocol(self, addr) -> _Channel:  # noqa: N802
        return self.protocol_instance


class WriterProcess:
    """A RollingWarcWriter in a child process, driven from the reactor."""

    def __init__(self, directory: Path, prefix: str, warcinfo: dict[str, str], max_size: int,
                 secret_names: frozenset[str]):
        ours, theirs = socket.socketpair()
        config = {"directory": str(directory), "prefix": prefix, "warcinfo": warcinfo, "max_size": max_size,
                  "secret_names": sorted(secret_names)}
        # started now, before the reactor runs: its imports overlap the crawler's start-up
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kronika.storage.warc.writer_process", str(theirs.fileno()), str(os.getpid()),
             json.dumps(config)],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket: socket.socket | None = ours
        self._transport = None
        self._pending: deque[Deferred] = deque()
        self._gone = False
        self.closed_files: list[Path] = []

    def _channel(self):
        if self._transport is None:
            from twisted.internet import reactor  # the one Scrapy installed (importing it earlier would pick one)

            self._socket.setblocking(False)
            protocol = _Channel(self)
            # Twisted duplicates the descriptor; ours is closed so that only the transport holds it
            self._transport = reactor.adoptStreamConnection(self._socket.fileno(), socket.AF_UNIX, _OneChannel(protocol))
            self._socket.close()
            self._socket = None
        return self._transport

    def _send(self, data: bytes) -> Deferred:
        if self._gone:
            return fail(self._gone_error())
        answer = Deferred()
        self._pending.append(answer)
        self._channel().write(data)
        return answer

    def write(self, fetched: Fetched, revisit: Revisit | None = None, digest: str | None = None) -> Deferred:
        """Archive one exchange: its response (or revisit), request and metadata records."""
        return self._send(write_request(fetched, revisit, digest))

    def close(self) -> Deferred:
        """Close the current file (fsync, rename); fires with the error text, or None."""
        answer = self._send(frame(("close",)))

        def done(message):
            _, names, error = message
            self.closed_files = [Path(name) for name in names]
            self._transport.loseConnection()
            self.process.wait(timeout=60)  # it exits right after answering
            return error

        return answer.addCallback(done)

    def _answer(self, message: tuple) -> None:
        answer = self._pending.popleft()
        kind = message[0]
        if kind == "error":
            answer.errback(OSError(message[1], message[2]))
        elif kind == "ok":
            answer.callback(Archived(*message[1:]))
        elif kind == "failed":
            answer.errback(ArchivingFailed(message[1]))
        else:
            answer.callback(message)

    def _lost(self) -> None:
        self._gone = True
        while self._pending:
            self._pending.popleft().errback(self._gone_error())

    def _gone_error(self) -> OSError:
        code = self.process.poll()
        return WriterGone(f"the WARC writer process ended{'' if code is None else f' (exit {code})'}")
