"""Regression guards for the claims extractor's accuracy on the held-out half of
tests/data/claims/sentences.jsonl (scored by bench/claims.py; never tuned on).

The floors sit a little below what the extractor measured when they were set (docs/claims.md gives
the measured numbers); a change that falls below one has made extraction worse. Scores only, no
timing.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# measured on the held-out half when set: P 0.94-0.97, R 0.90-0.91 per language; qualifier 1.00, speaker 0.91-1.00
FLOORS = {"precision": 0.90, "recall": 0.85, "qualifier_accuracy": 0.95, "speaker_accuracy": 0.85}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_claims", ROOT / "bench" / "claims.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def held_out(bench):
    return bench.score(bench.load("test"))["scores"]


def test_the_labelled_set_is_large_enough_and_split_by_story(bench):
    rows = bench.load()
    for lang in ("en", "uk", "ru"):
        assert sum(r["lang"] == lang for r in rows) >= 100
    splits_of_story = {}
    for row in rows:
        splits_of_story.setdefault(row["story"], set()).add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of_story.values()), "a story on both sides of the split"
    assert {r["split"] for r in rows} == {"dev", "test"}


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
@pytest.mark.parametrize("measure", sorted(FLOORS))
def test_held_out_accuracy_stays_above_its_regression_guard(held_out, lang, measure):
    assert held_out[lang][measure] >= FLOORS[measure], f"{lang} {measure} {held_out[lang][measure]:.3f} < {FLOORS[measure]}"
