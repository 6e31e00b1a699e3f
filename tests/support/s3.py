"""A local S3-compatible server for tests: moto's server mode, in a process of its own, on a free port.

Kronika reaches it the way it reaches any S3 endpoint: through `AWS_ENDPOINT_URL` and the usual
credential variables, which the caller puts into the environment (`environ`).
"""
from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


class S3Unavailable(RuntimeError):
    """moto or s3fs is not installed: the caller skips, saying so."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """Yield the environment variables that point boto/s3fs at a fresh moto server."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise S3Unavailable("moto[server] is not installed (`make test` installs it)")
    if importlib.util.find_spec("s3fs") is None:
        raise S3Unavailable("s3fs is not installed (pip install 'kronika[s3]')")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on {endpoint} (exit {process.poll()})") from None
                time.sleep(0.2)
        yield {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "kronika-test",
               "AWS_SECRET_ACCESS_KEY": "kronika-test", "AWS_DEFAULT_REGION": "us-east-1"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fresh_filesystem():
    """An S3 filesystem that reads the current environment (fsspec caches instances per arguments)."""
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    return s3fs.S3FileSystem()
