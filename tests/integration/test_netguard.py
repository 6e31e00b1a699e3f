"""The network guard on real crawls: private addresses are refused unless a source allows them,
judged by the address actually connected to (a DNS answer pointing at 127.0.0.1 is caught)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kronika.storage.warc.reader import scan
from tests.conftest import ROOT
from tests.integration.helpers import run_crawl_job


def crawl(tmp_path: Path, start_url: str, allow_private: bool, hosts: dict[str, str]) -> dict:
    warc_dir = tmp_path / ("allowed" if allow_private else "guarded")
    job = {"spider": "news",
           "spider_args": {"start_urls": [start_url], "allowed_domains": ["news.example.com", "127.0.0.1"],
                           "max_depth": 0, "max_pages": 5},
           "settings": {"KRONIKA_WARC_DIR": str(warc_dir), "KRONIKA_ALLOW_PRIVATE_NETWORKS": allow_private,
                        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "INFO",
                        "TWISTED_DNS_RESOLVER": "tests.support.dns.FixedHostsResolver", "KRONIKA_TEST_HOSTS": hosts}}
    stats, result = run_crawl_job(job, tmp_path, "job")
    records = [r for path in sorted(warc_dir.glob("*.warc.gz")) for r in scan(path)
               if r.rec_type in ("response", "revisit")]
    return {"stats": stats, "records": records, "log": result.stderr}


def test_a_public_looking_name_resolving_to_loopback_is_refused_and_not_archived(tmp_path, mirror):
    url = f"http://news.example.com:{mirror.port}/herald/rss.xml"
    guarded = crawl(tmp_path, url, allow_private=False, hosts={"news.example.com": "127.0.0.1"})
    assert guarded["stats"].get("kronika/netguard/refused", 0) >= 1
    assert guarded["records"] == [], "a refused response is never archived"
    assert mirror.hits["/herald/rss.xml"] == 0, "refused when connecting: the request never left"
    assert "not a public address" in guarded["log"]
    # the same crawl is allowed when the source opts in (the demo's mirror does)
    allowed = crawl(tmp_path, url, allow_private=True, hosts={"news.example.com": "127.0.0.1"})
    assert [r.url for r in allowed["records"]][:1] == [url]
    assert allowed["stats"].get("kronika/netguard/refused", 0) == 0


def test_an_ip_literal_on_loopback_is_refused_before_any_request(tmp_path, mirror):
    guarded = crawl(tmp_path, f"{mirror.url}/herald/rss.xml", allow_private=False, hosts={})
    assert guarded["stats"].get("kronika/netguard/refused", 0) >= 1
    assert guarded["records"] == []
    assert mirror.hits["/herald/rss.xml"] == 0, "the request never left"


def test_a_redirect_is_judged_before_it_is_followed(tmp_path, mirror):
    # /vistnyk/page/1/ answers 301 -> /vistnyk/. The guard sits outside the redirect middleware, so
    # the 301 from a private address is refused and its target never requested. (A redirect from a
    # truly public address: the next test.)
    url = f"http://news.example.com:{mirror.port}/vistnyk/page/1/"
    guarded = crawl(tmp_path, url, allow_private=False, hosts={"news.example.com": "127.0.0.1"})
    assert guarded["records"] == [] and mirror.hits["/vistnyk/"] == 0


def _crawl_in_private_network(tmp_path: Path) -> dict:
    """tests/support/netns_crawl.py in a network namespace of its own (root and `unshare` needed)."""
    import os
    import shutil

    import pytest

    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root with `unshare` and `ip` (a private network namespace holds the public address)")
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.strip()}")
    result = subprocess.run(["unshare", "--net", sys.executable, str(ROOT / "tests" / "support" / "netns_crawl.py"),
                             str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((tmp_path / "result.json").read_text())


def test_a_redirect_from_a_public_address_to_private_ones_is_refused(tmp_path):
    # a server on a truly public address (93.184.216.34, in a private network namespace) redirects
    # to 127.0.0.1, to the cloud metadata address and to a public-looking name resolving to 127.0.0.1
    outcome = _crawl_in_private_network(tmp_path)
    hits, stats = outcome["hits"], outcome["stats"]
    assert outcome["returncode"] == 0, outcome["log"][-3000:]
    # the public server is crawled: the guard does not simply refuse everything
    assert sorted(hits["93.184.216.34"]) == ["/article", "/to-loopback", "/to-metadata", "/to-rebound"]
    archived = {(r["url"].split(":8080", 1)[1], r["status"]) for r in outcome["records"]}
    assert ("/article", 200) in archived and ("/to-loopback", 301) in archived
    # no private server was asked for anything, nothing private was archived
    assert hits["169.254.169.254"] == [], "the cloud metadata address was reached"
    # the rebinding case too: internal.example.com's answer is judged before connecting
    assert hits["127.0.0.1"] == [], "a private server received a request"
    assert not [r for r in outcome["records"] if "/secret" in r["url"] or "meta-data" in r["url"]]
    assert stats["kronika/netguard/refused"] == 3
    assert "not a public address" in outcome["log"]
