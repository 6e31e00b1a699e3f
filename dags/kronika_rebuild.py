"""`kronika_rebuild`: re-derive the database from the WARC files, spread over Airflow's workers.

Triggered by hand (no schedule), with parameters:

- `sources`: the sources to rebuild (empty: all of them);
- `since` / `until`: only WARC files created in [since, until) (ISO dates or times; empty: no bound);
- `batch_size`: about how many WARC files one mapped task takes (whole sources only);
- `target_connection`: an Airflow Connection id naming the database to write (empty: `kronika_db`
  or KRONIKA_DATABASE_URL, as every task); for rebuilding into a new, empty database.

Tasks: plan (index, choose files, batch them by source) -> extract_batch, mapped over the batches
(each Celery worker takes a share) -> finalise (story clusters, once). The logic is in
kronika/steps/rebuild.py; this file only wires it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

DEFAULT_ARGS = {"owner": "kronika", "retries": 2, "retry_delay": timedelta(seconds=30),
                "retry_exponential_backoff": True}
PARAMS = {
    "sources": Param([], type="array", items={"type": "string"}, description="Sources to rebuild; empty: all."),
    "since": Param("", type="string", description="Only files created at or after this ISO date/time."),
    "until": Param("", type="string", description="Only files created before this ISO date/time."),
    "batch_size": Param(50, type="integer", minimum=1, description="About how many WARC files a task takes."),
    "target_connection": Param("", type="string", description="Airflow Connection id of the database to write."),
}


def _environment(params: dict):
    from kronika.airflow_env import task_environment, with_database_connection

    env = task_environment()
    return with_database_connection(env, params.get("target_connection") or None)


@dag(dag_id="kronika_rebuild", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
     max_active_runs=1, tags=["kronika", "maintenance"], default_args=DEFAULT_ARGS, params=PARAMS,
     doc_md=__doc__)
def kronika_rebuild():
    @task(execution_timeout=timedelta(hours=6))
    def plan(params=None) -> list[dict]:
        from kronika.steps.rebuild import plan_batches

        return plan_batches(_environment(params), params["sources"] or None, params["since"] or None,
                            params["until"] or None, params["batch_size"])

    @task(execution_timeout=timedelta(hours=12))
    def extract_batch(batch: dict, params=None) -> dict:
        from kronika.steps.rebuild import extract_batch as extract_step

        return extract_step(_environment(params), batch)

    @task(execution_timeout=timedelta(hours=6))
    def finalise(results: list[dict], params=None) -> dict:
        from kronika.steps.rebuild import finalise as finalise_step

        return finalise_step(_environment(params), list(results))

    finalise(extract_batch.expand(batch=plan()))


kronika_rebuild()
