"""The `kronika` command line: `main` is the console script; each module adds its commands.

Every command exits 0 on success and non-zero with a one-line reason on failure; commands whose
output is data accept `--json`.
"""
from kronika.cli.base import main
from kronika.cli import pipeline  # noqa: F401  (registers the commands)
from kronika.cli import data  # noqa: F401,E402  (export, timeline, plot, serve)
from kronika.cli import archive  # noqa: F401,E402  (get, verify, wacz, replay)
from kronika.cli import revisions  # noqa: F401,E402  (diff)
from kronika.cli import search  # noqa: F401,E402  (search)

__all__ = ["main"]
