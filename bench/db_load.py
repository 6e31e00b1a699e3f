"""Loading the database: the index step's rows/s and extract's pages/s, on SQLite and PostgreSQL.

    .venv/bin/python bench/db_load.py [--pages 2000] [--rounds 2] [--postgres URL | --no-postgres]

A synthetic archive of N generated article pages (bench/scale_support/generated_site.py, written by
Kronika's own WARC writer, ~200 pages a file) is indexed and extracted into fresh databases. Every
figure is beside a baseline measured in the same run, on the same machine:

  (1) index load rows/s (captures, warc_files, ...: the time spent writing each file's rows, its
      transaction included), bulk loading (storage/db/bulk.py: COPY on PostgreSQL, executemany on
      SQLite) against the per-row ORM inserts it replaced; goal >= 5,000 rows/s on both databases
      (issue 25). Also the whole index step's rows/s (reading the WARC files, SURTs and the CDXJ
      index included), which reading, not loading, bounds.
  (2) `extract --workers 2` pages/s into PostgreSQL against the same into SQLite; goal >= 0.9x.

Best of --rounds for each figure. PostgreSQL: --postgres URL, else KRONIKA_TEST_POSTGRES_URL, else
the local default; each run gets a fresh schema, dropped afterwards. No timing is asserted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "bench" / "scale_support"):
    sys.path.insert(0, str(extra))

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SOURCE = "bench-news"
HOST = "news.bench.test"


def write_archive(archive: Path, pages: int) -> int:
    """N article pages as the crawler would have archived them; returns the number of files."""
    from generated_site import article_html, article_path

    from kronika.storage.warc.writer import HttpExchange, RollingWarcWriter

    start = datetime(2026, 1, 14, 6, 0, tzinfo=timezone.utc)
    with RollingWarcWriter(archive / SOURCE, SOURCE, {"kronika-source": SOURCE}, max_size=2_000_000) as writer:
        for number in range(pages):
            body = article_html(number, pages).encode("utf-8")
            exchange = HttpExchange(
                url=f"http://{HOST}{article_path(number)}", method="GET", request_target=article_path(number),
                request_headers=[("Host", HOST)], request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                response_body=body, captured_at=start + timedelta(seconds=number))
            writer.write_exchange(exchange, metadata={"kronikaRole": "article"})
    return len(list((archive / SOURCE).glob("*.warc.gz")))


class Databases:
    """Fresh databases of one kind, removed afterwards."""

    def __init__(self, work: Path, postgres: str | None):
        self.work, self.postgres, self.schemas = work, postgres, []

    def fresh(self, kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.work / f'db-{uuid.uuid4().hex[:8]}.db'}"
        from sqlalchemy import create_engine, text

        schema = f"kronika_bench_{uuid.uuid4().hex[:10]}"
        with create_engine(self.postgres).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return f"{self.postgres}{'&' if '?' in self.postgres else '?'}options=-csearch_path%3D{schema}"

    def drop(self) -> None:
        if not self.schemas:
            return
        from sqlalchemy import create_engine, text

        with create_engine(self.postgres).begin() as connection:
            for schema in self.schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _orm_inserts(session, model, rows) -> int:
    """The index step's former way: one ORM object, hence one INSERT, per capture."""
    rows = list(rows)
    session.add_all(model(**row) for row in rows)
    session.flush()
    return len(rows)


def _rows(database_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from kronika.storage.db.models import Base

    engine = create_engine(database_url)
    with engine.connect() as connection:
        total = sum(connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables)
    engine.dispose()
    return total


def time_index(database_url: str, archive: Path, bulk: bool) -> tuple[float, float]:
    """Rows per second of the index step's loading, and of the whole step (files read, CDXJ
    written, rows loaded)."""
    import kronika.steps.index as index_step
    from kronika.settings import Environment
    from kronika.storage.db.bulk import insert_rows
    from kronika.storage.db.engine import open_database

    shutil.rmtree(archive / SOURCE / "indexes", ignore_errors=True)  # its CDXJ is rebuilt each time
    open_database(database_url).dispose()  # the schema is made before the clock starts
    add_file, loading = index_step._add_file, [0.0]

    def timed_add_file(*args, **kwargs):  # one file's rows, written and committed
        started = time.perf_counter()
        try:
            return add_file(*args, **kwargs)
        finally:
            loading[0] += time.perf_counter() - started

    index_step.insert_rows = insert_rows if bulk else _orm_inserts
    index_step._add_file = timed_add_file
    try:
        started = time.perf_counter()
        index_step.index(Environment(database_url=database_url, archive_dir=archive))
        seconds = time.perf_counter() - started
    finally:
        index_step.insert_rows, index_step._add_file = insert_rows, add_file
    rows = _rows(database_url)
    return rows / loading[0], rows / seconds


def time_extract(database_url: str, archive: Path, pages: int) -> float:
    """Pages per second of `extract --workers 2` (after an index outside the clock)."""
    from kronika.settings import Environment
    from kronika.steps.extract import extract
    from kronika.steps.index import index

    env = Environment(database_url=database_url, archive_dir=archive)
    shutil.rmtree(archive / SOURCE / "indexes", ignore_errors=True)
    index(env)
    started = time.perf_counter()
    extract(env, workers=2, rules={})
    return pages / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("KRONIKA_TEST_POSTGRES_URL") or POSTGRES_DEFAULT)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    with tempfile.TemporaryDirectory(prefix="kronika-db-load-") as work_dir:
        work = Path(work_dir)
        databases = Databases(work, None if args.no_postgres else args.postgres)
        try:
            files = write_archive(work / "archive", args.pages)
            print(f"{args.pages} article pages in {files} WARC files; best of {args.rounds} rounds; "
                  f"{os.cpu_count()} CPUs, shared with other work")
            index = {(kind, bulk): (0.0, 0.0) for kind in kinds for bulk in (False, True)}
            extract = {kind: 0.0 for kind in kinds}
            for _ in range(args.rounds):
                for kind in kinds:  # interleaved, so a noisy neighbour hits both sides alike
                    for bulk in (False, True):
                        measured = time_index(databases.fresh(kind), work / "archive", bulk)
                        index[kind, bulk] = tuple(map(max, index[kind, bulk], measured))
                    extract[kind] = max(extract[kind], time_extract(databases.fresh(kind), work / "archive", args.pages))
        finally:
            databases.drop()
    for kind in kinds:
        (load, step), (orm_load, orm_step) = index[kind, True], index[kind, False]
        print(f"(1) {kind:<10} index load rows/s, bulk / per-row ORM: {load:,.0f} / {orm_load:,.0f} = "
              f"{load / orm_load:.2f}x; goal >= 5,000 rows/s: {'met' if load >= 5000 else 'NOT met'}")
        print(f"    {kind:<10} whole index step rows/s, bulk / per-row ORM: {step:,.0f} / {orm_step:,.0f} = "
              f"{step / orm_step:.2f}x")
    for kind in kinds:
        print(f"(2) {kind:<10} extract --workers 2 pages/s: {extract[kind]:,.1f}")
    if "postgresql" in extract:
        ratio = extract["postgresql"] / extract["sqlite"]
        print(f"(2) extract PostgreSQL / SQLite: {ratio:.2f}x; goal >= 0.9x: {'met' if ratio >= 0.9 else 'NOT met'}")


if __name__ == "__main__":
    main()
