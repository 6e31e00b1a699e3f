"""The skips CI accepts (`pytest --fail-on-skip`, which `.ci/run` passes): each with the reason why.

CI runs as root on Linux with PostgreSQL, Redis and RabbitMQ up, and `make test` installs what the
other tests need (pywb, Debian's chromium, the real-world corpus). So every skip there is a
requirement that went missing, and it fails the run, unless it is listed here. An entry matches a
test by its node id (an fnmatch pattern) AND by the skip's message (a substring), so a test listed
for one reason still fails when it skips for another.

Add an entry only for a skip that cannot happen in CI or that CI cannot reasonably provide, and say
why in `why`. Removing a requirement from a make target is not a reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class AllowedSkip:
    tests: str  # fnmatch pattern on the node id, e.g. "tests/faults/test_x.py::*"
    message: str  # a substring of the skip's message
    why: str  # why CI may skip it


ALLOWED: tuple[AllowedSkip, ...] = (
    AllowedSkip("tests/unit/test_writer_process.py::*", "PR_SET_PDEATHSIG is Linux's",
                "a Linux-only kernel feature; on Linux (CI) it runs"),
    AllowedSkip("tests/*", "finds the crawl process through /proc",
                "needs /proc, which only Linux has; on Linux (CI) it runs"),
    AllowedSkip("tests/*", "finds the writer process through /proc",
                "needs /proc, which only Linux has; on Linux (CI) it runs"),
)


def allowed(nodeid: str, message: str) -> AllowedSkip | None:
    """The entry that lets this skip through, or None."""
    for entry in ALLOWED:
        if fnmatchcase(nodeid, entry.tests) and entry.message in message:
            return entry
    return None
