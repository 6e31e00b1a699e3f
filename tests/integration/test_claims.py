"""Claims end to end (issue 21): a real crawl of the mirror at epoch 0 and again at epoch 1, where
the herald's report raises its injured count from "at least nine" to "at least 21", on SQLite and
PostgreSQL. The stored claims, the figure change, `kronika claims timeline` (table and --json),
`kronika export`, `kronika plot claims`, the web view's /claims page and its chart, the evidence
package, and a version removed and its claims re-derived by the backfill."""
from __future__ import annotations

import json
import re
import zipfile

import pytest
from sqlalchemy import delete, func, select
from starlette.testclient import TestClient

from kronika.custody.evidence import build_evidence
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, StoredClaim, TelegramPostVersion
from tests.integration.crawled import crawl_with_history
from tests.support.cli import kronika

HERALD_REPORT = "http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html"


@pytest.fixture
def crawled(any_env, mirror, demo_config):
    crawl_with_history(demo_config, any_env, mirror)
    return any_env


def _claim_rows(engine) -> list[tuple]:
    """Every claim without its id, the version as (table, capture time): comparable across re-derivations."""
    with unit_of_work(engine) as session:
        rows = session.scalars(select(StoredClaim)).all()
        return sorted(((c.article_version_id is not None, c.captured_at.isoformat(), c.source, c.category, c.count,
                        c.count_high, c.qualifier, c.speaker, c.subset, c.sentence, c.span_start, c.span_end, c.lang)
                       for c in rows), key=repr)  # repr: counts may be null (denials)


def test_claims_from_a_real_crawl_through_every_interface(crawled, tmp_path):
    engine = open_database(crawled.database_url)
    with unit_of_work(engine) as session:
        article = session.scalars(select(Article).where(Article.url == HERALD_REPORT)).one()
        first, second = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                        .order_by(ArticleVersion.captured_at)).all()
        # every claim's span lies in its version's text, inside the sentence it names
        for claim, version_text in session.execute(
                select(StoredClaim, func.coalesce(ArticleVersion.text, TelegramPostVersion.text))
                .outerjoin(ArticleVersion, ArticleVersion.id == StoredClaim.article_version_id)
                .outerjoin(TelegramPostVersion, TelegramPostVersion.id == StoredClaim.post_version_id)):
            assert 0 <= claim.span_start < claim.span_end <= len(version_text)
            assert version_text[claim.span_start:claim.span_end] in claim.sentence
        injured = {v.id: sorted((c.count, c.qualifier) for c in session.scalars(
            select(StoredClaim).where(StoredClaim.article_version_id == v.id, StoredClaim.category == "injured")))
            for v in (first, second)}
    assert (9, "at_least") in injured[first.id] and (21, "at_least") in injured[second.id]

    # the timeline, as JSON: one object per claim, the keys, the change marked
    result = kronika("claims", "timeline", "--url", HERALD_REPORT, "--category", "injured", "--json")
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert {"source", "url", "category", "value", "qualifier", "speaker", "captured_at", "version_id"} <= set(entries[0])
    totals = [(e["value"], e["version_id"], e["changed"]) for e in entries if not e["subset"]]
    assert (9, first.id, False) in totals and (21, second.id, True) in totals
    assert [e["captured_at"] for e in entries] == sorted(e["captured_at"] for e in entries)
    assert {e["url"] for e in entries} == {HERALD_REPORT} and {e["source"] for e in entries} == {"riverside-herald"}

    # as a table on an 80-column terminal: every line fits, the URL stands whole on its own line
    result = kronika("claims", "timeline", "--source", "riverside-herald", "--category", "injured", columns=80)
    assert result.returncode == 0, result.stderr
    assert "at least 9" in result.stdout and "*at least 21" in result.stdout
    assert HERALD_REPORT in result.stdout.splitlines()
    assert all(len(line) <= 80 for line in result.stdout.splitlines() if not line.startswith("http://"))
    assert kronika("claims", "timeline", "--query", "Zarichansk", "--json").returncode == 0
    assert kronika("claims", "timeline", "--source", "no-such-source").returncode != 0

    # the view and the export
    for table in ("claims", "v_claim_changes"):
        out = tmp_path / f"{table}.jsonl"
        result = kronika("export", table, "-o", str(out))
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows, table
    changes = [(r["source"], r["url"], r["category"], r["old_value"], r["new_value"]) for r in rows]
    assert ("riverside-herald", HERALD_REPORT, "injured", 9, 21) in changes
    [change] = [r for r in rows if r["url"] == HERALD_REPORT and r["category"] == "injured"]
    assert (change["old_version_id"], change["version_id"]) == (first.id, second.id)

    # the plot
    result = kronika("plot", "claims", "--category", "injured", "-o", str(tmp_path / "claims.png"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["changed"] >= 1 and (tmp_path / "claims.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the web view: a chart per category and the claims, each linking to its version
    from kronika.web import create_app

    with TestClient(create_app(crawled)) as client:
        page = client.get("/claims?category=injured")
        assert page.status_code == 200 and "at least 21" in page.text
        assert f'href="/articles/{article.id}?a=1&amp;b=2"' in page.text  # the version with 21, beside the one before
        for link in set(re.findall(r'class="version-link" href="([^"]+)"', page.text)):
            assert client.get(link.replace("&amp;", "&")).status_code == 200, link
        [chart] = re.findall(r'<img class="chart" src="([^"]+)"', page.text)
        image = client.get(chart.replace("&amp;", "&"))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert client.get("/claims").status_code == 200
        assert client.get("/claims?source=no-such-source").status_code == 404
        assert '<a href="/claims">Claims</a>' in client.get("/").text

    # the evidence package: each version's claims beside its text
    package = tmp_path / "evidence.wacz"
    build_evidence(crawled, HERALD_REPORT, package)
    with zipfile.ZipFile(package) as archive:
        versions = json.loads(archive.read("text/versions.json"))
        report = archive.read("report/index.html").decode("utf-8")
    assert [[c["value"] for c in v["claims"] if c["category"] == "injured" and not c["subset"]][:1]
            for v in versions] == [[9], [21]]
    assert "injured: at least 21" in report

    # derived data: a version removed takes its claims along; the backfill re-derives the same rows
    before = _claim_rows(engine)
    with unit_of_work(engine) as session:
        session.execute(delete(StoredClaim))
    result = kronika("claims", "backfill", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["claims"] == len(before)
    assert _claim_rows(engine) == before
    with unit_of_work(engine) as session:
        session.execute(delete(ArticleVersion).where(ArticleVersion.id == second.id))
        assert not session.scalar(select(func.count()).where(StoredClaim.article_version_id == second.id))
    engine.dispose()
