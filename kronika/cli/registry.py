"""Which module defines each `kronika` command: the CLI imports a command's module only when that
command runs (or shows its --help), so `kronika --help` and a crawl do not pay for every other
command's imports (SQLAlchemy, pyarrow, Airflow, ...).

To add a command: define it with `@main.command()` in a module of kronika/cli/ and add one line
here. tests/unit/test_cli_lazy.py fails when a command is missing from this table.
"""
from __future__ import annotations

COMMANDS: dict[str, str] = {
    # pipeline
    "sources": "kronika.cli.pipeline",
    "crawl": "kronika.cli.pipeline",
    "index": "kronika.cli.pipeline",
    "extract": "kronika.cli.pipeline",
    "run": "kronika.cli.pipeline",
    "status": "kronika.cli.pipeline",
    "history": "kronika.cli.pipeline",
    "parse": "kronika.cli.pipeline",
    "db": "kronika.cli.pipeline",
    "mirror": "kronika.cli.pipeline",
    "demo": "kronika.cli.pipeline",
    "pools": "kronika.cli.pipeline",
    "doctor": "kronika.cli.doctor",
    # archive
    "get": "kronika.cli.archive",
    "verify": "kronika.cli.archive",
    "wacz": "kronika.cli.archive",
    "replay": "kronika.cli.archive",
    # custody
    "stamp": "kronika.cli.custody",
    "custody": "kronika.cli.custody",
    "evidence": "kronika.cli.custody",
    "verify-package": "kronika.cli.custody",
    # data consumers
    "export": "kronika.cli.data",
    "timeline": "kronika.cli.data",
    "plot": "kronika.cli.data",
    "serve": "kronika.cli.data",
    "diff": "kronika.cli.revisions",
    "search": "kronika.cli.search",
    "claims": "kronika.cli.claims",
}


def command_summaries(module_names: set[str]) -> dict[str, str]:
    """Each command's help text, read from its module's source without importing it (for the
    command list of `kronika --help`): the docstring of a function decorated `@main.command(...)`
    or `@main.group(...)`, or its `help=`/`short_help=` argument."""
    import ast
    import importlib.util

    summaries: dict[str, str] = {}
    for module_name in module_names:
        spec = importlib.util.find_spec(module_name)
        if spec is None or spec.origin is None:
            continue
        with open(spec.origin, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and isinstance(decorator.func.value, ast.Name) and decorator.func.value.id == "main"
                        and decorator.func.attr in ("command", "group")):
                    continue
                name = node.name.replace("_", "-")  # click's default name
                if decorator.args and isinstance(decorator.args[0], ast.Constant):
                    name = decorator.args[0].value
                keywords = {k.arg: k.value.value for k in decorator.keywords
                            if k.arg in ("name", "help", "short_help") and isinstance(k.value, ast.Constant)}
                name = keywords.get("name", name)
                summaries[name] = keywords.get("short_help") or keywords.get("help") or ast.get_docstring(node) or ""
    return summaries
