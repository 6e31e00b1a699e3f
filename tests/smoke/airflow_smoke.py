"""A real Airflow 3 deployment, briefly: scheduler, dag-processor and api-server (+ Celery workers).

`make airflow-smoke` runs it for both executors:

    python tests/smoke/airflow_smoke.py --executor local    # SQLite metadata DB in a temp dir
    python tests/smoke/airflow_smoke.py --executor celery   # Redis broker, PostgreSQL metadata + data

It starts the bundled mirror and every Airflow process it needs in a temporary AIRFLOW_HOME,
creates the site pools, unpauses and triggers mirror sources' DAGs, waits (bounded) for their runs
to succeed through the Airflow CLI, checks the Kronika rows against the mirror, and stops every
process it started, also on failure. Exit 0 on success, 1 on failure, 0 with a SKIP line when a
service the executor needs (Redis, PostgreSQL) is not there, unless `--require-services` (CI) makes
that a failure too.

The Celery run keeps the archive where a cluster would: on an object store
(`KRONIKA_ARCHIVE_DIR=s3://…`, a moto S3 server started here), so every worker's WARC files land
in one place; it checks that the bucket holds exactly the files `warc_files` lists.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for tests.integration.helpers when run as a script

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
RUN_TIMEOUT = 420  # seconds a DAG run may take here before the smoke fails
# `auto` (what `make test` sets) means the local default here: the Celery run checks it answers
POSTGRES = os.environ.get("KRONIKA_TEST_POSTGRES_URL", "auto")
if POSTGRES.strip().lower() in ("", "auto"):
    POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = os.environ.get("KRONIKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def say(message: str) -> None:
    print(f"[airflow-smoke] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Deployment:
    """The Airflow processes of one smoke run, each in its own process group, logs in files."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.processes = env, logs, []

    def airflow(self, *args: str, check: bool = True, timeout: int = 180) -> str:
        result = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed: {result.stderr.strip()[-1500:]}")
        return result.stdout

    def start(self, name: str, *args: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        process = subprocess.Popen([AIRFLOW, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append((name, process))
        say(f"started {name} (pid {process.pid})")

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, process in self.processes:
            try:
                process.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            say(f"stopped {name}")

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")


def json_rows(output: str) -> list[dict]:
    """The CLI's `-o json` output, or no rows when it printed a notice such as "No data found"."""
    for line in output.splitlines():  # warnings may be printed before the JSON
        if line.startswith("["):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return []


def wait_for(what: str, probe, timeout: float, deployment: Deployment, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment.check_alive()
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_smoke(executor: str, sources: list[str], require_services: bool = False) -> int:
    from sqlalchemy import create_engine, text

    from kronika.mirror.server import MirrorServer
    from kronika.settings import load_config, site_pool
    from tests.integration.helpers import OUTLET_SOURCES, row_counts

    if executor == "celery":
        for service, port in (("Redis", 6379), ("PostgreSQL", 5432)):
            if not reachable("127.0.0.1", port):
                if require_services:
                    say(f"FAIL celery: no {service} on 127.0.0.1:{port} (--require-services)")
                    return 1
                say(f"SKIP celery: no {service} on 127.0.0.1:{port}")
                return 0
    work = Path(tempfile.mkdtemp(prefix=f"kronika-smoke-{executor}-"))
    logs = work / "logs"
    logs.mkdir()
    cleanups = []
    api_port = free_port()
    env = {**os.environ,
           "AIRFLOW_HOME": str(work / "airflow"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
           "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(api_port),
           "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
           "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
           "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
           "KRONIKA_CONFIG": str(ROOT / "config" / "demo.yaml"),
           "KRONIKA_ARCHIVE_DIR": str(work / "archive")}
    if executor == "local":
        env["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{work / 'airflow' / 'airflow.db'}"
        env["KRONIKA_DATABASE_URL"] = f"sqlite:///{work / 'kronika.db'}"
    else:
        # a database of its own for Airflow's metadata, a schema of its own for Kronika's rows
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        name = f"kronika_smoke_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            connection.execute(text(f'CREATE SCHEMA "{name}"'))

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        cleanups.append(drop)
        base = POSTGRES.rsplit("/", 1)[0]
        env["AIRFLOW__CORE__EXECUTOR"] = "CeleryExecutor"
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"{base}/{name}"
        # psycopg 3 drives the async engine too, so Airflow needs no asyncpg
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = f"{base}/{name}".replace("+psycopg", "+psycopg_async")
        env["AIRFLOW__CELERY__BROKER_URL"] = REDIS
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + f"{base}/{name}".replace("+psycopg", "")
        sep = "&" if "?" in POSTGRES else "?"
        env["KRONIKA_DATABASE_URL"] = f"{POSTGRES}{sep}options=-csearch_path%3D{name}"

    bucket_files = None
    if executor == "celery":
        from contextlib import ExitStack

        from tests.support.s3 import S3Unavailable, fresh_filesystem, s3_server

        stack = ExitStack()
        try:
            env.update(stack.enter_context(s3_server()))
        except S3Unavailable as exc:
            say(f"celery: archive in a local folder ({exc})")
        else:
            cleanups.append(stack.close)
            os.environ.update({k: env[k] for k in env if k.startswith("AWS_")})
            fresh_filesystem().mkdir("kronika-smoke")
            env["KRONIKA_ARCHIVE_DIR"] = "s3://kronika-smoke/archive"
            env["KRONIKA_SPOOL_DIR"] = str(work / "spool")

            def bucket_files() -> set[str]:
                fs = fresh_filesystem()
                return {name.split("/archive/", 1)[1] for name in fs.glob("kronika-smoke/archive/*/*.warc.gz")}

    mirror = MirrorServer(port=0).start()
    env["KRONIKA_MIRROR_PROXY"] = mirror.url
    os.environ.update({k: env[k] for k in ("KRONIKA_MIRROR_PROXY", "KRONIKA_CONFIG")})
    deployment = Deployment(env, logs)
    started = time.monotonic()
    try:
        say(f"{executor}: AIRFLOW_HOME={env['AIRFLOW_HOME']}, mirror {mirror.url}")
        deployment.airflow("db", "migrate", timeout=300)
        deployment.start("api-server", "api-server", "--port", str(api_port))
        deployment.start("scheduler", "scheduler")
        deployment.start("dag-processor", "dag-processor")
        if executor == "celery":
            for worker in ("w1", "w2"):
                deployment.start(f"worker-{worker}", "celery", "worker", "--concurrency", "2",
                                 "--celery-hostname", f"{worker}@%h")
        config = load_config()
        chosen = [config.source(name) for name in sources]
        for pool in {site_pool(source) for source in chosen}:
            deployment.airflow("pools", "set", pool, "2", "Kronika smoke: crawls of the mirror")
        dag_ids = [f"kronika_{source.name}" for source in chosen]

        def parsed() -> bool:
            listed = json_rows(deployment.airflow("dags", "list", "-o", "json"))
            return set(dag_ids) <= {row["dag_id"] for row in listed}
        wait_for("the dag-processor to parse the DAGs", parsed, 180, deployment)
        say(f"DAGs parsed after {time.monotonic() - started:.0f} s")

        run_ids = {}
        for dag_id in dag_ids:
            deployment.airflow("dags", "unpause", dag_id)
            run_ids[dag_id] = f"smoke-{uuid.uuid4().hex[:8]}"
            deployment.airflow("dags", "trigger", dag_id, "--run-id", run_ids[dag_id])

        def finished() -> dict | None:
            states = {}
            for dag_id, run_id in run_ids.items():
                runs = json_rows(deployment.airflow("dags", "list-runs", dag_id, "-o", "json"))
                states[dag_id] = next((r["state"] for r in runs if r["run_id"] == run_id), "absent")
            if any(state == "failed" for state in states.values()):
                raise RuntimeError(f"a DAG run failed: {states} (logs in {logs})")
            return states if all(state == "success" for state in states.values()) else None
        states = wait_for("the triggered runs to succeed", finished, RUN_TIMEOUT, deployment, every=3)
        say(f"runs succeeded after {time.monotonic() - started:.0f} s: {states}")

        # the rows are there, once: the scheduled run that unpausing may start adds no duplicates
        counts = row_counts(env["KRONIKA_DATABASE_URL"])
        from kronika.mirror.server import VIRTUAL_BASE_URL
        from kronika.mirror.site import MirrorSite

        site = MirrorSite()
        wanted_articles = sum(1 for a in site.expected_articles(VIRTUAL_BASE_URL) if OUTLET_SOURCES[a.outlet] in sources)
        wanted_posts = len(site.expected_posts()) if any(s.kind == "telegram" for s in chosen) else 0
        if counts["articles"] != wanted_articles or counts["telegram_posts"] != wanted_posts:
            raise RuntimeError(f"rows do not match the mirror: {counts}, expected {wanted_articles} articles, "
                               f"{wanted_posts} posts")
        if bucket_files is not None:
            engine = create_engine(env["KRONIKA_DATABASE_URL"])
            with engine.connect() as connection:
                listed = set(connection.execute(text("SELECT path FROM warc_files")).scalars())
            engine.dispose()
            stored = bucket_files()
            if not listed or stored != listed:
                raise RuntimeError(f"the bucket holds {sorted(stored)}, warc_files lists {sorted(listed)}")
            say(f"{len(stored)} WARC files in s3://kronika-smoke/archive, as warc_files lists")
        say(f"OK {executor}: {counts['articles']} articles, {counts['telegram_posts']} posts, "
            f"{counts['warc_files']} WARC files in {time.monotonic() - started:.0f} s")
        cleanups.append(lambda: shutil.rmtree(work, ignore_errors=True))  # kept on failure, for its logs
        return 0
    except Exception as exc:
        say(f"FAILED {executor}: {exc}")
        for log in sorted(logs.glob("*.log")):
            tail = log.read_text(errors="replace").strip().splitlines()[-15:]
            say(f"--- last lines of {log.name}:\n" + "\n".join(tail))
        return 1
    finally:
        deployment.stop()
        mirror.stop()
        for cleanup in cleanups:
            cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=["local", "celery"], default="local")
    parser.add_argument("--sources", nargs="+", default=None,
                        help="demo sources to run (default: one for local, two at once for celery)")
    parser.add_argument("--require-services", action="store_true",
                        help="fail (exit 1) instead of SKIP when Redis or PostgreSQL is missing (CI)")
    args = parser.parse_args()
    sources = args.sources or (["riverside-herald"] if args.executor == "local"
                               else ["riverside-herald", "zarichna-ova"])
    return run_smoke(args.executor, sources, require_services=args.require_services)


if __name__ == "__main__":
    sys.exit(main())
