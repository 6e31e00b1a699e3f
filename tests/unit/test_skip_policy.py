"""`--fail-on-skip` (tests/support/skip_policy.py): an unlisted skip fails, a listed one passes."""
from __future__ import annotations

import pytest

from tests.support import skips
from tests.support.postgres import DEFAULT_URL, resolve

SKIPPING = """
import pytest

def test_needs_a_tool():
    pytest.skip("the frobnicator is not installed")

@pytest.fixture
def service():
    pytest.skip("no frobnicator service")

def test_needs_a_service(service):
    pass

@pytest.mark.skipif(True, reason="not on this platform")
def test_marked():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_tools=SKIPPING)
    return pytester.runpytest_inprocess("-p", "tests.support.skip_policy", *args)


def test_without_the_option_skips_are_skips(pytester):
    run(pytester).assert_outcomes(skipped=3, xfailed=1)


def test_with_the_option_every_unlisted_skip_fails_with_its_message(pytester):
    result = run(pytester, "--fail-on-skip")
    # a skip at setup (a fixture's, a skipif mark's) fails as an error of that phase
    result.assert_outcomes(failed=1, errors=2, xfailed=1)
    output = result.stdout.str()
    for message in ("the frobnicator is not installed", "no frobnicator service", "not on this platform"):
        assert f"allows no such skip: {message}" in output


def test_a_listed_skip_passes_only_for_its_own_message(pytester, monkeypatch):
    monkeypatch.setattr(skips, "ALLOWED", (
        skips.AllowedSkip("test_tools.py::test_needs_a_tool", "frobnicator is not installed", "a test"),
        skips.AllowedSkip("test_tools.py::test_marked", "some other reason", "a test"),
    ))
    result = run(pytester, "--fail-on-skip")
    result.assert_outcomes(skipped=1, errors=2, xfailed=1)
    result.stdout.fnmatch_lines(["*test_needs_a_tool: the frobnicator is not installed (allowed: a test)*"])


def test_a_module_skipped_at_import_fails_too(pytester):
    pytester.makepyfile(test_module="import pytest\npytest.importorskip('no_such_module_here')\n")
    result = pytester.runpytest_inprocess("-p", "tests.support.skip_policy", "--fail-on-skip")
    result.stdout.fnmatch_lines(["*allows no such skip*no_such_module_here*"])
    assert result.ret != 0


def test_every_allowed_skip_says_why():
    for entry in skips.ALLOWED:
        assert entry.tests.startswith("tests/") and entry.message and len(entry.why) > 20, entry


def test_the_postgres_choice_says_which_or_why_not():
    assert resolve("").url is None and "not set" in resolve("").reason
    named = "postgresql+psycopg://someone@db.example:5432/x"
    assert resolve(named).url == named


def test_auto_uses_the_default_only_when_it_answers(monkeypatch):
    from tests.support import postgres

    monkeypatch.setattr(postgres, "answers", lambda url, timeout_seconds=3: "connection refused")
    refused = postgres.resolve("auto")
    assert refused.url is None and "connection refused" in refused.reason and DEFAULT_URL in refused.reason
    monkeypatch.setattr(postgres, "answers", lambda url, timeout_seconds=3: None)
    assert postgres.resolve("AUTO").url == DEFAULT_URL


@pytest.mark.parametrize("missing_port", [6379, 5432])
def test_the_celery_smoke_fails_on_a_missing_service_when_required(monkeypatch, capsys, missing_port):
    from tests.smoke import airflow_smoke

    monkeypatch.setattr(airflow_smoke, "reachable", lambda host, port: port != missing_port)
    assert airflow_smoke.run_smoke("celery", ["riverside-herald"], require_services=True) == 1
    assert "FAIL celery: no" in capsys.readouterr().out
    assert airflow_smoke.run_smoke("celery", ["riverside-herald"]) == 0  # a developer's machine: SKIP
    assert "SKIP celery: no" in capsys.readouterr().out
