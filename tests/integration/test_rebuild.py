"""The database is a faithful view of the archive: `extract --all` into an empty database gives
the same rows (ids aside), single-process and with --workers, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text

from kronika.settings import Environment
from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database
from tests.conftest import POSTGRES_URL
from tests.integration.helpers import row_counts

# Columns that record *when Kronika processed* something or how a crawl went, which the WARC
# files do not hold; everything else must come back identical.
OPERATIONAL = {
    "sources": {"kind", "config", "created_at"},  # a rebuild knows a source only by name (warcinfo)
    "crawl_runs": {"started_at", "finished_at", "status", "stats", "reason"},  # run bookkeeping
    "warc_files": {"indexed_at", "extracted_at", "verified_at"},
}
# Records of what Kronika did to the files (the custody chain, timestamp tokens): history kept
# beside the archive, not derived from it, so a rebuild neither recreates nor compares them.
NOT_DERIVED = {"custody_log", "timestamp_tokens"}
SKIP_COLUMNS = {"search_vector"}  # PostgreSQL's generated tsvector: derived from the text columns


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON stored as text on SQLite; compare parsed, key order aside
            return json.loads(value)
        except ValueError:
            return value
    return value


def dump(database_url: str) -> dict[str, list[str]]:
    """Every public table, each row with its integer id dropped and every foreign key replaced
    by the natural key of the row it points to (recursively), as sorted JSON lines."""
    engine = create_engine(database_url)
    metadata = MetaData()
    names = [n for n in inspect(engine).get_table_names()
             if n != "alembic_version" and "_fts" not in n and n not in NOT_DERIVED]
    metadata.reflect(engine, only=names)
    tables = {t.name: t for t in metadata.sorted_tables}
    natural: dict[str, dict[Any, str]] = {}  # table -> integer id -> natural key (JSON)
    result: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for name, table in tables.items():  # sorted_tables: referenced tables first
            foreign = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
            has_int_id = "id" in table.c and table.c.id.primary_key and table.c.id.type.python_type is int
            rows = []
            natural[name] = {}
            for row in connection.execute(select(table)).mappings():
                normalised = {}
                for column, value in row.items():
                    if column in SKIP_COLUMNS or column in OPERATIONAL.get(name, ()) or (column == "id" and has_int_id):
                        continue
                    target = foreign.get(column)
                    if value is not None and target in natural and natural[target]:
                        value = json.loads(natural[target][value])
                    normalised[column] = _value(value)
                line = json.dumps(normalised, sort_keys=True, ensure_ascii=False, default=str)
                if has_int_id:
                    natural[name][row["id"]] = line
                rows.append(line)
            result[name] = sorted(rows)
    engine.dispose()
    return result


def claim_changes(database_url: str) -> list[tuple]:
    """v_claim_changes without its row ids: (source, category, old value, new value, url, when)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT source, category, old_value, new_value, url, new_captured_at "
                                       "FROM v_claim_changes")).all()
    engine.dispose()
    return sorted((r[0], r[1], r[2], r[3], r[4], str(_value(r[5]))) for r in rows)


def assert_same_rows(expected: dict[str, list[str]], actual: dict[str, list[str]]) -> None:
    assert set(expected) == set(actual)
    for name in expected:
        missing = sorted(set(expected[name]) - set(actual[name]))
        extra = sorted(set(actual[name]) - set(expected[name]))
        assert expected[name] == actual[name], (
            f"{name}: {len(expected[name])} rows vs {len(actual[name])}; missing {missing[:2]}; extra {extra[:2]}")


@pytest.fixture
def fresh_database(any_env, tmp_path):
    """A factory of empty databases of the same dialect as `any_env` (dropped afterwards)."""
    made: list[str] = []

    def make() -> str:
        if any_env.database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'rebuilt-{len(made)}.db'}"
        else:
            schema = f"kronika_rebuild_{uuid.uuid4().hex[:10]}"
            with create_engine(POSTGRES_URL).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            separator = "&" if "?" in POSTGRES_URL else "?"
            url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
        made.append(url)
        return url

    yield make
    for url in made:
        if not url.startswith("sqlite"):
            schema = url.rsplit("%3D", 1)[1]
            with create_engine(POSTGRES_URL).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_extract_all_into_an_empty_database_rebuilds_the_same_rows(any_env, mirror, demo_config, fresh_database,
                                                                   monkeypatch):
    for source in demo_config.sources:
        run_source(source, any_env)
    mirror.set_epoch(1)  # articles rewritten, posts edited: new versions and revisits
    for source in demo_config.sources:
        run_source(source, any_env)
    original = dump(any_env.database_url)
    counts = row_counts(any_env.database_url)
    assert counts["article_versions"] > counts["articles"], "epoch 1 should have rewritten some articles"
    assert original["story_clusters"], "the mirror's syndicated wire story should form a cluster"
    assert original["claims"], "the mirror's casualty figures should be claims"
    figure_changes = claim_changes(any_env.database_url)
    assert ("riverside-herald", "injured", 9, 21) in {c[:4] for c in figure_changes}, "the herald's rewritten figure"

    # extract stores each new version's MinHash signature as it loads the version (computed by the
    # parse workers with --workers): the story clustering at its end has none left to compute
    import kronika.clusters as clusters

    computed_by_clustering: list[int] = []
    real_store_stale = clusters._store_stale
    monkeypatch.setattr(clusters, "_store_stale",
                        lambda session, ids: computed_by_clustering.extend(ids) or real_store_stale(session, ids))
    for workers in (1, 2):
        rebuilt = Environment(database_url=fresh_database(), archive_dir=any_env.archive_dir)
        result = extract(rebuilt, all_files=True, workers=workers)
        assert result.files and not result.counts["unreadable_records"]
        assert_same_rows(original, dump(rebuilt.database_url))  # article_signatures and claims included
        assert claim_changes(rebuilt.database_url) == figure_changes
        assert computed_by_clustering == [], f"workers={workers}: signatures left to the clustering"

        # and extract is idempotent: running it again (new files only, then all) changes nothing
        extract(rebuilt, workers=workers)
        extract(rebuilt, all_files=True, workers=workers)
        assert_same_rows(original, dump(rebuilt.database_url))

    # a crash in the middle of a file loses that file's transaction only; the next run resumes
    import kronika.steps.extract as extract_module

    crashed = Environment(database_url=fresh_database(), archive_dir=any_env.archive_dir)
    calls = {"n": 0}
    real_load_article = extract_module.load_article

    def crash_on_the_fifth_article(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return real_load_article(*args, **kwargs)

    monkeypatch.setattr(extract_module, "load_article", crash_on_the_fifth_article)
    with pytest.raises(RuntimeError):
        extract(crashed, all_files=True)
    monkeypatch.setattr(extract_module, "load_article", real_load_article)
    engine = open_database(crashed.database_url)
    with engine.connect() as connection:
        done = connection.execute(text("SELECT count(*) FROM warc_files WHERE extracted_at IS NOT NULL")).scalar()
        versions = connection.execute(text("SELECT count(*) FROM article_versions")).scalar()
    assert versions < 5, "the crashed file's rows were rolled back"
    assert done < len(original["warc_files"])
    extract(crashed)  # no --all: only the files not yet extracted
    assert_same_rows(original, dump(crashed.database_url))

    # the command line, on the original database: idempotent, with workers
    from click.testing import CliRunner

    from kronika.cli import main

    result = CliRunner().invoke(main, ["extract", "--all", "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["files"]
    assert_same_rows(original, dump(any_env.database_url))


def test_dump_replaces_ids_by_natural_keys(sqlite_env):
    """The comparison itself: two databases whose ids differ but whose rows agree dump the same."""
    from kronika.storage.db.engine import unit_of_work
    from kronika.storage.db.models import Source, WarcFile

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    urls = [sqlite_env.database_url, sqlite_env.database_url.replace("kronika.db", "other.db")]
    for i, url in enumerate(urls):
        engine = open_database(url)
        with unit_of_work(engine) as session:
            session.add(Source(name="s", kind="news", config={}, created_at=now))
            if i:  # burn an id so that the same row gets another id
                session.add(WarcFile(path="x", source="s", sha256="0", size=1, records=1, created_at=now, indexed_at=now))
                session.flush()
                session.delete(session.scalars(select(WarcFile)).one())
            session.add(WarcFile(path="a.warc.gz", source="s", sha256="1", size=2, records=3, created_at=now,
                                 indexed_at=now))
    first, second = dump(urls[0]), dump(urls[1])
    assert first["warc_files"] == second["warc_files"]
    assert "id" not in json.loads(first["warc_files"][0])
