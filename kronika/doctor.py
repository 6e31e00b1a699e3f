"""`kronika doctor`: is this machine ready to run Kronika? One check per thing it needs, each
OK, WARN (works, but something is missing or close to its limit) or FAIL (a run would fail), with
the fix a person can apply. Nothing is created, migrated or written: a check only looks.
"""
from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from kronika.settings import Environment

OK, WARN, FAIL = "OK", "WARN", "FAIL"
FREE_DISK_FAIL = 1 * 1024**3  # below this a crawl may fill the disk mid-file
FREE_DISK_WARN = 10 * 1024**3
CONNECT_TIMEOUT = 3.0  # seconds for a TCP connect to a broker or proxy


@dataclass
class Check:
    name: str
    status: str  # OK | WARN | FAIL
    detail: str  # what was found
    fix: str = ""  # what to do about a WARN or FAIL

    def as_dict(self) -> dict:
        return asdict(self)


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable_dir(name: str, path: Path, what: str) -> Check:
    path = Path(path).absolute()
    if path.is_dir():
        if os.access(path, os.W_OK | os.X_OK):
            return Check(name, OK, f"{path} is writable")
        return Check(name, FAIL, f"{path} is not writable by this user",
                     f"make it writable ({what}) or point the setting elsewhere")
    if path.exists():
        return Check(name, FAIL, f"{path} exists but is not a directory", "point the setting at a directory")
    parent = _nearest_existing(path)
    if os.access(parent, os.W_OK | os.X_OK):
        return Check(name, OK, f"{path} does not exist yet; it will be created (in {parent}, writable)")
    return Check(name, FAIL, f"{path} does not exist and {parent} is not writable",
                 f"create {path} with write access for this user")


def _reachable(host: str, port: int) -> str | None:
    """None when a TCP connection opens, else why not."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def check_config(config_path: str | None) -> tuple[Check, object | None]:
    from kronika.settings import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        missing = "no such config file" in str(exc)
        return Check("config", WARN if missing else FAIL, str(exc),
                     "set KRONIKA_CONFIG or --config to your sources file (config/demo.yaml for the mirror)"
                     if missing else "correct the file (`kronika sources` names the source and field)"), None
    return Check("config", OK, f"{config.path}: {len(config.sources)} sources"), config


def check_database(url: str) -> Check:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from kronika.storage.db.engine import current_revisions, head_revisions
    from kronika.storage.db.readonly import sqlite_path

    shown = make_url(url).render_as_string(hide_password=True)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return Check("database", WARN, f"no database at {path} yet",
                     "`kronika db upgrade` creates it (or a first `kronika run SOURCE`); or set "
                     "KRONIKA_DATABASE_URL to the one you mean")
    # a SQLite file that exists is opened read-only: looking must never create or change anything
    engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true" if path else url, pool_pre_ping=True)
    try:
        revisions = current_revisions(engine)
    except Exception as exc:  # refused, unknown host, bad password, not a database ...
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        return Check("database", FAIL, f"cannot reach {shown}: {reason}",
                     "start the database server, or set KRONIKA_DATABASE_URL to one that is running")
    finally:
        engine.dispose()
    heads = head_revisions()
    if not revisions:
        return Check("database", FAIL, f"{shown} has no Kronika tables", "run `kronika db upgrade`")
    if revisions != heads:
        return Check("database", WARN, f"{shown} is at schema {'+'.join(sorted(revisions))}, the code at "
                     f"{'+'.join(sorted(heads))}", "run `kronika db upgrade` (read-only commands refuse an old schema)")
    return Check("database", OK, f"{shown} reachable, schema at head ({'+'.join(sorted(heads))})")


def check_archive(env: Environment) -> Check:
    if env.archive_is_remote:
        try:
            env.archive_dir.exists()
        except Exception as exc:
            return Check("archive", FAIL, f"cannot reach {env.archive_dir}: {exc}",
                         "check the object store's credentials and endpoint (docs/operations.md)")
        return Check("archive", OK, f"{env.archive_dir} (object store) reachable")
    return _writable_dir("archive", env.archive_dir, "crawls write WARC files there")


def check_spool(env: Environment) -> Check:
    if not env.archive_is_remote:
        return Check("spool", OK, "not used (the archive is a local directory: crawls write into it)")
    return _writable_dir("spool", env.spool_dir, "crawls write WARC files there before uploading them")


def check_free_disk(env: Environment) -> Check:
    where = _nearest_existing(env.local_archive_dir)
    free = shutil.disk_usage(where).free
    detail = f"{free / 1024**3:.1f} GB free at {where}"
    if free < FREE_DISK_FAIL:
        return Check("free disk", FAIL, detail, "free space or move KRONIKA_ARCHIVE_DIR (a crawl needs room for "
                     "its WARC files; a full disk stops it mid-file)")
    if free < FREE_DISK_WARN:
        return Check("free disk", WARN, detail, "plan more space: WARC files only grow (docs/operations.md)")
    return Check("free disk", OK, detail)


def check_pywb() -> Check:
    from kronika.storage.warc.replay import PywbMissing, find_wayback

    try:
        return Check("pywb", OK, f"{find_wayback()}")
    except PywbMissing as exc:
        return Check("pywb", WARN, "not installed (only `kronika replay` needs it)", str(exc).split(": ", 1)[-1])


def check_chromium() -> Check:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found and shutil.which("chromedriver"):
        return Check("chromium", OK, f"{found} with chromedriver")
    return Check("chromium", WARN, "no chromium and chromedriver (only the web view's browser tests need them)",
                 "apt-get install chromium chromium-driver, if you run `make test`")


def check_proxies(config) -> list[Check]:
    """Every HTTP proxy a source or the environment sends requests through."""
    proxies: dict[str, list[str]] = {}
    for source in getattr(config, "sources", ()):
        if getattr(source, "proxy", None):
            proxies.setdefault(source.proxy, []).append(source.name)
    for variable in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        if os.environ.get(variable):
            proxies.setdefault(os.environ[variable], []).append(f"${variable}")
    checks = []
    for proxy, users in proxies.items():
        parts = urlsplit(proxy)
        why = _reachable(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        used_by = ", ".join(users)
        if why is None:
            checks.append(Check("proxy", OK, f"{proxy} reachable (used by {used_by})"))
        else:
            checks.append(Check("proxy", WARN, f"{proxy} not reachable: {why} (used by {used_by})",
                                "start the proxy before crawling (the demo's mirror: `kronika mirror serve "
                                "--port 8765`)"))
    return checks


def check_airflow() -> list[Check]:
    """The Celery broker and Airflow's metadata database, when the environment configures them."""
    checks = []
    broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL")
    executor = os.environ.get("AIRFLOW__CORE__EXECUTOR", "")
    if broker:
        parts = urlsplit(broker)
        default_port = {"redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671}.get(parts.scheme, 0)
        why = _reachable(parts.hostname or "localhost", parts.port or default_port)
        shown = f"{parts.scheme}://{parts.hostname}:{parts.port or default_port}"
        checks.append(Check("celery broker", OK, f"{shown} reachable") if why is None else
                      Check("celery broker", FAIL, f"{shown} not reachable: {why}",
                            "start the broker (Redis or RabbitMQ) or correct AIRFLOW__CELERY__BROKER_URL"))
    elif "Celery" in executor:
        checks.append(Check("celery broker", FAIL, f"the executor is {executor} but no broker is configured",
                            "set AIRFLOW__CELERY__BROKER_URL (docs/operations.md)"))
    metadata = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if metadata:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from kronika.storage.db.readonly import sqlite_path

        shown = make_url(metadata).render_as_string(hide_password=True)
        path = sqlite_path(metadata)
        if path is not None and not path.is_file():
            checks.append(Check("airflow database", WARN, f"no database at {path} yet", "run `airflow db migrate`"))
        else:
            engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true" if path else metadata)
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                checks.append(Check("airflow database", OK, f"{shown} reachable"))
            except Exception as exc:
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
                checks.append(Check("airflow database", FAIL, f"cannot reach {shown}: {reason}",
                                    "start it, or correct AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"))
            finally:
                engine.dispose()
    return checks


def run_checks(env: Environment, config_path: str | None = None) -> list[Check]:
    """Every check, in the order a newcomer meets the things they look at."""
    config_check, config = check_config(config_path)
    steps: list[Callable[[], Check | list[Check]]] = [
        lambda: config_check,
        lambda: check_database(env.database_url),
        lambda: check_archive(env),
        lambda: check_spool(env),
        lambda: check_free_disk(env),
        lambda: check_proxies(config),
        check_airflow,
        check_pywb,
        check_chromium,
    ]
    checks: list[Check] = []
    for step in steps:
        found = step()
        checks.extend(found if isinstance(found, list) else [found])
    return checks
