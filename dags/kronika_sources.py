"""One Airflow DAG per configured source: `kronika_<source>`, tasks crawl -> index -> extract.

Thin by design: each task calls a `kronika.steps` function. At import this file reads the config
file and nothing else (no network, no database), so the scheduler parses it quickly; a bad config
fails the import with the file, source and field named, instead of silently dropping DAGs.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from kronika.settings import load_config

DEFAULT_ARGS = {"owner": "kronika", "retries": 2, "retry_delay": timedelta(minutes=1),
                "retry_exponential_backoff": True}


def build_dag(source):
    @dag(dag_id=f"kronika_{source.name}", schedule=source.schedule, start_date=datetime(2026, 1, 1),
         catchup=False, max_active_runs=1, tags=["kronika", source.kind], default_args=DEFAULT_ARGS,
         dagrun_timeout=timedelta(hours=2),
         doc_md=f"Kronika {source.kind} source **{source.name}**: {', '.join(source.start_urls)}")
    def source_dag():
        @task(execution_timeout=timedelta(hours=1))
        def crawl() -> dict:
            from kronika.steps.crawl import crawl as crawl_step

            result = crawl_step(load_config().source(source.name))
            return {"run_id": result.run_id, "warc_files": result.warc_files,
                    "pages": result.stats.get("downloader/response_count", 0)}

        @task(execution_timeout=timedelta(minutes=30))
        def index(crawled: dict) -> dict:
            from kronika.steps.index import index as index_step

            result = index_step(source=source.name)
            return {"files": len(result.files), "captures": result.captures}

        @task(execution_timeout=timedelta(minutes=30))
        def extract(indexed: dict) -> dict:
            from kronika.steps.extract import extract as extract_step

            return dict(extract_step(source=source.name).counts)

        extract(index(crawl()))

    return source_dag()


for _source in load_config().sources:
    globals()[f"kronika_{_source.name}"] = build_dag(_source)
