"""The production deployment files in deploy/ (docs/operations.md, "Production deployment").

The systemd units are checked by systemd's own `systemd-analyze verify` (with the install prefix
/opt/kronika pointed at this checkout, so the programs they start exist), every command they run
is run with --help, the environment file names every setting the code reads, and deploy/backup.sh
is run for real on a crawled archive with SQLite and with PostgreSQL.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import WarcFile
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = sorted(p for p in (DEPLOY / "systemd").iterdir() if p.suffix in (".service", ".timer", ".target"))


def _installed(tmp_path: Path) -> Path:
    """The unit files as an operator installs them, with /opt/kronika being this checkout and
    /etc/kronika and /var/lib/kronika folders of the test."""
    etc, var = tmp_path / "etc", tmp_path / "var"
    etc.mkdir()
    var.mkdir()
    for env_file in (DEPLOY / "systemd").glob("*.env"):
        shutil.copy(env_file, etc / env_file.name)
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS:
        text = unit.read_text().replace("/opt/kronika", str(ROOT)).replace("/etc/kronika", str(etc))
        (units / unit.name).write_text(text.replace("/var/lib/kronika", str(var)))
    return units


def _exec_lines(unit: Path) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]


def test_systemd_accepts_every_unit(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here (Debian: the systemd package)")
    units = _installed(tmp_path)
    # a template is verified through an instance of it
    names = [str(units / (u.name.replace("@.", "@1.") if "@." in u.name else u.name)) for u in UNITS]
    for unit in UNITS:
        if "@." in unit.name:
            shutil.copy(units / unit.name, units / unit.name.replace("@.", "@1."))
    result = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=120,
                            cwd=units)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even a warning
    services = {u.stem for u in UNITS if u.suffix == ".service"}
    for wanted in ("kronika-scheduler", "kronika-dag-processor", "kronika-api-server", "kronika-worker@"):
        assert wanted in services


def test_every_command_the_units_run_exists_and_takes_its_options(tmp_path):
    units = _installed(tmp_path)
    environ = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    commands = [line for unit in UNITS for line in _exec_lines(units / unit.name)]
    assert len(commands) == sum(1 for u in UNITS if u.suffix == ".service")
    for command in commands:
        argv = shlex.split(command.replace("%i", "1").replace("%H", "host"))
        assert Path(argv[0]).is_file() and os.access(argv[0], os.X_OK), argv[0]
        if argv[0].endswith("backup.sh"):
            continue  # run for real below
        # --help after the options: argparse (airflow) and click (kronika) parse the options first
        result = subprocess.run([*argv, "--help"], capture_output=True, text=True, env=environ, timeout=180)
        assert result.returncode == 0, f"{command}: {result.stderr[-1000:]}"


def test_the_environment_file_sets_what_every_component_needs():
    settings = dict(line.split("=", 1) for line in (DEPLOY / "systemd" / "kronika.env").read_text().splitlines()
                    if line and not line.startswith("#"))
    read_by_kronika = set()
    for path in (ROOT / "kronika").rglob("*.py"):
        read_by_kronika |= set(re.findall(r"environ(?:\.get)?[\[(]\"(KRONIKA_[A-Z_]+)\"", path.read_text()))
    operational = {"KRONIKA_CONFIG", "KRONIKA_DATABASE_URL", "KRONIKA_ARCHIVE_DIR", "KRONIKA_SPOOL_DIR",
                   "KRONIKA_EXPORT_DIR"}
    assert operational <= read_by_kronika, "the code no longer reads one of these: update kronika.env"
    assert operational <= set(settings)
    for airflow in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__EXECUTOR",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API_AUTH__JWT_SECRET",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL"):
        assert airflow in settings, airflow
    # every unit reads it, so every Airflow component and every task sees the same settings
    for unit in UNITS:
        if unit.suffix == ".service":
            assert "EnvironmentFile=/etc/kronika/kronika.env" in unit.read_text(), unit.name
    web = (DEPLOY / "systemd" / "kronika-web.service").read_text()
    assert web.index("kronika.env") < web.index("kronika-web.env")  # the read-only role's URL wins
    assert "kronika_reader" in (DEPLOY / "systemd" / "kronika-web.env").read_text()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_copies_closed_warc_files_once_and_dumps_the_database(any_env, mirror, demo_config, tmp_path):
    if not shutil.which("rsync"):
        pytest.skip("rsync is not installed here")
    if any_env.database_url.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed here")
    run_source(demo_config.source("riverside-herald"), any_env)
    # a file still being written must not be copied
    source_dir = Path(any_env.archive_dir) / "riverside-herald"
    (source_dir / "kronika-riverside-herald-20990101000000000-00001-x.warc.gz.open").write_bytes(b"half a record")
    backup = tmp_path / "backup"
    environ = {**os.environ, "KRONIKA_BACKUP_DIR": str(backup), "KRONIKA_BACKUP_KEEP": "2"}
    environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    schema = re.search(r"search_path%3D(\w+)", any_env.database_url)
    if schema:  # the test's own schema: other tests create and drop theirs in the same database meanwhile
        environ["KRONIKA_BACKUP_PG_DUMP_ARGS"] = f"--schema={schema[1]}"

    def run_backup() -> str:
        result = subprocess.run([str(DEPLOY / "backup.sh")], capture_output=True, text=True, env=environ, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    run_backup()
    engine = open_database(any_env.database_url)
    with unit_of_work(engine) as session:
        files = {f.path: f.sha256 for f in session.scalars(select(WarcFile))}
    copied = {p.relative_to(backup / "archive").as_posix(): _sha256(p) for p in (backup / "archive").rglob("*.warc.gz")}
    assert copied == files
    assert not list(backup.rglob("*.open")) and not (backup / "archive" / ".replay").exists()
    assert (backup / "archive" / "riverside-herald" / "indexes" / "index.cdxj").read_bytes() == \
        (source_dir / "indexes" / "index.cdxj").read_bytes()

    [dump] = list((backup / "db").glob("kronika-*"))
    if dump.suffix == ".sqlite":
        with sqlite3.connect(dump) as copy:
            assert copy.execute("SELECT count(*) FROM warc_files").fetchone()[0] == len(files)
            assert copy.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
    else:
        listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
        assert re.search(r"TABLE DATA \S+ warc_files", listing.stdout) and "TABLE DATA" in listing.stdout

    # a copied WARC file is never overwritten (a live file that rots cannot spoil its copy); dumps rotate
    one = backup / "archive" / sorted(files)[0]
    os.utime(one, (1, 1))  # an old mtime: rsync would copy the file again if it compared times or sizes
    for _ in range(2):
        time.sleep(1.1)  # dumps are named by the second they were taken
        run_backup()
    assert os.stat(one).st_mtime == 1
    assert len(list((backup / "db").glob("kronika-*"))) == 2
