"""Streaming exports of the public tables and the consumer views: JSON Lines, CSV and Parquet.

Rows are read in batches through a streaming cursor (a server-side cursor on PostgreSQL) and
written as they come, so memory stays flat however many millions of rows a table holds. Parquet
columns carry the schema's types: 64-bit integers, booleans, `timestamp[us, tz=UTC]`, `authors`
as a list of strings, other JSON columns as JSON text.

    with engine.connect() as connection:
        export_table(connection, "articles", "parquet", Path("articles.parquet"))
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Select,
    Table,
    func,
    select,
)

from kronika.storage.db.models import Base, UTCDateTime
from kronika.storage.db.views import views

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}
BATCH_ROWS = 2000
# JSON columns that always hold a list of strings get a real list type in Parquet
STRING_LISTS = {"authors", "tags"}
# the column --since/--until filter on, where the first of the generic ones would mislead
TIME_COLUMNS = {"articles": "first_seen_at", "telegram_posts": "first_seen_at", "v_articles_latest": "first_seen_at",
                "v_posts_latest": "first_seen_at", "v_deletions": "deleted_at"}
GENERIC_TIME_COLUMNS = ("captured_at", "started_at", "first_seen_at", "created_at")

Progress = Callable[[int], None]


def public_tables() -> dict[str, Table]:
    """Every table of the public schema (in dependency order) and every consumer view."""
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    return {**tables, **{name: views.tables[name] for name in sorted(views.tables)}}


def base_tables() -> list[str]:
    return [table.name for table in Base.metadata.sorted_tables]


def time_column(table: Table):
    name = TIME_COLUMNS.get(table.name) or next((c for c in GENERIC_TIME_COLUMNS if c in table.c), None)
    return table.c[name] if name else None


def _source_condition(table: Table, source: str):
    """Rows of one source: directly, or through the row they belong to."""
    tables = Base.metadata.tables
    if "source" in table.c:
        return table.c.source == source
    if table.name == "sources":
        return table.c.name == source
    parents = {"warc_file_id": "warc_files", "article_id": "articles", "post_id": "telegram_posts"}
    for column, parent in parents.items():
        if column in table.c and any(fk.column.table.name == parent for fk in table.c[column].foreign_keys):
            parent_table = tables[parent]
            return table.c[column].in_(select(parent_table.c.id).where(parent_table.c.source == source))
    raise ValueError(f"{table.name} has no source to filter on")


def query(table: Table, source: str | None = None, since: datetime | None = None,
          until: datetime | None = None) -> Select:
    stmt = select(table)
    if source:
        stmt = stmt.where(_source_condition(table, source))
    if since or until:
        column = time_column(table)
        if column is None:
            raise ValueError(f"{table.name} has no time column for --since/--until")
        if since:
            stmt = stmt.where(column >= since)
        if until:
            stmt = stmt.where(column < until)
    order = list(table.primary_key.columns) or list(table.c)[:1]
    return stmt.order_by(*order)


def count_rows(connection: Connection, stmt: Select) -> int:
    return connection.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def stream(connection: Connection, stmt: Select, batch: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    """Batches of rows as dicts, from a streaming cursor: never the whole result in memory."""
    result = connection.execution_options(yield_per=batch).execute(stmt)
    for partition in result.mappings().partitions():
        yield [dict(row) for row in partition]


# ------------------------------------------------------------------------------------ writers
def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, memoryview)):  # binary columns (article_signatures.signature) as hex
        return bytes(value).hex()
    return value


class JsonLinesWriter:
    def __init__(self, table: Table, out: IO[str]):
        self.out = out

    def write(self, rows: list[dict]) -> None:
        self.out.writelines(json.dumps(row, ensure_ascii=False, default=_plain) + "\n" for row in rows)

    def close(self) -> None:
        self.out.flush()


class CsvWriter:
    """RFC 4180 CSV with a header; timestamps ISO 8601 with offset, JSON as JSON text, booleans true/false."""

    def __init__(self, table: Table, out: IO[str]):
        self.columns = [c.name for c in table.c]
        self.json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}
        self.writer = csv.writer(out, lineterminator="\r\n")
        self.writer.writerow(self.columns)
        self.out = out

    def _cell(self, name: str, value: Any) -> Any:
        if value is None:
            return ""
        if name in self.json_columns:
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return "true" if value else "false"
        return _plain(value)

    def write(self, rows: list[dict]) -> None:
        self.writer.writerows([self._cell(name, row[name]) for name in self.columns] for row in rows)

    def close(self) -> None:
        self.out.flush()


def arrow_schema(table: Table):
    import pyarrow as pa

    fields = []
    for column in table.c:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            arrow = pa.timestamp("us", tz="UTC")
        elif isinstance(kind, Boolean):
            arrow = pa.bool_()
        elif isinstance(kind, (Integer, BigInteger)):
            arrow = pa.int64()
        elif isinstance(kind, Float):
            arrow = pa.float64()
        elif isinstance(kind, LargeBinary):
            arrow = pa.binary()
        elif isinstance(kind, JSON):
            arrow = pa.list_(pa.string()) if column.name in STRING_LISTS else pa.string()
        else:
            arrow = pa.string()
        metadata = {"kronika:json": "true"} if isinstance(kind, JSON) and column.name not in STRING_LISTS else None
        fields.append(pa.field(column.name, arrow, nullable=True, metadata=metadata))
    return pa.schema(fields, metadata={"kronika:table": table.name})


class ParquetWriter:
    def __init__(self, table: Table, out: Path):
        import pyarrow.parquet as pq

        self.schema = arrow_schema(table)
        self.json_columns = {c.name for c in table.c if isinstance(c.type, JSON) and c.name not in STRING_LISTS}
        self.writer = pq.ParquetWriter(out, self.schema, compression="zstd")

    def _value(self, name: str, value: Any) -> Any:
        if name in self.json_columns and value is not None:
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, memoryview):
            return bytes(value)
        return value

    def write(self, rows: list[dict]) -> None:
        import pyarrow as pa

        columns = {name: [self._value(name, row[name]) for row in rows] for name in self.schema.names}
        self.writer.write_batch(pa.RecordBatch.from_pydict(columns, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


# ------------------------------------------------------------------------------------ exports
def format_for(path: str | Path | None, default: str = "jsonl") -> str:
    suffix = Path(path).suffix.lower() if path else ""
    return {v: k for k, v in SUFFIXES.items()}.get(suffix, default)


def export_table(connection: Connection, table_name: str, fmt: str, out: Path | None,
                 source: str | None = None, since: datetime | None = None, until: datetime | None = None,
                 progress: Progress | None = None) -> int:
    """Write one table or view to `out` (stdout for JSON Lines and CSV when None); return the row count."""
    tables = public_tables()
    if table_name not in tables:
        raise ValueError(f"no public table or view named {table_name!r} (known: {', '.join(tables)})")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    table = tables[table_name]
    stmt = query(table, source, since, until)
    if fmt == "parquet":
        if out is None:
            raise ValueError("Parquet is binary: name a file with -o")
        writer = ParquetWriter(table, out)
        handle = None
    else:
        handle = open(out, "w", encoding="utf-8", newline="") if out else io.TextIOWrapper(
            sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
        writer = (JsonLinesWriter if fmt == "jsonl" else CsvWriter)(table, handle)
    rows = 0
    try:
        for batch in stream(connection, stmt):
            writer.write(batch)
            rows += len(batch)
            if progress:
                progress(len(batch))
    finally:
        writer.close()
        if handle is not None and out is not None:
            handle.close()
        elif handle is not None:
            handle.detach()  # leave sys.stdout open
    return rows


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Snapshot:
    """One read transaction over every table: REPEATABLE READ on PostgreSQL, one WAL snapshot on SQLite."""

    engine: Engine

    def __enter__(self) -> Connection:
        options = {"isolation_level": "REPEATABLE READ"} if self.engine.dialect.name == "postgresql" else {}
        self.connection = self.engine.connect().execution_options(**options)
        self.transaction = self.connection.begin()
        return self.connection

    def __exit__(self, *exc) -> None:
        self.transaction.rollback()  # read only: nothing to commit
        self.connection.close()


def export_all(engine: Engine, directory: Path, fmt: str = "parquet", tables: list[str] | None = None,
               on_table: Callable[[str, int], Progress | None] | None = None) -> dict:
    """Every public table and consumer view (docs/schema.md) into `directory` plus manifest.json
    (rows, sha256, kind, schema version); a consumer gets the documented views without SQL.

    `on_table(name, total_rows)` may return a progress callback for that table.
    """
    from kronika.storage.db.engine import current_revisions
    from kronika.storage.version import kronika_version

    directory.mkdir(parents=True, exist_ok=True)
    revisions = sorted(current_revisions(engine))
    entries = {}
    with Snapshot(engine) as connection:
        every = public_tables()
        for name in tables or list(every):
            total = count_rows(connection, query(every[name]))
            path = directory / f"{name}{SUFFIXES[fmt]}"
            rows = export_table(connection, name, fmt, path, progress=on_table(name, total) if on_table else None)
            entries[name] = {"file": path.name, "rows": rows, "bytes": path.stat().st_size,
                             "sha256": sha256_file(path), "kind": "view" if every[name].info.get("view") else "table"}
    manifest = {
        "kronika_version": kronika_version(),
        "schema_version": "+".join(revisions),
        "schema_revisions": revisions,
        "database": engine.dialect.name,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "format": fmt,
        "tables": entries,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return manifest
