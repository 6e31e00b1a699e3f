"""Comparing what Kronika stored with what the mirror serves, and running the real validators."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from kronika.mirror.server import VIRTUAL_BASE_URL
from kronika.mirror.site import MirrorSite
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import (
    Article,
    ArticleVersion,
    Capture,
    TelegramPost,
    TelegramPostVersion,
    TelegramPostView,
    WarcFile,
)
from tests.conftest import ROOT
from tests.support.warc import assert_warcio_check

OUTLET_SOURCES = {"herald": "riverside-herald", "vistnyk": "zarichna-vistnyk"}


def row_counts(database_url: str) -> dict[str, int]:
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Article, ArticleVersion, TelegramPost, TelegramPostVersion, TelegramPostView,
                              Capture, WarcFile)}


def assert_database_matches_mirror(database_url: str, epoch: int = 0) -> None:
    """Every article and post of the mirror is stored, with the mirror's own values, and nothing else."""
    site = MirrorSite(epoch=epoch)
    expected_articles = {a.url: a for a in site.expected_articles(VIRTUAL_BASE_URL)}
    expected_posts = {(p.channel, p.post_id): p for p in site.expected_posts()}
    engine = open_database(database_url)
    with unit_of_work(engine) as session:
        articles = {a.url: a for a in session.scalars(select(Article))}
        posts = {(p.channel, p.post_id): p for p in session.scalars(select(TelegramPost))}
    assert set(articles) == set(expected_articles), (
        f"missing {sorted(set(expected_articles) - set(articles))}, extra {sorted(set(articles) - set(expected_articles))}")
    for url, expected in expected_articles.items():
        stored = articles[url]
        assert stored.source == OUTLET_SOURCES[expected.outlet]
        assert stored.title == expected.title, url
        assert stored.published_at == expected.published_at, url
        assert sorted(stored.authors) == sorted(expected.authors), url
        assert stored.language == expected.language, url
        for paragraph in expected.paragraphs:
            assert " ".join(paragraph.split()) in " ".join(stored.text.split()), f"{url}: lost {paragraph[:60]!r}"
    assert set(posts) == set(expected_posts), (
        f"missing {sorted(set(expected_posts) - set(posts))}, extra {sorted(set(posts) - set(expected_posts))}")
    for key, expected in expected_posts.items():
        stored = posts[key]
        assert stored.url == expected.url
        assert stored.text == expected.text, key
        assert stored.views == expected.views_parsed, key
        assert stored.edited == expected.edited, key
        assert stored.posted_at == expected.posted_at, key
        assert stored.is_service == expected.is_service, key


def run_crawl_job(job: dict, work: Path, name: str, timeout: int = 120) -> tuple[dict, subprocess.CompletedProcess]:
    """One crawl as the Airflow task runs it (`python -m kronika.spiders.run JOB`): its stats, its process."""
    stats_file = work / f"{name}-stats.json"
    job_path = work / f"{name}.json"
    job_path.write_text(json.dumps(job | {"stats_file": str(stats_file)}))
    result = subprocess.run([sys.executable, "-m", "kronika.spiders.run", str(job_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=timeout)
    return json.loads(stats_file.read_text()) if stats_file.exists() else {}, result


def warc_files(archive_dir: Path) -> list[Path]:
    return sorted(Path(archive_dir).glob("*/*.warc.gz"))


def assert_warcio_check_passes(archive_dir: Path) -> None:
    files = warc_files(archive_dir)
    assert files, "no WARC files were written"
    assert not list(Path(archive_dir).glob("*/*.open")), "a WARC file was left open"
    assert_warcio_check(*files)
