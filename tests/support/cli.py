"""Running the real `kronika` command as a user does, and reading its one-line errors."""
from __future__ import annotations

import os
import subprocess
import sys


def kronika(*args: str, env: dict | None = None, columns: int | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m kronika.cli ARGS` in a child process, with this process's environment plus `env`.

    `columns` fixes the terminal width the tables are laid out for (COLUMNS), so a test of a layout
    does not depend on the terminal pytest happens to run in."""
    environment = {**os.environ, **(env or {})}
    if columns is not None:
        environment["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "kronika.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The command failed with exactly one line on stderr, starting `error:`; that line."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stdout[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-3000:]
    return lines[0]
