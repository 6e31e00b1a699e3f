"""A whole `kronika crawl` process against the bare Scrapy process crawling the same site.

    .venv/bin/python bench/crawl_process.py [--pages 2000] [--rounds 3]

Both sides are timed from process start to exit (wall clock), so everything outside the spider's
own elapsed time counts: interpreter and import start-up, config and schema check, the run's
bookkeeping rows, the WARC writer process, closing, hashing and the custody record of the files.

- bare: Kronika's news spider in a process of its own (`python -m kronika.spiders.run JOB`, the
  runner `scrapy runspider` would be for it), recorder off, Scrapy's own memory queue;
- kronika: `kronika crawl SOURCE` of a one-source config naming the same site (a SQLite database
  migrated beforehand: a first run's migration is not a per-crawl cost).

The generated site (bench/scale_support/generated_site.py) runs in its own process. Rounds are
interleaved; the figure is pages per wall-clock second, best of the rounds, and their ratio (goal
>= 0.95x, issue 25). No timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from scale import Server, news_args  # noqa: E402  (bench/scale.py: the generated site and its crawl)

PY = sys.executable
SOURCE = "bench-crawl"


def config_text(port: int, pages: int) -> str:
    return f"""sources:
  - name: {SOURCE}
    kind: news
    start_urls: [http://127.0.0.1:{port}/news/sitemap.xml]
    allowed_domains: [127.0.0.1]
    max_depth: 1
    max_pages: {pages}
    download_delay: 0
    concurrent_requests_per_domain: 16
    allow_private_networks: true
    obey_robots: true
"""


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {result.stderr.strip()[-1500:]}")
    return time.perf_counter() - started


def bare_crawl(port: int, pages: int, work: Path, env: dict) -> tuple[float, int]:
    from kronika.settings import load_config
    from kronika.steps.crawl import scrapy_settings

    source = load_config(work / "sources.yaml").source(SOURCE)
    stats_file = work / f"stats-{uuid.uuid4().hex[:6]}.json"
    settings = scrapy_settings(source) | {"SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.LifoMemoryQueue",
                                          "CONCURRENT_REQUESTS": 16, "LOG_LEVEL": "INFO",
                                          "LOG_FILE": str(work / f"bare-{uuid.uuid4().hex[:6]}.log")}
    job = work / f"job-{uuid.uuid4().hex[:6]}.json"
    job.write_text(json.dumps({"spider": "news", "spider_args": news_args(port, pages), "settings": settings,
                               "stats_file": str(stats_file)}))
    seconds = timed([PY, "-m", "kronika.spiders.run", str(job)], env)
    return seconds, json.loads(stats_file.read_text()).get("downloader/response_count", 0)


def kronika_crawl(work: Path, env: dict, round_number: int) -> tuple[float, int]:
    database = work / f"kronika-{round_number}.db"
    env = env | {"KRONIKA_DATABASE_URL": f"sqlite:///{database}", "KRONIKA_ARCHIVE_DIR": str(work / f"archive-{round_number}")}
    kronika = str(Path(PY).with_name("kronika"))
    timed([kronika, "db", "upgrade"], env)
    seconds = timed([kronika, "crawl", SOURCE, "--json"], env)
    from sqlalchemy import create_engine, text

    engine = create_engine(env["KRONIKA_DATABASE_URL"])
    with engine.connect() as connection:
        stats = json.loads(connection.execute(text("SELECT stats FROM crawl_runs")).scalar_one())
    engine.dispose()
    return seconds, stats.get("downloader/response_count", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = Server(args.pages, 20)
    try:
        with tempfile.TemporaryDirectory(prefix="kronika-crawl-process-") as work_dir:
            work = Path(work_dir)
            (work / "sources.yaml").write_text(config_text(server.port, args.pages))
            env = {**os.environ, "KRONIKA_CONFIG": str(work / "sources.yaml")}
            bare, recorded = [], []
            for number in range(args.rounds):
                seconds, pages = bare_crawl(server.port, args.pages, work, env)
                bare.append((pages / seconds, pages, seconds))
                seconds, pages = kronika_crawl(work, env, number)
                recorded.append((pages / seconds, pages, seconds))
    finally:
        server.stop()
    best_bare, best_kronika = max(bare), max(recorded)
    print(f"{args.pages} generated pages, {args.rounds} interleaved rounds, {os.cpu_count()} CPUs (shared)")
    for name, runs in (("bare Scrapy process", bare), ("kronika crawl process", recorded)):
        print(f"  {name:<22} " + ", ".join(f"{p:,} responses in {s:.1f} s = {r:.1f}/s" for r, p, s in runs))
    ratio = best_kronika[0] / best_bare[0]
    print(f"whole process responses/s, kronika crawl / bare: {best_kronika[0]:.1f} / {best_bare[0]:.1f} = "
          f"{ratio:.2f}x (best of {args.rounds}); goal >= 0.95x: {'met' if ratio >= 0.95 else 'NOT met'}")


if __name__ == "__main__":
    main()
