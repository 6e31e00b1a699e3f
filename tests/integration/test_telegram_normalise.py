"""The Telegram loader on a real database, fed mirror pages as captures in chosen orders.

The crawl scenarios (test_telegram.py) prove the whole chain; these pin down the deletion rules
where a crawl cannot choose the order or the pages: search pages, page ranges, reading order.
"""
from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kronika.mirror.site import MirrorSite
from kronika.normalise.telegram import load_channel_page
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    Capture,
    Source,
    TelegramPost,
    TelegramPostEvent,
    TelegramPostVersion,
    WarcFile,
)
from kronika.storage.warc.reader import StoredResponse
from tests.conftest import fresh_postgres_schema

BASE = "http://mirror.kronika.test"
T0 = datetime(2026, 1, 18, 12, 0, tzinfo=timezone.utc)


def prepared(database_url: str):
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        session.add(Source(name="ova", kind="telegram", config={}, created_at=T0))
        session.add(WarcFile(id=1, path="ova/x.warc.gz", source="ova", sha256="0" * 64, size=1, records=1,
                             created_at=T0, indexed_at=T0))
    return engine


@pytest.fixture
def db(any_env):
    return prepared(any_env.database_url)


@pytest.fixture
def fresh_db(any_env, tmp_path):
    """A factory of empty, prepared databases of `any_env`'s dialect: one per reading order."""
    with ExitStack() as stack:
        def make(name: str):
            if any_env.database_url.startswith("sqlite"):
                engine = prepared(f"sqlite:///{tmp_path / (name + '.db')}")
            else:
                engine = prepared(stack.enter_context(fresh_postgres_schema("kronika_order")))
            stack.callback(engine.dispose)
            return engine
        yield make


class Feeder:
    """Turns a mirror page at an epoch into a capture at a time, and loads it."""

    def __init__(self, engine):
        self.engine = engine
        self.offset = 0
        self.counts: Counter = Counter()
        self.bodies: dict[int, bytes] = {}

    def capture(self, path: str, minutes: int) -> int:
        self.offset += 1
        with unit_of_work(self.engine) as session:
            capture = Capture(url=BASE + path, surt=path, captured_at=T0 + timedelta(minutes=minutes), status=200,
                              mime="text/html", payload_digest=f"sha1:{self.offset}", record_type="response",
                              warc_file_id=1, offset=self.offset, length=1, record_id=f"<urn:x:{self.offset}>",
                              role="channel")
            session.add(capture)
            session.flush()
            return capture.id

    def load(self, capture_id: int) -> None:
        with unit_of_work(self.engine) as session:
            capture = session.get(Capture, capture_id)
            body = self.bodies[capture_id]
            response = StoredResponse(url=capture.url, date=capture.captured_at, rec_type="response", status=200,
                                      headers=[], status_line="200 OK", protocol="HTTP/1.1", raw_body=body, body=body)
            load_channel_page(session, "ova", capture, response, self.counts)

    def add(self, epoch: int, path: str, minutes: int) -> int:
        capture_id = self.capture(path, minutes)
        self.bodies[capture_id] = MirrorSite(epoch).page(path, BASE).body
        return capture_id


def state(engine) -> dict:
    """Posts, events and versions by natural keys (capture ids are the same in every database of a
    test: the captures are created in one order, then loaded in another)."""
    with unit_of_work(engine) as session:
        posts = {p.post_id: (p.deleted_at, p.deleted_capture_id, p.versions, p.text_hash, p.views, p.text,
                             p.first_seen_at, p.last_seen_at)
                 for p in session.scalars(select(TelegramPost))}
        events = sorted(session.execute(select(TelegramPost.post_id, TelegramPostEvent.event, TelegramPostEvent.capture_id)
                                        .join(TelegramPost, TelegramPostEvent.post_id == TelegramPost.id)).all())
        versions = sorted(session.execute(select(TelegramPost.post_id, TelegramPostVersion.capture_id,
                                                 TelegramPostVersion.text_hash, TelegramPostVersion.views)
                                          .join(TelegramPost, TelegramPostVersion.post_id == TelegramPost.id)).all())
    return {"posts": posts, "events": events, "versions": versions}


def test_search_pages_and_ids_outside_the_range_never_delete(db):
    feed = Feeder(db)
    first = feed.add(0, "/t/s/zarichna_ova", 0)  # 4133..4154
    feed.load(first)
    # a search page ("Відбій": 4104, 4113, 4133, 4150) leaves out 4134..4149: missing, but not deleted
    search = feed.add(0, "/t/s/zarichna_ova?q=%D0%92%D1%96%D0%B4%D0%B1%D1%96%D0%B9", 10)
    feed.load(search)
    # an older page (4111..4132) at epoch 1: 4126 is gone, and 4133..4154 are outside its range
    older = feed.add(1, "/t/s/zarichna_ova?before=4133", 20)
    feed.load(older)
    with unit_of_work(db) as session:
        deleted = {p.post_id for p in session.scalars(select(TelegramPost).where(TelegramPost.deleted_at.is_not(None)))}
    # 4126 was never seen before that capture: a gap for Kronika, not a deletion
    assert deleted == set()
    # seen, then missing inside a later page's range: deleted
    later = feed.add(1, "/t/s/zarichna_ova", 30)  # 4135..4158 at epoch 1: 4153 missing
    feed.load(later)
    with unit_of_work(db) as session:
        deleted = {p.post_id: p.deleted_capture_id
                   for p in session.scalars(select(TelegramPost).where(TelegramPost.deleted_at.is_not(None)))}
    assert deleted == {4153: later}


def test_reading_order_does_not_change_the_outcome(fresh_db):
    """Seen, deleted, back again, deleted again: every order of loading the four captures, each
    into a database of its own, gives the rows that loading them in capture order gives."""
    plan = [(0, 0), (1, 10), (2, 20), (1, 30)]

    def load(order: list[int]) -> tuple[dict, list[int]]:
        feed = Feeder(fresh_db("-".join(map(str, order))))
        captures = [feed.add(epoch, "/t/s/zarichna_ova", minutes) for epoch, minutes in plan]
        for index in order:
            feed.load(captures[index])
        return state(feed.engine), captures

    in_order, captures = load([0, 1, 2, 3])
    assert [(pid, event) for pid, event, _ in in_order["events"]] == [
        (4153, "deleted"), (4153, "deleted"), (4153, "reappeared")]
    assert in_order["posts"][4153][1] == captures[3]  # deleted again, by the last capture
    assert len(in_order["versions"]) > len(in_order["posts"]), "epochs 1 and 2 edit posts"
    for order in ([3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2], [0, 1, 3, 2]):
        assert load(order)[0] == in_order, f"loading in the order {order}"


def test_a_late_capture_moves_a_deletion_and_splits_a_version(fresh_db):
    """The cases appending cannot get right: a capture older than everything loaded."""
    feed = Feeder(fresh_db("late"))
    first, deleted, back = (feed.add(0, "/t/s/zarichna_ova", 0), feed.add(1, "/t/s/zarichna_ova", 30),
                            feed.add(2, "/t/s/zarichna_ova", 40))
    late = feed.add(1, "/t/s/zarichna_ova", 10)  # captured between the first two, loaded last
    for capture_id in (first, deleted, back, late):
        feed.load(capture_id)
    with unit_of_work(feed.engine) as session:
        events = sorted(session.execute(select(TelegramPostEvent.event, TelegramPostEvent.capture_id)
                                        .join(TelegramPost, TelegramPostEvent.post_id == TelegramPost.id)
                                        .where(TelegramPost.post_id == 4153)).all())
    # 4153 was already gone at the late capture: the deletion is dated by it, not by the later one
    assert events == sorted([("deleted", late), ("reappeared", back)])
