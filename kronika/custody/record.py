"""The custody entries the pipeline's steps write: files indexed, verified, exported, packaged.

One small function per event, called by the step or command that did it (the crawl step's
`closed` and `stamped` entries are in stamping.py). A step never fails because its custody entry
could not be written after its own work succeeded: the failure is logged loudly instead, and the
next `kronika custody verify` shows the gap as a file without that entry.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kronika.custody import log as custody_log
from kronika.settings import Environment
from kronika.storage.db.engine import open_database

logger = logging.getLogger(__name__)


def _append(env: Environment, items: list[tuple[str, str | None, str | None, dict | None]]) -> None:
    if not items:
        return
    try:
        custody_log.append_many(open_database(env.database_url), items,
                                lock_dir=env.local_archive_dir / "custody")
    except Exception:
        logger.exception("could not write %d custody entries (%s ...)", len(items), items[0][0])


def files_indexed(env: Environment, files: Iterable[tuple[str, str]]) -> None:
    _append(env, [("indexed", path, sha256, None) for path, sha256 in files])


def files_verified(env: Environment, files: Iterable[tuple[str, str]]) -> None:
    _append(env, [("verified", path, sha256, None) for path, sha256 in files])


def package_written(env: Environment, action: str, name: str, sha256: str, detail: dict[str, Any]) -> None:
    """`exported` (a WACZ of captures) or `packaged` (an evidence package)."""
    _append(env, [(action, name, sha256, detail)])
