"""Data-quality checks on a source's newest run, after extract: their verdict is the run's status.

Scrapers rot silently: a site changes its markup, or goes down, and the crawl "succeeds" with
nothing in it. These checks judge the newest run (kronika.runs.judge: pages, errors by cause,
never skips) against the runs before it, and check that its WARC files were closed. A run that
fails is recorded as `failed` in `crawl_runs`, with a one-line reason naming the dominant causes,
before CheckFailed is raised: the CLI and the DAG record the same outcome. The check also writes
what extract made of the run (`kronika/new_*`) into its stats.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from kronika import runs
from kronika.settings import Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun


class CheckFailed(Exception):
    pass


@dataclass
class CheckResult:
    source: str
    run_id: str | None
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    status: str | None = None  # the run's status after the verdict
    reason: str | None = None  # why it failed, one line (crawl_runs.reason)
    summary: runs.RunSummary | None = None  # the run as kronika.runs reads it, after the verdict


def check(source: str, env: Environment | None = None, run_id: str | None = None,
          raise_on_failure: bool = True) -> CheckResult:
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        if run_id:
            newest = session.get(CrawlRun, run_id)
        else:
            newest = session.scalars(select(CrawlRun).where(CrawlRun.source == source)
                                     .order_by(CrawlRun.started_at.desc()).limit(1)).first()
        result = CheckResult(source=source, run_id=newest.id if newest else None)
        judged = runs.Verdict()
        if newest is None:
            judged.failed.append(f"no crawl run of {source} in the database")
        else:
            # what extract made of the run's captures, into its stats for consumers of crawl_runs
            runs.record_new_rows(session, newest)
            earlier = session.scalars(select(CrawlRun.stats).where(
                CrawlRun.source == source, CrawlRun.id != newest.id,
                CrawlRun.started_at < newest.started_at).order_by(CrawlRun.started_at.desc()).limit(20))
            had_pages = any(runs.pages_fetched(stats or {}) > 0 for stats in earlier)
            judged = runs.judge(runs.summarise(newest), had_pages, runs.source_proxy(session, source))
        open_files = sorted(p.name for p in (env.local_archive_dir / source).glob("*.warc.gz.open"))
        judged.expect(not open_files, "every WARC file is closed", f"WARC files left open: {', '.join(open_files)}")
        verdict = runs.Verdict()
        if newest is not None:
            # a run this check already failed (checked again) is no crawl failure: same verdict, same reason
            own = newest.status == "failed" and judged.failed and newest.reason == runs.one_line(judged.reason)
            ended = newest.status if newest.status != "failed" else f"failed ({newest.reason or 'no reason recorded'})"
            verdict.expect(runs.crawl_went_well(newest) or own, "the crawl succeeded", f"the crawl ended {ended}")
        verdict.passed += judged.passed
        verdict.failed += judged.failed
        if newest is not None:
            runs.record_verdict(session, newest, verdict)
            result.status, result.reason = newest.status, newest.reason
            result.summary = runs.summarise(newest)
    result.passed, result.failed = verdict.passed, verdict.failed
    if result.failed and raise_on_failure:
        raise CheckFailed(f"check of {source} failed: {result.reason or verdict.reason}")
    return result
