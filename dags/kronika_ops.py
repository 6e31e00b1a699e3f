"""Kronika's two housekeeping DAGs, beside the per-source ones in kronika_sources.py.

- `kronika_exports`: scheduled on the Asset events the source DAGs emit after extracting
  (`kronika://articles`, `kronika://telegram_posts`): writes every public table as Parquet plus a
  manifest into `$KRONIKA_EXPORT_DIR/latest/` (replaced atomically) for consumers.
- `kronika_maintenance`: daily: verify the archive (digests and sha256 against `warc_files`),
  package yesterday's captures as one WACZ per source, VACUUM/ANALYZE the database, and
  time-stamp the custody log's head (docs/custody.md).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task

from kronika.airflow_env import ARTICLES_ASSET, POSTS_ASSET

DEFAULT_ARGS = {"owner": "kronika", "retries": 2, "retry_delay": timedelta(minutes=1),
                "retry_exponential_backoff": True}


@dag(dag_id="kronika_exports", schedule=(Asset(ARTICLES_ASSET) | Asset(POSTS_ASSET)),
     start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=1, tags=["kronika", "exports"],
     default_args=DEFAULT_ARGS, doc_md=__doc__)
def kronika_exports():
    @task(execution_timeout=timedelta(hours=1))
    def export() -> dict:
        from kronika.airflow_env import export_dir, task_environment
        from kronika.steps.maintenance import export_latest

        return export_latest(export_dir(), task_environment())

    export()


@dag(dag_id="kronika_maintenance", schedule="30 2 * * *", start_date=datetime(2026, 1, 1), catchup=False,
     max_active_runs=1, tags=["kronika", "maintenance"], default_args=DEFAULT_ARGS, doc_md=__doc__)
def kronika_maintenance():
    @task(execution_timeout=timedelta(hours=6))
    def verify() -> dict:
        from kronika.airflow_env import task_environment
        from kronika.steps.maintenance import verify as verify_step

        return verify_step(task_environment())

    @task(execution_timeout=timedelta(hours=6))
    def package_yesterday(data_interval_end=None) -> list[str]:
        from kronika.airflow_env import export_dir, task_environment
        from kronika.steps.maintenance import package_day

        day = (data_interval_end or datetime.utcnow()).date() - timedelta(days=1)
        return package_day(day, export_dir() / "wacz", task_environment())

    @task(execution_timeout=timedelta(hours=1))
    def vacuum() -> str:
        from kronika.airflow_env import task_environment
        from kronika.steps.maintenance import vacuum_analyze

        return vacuum_analyze(task_environment())

    @task(execution_timeout=timedelta(minutes=30))
    def stamp_custody_head() -> dict:
        from kronika.airflow_env import task_environment
        from kronika.settings import load_config
        from kronika.steps.custody import stamp_head

        return stamp_head(task_environment(), load_config())

    verify() >> package_yesterday() >> vacuum()
    stamp_custody_head()  # on its own: a failed verification must not stop the log's daily time-stamp


kronika_exports()
kronika_maintenance()
