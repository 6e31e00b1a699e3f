"""One measured step of bench/scale.py, in a process of its own (so its peak RSS is its own).

    python bench/scale_support/steps.py STEP JSON-ARGUMENTS

Prints one JSON line: the step's own timing (after imports, which are not the step's work) and
its counts. Steps: index, extract, kronika-cdxj, cdxj-indexer, trafilatura.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT, Path(__file__).resolve().parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def _env(args: dict):
    from kronika.settings import Environment

    return Environment(database_url=args["database_url"], archive_dir=Path(args["archive_dir"]))


def run_index(args: dict) -> dict:
    from kronika.steps.index import index

    env = _env(args)
    started = time.perf_counter()
    result = index(env)
    return {"seconds": time.perf_counter() - started, "files": len(result.files), "captures": result.captures,
            "cdxj_lines": result.cdxj_lines, "errors": len(result.errors)}


def run_extract(args: dict) -> dict:
    # what `kronika extract --source S --workers W` runs, without the CLI's progress bar
    import kronika.clusters
    from kronika.steps.extract import extract

    # the step recomputes story clusters over every article at its end: timed apart, not changed
    clustering = {"seconds": 0.0}
    update = kronika.clusters.update_story_clusters

    def timed_update(engine, *args, **kwargs):
        started = time.perf_counter()
        try:
            return update(engine, *args, **kwargs)
        finally:
            clustering["seconds"] += time.perf_counter() - started

    kronika.clusters.update_story_clusters = timed_update
    env = _env(args)
    started = time.perf_counter()
    result = extract(env, source=args.get("source"), workers=args["workers"], rules={})
    return {"seconds": time.perf_counter() - started, "clustering_seconds": clustering["seconds"],
            "files": len(result.files), "counts": dict(result.counts)}


def run_kronika_cdxj(args: dict) -> dict:
    from kronika.storage.warc.cdxj import LineSorter, cdxj_lines, index_records

    started = time.perf_counter()
    with LineSorter() as lines, open(args["output"], "w", encoding="utf-8") as out:  # as `kronika index` sorts
        for name in args["files"]:
            path = Path(name)
            lines.extend(cdxj_lines(index_records(path), path.name))
        out.writelines(lines.merged())
        count = lines.count
    return {"seconds": time.perf_counter() - started, "lines": count}


def run_cdxj_indexer(args: dict) -> dict:
    from cdxj_indexer.main import CDXJIndexer

    started = time.perf_counter()
    CDXJIndexer(output=args["output"], inputs=args["files"], sort=True).process_all()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "lines": Path(args["output"]).read_text(encoding="utf-8").count("\n")}


def run_trafilatura(args: dict) -> dict:
    """Bare trafilatura, one process, on the same generated pages the crawl fetched."""
    import trafilatura
    from generated_site import article_html, article_path

    pages = [(f"http://{args['host']}{article_path(n)}", article_html(n, args["site_pages"]))
             for n in range(args["sample"])]
    started = time.perf_counter()
    extracted = 0
    for url, html in pages:
        if trafilatura.extract(html, url=url, output_format="json", with_metadata=True):
            extracted += 1
    return {"seconds": time.perf_counter() - started, "pages": len(pages), "extracted": extracted}


STEPS = {"index": run_index, "extract": run_extract, "kronika-cdxj": run_kronika_cdxj,
         "cdxj-indexer": run_cdxj_indexer, "trafilatura": run_trafilatura}

if __name__ == "__main__":
    print(json.dumps(STEPS[sys.argv[1]](json.loads(sys.argv[2]))))
