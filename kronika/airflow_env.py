"""Settings for a task at run time: Airflow Connections and Variables may override the environment.

- Connection `kronika_db` (its URI) overrides KRONIKA_DATABASE_URL, so the database password can
  live in Airflow's secrets backend instead of every worker's environment.
- Variable `kronika_archive_dir` overrides KRONIKA_ARCHIVE_DIR.
Read only inside tasks, never at DAG-file import (no database or network I/O while parsing).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from kronika.settings import Environment

logger = logging.getLogger(__name__)

# Asset URIs the source DAGs emit and the exports DAG is scheduled on
ARTICLES_ASSET = "kronika://articles"
POSTS_ASSET = "kronika://telegram_posts"

DATABASE_CONNECTION = "kronika_db"
ARCHIVE_VARIABLE = "kronika_archive_dir"


def export_dir() -> Path:
    """Where the exports DAG writes: KRONIKA_EXPORT_DIR, default data/exports."""
    return Path(os.environ.get("KRONIKA_EXPORT_DIR", "data/exports"))


def _connection_url(connection) -> str:
    """An Airflow Connection's URI as SQLAlchemy wants it (psycopg 3 for PostgreSQL)."""
    database_url = connection.get_uri().replace("postgres://", "postgresql+psycopg://", 1)
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return database_url


def with_database_connection(env: Environment, connection_id: str | None) -> Environment:
    """`env` writing to the database of Airflow Connection `connection_id` (None: `env` as it is)."""
    if not connection_id:
        return env
    from airflow.sdk import Connection

    database_url = _connection_url(Connection.get(connection_id))
    os.environ["KRONIKA_DATABASE_URL"] = database_url
    return Environment(database_url=database_url, archive_dir=env.archive_dir, spool_dir=env.spool_dir)


def task_environment() -> Environment:
    env = Environment.from_env()
    database_url, archive_dir = env.database_url, env.archive_dir
    try:
        from airflow.sdk import Connection, Variable
    except ImportError:  # outside Airflow: the environment alone
        return env
    try:
        database_url = _connection_url(Connection.get(DATABASE_CONNECTION))
    except Exception:  # not defined: keep the environment's
        pass
    try:
        value = Variable.get(ARCHIVE_VARIABLE, default=None)
        if value:
            archive_dir = value  # a directory or an object-store URL (s3://bucket/prefix)
    except Exception:
        pass
    # the steps (and the crawl's child process) read the environment
    os.environ["KRONIKA_DATABASE_URL"], os.environ["KRONIKA_ARCHIVE_DIR"] = database_url, str(archive_dir)
    return Environment(database_url=database_url, archive_dir=archive_dir, spool_dir=env.spool_dir)
