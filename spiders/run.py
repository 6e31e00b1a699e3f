"""Run one crawl in this process: `python -m kronika.spiders.run JOB.json`.

The crawl step (kronika.steps.crawl) writes the job file: the spider's name and arguments and the
Scrapy settings for the source. One process per crawl keeps Twisted's reactor single-use and lets
a crawl be killed without touching its caller. Stats are written to the job's `stats_file`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    settings = Settings()
    settings.setmodule("kronika.spiders.settings", priority="project")
    settings.setdict(job["settings"], priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(job["spider"])
    process.crawl(crawler, **job.get("spider_args", {}))
    process.start()
    stats = crawler.stats.get_stats()
    Path(job["stats_file"]).write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
    return 0 if stats.get("finish_reason") in ("finished", "closespider_pagecount") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
