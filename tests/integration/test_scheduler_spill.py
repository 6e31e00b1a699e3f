"""A real crawl whose waiting requests spill to disk fetches and archives what one in memory does."""
from __future__ import annotations

from pathlib import Path

from kronika.storage.warc.reader import scan
from tests.integration.helpers import assert_warcio_check_passes, run_crawl_job


def crawl(tmp_path: Path, name: str, start_url: str, settings: dict) -> dict:
    warc_dir = tmp_path / name / "herald"
    job = {"spider": "news",
           "spider_args": {"start_urls": [start_url], "allowed_domains": ["127.0.0.1"], "max_depth": 1,
                           "max_pages": 500},
           "settings": {"KRONIKA_WARC_DIR": str(warc_dir), "KRONIKA_ALLOW_PRIVATE_NETWORKS": True,
                        "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "LOG_LEVEL": "INFO"} | settings}
    stats, result = run_crawl_job(job, tmp_path, name, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    paths = sorted(warc_dir.glob("*.warc.gz"))
    urls = sorted(r.url for path in paths for r in scan(path) if r.rec_type == "response")
    return {"stats": stats, "urls": urls, "archive": tmp_path / name}


def test_a_crawl_that_spills_its_queue_to_disk_archives_the_same_pages(tmp_path, mirror):
    start = f"{mirror.url}/herald/sitemap.xml"
    in_memory = crawl(tmp_path, "memory", start, {"SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.LifoMemoryQueue"})
    spilling = crawl(tmp_path, "spilling", start, {"KRONIKA_SCHEDULER_KEEP": 2})
    assert len(in_memory["urls"]) > 10, "the sitemap lists enough articles to make a backlog"
    assert spilling["stats"].get("kronika/scheduler/spilled", 0) > 0, "requests went to disk and came back"
    assert "kronika/scheduler/spilled" not in in_memory["stats"]
    assert spilling["urls"] == in_memory["urls"], "nothing lost, nothing fetched twice"
    assert spilling["stats"]["kronika/articles_scheduled"] == in_memory["stats"]["kronika/articles_scheduled"]
    assert_warcio_check_passes(spilling["archive"])
