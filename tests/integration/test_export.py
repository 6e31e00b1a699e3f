"""Exports and consumer views after a real crawl of the mirror, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, text

from kronika.storage.db.engine import current_revisions, head_revisions, open_database
from kronika.storage.db.readonly import DatabaseNotReady, read_only_engine
from kronika.storage.db.views import views
from kronika.storage.export import base_tables, export_table
from tests.integration.crawled import crawl_with_history
from tests.support.cli import kronika

VIEWS = ["v_articles_latest", "v_article_changes", "v_posts_latest", "v_post_edits", "v_deletions"]


@pytest.fixture
def archive(any_env, mirror, demo_config):
    crawl_with_history(demo_config, any_env, mirror)
    return any_env


def counts(url: str) -> dict[str, int]:
    engine = open_database(url)
    with engine.connect() as connection:
        return {name: connection.scalar(text(f"SELECT COUNT(*) FROM {name}")) for name in base_tables() + sorted(views.tables)}


def test_exports_and_views_after_a_crawl_with_history(archive, tmp_path):
    """One crawl (two epochs) per database, then every check: a crawl is the slow part."""
    check_export_all_writes_every_table_and_a_manifest_that_checks_out(archive, tmp_path)
    check_parquet_has_proper_types_and_utc_timestamps(archive, tmp_path)
    check_jsonl_and_csv_match_the_database_and_filters_apply(archive, tmp_path)
    check_views_answer_their_documented_queries(archive)
    check_the_export_connection_is_read_only(archive)
    check_the_documented_example_queries_run(archive)


def check_the_documented_example_queries_run(archive):
    from tests.unit.test_schema_doc import example_queries

    engine = read_only_engine(archive.database_url)
    with engine.connect() as connection:
        for view, sql in example_queries().items():
            rows = connection.execute(text(sql.strip().rstrip(";"))).all()
            assert rows, f"docs/schema.md's example query on {view} found nothing after a crawl with history"


def check_export_all_writes_every_table_and_a_manifest_that_checks_out(archive, tmp_path):
    expected = counts(archive.database_url)
    result = kronika("export", "--all", str(tmp_path / "dump"), "--json")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest == json.loads((tmp_path / "dump" / "manifest.json").read_text())
    # the documented consumer views too, each marked as a view
    assert set(manifest["tables"]) == set(base_tables()) | set(views.tables)
    assert {name for name, entry in manifest["tables"].items() if entry["kind"] == "view"} == set(views.tables)
    assert set(VIEWS) <= set(views.tables)
    assert manifest["schema_revisions"] == sorted(current_revisions(open_database(archive.database_url)))
    assert set(manifest["schema_revisions"]) == head_revisions()
    for name, entry in manifest["tables"].items():
        path = tmp_path / "dump" / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        table = pq.read_table(path)
        assert table.num_rows == entry["rows"] == expected[name], name
    assert expected["article_versions"] > expected["articles"] > 0, "the second crawl added versions"
    assert expected["v_post_edits"] > 0 and expected["v_deletions"] > 0


def check_parquet_has_proper_types_and_utc_timestamps(archive, tmp_path):
    out = tmp_path / "versions.parquet"
    result = kronika("export", "article_versions", "--format", "parquet", "-o", str(out))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    schema = table.schema
    assert schema.field("captured_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("id").type == pa.int64() and schema.field("article_id").type == pa.int64()
    assert schema.field("authors").type == pa.list_(pa.string())
    assert schema.field("text").type == pa.string()
    rows = table.to_pylist()
    assert all(row["captured_at"].tzinfo is not None and row["captured_at"].utcoffset().total_seconds() == 0
               for row in rows)
    assert any(row["authors"] for row in rows) and all(isinstance(row["authors"], list) for row in rows)
    # provenance is JSON text naming, per field, the extraction step that produced it
    provenance = [json.loads(row["provenance"]) for row in rows if row["provenance"] is not None]
    assert provenance and all(isinstance(p, dict) and p for p in provenance)

    posts = pq.read_table(_export(tmp_path, "v_posts_latest", "parquet"))
    assert posts.schema.field("edited").type == pa.bool_() and posts.schema.field("is_deleted").type == pa.bool_()
    assert posts.schema.field("deleted_at").type == pa.timestamp("us", tz="UTC")
    flags = posts.to_pydict()
    assert any(flags["is_deleted"]) and any(flags["edited"])


def _export(tmp_path, table: str, fmt: str, *extra: str):
    out = tmp_path / f"{table}.{fmt}"
    result = kronika("export", table, "--format", fmt, "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return out


def check_jsonl_and_csv_match_the_database_and_filters_apply(archive, tmp_path):
    expected = counts(archive.database_url)
    lines = _export(tmp_path, "articles", "jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == expected["articles"]
    first = json.loads(lines[0])
    assert first["first_seen_at"].endswith("+00:00") and isinstance(first["authors"], list)

    with open(_export(tmp_path, "v_article_changes", "csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == expected["v_article_changes"]
    changed = [r for r in rows if r["change"] == "changed"]
    assert changed and all(r["previous_version_id"] for r in changed)
    assert {r["text_changed"] for r in rows} <= {"true", "false"}

    # --source follows captures to their WARC file, versions to their article
    herald = [json.loads(line) for line in
              _export(tmp_path, "captures", "jsonl", "--source", "riverside-herald").read_text().splitlines()]
    engine = open_database(archive.database_url)
    with engine.connect() as connection:
        herald_captures = connection.scalar(text(
            "SELECT COUNT(*) FROM captures c JOIN warc_files w ON w.id = c.warc_file_id WHERE w.source = 'riverside-herald'"))
    assert len(herald) == herald_captures > 0 and all("/herald/" in c["url"] or "robots" in c["url"] for c in herald)
    # --since/--until on the time column, here captured_at: nothing after the newest version
    later = _export(tmp_path, "article_versions", "jsonl", "--since", "2999-01-01").read_text()
    assert later == ""
    # --until: only the versions captured before the moment given (strictly: the bound is exclusive)
    every = _versions(_export(tmp_path, "article_versions", "jsonl"))
    assert _versions(_export(tmp_path, "article_versions", "jsonl", "--until", "2000-01-01")) == []
    cut = _cut_between_captures(every)
    before = _versions(_export(tmp_path, "article_versions", "jsonl", "--until", cut.isoformat()))
    assert 0 < len(before) < len(every)
    assert sorted(v["id"] for v in before) == sorted(v["id"] for v in every if _at(v) < cut)
    newest_at = max(_at(v) for v in every)
    up_to_newest = _versions(_export(tmp_path, "article_versions", "jsonl", "--until", newest_at.isoformat()))
    assert len(up_to_newest) == sum(1 for v in every if _at(v) < newest_at) < len(every)
    # stdout when no -o
    result = kronika("export", "sources", "--format", "jsonl")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 3


def _versions(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _at(version: dict) -> datetime:
    return datetime.fromisoformat(version["captured_at"])


def _cut_between_captures(versions: list[dict]) -> datetime:
    """A moment strictly between the first and the last capture time (a crawl with history has two)."""
    times = sorted({_at(v) for v in versions})
    assert len(times) >= 2, "the crawl with history captured versions at more than one time"
    return times[0] + (times[-1] - times[0]) / 2


def check_views_answer_their_documented_queries(archive):
    engine = read_only_engine(archive.database_url)
    with engine.connect() as connection:
        for view in VIEWS:
            rows = connection.execute(select(views.tables[view])).mappings().all()
            assert rows or view == "v_deletions", view
        latest = connection.execute(select(views.tables["v_articles_latest"])).mappings().all()
        assert all(r["version_id"] and r["warc_path"].endswith(".warc.gz") for r in latest)
        assert all(r["first_seen_at"].tzinfo == timezone.utc for r in latest)
        edits = connection.execute(select(views.tables["v_post_edits"])).mappings().all()
        assert all(e["version_number"] >= 2 and e["text"] != e["previous_text"] for e in edits if e["text_changed"])
        deletions = connection.execute(select(views.tables["v_deletions"])).mappings().all()
        assert deletions and {d["kind"] for d in deletions} <= {"telegram_post", "article"}
        # a version is numbered within its article, and every later one names the one before
        changes = connection.execute(select(views.tables["v_article_changes"])).mappings().all()
        by_article: dict[int, list] = {}
        for change in changes:
            by_article.setdefault(change["article_id"], []).append(change)
        for items in by_article.values():
            assert sorted(c["version_number"] for c in items) == list(range(1, len(items) + 1))


def check_the_export_connection_is_read_only(archive):
    engine = read_only_engine(archive.database_url)
    with engine.connect() as connection, pytest.raises(Exception) as caught:
        connection.execute(text("DELETE FROM articles"))
    assert "read" in str(caught.value).lower()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(text("articles"))) > 0


def test_export_of_a_missing_database_or_table_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KRONIKA_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = kronika("export", "articles")
    assert result.returncode == 1 and "no database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none.db").exists(), "a read-only command created a database"
    with pytest.raises(DatabaseNotReady):
        read_only_engine(f"sqlite:///{tmp_path / 'none.db'}")


def test_export_streams_in_batches_with_constant_memory(sqlite_env, tmp_path):
    """Many rows, small batches: the writer sees bounded batches, never the whole table."""
    from datetime import datetime

    import kronika.storage.export as exporter
    from kronika.storage.db.engine import unit_of_work
    from kronika.storage.db.models import Source

    engine = open_database(sqlite_env.database_url)
    with unit_of_work(engine) as session:
        session.add_all(Source(name=f"s{i:05d}", kind="news", config={"i": i}, created_at=datetime.now(timezone.utc))
                        for i in range(5000))
    sizes = []
    original = exporter.JsonLinesWriter.write
    engine = read_only_engine(sqlite_env.database_url)
    with engine.connect() as connection:
        exporter.JsonLinesWriter.write = lambda self, rows: (sizes.append(len(rows)), original(self, rows))[1]
        try:
            rows = export_table(connection, "sources", "jsonl", tmp_path / "s.jsonl")
        finally:
            exporter.JsonLinesWriter.write = original
    assert rows == 5000 and max(sizes) <= exporter.BATCH_ROWS and len(sizes) >= 3
