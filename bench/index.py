"""Index speed: Kronika's CDXJ indexing (FastWARC) against `cdxj-indexer` (warcio), same WARC files.

    .venv/bin/python bench/index.py [--exchanges N] [--files F] [--json]

Writes F WARC files of N exchanges each with Kronika's writer, as F crawls of one site would
(gzip-compressed HTML bodies of a few KB, request and metadata records, the same URLs in every
file, most of them revisits after the first), then, in the same run, times writing the
sorted CDXJ lines for all of them: `cdxj-indexer --sort` (its Python API, in process) and
Kronika's `cdxj_lines(index_records(...))`, best of three each. Also times the whole
`kronika index` step (database rows, file sha256, CDXJ) on a fresh SQLite database, for scale.
Goal: Kronika's CDXJ at least 3x faster than cdxj-indexer; the lines must be identical.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 3.0


def make_warcs(directory: Path, files: int, exchanges: int) -> list[Path]:
    from kronika.storage.warc.writer import HttpExchange, Revisit, RollingWarcWriter

    rng = random.Random(4)
    words = [f"word{n}" for n in range(500)]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for number in range(files):
        with RollingWarcWriter(directory, f"bench-{number}", {"kronika-source": "bench"}) as writer:
            for item in range(exchanges):
                # each file is one crawl of the same site, as Kronika's archive is: URLs recur across files
                url = f"http://news.example/section/{item % 17}/article-{item}.html?page={item % 3}"
                html = "<html><head><title>t</title></head><body>" + " ".join(
                    f"<p>{' '.join(rng.choices(words, k=40))}</p>" for _ in range(12)) + "</body></html>"
                body = gzip.compress(html.encode(), compresslevel=6)
                when = start + timedelta(seconds=number * exchanges + item)
                exchange = HttpExchange(
                    url=url, method="GET", request_target=url.split("example", 1)[1],
                    request_headers=[("Host", "news.example"), ("Accept-Encoding", "gzip")],
                    request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                                      ("Content-Length", str(len(body)))],
                    response_body=body, captured_at=when, ip_address="127.0.0.1")
                # later crawls find most pages unchanged
                revisit = Revisit(url, when - timedelta(days=number)) if number and item % 4 else None
                writer.write_exchange(exchange, revisit=revisit, metadata={"kronikaRole": "article", "fetchTimeMs": "12"})
    return sorted(directory.glob("*.warc.gz"))


def cdxj_indexer_lines(paths: list[Path]) -> str:
    from cdxj_indexer.main import CDXJIndexer

    with tempfile.NamedTemporaryFile("r", suffix=".cdxj", delete=False) as tmp:
        name = tmp.name
    try:
        CDXJIndexer(output=name, inputs=[str(p) for p in paths], sort=True).process_all()
        return Path(name).read_text(encoding="utf-8")
    finally:
        os.unlink(name)


def kronika_lines(paths: list[Path]) -> str:
    from kronika.storage.warc.cdxj import cdxj_lines, index_records, urlkey

    urlkey.cache_clear()  # no head start from an earlier round's SURT keys
    lines = []
    for path in paths:
        lines.extend(cdxj_lines(index_records(path), path.name))
    lines.sort()
    return "".join(lines)


def best_of(function, *args, rounds: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def whole_index_step(directory: Path) -> float:
    from kronika.settings import Environment
    from kronika.steps.index import index

    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        (archive / "bench").mkdir(parents=True)
        for path in directory.glob("*.warc.gz"):
            os.link(path, archive / "bench" / path.name)
        env = Environment(database_url=f"sqlite:///{tmp}/bench.db", archive_dir=archive)
        from kronika.storage.db.engine import open_database

        open_database(env.database_url).dispose()  # schema creation is not indexing
        started = time.perf_counter()
        index(env)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=2000)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kronika-bench-index-") as tmp:
        paths = make_warcs(Path(tmp), args.files, args.exchanges)
        size = sum(p.stat().st_size for p in paths)
        reference_s, reference = best_of(cdxj_indexer_lines, paths)
        ours_s, ours = best_of(kronika_lines, paths)
        step_s = whole_index_step(Path(tmp))
    same = ours == reference
    result = {"files": len(paths), "bytes": size, "lines": reference.count("\n"),
              "cdxj_indexer_s": round(reference_s, 3), "kronika_cdxj_s": round(ours_s, 3),
              "ratio": round(reference_s / ours_s, 2), "goal": GOAL, "identical_lines": same,
              "kronika_index_step_s": round(step_s, 3)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"index: {result['lines']} CDXJ lines from {len(paths)} files ({size / 1e6:.1f} MB): "
              f"cdxj-indexer {reference_s:.2f}s, Kronika {ours_s:.2f}s -> {result['ratio']}x "
              f"(goal >= {GOAL}x), identical lines: {same}; whole `kronika index` step "
              f"(SQLite rows + sha256 + CDXJ): {step_s:.2f}s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
