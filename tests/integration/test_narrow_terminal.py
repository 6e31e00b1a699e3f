"""At 60, 80 and 200 columns, `status`, `history`, `search` and `timeline` never cut what a user
copies — URLs, 14-digit timestamps, run ids, digests, WARC file names — and never draw a table wider
than the terminal: a table when it fits, one block per row when it does not (kronika/cli/layout.py).
Through the real CLI, with COLUMNS fixed."""
from __future__ import annotations

import json

import pytest

from kronika.steps.run import run_source
from tests.support.cli import kronika

HERALD_STRIKE = "http://mirror.kronika.test/herald/news/missile-strike-hits-zarichansk-residential-district.html"
WIDTHS = (60, 80, 200)


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory):
    """The Herald and the ОВА channel crawled before and after their rewrites (once for the module)."""
    from kronika.mirror.server import MirrorServer
    from kronika.settings import Environment, load_config
    from tests.conftest import ROOT

    work = tmp_path_factory.mktemp("narrow")
    env = Environment(database_url=f"sqlite:///{work / 'kronika.db'}", archive_dir=work / "archive")
    variables = {"KRONIKA_DATABASE_URL": env.database_url, "KRONIKA_ARCHIVE_DIR": str(env.archive_dir),
                 "KRONIKA_CONFIG": str(ROOT / "config" / "demo.yaml")}
    with pytest.MonkeyPatch.context() as patch, MirrorServer(port=0) as mirror:
        for name, value in {**variables, "KRONIKA_MIRROR_PROXY": mirror.url}.items():
            patch.setenv(name, value)
        chosen = [s for s in load_config().sources if s.name in ("riverside-herald", "zarichna-ova")]
        for epoch in (0, 1):
            mirror.set_epoch(epoch)
            for source in chosen:
                run_source(source, env)
    return variables


def _run(variables: dict, *args: str, columns: int) -> str:
    result = kronika(*args, env=variables, columns=columns)
    assert result.returncode in (0, 1), result.stderr  # status exits 1 only when a source is failing
    return result.stdout


def _json(variables: dict, *args: str):
    result = kronika(*args, "--json", env=variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _assert_whole_and_fitting(output: str, values: set[str], columns: int, what: str) -> None:
    lines = output.splitlines()
    cut = [v for v in values if v and not any(v in line for line in lines)]
    assert not cut, f"{what} at {columns} columns cut {cut[:3]}:\n{output[:3000]}"
    too_wide = [line for line in lines if any(mark in line for mark in "│┃┏┗━") and len(line) > columns]
    assert not too_wide, f"{what} at {columns} columns drew a table wider than the terminal:\n{too_wide[0]}"


def _check(variables: dict, args: tuple[str, ...], values: set[str]) -> dict[int, bool]:
    """The command at every width: the values whole, the table within the terminal; which widths drew a table."""
    tables = {}
    for columns in WIDTHS:
        output = _run(variables, *args, columns=columns)
        _assert_whole_and_fitting(output, values, columns, " ".join(args[:2]))
        tables[columns] = "┏" in output
    return tables


def test_status_keeps_run_ids_and_paths_whole(rewritten):
    status = _json(rewritten, "status")
    values = {s["last_run_id"] for s in status["sources"]} | {status["database"].get("path") or status["database"]["url"]}
    tables = _check(rewritten, ("status",), values)
    assert not tables[60] and not tables[80], "status is too wide for 80 columns: one block per source"


def test_history_keeps_timestamps_digests_files_and_run_ids_whole(rewritten):
    history = _json(rewritten, "history", HERALD_STRIKE)
    assert len(history) >= 2
    values = ({HERALD_STRIKE} | {r["timestamp"] for r in history} | {r["payload_digest"] for r in history}
              | {r["warc_file"] for r in history} | {r["crawl_run_id"] for r in history})
    tables = _check(rewritten, ("history", HERALD_STRIKE), values)
    assert not tables[60]
    # and a terminal wide enough gets the table (the layout really switches)
    assert "┏" in _run(rewritten, "history", HERALD_STRIKE, columns=320)


def test_search_keeps_urls_whole(rewritten):
    hits = _json(rewritten, "search", "Zarichansk", "--limit", "5")["hits"]
    assert hits
    tables = _check(rewritten, ("search", "Zarichansk", "--limit", "5"), {h["url"] for h in hits})
    assert not tables[60]


def test_timeline_keeps_timestamps_capture_ids_and_urls_whole(rewritten):
    versions = _json(rewritten, "timeline", HERALD_STRIKE)["versions"]
    assert len(versions) == 2
    stamps = {v["captured_at"][:19].replace("-", "").replace(":", "").replace("T", "").replace(" ", "")
              for v in versions}
    _check(rewritten, ("timeline", HERALD_STRIKE), stamps | {str(v["capture_id"]) for v in versions})
    events = _json(rewritten, "timeline", "--channel", "zarichna_ova")["events"]
    _check(rewritten, ("timeline", "--channel", "zarichna_ova"), {e["url"] for e in events})
