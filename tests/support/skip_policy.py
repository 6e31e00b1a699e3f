"""`pytest --fail-on-skip`: a skip not allowed by tests/support/skips.py fails the test.

A skipped test is silent: the run is green and the behaviour unchecked. CI (`.ci/run`) has every
requirement the tests name, so there a skip means something went missing; with this option it is
reported as a failure carrying the skip's own message. Loaded by tests/conftest.py.
"""
from __future__ import annotations

import pytest

from tests.support import skips

OPTION = "--fail-on-skip"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(OPTION, action="store_true", default=False,
                     help="fail every skip not allowed in tests/support/skips.py (CI passes it)")


def _message(longrepr) -> str:
    # a skip's longrepr is (path, line, "Skipped: message")
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _judge(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip the allow-list does not cover into a failure; remember the allowed ones."""
    if not config.getoption(OPTION) or not report.skipped or hasattr(report, "wasxfail"):
        return
    message = _message(report.longrepr)
    entry = skips.allowed(report.nodeid, message)
    if entry is not None:
        config.stash.setdefault(_allowed_key, []).append((report.nodeid, message, entry.why))
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped, and {OPTION} allows no such skip: {message}\n"
                       "Provide what the test needs (CI has it: see CONTRIBUTING.md), or, if CI really "
                       "cannot, add an entry with its reason to tests/support/skips.py.")


_allowed_key = pytest.StashKey[list]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    _judge(item.config, outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    # a whole module skipped at import (pytest.importorskip at module level)
    outcome = yield
    _judge(collector.config, outcome.get_result())


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    allowed = config.stash.get(_allowed_key, [])
    if config.getoption(OPTION) and allowed:
        terminalreporter.section("skips allowed by tests/support/skips.py")
        for nodeid, message, why in allowed:
            terminalreporter.write_line(f"{nodeid}: {message} (allowed: {why})")
