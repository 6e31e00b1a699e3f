"""`kronika doctor`: check that this machine can run Kronika, one line per thing, with the fix."""
from __future__ import annotations

import sys

import click

from kronika.cli.base import console, emit_json, main, one_line_errors

_STYLES = {"OK": "green", "WARN": "yellow", "FAIL": "bold red"}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
@one_line_errors
def doctor(ctx, as_json: bool) -> None:
    """Check the config, database (reachable, schema at head), archive and spool (writable), free
    disk, proxies, the Celery broker and Airflow's database (when configured), pywb and chromium.

    Each check is OK, WARN (works, but something is missing) or FAIL (a run would fail), with what
    to do about it. Exits 1 when any check fails. Changes nothing.

    \b
    Example: kronika doctor
             KRONIKA_DATABASE_URL=postgresql+psycopg://kronika@db/kronika kronika doctor --json
    """
    from rich.markup import escape

    from kronika.cli.layout import Column, fits, table_of
    from kronika.doctor import FAIL, run_checks
    from kronika.settings import Environment

    checks = run_checks(Environment.from_env(), ctx.obj.get("config_path"))
    failed = [c.name for c in checks if c.status == FAIL]
    if as_json:
        emit_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        rows = [[escape(c.name), f"[{_STYLES[c.status]}]{c.status}[/]", escape(c.detail),
                 escape(c.fix) if c.fix else ""] for c in checks]
        table = table_of([Column("check"), Column("status"), Column("found", prose=True),
                          Column("fix", prose=True)], rows, title="Kronika doctor")
        if fits(console, table):
            console.print(table)
        else:  # one line per check (paths whole), its fix on the next
            width = max(len(c.name) for c in checks)
            for c in checks:
                console.print(f"[{_STYLES[c.status]}]{c.status:<4}[/] {escape(c.name.ljust(width))}  {escape(c.detail)}",
                              soft_wrap=True, highlight=False)
                if c.fix:
                    console.print(f"{'':<4} {'':<{width}}  [dim]fix:[/] {escape(c.fix)}", soft_wrap=True,
                                  highlight=False)
    if failed:
        click.echo(f"doctor: {', '.join(failed)} failed", err=True)
        sys.exit(1)
