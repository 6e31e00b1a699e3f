"""storage/db/bulk.insert_rows: the rows read back are the rows given, on SQLite (executemany) and
PostgreSQL (COPY): JSON, times with their zone, NULLs, text needing escapes, Python-side defaults."""
from datetime import datetime, timezone

from sqlalchemy import select

from kronika.storage.db.bulk import insert_rows
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Capture, Source, WarcFile


def test_rows_read_back_as_given(any_env):
    engine = open_database(any_env.database_url)
    when = datetime(2026, 1, 14, 6, 30, 5, tzinfo=timezone.utc)
    with unit_of_work(engine) as session:
        assert insert_rows(session, Source, [
            {"name": "with-config", "kind": "news", "config": {"start_urls": ["http://a/"], "note": "tab\there"},
             "created_at": when},
            {"name": "default-config", "kind": "news", "created_at": when},  # config: its default, {}
        ]) == 2
        warc = WarcFile(path="with-config/a.warc.gz", source="with-config", sha256="0" * 64, size=1, records=2,
                        created_at=when, indexed_at=when, extracted_at=None)
        session.add(warc)
        session.flush()
        rows = [{"url": f"http://a/{i}?q=\\back\nslash", "surt": f"a)/{i}", "captured_at": when, "status": 200 if i else None,
                 "mime": "text/html", "payload_digest": None, "record_type": "response", "warc_file_id": warc.id,
                 "offset": 1000 * i, "length": 10 * i, "crawl_run_id": None, "record_id": f"<urn:uuid:{i}>",
                 "role": "article", "refers_to_url": None, "refers_to_date": None, "original_url": None}
                for i in range(3)]
        assert insert_rows(session, Capture, rows) == 3
    with unit_of_work(engine) as session:
        sources = {s.name: s.config for s in session.scalars(select(Source))}
        assert sources == {"with-config": {"start_urls": ["http://a/"], "note": "tab\there"}, "default-config": {}}
        stored = session.scalars(select(Capture).order_by(Capture.offset)).all()
        assert [(c.url, c.status, c.offset, c.record_id) for c in stored] == \
            [(r["url"], r["status"], r["offset"], r["record_id"]) for r in rows]
        assert all(c.captured_at.replace(tzinfo=timezone.utc) == when for c in stored)


def test_nothing_to_insert(any_env):
    engine = open_database(any_env.database_url)
    with unit_of_work(engine) as session:
        assert insert_rows(session, Source, []) == 0
