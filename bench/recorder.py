"""Recorder overhead: the same Scrapy crawl of a generated site with and without the WARC recorder.

    .venv/bin/python bench/recorder.py [--pages N] [--rounds R] [--json]

A site of N linked HTML pages (a few KB each, gzip-compressed like a real server's) is served on
loopback by a small threaded stdlib server in this process. Each crawl runs in its own process
(Twisted's reactor is single-use): bare Scrapy, and Scrapy with Kronika's recorder writing WARC
files, alternating for R rounds in the same run; the best pages/s of each is compared (goal:
recorder/bare >= 0.95), and so is pages per CPU-second of the crawler process and its WARC
writer process (which works on the other core), which does not depend on how fast the server
answers (the stricter measure of what recording costs in all).
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.95
FANOUT = 10


def page(number: int, pages: int) -> bytes:
    links = "".join(f'<li><a href="/p/{(number * FANOUT + k) % pages}">page {(number * FANOUT + k) % pages}</a></li>'
                    for k in range(1, FANOUT + 1))
    text = " ".join(f"Paragraph {n} of page {number}: the council met and decided nothing at length." for n in range(40))
    return f"<html><head><title>Page {number}</title></head><body><p>{text}</p><ul>{links}</ul></body></html>".encode()


class Site(BaseHTTPRequestHandler):
    pages = 1000
    cache: dict[int, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        try:
            number = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/p/") else 0
        except ValueError:
            number = 0
        if number not in self.cache:
            self.cache[number] = gzip.compress(page(number, self.pages), compresslevel=5)
        body = self.cache[number]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


CRAWLER = r'''
import json, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess

port, pages, warc_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

class Follow(scrapy.Spider):
    name = "follow"
    start_urls = [f"http://127.0.0.1:{port}/p/0"]

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)

settings = {"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0, "TELNETCONSOLE_ENABLED": False,
            "COOKIES_ENABLED": False, "CLOSESPIDER_PAGECOUNT": pages}
if warc_dir != "-":
    settings["DOWNLOADER_MIDDLEWARES"] = {"kronika.spiders.recorder.WarcRecorderMiddleware": 990}
    settings["KRONIKA_WARC_DIR"] = warc_dir
    settings["KRONIKA_WARCINFO"] = {"kronika-source": "bench"}
process = CrawlerProcess(settings)
crawler = process.create_crawler(Follow)
process.crawl(crawler)
started = time.perf_counter()
process.start()
elapsed = time.perf_counter() - started
count = crawler.stats.get_value("response_received_count", 0)
print(json.dumps({"responses": count, "seconds": elapsed}))
'''


def crawl(port: int, pages: int, warc_dir: str) -> dict:
    # a file, not `python -c`: Scrapy reads its callbacks' source
    with tempfile.NamedTemporaryFile("w", suffix=".py", prefix="kronika_bench_crawl_", delete=False) as script:
        script.write(CRAWLER)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run([sys.executable, script.name, str(port), str(pages), warc_dir],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    finally:
        Path(script.name).unlink()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["pages_per_s"] = result["responses"] / result["seconds"]
    # the crawler's own CPU time (start-up included, the same for both): independent of the server's speed
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["pages_per_cpu_s"] = result["responses"] / cpu
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    Site.pages = args.pages
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    bare, recorded = [], []
    archived = 0
    try:
        crawl(port, min(args.pages, 100), "-")  # warm the page cache and the OS
        for _ in range(args.rounds):
            bare.append(crawl(port, args.pages, "-"))
            with tempfile.TemporaryDirectory(prefix="kronika-bench-warc-") as warc_dir:
                recorded.append(crawl(port, args.pages, warc_dir))
                archived = sum(p.stat().st_size for p in Path(warc_dir).glob("*.warc.gz"))
    finally:
        server.shutdown()
    best_bare = max(r["pages_per_s"] for r in bare)
    best_recorded = max(r["pages_per_s"] for r in recorded)
    cpu_bare = max(r["pages_per_cpu_s"] for r in bare)
    cpu_recorded = max(r["pages_per_cpu_s"] for r in recorded)
    result = {"pages": args.pages, "rounds": args.rounds, "bare_pages_per_s": round(best_bare, 1),
              "recorder_pages_per_s": round(best_recorded, 1), "ratio": round(best_recorded / best_bare, 3),
              "bare_pages_per_cpu_s": round(cpu_bare, 1), "recorder_pages_per_cpu_s": round(cpu_recorded, 1),
              "cpu_ratio": round(cpu_recorded / cpu_bare, 3), "goal": GOAL, "warc_bytes_last_round": archived}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"recorder: {args.pages} pages, best of {args.rounds}: bare Scrapy {best_bare:.0f} pages/s, "
              f"with the recorder {best_recorded:.0f} pages/s -> {result['ratio']}x (goal >= {GOAL}x); "
              f"per CPU-second (crawler + writer) {cpu_bare:.0f} vs {cpu_recorded:.0f} -> {result['cpu_ratio']}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
