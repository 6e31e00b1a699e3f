"""Claims extractor: accuracy on the labelled sentences, and its speed.

    .venv/bin/python bench/claims.py [--split test|dev] [--errors] [--json] [--mirror]

Sentences and labels: tests/data/claims/sentences.jsonl (dev and held-out test halves, split by
story before any tuning). Each sentence goes to `extract_claims` with no language given (the guess
is part of what is measured). Per language:

- claims: precision, recall and F1 of (category, count, count_high), as multisets per sentence;
- figures: precision and recall of the counts alone (was the number found, whatever its category);
- qualifier, speaker, subset: accuracy over the claims found correctly (speaker compared as written,
  case and surrounding punctuation aside; a missing speaker must be missing).

Speed: sentences per second through `extract_claims`, against a bare regex digit scan over the same
sentences in the same run (the baseline), printed as a ratio. `--mirror` also measures what claims
would add to `kronika extract`: extract_claims over the article texts of every epoch of the bundled
mirror (and its Telegram posts) against trafilatura's extraction of the same pages (the baseline;
Kronika's own article parser does more than trafilatura, so the share is an upper bound). `--errors` lists the dev half's misses
only: the held-out half is for scoring, not for tuning. tests/unit/test_claims_quality.py keeps the
held-out scores above floors.
"""
from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "claims" / "sentences.jsonl"
sys.path.insert(0, str(ROOT))

from kronika.claims import extract_claims  # noqa: E402


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


def _speaker(value: str | None) -> str | None:
    return re.sub(r"\s+", " ", value).strip(" ,.:;\"'«»“”").lower() if value else None


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def score(rows: list[dict]) -> dict:
    """Scores per language (and 'all') for the rows, and the misses for --errors."""
    tallies: dict[str, Counter] = {}
    misses = []
    for row in rows:
        found = extract_claims(row["sentence"])
        for lang in (row["lang"], "all"):
            t = tallies.setdefault(lang, Counter())
            t["sentences"] += 1
        expected_keys = Counter((c["category"], c["count"], c["count_high"]) for c in row["claims"])
        found_keys = Counter((c.category, c.count, c.count_high) for c in found)
        matched = expected_keys & found_keys
        expected_counts = Counter(c["count"] for c in row["claims"])
        found_counts = Counter(c.count for c in found)
        matched_counts = expected_counts & found_counts
        # field accuracy over the claims found correctly: pair each expected claim with a found one
        pool = list(found)
        field_hits = Counter()
        for claim in row["claims"]:
            for candidate in pool:
                if (candidate.category, candidate.count, candidate.count_high) == (claim["category"], claim["count"], claim["count_high"]):
                    pool.remove(candidate)
                    field_hits["paired"] += 1
                    field_hits["qualifier"] += candidate.qualifier == claim["qualifier"]
                    field_hits["speaker"] += _speaker(candidate.speaker) == _speaker(claim["speaker"])
                    field_hits["subset"] += candidate.subset == claim["subset"]
                    break
        for lang in (row["lang"], "all"):
            t = tallies[lang]
            t["expected"] += sum(expected_keys.values())
            t["found"] += sum(found_keys.values())
            t["matched"] += sum(matched.values())
            t["expected_counts"] += sum(expected_counts.values())
            t["found_counts"] += sum(found_counts.values())
            t["matched_counts"] += sum(matched_counts.values())
            t.update(field_hits)
        if expected_keys != found_keys or field_hits["paired"] != field_hits["speaker"] or field_hits["paired"] != field_hits["qualifier"]:
            misses.append({"id": row["id"], "sentence": row["sentence"], "expected": row["claims"],
                           "found": [[c.category, c.count, c.count_high, c.qualifier, c.speaker, c.subset] for c in found]})
    report = {}
    for lang, t in tallies.items():
        precision = _ratio(t["matched"], t["found"])
        recall = _ratio(t["matched"], t["expected"])
        report[lang] = {
            "sentences": t["sentences"], "claims_expected": t["expected"], "claims_found": t["found"],
            "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "count_precision": _ratio(t["matched_counts"], t["found_counts"]),
            "count_recall": _ratio(t["matched_counts"], t["expected_counts"]),
            "qualifier_accuracy": _ratio(t["qualifier"], t["paired"]),
            "speaker_accuracy": _ratio(t["speaker"], t["paired"]),
            "subset_accuracy": _ratio(t["subset"], t["paired"]),
        }
    return {"scores": report, "misses": misses}


_BASELINE = re.compile(r"\d+")


def speed(rows: list[dict], rounds: int = 20) -> dict:
    """Sentences per second: extract_claims against a bare regex digit scan (same sentences, same run)."""
    sentences = [r["sentence"] for r in rows]
    extract_claims(sentences[0])  # load the dictionaries outside the timing
    start = time.perf_counter()
    for _ in range(rounds):
        for s in sentences:
            _BASELINE.findall(s)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        for s in sentences:
            extract_claims(s)
    extractor = time.perf_counter() - start
    n = len(sentences) * rounds
    return {"extractor_sentences_per_s": n / extractor, "baseline_sentences_per_s": n / baseline,
            "extractor_over_baseline_time": extractor / baseline}


def _cost(htmls: list[tuple[str, str]], posts: list[str], rounds: int) -> dict:
    """extract_claims on the trafilatura texts of the pages against trafilatura itself."""
    import trafilatura

    def trafilatura_texts():
        return [trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                    favor_precision=True, output_format="txt", with_metadata=False) or ""
                for html, url in htmls]

    texts = trafilatura_texts()
    start = time.perf_counter()
    for text in texts + posts:  # dictionaries loaded and caches warm outside the timing, as in a long extract run
        extract_claims(text)
    first_pass = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        trafilatura_texts()
    trafilatura_time = time.perf_counter() - start
    start = time.perf_counter()
    claims = 0
    for _ in range(rounds):
        claims = sum(len(extract_claims(text)) for text in texts)
    claims_time = time.perf_counter() - start
    result = {"pages": len(htmls), "claims_in_pages": claims,
              "trafilatura_ms_per_page": 1000 * trafilatura_time / rounds / len(htmls),
              "claims_ms_per_page": 1000 * claims_time / rounds / len(htmls),
              "claims_over_trafilatura": claims_time / trafilatura_time, "first_pass_s": first_pass}
    if posts:
        start = time.perf_counter()
        for _ in range(rounds):
            result["claims_in_posts"] = sum(len(extract_claims(text)) for text in posts)
        result.update(posts=len(posts), claims_ms_per_post=1000 * (time.perf_counter() - start) / rounds / len(posts))
    return result


def scale_site_cost(pages: int = 200, rounds: int = 3) -> dict:
    """The same on bench/scale.py's generated pages: word salad with 'hospital' and 'thousand' in it,
    so most texts pass the pre-filter's category test and none has a claim (a typical non-war page)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale_support.generated_site import article_html, article_path

    htmls = [(article_html(n, pages), "http://127.0.0.1" + article_path(n)) for n in range(pages)]
    return _cost(htmls, [], rounds)


def mirror_cost(rounds: int = 5) -> dict:
    """extract_claims on the mirror's article texts against trafilatura on the same pages."""

    from kronika.mirror.site import MirrorSite, max_epoch

    pages: dict[bytes, str] = {}
    posts: set[str] = set()
    for epoch in range(max_epoch() + 1):
        site = MirrorSite(epoch)
        for article in site.expected_articles("http://127.0.0.1"):
            path = article.url.removeprefix("http://127.0.0.1")
            page = site.page(path)
            if page is not None and page.status == 200:
                pages[page.body] = article.url
        posts.update(p.text for p in site.expected_posts() if p.text)
    htmls = [(body.decode("utf-8"), url) for body, url in pages.items()]
    return _cost(htmls, sorted(posts), rounds)


def main(argv: list[str]) -> int:
    split = "dev" if "--split" in argv and argv[argv.index("--split") + 1] == "dev" else "test"
    rows = load(split)
    result = score(rows)
    result["speed"] = speed(load())
    if "--mirror" in argv:
        result["mirror"] = mirror_cost()
        result["scale_site"] = scale_site_cost()
    if "--json" in argv:
        print(json.dumps({"split": split, "scores": result["scores"], "speed": result["speed"],
                          "mirror": result.get("mirror"), "scale_site": result.get("scale_site")}, indent=2))
    else:
        print(f"claims extractor on the {split} half ({len(rows)} sentences)")
        print(f"{'lang':5} {'sent':>5} {'exp':>4} {'found':>5} {'P':>6} {'R':>6} {'F1':>6} {'cntP':>6} {'cntR':>6} {'qual':>6} {'spkr':>6} {'subset':>6}")
        for lang in ("en", "uk", "ru", "all"):
            s = result["scores"].get(lang)
            if s:
                print(f"{lang:5} {s['sentences']:5} {s['claims_expected']:4} {s['claims_found']:5} {s['precision']:6.3f} {s['recall']:6.3f} "
                      f"{s['f1']:6.3f} {s['count_precision']:6.3f} {s['count_recall']:6.3f} {s['qualifier_accuracy']:6.3f} "
                      f"{s['speaker_accuracy']:6.3f} {s['subset_accuracy']:6.3f}")
        sp = result["speed"]
        print(f"speed: {sp['extractor_sentences_per_s']:.0f} sentences/s; bare regex digit scan "
              f"{sp['baseline_sentences_per_s']:.0f}/s; extractor takes {sp['extractor_over_baseline_time']:.1f}x the baseline's time")
        if "mirror" in result:
            m = result["mirror"]
            print(f"mirror: {m['pages']} article pages ({m['claims_in_pages']} claims): trafilatura {m['trafilatura_ms_per_page']:.2f} ms/page, "
                  f"extract_claims {m['claims_ms_per_page']:.3f} ms/page = {100 * m['claims_over_trafilatura']:.1f}% of trafilatura's time; "
                  f"{m['posts']} post texts ({m['claims_in_posts']} claims) {m['claims_ms_per_post']:.3f} ms/post; "
                  f"first pass with dictionary loading {m['first_pass_s']:.2f} s (once per process)")
            m = result["scale_site"]
            print(f"scale site: {m['pages']} generated pages ({m['claims_in_pages']} claims): trafilatura {m['trafilatura_ms_per_page']:.2f} ms/page, "
                  f"extract_claims {m['claims_ms_per_page']:.3f} ms/page = {100 * m['claims_over_trafilatura']:.1f}% of trafilatura's time")
    if "--errors" in argv:
        if split != "dev":
            print("--errors lists the dev half only (--split dev): the held-out half is not for tuning", file=sys.stderr)
            return 2
        for miss in result["misses"]:
            print(json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
