"""Incremental story clustering (stored signatures) gives exactly the clusters of a full recompute
from scratch, hashes only new or changed texts, and survives a run killed before its commit.
SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, update

import kronika.clusters as clusters
from kronika.clusters import (
    MIN_SHINGLES,
    Item,
    cluster_key,
    clusters_are_current,
    group,
    shingles,
    signature_bytes,
    update_story_clusters,
)
from kronika.storage.db.engine import alembic_config, current_revisions, make_engine, open_database, unit_of_work
from kronika.storage.db.engine import upgrade as upgrade_schema
from kronika.storage.db.models import (
    Article,
    ArticleSignature,
    ArticleVersion,
    Source,
    StoryCluster,
    StoryClusterArticle,
)
from tests.integration.test_migrations import _old_data

START = datetime(2026, 1, 10, 6, 0, tzinfo=timezone.utc)
SOURCES = ("herald", "vistnyk", "courier", "ledger")
WORDS = [f"{stem}{n}" for stem in ("river", "council", "grain", "tram", "school", "winter") for n in range(40)]


def _story(rng: random.Random, low: int = 40, high: int = 120) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def corpus(seed: int, stories: int = 25, articles: int = 90) -> list[dict]:
    """Articles over `stories` base texts: full copies, teasers (a first part), copies with local
    paragraphs added, unrelated texts, short texts, and a few in another language."""
    rng = random.Random(seed)
    bases = [_story(rng) for _ in range(stories)]
    result = []
    for n in range(articles):
        words = bases[rng.randrange(stories)].split()
        kind = 1.0 if n == 1 else rng.random()  # article 1 is always a short text
        if kind < 0.25:
            text = " ".join(words)
        elif kind < 0.5:
            text = " ".join(words[:rng.randint(len(words) // 3, len(words))])
        elif kind < 0.75:
            text = " ".join(words) + " " + _story(rng, 5, 60)
        elif kind < 0.95:
            text = _story(rng)
        else:
            text = "Too short to call a copy."
        result.append({"source": SOURCES[n % len(SOURCES)], "url": f"https://example.test/{seed}/{n}",
                       "text": text, "language": "uk" if n % 11 == 0 else "en",
                       "published_at": START + timedelta(minutes=rng.randrange(5000)), "title": f"Story {n}"})
    return result


def add_articles(engine, rows: list[dict]) -> None:
    with unit_of_work(engine) as session:
        known = set(session.scalars(select(Source.name)))
        session.add_all(Source(name=name, kind="news", config={}, created_at=START) for name in SOURCES
                        if name not in known)
        session.flush()
        for row in rows:
            session.add(Article(first_seen_at=START, last_seen_at=START, authors=[], versions=1,
                                text_hash=hashlib.sha256(row["text"].encode()).hexdigest(), **row))


def set_text(engine, url: str, text: str) -> None:
    """A new version of an article: its latest text and text_hash change together, as an extract does."""
    with unit_of_work(engine) as session:
        session.execute(update(Article).where(Article.url == url)
                        .values(text=text, text_hash=hashlib.sha256(text.encode()).hexdigest()))


def stored(engine) -> list[tuple]:
    """Every cluster as the database holds it, by natural keys."""
    with unit_of_work(engine) as session:
        members = defaultdict(list)
        for key, source, url, score in session.execute(
                select(StoryCluster.key, Article.source, Article.url, StoryClusterArticle.similarity)
                .join(StoryClusterArticle, StoryClusterArticle.cluster_id == StoryCluster.id)
                .join(Article, Article.id == StoryClusterArticle.article_id)):
            members[key].append((source, url, round(score, 4)))
        return sorted((c.key, c.title, c.first_published_at, c.articles, c.sources, tuple(sorted(members[c.key])))
                      for c in session.scalars(select(StoryCluster)))


def from_scratch(engine) -> list[tuple]:
    """What the pre-incremental code stored: `group()` over every article's latest text, per language."""
    with unit_of_work(engine) as session:
        by_language = defaultdict(list)
        for r in session.execute(select(Article.source, Article.url, Article.text, Article.published_at,
                                        Article.title, Article.language)):
            by_language[r.language].append(Item((r.source, r.url), r.text, r.published_at, r.title))
    result = []
    for items in by_language.values():
        for members in group(items):
            first = members[0][0]
            result.append((cluster_key([item for item, _ in members]), first.title, first.published_at,
                           len(members), len({item.key[0] for item, _ in members}),
                           tuple(sorted((item.key[0], item.key[1], score) for item, score in members))))
    return sorted(result)


def cluster_of(engine, url: str) -> set[str]:
    """The URLs in the same cluster as `url` (empty when it is in none)."""
    with unit_of_work(engine) as session:
        cluster_id = session.scalar(select(StoryClusterArticle.cluster_id).join(Article)
                                    .where(Article.url == url))
        if cluster_id is None:
            return set()
        return set(session.scalars(select(Article.url).join(StoryClusterArticle)
                                   .where(StoryClusterArticle.cluster_id == cluster_id)))


def test_incremental_updates_equal_a_full_recompute_and_hash_only_what_changed(any_env):
    engine = open_database(any_env.database_url)
    first = corpus(1)
    add_articles(engine, first)

    stats = Counter()
    count = update_story_clusters(engine, stats)
    expected = from_scratch(engine)
    assert stored(engine) == expected and count == len(expected) >= 10
    assert stats["signatures_computed"] == len(first)
    # only the articles of candidate pairs had their text read, not all of them
    assert 0 < stats["candidate_articles"] < len(first)
    with unit_of_work(engine) as session:
        for article, signature in session.execute(select(Article, ArticleSignature).join(ArticleSignature)):
            hashed = shingles(article.text)
            assert signature.text_hash == article.text_hash and signature.shingle_count == len(hashed)
            assert signature.signature == (signature_bytes(hashed) if hashed else None)
            assert signature.signature is None or len(signature.signature) == 512

    # one clustered article is rewritten into an unrelated text (it leaves its cluster), an
    # unclustered one becomes a copy of a clustered one (it joins), and new articles arrive
    clustered = sorted(url for row in expected for _, url, _ in row[5])
    leaver = clustered[0]
    english = {a["url"] for a in first if a["language"] == "en"}
    joined_to = next(url for url in clustered if url in english and url not in cluster_of(engine, leaver))
    loner = next(a["url"] for a in first if a["url"] in english and not cluster_of(engine, a["url"])
                 and len(shingles(a["text"])) >= MIN_SHINGLES)
    with unit_of_work(engine) as session:
        joined_text = session.scalar(select(Article.text).where(Article.url == joined_to))
    set_text(engine, leaver, _story(random.Random(99)))
    set_text(engine, loner, joined_text + " Local reaction follows.")
    # an unchanged article whose stored row is marked: recomputing it would overwrite the mark
    marked = next(a["url"] for a in first if len(shingles(a["text"])) < MIN_SHINGLES)
    with unit_of_work(engine) as session:
        marked_id = session.scalar(select(Article.id).where(Article.url == marked))
        session.execute(update(ArticleSignature).where(ArticleSignature.article_id == marked_id)
                        .values(signature=b"untouched"))
    second = corpus(2, articles=12)
    add_articles(engine, second)

    stats = Counter()
    update_story_clusters(engine, stats)
    assert stats["signatures_computed"] == 2 + len(second)
    assert stored(engine) == from_scratch(engine)
    assert stored(engine) != expected
    assert not cluster_of(engine, leaver)
    assert {loner, joined_to} <= cluster_of(engine, loner)
    with unit_of_work(engine) as session:
        assert session.get(ArticleSignature, marked_id).signature == b"untouched"
        assert session.scalar(select(func.count()).select_from(ArticleSignature)) == len(first) + len(second)

    # nothing new: nothing hashed, the same clusters
    before = stored(engine)
    stats = Counter()
    update_story_clusters(engine, stats)
    assert stats["signatures_computed"] == 0 and stored(engine) == before


def test_a_run_killed_before_its_commit_keeps_its_signatures_and_is_redone(any_env, monkeypatch):
    engine = open_database(any_env.database_url)
    rows = corpus(3)
    add_articles(engine, rows)

    def killed(*args):
        raise KeyboardInterrupt("killed while writing the clusters")

    monkeypatch.setattr(clusters, "ordered", killed)
    with pytest.raises(KeyboardInterrupt):
        update_story_clusters(engine)
    assert not clusters_are_current(engine)  # the fingerprint was rolled back with the clusters
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoryCluster)) == 0
        # the signatures were committed batch by batch before the clusters' transaction
        assert session.scalar(select(func.count()).select_from(ArticleSignature)) == len(rows)

    monkeypatch.undo()
    stats = Counter()
    update_story_clusters(engine, stats)
    assert stats["signatures_computed"] == 0
    assert clusters_are_current(engine)
    assert stored(engine) == from_scratch(engine) != []


def test_small_batches_give_the_same_clusters(sqlite_env, monkeypatch):
    """Signatures hashed, texts read and candidate components checked a few at a time (here 7),
    candidate pairs' signatures compared three pairs at a time."""
    monkeypatch.setattr(clusters, "BATCH", 7)
    monkeypatch.setattr(clusters, "PAIRS_AT_ONCE", 3)
    engine = open_database(sqlite_env.database_url)
    articles = corpus(5)
    add_articles(engine, articles)
    stats = Counter()
    update_story_clusters(engine, stats)
    assert stored(engine) == from_scratch(engine) != []
    with unit_of_work(engine) as session:
        clustered = session.scalar(select(func.count()).select_from(StoryClusterArticle))
    assert stats["candidate_articles"] >= clustered > 7


def test_the_database_bands_the_signatures_and_returns_only_shared_buckets(any_env):
    """What reaches Python from each band is the articles of buckets two or more share (same
    language), not a row per article: memory follows the candidates, not the archive."""
    engine = open_database(any_env.database_url)
    articles = corpus(6)
    add_articles(engine, articles)
    clusters.refresh_signatures(engine)
    with unit_of_work(engine) as session:
        language_of = dict(session.execute(select(Article.id, Article.language)).all())
        signature_of = {article_id: bytes(value) for article_id, value in session.execute(
            select(ArticleSignature.article_id, ArticleSignature.signature)
            .where(ArticleSignature.shingle_count >= MIN_SHINGLES))}
        reached: set[int] = set()
        for band in range(clusters.BANDS):
            start = band * clusters.BAND_BYTES
            expected = defaultdict(list)  # the same buckets, banded here in Python
            for article_id, value in sorted(signature_of.items()):
                expected[(language_of[article_id], value[start:start + clusters.BAND_BYTES])].append(article_id)
            buckets = list(clusters._band_buckets(session, band))
            assert sorted(buckets) == sorted(m for m in expected.values() if len(m) > 1)
            reached.update(article_id for members in buckets for article_id in members)
    # an article that shares no bucket with another never comes back from the database
    assert 0 < len(reached) < len(signature_of)


def test_a_new_signature_scheme_discards_every_stored_signature(sqlite_env, monkeypatch):
    engine = open_database(sqlite_env.database_url)
    rows = corpus(4, articles=20)
    add_articles(engine, rows)
    update_story_clusters(engine)
    monkeypatch.setattr(clusters, "SCHEME", clusters.SCHEME + " (changed)")
    stats = Counter()
    update_story_clusters(engine, stats)
    assert stats["signatures_computed"] == len(rows)
    assert stored(engine) == from_scratch(engine)


def test_migration_0009_upgrades_a_0008_database_and_is_reversible(any_env):
    engine = make_engine(any_env.database_url)
    upgrade_schema(engine, "0001")
    _old_data(engine)  # one article, written as revision 0001 had it
    upgrade_schema(engine, "0008")
    assert "article_signatures" not in inspect(engine).get_table_names()

    upgrade_schema(engine, "0009")
    assert current_revisions(engine) == {"0009"}
    columns = {c["name"] for c in inspect(engine).get_columns("article_signatures")}
    assert columns == {"article_id", "text_hash", "shingle_count", "signature"}
    assert update_story_clusters(engine) == 0
    with unit_of_work(engine) as session:
        (signature,) = session.scalars(select(ArticleSignature)).all()
        assert signature.text_hash == "h1" and signature.shingle_count == 4  # "Ferries stopped at the old pier."
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert "article_signatures" not in inspect(engine).get_table_names()
    with unit_of_work(engine) as session:
        assert session.scalar(select(Article.text)) == "Ferries stopped at the old pier."
    upgrade_schema(engine)
    assert "article_signatures" in inspect(engine).get_table_names()


def test_bench_clusters_checks_its_incremental_runs_against_a_full_recompute():
    """bench/clusters.py's own figures mean something only if its runs do what it says (no timing here)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "clusters.py"
    run = subprocess.run([sys.executable, str(bench), "--articles", "150", "--new-share", "0.05", "--json"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)
    assert result["same_clusters"] and result["baseline"]["clusters"] > 0
    assert result["cold"]["signatures_computed"] == 150
    assert result["warm"]["signatures_computed"] == result["added"] + result["retexted"] == 7 + 5
    assert all(result[name]["peak_rss_mb"] > 0 for name in ("baseline", "cold", "baseline_after", "warm"))


def test_minhash_in_numpy_is_the_exact_formula():
    # the vectorised signature equals min of (a*(h mod p) + b) mod p, p = 2**31 - 1, value for value,
    # also across numpy's blocks of shingles
    import random

    from kronika import clusters

    rng = random.Random(7)
    for size in (1, 8, 500, clusters._ROWS_AT_ONCE * 2 + 3):
        hashed = {rng.getrandbits(64) for _ in range(size)}
        expected = tuple(min((a * (h % clusters._PRIME) + b) % clusters._PRIME for h in hashed)
                         for a, b in clusters._COEFFICIENTS)
        assert clusters.minhash(hashed) == expected
