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
    # A first demo crawls the mirror as it first was (epoch 0), then again after its stories were
    # revised (epoch 1: figures raised, posts edited and deleted), so that versions and changed
    # figures show at once; a later demo crawls epoch 1 again and adds nothing (revisits only).
    first_demo = not _has_runs(env, {source.name for source in load_config().sources})
    epochs = (0, 1) if first_demo else (1,)
    with MirrorServer(port=0, epoch=epochs[0]) as server:
        os.environ["KRONIKA_MIRROR_PROXY"] = server.url
        config = load_config()
        dag_ids = [f"kronika_{source.name}" for source in config.sources]
        child_env = {**os.environ, **prepare_environment(Path("data") / "airflow")}
        states = {}
        for epoch in epochs:
            server.set_epoch(epoch)
            with console.status(f"mirror (epoch {epoch}) at {server.url}; running {len(dag_ids)} DAGs with "
                                "Airflow dag.test() ..."):
                process = subprocess.run([sys.executable, "-m", "kronika.airflow_runner", *dag_ids],
                                         env=child_env, capture_output=True, text=True)
            if process.returncode != 0:
                Path("data").mkdir(exist_ok=True)
                Path("data/demo-airflow.log").write_text(process.stdout + process.stderr, encoding="utf-8")
                tail = " | ".join(process.stderr.strip().splitlines()[-2:])
                raise DemoFailed(f"Airflow run failed (full log in data/demo-airflow.log): {tail}")
            states.update({f"{dag_id} (epoch {epoch})": state
                           for dag_id, state in json.loads(process.stdout.strip().splitlines()[-1]).items()})
        from kronika.mirror.site import MirrorSite

        # what the mirror has served over its epochs: Kronika keeps what it saw, deleted posts too
        sites = [MirrorSite(epoch=epoch) for epoch in (0, 1)]
        served = {"articles": len({a.url for site in sites for a in site.expected_articles(VIRTUAL_BASE_URL)}),
                  "posts": len({p.url for site in sites for p in site.expected_posts()})}
    summaries = [s for s in source_summaries(env) if s["source"] in {src.name for src in config.sources}]
    elapsed = time.monotonic() - started
    stored = {"articles": sum(s["articles"] for s in summaries), "posts": sum(s["posts"] for s in summaries)}
    if as_json:
        console.print_json(json.dumps({"dag_runs": states, "sources": summaries, "mirror_serves": served,
                                       "stored": stored, "seconds": round(elapsed, 1),
                                       "figure_changes": _figure_changes(env, {s.name for s in config.sources})},
                                      default=str))
        return summaries
    console.print(summary_table(summaries, title=f"Kronika demo: {len(states)} DAG runs, "
                                                 f"all {set(states.values())} in {elapsed:.0f} s"))
    if config.timestamping is None and not any(s.timestamping for s in config.sources):
        console.print("WARC files are not time-stamped: no `timestamping` in the config (docs/custody.md).")
    verdict = "[green]matches[/]" if stored == served else "[red]DOES NOT match[/]"
    console.print(f"The mirror has served {served['articles']} articles and {served['posts']} posts; stored "
                  f"{stored['articles']} articles and {stored['posts']} posts: {verdict}.")
    figure_changes = _figure_changes(env, {source.name for source in config.sources})
    if figure_changes:
        change = figure_changes[0]
        console.print(f"{len(figure_changes)} figures changed between versions, e.g. {change['source']}: "
                      f"{change['category']} {change['old_value']} → {change['new_value']} in {change['url']} "
                      "(kronika claims timeline --category " + change["category"] + ")", highlight=False)
    console.print(f"Archive: {env.archive_dir}/   Database: {env.database_url}\n"
                  "Look further:\n"
                  "  kronika status                      per-source runs, rows and archive size\n"
                  "  kronika history URL                 every capture of a page (or a t.me post URL)\n"
                  "  kronika extract --all               rebuild the tables from the WARC files alone\n"
                  "  kronika claims timeline             each figure (killed, injured, …) over time, by source\n"
                  "  kronika serve                       the web view: /changes, /claims (figures over time)\n"
                  "  kronika mirror serve --port 8765    browse the mirror the demo crawled\n"
                  "Run `make demo` again: unchanged pages become WARC revisit records, no new rows.")
    return summaries


def _has_runs(env: Environment, sources: set[str]) -> bool:
    """Whether any of these sources has run before (the database may not exist yet)."""
    from sqlalchemy import func, select

    from kronika.storage.db.engine import open_database
    from kronika.storage.db.models import CrawlRun

    engine = open_database(env.database_url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(select(func.count()).select_from(CrawlRun)
                                          .where(CrawlRun.source.in_(sources))))
    finally:
        engine.dispose()


def _figure_changes(env: Environment, sources: set[str]) -> list[dict]:
    """The figure changes (v_claim_changes) of these sources, the herald's report first when there."""
    from sqlalchemy.orm import Session

    from kronika.claims.timeline import claim_changes
    from kronika.storage.db.readonly import read_only_engine

    engine = read_only_engine(env.database_url)
    try:
        with Session(engine) as session:
            rows = [row for row in claim_changes(session) if row["source"] in sources]
    finally:
        engine.dispose()
    return sorted(rows, key=lambda row: (row["item_kind"] != "article", row["new_captured_at"]))
