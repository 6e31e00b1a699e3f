"""Where archive files live: a local directory or an object store, and the guard on stored paths.

The archive root is `KRONIKA_ARCHIVE_DIR`: a directory (`data/archive`) or an fsspec URL
(`s3://bucket/prefix`, any protocol fsspec knows). A URL becomes a `UPath` (universal_pathlib,
which Airflow's ObjectStoragePath is built on too), so the readers use one pathlib-like API for both:
`/`, `glob`, `open("rb")`, `stat().st_size`. Only the crawl writes, and it always writes locally
(WARC files are appended to and renamed, which object stores cannot do); a remote archive gets
each file whole once it is closed (`publish`).

`warc_files.path` is relative to the archive root (`<source>/<file>.warc.gz`). A row that says
`../../etc/passwd` or `/etc/passwd` (a tampered or hand-edited database, a bad import) must not
make `get`, `extract`, the web view or `wacz` read a file outside the archive, so every join of
the archive root with a stored path goes through `archive_path`.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

LOCAL_PROTOCOLS = ("", "file", "local")
READ_BLOCK = 1 << 20  # remote reads: a record is usually far smaller; a whole-file scan reads ahead


def archive_root(location: Any) -> Any:
    """The archive root for a directory or URL: a `Path` for local storage, a `UPath` otherwise."""
    if isinstance(location, Path):
        return location
    if not isinstance(location, str):  # a UPath already
        return location
    protocol, sep, rest = location.partition("://")
    if not sep or protocol in LOCAL_PROTOCOLS:
        return Path(rest if sep else location)
    try:
        from upath import UPath
    except ImportError:  # pragma: no cover - universal_pathlib comes with the `s3` extra and Airflow
        raise RuntimeError(f"KRONIKA_ARCHIVE_DIR={location!r} needs universal_pathlib and the fsspec "
                           f"driver for {protocol}:// (pip install 'kronika[s3]')") from None
    return UPath(location)


def is_remote(root: Any) -> bool:
    return not isinstance(root, Path)


def archive_path(archive_dir: Any, relative: str) -> Any:
    """`archive_dir / relative`, or ValueError when `relative` could point outside the archive."""
    text = str(relative)
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if (not text or "\0" in text or posix.is_absolute() or windows.is_absolute() or windows.drive
            or ".." in posix.parts or ".." in windows.parts):
        raise ValueError(f"refusing a WARC path outside the archive directory: {text!r}")
    return archive_root(archive_dir).joinpath(*posix.parts)


def relative_name(root: Any, path: Any) -> str:
    """`<source>/<file>` of a file two levels below the root (how `warc_files.path` spells it)."""
    if not is_remote(root):
        return Path(path).relative_to(root).as_posix()
    return f"{path.parent.name}/{path.name}"


def open_binary(path: Any) -> IO[bytes]:
    """Open an archive file for reading, locally or from the object store."""
    if not is_remote(path):
        return open(path, "rb")
    return path.open("rb", block_size=READ_BLOCK)


def file_sha256(path: Any) -> str:
    """Hex SHA-256 of an archive file, read in 1 MiB chunks (locally or from the object store)."""
    digest = hashlib.sha256()
    with open_binary(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_files(root: Any, pattern: str) -> list:
    """Files under the root matching a glob pattern, read fresh (not from a cached listing)."""
    if is_remote(root):
        root.fs.invalidate_cache()
        if not root.exists():
            return []
    return list(root.glob(pattern))


def file_size(path: Any) -> int:
    return path.stat().st_size


def tree_size(root: Any) -> int:
    """Bytes below a folder of the archive, 0 when there is none: its WARC files (`.open` ones too)
    on disk; every object under the prefix on an object store (one `du` listing, not a stat each)."""
    if not root.exists():
        return 0
    if is_remote(root):
        return int(root.fs.du(root.path))
    return sum(p.stat().st_size for p in root.rglob("*.warc.gz*") if p.is_file())


def write_atomically(path: Any, write: Callable[[IO], None], mode: str = "w") -> None:
    """Write a whole file with `write(fh)`: readers see the old file or the new one, never a part.

    Locally a temporary file beside it is fsynced and renamed; on an object store a PUT is
    already all-or-nothing, so the file is written to a local temporary file and uploaded."""
    encoding = None if "b" in mode else "utf-8"
    if not is_remote(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, mode, encoding=encoding) as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        return
    with tempfile.NamedTemporaryFile(mode, encoding=encoding, suffix=".tmp", delete=False) as out:
        try:
            write(out)
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    try:
        path.fs.put_file(out.name, path.path)
    finally:
        os.unlink(out.name)


def publish(local_file: Path, root: Any, relative: str) -> None:
    """Copy a closed local WARC file to the archive root and check the copy's size.

    The local file is kept: the caller deletes it once the copy is confirmed (so a failed or
    interrupted upload leaves it where the next crawl publishes it again)."""
    target = archive_path(root, relative)
    size = local_file.stat().st_size
    target.fs.put_file(str(local_file), target.path)
    target.fs.invalidate_cache(target.parent.path)
    stored = target.fs.size(target.path)
    if stored != size:
        raise OSError(f"uploaded {relative} is {stored} bytes in the archive, {size} bytes locally")
