"""Run DAGs of the `dags/` folder for real with Airflow's `dag.test()`, in this process.

Used by `kronika demo` and the end-to-end tests: `python -m kronika.airflow_runner [--conf JSON] DAG_ID ...`
(`--conf`: the run's parameters, e.g. `{"batch_size": 1}` for `kronika_rebuild`).
The caller sets AIRFLOW_HOME (a folder of its own) and the Kronika environment; this module
prepares Airflow's metadata database, serializes the DAG folder (Airflow 3 refuses to test a DAG
that is not serialized) and runs each DAG once. Exit status 0 only if every run succeeded.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"


def prepare_environment(airflow_home: Path) -> dict[str, str]:
    """Environment variables that point Airflow at a private home and our DAG folder."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(airflow_home.resolve()),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{(airflow_home / 'airflow.db').resolve()}",
    }


def run_dags(dag_ids: list[str], conf: dict | None = None) -> dict[str, str]:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.utils.db import initdb

    initdb()
    DagBundlesManager().sync_bundles_to_db()  # the "dags-folder" bundle row the DAG rows point to
    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        # a bad config shows up here, naming the file, the source and the field
        for path, error in bag.import_errors.items():
            print(f"DAG import error in {path}: {error.strip().splitlines()[-1]}", file=sys.stderr)
        raise SystemExit(2)
    sync_bag_to_db(bag, bundle_name="dags-folder", bundle_version=None)
    states = {}
    for dag_id in dag_ids:
        dag = bag.get_dag(dag_id)
        if dag is None:
            raise SystemExit(f"no DAG {dag_id!r} in {DAGS_FOLDER} (known: {', '.join(sorted(bag.dag_ids))})")
        run = dag.test(run_conf=conf)
        states[dag_id] = str(getattr(run.state, "value", run.state))
    return states


def main(argv: list[str]) -> int:
    conf = None
    if argv[:1] == ["--conf"]:
        conf, argv = json.loads(argv[1]), argv[2:]
    states = run_dags(argv, conf)
    print(json.dumps(states))
    return 0 if all(state == "success" for state in states.values()) else 1


if __name__ == "__main__":
    if "AIRFLOW_HOME" not in os.environ:
        raise SystemExit("set AIRFLOW_HOME (kronika.airflow_runner.prepare_environment) before running DAGs")
    sys.exit(main(sys.argv[1:]))
