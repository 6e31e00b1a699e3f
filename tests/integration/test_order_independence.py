"""Same archive, same rows, in any order (docs/design.md, "Order independence").

The mirror is crawled three times (epoch 0, 1, 2: articles rewritten and added, posts edited, a
post deleted and then back), then the same WARC files are loaded into fresh databases in other
orders, each file arriving in the archive just before `kronika extract --file` loads it, as a
late upload would: in capture order, reversed, shuffled (several seeds), with the oldest file
last, and in two halves by two `kronika extract` processes at once. Every derived table must come
out row for row as the in-order crawl left it (ids and load times aside: `test_rebuild.dump`
compares by natural keys), on SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kronika.settings import Environment
from kronika.steps.extract import extract
from kronika.steps.index import closed_warc_files
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database
from tests.conftest import fresh_postgres_schema
from tests.integration.test_rebuild import assert_same_rows, dump

SEEDS = (1, 2, 3)


@pytest.fixture
def empty_database(any_env, tmp_path):
    """A factory of empty databases of `any_env`'s dialect (PostgreSQL schemas dropped afterwards)."""
    with ExitStack() as stack:
        made = []

        def make() -> str:
            made.append(f"sqlite:///{tmp_path / f'order-{len(made)}.db'}" if any_env.database_url.startswith("sqlite")
                        else stack.enter_context(fresh_postgres_schema("kronika_order")))
            return made[-1]
        yield make


@pytest.fixture
def three_epochs(any_env, mirror, demo_config):
    """The mirror crawled at epochs 0, 1 and 2: the archive's files (in capture order) and the
    rows the in-order pipeline derived from them."""
    for epoch in (0, 1, 2):
        mirror.set_epoch(epoch)
        for source in demo_config.sources:
            run_source(source, any_env)
    files = closed_warc_files(any_env.archive_dir)
    engine = create_engine(any_env.database_url)
    with engine.connect() as connection:
        facts = {name: connection.execute(text(query)).scalar() for name, query in {
            "article_versions": "SELECT count(*) FROM article_versions",
            "articles": "SELECT count(*) FROM articles",
            "post_versions": "SELECT count(*) FROM telegram_post_versions",
            "posts": "SELECT count(*) FROM telegram_posts",
            "deleted": "SELECT count(*) FROM telegram_post_events WHERE event = 'deleted'",
            "reappeared": "SELECT count(*) FROM telegram_post_events WHERE event = 'reappeared'",
            "clusters": "SELECT count(*) FROM story_clusters",
        }.items()}
    engine.dispose()
    # what makes the orders matter: edits, a deletion and a reappearance, several files per source
    assert facts["article_versions"] > facts["articles"] and facts["post_versions"] > facts["posts"], facts
    assert facts["deleted"] >= 1 and facts["reappeared"] >= 1 and facts["clusters"] >= 1, facts
    assert len(files) >= 6, files
    return files, dump(any_env.database_url)


def _arrive(path: Path, archive: Path, target: Path) -> Path:
    """Copy an archive file into another archive at the same relative path (a late upload)."""
    destination = target / path.relative_to(archive)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, destination)
    return destination


def _orders(files: list[Path]) -> dict[str, list[Path]]:
    orders = {"capture order": list(files), "reversed": list(reversed(files)),
              "oldest file last": files[1:] + files[:1]}
    for seed in SEEDS:
        shuffled = list(files)
        random.Random(seed).shuffle(shuffled)
        orders[f"shuffled (seed {seed})"] = shuffled
    return orders


def test_any_loading_order_gives_the_same_rows(any_env, three_epochs, empty_database, tmp_path):
    files, expected = three_epochs
    for number, (name, order) in enumerate(_orders(files).items()):
        target = Environment(database_url=empty_database(), archive_dir=tmp_path / f"order-{number}")
        for path in order:
            result = extract(target, files=[_arrive(path, any_env.archive_dir, target.archive_dir)])
            assert not result.counts["unreadable_records"], name
        try:
            assert_same_rows(expected, dump(target.database_url))
        except AssertionError as exc:
            raise AssertionError(f"loading in {name} ({[p.name for p in order]}): {exc}") from None


def test_two_concurrent_extracts_of_two_halves_give_the_same_rows(any_env, three_epochs, empty_database,
                                                                  tmp_path):
    files, expected = three_epochs
    target = Environment(database_url=empty_database(), archive_dir=tmp_path / "halves")
    arrived = [_arrive(path, any_env.archive_dir, target.archive_dir) for path in files]
    open_database(target.database_url).dispose()  # the database exists (two first migrations at once race)
    # interleaved, so both processes load files of every source, older and newer ones
    halves = [arrived[0::2], arrived[1::2]]
    environment = {**os.environ, "KRONIKA_DATABASE_URL": target.database_url,
                   "KRONIKA_ARCHIVE_DIR": str(target.archive_dir)}
    processes = [subprocess.Popen([sys.executable, "-m", "kronika.cli", "extract",
                                   *[arg for path in half for arg in ("--file", str(path))]],
                                  env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for half in halves]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
    assert_same_rows(expected, dump(target.database_url))


def test_extract_file_names_what_it_cannot_load(sqlite_env, tmp_path):
    from tests.support.cli import kronika, one_line_error

    outside = tmp_path / "elsewhere.warc.gz"
    outside.write_bytes(b"")
    line = one_line_error(kronika("extract", "--file", str(outside)))
    assert "elsewhere.warc.gz" in line
