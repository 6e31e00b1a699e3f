"""Replay the archive in pywb: one collection per source and one (`all`) spanning every source.

Kronika writes a pywb config (`config.yaml` in a working folder) whose collections are the
sources that have a CDXJ index (`<source>/indexes/index.cdxj`, written by `kronika index`) and
whose archive paths are the source folders, then runs pywb's `wayback` on it. Replay is
frameless, so `/<source>/<timestamp>/<url>` is the archived page itself. The `all` collection is
pywb's index group over every source's index: each line found is tagged with the source it came
from, and the archive path `<archive>/*/` resolves `*` to that source's folder.

Every path in the config is absolute and pywb is pointed at the config by an absolute path: pywb
runs in the working folder, so a relative archive directory (the default, `data/archive`) would
otherwise name files that are not there, and every URL would be "Collection not found".

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
ALL = "all"  # the collection spanning every source (a source named "all" keeps the name for itself)


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
    """Every source folder with a CDXJ index as a pywb collection, and `all` over every one of them."""
    archive_dir = Path(archive_dir).resolve()
    found = {}
    for index in sorted(archive_dir.glob(f"*/{INDEX_DIR}/{INDEX_NAME}")):
        source_dir = index.parent.parent
        found[source_dir.name] = {"index_paths": str(collection_index(source_dir)),
                                  "archive_paths": str(source_dir) + os.sep}
    if found and ALL not in found:
        # pywb tags each line of an index group with the group member's name, and its path
        # resolver puts that name in place of "*": the line's file is looked up in its own source
        found[ALL] = {"index_group": {name: coll["index_paths"] for name, coll in found.items()},
                      "archive_paths": str(archive_dir) + os.sep + "*" + os.sep}
    return found


def replay_path(source: str, captured_at, url: str) -> str:
    """`<collection>/<14-digit timestamp>/<url>`: where pywb replays one capture (no leading slash)."""
    return f"{source}/{timestamp14(captured_at)}/{url}"


def timestamp14(moment) -> str:
    """The WARC/CDXJ form of a time, 20260102130500: what pywb's URLs and `kronika get --at` take."""
    return moment.strftime("%Y%m%d%H%M%S")


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
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "config.yaml").write_text(pywb_config(archive_dir), encoding="utf-8")
    return work_dir


def start(archive_dir: Path, work_dir: Path, port: int, bind: str = "127.0.0.1",
          wayback: Path | None = None, **popen) -> subprocess.Popen:
    """Start pywb on `bind:port` serving the archive; the caller waits on or stops the process."""
    work_dir = prepare(archive_dir, work_dir)  # absolute: pywb runs in it and reads the config from it
    command = [str(wayback or find_wayback()), "--port", str(port), "--bind", bind, "--threads", "4"]
    env = {**os.environ, "PYWB_CONFIG_FILE": str(work_dir / "config.yaml")}
    return subprocess.Popen(command, cwd=work_dir, env=env, **popen)


if __name__ == "__main__":  # pragma: no cover - a convenience for debugging the config
    print(pywb_config(Path(sys.argv[1])))
