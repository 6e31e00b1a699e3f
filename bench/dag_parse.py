"""How long Airflow takes to parse `dags/` with 50 sources, beside a bare TaskFlow factory.

The scheduler's dag-processor re-parses DAG files all the time, so a DAG file must do no I/O
beyond reading its config. Both folders are parsed by the same DagBag in fresh interpreters,
after Airflow's own import; the baseline is a factory of 50 DAGs x 4 TaskFlow tasks with no
config at all. Prints the median of several runs and the ratio (goal: ours <= 0.15 s).

    python bench/dag_parse.py [--sources 50] [--repeat 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE_DAG = textwrap.dedent('''
    from datetime import datetime
    from airflow.sdk import dag, task

    def build(number):
        @dag(dag_id=f"bare_{number}", schedule="0 * * * *", start_date=datetime(2026, 1, 1), catchup=False)
        def bare():
            @task
            def crawl():
                return 1

            @task
            def index(x):
                return x

            @task
            def extract(x):
                return x

            @task
            def check(x):
                return x

            check(extract(index(crawl())))

        return bare()

    for number in range({count}):
        globals()[f"bare_{number}"] = build(number)
''')

MEASURE = textwrap.dedent('''
    import json, sys, time
    import airflow.sdk  # Airflow's own import is not ours to count
    from airflow.dag_processing.dagbag import DagBag
    started = time.perf_counter()
    bag = DagBag(sys.argv[1])
    elapsed = time.perf_counter() - started
    assert not bag.import_errors, bag.import_errors
    print(json.dumps({"seconds": elapsed, "dags": len(bag.dag_ids)}))
''')


def config_with(count: int) -> str:
    lines = ["defaults:", "  schedule: \"0 * * * *\"", "sources:"]
    for number in range(count):
        if number % 5 == 4:
            lines += [f"  - name: channel-{number}", "    kind: telegram", f"    channel: channel_{number}"]
        else:
            lines += [f"  - name: outlet-{number}", "    kind: news",
                      f"    start_urls: [https://outlet{number}.example/rss.xml]",
                      f"    allowed_domains: [outlet{number}.example]"]
    return "\n".join(lines) + "\n"


def measure(folder: Path, env: dict, repeat: int) -> tuple[float, int]:
    samples, dags = [], 0
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", MEASURE, str(folder)], env=env, capture_output=True,
                             text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        samples.append(result["seconds"])
        dags = result["dags"]
    return statistics.median(samples), dags


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "sources.yaml").write_text(config_with(args.sources))
        baseline_folder = tmp / "baseline"
        baseline_folder.mkdir()
        (baseline_folder / "bare_factory.py").write_text(BASELINE_DAG.replace("{count}", str(args.sources)))
        env = {**os.environ, "KRONIKA_CONFIG": str(tmp / "sources.yaml"), "AIRFLOW_HOME": str(tmp / "airflow"),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        bare, bare_dags = measure(baseline_folder, env, args.repeat)
        ours, our_dags = measure(ROOT / "dags", env, args.repeat)
    print(f"DAG parse, {args.sources} sources x 4 tasks, median of {args.repeat} fresh interpreters:")
    print(f"  bare TaskFlow factory : {bare:.3f} s ({bare_dags} DAGs)")
    print(f"  kronika dags/         : {ours:.3f} s ({our_dags} DAGs)  goal <= 0.150 s")
    print(f"  ratio kronika / bare  : {ours / bare:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
