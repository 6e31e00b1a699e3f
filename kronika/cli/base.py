"""The `kronika` command group and what every command shares: one-line errors, JSON output.

Every command exits 0 on success and non-zero with a one-line reason on failure; commands whose
output is data accept `--json`.
"""
from __future__ import annotations

import json
import logging
from functools import wraps

import click
from rich.console import Console

from kronika import __version__
from kronika.settings import ConfigError, load_config

console = Console()
errors = Console(stderr=True)


class KnownError(click.ClickException):
    """An expected failure: printed as one line, exit status 1."""

    def show(self, file=None) -> None:
        errors.print(f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True)


def one_line_errors(func):
    """Turn the failures a user can cause into a one-line message instead of a traceback."""
    from kronika.locks import SourceBusy
    from kronika.steps.crawl import CrawlFailed

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ConfigError, SourceBusy, CrawlFailed, FileNotFoundError, ValueError) as exc:
            raise KnownError(str(exc)) from None
        except Exception as exc:  # a database that is down, a disk that is full, ...
            if isinstance(exc, click.ClickException):
                raise
            logging.getLogger("kronika").debug("failure", exc_info=True)
            raise KnownError(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None

    return wrapper


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    return load_config(ctx.obj.get("config_path"))


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
