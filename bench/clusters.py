"""Story clustering: incremental (`update_story_clusters`, stored signatures) against a full recompute.

    .venv/bin/python bench/clusters.py [--articles 2000,10000] [--new-share 0.01] [--json]

For each size N, a fresh SQLite database gets N synthetic articles (~1,000 words each, as long as
bench/scale.py's generated pages; one in ten a syndicated copy of an earlier one: whole, cut, or
with a local paragraph added). Each measured step runs in a process of its own (peak RSS is that
process's `ru_maxrss`, from `os.wait4`; times exclude interpreter start and imports):

- baseline: the clustering as it was before stored signatures: read every article's text and run
  `kronika.clusters.group()` per language (shingles and MinHash of every article; no writes);
- cold: `update_story_clusters` on that database with no stored signatures (the first extract
  after migration 0009 or a rebuild): every signature is computed and stored;
- then N x new-share articles are added (half of them copies of stored ones) and 5 stored ones
  get a new text, and both are measured again: baseline, and warm `update_story_clusters` (what
  each later extract that adds articles pays).

Every incremental run's clusters are checked against its baseline's (same keys, members and
similarities). The figures are ratios against the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
SOURCES = ("herald", "vistnyk", "courier", "ledger")


# --------------------------------------------------------------------------------- the corpus
def _vocabulary() -> list[str]:
    rng = random.Random(7)
    return ["".join(rng.choices("abcdefghijklmnoprstuvyz", k=rng.randint(3, 9))) for _ in range(1500)]


def _text(rng: random.Random, words: list[str], paragraphs: tuple[int, int] = (8, 24)) -> str:
    return "\n\n".join(" ".join(rng.choices(words, k=rng.randint(40, 80))) for _ in range(rng.randint(*paragraphs)))


def articles(first: int, count: int, seed: int, copies_of: list[str] | None = None,
             copy_share: float = 0.1) -> list[dict]:
    """Articles numbered first..first+count-1; a `copy_share` of them copy an earlier text (of this
    batch, or of `copies_of`)."""
    rng = random.Random(seed)
    words = _vocabulary()
    texts = list(copies_of or [])
    rows = []
    for number in range(first, first + count):
        if texts and rng.random() < copy_share:
            original = rng.choice(texts).split("\n\n")
            how = rng.random()
            if how < 0.3:
                text = "\n\n".join(original[:max(2, len(original) * 2 // 3)])  # a teaser: the first part
            elif how < 0.6:
                text = "\n\n".join(original + [_text(rng, words, (1, 2))])  # plus a local paragraph
            else:
                text = "\n\n".join(original)
        else:
            text = _text(rng, words)
            texts.append(text)
        rows.append({"source": SOURCES[number % len(SOURCES)], "url": f"https://bench.test/story-{number}",
                     "title": f"Story {number}", "language": "en", "text": text,
                     "published_at": START + timedelta(minutes=7 * number)})
    return rows


def add(database_url: str, rows: list[dict]) -> None:
    from sqlalchemy import insert, select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import Article, Source

    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        known = set(session.scalars(select(Source.name)))
        for name in SOURCES:
            if name not in known:
                session.add(Source(name=name, kind="news", config={}, created_at=START))
        session.flush()
        session.execute(insert(Article), [dict(row, first_seen_at=START, last_seen_at=START, authors=[], tags=[],
                                               versions=1, paywalled=False,
                                               text_hash=hashlib.sha256(row["text"].encode()).hexdigest())
                                          for row in rows])
    engine.dispose()


def retext(database_url: str, count: int, seed: int) -> None:
    """`count` stored articles get a new text (a new version, as an extract would store it)."""
    from sqlalchemy import func, select, update

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import Article

    rng = random.Random(seed)
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        total = session.scalar(select(func.count()).select_from(Article))
        for article_id in rng.sample(range(1, total + 1), count):
            text = _text(rng, _vocabulary())
            session.execute(update(Article).where(Article.id == article_id)
                            .values(text=text, text_hash=hashlib.sha256(text.encode()).hexdigest()))
    engine.dispose()


# ------------------------------------------------------------------------ the measured steps
def _digest(rows) -> str:
    return hashlib.sha256(json.dumps(sorted(rows), default=str).encode()).hexdigest()[:16]


def step_baseline(database_url: str, size: int, new_share: float) -> dict:
    from collections import defaultdict

    from sqlalchemy import select

    from kronika.clusters import Item, cluster_key, group
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import Article

    engine = open_database(database_url)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        rows = session.execute(select(Article.id, Article.source, Article.url, Article.text, Article.published_at,
                                      Article.title, Article.language)).all()
        by_language = defaultdict(list)
        for r in rows:
            by_language[r.language].append(Item((r.source, r.url), r.text, r.published_at, r.title))
        found = [members for language in by_language for members in group(by_language[language])]
    seconds = time.perf_counter() - started
    clusters = [(cluster_key([item for item, _ in members]),
                 sorted((item.key[0], item.key[1], score) for item, score in members)) for members in found]
    return {"seconds": seconds, "clusters": len(clusters), "digest": _digest(clusters)}


def step_incremental(database_url: str, size: int, new_share: float) -> dict:
    from collections import Counter, defaultdict

    from sqlalchemy import select

    from kronika.clusters import update_story_clusters
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import Article, StoryCluster, StoryClusterArticle

    engine = open_database(database_url)
    stats = Counter()
    started = time.perf_counter()
    count = update_story_clusters(engine, stats)
    seconds = time.perf_counter() - started
    with unit_of_work(engine) as session:
        members = defaultdict(list)
        for key, source, url, score in session.execute(
                select(StoryCluster.key, Article.source, Article.url, StoryClusterArticle.similarity)
                .join(StoryClusterArticle, StoryClusterArticle.cluster_id == StoryCluster.id)
                .join(Article, Article.id == StoryClusterArticle.article_id)):
            members[key].append((source, url, score))
    clusters = [(key, sorted(rows)) for key, rows in members.items()]
    return {"seconds": seconds, "clusters": count, "digest": _digest(clusters), **stats}


def step_populate(database_url: str, size: int, new_share: float) -> dict:
    add(database_url, articles(0, size, seed=size))
    return {}


def step_grow(database_url: str, size: int, new_share: float) -> dict:
    """The new articles (half of them copies of the first 500) and 5 new texts."""
    new = max(2, int(size * new_share))
    copies_of = [row["text"] for row in articles(0, min(size, 500), seed=size)]
    add(database_url, articles(size, new, seed=size + 1, copies_of=copies_of, copy_share=0.5))
    retext(database_url, 5, seed=size + 2)
    return {"added": new, "retexted": 5}


# every step in its own process, the corpus too: a child forked from a parent that held the
# texts would report the parent's size as its own peak RSS
STEPS = {"populate": step_populate, "grow": step_grow, "baseline": step_baseline, "incremental": step_incremental}


def measure(step: str, database_url: str, size: int = 0, new_share: float = 0.0) -> dict:
    """Run one step in a fresh interpreter; its result plus its peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        process = subprocess.Popen([sys.executable, __file__, "--step", step, "--database", database_url,
                                    "--articles", str(size), "--new-share", str(new_share),
                                    "--out", out.name])
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"step {step} failed with exit code {process.returncode}")
        result = json.loads(Path(out.name).read_text())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def run_size(size: int, new_share: float, work: Path) -> dict:
    url = f"sqlite:///{work / f'clusters-{size}.db'}"
    measure("populate", url, size)
    result = {"articles": size, "baseline": measure("baseline", url), "cold": measure("incremental", url)}
    grown = measure("grow", url, size, new_share)
    result["added"], result["retexted"] = grown["added"], grown["retexted"]
    result["baseline_after"] = measure("baseline", url)
    result["warm"] = measure("incremental", url)
    result["same_clusters"] = (result["cold"]["digest"] == result["baseline"]["digest"]
                               and result["warm"]["digest"] == result["baseline_after"]["digest"])
    return result


def report(results: list[dict]) -> None:
    print(f"{'articles':>9}  {'run':<34} {'seconds':>8} {'x base':>7} {'peak RSS MB':>12} {'x base':>7}  notes")
    for r in results:
        rows = [("baseline: full recompute", r["baseline"], r["baseline"], ""),
                ("cold: update, no signatures", r["cold"], r["baseline"],
                 f"{r['cold']['signatures_computed']} hashed"),
                (f"baseline after +{r['added']}, {r['retexted']} retexted", r["baseline_after"],
                 r["baseline_after"], ""),
                ("warm: update", r["warm"], r["baseline_after"],
                 f"{r['warm']['signatures_computed']} hashed, {r['warm']['candidate_articles']} texts read")]
        for name, got, base, notes in rows:
            print(f"{r['articles']:>9}  {name:<34} {got['seconds']:>8.2f} {got['seconds'] / base['seconds']:>6.2f}x "
                  f"{got['peak_rss_mb']:>12.0f} {got['peak_rss_mb'] / base['peak_rss_mb']:>6.2f}x  {notes}")
        print(f"{'':>9}  clusters: {r['baseline']['clusters']} then {r['baseline_after']['clusters']}; "
              f"identical to the full recompute: {'yes' if r['same_clusters'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="2000", help="comma-separated sizes (default 2000)")
    parser.add_argument("--new-share", type=float, default=0.01, help="articles added before the warm run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        Path(args.out).write_text(json.dumps(STEPS[args.step](args.database, int(args.articles), args.new_share)))
        return 0
    with tempfile.TemporaryDirectory(prefix="kronika-bench-clusters-") as work:
        results = [run_size(int(size), args.new_share, Path(work)) for size in args.articles.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results)
    return 0 if all(r["same_clusters"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
