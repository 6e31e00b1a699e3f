"""The `kronika` command line: `main` is the console script.

Each command lives in a module of this package and is imported only when it runs
(kronika/cli/registry.py). Every command exits 0 on success and non-zero with a one-line reason on
failure; commands whose output is data accept `--json`.
"""
from kronika.cli.base import main

__all__ = ["main"]
