"""Data-quality checks on a source's newest run: what makes its DAG run fail loudly.

Scrapers rot silently: a site changes its markup and the crawl "succeeds" with nothing in it.
These checks compare the newest run with the previous one and with thresholds, and raise
CheckFailed with every broken assertion in one message.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from kronika.settings import Environment
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun

# a run whose errors exceed this share of its responses is broken, not unlucky
MAX_ERROR_SHARE = 0.2


class CheckFailed(Exception):
    pass


@dataclass
class CheckResult:
    source: str
    run_id: str | None
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _pages(run: CrawlRun) -> int:
    return int((run.stats or {}).get("downloader/response_count", 0))


def check(source: str, env: Environment | None = None, run_id: str | None = None,
          raise_on_failure: bool = True) -> CheckResult:
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    with unit_of_work(engine) as session:
        runs = list(session.scalars(select(CrawlRun).where(CrawlRun.source == source)
                                    .order_by(CrawlRun.started_at.desc()).limit(20)))
    if run_id:
        runs = [r for r in runs if r.id == run_id] + [r for r in runs if r.id != run_id]
    result = CheckResult(source=source, run_id=runs[0].id if runs else None)

    def expect(condition: bool, ok: str, broken: str) -> None:
        (result.passed if condition else result.failed).append(ok if condition else broken)

    if not runs:
        result.failed.append(f"no crawl run of {source} in the database")
    else:
        newest, earlier = runs[0], runs[1:]
        stats = newest.stats or {}
        expect(newest.status == "succeeded", "the crawl succeeded", f"the crawl ended {newest.status}")
        had_pages = any(_pages(run) > 0 for run in earlier)
        expect(_pages(newest) > 0 or not had_pages, f"{_pages(newest)} pages fetched",
               "zero pages fetched, although earlier runs fetched pages")
        responses = max(_pages(newest), 1)
        errors = int(stats.get("kronika/errors", 0))
        expect(errors / responses <= MAX_ERROR_SHARE, f"{errors} errors in {responses} responses",
               f"{errors} errors in {responses} responses (more than {MAX_ERROR_SHARE:.0%})")
        empty = int(stats.get("kronika/telegram/empty_pages", 0))
        expect(empty == 0, "every channel page had posts",
               f"{empty} channel pages yielded no posts: the page markup may have changed")
    open_files = sorted(p.name for p in (env.local_archive_dir / source).glob("*.warc.gz.open"))
    expect(not open_files, "every WARC file is closed", f"WARC files left open: {', '.join(open_files)}")
    if result.failed and raise_on_failure:
        raise CheckFailed(f"check of {source} failed: " + "; ".join(result.failed))
    return result
