"""`kronika crawl SOURCE --dry-run` against the mirror through the real CLI: the start pages are
fetched, each link is judged by the spider's own rules (with the skip reason), a start page that is
not a feed, sitemap or page is told by its response (a PDF behind an extension-less URL), and
nothing is written: no archive, no database."""
from __future__ import annotations

import json

from tests.support.cli import kronika

CONFIG = """
defaults:
  download_delay: 0
  obey_robots: true
  allow_private_networks: true
  proxy: ${KRONIKA_MIRROR_PROXY}
  user_agent: "Kronika/0.1 test (+https://github.com/kronika-archive/kronika)"
sources:
  - name: herald-dry
    kind: news
    start_urls:
      - http://mirror.kronika.test/herald/rss.xml
      - http://mirror.kronika.test/lab/documents/damage-report-2026
    allowed_domains: [mirror.kronika.test]
    deny_urls: ["editors-note"]
    max_pages: 5
  - name: ova-dry
    kind: telegram
    channel: zarichna_ova
    mirror: http://mirror.kronika.test/t/s/
"""


def test_dry_run_says_what_would_be_followed_and_skipped_and_writes_nothing(tmp_path, mirror, monkeypatch):
    config = tmp_path / "sources.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {"KRONIKA_CONFIG": str(config), "KRONIKA_MIRROR_PROXY": mirror.url,
           "KRONIKA_DATABASE_URL": f"sqlite:///{tmp_path / 'kronika.db'}",
           "KRONIKA_ARCHIVE_DIR": str(tmp_path / "archive")}
    result = kronika("crawl", "herald-dry", "--dry-run", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    pages = {p["url"]: p for p in report["start_pages"]}
    assert pages["http://mirror.kronika.test/herald/rss.xml"]["kind"] == "rss"
    # no extension in the URL: the response says it is a PDF, so it is no start page
    pdf = "http://mirror.kronika.test/lab/documents/damage-report-2026"
    assert pages[pdf]["content_type"].startswith("application/pdf")
    assert any(d["url"] == pdf and d["reason"].startswith("non_html") for d in report["skip"])

    followed = [d["url"] for d in report["follow"] if d["what"] == "article"]
    assert len(followed) == 5, "max_pages: 5"
    reasons = {d["reason"] for d in report["skip"]}
    assert {"url_rule", "max_pages"} <= reasons, reasons
    assert all("editors-note" in d["url"] for d in report["skip"] if d["reason"] == "url_rule")

    # people read the same at 80 columns, the URLs whole
    table = kronika("crawl", "herald-dry", "--dry-run", env=env, columns=80)
    assert table.returncode == 0, table.stderr
    assert all(any(url in line for line in table.stdout.splitlines()) for url in followed)
    assert "url_rule" in table.stdout and "max_pages" in table.stdout

    # a Telegram source: its channel page is read, its posts listed, the older page followed
    channel = json.loads(kronika("crawl", "ova-dry", "--dry-run", "--json", env=env).stdout)
    assert channel["read"] and all(d["url"].startswith("https://t.me/zarichna_ova/") for d in channel["read"])
    assert any("before=" in d["url"] for d in channel["follow"])

    assert not (tmp_path / "archive").exists() and not (tmp_path / "kronika.db").exists(), "a dry run writes nothing"
