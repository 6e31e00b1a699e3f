"""Where a WARC file named in the database lives: always inside the archive directory.

`warc_files.path` is relative to the archive directory (`<source>/<file>.warc.gz`). A row that says
`../../etc/passwd` or `/etc/passwd` (a tampered or hand-edited database, a bad import) must not
make `get`, `extract`, the web view or `wacz` read a file outside the archive, so every join of
the archive directory with a stored path goes through `archive_path`.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


def archive_path(archive_dir: Path | str, relative: str) -> Path:
    """`archive_dir / relative`, or ValueError when `relative` could point outside the archive."""
    text = str(relative)
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if (not text or "\0" in text or posix.is_absolute() or windows.is_absolute() or windows.drive
            or ".." in posix.parts or ".." in windows.parts):
        raise ValueError(f"refusing a WARC path outside the archive directory: {text!r}")
    return Path(archive_dir) / posix
