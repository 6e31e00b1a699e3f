"""Recent changes (kronika/changes.py) and their Atom feeds, on a real crawl with history.

Every source of the demo config is crawled at mirror epoch 0 and again at epoch 1 (articles
rewritten, posts edited and deleted), on SQLite and on PostgreSQL. The list is checked against
the version rows it is derived from, every link is followed, the feeds are checked against
RFC 4287's rules at the XML level, and entry ids are checked to survive a rebuild of the database
from the WARC files alone.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from kronika import changes as kronika_changes
from kronika.settings import Environment
from kronika.steps.extract import extract
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    TelegramPostEvent,
    TelegramPostVersion,
)
from kronika.storage.db.readonly import read_only_engine
from tests.integration.crawled import crawl_with_history

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def crawled(any_env, mirror, demo_config):
    crawl_with_history(demo_config, any_env, mirror)
    return any_env


def _recent(env, **kwargs):
    engine = read_only_engine(env.database_url)
    try:
        with unit_of_work(engine) as session:
            return kronika_changes.recent_changes(session, limit=10_000, **kwargs)
    finally:
        engine.dispose()


def _edits_in_rows(session, version_model, parent_key) -> int:
    """Versions beyond each parent's first: how many edits the version rows hold."""
    versions = session.scalar(select(func.count()).select_from(version_model))
    parents = session.scalar(select(func.count(func.distinct(getattr(version_model, parent_key)))))
    return versions - parents


def test_changes_are_every_edit_and_deletion_newest_first_and_each_links_to_its_diff(crawled, demo_config):
    found = _recent(crawled)
    engine = open_database(crawled.database_url)
    with unit_of_work(engine) as session:
        expected = {
            kronika_changes.ARTICLE_EDITED: _edits_in_rows(session, ArticleVersion, "article_id"),
            kronika_changes.POST_EDITED: _edits_in_rows(session, TelegramPostVersion, "post_id"),
            kronika_changes.POST_DELETED: session.scalar(select(func.count()).select_from(TelegramPostEvent)
                                                         .where(TelegramPostEvent.event == "deleted")),
            kronika_changes.ARTICLE_GONE: session.scalar(select(func.count()).where(Article.gone_at.is_not(None))),
        }
    kinds = {kind: sum(1 for c in found if c.kind == kind) for kind in expected}
    assert kinds == expected
    assert expected[kronika_changes.ARTICLE_EDITED] and expected[kronika_changes.POST_EDITED]
    assert expected[kronika_changes.POST_DELETED], "epoch 1 of the mirror deletes posts"
    assert [c.at for c in found] == sorted((c.at for c in found), reverse=True)
    assert len({c.entry_id for c in found}) == len(found)
    assert {c.source for c in found} <= {s.name for s in demo_config.sources}

    # one source's changes are exactly that source's part of the whole list
    for source in {c.source for c in found}:
        assert [c.key for c in _recent(crawled, source=source)] == [c.key for c in found if c.source == source]
    # a time window: nothing before `since`, and the newest change is in a window that starts at it
    newest = found[0].at
    assert all(c.at >= newest for c in _recent(crawled, since=newest))
    assert _recent(crawled, since=newest + timedelta(seconds=1)) == []

    from kronika.web import create_app

    with TestClient(create_app(crawled)) as client:
        page = client.get("/changes")
        assert page.status_code == 200
        assert page.text.count('class="change-link"') == min(len(found), 50)
        for change in found:
            response = client.get(change.link)
            assert response.status_code == 200, change.link
            if change.kind == kronika_changes.ARTICLE_EDITED:
                # the diff of exactly this version against the one before it
                a, b = (int(n) for n in re.search(r"a=(\d+)&b=(\d+)", change.link).groups())
                assert b == a + 1 and f"Version {a} → version {b}" in response.text
            if change.kind == kronika_changes.POST_EDITED:
                assert f'id="v{change.link.rsplit("#v", 1)[1]}"' in response.text
        assert client.get("/changes?source=no-such-source").status_code == 404
        assert client.get("/changes?since=yesterday").status_code == 200  # one time parser everywhere
        assert client.get("/changes?since=soon").status_code == 400


def _check_atom(document: bytes) -> ET.Element:
    """RFC 4287's rules for a feed and its entries, checked on the XML."""
    root = ET.fromstring(document)
    assert root.tag == f"{A}feed"
    for element in [root, *root.findall(f"{A}entry")]:
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{A}{name}")) == 1, f"{element.tag} needs exactly one atom:{name}"
        assert RFC3339.match(element.find(f"{A}updated").text)
        assert re.match(r"^[a-z][a-z0-9+.-]*:", element.find(f"{A}id").text), "an id is an IRI"
    assert root.findall(f"{A}author") or all(e.findall(f"{A}author") for e in root.findall(f"{A}entry"))
    assert [link.get("href") for link in root.findall(f"{A}link") if link.get("rel") == "self"]
    for entry in root.findall(f"{A}entry"):
        alternates = [link for link in entry.findall(f"{A}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1 and alternates[0].get("href").startswith("http")
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "html"
    ids = [e.find(f"{A}id").text for e in root.findall(f"{A}entry")]
    assert len(set(ids)) == len(ids)
    return root


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_atom_feeds_are_valid_stable_and_escape_archived_markup(crawled, tmp_path):
    from kronika.web import create_app

    # an article rewritten into hostile markup: title and text as a scraped page could have them
    engine = open_database(crawled.database_url)
    with unit_of_work(engine) as session:
        article = session.scalars(select(Article).order_by(Article.id).limit(1)).one()
        own = select(ArticleVersion.capture_id).where(ArticleVersion.article_id == article.id)
        capture = session.scalars(select(Capture).where(Capture.role == "article", Capture.id.not_in(own))
                                  .limit(1)).one()
        later = datetime.now(timezone.utc)
        session.add(ArticleVersion(article_id=article.id, capture_id=capture.id, title=f"Hostile {EVIL}",
                                   authors=[], text=f"{article.text} {EVIL} \x0b", text_hash="hostile",
                                   captured_at=later, provenance={}))
        hostile_url = article.url

    with TestClient(create_app(crawled)) as client:
        everything = client.get("/changes.atom")
        assert everything.status_code == 200
        assert everything.headers["content-type"].startswith("application/atom+xml")
        root = _check_atom(everything.content)
        entries = root.findall(f"{A}entry")
        assert entries and len(entries) <= 50
        assert root.find(f"{A}updated").text == max(e.find(f"{A}updated").text for e in entries)

        # the hostile edit: text in the title, escaped HTML in the content, no tag from the archive
        [hostile] = [e for e in entries if "Hostile" in e.find(f"{A}title").text]
        assert EVIL in hostile.find(f"{A}title").text
        html = hostile.find(f"{A}content").text
        assert "&lt;script&gt;" in html and "<script" not in html
        parser = _Tags()
        parser.feed(html)
        assert not set(parser.tags) - {"p", "table", "tr", "th", "td", "del", "ins"}
        assert [link.get("href") for link in hostile.findall(f"{A}link") if link.get("rel") == "related"] == [hostile_url]

        # per source: only that source's entries, and the feed names itself
        for source in {e.find(f"{A}author/{A}name").text for e in entries}:
            feed = client.get(f"/changes/{source}.atom")
            part = _check_atom(feed.content)
            assert {e.find(f"{A}author/{A}name").text for e in part.findall(f"{A}entry")} == {source}
            assert part.find(f"{A}id").text != root.find(f"{A}id").text
        assert client.get("/changes/no-such-source.atom").status_code == 404
        again = _check_atom(client.get("/changes.atom").content)
        assert [e.find(f"{A}id").text for e in again.findall(f"{A}entry")] == \
            [e.find(f"{A}id").text for e in entries]

    # stable ids: the same changes, rebuilt from the WARC files alone into a new database, keep their ids
    before = {c.entry_id for c in _recent(crawled) if c.kind != kronika_changes.ARTICLE_EDITED or c.url != hostile_url}
    rebuilt = Environment(database_url=f"sqlite:///{tmp_path / 'rebuilt.db'}", archive_dir=crawled.archive_dir)
    extract(rebuilt, all_files=True)
    after = {c.entry_id for c in _recent(rebuilt)}
    assert before <= after and after - before <= {c.entry_id for c in _recent(crawled) if c.url == hostile_url}


def test_figure_changes_come_from_the_claims_of_consecutive_versions(crawled):
    """The mirror's herald report raises its injured count from at least 9 to at least 21 between
    epochs: that is a figure change, at the new version's capture time, linked to its diff."""
    engine = open_database(crawled.database_url)
    with unit_of_work(engine) as session:
        article = session.scalars(select(Article).where(Article.url.like("%missile-strike-hits-zarichansk%"))).one()
        first, second = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.captured_at)).all()
    figures = [c for c in _recent(crawled) if c.kind == kronika_changes.FIGURE_CHANGED]
    [figure] = [c for c in figures if c.url == article.url]
    assert (figure.source, figure.at, figure.old_at) == (article.source, second.captured_at, first.captured_at)
    assert figure.fields == [("injured", 9, 21)] and "at least 9" in figure.summary and "at least 21" in figure.summary
    assert figure.link == f"/articles/{article.id}?a=1&b=2"
    assert len({c.entry_id for c in figures}) == len(figures)
    assert all(c.source == article.source for c in _recent(crawled, source=article.source)
               if c.kind == kronika_changes.FIGURE_CHANGED)
    assert figure in _recent(crawled, since=figure.at) and figure not in _recent(crawled, until=figure.at)
