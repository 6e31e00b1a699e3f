"""A source's whole run, as its DAG does it: crawl, then index, then extract, then check."""
from __future__ import annotations

from dataclasses import dataclass

from kronika.settings import Environment, NewsSource, TelegramSource
from kronika.steps.check import CheckResult, check
from kronika.steps.crawl import CrawlResult, crawl, record_run_outcome
from kronika.steps.extract import ExtractResult, extract
from kronika.steps.index import IndexResult, index


@dataclass
class RunResult:
    crawl: CrawlResult
    index: IndexResult
    extract: ExtractResult
    check: CheckResult  # not raised: the caller decides (the CLI exits 1, the DAG's own task fails)


def run_source(source: NewsSource | TelegramSource, env: Environment | None = None,
               recapture_all: bool = False) -> RunResult:
    env = env or Environment.from_env()
    crawled = crawl(source, env, recapture_all=recapture_all)
    indexed = index(env, source.name)
    extracted = extract(env, source=source.name)
    crawled.stats = record_run_outcome(env, crawled.run_id) or crawled.stats
    checked = check(source.name, env, run_id=crawled.run_id, raise_on_failure=False)
    return RunResult(crawled, indexed, extracted, checked)
