"""`kronika doctor` through the real CLI: each check's verdict and fix, exit 1 on FAIL, --json, and
nothing created or changed by looking."""
from __future__ import annotations

import json
import socket

from kronika.storage.db.engine import current_revisions, make_engine, upgrade
from tests.support.cli import kronika

UNREACHABLE_PG = "postgresql+psycopg://kronika@127.0.0.1:1/kronika"


def _doctor(*args: str, env: dict | None = None) -> tuple[int, dict]:
    result = kronika("doctor", "--json", *args, env=env)
    return result.returncode, json.loads(result.stdout)


def _by_name(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def test_a_ready_machine_passes_and_each_check_names_what_it_found(sqlite_env, tmp_path):
    assert kronika("db", "upgrade").returncode == 0
    code, report = _doctor()
    checks = _by_name(report)
    assert code == 0 and report["ok"] is True, report
    assert checks["database"]["status"] == "OK" and "schema at head" in checks["database"]["detail"]
    assert checks["archive"]["status"] == "OK" and str(sqlite_env.archive_dir) in checks["archive"]["detail"]
    assert checks["free disk"]["status"] in ("OK", "WARN") and "GB free" in checks["free disk"]["detail"]
    assert {"config", "spool", "pywb", "chromium"} <= set(checks)
    assert all(c["status"] in ("OK", "WARN", "FAIL") for c in report["checks"])
    assert all(c["fix"] for c in report["checks"] if c["status"] != "OK"), "every WARN and FAIL says what to do"

    # people get one line per check at 60 columns, the database path whole on its line
    narrow = kronika("doctor", columns=60)
    assert narrow.returncode == 0, narrow.stderr
    path = str(tmp_path / "kronika.db")
    assert any(path in line for line in narrow.stdout.splitlines()), narrow.stdout


def test_failures_exit_non_zero_with_the_fix_and_looking_creates_nothing(sqlite_env, tmp_path):
    # a SQLite file that does not exist is reported, not created
    code, report = _doctor()
    assert _by_name(report)["database"]["status"] == "WARN" and "kronika db upgrade" in _by_name(report)["database"]["fix"]
    assert not (tmp_path / "kronika.db").exists()

    # a database that cannot be reached is a FAIL naming the URL and the setting to change
    code, report = _doctor(env={"KRONIKA_DATABASE_URL": UNREACHABLE_PG})
    database = _by_name(report)["database"]
    assert code == 1 and report["ok"] is False
    assert database["status"] == "FAIL" and "127.0.0.1:1" in database["detail"]
    assert "KRONIKA_DATABASE_URL" in database["fix"]
    people = kronika("doctor", env={"KRONIKA_DATABASE_URL": UNREACHABLE_PG}, columns=80)
    assert people.returncode == 1 and "FAIL" in people.stdout and "database" in people.stderr

    # an archive that is a file, not a directory
    (tmp_path / "not-a-dir").write_text("x")
    code, report = _doctor(env={"KRONIKA_ARCHIVE_DIR": str(tmp_path / "not-a-dir")})
    assert code == 1 and _by_name(report)["archive"]["status"] == "FAIL"


def test_an_old_schema_is_a_warning_and_doctor_does_not_upgrade_it(sqlite_env):
    engine = make_engine(sqlite_env.database_url)
    upgrade(engine, "0016")
    code, report = _doctor()
    database = _by_name(report)["database"]
    assert database["status"] == "WARN" and "kronika db upgrade" in database["fix"]
    assert current_revisions(engine) == {"0016"}


def test_the_celery_broker_is_checked_when_configured(sqlite_env):
    code, report = _doctor()
    assert "celery broker" not in _by_name(report), "not configured: not checked"
    with socket.create_server(("127.0.0.1", 0)) as listening:  # a real TCP listener stands for the broker
        port = listening.getsockname()[1]
        code, report = _doctor(env={"AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{port}/0"})
        assert _by_name(report)["celery broker"]["status"] == "OK"
    code, report = _doctor(env={"AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:1/0"})
    broker = _by_name(report)["celery broker"]
    assert code == 1 and broker["status"] == "FAIL" and "AIRFLOW__CELERY__BROKER_URL" in broker["fix"]
