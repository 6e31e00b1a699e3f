"""warcio's own `warcio check` over WARC files: every digest verified, every record complete."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

WARCIO = [sys.executable, "-m", "warcio.cli"]


def warcio_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*WARCIO, "check", "-v", *map(str, files)], capture_output=True, text=True)


def assert_warcio_check(*files: Path) -> None:
    """Fails the test with warcio's own report when any file does not pass."""
    if not files:
        return
    result = warcio_check(*files)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
