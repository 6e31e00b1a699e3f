"""Housekeeping the maintenance DAG runs: archive verification, WACZ packages of closed days,
database statistics and space (on either dialect)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from kronika.settings import Environment
from kronika.storage.db.engine import open_database


def vacuum_analyze(env: Environment | None = None) -> str:
    """Refresh the planner's statistics and reclaim space; returns what was run."""
    env = env or Environment.from_env()
    engine = open_database(env.database_url)
    # VACUUM may not run inside a transaction on either dialect
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            connection.execute(text("VACUUM"))
            connection.execute(text("ANALYZE"))
            return "sqlite: wal_checkpoint, VACUUM, ANALYZE"
        connection.execute(text("VACUUM (ANALYZE)"))
        return f"{engine.dialect.name}: VACUUM (ANALYZE)"


def verify(env: Environment | None = None) -> dict:
    """Re-read every closed WARC file against `warc_files`; raise on any problem (the task fails)."""
    from kronika.custody.record import files_verified
    from kronika.storage.warc.verify import verify_archive

    env = env or Environment.from_env()
    result = verify_archive(env.database_url, env.archive_dir)
    files_verified(env, result.verified)
    if not result.ok:
        first = result.problems[0].as_dict()
        raise RuntimeError(f"{len(result.problems)} archive problems, first: {first}")
    return {"files": result.files, "records": result.records, "digests_checked": result.digests_checked}


def package_day(day: date, out_dir: Path, env: Environment | None = None) -> list[str]:
    """One WACZ per source for a closed UTC day, skipping sources with no capture that day."""
    from kronika.custody.record import package_written
    from kronika.report import source_summaries
    from kronika.storage.warc.paths import file_sha256, relative_name
    from kronika.storage.warc.wacz import build_wacz, select_for_wacz

    env = env or Environment.from_env()
    since = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    until = since + timedelta(days=1)
    written = []
    for summary in source_summaries(env):
        source = summary["source"]
        out = Path(out_dir) / source / f"{source}-{day.isoformat()}.wacz"
        if out.exists():
            continue  # a closed day is packaged once
        files, pages = select_for_wacz(env.database_url, env.archive_dir, source, since, until)
        if not files:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        build_wacz(out, files, pages, title=f"Kronika: {source}, {day.isoformat()}")
        package_written(env, "exported", out.name, file_sha256(out),
                        {"warc_files": [relative_name(env.archive_dir, p) for p in files], "signed": False})
        written.append(str(out))
    return written


def export_latest(target: Path, env: Environment | None = None) -> dict[str, int]:
    """Export every public table and view as Parquet into `target/latest`, swapped in whole.

    The new set is written to `target/staging` and renamed into place only when complete, so a
    consumer reading `latest` never sees half of one export and half of another. Returns the rows
    written per table.
    """
    import shutil

    from kronika.storage.export import export_all

    env = env or Environment.from_env()
    staging, latest, previous = target / "staging", target / "latest", target / "previous"
    shutil.rmtree(staging, ignore_errors=True)
    manifest = export_all(open_database(env.database_url), staging, fmt="parquet")
    shutil.rmtree(previous, ignore_errors=True)
    if latest.exists():
        latest.rename(previous)
    staging.rename(latest)
    shutil.rmtree(previous, ignore_errors=True)
    return {table: entry["rows"] for table, entry in manifest["tables"].items()}
