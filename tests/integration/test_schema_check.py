"""The schema check every command makes is cheap (alembic is imported only to migrate), and two
workers starting together on a new PostgreSQL database migrate it once, one after the other."""
import subprocess
import sys
import threading

from sqlalchemy import text

from kronika.storage.db.engine import current_revisions, head_revisions, make_engine, open_database


def test_a_current_schema_is_checked_without_alembic(sqlite_env):
    open_database(sqlite_env.database_url)  # creates and migrates
    script = f"""
import sys
from kronika.storage.db.engine import open_database
open_database({sqlite_env.database_url!r})
print("alembic" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_two_workers_migrating_a_new_postgresql_database_at_once(postgres_url):
    assert current_revisions(make_engine(postgres_url)) == set()
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            open_database(postgres_url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    engine = make_engine(postgres_url)
    assert current_revisions(engine) == head_revisions()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
