"""The `kronika` command group and what every command shares: one-line errors, JSON output.

Every command exits 0 on success and non-zero with a one-line reason on failure; commands whose
output is data accept `--json`.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from functools import wraps

import click
from rich.console import Console

from kronika import __version__
from kronika.cli.registry import COMMANDS, command_summaries

console = Console()
errors = Console(stderr=True)


class KnownError(click.ClickException):
    """An expected failure: printed as one line, exit status 1 unless told otherwise (failures.py)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        from rich.markup import escape

        # escaped: a message quoting a pattern such as [a-z0-9] must reach the user whole
        errors.print(f"[bold red]error:[/] {escape(self.message)}", highlight=False, soft_wrap=True)


def one_line_errors(func):
    """Turn the failures a user can cause into a one-line message instead of a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # a database that is down, a disk that is full, ...
            if isinstance(exc, click.ClickException):
                raise
            from kronika.cli.failures import describe

            known = describe(exc)
            if known is not None:
                raise KnownError(known.message, known.exit_code) from None
            if isinstance(exc, _user_errors()):
                raise KnownError(str(exc)) from None
            logging.getLogger("kronika").debug("failure", exc_info=True)
            raise KnownError(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None

    return wrapper


def _user_errors() -> tuple[type[Exception], ...]:
    """The failures a user causes (a bad config, a busy source, ...), imported only once one happened:
    importing them up front would load SQLAlchemy into every command, --help included."""
    from kronika.locks import SourceBusy
    from kronika.settings import ConfigError
    from kronika.steps.crawl import CrawlFailed

    return ConfigError, SourceBusy, CrawlFailed, FileNotFoundError, ValueError


def progress_bar(unit: str = "rows"):
    """A rich progress bar on stderr (stdout stays clean for data): count, total when known, rate, time.

        with progress_bar("files") as bar:
            task = bar.add_task("extracting", total=None)
            bar.advance(task)
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} {unit}/s" if speed else f"- {unit}/s", style="progress.data.speed")

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(unit), Rate(), TimeElapsedColumn(), console=errors, transient=True)


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class LazyGroup(click.Group):
    """A group whose commands are imported when one of them runs, not when the CLI starts
    (kronika/cli/registry.py says which module defines which command)."""

    def __init__(self, *args, registry: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.registry = registry

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.registry) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.registry:
            import importlib

            importlib.import_module(self.registry[name])  # its decorators add it to this group
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # the list of commands from their modules' source text: no command module is imported
        summaries = command_summaries({module for name, module in self.registry.items() if name not in self.commands})
        stand_ins = LazyGroup("kronika", registry={})
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(name, help=summaries.get(name, ""))
            stand_ins.add_command(command, name)
        click.Group.format_commands(stand_ins, ctx, formatter)


@click.group(cls=LazyGroup, registry=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kronika")
@click.option("--config", "config_path", envvar="KRONIKA_CONFIG", type=click.Path(dir_okay=False),
              help="Sources file (default: config/sources.yaml, or $KRONIKA_CONFIG).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress of every step.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Kronika keeps a chronicle of what news outlets and Telegram channels said, and when.

    \b
    Quick start (offline, against the bundled mirror):
      kronika demo
      kronika status
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"config_path": config_path}


def _config(ctx: click.Context):
    from kronika.settings import load_config

    return load_config(ctx.obj.get("config_path"))


def environment():
    """The environment's settings (KRONIKA_* variables), imported when a command needs them."""
    from kronika.settings import Environment

    return Environment.from_env()


@contextmanager
def read_session():
    """A session on the database opened read-only (SQLite mode=ro, PostgreSQL read-only
    transactions): a missing database or an old schema is a one-line error, never created here."""
    from sqlalchemy.orm import Session

    from kronika.storage.db.readonly import read_only_engine

    engine = read_only_engine(reading_environment().database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def reading_environment():
    """The environment of a command that only reads: its database must already exist.

    Only commands that write (crawl, index, extract, run, db upgrade, demo, stamp) create a
    database; a read command given a wrong path says which database it looked for instead of
    answering from a new, empty one."""
    from kronika.settings import Environment
    from kronika.storage.db.readonly import require_database

    env = Environment.from_env()
    require_database(env.database_url)
    return env
