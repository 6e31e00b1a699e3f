"""Held-out floors on real news pages: regression guards, not targets.

bench/extraction_support/real_corpus.py scores Kronika's chain on the held-out ('test') half of the
real-world corpus (tests/data/extraction_corpus). The floors below sit just under the figures
measured when they were set (docs/extraction.md); they fail when a change makes extraction on
pages nobody here chose worse. The pages come from `make corpus`; without them those tests skip.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# HELD-OUT FLOORS (regression guards; measured on the 'test' split, never tuned on)
FLOORS = {"f1": 0.96, "title": 0.95, "authors": 0.75, "date": 0.95}


@pytest.fixture(scope="module")
def corpus():
    path = ROOT / "bench" / "extraction_support" / "real_corpus.py"
    spec = importlib.util.spec_from_file_location("bench_real_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_labels_split_by_site_before_tuning(corpus):
    labels = json.loads(corpus.LABELS.read_text(encoding="utf-8"))
    sides: dict[str, set[str]] = {}
    for name, label in labels.items():
        assert label["split"] in ("dev", "test"), name
        assert label["title"] and label["url"].startswith("http"), name
        assert label["body"]["expected_file"], name
        sides.setdefault(label["site"], set()).add(label["split"])
    assert all(len(s) == 1 for s in sides.values()), "a site's template must be on one side only"
    assert {"dev", "test"} == {s for both in sides.values() for s in both}


def test_shingles_count_unspaced_scripts_by_character(corpus):
    assert len(corpus.shingles("外国专家：中美合作")) == 5  # 8 characters -> 5 four-grams
    assert corpus.shingles("one two three four five") == {("one", "two", "three", "four"),
                                                         ("two", "three", "four", "five")}
    assert corpus.body_scores("a b c d", "a b c d") == (1.0, 1.0, 1.0)
    assert corpus.body_scores(None, "a b c d") == (0.0, 0.0, 0.0)


def test_held_out_floors(corpus):
    if not corpus.corpus_present():
        pytest.skip("real-world corpus absent (run `make corpus`): held-out floors not checked")
    summary = corpus.run_corpus("test", extractors=("kronika",))["kronika"]["summary"]
    for key, floor in FLOORS.items():
        assert summary[key] >= floor, f"held-out {key} {summary[key]:.3f} fell below its floor {floor}"
