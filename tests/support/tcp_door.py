"""A door in front of a real TCP server (PostgreSQL in the tests), which a test can shut.

Open, it forwards each connection to the server byte for byte. Shut, it cuts the connections
it carries and answers every new one by closing it at once: to a client the server has gone
away. The door counts the connections it turned away, so a test can wait for the first one.
"""
from __future__ import annotations

import socket
import threading


class Door:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.turned_away = 0
        self._open = threading.Event()
        self._open.set()
        self._stopped = threading.Event()
        self._carried: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="tcp-door", daemon=True)
        self._thread.start()

    def shut(self) -> None:
        self._open.clear()
        with self._lock:
            for connection in list(self._carried):
                _close(connection)
            self._carried.clear()

    def open(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.shut()
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> Door:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self._open.is_set():
                self.turned_away += 1
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._carried.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._carried.discard(source)
                self._carried.discard(sink)
            _close(source)
            _close(sink)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
