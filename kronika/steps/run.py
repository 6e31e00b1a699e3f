"""A source's whole run, as its DAG does it: crawl, then index, then extract, then check."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kronika import runs
from kronika.settings import Environment, NewsSource, TelegramSource
from kronika.steps.check import CheckResult, check
from kronika.steps.crawl import CrawlResult, crawl
from kronika.steps.extract import ExtractResult, extract
from kronika.steps.index import IndexResult, index
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import CrawlRun


@dataclass
class RunResult:
    crawl: CrawlResult
    index: IndexResult
    extract: ExtractResult
    check: CheckResult  # not raised: the caller decides (the CLI exits 1, the DAG's own task fails)

    def summary(self) -> runs.RunSummary:
        """The run as `kronika run` shows it: the crawl's stats, what extract made of them, the verdict."""
        return self.check.summary or runs.summarise_stats(self.crawl.stats, run_id=self.crawl.run_id,
                                                          source=self.crawl.source, status=self.crawl.status)


@contextmanager
def step_of_run(env: Environment, run_id: str, step: str) -> Iterator[None]:
    """Index or extract for a run (here and in the DAG's tasks): if the step fails, so has the run,
    in `crawl_runs`, until a retry gets through and the check judges it again."""
    try:
        yield
    except Exception as exc:
        # the crawl went well but its captures did not become rows: the run has not succeeded
        with unit_of_work(open_database(env.database_url)) as session:
            runs.mark_step_failed(session, run_id, step, f"{type(exc).__name__}: {exc}")
        raise


def run_source(source: NewsSource | TelegramSource, env: Environment | None = None,
               recapture_all: bool = False) -> RunResult:
    env = env or Environment.from_env()
    crawled = crawl(source, env, recapture_all=recapture_all)
    with step_of_run(env, crawled.run_id, "index"):
        indexed = index(env, source.name)
    with step_of_run(env, crawled.run_id, "extract"):
        extracted = extract(env, source=source.name)
    checked = check(source.name, env, run_id=crawled.run_id, raise_on_failure=False)
    if checked.summary is not None:  # the stats as recorded, with what extract made of the captures
        crawled.stats = _recorded_stats(env, crawled.run_id) or crawled.stats
    return RunResult(crawled, indexed, extracted, checked)


def _recorded_stats(env: Environment, run_id: str) -> dict:
    with unit_of_work(open_database(env.database_url)) as session:
        run = session.get(CrawlRun, run_id)
        return dict(run.stats or {}) if run is not None else {}
