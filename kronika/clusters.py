"""Near-duplicate articles grouped into story clusters: one wire story, many outlets.

MinHash over word 3-shingles with locality-sensitive hashing (32 bands of 2 rows) finds candidate
pairs cheaply; each candidate is then checked on the exact shingle sets. Two texts are the same
story when most of the shorter one's shingles are in the longer one (an outlet that runs only
the first paragraphs of a wire story still counts) and they share a real part overall.

Clusters are recomputed from the articles' latest text after each extract that changed
anything: the same articles give the same clusters, so a rebuild from WARC gives the same rows.
Different languages never match (a translation is not a near-duplicate in words).

The work is incremental, with the result of `group()` over every article (tests compare the two):

- each article's signature is stored in `article_signatures` with the `text_hash` it was computed
  from, by extract in the same transaction as the version whose text it hashes (its parse
  workers compute it in parallel); only articles without one or whose text changed since (rows
  from before migration 0009 or a SCHEME change) are hashed here, a batch at a time;
- the stored signatures (512 bytes an article) are banded into LSH buckets one band at a time,
  by the database (a window count over a slice of the signature), which returns only the buckets
  that two articles share: no step holds a row or a signature for every article;
- only the articles of candidate pairs have their text read and shingled for the exact check,
  a few components of the candidate graph at a time (a cluster never spans two).

Signatures are committed batch by batch (a killed run keeps them: each names the text it is
from); the clusters and the fingerprint of the articles they were computed from are rewritten in
one transaction, so a run killed before that commit is redone by the next extract.
"""
from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations, groupby
from typing import TypeVar

import numpy as np
from sqlalchemy import delete, func, or_, select

from kronika.locks import serialise
from kronika.normalise.versions import on_versions_changed
from kronika.storage.db.engine import unit_of_work
from kronika.storage.db.models import (
    Article,
    ArticleSignature,
    ArticleVersion,
    KronikaState,
    StoryCluster,
    StoryClusterArticle,
)
from kronika.storage.db.upserts import upsert, upsert_many

SHINGLE = 3
PERMUTATIONS = 64
BANDS = 32  # 2 rows each: a pair with Jaccard 0.3 becomes a candidate with probability ~0.95
MIN_SHINGLES = 8  # below this a text is too short to call anything a copy of it
# A candidate pair's signatures agree on at least this many of their values (an estimated Jaccard
# of 1/16, far below JACCARD): a pair at Jaccard 0.2 that shares a band (two values) falls short
# with probability ~1e-5, so the exact check loses nothing it would have kept
MIN_AGREEMENT = 4
OVERLAP = 0.7  # share of the shorter text's shingles found in the longer one
JACCARD = 0.2  # and a real part of both overall (not one sentence quoted in a long piece)

VALUE_BYTES = 8  # each MinHash value is below 2**31; stored as 8 bytes (the 0009 table's layout)
BAND_BYTES = PERMUTATIONS // BANDS * VALUE_BYTES
BATCH = 200  # articles hashed per transaction; articles whose texts are read and checked at a time
PAIRS_AT_ONCE = 5_000  # candidate pairs whose signatures are read and compared at a time
# Stored signatures are only valid for the scheme that computed them: changing any of these
# (or the shingle hash) must change this string, which discards every stored signature.
SCHEME = (f"minhash: {SHINGLE}-word shingles, blake2b-64 mod 2**31-1, (a*h+b) mod 2**31-1, "
          f"{PERMUTATIONS} permutations, seed 20260125")

_WORD_RE = re.compile(r"\w+", re.U)
# universal hashing modulo the Mersenne prime 2**31-1: with h, a, b below it, a*h+b < 2**62, so
# numpy's uint64 arithmetic is exact (a 2**61-1 modulus would overflow it)
_PRIME = (1 << 31) - 1
_rng = random.Random(20260125)  # fixed: signatures must be the same in every run
_COEFFICIENTS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS)]
_A = np.array([a for a, _ in _COEFFICIENTS], dtype=np.uint64)
_B = np.array([b for _, b in _COEFFICIENTS], dtype=np.uint64)
_ROWS_AT_ONCE = 4096  # shingles per numpy block: a huge page costs blocks, not memory

K = TypeVar("K", bound=Hashable)


def shingles(text: str | None) -> set[int]:
    words = _WORD_RE.findall((text or "").lower())
    return {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + SHINGLE]).encode(), digest_size=8).digest(), "big")
            for i in range(len(words) - SHINGLE + 1)}


def minhash(hashed: set[int]) -> tuple[int, ...]:
    """min over the shingles of (a*h + b) mod p, for each of the PERMUTATIONS (a, b), in numpy.

    The shingle hashes go in modulo p, so every product fits in 64 bits and the arithmetic is
    exact (pure Python did this per value and cost minutes at a few thousand articles)."""
    values = np.fromiter(hashed, dtype=np.uint64, count=len(hashed)) % np.uint64(_PRIME)
    smallest = np.full(PERMUTATIONS, _PRIME, dtype=np.uint64)
    for start in range(0, len(values), _ROWS_AT_ONCE):
        block = values[start:start + _ROWS_AT_ONCE, None] * _A + _B
        np.minimum(smallest, (block % np.uint64(_PRIME)).min(axis=0), out=smallest)
    return tuple(int(v) for v in smallest)


def signature_bytes(hashed: set[int]) -> bytes:
    """The MinHash signature as stored: equal bands as bytes exactly when equal as integers."""
    return b"".join(value.to_bytes(VALUE_BYTES, "big") for value in minhash(hashed))


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


def candidate_pairs(signatures: Sequence[bytes]) -> set[tuple[int, int]]:
    """Index pairs (i < j) whose signatures agree on at least one band, and on MIN_AGREEMENT
    values in all (the in-memory form: `_candidate_pairs` does the same from the database).

    One band's buckets at a time, so only one band's worth of keys is ever in memory. The second
    condition is what keeps chance band matches from costing an exact check each: unrelated
    texts in a small vocabulary share a band by chance (8,745 such pairs among 20,000 generated
    articles, none of them a story: docs/performance.md), and almost all of them agree on just
    that band's two values.
    """
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        start = band * BAND_BYTES
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for index, signature in enumerate(signatures):
            buckets[signature[start:start + BAND_BYTES]].append(index)
        for members in buckets.values():
            if len(members) > 1:
                pairs.update(combinations(members, 2))
    return set(agreeing(sorted(pairs), signatures))


def agreeing(pairs: Sequence[tuple[K, K]], signature_of: Mapping[K, bytes] | Sequence[bytes]
             ) -> list[tuple[K, K]]:
    """The pairs whose two signatures agree on at least MIN_AGREEMENT of their values."""
    if not pairs:
        return []
    first = np.frombuffer(b"".join(signature_of[a] for a, _ in pairs), dtype=">u8").reshape(len(pairs), PERMUTATIONS)
    second = np.frombuffer(b"".join(signature_of[b] for _, b in pairs), dtype=">u8").reshape(len(pairs), PERMUTATIONS)
    counts = (first == second).sum(axis=1)
    return [pair for pair, count in zip(pairs, counts.tolist()) if count >= MIN_AGREEMENT]


def connected(pairs: Iterable[tuple[K, K]]) -> list[list[K]]:
    """The connected components of the graph these pairs are the edges of (each of 2+ keys)."""
    parent: dict[K, K] = {}

    def root(key: K) -> K:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[K, list[K]] = defaultdict(list)
    for key in list(parent):
        groups[root(key)].append(key)
    return list(groups.values())


def linked(pairs: Iterable[tuple[K, K]], sets: Mapping[K, set[int]]) -> list[list[K]]:
    """Groups of two or more keys joined by candidate pairs that pass the exact shingle check."""
    def same_story(a: set[int], b: set[int]) -> bool:
        overlap, jaccard = similarity(a, b)
        return overlap >= OVERLAP and jaccard >= JACCARD

    return connected((a, b) for a, b in pairs if same_story(sets[a], sets[b]))


def ordered(groups: Iterable[list[K]], items: Mapping[K, Item], sets: Mapping[K, set[int]]
            ) -> list[list[tuple[Item, float]]]:
    """Members by publication time (then key), each with its Jaccard with the first; clusters by
    their first member's key."""
    result = []
    for members in groups:
        members = sorted(members, key=lambda k: (items[k].published_at is None,
                                                 items[k].published_at or datetime.min, items[k].key))
        first = sets[members[0]]
        result.append([(items[k], round(similarity(first, sets[k])[1], 4)) for k in members])
    result.sort(key=lambda c: c[0][0].key)
    return result


def group(items: Iterable[Item]) -> list[list[tuple[Item, float]]]:
    """Clusters of two or more items, each as [(item, Jaccard with the cluster's first item)].

    Members are ordered by publication time (then key); clusters by their first member. The
    whole computation in memory: `update_story_clusters` gives the same clusters incrementally.
    """
    items = sorted(items, key=lambda i: i.key)
    sets = [shingles(item.text) for item in items]
    hashed = [index for index, s in enumerate(sets) if len(s) >= MIN_SHINGLES]
    pairs = candidate_pairs([signature_bytes(sets[index]) for index in hashed])
    groups = linked(((hashed[i], hashed[j]) for i, j in pairs), dict(enumerate(sets)))
    return ordered(groups, dict(enumerate(items)), dict(enumerate(sets)))


def cluster_key(members: list[Item]) -> str:
    return hashlib.sha256("\n".join(sorted(f"{m.key[0]}\t{m.key[1]}" for m in members)).encode()).hexdigest()


STATE_KEY = "story_clusters_from"
SCHEME_KEY = "article_signatures_scheme"


def articles_fingerprint(session) -> str:
    """What the clusters depend on, cheaply: articles and versions grow as files are loaded; a
    version removed by a late file (which may keep the count) discards the fingerprint instead."""
    articles = session.scalar(select(func.count()).select_from(Article))
    versions = session.scalar(select(func.count()).select_from(ArticleVersion))
    return f"{articles} articles, {versions} versions"


@on_versions_changed
def _versions_changed(session, model: type, added, removed) -> None:
    if model is ArticleVersion and removed:
        session.execute(delete(KronikaState).where(KronikaState.key == STATE_KEY))


def clusters_are_current(engine) -> bool:
    with unit_of_work(engine) as session:
        state = session.get(KronikaState, STATE_KEY)
        return state is not None and state.value == articles_fingerprint(session)


# --- stored signatures ------------------------------------------------------------------------

def _stale_ids(session) -> list[int]:
    """Articles without a signature, or whose text changed since theirs was computed.

    `articles.text_hash` changes whenever the latest text does (it hashes the version's fields,
    text included: kronika/normalise/articles.py), so comparing it needs no text read.
    """
    query = (select(Article.id).outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
             .where(or_(ArticleSignature.article_id.is_(None),
                        ArticleSignature.text_hash.is_distinct_from(Article.text_hash)))
             .order_by(Article.id))
    return list(session.scalars(query))


def text_signature(text: str | None) -> tuple[int, bytes | None]:
    """(shingle count, signature bytes or None) of a text: what `article_signatures` stores."""
    hashed = shingles(text)
    return len(hashed), signature_bytes(hashed) if hashed else None


def signature_row(article: Article, signature: tuple[int, bytes | None] | None = None) -> dict:
    """The `article_signatures` row of an article's latest text (computed here unless given:
    extract's parse workers compute it in parallel, from the same text)."""
    shingle_count, value = text_signature(article.text) if signature is None else signature
    return {"article_id": article.id, "text_hash": article.text_hash, "shingle_count": shingle_count,
            "signature": value}


def store_signatures(session, rows: list[dict]) -> None:
    """Insert or replace signature rows (one executemany)."""
    upsert_many(session, ArticleSignature, rows, conflict=["article_id"],
                update=["text_hash", "shingle_count", "signature"])


def prepare_signatures(engine) -> None:
    """Discard every stored signature when the scheme that computed them changed. Extract calls it
    before loading, because it stores each new version's signature in the version's transaction."""
    with unit_of_work(engine) as session:
        scheme = session.get(KronikaState, SCHEME_KEY)
        if scheme is None or scheme.value != SCHEME:
            session.execute(delete(ArticleSignature))
            upsert(session, KronikaState, {"key": SCHEME_KEY, "value": SCHEME}, conflict=["key"], update=["value"])


def _store_stale(session, ids: Sequence[int]) -> int:
    articles = session.scalars(select(Article).where(Article.id.in_(ids))).all()
    store_signatures(session, [signature_row(article) for article in articles])
    return len(articles)


def refresh_signatures(engine) -> int:
    """Compute the signatures that are missing or stale, BATCH articles per transaction; returns
    how many were computed. Only those articles' texts are read, one batch at a time. After an
    extract there are usually none: it stores each new version's signature as it loads it; these
    are articles from before migration 0009, or from before a change of SCHEME."""
    prepare_signatures(engine)
    with unit_of_work(engine) as session:
        ids = _stale_ids(session)
    computed = 0
    for start in range(0, len(ids), BATCH):
        with unit_of_work(engine) as session:
            computed += _store_stale(session, ids[start:start + BATCH])
    return computed


def _band_buckets(session, band: int) -> Iterator[list[int]]:
    """The article ids of each LSH bucket of one band that holds two or more (same language).

    The database groups and sorts the band's keys (a window count keeps only shared buckets), so
    what reaches Python is the candidates, not a row per article: memory follows the candidates,
    however large the archive."""
    key = func.substr(ArticleSignature.signature, band * BAND_BYTES + 1, BAND_BYTES)
    current = (select(ArticleSignature.article_id.label("article_id"), Article.language.label("language"),
                      key.label("key"), func.count().over(partition_by=(Article.language, key)).label("members"))
               .join(Article, Article.id == ArticleSignature.article_id)
               .where(ArticleSignature.shingle_count >= MIN_SHINGLES,
                      ArticleSignature.text_hash.is_not_distinct_from(Article.text_hash))
               .subquery())
    rows = session.execute(select(current.c.language, current.c.key, current.c.article_id)
                           .where(current.c.members > 1)
                           .order_by(current.c.language, current.c.key, current.c.article_id))
    for _, members in groupby(rows, key=lambda row: (row[0], bytes(row[1]))):
        yield [row[2] for row in members]


def _candidate_pairs(session) -> set[tuple[int, int]]:
    """Article-id pairs (same language) that share an LSH bucket and agree on MIN_AGREEMENT
    values, from the stored signatures: one band at a time, then the signatures of PAIRS_AT_ONCE
    pairs at a time. No step holds a signature, or a row, for every article."""
    shared: set[tuple[int, int]] = set()
    for band in range(BANDS):
        for members in _band_buckets(session, band):
            shared.update(combinations(members, 2))  # members come sorted: (smaller id, larger id)
    ordered_pairs = sorted(shared)
    del shared
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(ordered_pairs), PAIRS_AT_ONCE):
        chunk = ordered_pairs[start:start + PAIRS_AT_ONCE]
        wanted = sorted({article_id for pair in chunk for article_id in pair})
        signature_of: dict[int, bytes] = {}
        for first in range(0, len(wanted), BATCH):
            signature_of.update((article_id, bytes(signature)) for article_id, signature in session.execute(
                select(ArticleSignature.article_id, ArticleSignature.signature)
                .where(ArticleSignature.article_id.in_(wanted[first:first + BATCH]))))
        pairs.update(agreeing(chunk, signature_of))
    return pairs


def _check_candidates(session, pairs: set[tuple[int, int]], stats: Counter
                      ) -> tuple[list[list[tuple[Item, float]]], dict[tuple[str, str], int]]:
    """The clusters among the candidate pairs, reading texts for about BATCH articles at a time.

    A cluster never spans two components of the candidate graph, so the components are checked
    a few at a time and their shingle sets dropped after: memory follows the largest component,
    not the number of syndicated articles in the archive.
    """
    components = connected(pairs)
    component_of = {article_id: number for number, members in enumerate(components) for article_id in members}
    pairs_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in pairs:
        pairs_of[component_of[pair[0]]].append(pair)
    clusters: list[list[tuple[Item, float]]] = []
    ids: dict[tuple[str, str], int] = {}

    def check(numbers: list[int]) -> None:
        wanted = sorted(article_id for number in numbers for article_id in components[number])
        stats["candidate_articles"] += len(wanted)
        items: dict[int, Item] = {}
        sets: dict[int, set[int]] = {}
        for start in range(0, len(wanted), BATCH):
            for r in session.execute(select(Article.id, Article.source, Article.url, Article.text,
                                            Article.published_at, Article.title)
                                     .where(Article.id.in_(wanted[start:start + BATCH]))):
                items[r.id] = Item((r.source, r.url), None, r.published_at, r.title)
                sets[r.id] = shingles(r.text)
        found = ordered(linked((pair for number in numbers for pair in pairs_of[number]), sets), items, sets)
        clusters.extend(found)
        id_of = {item.key: article_id for article_id, item in items.items()}
        ids.update((item.key, id_of[item.key]) for members in found for item, _ in members)

    batch: list[int] = []
    size = 0
    for number, members in enumerate(components):
        batch.append(number)
        size += len(members)
        if size >= BATCH:
            check(batch)
            batch, size = [], 0
    if batch:
        check(batch)
    clusters.sort(key=lambda c: c[0][0].key)
    return clusters, ids


def update_story_clusters(engine, stats: Counter | None = None) -> int:
    """Bring story_clusters up to date with every article's latest text; returns the number of clusters.

    `stats`, when given, counts `signatures_computed`, `candidate_pairs` and `candidate_articles`
    (the articles whose text was read for the exact check).

    The fingerprint of the articles it was computed from is stored in the same transaction as the
    clusters, so a run killed before this commit leaves a stale fingerprint and the next extract
    recomputes.
    """
    stats = Counter() if stats is None else stats
    stats["signatures_computed"] += refresh_signatures(engine)
    with unit_of_work(engine) as session:
        # two extracts ending at once take turns: the second reads what the first committed
        serialise(session, "kronika-story-clusters")
        upsert(session, KronikaState, {"key": STATE_KEY, "value": articles_fingerprint(session)},
               conflict=["key"], update=["value"])
        # articles another extract changed since the batches above (usually none)
        stats["signatures_computed"] += _store_stale(session, _stale_ids(session))
        pairs = _candidate_pairs(session)
        stats["candidate_pairs"] += len(pairs)
        clusters, ids = _check_candidates(session, pairs, stats)
        session.execute(delete(StoryClusterArticle))
        session.execute(delete(StoryCluster))
        for members in clusters:
            cluster_items = [item for item, _ in members]
            cluster = StoryCluster(key=cluster_key(cluster_items), title=cluster_items[0].title,
                                   first_published_at=cluster_items[0].published_at, articles=len(cluster_items),
                                   sources=len({item.key[0] for item in cluster_items}))
            session.add(cluster)
            session.flush()
            session.add_all(StoryClusterArticle(article_id=ids[item.key], cluster_id=cluster.id, similarity=score)
                            for item, score in members)
    return len(clusters)
