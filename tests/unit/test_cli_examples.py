"""Every command's --help shows at least one example, and every example shown parses.

The examples are what a user copies first; a renamed option or a removed argument breaks them
silently. This walks the whole command tree (groups included, through the lazy registry), reads
the `Example:` / `Examples:` lines of each help text, and parses each example with the command's
own parser: the right command, options that exist, the arguments it takes.
"""
from __future__ import annotations

import re
import shlex
import warnings

import click
import pytest
from click.testing import CliRunner

from kronika.cli import main

# what follows a command on an example line and is not its arguments: the shell's redirections and
# chains, and a comment after two or more spaces ("kronika serve    then open ...")
SHELL_BREAKS = {">", ">>", "|", "&&", "||", ";", "2>", "<"}
COMMENT = re.compile(r"\s{2,}.*$")
HEADER = re.compile(r"^(Examples?|Quick start)\b[^:]*:")
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")  # KRONIKA_DATABASE_URL=... kronika db upgrade


def walk(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every command under `group`, groups included ('kronika' itself is ())."""
    found = [path]
    context = click.Context(group, info_name="kronika")
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            found += walk(command, (*path, name))
        else:
            found.append((*path, name))
    return found


COMMANDS = walk()


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def examples(text: str) -> list[str]:
    """The `kronika ...` lines of the Example/Examples part of a help text."""
    found = []
    in_examples = False
    for line in text.splitlines():
        stripped = line.strip()
        header = HEADER.match(stripped)
        if header:
            in_examples = True
            stripped = stripped[header.end():].strip()
        elif in_examples and not stripped:
            in_examples = False
        while ASSIGNMENT.match(stripped):  # environment variables set for the example
            stripped = stripped.split(" ", 1)[1] if " " in stripped else ""
        if in_examples and stripped.startswith("kronika"):
            found.append(COMMENT.sub("", stripped))
        if stripped.startswith(("Options:", "Commands:")):
            in_examples = False
    return found


def parse(example: str) -> click.Context:
    """Parse an example line as the shell and then `kronika` would; the innermost command's context."""
    words = shlex.split(example)
    assert words[0] == "kronika", example
    args = []
    for word in words[1:]:
        if word in SHELL_BREAKS:
            break
        args.append(word)
    context = main.make_context("kronika", args)
    command: click.Command = main
    while isinstance(command, click.Group) and (_unparsed(context)):
        name, command, rest = command.resolve_command(context, _unparsed(context))
        assert command is not None, example
        context = command.make_context(name, rest, parent=context)
    return context


def _unparsed(context: click.Context) -> list[str]:
    """A group's words left for its subcommand (Click 8 keeps the first apart, deprecated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [*getattr(context, "protected_args", []), *context.args]


def test_the_walk_finds_every_registered_command():
    from kronika.cli.registry import COMMANDS as REGISTERED

    assert {path[0] for path in COMMANDS if path} == set(REGISTERED)
    assert len(COMMANDS) > len(REGISTERED), "subcommands of the groups are walked too"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "kronika")
def test_every_command_shows_an_example_and_each_one_parses(path):
    shown = examples(help_text(path))
    assert shown, f"`kronika {' '.join(path)} --help` shows no example"
    for example in shown:
        try:
            context = parse(example)
        except click.BadParameter as exc:
            # an example naming a file the user has (page.html, signer.pub.pem): parsed as far as
            # that; the option or argument exists and takes a path
            assert isinstance(exc.param.type, (click.Path, click.File)) and "does not exist" in str(exc), example
            continue
        # the example is of this command (or, for a group, of one of its commands)
        assert tuple(context.command_path.split()[1:])[:len(path)] == path, (example, context.command_path)


def test_the_example_reader_reads_both_forms_and_drops_shell_parts():
    text = """Usage: kronika x

  Does x.

  Example: kronika pools > pools.json && airflow pools import pools.json

  Examples:
    kronika export --all dump/            (every table as Parquet)
    kronika export articles -o a.parquet

Options:
  --json  Print JSON.
"""
    assert examples(text) == ["kronika pools > pools.json && airflow pools import pools.json",
                              "kronika export --all dump/", "kronika export articles -o a.parquet"]
    assert parse("kronika pools --slots 3 > pools.json").command_path == "kronika pools"
    with pytest.raises(click.UsageError):
        parse("kronika export --no-such-option")
