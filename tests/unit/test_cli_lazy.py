"""The CLI starts without the heavy libraries: `kronika --help` (and a command's own --help)
imports no command module it does not need, and the lazy registry names every command."""
import importlib
import json
import pkgutil
import subprocess
import sys

import click

import kronika.cli
from kronika.cli.base import main
from kronika.cli.registry import COMMANDS, command_summaries
from tests.conftest import ROOT

HEAVY = ("scrapy", "airflow", "sqlalchemy", "pyarrow", "alembic", "twisted", "pydantic")


def _modules_loaded_by(*arguments: str) -> list[str]:
    """Run the CLI with `arguments` in a fresh interpreter; the heavy libraries it imported."""
    script = f"""
import json, sys
from kronika.cli import main
try:
    main({list(arguments)!r}, prog_name="kronika")
except SystemExit:
    pass
print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}} & set({HEAVY!r}))))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_imports_no_heavy_library():
    assert _modules_loaded_by("--help") == []


def test_a_commands_help_imports_no_heavy_library():
    for command in ("crawl", "status", "diff", "export"):
        assert _modules_loaded_by(command, "--help") == [], command


def _every_command_module() -> None:
    for module in pkgutil.iter_modules(kronika.cli.__path__):
        if module.name != "__main__":
            importlib.import_module(f"kronika.cli.{module.name}")


def test_the_registry_names_every_command_and_its_module():
    _every_command_module()
    defined = {name: command.callback.__module__ for name, command in main.commands.items()}
    assert defined == COMMANDS, "add the new command to kronika/cli/registry.py"


def test_the_command_list_shows_the_commands_own_help():
    _every_command_module()
    summaries = command_summaries(set(COMMANDS.values()))
    for name, command in main.commands.items():
        stand_in = click.Command(name, help=summaries[name])
        assert stand_in.get_short_help_str(1000) == command.get_short_help_str(1000), name


def test_the_crawl_commands_own_process_does_not_load_scrapy():
    """Scrapy starts in the spider's process only: the `kronika crawl` process around it skips its import."""
    script = f"""
import json, sys
from kronika.settings import load_config
from kronika.steps.crawl import register_source, scrapy_settings
source = load_config({str(ROOT / "config" / "demo.yaml")!r}).source("riverside-herald")
assert not source.headers
scrapy_settings(source)
print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}} & {{"scrapy", "twisted"}})))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
