"""One Airflow DAG per configured source: `kronika_<source>`, tasks crawl -> index -> extract -> check.

Thin by design: each task calls a `kronika.steps` function. At import this file reads the config
file and nothing else (no network, no database), so the scheduler parses it quickly; a bad config
fails the import with the file, source and field named, instead of silently dropping DAGs.

- Retries with exponential back-off and execution timeouts are declared, not coded.
- Every crawl task takes a slot of its site's pool (`kronika_site_<host>`), so two DAGs never
  hammer one outlet at once; create the pools with `kronika pools | airflow pools import /dev/stdin`.
- A successful extract emits the Asset event `kronika://articles` or `kronika://telegram_posts`
  that the `kronika_exports` DAG is scheduled on.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task

from kronika.airflow_env import ARTICLES_ASSET, POSTS_ASSET
from kronika.settings import load_config, site_pool

ASSETS = {"news": Asset(ARTICLES_ASSET), "telegram": Asset(POSTS_ASSET)}
log = logging.getLogger("kronika.dags")


def log_failure(context, retrying: bool = False) -> None:
    """One line per failed task attempt, for whoever reads the scheduler's log or forwards it to alerts."""
    ti = context.get("task_instance")
    reason = str(context.get("exception") or "unknown error").splitlines()[0][:300]
    log.error("kronika task failed%s: %s.%s (try %s): %s", ", will retry" if retrying else "",
              getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?"), getattr(ti, "try_number", "?"), reason)


def log_retry(context) -> None:
    log_failure(context, retrying=True)


DEFAULT_ARGS = {"owner": "kronika", "retries": 2, "retry_delay": timedelta(seconds=30),
                "retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=30),
                "on_failure_callback": log_failure, "on_retry_callback": log_retry}


def build_dag(source):
    doc = (f"### Kronika {source.kind} source `{source.name}`\n\n"
           f"- start URLs: {', '.join(source.start_urls)}\n- schedule: `{source.schedule}`\n"
           f"- robots.txt: {'obeyed' if source.obey_robots else 'ignored'}; delay {source.download_delay} s\n"
           f"- pool: `{site_pool(source)}`\n\nTasks: crawl (WARC) -> index (captures) -> "
           "extract (rows) -> check (data quality).")

    @dag(dag_id=f"kronika_{source.name}", schedule=source.schedule, start_date=datetime(2026, 1, 1),
         catchup=False, max_active_runs=1, tags=["kronika", source.kind], default_args=DEFAULT_ARGS,
         dagrun_timeout=timedelta(hours=3), doc_md=doc)
    def source_dag():
        @task(execution_timeout=timedelta(hours=2), pool=site_pool(source))
        def crawl() -> dict:
            from kronika.airflow_env import task_environment
            from kronika.steps.crawl import crawl as crawl_step

            return crawl_step(load_config().source(source.name), task_environment()).summary()

        @task(execution_timeout=timedelta(minutes=30))
        def index(crawled: dict) -> dict:
            from kronika.airflow_env import task_environment
            from kronika.steps.index import index as index_step
            from kronika.steps.run import step_of_run

            env = task_environment()
            with step_of_run(env, crawled["run_id"], "index"):  # a failed index fails the run too
                result = index_step(env, source=source.name)
            return {"run_id": crawled["run_id"], "files": len(result.files), "captures": result.captures}

        @task(execution_timeout=timedelta(hours=1), outlets=[ASSETS[source.kind]])
        def extract(indexed: dict) -> dict:
            from kronika.airflow_env import task_environment
            from kronika.steps.extract import extract as extract_step
            from kronika.steps.run import step_of_run

            env = task_environment()
            with step_of_run(env, indexed["run_id"], "extract"):
                counts = dict(extract_step(env, source=source.name).counts)
            return {"run_id": indexed["run_id"], **counts}

        @task(execution_timeout=timedelta(minutes=10), retries=0)
        def check(extracted: dict) -> dict:
            from kronika.airflow_env import task_environment
            from kronika.steps.check import check as check_step

            # a failing check records the run as failed in crawl_runs, then fails this task
            result = check_step(source.name, task_environment(), run_id=extracted["run_id"])
            return {"passed": result.passed, "status": result.status}

        check(extract(index(crawl())))

    return source_dag()


for _source in load_config().sources:
    globals()[f"kronika_{_source.name}"] = build_dag(_source)
