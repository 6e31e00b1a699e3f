"""Rebuild the database from the archive across many workers: plan, extract batches, finalise.

What `kronika extract --all` does in one process, cut into batches that Airflow's dynamic task
mapping hands to its (Celery) workers (dags/kronika_rebuild.py wires these three functions):

1. `plan_batches`: index every closed WARC file not yet indexed, choose the files (by source and
   date range) and group them into batches of whole sources. A source is never split: its files
   are loaded one after another in archive order, because a new version is stored only when the
   content differs from the one before, so a source's derivation must stay serialised.
2. `extract_batch`: load each file of the batch (one transaction per file, as extract does). Two
   tasks on the same files at once (a retried task while the first attempt still runs) can race
   on a new article or post: the loser's transaction fails on the unique key, and the file is
   loaded again, finding the winner's rows. Nothing is lost or duplicated.
3. `finalise`: what spans sources, once, after every batch: story clusters.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kronika.settings import Environment
from kronika.times import parse_time

logger = logging.getLogger(__name__)

RACE_RETRIES = 3  # a file whose transaction lost a race is loaded again this many times at most


def _moment(value: str | datetime | None) -> datetime | None:
    """A DAG parameter's time, read as every command reads one (kronika.times); None when unset."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return parse_time(str(value))


def plan_batches(env: Environment, sources: list[str] | None = None, since: str | datetime | None = None,
                 until: str | datetime | None = None, batch_size: int = 50) -> list[dict]:
    """The files to re-extract, as batches of whole sources of about `batch_size` files each.

    `since`/`until` bound a file's creation time (its warcinfo date): [since, until). Each batch
    is `{"sources": [...], "files": [warc_file id, ...]}` with its files in archive order."""
    from kronika.steps.index import index
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import WarcFile

    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, not {batch_size}")
    for source in sources or [None]:
        index(env, source)  # every closed file is indexed before it is extracted
    query = select(WarcFile.source, WarcFile.id).order_by(WarcFile.created_at, WarcFile.path)
    if sources:
        query = query.where(WarcFile.source.in_(sources))
    if _moment(since):
        query = query.where(WarcFile.created_at >= _moment(since))
    if _moment(until):
        query = query.where(WarcFile.created_at < _moment(until))
    by_source: dict[str, list[int]] = {}
    with unit_of_work(open_database(env.database_url)) as session:
        for source, file_id in session.execute(query):
            by_source.setdefault(source, []).append(file_id)
    # largest sources first, each into the batch that has fewest files so far (and room)
    batches: list[dict] = []
    for source, files in sorted(by_source.items(), key=lambda item: (-len(item[1]), item[0])):
        open_batches = [b for b in batches if len(b["files"]) + len(files) <= batch_size]
        if open_batches:
            batch = min(open_batches, key=lambda b: len(b["files"]))
        else:
            batch = {"sources": [], "files": []}
            batches.append(batch)
        batch["sources"].append(source)
        batch["files"].extend(files)
    return batches


def _is_lost_race(exc: Exception) -> bool:
    """A unique key taken by a concurrent writer, a deadlock or a serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and code in ("40001", "40P01")


def extract_batch(env: Environment, batch: dict, rules: dict[str, dict[str, str]] | None = None) -> dict:
    """Load every file of one batch, in order; returns what was stored (counts) and the files."""
    from kronika.clusters import prepare_signatures
    from kronika.steps.extract import ExtractResult, extract_file, extraction_rules
    from kronika.storage.db.engine import open_database

    engine = open_database(env.database_url)
    rules = extraction_rules() if rules is None else rules
    prepare_signatures(engine)
    result = ExtractResult()
    retried = 0
    for file_id in batch["files"]:
        for attempt in range(RACE_RETRIES + 1):
            try:
                extract_file(engine, env, file_id, rules, result)
                break
            except (IntegrityError, DBAPIError) as exc:
                if attempt == RACE_RETRIES or not _is_lost_race(exc):
                    raise
                retried += 1
                logger.warning("WARC file %s lost a race with another writer (%s); loading it again",
                               file_id, type(getattr(exc, "orig", exc)).__name__)
                time.sleep(0.1 * (attempt + 1))
    engine.dispose()
    return {"sources": batch["sources"], "files": len(result.files), "counts": dict(result.counts),
            "retried_files": retried}


def finalise(env: Environment, results: list[dict] | None = None) -> dict:
    """After every batch: the data that spans sources (story clusters), computed once."""
    from kronika.clusters import clusters_are_current, update_story_clusters
    from kronika.storage.db.engine import open_database

    engine = open_database(env.database_url)
    counts: Counter = Counter()
    for result in results or []:
        counts.update(result.get("counts", {}))
    clusters = 0 if clusters_are_current(engine) else update_story_clusters(engine)
    engine.dispose()
    return {"batches": len(results or []), "files": sum(r.get("files", 0) for r in results or []),
            "counts": dict(counts), "story_clusters": clusters,
            "retried_files": sum(r.get("retried_files", 0) for r in results or [])}


def rebuild(env: Environment, sources: list[str] | None = None, since=None, until=None, batch_size: int = 50) -> dict:
    """The three steps in this process, one batch after another (what the DAG spreads over workers)."""
    results = [extract_batch(env, batch) for batch in plan_batches(env, sources, since, until, batch_size)]
    return finalise(env, results)
