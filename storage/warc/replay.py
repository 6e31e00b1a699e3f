"""Replay the archive in pywb: one collection per source, read from the archive dir in place.

Kronika writes a pywb config (`config.yaml` in a working folder) whose collections are the
sources that have a CDXJ index (`<source>/indexes/index.cdxj`, written by `kronika index`) and
whose archive paths are the source folders, then runs pywb's `wayback` on it. Replay is
frameless, so `/<source>/<timestamp>/<url>` is the archived page itself.

pywb pins older libraries than Airflow does, so it usually lives in its own virtualenv:
`$KRONIKA_PYWB` names its `wayback` script; otherwise `.venv-pywb/bin/wayback` beside the
project (`make pywb` creates it), then `wayback` on PATH.

pywb reads local files only, so an archive on an object store is first copied into the working
folder (`local_copy`: files missing there or of another size; closed WARC files never change).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from kronika.storage.warc.cdxj import INDEX_DIR, INDEX_NAME, collection_index
from kronika.storage.warc.paths import file_size, list_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYWB_VENV = PROJECT_ROOT / ".venv-pywb"


class PywbMissing(FileNotFoundError):
    pass


def find_wayback() -> Path:
    candidates = []
    if os.environ.get("KRONIKA_PYWB"):
        candidates.append(Path(os.environ["KRONIKA_PYWB"]))
    candidates.append(PYWB_VENV / "bin" / "wayback")
    on_path = shutil.which("wayback")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise PywbMissing("pywb is not installed: run `make pywb` (creates .venv-pywb) or set KRONIKA_PYWB "
                      "to the path of pywb's `wayback` script")


def local_copy(root, target: Path, on_file=None) -> Path:
    """Copy a remote archive's collection indexes and WARC files to `target`; return `target`."""
    wanted = list_files(root, f"*/{INDEX_DIR}/{INDEX_NAME}") + list_files(root, "*/*.warc.gz")
    prefix = root.path.rstrip("/") + "/"
    for remote in wanted:
        local = Path(target) / remote.path[len(prefix):]
        size = file_size(remote)
        if local.is_file() and local.stat().st_size == size and local.suffix != ".cdxj":
            continue  # a closed WARC file is never rewritten; an index is, so it is always fetched
        local.parent.mkdir(parents=True, exist_ok=True)
        remote.fs.get_file(remote.path, str(local))
        if on_file:
            on_file(remote.path[len(prefix):])
    return Path(target)


def collections(archive_dir: Path) -> dict[str, dict]:
    """Every source folder with a CDXJ index, as a pywb collection."""
    found = {}
    for index in sorted(Path(archive_dir).glob("*/indexes/index.cdxj")):
        source_dir = index.parent.parent
        found[source_dir.name] = {"index_paths": str(collection_index(source_dir).resolve()),
                                  "archive_paths": str(source_dir.resolve()) + os.sep}
    return found


def pywb_config(archive_dir: Path) -> str:
    """config.yaml for pywb (JSON is valid YAML: no YAML writer needed, and paths stay quoted)."""
    import json

    found = collections(archive_dir)
    if not found:
        raise FileNotFoundError(f"no collection to replay: no <source>/indexes/index.cdxj under {archive_dir} "
                                "(run `kronika index` after a crawl)")
    config = {"collections": found, "framed_replay": False, "enable_memento": True}
    return json.dumps(config, indent=2)


def prepare(archive_dir: Path, work_dir: Path) -> Path:
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "config.yaml").write_text(pywb_config(archive_dir), encoding="utf-8")
    return work_dir


def start(archive_dir: Path, work_dir: Path, port: int, bind: str = "127.0.0.1",
          wayback: Path | None = None, **popen) -> subprocess.Popen:
    """Start pywb on `bind:port` serving the archive; the caller waits on or stops the process."""
    work_dir = prepare(archive_dir, work_dir)
    command = [str(wayback or find_wayback()), "--port", str(port), "--bind", bind, "--threads", "4"]
    env = {**os.environ, "PYWB_CONFIG_FILE": str(work_dir / "config.yaml")}
    return subprocess.Popen(command, cwd=work_dir, env=env, **popen)


if __name__ == "__main__":  # pragma: no cover - a convenience for debugging the config
    print(pywb_config(Path(sys.argv[1])))
