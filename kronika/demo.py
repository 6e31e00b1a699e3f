"""`kronika demo`: the whole pipeline, through Airflow, on the bundled mirror, offline."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from kronika.airflow_runner import prepare_environment
from kronika.report import source_summaries, summary_table
from kronika.settings import Environment, load_config, project_root


class DemoFailed(Exception):
    pass


def run_demo(console: Console, as_json: bool = False) -> list[dict]:
    from kronika.mirror.server import VIRTUAL_BASE_URL, MirrorServer

    os.environ.setdefault("KRONIKA_CONFIG", str(project_root() / "config" / "demo.yaml"))
    env = Environment.from_env()
    started = time.monotonic()
    with MirrorServer(port=0) as server:
        os.environ["KRONIKA_MIRROR_PROXY"] = server.url
        config = load_config()
        dag_ids = [f"kronika_{source.name}" for source in config.sources]
        child_env = {**os.environ, **prepare_environment(Path("data") / "airflow")}
        with console.status(f"mirror at {server.url}; running {len(dag_ids)} DAGs with Airflow dag.test() ..."):
            process = subprocess.run([sys.executable, "-m", "kronika.airflow_runner", *dag_ids],
                                     env=child_env, capture_output=True, text=True)
        if process.returncode != 0:
            Path("data").mkdir(exist_ok=True)
            Path("data/demo-airflow.log").write_text(process.stdout + process.stderr, encoding="utf-8")
            tail = " | ".join(process.stderr.strip().splitlines()[-2:])
            raise DemoFailed(f"Airflow run failed (full log in data/demo-airflow.log): {tail}")
        states = json.loads(process.stdout.strip().splitlines()[-1])
        from kronika.mirror.site import MirrorSite

        site = MirrorSite(epoch=server.epoch)
        served = {"articles": len(site.expected_articles(VIRTUAL_BASE_URL)), "posts": len(site.expected_posts())}
    summaries = [s for s in source_summaries(env) if s["source"] in {src.name for src in config.sources}]
    elapsed = time.monotonic() - started
    stored = {"articles": sum(s["articles"] for s in summaries), "posts": sum(s["posts"] for s in summaries)}
    if as_json:
        console.print_json(json.dumps({"dag_runs": states, "sources": summaries, "mirror_serves": served,
                                       "stored": stored, "seconds": round(elapsed, 1)}))
        return summaries
    console.print(summary_table(summaries, title=f"Kronika demo: {len(states)} DAG runs, "
                                                 f"all {set(states.values())} in {elapsed:.0f} s"))
    if config.timestamping is None and not any(s.timestamping for s in config.sources):
        console.print("WARC files are not time-stamped: no `timestamping` in the config (docs/custody.md).")
    verdict = "[green]matches[/]" if stored == served else "[red]DOES NOT match[/]"
    console.print(f"The mirror serves {served['articles']} articles and {served['posts']} posts; stored "
                  f"{stored['articles']} articles and {stored['posts']} posts: {verdict}.")
    console.print(f"Archive: {env.archive_dir}/   Database: {env.database_url}\n"
                  "Look further:\n"
                  "  kronika status                      per-source runs, rows and archive size\n"
                  "  kronika history URL                 every capture of a page (or a t.me post URL)\n"
                  "  kronika extract --all               rebuild the tables from the WARC files alone\n"
                  "  kronika mirror serve --port 8765    browse the mirror the demo crawled\n"
                  "Run `make demo` again: unchanged pages become WARC revisit records, no new rows.")
    return summaries
