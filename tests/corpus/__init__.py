"""The real-world corpus (`make corpus`): fixture files of other open-source projects, from PyPI.

Not committed (tests/corpus/fetch.py says where each file comes from, and data/SOURCES.md lists
each file's origin and licence once downloaded). Tests that read it call `corpus()`, which skips
them with a reason when it is absent.
"""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def corpus() -> Path:
    if not (DATA / "SOURCES.md").exists():
        pytest.skip("the real-world corpus is not downloaded: run `make corpus` (it fetches sdists from PyPI)")
    return DATA
