"""Extraction quality: Kronika's chain against bare trafilatura and bare htmldate, same pages.

    .venv/bin/python bench/extraction.py [--json] [--per-page] [--split dev|test] [--corpus-only]

Two sets of pages. First our own (below); then the real-world corpus (real news pages from
other projects' sdists, `make corpus`, labelled in tests/data/extraction_corpus/labels.json and
split by site): its held-out half ('test', the default) is the figure to report, `--split dev`
the half to tune on. See docs/extraction.md.

Pages and hand-written ground truth: tests/data/extraction/ (NN-template-slug.html + .json).
Body text is scored with word-shingle precision, recall and F1 (3-word shingles, lower-cased,
averaged over pages: a page with no text scores 0); title, authors (as a set) and the
publication date as field accuracy. Dates are scored at the day the outlet states (the only
precision htmldate gives) and, for the chain, also to the minute. tests/unit/test_extraction_quality.py
imports this module and keeps the chain's scores from falling below the level reached.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "extraction"
SHINGLE = 3
_WORD_RE = re.compile(r"\w+", re.U)


@dataclass
class Page:
    stem: str
    html: str
    truth: dict

    @property
    def url(self) -> str:
        return self.truth["url"]


@dataclass
class Answer:
    """What one extractor said about one page."""

    text: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None  # aware, or naive meaning "this day as the page states it"
    modified: datetime | None = None
    day_only: bool = False
    paywalled: bool | None = None


def load_pages() -> list[Page]:
    pages = []
    for truth_file in sorted(DATA.glob("[0-9][0-9]-*.json")):
        html = truth_file.with_suffix(".html").read_text(encoding="utf-8")
        pages.append(Page(truth_file.stem, html, json.loads(truth_file.read_text(encoding="utf-8"))))
    return pages


def shingles(text: str | None) -> set[tuple[str, ...]]:
    """Word n-grams within each paragraph (line): the order of paragraphs does not count."""
    result: set[tuple[str, ...]] = set()
    for line in (text or "").splitlines():
        words = _WORD_RE.findall(line.lower())
        if 0 < len(words) < SHINGLE:
            result.add(tuple(words))
        result.update(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return result


def body_scores(predicted: str | None, truth: str) -> tuple[float, float, float]:
    got, want = shingles(predicted), shingles(truth)
    if not got or not want:
        return 0.0, 0.0, 0.0
    common = len(got & want)
    precision, recall = common / len(got), common / len(want)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def _same_text(a: str | None, b: str | None) -> bool:
    return bool(a) and " ".join(a.split()).casefold() == " ".join((b or "").split()).casefold()


def _same_people(a: list[str], b: list[str]) -> bool:
    return bool(a) and {" ".join(x.split()).casefold() for x in a} == {" ".join(x.split()).casefold() for x in b}


def _same_day(answer: Answer, truth: datetime) -> bool:
    if answer.published is None:
        return False
    if answer.day_only or answer.published.tzinfo is None:
        return answer.published.date() == truth.date()
    return answer.published.astimezone(truth.tzinfo).date() == truth.date()


def _same_minute(answer: Answer, truth: datetime) -> bool:
    return (answer.published is not None and not answer.day_only and answer.published.tzinfo is not None
            and abs((answer.published - truth).total_seconds()) < 60)


# ---- the extractors -------------------------------------------------------------------------

def kronika_chain(page: Page) -> Answer:
    from kronika.spiders.parsers.article import parse_article

    record = parse_article(page.html.encode("utf-8"), page.url, "text/html; charset=utf-8")
    return Answer(text=record.text, title=record.title, authors=record.authors, published=record.published_at,
                  modified=record.modified_at, paywalled=record.paywalled)


def bare_trafilatura(page: Page) -> Answer:
    import trafilatura

    raw = trafilatura.extract(page.html, url=page.url, output_format="json", with_metadata=True)
    data = json.loads(raw) if raw else {}
    authors = [a.strip() for a in re.split(r";|,", data.get("author") or "") if a.strip()]
    published = None
    if data.get("date"):
        try:
            published = datetime.fromisoformat(data["date"][:10])
        except ValueError:
            published = None
    return Answer(text=data.get("text"), title=data.get("title"), authors=authors, published=published, day_only=True)


def bare_htmldate(page: Page) -> Answer:
    from htmldate import find_date

    value = find_date(page.html, url=page.url, extensive_search=True)
    return Answer(published=datetime.fromisoformat(value) if value else None, day_only=True)


# ---- scoring --------------------------------------------------------------------------------

def score(pages: list[Page], extractor) -> dict:
    rows = []
    for page in pages:
        answer = extractor(page)
        truth = page.truth
        published = datetime.fromisoformat(truth["published"])
        precision, recall, f1 = body_scores(answer.text, "\n".join(truth["body"]))
        rows.append({
            "page": page.stem, "template": truth["template"], "precision": precision, "recall": recall, "f1": f1,
            "title": _same_text(answer.title, truth["title"]),
            "authors": _same_people(answer.authors, truth["authors"]),
            "date_day": _same_day(answer, published), "date_minute": _same_minute(answer, published),
            "paywalled": answer.paywalled == truth["paywalled"],
            "modified": (answer.modified == datetime.fromisoformat(truth["modified"]) if truth.get("modified")
                         else answer.modified in (None, published)),
        })
    summary = {key: mean(float(r[key]) for r in rows)
               for key in ("precision", "recall", "f1", "title", "authors", "date_day", "date_minute", "paywalled",
                                "modified")}
    summary["pages"] = len(rows)
    return {"summary": summary, "rows": rows}


def run() -> dict:
    pages = load_pages()
    return {"pages": len(pages), "templates": len({p.truth["template"] for p in pages}),
            "kronika": score(pages, kronika_chain), "trafilatura": score(pages, bare_trafilatura),
            "htmldate": score(pages, bare_htmldate)}


def _ratio(a: float, b: float) -> str:
    if b != b:  # NaN: no baseline measures this
        return "-"
    return f"{a / b:.2f}x" if b else ("inf" if a else "-")


def _summaries(result: dict) -> dict:
    return {name: result[name]["summary"] for name in ("kronika", "trafilatura", "htmldate")}


def main(argv: list[str]) -> int:
    split = argv[argv.index("--split") + 1] if "--split" in argv else "test"
    as_json = "--json" in argv
    measured: dict = {}
    if "--corpus-only" not in argv:
        own = run()
        measured["own_pages"] = _summaries(own)
        if not as_json:
            _print_own_pages(own, argv)
            print()
    corpus = _real_corpus(split)
    measured["real_corpus"] = {"split": split, **_summaries(corpus)} if corpus else None
    if as_json:
        print(json.dumps(measured, indent=1))
    elif corpus is None:
        print("real-world corpus absent: run `make corpus` to measure on real pages")
    else:
        _print_real_corpus(corpus, per_page="--per-page" in argv)
    return 0


def _real_corpus(split: str) -> dict | None:
    # imported here: bench/ is not a package, and this file also runs as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from extraction_support.real_corpus import corpus_present, run_corpus

    return run_corpus(split) if corpus_present() else None


def _print_real_corpus(result: dict, per_page: bool) -> None:
    from extraction_support.real_corpus import print_report

    print_report(result, per_page=per_page)


def _print_own_pages(result: dict, argv: list[str]) -> None:
    k, t, h = (result[name]["summary"] for name in ("kronika", "trafilatura", "htmldate"))
    print(f"Extraction quality on {result['pages']} pages in {result['templates']} templates "
          f"(tests/data/extraction), {SHINGLE}-word shingles")
    print(f"{'measure':<28}{'kronika':>10}{'baseline':>10}{'ratio':>8}  baseline")
    lines = [
        ("body precision", k["precision"], t["precision"], "trafilatura.extract"),
        ("body recall", k["recall"], t["recall"], "trafilatura.extract"),
        ("body F1", k["f1"], t["f1"], "trafilatura.extract"),
        ("title accuracy", k["title"], t["title"], "trafilatura.extract"),
        ("authors accuracy", k["authors"], t["authors"], "trafilatura.extract"),
        ("date accuracy (day)", k["date_day"], h["date_day"], "htmldate.find_date extensive"),
        ("date accuracy (day)", k["date_day"], t["date_day"], "trafilatura.extract"),
        ("date accuracy (minute)", k["date_minute"], h["date_minute"], "htmldate (gives days only)"),
        ("modified accuracy", k["modified"], float("nan"), "(exact, or none stated)"),
        ("paywall flag accuracy", k["paywalled"], float("nan"), ""),
    ]
    for name, ours, theirs, baseline in lines:
        shown = "-" if theirs != theirs else f"{theirs:.3f}"
        print(f"{name:<28}{ours:>10.3f}{shown:>10}{_ratio(ours, theirs):>8}  {baseline}")
    if "--per-page" in argv:
        by_page = {r["page"]: r for r in result["trafilatura"]["rows"]}
        for row in result["kronika"]["rows"]:
            other = by_page[row["page"]]
            flags = "".join(c if row[key] else "." for c, key in (("T", "title"), ("A", "authors"), ("D", "date_day")))
            print(f"  {row['page'][:60]:<60} F1 {row['f1']:.2f} vs {other['f1']:.2f}  {flags}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
