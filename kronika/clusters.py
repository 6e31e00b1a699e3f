"""Near-duplicate articles grouped into story clusters: one wire story, many outlets.

MinHash over word 3-shingles with locality-sensitive hashing (32 bands of 2 rows) finds candidate
pairs cheaply; each candidate is then checked on the exact shingle sets. Two texts are the same
story when most of the shorter one's shingles are in the longer one (an outlet that runs only
the first paragraphs of a wire story still counts) and they share a real part overall.

Clusters are recomputed from the articles' latest text after each extract that changed
anything: the same articles give the same clusters, so a rebuild from WARC gives the same rows.
Different languages never match (a translation is not a near-duplicate in words).
"""
from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, func, select

from kronika.storage.db.engine import unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, KronikaState, StoryCluster, StoryClusterArticle
from kronika.storage.db.upserts import upsert

SHINGLE = 3
PERMUTATIONS = 64
BANDS = 32  # 2 rows each: a pair with Jaccard 0.3 becomes a candidate with probability ~0.95
MIN_SHINGLES = 8  # below this a text is too short to call anything a copy of it
OVERLAP = 0.7  # share of the shorter text's shingles found in the longer one
JACCARD = 0.2  # and a real part of both overall (not one sentence quoted in a long piece)

_WORD_RE = re.compile(r"\w+", re.U)
_PRIME = (1 << 61) - 1
_rng = random.Random(20260125)  # fixed: signatures must be the same in every run
_COEFFICIENTS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS)]


def shingles(text: str | None) -> set[int]:
    words = _WORD_RE.findall((text or "").lower())
    return {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + SHINGLE]).encode(), digest_size=8).digest(), "big")
            for i in range(len(words) - SHINGLE + 1)}


def minhash(hashed: set[int]) -> tuple[int, ...]:
    return tuple(min((a * h + b) % _PRIME for h in hashed) for a, b in _COEFFICIENTS)


@dataclass(frozen=True)
class Item:
    key: tuple[str, str]  # (source, url): the natural key
    text: str | None
    published_at: datetime | None = None
    title: str | None = None


def similarity(a: set[int], b: set[int]) -> tuple[float, float]:
    """(overlap of the shorter, Jaccard)."""
    common = len(a & b)
    return common / min(len(a), len(b)), common / len(a | b)


def group(items: Iterable[Item]) -> list[list[tuple[Item, float]]]:
    """Clusters of two or more items, each as [(item, Jaccard with the cluster's first item)].

    Members are ordered by publication time (then key); clusters by their first member.
    """
    items = sorted(items, key=lambda i: i.key)
    sets = [shingles(item.text) for item in items]
    buckets: dict[tuple, list[int]] = defaultdict(list)
    rows = PERMUTATIONS // BANDS
    for index, hashed in enumerate(sets):
        if len(hashed) < MIN_SHINGLES:
            continue
        signature = minhash(hashed)
        for band in range(BANDS):
            buckets[(band, signature[band * rows:(band + 1) * rows])].append(index)

    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pair = (members[x], members[y])
                if pair in checked:
                    continue
                checked.add(pair)
                overlap, jaccard = similarity(sets[pair[0]], sets[pair[1]])
                if overlap >= OVERLAP and jaccard >= JACCARD:
                    parent[root(pair[0])] = root(pair[1])

    clusters: dict[int, list[int]] = defaultdict(list)
    for index in range(len(items)):
        clusters[root(index)].append(index)
    result = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (items[i].published_at is None, items[i].published_at or datetime.min,
                                    items[i].key))
        first = sets[members[0]]
        result.append([(items[i], round(similarity(first, sets[i])[1], 4)) for i in members])
    result.sort(key=lambda c: c[0][0].key)
    return result


def cluster_key(members: list[Item]) -> str:
    return hashlib.sha256("\n".join(sorted(f"{m.key[0]}\t{m.key[1]}" for m in members)).encode()).hexdigest()


STATE_KEY = "story_clusters_from"


def articles_fingerprint(session) -> str:
    """What the clusters depend on, cheaply: articles and versions only ever grow."""
    articles = session.scalar(select(func.count()).select_from(Article))
    versions = session.scalar(select(func.count()).select_from(ArticleVersion))
    return f"{articles} articles, {versions} versions"


def clusters_are_current(engine) -> bool:
    with unit_of_work(engine) as session:
        state = session.get(KronikaState, STATE_KEY)
        return state is not None and state.value == articles_fingerprint(session)


def update_story_clusters(engine) -> int:
    """Recompute story_clusters from every article's latest text; returns the number of clusters.

    The fingerprint of the articles it was computed from is stored in the same transaction, so a
    run killed before this commit leaves a stale fingerprint and the next extract recomputes.
    """
    with unit_of_work(engine) as session:
        upsert(session, KronikaState, {"key": STATE_KEY, "value": articles_fingerprint(session)},
               conflict=["key"], update=["value"])
        rows = session.execute(select(Article.id, Article.source, Article.url, Article.text, Article.published_at,
                                      Article.title, Article.language)).all()
        ids = {(r.source, r.url): r.id for r in rows}
        by_language: dict[str | None, list[Item]] = defaultdict(list)
        for r in rows:
            by_language[r.language].append(Item((r.source, r.url), r.text, r.published_at, r.title))
        session.execute(delete(StoryClusterArticle))
        session.execute(delete(StoryCluster))
        count = 0
        for language in sorted(by_language, key=lambda lang: lang or ""):
            for members in group(by_language[language]):
                items = [item for item, _ in members]
                cluster = StoryCluster(key=cluster_key(items), title=items[0].title,
                                       first_published_at=items[0].published_at, articles=len(items),
                                       sources=len({item.key[0] for item in items}))
                session.add(cluster)
                session.flush()
                session.add_all(StoryClusterArticle(article_id=ids[item.key], cluster_id=cluster.id, similarity=score)
                                for item, score in members)
                count += 1
    return count
