"""Extract articles and posts from WARC records into the database: one transaction per WARC file.

Rows are derived from the archive only: each capture's bytes are read back from its WARC record
(a revisit from the record it refers to) and run through the same parsers the spiders use. A new
version is stored only when the normalised content changes, so re-running is idempotent and
`extract --all` into an empty database rebuilds the same rows, and files loaded in any order
(`--file`, a file arriving late, two extracts at once) give the same rows as loading them in
capture order (docs/design.md, "Order independence").
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import aliased

from kronika.clusters import prepare_signatures, signature_row, store_signatures, text_signature
from kronika.locks import serialise_source
from kronika.normalise.articles import GONE_STATUSES, load_article, mark_article_gone, parse_capture, store_article
from kronika.normalise.telegram import load_channel_page
from kronika.settings import Environment
from kronika.steps.index import index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, WarcFile
from kronika.storage.warc.paths import archive_path, archive_root, open_binary, relative_name
from kronika.storage.warc.reader import StoredResponse, read_response
from kronika.storage.warc.retrieve import first_response_like

logger = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    files: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


class _PayloadReader:
    """Reads a capture's bytes; a revisit's come from the response record it refers to."""

    KEEP_OPEN = 8  # one file's captures, and the files holding the originals of its revisits

    def __init__(self, session, archive_dir: Path):
        self.session = session
        self.archive_dir = archive_root(archive_dir)
        self._paths: dict[int, Path] = {}
        # files stay open between records: on an object store, opening one is a request of its own
        self._open: dict[int, BinaryIO] = {}

    def _path(self, warc_file_id: int) -> Path:
        if warc_file_id not in self._paths:
            relative = self.session.get(WarcFile, warc_file_id).path
            self._paths[warc_file_id] = archive_path(self.archive_dir, relative)  # ValueError: counted, logged
        return self._paths[warc_file_id]

    def read(self, capture: Capture) -> StoredResponse | None:
        original = capture
        if capture.record_type == "revisit":
            original = first_response_like(self.session, capture)
            if original is None:
                return None
        return read_response(self._path(original.warc_file_id), original.offset,
                             fh=self._handle(original.warc_file_id))

    def _handle(self, warc_file_id: int) -> BinaryIO:
        if warc_file_id not in self._open:
            if len(self._open) >= self.KEEP_OPEN:
                self._open.pop(next(iter(self._open))).close()
            self._open[warc_file_id] = open_binary(self._path(warc_file_id))
        return self._open[warc_file_id]

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()


# which loader reads a capture, by the role the spider gave its request (WARC metadata record)
LOADERS = {"article": load_article, "channel": load_channel_page}


def extraction_rules() -> dict[str, dict[str, str]]:
    """Each news source's `extraction:` rules from the config, by source name."""
    from kronika.settings import ConfigError, NewsSource, load_config

    try:
        config = load_config()
    except (ConfigError, FileNotFoundError, OSError) as exc:
        # extract rebuilds from the archive alone: without a config the generic chain still runs
        logger.warning("no extraction rules (config not loaded: %s)", exc)
        return {}
    return {s.name: s.extraction.as_rules() for s in config.sources
            if isinstance(s, NewsSource) and s.extraction is not None}


Signature = tuple[int, "bytes | None"]  # clusters.text_signature: (shingle count, MinHash bytes)


def _parse_file(job: tuple[str, str, int, dict]) -> tuple[int, dict[int, tuple[str, object]], dict[int, Signature]]:
    """In a worker process: read and parse every article capture of one WARC file.

    Only parsing runs here (the expensive part), with each text's MinHash signature for the story
    clustering, by capture id; the main process writes, one transaction per file, in file order,
    so the rows are the same as a single-process run.
    """
    from kronika.storage.db.engine import make_engine

    database_url, archive_dir, file_id, rules = job
    engine = make_engine(database_url)
    parsed: dict[int, tuple[str, object]] = {}
    signatures: dict[int, Signature] = {}
    try:
        with unit_of_work(engine) as session:
            source = session.get(WarcFile, file_id).source
            reader = _PayloadReader(session, archive_dir)
            try:
                for capture in session.scalars(select(Capture).where(Capture.warc_file_id == file_id,
                                                                     Capture.role == "article",
                                                                     Capture.status == 200)
                                               .order_by(Capture.offset)):
                    try:
                        response = reader.read(capture)
                    except ValueError as exc:
                        parsed[capture.id] = ("unreadable", str(exc))
                        continue
                    if response is None:
                        parsed[capture.id] = ("missing", None)
                        continue
                    record = parse_capture(response, capture.url, rules.get(source))
                    parsed[capture.id] = ("ok", record)
                    # the story clustering's MinHash, here in the pool rather than after, in one process
                    signatures[capture.id] = text_signature(record.text)
            finally:
                reader.close()
    finally:
        engine.dispose()
    return file_id, parsed, signatures


def extract(env: Environment | None = None, all_files: bool = False, source: str | None = None,
            progress: Callable[[str], None] | None = None, workers: int = 1,
            rules: dict[str, dict[str, str]] | None = None, files: list[Path] | None = None) -> ExtractResult:
    """Extract every WARC file not yet extracted (all of them with `all_files`) into the database,
    or exactly `files` (closed WARC files inside the archive, extracted before or not).

    The rows do not depend on the order files are loaded in (docs/design.md, "Order
    independence"). `workers` > 1 parses articles in that many processes (for large backlogs);
    writing stays in this process, one transaction per file.
    """
    env = env or Environment.from_env()
    if files is not None:
        paths = [Path(f).resolve() if not str(f).startswith(("s3://", "gs://")) else f for f in files]
        index(env, paths=paths)  # only these: another extract may be indexing the others
        wanted = [relative_name(env.archive_dir, path) for path in paths]
    else:
        index(env, source)  # every closed file is indexed before it is extracted
    engine = open_database(env.database_url)
    rules = extraction_rules() if rules is None else rules
    result = ExtractResult()
    with unit_of_work(engine) as session:
        if files is not None:
            known = dict(session.execute(select(WarcFile.path, WarcFile.id).where(WarcFile.path.in_(wanted))).all())
            absent = [path for path in wanted if path not in known]
            if absent:
                raise FileNotFoundError(f"not an indexed WARC file of the archive: {absent[0]}")
            file_ids = [known[path] for path in wanted]
        else:
            query = select(WarcFile.id).order_by(WarcFile.created_at, WarcFile.path)
            if not all_files:
                query = query.where(WarcFile.extracted_at.is_(None))
            if source:
                query = query.where(WarcFile.source == source)
            file_ids = list(session.scalars(query))
    prepare_signatures(engine)  # before loading: the loader stores each new version's signature
    if workers > 1 and len(file_ids) > 1:
        import multiprocessing

        # spawn: a forked child would share the parent's database connections and threads
        context = multiprocessing.get_context("spawn")
        with context.Pool(min(workers, len(file_ids))) as pool:
            jobs = [(env.database_url, str(env.archive_dir), file_id, rules) for file_id in file_ids]
            for file_id, parsed, signatures in pool.imap(_parse_file, jobs):
                _load_file(engine, env, file_id, parsed, rules, result, progress, signatures)
    else:
        for file_id in file_ids:
            _load_file(engine, env, file_id, {}, rules, result, progress)
    # Recompute when the articles changed since the clusters were computed: by this run, or by a
    # run killed after its last file's commit but before the clusters' (that retry loads nothing
    # new; tests/faults/test_extract_killed.py). Skipping otherwise keeps an extract with nothing
    # new from re-reading every article's text (docs/performance.md, finding 1).
    from kronika.clusters import clusters_are_current, update_story_clusters

    if not clusters_are_current(engine):
        result.counts["story_clusters"] = update_story_clusters(engine)
    return result


def extract_file(engine, env: Environment, file_id: int, rules: dict[str, dict[str, str]],
                 result: ExtractResult) -> None:
    """One WARC file's records into the database, in one transaction (kronika/steps/rebuild.py's unit)."""
    _load_file(engine, env, file_id, {}, rules, result, None)


def _load_file(engine, env: Environment, file_id: int, parsed: dict[int, tuple[str, object]],
               rules: dict[str, dict[str, str]], result: ExtractResult,
               progress: Callable[[str], None] | None, signatures: dict[int, Signature] | None = None) -> None:
    # one transaction per WARC file: a crash leaves it wholly loaded or not at all
    signatures = signatures or {}
    changed: dict[int, dict] = {}  # article id -> its signature row, for the articles whose text changed
    with unit_of_work(engine) as session:
        warc_file = session.get(WarcFile, file_id)
        # re-deriving an item reads and rewrites all its rows: one writer per source at a time
        serialise_source(session, warc_file.source)
        reader = _PayloadReader(session, env.archive_dir)
        captures = session.scalars(select(Capture).where(Capture.warc_file_id == file_id,
                                                         Capture.role.in_(LOADERS))
                                   .order_by(Capture.offset))
        try:
            for capture in captures:
                _load_capture(session, warc_file.source, warc_file.path, capture, reader, parsed, rules, result,
                              changed, signatures)
            # revisits loaded before this file, whose original response is in it: readable now
            for capture, revisit_source, revisit_path in _revisits_waiting_for(session, file_id):
                _load_capture(session, revisit_source, revisit_path, capture, reader, {}, rules, result, changed, {})
        finally:
            reader.close()
        # the story clustering's signatures of the new texts, in the same transaction as the texts
        store_signatures(session, list(changed.values()))
        warc_file.extracted_at = datetime.now(timezone.utc)
        path = warc_file.path
    result.files.append(path)
    if progress:
        progress(path)


def _load_capture(session, source: str, path: str, capture: Capture, reader: _PayloadReader,
                  parsed: dict[int, tuple[str, object]], rules: dict[str, dict[str, str]], result: ExtractResult,
                  changed: dict[int, dict], signatures: dict[int, Signature]) -> None:
    if capture.status != 200:
        if capture.role == "article" and capture.status in GONE_STATUSES:
            mark_article_gone(session, source, capture, result.counts)
        result.counts[f"skipped_status_{capture.status}"] += 1
        return
    outcome, value = parsed.get(capture.id, (None, None))
    if outcome is None:
        try:
            response = reader.read(capture)
        except ValueError as exc:
            outcome, value = "unreadable", str(exc)
        else:
            outcome, value = ("missing", None) if response is None else ("read", response)
    if outcome == "unreadable":
        result.counts["unreadable_records"] += 1
        logger.error("%s@%s (%s): %s", path, capture.offset, capture.url, value)
    elif outcome == "missing":
        # its original may be in a file not loaded yet: that file's extract comes back to it
        result.counts["revisits_without_original"] += 1
        logger.warning("revisit of %s refers to a capture not in the index", capture.url)
    elif outcome == "ok":
        article = store_article(session, source, capture, value, result.counts)
        if article is not None:
            changed[article.id] = signature_row(article, signatures.get(capture.id))
    elif capture.role == "article":
        article = load_article(session, source, capture, value, result.counts, rules=rules.get(source))
        if article is not None:
            changed[article.id] = signature_row(article)
    else:
        LOADERS[capture.role](session, source, capture, value, result.counts)


def _revisits_waiting_for(session, file_id: int) -> list[tuple[Capture, str, str]]:
    """Revisits in files extracted before this one that refer to a response in this file (same
    URL and payload digest): a file that arrived late holds the bytes they could not read."""
    original = aliased(Capture)
    rows = session.execute(
        select(Capture, WarcFile.source, WarcFile.path)
        .join(original, (original.url == Capture.url) & (original.payload_digest == Capture.payload_digest))
        .join(WarcFile, WarcFile.id == Capture.warc_file_id)
        .where(original.warc_file_id == file_id, original.record_type == "response",
               Capture.record_type == "revisit", Capture.warc_file_id != file_id, Capture.role.in_(LOADERS),
               WarcFile.extracted_at.is_not(None))
        .order_by(Capture.captured_at, Capture.record_id)).all()
    seen: set[int] = set()
    return [(c, source, path) for c, source, path in rows if not (c.id in seen or seen.add(c.id))]
