"""Extract articles and posts from WARC records into the database: one transaction per WARC file.

Rows are derived from the archive only: each capture's bytes are read back from its WARC record
(a revisit from the record it refers to) and run through the same parsers the spiders use. A new
version is stored only when the normalised content changes, so re-running is idempotent and
`extract --all` into an empty database rebuilds the same rows.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from kronika.settings import Environment
from kronika.normalise.articles import load_article
from kronika.normalise.telegram import load_channel_page
from kronika.steps.index import index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc.reader import StoredResponse, read_response

logger = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    files: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


class _PayloadReader:
    """Reads a capture's bytes; a revisit's come from the response record it refers to."""

    def __init__(self, session, archive_dir: Path):
        self.session = session
        self.archive_dir = archive_dir
        self._paths: dict[int, Path] = {}

    def _path(self, warc_file_id: int) -> Path:
        if warc_file_id not in self._paths:
            relative = self.session.get(WarcFile, warc_file_id).path
            self._paths[warc_file_id] = self.archive_dir / relative
        return self._paths[warc_file_id]

    def read(self, capture: Capture) -> StoredResponse | None:
        original = capture
        if capture.record_type == "revisit":
            original = self.session.scalars(
                select(Capture).where(Capture.url == (capture.refers_to_url or capture.url),
                                      Capture.payload_digest == capture.payload_digest,
                                      Capture.record_type == "response")
                .order_by(Capture.captured_at).limit(1)).first()
            if original is None:
                return None
        return read_response(self._path(original.warc_file_id), original.offset)


# which loader reads a capture, by the role the spider gave its request (WARC metadata record)
LOADERS = {"article": load_article, "channel": load_channel_page}


def extract(env: Environment | None = None, all_files: bool = False, source: str | None = None,
            progress: Callable[[str], None] | None = None) -> ExtractResult:
    env = env or Environment.from_env()
    index(env, source)  # every closed file is indexed before it is extracted
    engine = open_database(env.database_url)
    result = ExtractResult()
    with unit_of_work(engine) as session:
        query = select(WarcFile.id).order_by(WarcFile.created_at, WarcFile.path)
        if not all_files:
            query = query.where(WarcFile.extracted_at.is_(None))
        if source:
            query = query.where(WarcFile.source == source)
        file_ids = list(session.scalars(query))
    for file_id in file_ids:
        # one transaction per WARC file: a crash leaves it wholly loaded or not at all
        with unit_of_work(engine) as session:
            warc_file = session.get(WarcFile, file_id)
            reader = _PayloadReader(session, env.archive_dir)
            captures = session.scalars(select(Capture).where(Capture.warc_file_id == file_id,
                                                             Capture.role.in_(LOADERS))
                                       .order_by(Capture.offset))
            for capture in captures:
                if capture.status != 200:
                    result.counts[f"skipped_status_{capture.status}"] += 1
                    continue
                try:
                    response = reader.read(capture)
                except ValueError as exc:
                    result.counts["unreadable_records"] += 1
                    logger.error("%s@%s (%s): %s", warc_file.path, capture.offset, capture.url, exc)
                    continue
                if response is None:
                    result.counts["revisits_without_original"] += 1
                    logger.warning("revisit of %s refers to a capture not in the index", capture.url)
                    continue
                LOADERS[capture.role](session, warc_file.source, capture, response, result.counts)
            warc_file.extracted_at = datetime.now(timezone.utc)
        result.files.append(warc_file.path)
        if progress:
            progress(warc_file.path)
    return result
