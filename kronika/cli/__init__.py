"""The `kronika` command line: `main` is the console script; each module adds its commands.

Every command exits 0 on success and non-zero with a one-line reason on failure; commands whose
output is data accept `--json`.
"""
from kronika.cli import (
    archive,  # noqa: F401,E402  (get, verify, wacz, replay)
    custody,  # noqa: F401,E402  (stamp, custody, evidence, verify-package)
    data,  # noqa: F401,E402  (export, timeline, plot, serve)
    pipeline,  # noqa: F401  (registers the commands)
    revisions,  # noqa: F401,E402  (diff)
    search,  # noqa: F401,E402  (search)
)
from kronika.cli.base import main

__all__ = ["main"]
