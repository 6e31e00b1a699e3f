"""Near-duplicates: syndicated stories grouped into story_clusters (MinHash over word shingles)."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select

from kronika.clusters import Item, group
from kronika.spiders.parsers.article import parse_article
from kronika.steps.extract import extract
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, StoryCluster, StoryClusterArticle

DATA = Path(__file__).resolve().parents[1] / "data" / "extraction"
WIRE_URLS = {"http://mirror.kronika.test/herald/news/wire-grain-barges-stuck-below-zarichansk-lock.html",
             "http://mirror.kronika.test/vistnyk/novyny/wire-grain-barges-zarichansk-lock/"}


def test_dataset_pages_of_one_story_cluster_together_and_nothing_else():
    """The extraction dataset dresses each story in several templates (a full copy, a teaser, a
    live blog, ...): every story seen in two or more templates is one cluster, and no cluster
    mixes stories."""
    items = []
    for truth_file in sorted(DATA.glob("[0-9][0-9]-*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        record = parse_article(truth_file.with_suffix(".html").read_bytes(), truth["url"])
        key = (truth["template"], truth["url"])
        items.append(Item(key, record.text, record.published_at, record.title))
    # pages of the same story share its publication time (each story has its own)
    by_story = defaultdict(set)
    stories = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(DATA.glob("[0-9][0-9]-*.json"))]
    for truth in stories:
        by_story[truth["published"]].add((truth["template"], truth["url"]))
    expected = sorted(sorted(keys) for keys in by_story.values() if len(keys) > 1)

    clusters = group(items)
    assert sorted(sorted(item.key for item, _ in cluster) for cluster in clusters) == expected
    assert len(expected) == 18
    for cluster in clusters:
        assert cluster[0][1] == 1.0 and all(0.3 <= score <= 1.0 for _, score in cluster)


def test_short_or_unrelated_texts_do_not_cluster():
    a = Item(("a", "1"), "The mayor opened a new bridge over the river on Monday morning after three years of work.")
    b = Item(("b", "2"), "Heavy snow closed schools across the region, and buses ran late on most routes today.")
    c = Item(("c", "3"), "Too short.")
    d = Item(("d", "4"), "Too short.")
    assert group([a, b, c, d]) == []


def test_syndicated_wire_story_forms_one_cluster_in_the_database(any_env, mirror, demo_config):
    for source in demo_config.sources:
        run_source(source, any_env)
    engine = open_database(any_env.database_url)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoryCluster)) == 0  # no wire copy yet

    mirror.set_epoch(1)  # the wire story appears on both outlets
    for source in demo_config.sources:
        run_source(source, any_env)
    with unit_of_work(engine) as session:
        clusters = list(session.scalars(select(StoryCluster)))
        assert len(clusters) == 1, [c.title for c in clusters]
        cluster = clusters[0]
        members = session.execute(select(Article.url, Article.source, StoryClusterArticle.similarity)
                                  .join(StoryClusterArticle, StoryClusterArticle.article_id == Article.id)
                                  .where(StoryClusterArticle.cluster_id == cluster.id)).all()
        assert {m.url for m in members} == WIRE_URLS
        assert cluster.articles == 2 and cluster.sources == 2
        assert cluster.title == "Grain barges stuck below Zarichansk lock as ice thickens"
        # what a consumer asks: how many independent reports among the stored articles?
        articles = session.scalar(select(func.count()).select_from(Article))
        copies = session.scalar(select(func.count()).select_from(StoryClusterArticle))
        independent = articles - copies + session.scalar(select(func.count()).select_from(StoryCluster))
        assert independent == articles - 1
        key = cluster.key

    # recomputing gives the same cluster (same key): re-extracting everything changes nothing
    extract(any_env, all_files=True)
    with unit_of_work(engine) as session:
        assert list(session.scalars(select(StoryCluster.key))) == [key]


def test_a_chance_band_match_is_not_a_candidate_but_real_agreement_is():
    # signatures of 64 values: "b" shares only the first band (2 values) with "a", as unrelated
    # texts in a small vocabulary do by chance; "c" agrees with "a" on 4 values (two bands)
    from kronika.clusters import MIN_AGREEMENT, PERMUTATIONS, VALUE_BYTES, candidate_pairs

    def signature(values):
        return b"".join(v.to_bytes(VALUE_BYTES, "big") for v in values)

    a = list(range(1, PERMUTATIONS + 1))
    b = a[:2] + [v + 1000 for v in a[2:]]
    c = a[:MIN_AGREEMENT] + [v + 2000 for v in a[MIN_AGREEMENT:]]
    assert candidate_pairs([signature(a), signature(b), signature(c)]) == {(0, 2)}
