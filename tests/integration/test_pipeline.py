"""The spine, end to end on the mirror: crawl -> WARC -> index -> extract, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, CrawlRun
from kronika.storage.warc.reader import scan
from tests.integration.helpers import assert_database_matches_mirror, assert_warcio_check_passes, row_counts, warc_files


def run_all(config, env):
    return {source.name: run_source(source, env) for source in config.sources}


def test_pipeline_stores_exactly_the_mirror_and_second_run_is_idempotent(any_env, mirror, demo_config):
    first = run_all(demo_config, any_env)
    assert_database_matches_mirror(any_env.database_url)
    assert_warcio_check_passes(any_env.archive_dir)
    counts = row_counts(any_env.database_url)
    files_after_first = set(warc_files(any_env.archive_dir))

    # every response was archived before anything was parsed: the robots.txt and discovery pages too
    engine = open_database(any_env.database_url)
    with unit_of_work(engine) as session:
        roles = set(session.scalars(select(Capture.role)))
        runs = list(session.scalars(select(CrawlRun)))
    assert {"robots", "discovery", "article", "channel"} <= roles
    assert {run.status for run in runs} == {"succeeded"} and len(runs) == len(demo_config.sources)
    assert all(result.crawl.stats["downloader/response_count"] > 0 for result in first.values())
    hits = mirror.hits
    assert hits["/robots.txt"] == len(demo_config.sources), "robots.txt is fetched once per crawl"
    assert hits["/herald/private/login"] == 0 and hits["/vistnyk/admin/"] == 0, "robots.txt disallows them"

    second = run_all(demo_config, any_env)
    after = row_counts(any_env.database_url)
    for table in ("articles", "article_versions", "telegram_posts", "telegram_post_versions"):
        assert after[table] == counts[table], f"{table} grew on an unchanged mirror"
    assert after["telegram_post_views"] == 2 * counts["telegram_post_views"], "a view count per sighting"
    # unchanged payloads are revisit records, not a second copy
    new_files = set(warc_files(any_env.archive_dir)) - files_after_first
    assert len(new_files) == len(demo_config.sources)
    new_records = [record for path in new_files for record in scan(path)]
    assert not [r for r in new_records if r.rec_type == "response" and r.status == 200]
    revisits = [r for r in new_records if r.rec_type == "revisit"]
    assert len(revisits) == sum(res.crawl.stats["downloader/response_count"] for res in second.values())
    assert all(r.refers_to_date is not None for r in revisits)
    assert_database_matches_mirror(any_env.database_url)
    assert_warcio_check_passes(any_env.archive_dir)

    # re-extracting every file changes nothing
    extract(any_env, all_files=True)
    assert row_counts(any_env.database_url) == after
