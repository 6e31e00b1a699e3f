"""At scale: crawl, index, extract and load a generated site of N articles and M Telegram posts.

    .venv/bin/python bench/scale.py [--pages 20000] [--posts 2000] [--rounds R] [--json-out FILE]
    .venv/bin/python bench/scale.py --pages 2000          # a quick run (a few minutes)

A generated news site (bench/scale_support/generated_site.py: ~35-46 KB article pages with page
chrome, a sitemap index, gzip like a real server) and a Telegram channel rendered by the mirror's
templates are served on loopback by a one-thread asyncio server in its own process. Every figure
is compared with a baseline measured in the same run:

  (a) crawl pages/s: Kronika's news spider with its WARC recorder against the same spider, same
      settings, recorder off and Scrapy's own in-memory scheduler queue instead of Kronika's
      spilling one (goal >= 0.95x); the Telegram spider likewise. Also the stdlib
      ThreadingHTTPServer against the asyncio server (bare crawl), to show which one limits.
  (b) index: Kronika's CDXJ (FastWARC) against `cdxj-indexer --sort` on the same WARC files (the
      lines must be identical), and the whole `kronika index` step (database rows too).
  (c) extract pages/s: `kronika extract --workers 2` (the step function, per source) against bare
      trafilatura in one process on the same pages (goal >= 1.7x); and the extract step's time with
      claims against the same step with KRONIKA_CLAIMS=0 (goal <= 1.15x; --claims-rounds).
  (d) database load rows/s on SQLite and PostgreSQL (KRONIKA_TEST_POSTGRES_URL or the local
      default; a fresh schema, dropped afterwards): the index step's rows and the extract step's.
  (e) peak RSS of each step's process tree (os.wait4: the largest process), for comparing runs at
      2k and 20k pages (goal: flat).
  (f) archive bytes per page against raw HTML bytes and gzip bytes on the wire.

Each step runs in its own process (bench/scale_support/steps.py); no timing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "bench" / "scale_support"
PY = sys.executable
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CRAWL_GOAL = 0.95
EXTRACT_GOAL = 1.7
CLAIMS_GOAL = 1.15  # extract with claims against extract without them (issue 21, item 5)
NEWS, TELEGRAM = "scale-news", "scale-telegram"
WARC_MAX_SIZE = 2_000_000  # ~200 pages a file, as one crawl run of a source writes: parallel extract works per file
MB = 1024 * 1024


# ---- processes ------------------------------------------------------------------------------

def run_child(command: list[str], env: dict | None = None) -> dict:
    """Run a process to its end; its wall time, CPU time and the peak RSS of its largest process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
        # wait4: this child's own usage, its reaped children's folded in (ru_maxrss: the largest one)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({process.returncode}): {stderr.strip()[-2000:]}")
    return {"stdout": stdout, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "sys_s": usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def step(name: str, env: dict | None = None, **arguments) -> dict:
    child = run_child([PY, str(SUPPORT / "steps.py"), name, json.dumps(arguments)], env=env)
    result = json.loads(child["stdout"].strip().splitlines()[-1])
    return result | {k: child[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")}


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """The generated site in its own process (its CPU is read from /proc, apart from the crawler's)."""

    def __init__(self, pages: int, posts: int, kind: str = "asyncio"):
        self.process = subprocess.Popen([PY, str(SUPPORT / "generated_site.py"), "--pages", str(pages),
                                         "--posts", str(posts), "--server", kind],
                                        stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the generated site did not start")
        self.info = json.loads(line)
        self.port = self.info["port"]

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# ---- (a) crawl ------------------------------------------------------------------------------

def crawl(server: Server, spider: str, spider_args: dict, work: Path, warc_dir: Path | None, source: str) -> dict:
    settings = {
        "USER_AGENT": "KronikaScaleBench/1", "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "AUTOTHROTTLE_ENABLED": False,
        "KRONIKA_ALLOW_PRIVATE_NETWORKS": True, "LOG_LEVEL": "INFO",
        "LOG_FILE": str(work / f"{spider}-{uuid.uuid4().hex[:6]}.log"),
    }
    if warc_dir is None:  # bare Scrapy: its own memory queue, not Kronika's spilling one
        settings["SCHEDULER_MEMORY_QUEUE"] = "scrapy.squeues.LifoMemoryQueue"
    else:  # without KRONIKA_WARC_DIR the recorder is not configured
        settings |= {"KRONIKA_WARC_DIR": str(warc_dir), "KRONIKA_WARC_PREFIX": f"kronika-{source}",
                     "KRONIKA_WARCINFO": {"kronika-source": source}, "KRONIKA_WARC_MAX_SIZE": WARC_MAX_SIZE}
    job = work / f"job-{uuid.uuid4().hex[:6]}.json"
    stats_file = work / f"stats-{job.stem}.json"
    job.write_text(json.dumps({"spider": spider, "spider_args": spider_args, "settings": settings,
                               "stats_file": str(stats_file)}))
    server_before = server.cpu()
    child = run_child([PY, "-m", "kronika.spiders.run", str(job)])
    server_cpu = server.cpu() - server_before
    from kronika.runs import errors_by_cause

    stats = json.loads(stats_file.read_text())
    responses = stats.get("response_received_count", 0)
    seconds = float(stats["elapsed_time_seconds"])
    return {"responses": responses, "seconds": seconds, "pages_per_s": responses / seconds,
            "peak_rss_mb": child["peak_rss_mb"], "crawler_cpu_s": child["cpu_s"],
            "server_cpu_share": server_cpu / seconds, "errors": sum(errors_by_cause(stats).values()),
            "warc_records": stats.get("kronika/warc/records_response", 0),
            "articles": stats.get("kronika/article_status/200", 0)}


def news_args(port: int, pages: int) -> dict:
    return {"start_urls": [f"http://127.0.0.1:{port}/news/sitemap.xml"], "allowed_domains": ["127.0.0.1"],
            "max_depth": 1, "max_pages": pages}


def telegram_args(port: int, posts: int) -> dict:
    return {"channel": "zarichna_ova", "channel_url": f"http://127.0.0.1:{port}/t/s/zarichna_ova",
            "allowed_domains": ["127.0.0.1"], "max_pages": posts // 20 + 5, "media": "none"}


def crawls(server: Server, args, work: Path, archive: Path) -> dict:
    news_bare, news_recorded, tg_bare, tg_recorded = [], [], [], []
    for _ in range(args.rounds):
        news_bare.append(crawl(server, "news", news_args(server.port, args.pages), work, None, NEWS))
        shutil.rmtree(archive / NEWS, ignore_errors=True)  # the last round's files are the ones indexed
        news_recorded.append(crawl(server, "news", news_args(server.port, args.pages), work, archive / NEWS, NEWS))
        tg_bare.append(crawl(server, "telegram", telegram_args(server.port, args.posts), work, None, TELEGRAM))
        shutil.rmtree(archive / TELEGRAM, ignore_errors=True)
        tg_recorded.append(crawl(server, "telegram", telegram_args(server.port, args.posts), work,
                                 archive / TELEGRAM, TELEGRAM))

    def best(runs):
        return max(runs, key=lambda r: r["pages_per_s"])

    return {"news_bare": best(news_bare), "news_recorded": best(news_recorded),
            "telegram_bare": best(tg_bare), "telegram_recorded": best(tg_recorded),
            "news_rounds": [(round(b["pages_per_s"], 1), round(r["pages_per_s"], 1))
                            for b, r in zip(news_bare, news_recorded)]}


def compare_servers(args, work: Path) -> dict:
    """A bare crawl of the same small site from each server loop: does the server limit the crawl?"""
    pages = min(args.pages, args.server_pages)
    result = {"pages": pages}
    for kind in ("threading", "asyncio"):
        server = Server(pages, 20, kind)
        try:
            result[kind] = crawl(server, "news", news_args(server.port, pages), work, None, NEWS)
        finally:
            server.stop()
    return result


# ---- (d) databases --------------------------------------------------------------------------

def postgres_schema_url() -> tuple[str | None, str | None, str]:
    """A URL into a fresh schema, the schema's name, or the reason PostgreSQL is skipped."""
    from sqlalchemy import create_engine, text

    base = os.environ.get("KRONIKA_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    schema = f"kronika_bench_{uuid.uuid4().hex[:10]}"
    try:
        engine = create_engine(base)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception as exc:  # no server here: say so in the table instead of failing the bench
        return None, None, f"PostgreSQL unavailable at {base}: {type(exc).__name__}"
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", schema, base


def drop_schema(base: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def table_rows(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, func, select

    from kronika.storage.db.models import Base

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {t.name: connection.scalar(select(func.count()).select_from(t))
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def load_database(database_url: str, archive: Path, workers: int, env: dict | None = None) -> dict:
    """Index then extract (news, then the channel) into one database; rows written and time taken.
    `env`: the steps' environment (KRONIKA_CLAIMS=0 for the baseline without claims)."""
    common = {"database_url": database_url, "archive_dir": str(archive)}
    indexed = step("index", env=env, **common)
    after_index = table_rows(database_url)
    news = step("extract", env=env, **common, source=NEWS, workers=workers)
    telegram = step("extract", env=env, **common, source=TELEGRAM, workers=workers)
    after = table_rows(database_url)
    index_rows = sum(after_index.values())
    extract_rows = sum(after.values()) - index_rows
    return {"index": indexed, "extract_news": news, "extract_telegram": telegram,
            "index_rows": index_rows, "extract_rows": extract_rows, "rows": after,
            "index_rows_per_s": index_rows / indexed["seconds"],
            "extract_rows_per_s": extract_rows / (news["seconds"] + telegram["seconds"])}


# ---- the run --------------------------------------------------------------------------------

def measure(args) -> dict:
    # --keep: the archive and databases stay for a closer look (e.g. a profiler on one step)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kronika-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "archive"
    result: dict = {"pages": args.pages, "posts": args.posts, "rounds": args.rounds}
    try:
        started = time.perf_counter()
        server = Server(args.pages, args.posts)
        result["site"] = server.info | {"build_s": time.perf_counter() - started}
        try:
            result["crawl"] = crawls(server, args, work, archive)
        finally:
            server.stop()
        if args.server_pages:
            result["servers"] = compare_servers(args, work)
        files = sorted(str(p) for p in archive.rglob("*.warc.gz"))
        news_files = [f for f in files if f"/{NEWS}/" in f]
        result["archive"] = {"files": len(files), "news_files": len(news_files),
                             "news_bytes": sum(Path(f).stat().st_size for f in news_files)}
        # (b) the same WARC files through both indexers
        ours = step("kronika-cdxj", files=files, output=str(work / "ours.cdxj"))
        theirs = step("cdxj-indexer", files=files, output=str(work / "theirs.cdxj"))
        identical = (work / "ours.cdxj").read_bytes() == (work / "theirs.cdxj").read_bytes()
        result["cdxj"] = {"kronika": ours, "cdxj_indexer": theirs, "identical": identical}
        if args.crawl_only:  # a crawl and CDXJ at a size where a full extract takes too long
            result["sqlite"] = {"index": step("index", database_url=f"sqlite:///{work}/bench.db",
                                              archive_dir=str(archive))}
            return result
        # (c) + (d) SQLite, PostgreSQL
        # the cost of extracting claims, measured against the same step without them
        # (KRONIKA_CLAIMS=0), in rounds that alternate which goes first: with "off" always first,
        # "off" came out ~20% slower in both rounds of the first measurement (load, cold files)
        no_claims = {**os.environ, "KRONIKA_CLAIMS": "0"}
        result["claims_rounds"] = []
        for attempt in range(args.claims_rounds):
            loads = {"off": (f"sqlite:///{work}/no-claims-{attempt}.db", no_claims),
                     "on": (f"sqlite:///{work}/" + ("bench.db" if attempt == 0 else f"claims-{attempt}.db"), None)}
            order = ("off", "on") if attempt % 2 == 0 else ("on", "off")
            done = {which: load_database(loads[which][0], archive, args.workers, env=loads[which][1]) for which in order}
            off, on = done["off"], done["on"]
            result["claims_rounds"].append({"off": off, "on": on})
        result["sqlite"] = result["claims_rounds"][0]["on"]
        if args.single_process:
            result["sqlite_single"] = load_database(f"sqlite:///{work}/single.db", archive, 1)
        url, schema, base = postgres_schema_url() if not args.no_postgres else (None, None, "--no-postgres")
        if url:
            try:
                result["postgres"] = load_database(url, archive, args.workers)
            finally:
                drop_schema(base, schema)
        else:
            result["postgres_skipped"] = base
        sample = min(args.pages, args.baseline_sample)
        result["trafilatura"] = step("trafilatura", sample=sample, site_pages=args.pages, host="127.0.0.1:0")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def report(r: dict) -> list[str]:
    c = r["crawl"]
    nb, nr, tb, tr = c["news_bare"], c["news_recorded"], c["telegram_bare"], c["telegram_recorded"]
    lines = [f"Kronika at scale: {r['pages']:,} article pages + {r['posts']:,} Telegram posts "
             f"({r['posts'] // 20} channel pages), best of {r['rounds']} round(s)",
             f"{'measure':<46}{'kronika':>14}{'baseline':>14}{'ratio':>9}  baseline / goal"]

    def row(name, ours, theirs, baseline, fmt="{:,.1f}"):
        shown = fmt.format(theirs) if theirs is not None else "-"
        lines.append(f"{name:<46}{fmt.format(ours):>14}{shown:>14}"
                     f"{ratio(ours, theirs) if theirs else '-':>9}  {baseline}")

    row("(a) crawl news pages/s (recorder)", nr["pages_per_s"], nb["pages_per_s"],
        f"bare Scrapy, same spider+settings; goal >= {CRAWL_GOAL}x")
    # the recorded crawl's CPU includes its WARC writer process (a reaped child, on the other core)
    row("    crawl pages per CPU-s (+ writer)", nr["responses"] / nr["crawler_cpu_s"],
        nb["responses"] / nb["crawler_cpu_s"], "bare (start-up included)")
    row("    crawl telegram pages/s (recorder)", tr["pages_per_s"], tb["pages_per_s"], "bare Scrapy")
    if len(c["news_rounds"]) > 1:
        # each round's bare and recorded crawls run back to back: the median of their ratios is the
        # figure least moved by a busy moment that hits one side of a best-of comparison
        per_round = sorted(recorded / bare for bare, recorded in c["news_rounds"])
        lines.append(f"    median of the rounds' news ratios: {statistics.median(per_round):.2f}x "
                     f"(each round: {', '.join(f'{x:.2f}' for x in per_round)})")
    lines.append(f"    news rounds (bare, recorded) pages/s: {c['news_rounds']}; server CPU share "
                 f"{nb['server_cpu_share']:.2f} bare / {nr['server_cpu_share']:.2f} recorded (1.0 = one core)")
    if "servers" in r:
        s = r["servers"]
        row(f"    server loop: asyncio vs stdlib threading ({s['pages']:,}p)", s["asyncio"]["pages_per_s"],
            s["threading"]["pages_per_s"], f"ThreadingHTTPServer; server CPU share "
            f"{s['asyncio']['server_cpu_share']:.2f} vs {s['threading']['server_cpu_share']:.2f}")
    k, t = r["cdxj"]["kronika"], r["cdxj"]["cdxj_indexer"]
    row(f"(b) CDXJ lines/s ({t['lines']:,} lines, {r['archive']['files']} files)", k["lines"] / k["seconds"],
        t["lines"] / t["seconds"], f"cdxj-indexer --sort; identical: {r['cdxj']['identical']}")
    q = r["sqlite"]
    row("    whole `kronika index` step, captures/s (SQLite)", q["index"]["captures"] / q["index"]["seconds"],
        None, "rows + sha256 + CDXJ (no baseline does all three)")
    if "trafilatura" not in r:  # --crawl-only
        lines.append(f"(e) peak RSS, MB: crawl recorder {nr['peak_rss_mb']:.0f} (bare {nb['peak_rss_mb']:.0f}), "
                     f"index {q['index']['peak_rss_mb']:.0f}, cdxj-indexer {t['peak_rss_mb']:.0f}, "
                     f"kronika cdxj {k['peak_rss_mb']:.0f}; extract not run (--crawl-only)")
        return lines
    tf = r["trafilatura"]
    news_pages = nr["articles"]  # every article capture of the recorded crawl is extracted
    extract_rate = news_pages / q["extract_news"]["seconds"]
    row(f"(c) extract pages/s, --workers {r['workers']} (SQLite)", extract_rate, tf["pages"] / tf["seconds"],
        f"bare trafilatura, 1 process, {tf['pages']:,} pages; goal >= {EXTRACT_GOAL}x")
    clustering = q["extract_news"]["clustering_seconds"]
    row("    the same without story clustering (SQLite)", news_pages / (q["extract_news"]["seconds"] - clustering),
        tf["pages"] / tf["seconds"], f"clustering took {clustering:.1f} of {q['extract_news']['seconds']:.1f} s")
    if r.get("claims_rounds"):
        # the cost of claims: the extract step's time with them against KRONIKA_CLAIMS=0, both steps
        ratios = []
        for pair in r["claims_rounds"]:
            on = pair["on"]["extract_news"]["seconds"] + pair["on"]["extract_telegram"]["seconds"]
            off = pair["off"]["extract_news"]["seconds"] + pair["off"]["extract_telegram"]["seconds"]
            ratios.append(on / off)
        claims = q["rows"].get("claims", 0)
        lines.append(f"    extract time with claims / KRONIKA_CLAIMS=0: {statistics.median(ratios):.2f}x "
                     f"(goal <= {CLAIMS_GOAL}x; rounds {', '.join(f'{x:.2f}' for x in ratios)}; {claims:,} claims)")
    tg = q["extract_telegram"]
    lines.append(f"    the channel's extract ({tg['counts'].get('new_posts', 0):,} posts) took {tg['seconds']:.1f} s, "
                 f"{tg['clustering_seconds']:.1f} s of it re-clustering the articles")
    if "sqlite_single" in r:
        single = r["sqlite_single"]["extract_news"]
        row("    extract pages/s, --workers 1 (SQLite)", news_pages / single["seconds"], tf["pages"] / tf["seconds"],
            "bare trafilatura")
    for name in ("sqlite", "postgres"):
        if name not in r:
            lines.append(f"(d) {name}: skipped ({r.get('postgres_skipped')})")
            continue
        d = r[name]
        row(f"(d) {name}: index load rows/s ({d['index_rows']:,} rows)", d["index_rows_per_s"], None, "")
        row(f"    {name}: extract load rows/s ({d['extract_rows']:,} rows)", d["extract_rows_per_s"], None,
            "parsing and story clustering included")
        spent = sum(d[k]["seconds"] - d[k]["clustering_seconds"] for k in ("extract_news", "extract_telegram"))
        row(f"    {name}: extract load rows/s without clustering", d["extract_rows"] / spent, None, "parsing included")
    if "postgres" in r:
        row("    extract pages/s (PostgreSQL)", news_pages / r["postgres"]["extract_news"]["seconds"],
            tf["pages"] / tf["seconds"], "bare trafilatura")
    lines.append("(e) peak RSS, MB (largest process of each step): "
                 f"crawl recorder {nr['peak_rss_mb']:.0f} (bare {nb['peak_rss_mb']:.0f}), "
                 f"index {q['index']['peak_rss_mb']:.0f}, extract news {q['extract_news']['peak_rss_mb']:.0f}, "
                 f"trafilatura baseline {tf['peak_rss_mb']:.0f}, cdxj-indexer {t['peak_rss_mb']:.0f}, "
                 f"kronika cdxj {k['peak_rss_mb']:.0f}")
    site, arch = r["site"], r["archive"]
    fetched = max(nr["articles"], 1)
    lines.append(f"(f) bytes per article page: raw HTML {site['raw_html_bytes'] / site['pages']:,.0f}, "
                 f"gzip on the wire {site['gzip_bytes'] / site['pages']:,.0f}, archive (WARC, all records) "
                 f"{arch['news_bytes'] / fetched:,.0f} -> {arch['news_bytes'] / site['raw_html_bytes']:.2f}x raw HTML")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000, help="article pages (default 20,000)")
    parser.add_argument("--posts", type=int, default=2_000, help="Telegram posts (default 2,000)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="crawl rounds, best kept (default: 2 up to 5,000 pages, else 1)")
    parser.add_argument("--workers", type=int, default=2, help="extract --workers (default 2)")
    parser.add_argument("--baseline-sample", type=int, default=2000,
                        help="pages bare trafilatura extracts (a rate; default 2,000)")
    parser.add_argument("--server-pages", type=int, default=2000,
                        help="pages of the asyncio vs threading server comparison (0: skip)")
    parser.add_argument("--single-process", action=argparse.BooleanOptionalAction, default=None,
                        help="also extract with --workers 1 (default: up to 5,000 pages)")
    parser.add_argument("--claims-rounds", type=int, default=2,
                        help="extract with claims and with KRONIKA_CLAIMS=0 this many times each (default 2)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--crawl-only", action="store_true", help="crawl, CDXJ and index only (no extract)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (archive, databases) afterwards")
    parser.add_argument("--json-out", type=Path, help="write every measurement here as JSON")
    parser.add_argument("--report-from", type=Path, help="print the table of an earlier --json-out, measure nothing")
    args = parser.parse_args()
    if args.report_from:
        print("\n".join(report(json.loads(args.report_from.read_text()))))
        return 0
    if args.rounds is None:
        args.rounds = 2 if args.pages <= 5000 else 1
    if args.single_process is None:
        args.single_process = args.pages <= 5000
    started = time.perf_counter()
    result = measure(args) | {"workers": args.workers}
    result["total_s"] = time.perf_counter() - started
    for line in report(result):
        print(line)
    print(f"total {result['total_s']:.0f} s")
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
