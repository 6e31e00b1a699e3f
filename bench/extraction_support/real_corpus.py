"""Extraction quality on real news pages nobody here wrote, scored against hand-checked labels.

The pages are other projects' test fixtures (`make corpus` puts them in the git-ignored
tests/corpus/data/); the labels are ours: tests/data/extraction_corpus/labels.json, one entry per
page with its site and its split. Sites, not pages, were split into 'dev' (tune on it) and 'test'
(held out: the figures to report) before any tuning; the rule is in that folder's README.

Body: word-4-shingle precision, recall and F1 against the expected text, averaged over pages (a
page with no text scores 0). Scripts written without spaces (Chinese, Japanese, Thai, Burmese)
count each character as a word, so those pages are scored too. Title: any of the accepted
spellings. Authors: the set of bylined names (pages whose byline names no person are not scored).
Date: the publication day as the outlet states it (pages without a stated date are not scored).
"""
from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "data"
LABELS = ROOT / "tests" / "data" / "extraction_corpus" / "labels.json"
SHINGLE = 4
# one "word" per character in scripts that do not put spaces between words
_UNSPACED = "\u0e00-\u0e7f\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+", re.U)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u3000": " "})


@dataclass
class CorpusPage:
    name: str  # path under tests/corpus/data/
    body: bytes
    label: dict

    @property
    def url(self) -> str:
        return self.label["url"]


@dataclass
class Found:
    """What one extractor said about one page."""

    text: str | None = None
    title: str | None = None
    authors: list[str] | None = None
    day: date | None = None


def corpus_present() -> bool:
    return LABELS.exists() and all((CORPUS / name).exists() for name in json.loads(LABELS.read_text("utf-8")))


def load_corpus(split: str | None = "test") -> list[CorpusPage]:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    return [CorpusPage(name, (CORPUS / name).read_bytes(), label) for name, label in sorted(labels.items())
            if split in (None, "all") or label["split"] == split]


def expected_body(page: CorpusPage) -> str:
    body = page.label["body"]
    lines = [" ".join(line.split()) for line in (CORPUS / body["expected_file"]).read_text("utf-8").splitlines()]
    not_body = {" ".join(line.split()) for line in body.get("not_body_lines", [])}
    return "\n".join(line for line in lines if line and line not in not_body)


def shingles(text: str | None) -> set[tuple[str, ...]]:
    """Word 4-grams within each paragraph (line): the order of paragraphs does not count."""
    result: set[tuple[str, ...]] = set()
    for line in (text or "").splitlines():
        words = _TOKEN_RE.findall(unicodedata.normalize("NFC", line).casefold())
        if 0 < len(words) < SHINGLE:
            result.add(tuple(words))
        result.update(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
    return result


def body_scores(predicted: str | None, truth: str) -> tuple[float, float, float]:
    got, want = shingles(predicted), shingles(truth)
    common = len(got & want)
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / len(got), common / len(want)
    return precision, recall, 2 * precision * recall / (precision + recall)


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split()).casefold()


def title_right(found: str | None, accepted: list[str]) -> bool:
    return bool(found) and _plain(found) in {_plain(t) for t in accepted}


def authors_right(found: list[str] | None, truth: list[str]) -> bool:
    return {_plain(a) for a in found or []} == {_plain(a) for a in truth}


def _stated_day(value: str) -> date:
    return datetime.fromisoformat(value).date()


def _day_in(moment: datetime, truth: str) -> date:
    """The day of `moment` where the outlet is: in the truth's UTC offset when it states one."""
    stated = datetime.fromisoformat(truth)
    if moment.tzinfo is not None and stated.tzinfo is not None:
        return moment.astimezone(stated.tzinfo).date()
    return moment.date()


# ---- the extractors -------------------------------------------------------------------------

def kronika_chain(page: CorpusPage, truth_date: str | None) -> Found:
    """The `kronika parse --json` path: raw bytes in, an ArticleRecord out."""
    from kronika.spiders.parsers.article import parse_article

    record = parse_article(page.body, page.url, "text/html")
    day = None
    if record.published_at is not None:
        # the chain keeps the page's own wording too: without an offset it means the outlet's day
        stated = None
        try:
            stated = datetime.fromisoformat(record.published_at_raw or "")
        except ValueError:
            stated = None
        moment = stated if stated is not None and stated.tzinfo is None else record.published_at
        day = _day_in(moment, truth_date) if truth_date else moment.date()
    return Found(text=record.text, title=record.title, authors=record.authors, day=day)


def _decoded(page: CorpusPage) -> str:
    from kronika.spiders.parsers.charset import decode_html

    return decode_html(page.body, "text/html")[0]


def bare_trafilatura(page: CorpusPage, truth_date: str | None) -> Found:
    import trafilatura

    raw = trafilatura.extract(_decoded(page), url=page.url, output_format="json", with_metadata=True)
    data = json.loads(raw) if raw else {}
    authors = [a.strip() for a in re.split(r";|,", data.get("author") or "") if a.strip()]
    day = None
    if data.get("date"):
        try:
            day = date.fromisoformat(data["date"][:10])
        except ValueError:
            day = None
    return Found(text=data.get("text"), title=data.get("title"), authors=authors, day=day)


def bare_htmldate(page: CorpusPage, truth_date: str | None) -> Found:
    from htmldate import find_date

    value = find_date(_decoded(page), url=page.url, extensive_search=True)
    return Found(day=date.fromisoformat(value) if value else None)


EXTRACTORS = {"kronika": kronika_chain, "trafilatura": bare_trafilatura, "htmldate": bare_htmldate}


# ---- scoring --------------------------------------------------------------------------------

def _score_page(page: CorpusPage, found: Found) -> dict:
    label = page.label
    precision, recall, f1 = body_scores(found.text, expected_body(page))
    row = {"page": page.name.rsplit("/", 1)[-1], "site": label["site"], "language": label["language"],
           "precision": precision, "recall": recall, "f1": f1, "title": title_right(found.title, label["title"])}
    if label.get("authors") is not None:
        row["authors"] = authors_right(found.authors, label["authors"])
    if label.get("published"):
        row["date"] = found.day == _stated_day(label["published"])
    return row


def _summary(rows: list[dict]) -> dict:
    summary = {"pages": len(rows)}
    for key in ("precision", "recall", "f1", "title", "authors", "date"):
        values = [float(r[key]) for r in rows if key in r]
        summary[key] = mean(values) if values else float("nan")
        summary[key + "_pages"] = len(values)
    return summary


def run_corpus(split: str = "test", extractors: tuple[str, ...] = tuple(EXTRACTORS)) -> dict:
    pages = load_corpus(split)
    result: dict = {"split": split, "pages": len(pages), "sites": len({p.label["site"] for p in pages})}
    for name in extractors:
        extractor = EXTRACTORS[name]
        if pages:  # imports and first-call set-up are not the pages' cost
            extractor(pages[0], None)
        rows, started = [], time.perf_counter()
        for page in pages:
            rows.append(_score_page(page, extractor(page, page.label.get("published"))))
        elapsed = time.perf_counter() - started
        by_language: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_language[row["language"] or "?"].append(row)
        result[name] = {"summary": _summary(rows), "rows": rows, "seconds": elapsed,
                        "languages": {lang: _summary(r) for lang, r in sorted(by_language.items())}}
    return result


def print_report(result: dict, per_page: bool = False) -> None:
    k, t, h = (result[name]["summary"] for name in ("kronika", "trafilatura", "htmldate"))
    half = "held-out half" if result["split"] == "test" else f"'{result['split']}' half (NOT held out)"
    print(f"Real news pages, {half}: {result['pages']} pages from {result['sites']} sites "
          f"(labels: tests/data/extraction_corpus), {SHINGLE}-word shingles")
    print(f"{'measure':<24}{'kronika':>9}{'baseline':>10}  baseline (pages scored)")
    for label, key, other, baseline in (
            ("body precision", "precision", t, "trafilatura.extract"),
            ("body recall", "recall", t, "trafilatura.extract"),
            ("body F1", "f1", t, "trafilatura.extract"),
            ("title accuracy", "title", t, "trafilatura.extract"),
            ("authors accuracy", "authors", t, "trafilatura.extract"),
            ("date accuracy (day)", "date", h, "htmldate.find_date extensive"),
            ("date accuracy (day)", "date", t, "trafilatura.extract")):
        print(f"{label:<24}{k[key]:>9.3f}{other[key]:>10.3f}  {baseline} ({k[key + '_pages']})")
    ratio = result["trafilatura"]["seconds"] / result["kronika"]["seconds"] if result["kronika"]["seconds"] else 0
    print(f"speed: kronika's chain runs at {ratio:.2f}x bare trafilatura's pages/s on these pages (one process)")
    print("body F1 per language (kronika / trafilatura):  " + ", ".join(
        f"{lang} {s['f1']:.3f}/{result['trafilatura']['languages'][lang]['f1']:.3f} ({s['pages']})"
        for lang, s in result["kronika"]["languages"].items()))
    if per_page:
        theirs = {r["page"]: r for r in result["trafilatura"]["rows"]}
        for row in result["kronika"]["rows"]:
            flags = "".join(c if row.get(key) else ("." if key in row else "-")
                            for c, key in (("T", "title"), ("A", "authors"), ("D", "date")))
            print(f"  {row['page'][:34]:<34} {row['language'] or '?':<3} F1 {row['f1']:.3f} "
                  f"(P {row['precision']:.2f} R {row['recall']:.2f}) vs {theirs[row['page']]['f1']:.3f}  {flags}")
