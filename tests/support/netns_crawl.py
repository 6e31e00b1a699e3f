"""A crawl inside a private network namespace where one server has a truly public address.

Run as `unshare --net python tests/support/netns_crawl.py OUT_DIR` (root): the new namespace has
only its own loopback device, so giving it the global address 93.184.216.34 and the cloud
metadata address 169.254.169.254 touches nothing outside. Three servers on port 8080:

- 93.184.216.34 ("public", as news.example.com): `/article` is a page; `/to-loopback`,
  `/to-metadata` and `/to-rebound` redirect to the two private servers, the last through a
  public-looking name (internal.example.com) that the test resolver points at 127.0.0.1;
- 127.0.0.1 and 169.254.169.254 ("private"): must never be asked for anything.

The news spider crawls the four public URLs with the network guard on. Writes OUT_DIR/result.json:
each server's hits, the crawl's stats and the archived responses.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC, METADATA, LOOPBACK = "93.184.216.34", "169.254.169.254", "127.0.0.1"
PORT = 8080
REDIRECTS = {"/to-loopback": f"http://{LOOPBACK}:{PORT}/secret",
             "/to-metadata": f"http://{METADATA}:{PORT}/latest/meta-data/",
             "/to-rebound": f"http://internal.example.com:{PORT}/secret"}


def serve(address: str, hits: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            if self.path in REDIRECTS and address == PUBLIC:
                self.send_response(301)
                self.send_header("Location", REDIRECTS[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = f"<html><head><title>{address}{self.path}</title></head><body><p>served by {address}</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(out: Path) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in (PUBLIC, METADATA):
        subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    hits: dict[str, list[str]] = {PUBLIC: [], LOOPBACK: [], METADATA: []}
    servers = [serve(address, hits[address]) for address in hits]
    warc_dir = out / "warc"
    job = {"spider": "news",
           "spider_args": {"start_urls": [f"http://news.example.com:{PORT}{path}"
                                          for path in ("/article", *REDIRECTS)],
                           "allowed_domains": ["news.example.com", "internal.example.com", LOOPBACK, METADATA],
                           "max_depth": 0, "max_pages": 10},
           "settings": {"KRONIKA_WARC_DIR": str(warc_dir), "KRONIKA_ALLOW_PRIVATE_NETWORKS": False,
                        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "INFO", "RETRY_ENABLED": False,
                        "TWISTED_DNS_RESOLVER": "tests.support.dns.FixedHostsResolver",
                        "KRONIKA_TEST_HOSTS": {"news.example.com": PUBLIC, "internal.example.com": LOOPBACK}},
           "stats_file": str(out / "stats.json")}
    (out / "job.json").write_text(json.dumps(job))
    crawl = subprocess.run([sys.executable, "-m", "kronika.spiders.run", str(out / "job.json")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    for server in servers:
        server.shutdown()
    sys.path.insert(0, str(ROOT))
    from kronika.storage.warc.reader import scan

    records = [{"url": r.url, "status": r.status, "type": r.rec_type}
               for path in sorted(warc_dir.glob("*.warc.gz")) for r in scan(path)
               if r.rec_type in ("response", "revisit")]
    (out / "result.json").write_text(json.dumps({
        "hits": hits, "returncode": crawl.returncode, "log": crawl.stderr[-20000:], "records": records,
        "stats": json.loads((out / "stats.json").read_text()) if (out / "stats.json").exists() else {}}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
