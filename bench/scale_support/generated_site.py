"""A generated news site and Telegram channel of any size, served on loopback for bench/scale.py.

    .venv/bin/python bench/scale_support/generated_site.py --pages N --posts M [--server asyncio|threading]

Article pages are generated from their number alone (seeded pseudo-random words), so every run
and every process sees the same bytes: ~35-46 KB of HTML each (mean 40), with what real news pages carry
around the story (inline CSS and scripts, navigation, JSON-LD, related and most-read lists, a
footer). They are listed by a sitemap index of sitemaps of 1,000 URLs. The channel's history
pages are rendered by the bundled mirror's own Telegram templates (kronika.mirror.site) over M
generated posts, 20 to a page.

Every article response (gzip-compressed, as a real server sends it) is built before the server
starts, so serving is a dictionary look-up and the server's cost is the network loop alone. Two
loops: `asyncio` (one thread, asyncio.Protocol, keep-alive) and `threading` (the stdlib
ThreadingHTTPServer), to show whether the latter limits a crawl. This file lives in a
subdirectory so that `make bench` (bench/*.py) does not run it as a benchmark.

On start it prints one JSON line to stdout: {"port", "pages", "posts", "raw_html_bytes", "gzip_bytes"}.
"""
from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PER_SITEMAP = 1000
CHANNEL = "zarichna_ova"  # the mirror's channel name: its templates render the history pages
START = datetime(2025, 6, 1, 6, 0, tzinfo=timezone.utc)

_WORDS = ("council budget river bridge school hospital election mayor district water heating road "
          "transport tram market winter harvest factory court police festival museum library theatre "
          "volunteers minister deputy region village shelter power grid repair tender contract audit "
          "report session vote agreed delayed announced opened closed residents families teachers "
          "doctors workers farmers drivers students pensioners statement evening morning week month "
          "year plan project funding grant hryvnia percent thousand million kilometres square new old "
          "main central northern southern eastern western first second third final official public").split()
_NAMES = ("Olena Koval", "Taras Melnyk", "Iryna Bondar", "Andriy Shevchuk", "Maria Tkachenko",
          "Petro Kravets", "Sofia Oliynyk", "Dmytro Lysenko", "Nadia Marchenko", "Oleh Savchenko")
_SECTIONS = ("politics", "economy", "city", "region", "culture", "sport", "health", "education")

# what every page carries whatever the story: the same bytes on each page (they compress well)
_CSS = "\n".join(f".c{n}{{margin:{n % 7}px {n % 5}px;padding:{n % 3}px;color:#{(n * 2654435761) % 0xFFFFFF:06x}}}"
                 for n in range(260))
_SCRIPT = "\n".join(f"window.__k{n}=function(a,b){{return (a*{n}+b)%{n + 7};}};" for n in range(220))
_FOOTER_LINKS = "".join(f"<li><a href=\"/news/info/{n}.html\">Service page {n}</a></li>" for n in range(40))
_NAV = "".join(f"<li><a href=\"/news/section/{s}/\">{s.title()}</a></li>" for s in _SECTIONS)


def published(number: int) -> datetime:
    return START + timedelta(minutes=7 * number)


def article_path(number: int) -> str:
    day = published(number)
    return f"/news/{day:%Y/%m/%d}/story-{number}.html"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def _title(number: int) -> str:
    rng = random.Random(number * 7919 + 1)
    return " ".join(rng.choices(_WORDS, k=rng.randint(5, 9))).capitalize() + f" ({number})"


def article_html(number: int, pages: int) -> str:
    """Article page `number` of a site of `pages`: the same string for the same arguments."""
    rng = random.Random(number)
    title = _title(number)
    lead = _sentence(rng, 14, 24)
    authors = rng.sample(_NAMES, rng.randint(1, 2))
    section = _SECTIONS[number % len(_SECTIONS)]
    when = published(number).isoformat()
    paragraphs = "\n".join(f"<p>{' '.join(_sentence(rng, 8, 22) for _ in range(rng.randint(3, 6)))}</p>"
                           for _ in range(rng.randint(8, 24)))
    related = "".join(
        f"<li><a href=\"{article_path(other)}\">{_title(other)}</a><p>{_sentence(rng, 10, 18)}</p></li>"
        for other in ((number + k * 37) % pages for k in range(1, 9)))
    most_read = "".join(f"<li><a href=\"{article_path(other)}\">{_title(other)}</a></li>"
                        for other in ((number * 13 + k * 101) % pages for k in range(10)))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "description": lead, "datePublished": when, "articleSection": section,
                     "author": [{"@type": "Person", "name": n} for n in authors],
                     "publisher": {"@type": "Organization", "name": "The Scale Gazette"}})
    byline = " and ".join(f"<span class=\"author\">{n}</span>" for n in authors)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title} | The Scale Gazette</title>\n"
        f"<meta name=\"description\" content=\"{lead}\">\n"
        f"<meta property=\"og:title\" content=\"{title}\">\n<meta property=\"og:type\" content=\"article\">\n"
        f"<meta property=\"article:published_time\" content=\"{when}\">\n"
        f"<script type=\"application/ld+json\">{ld}</script>\n"
        f"<style>\n{_CSS}\n</style>\n<script>\n{_SCRIPT}\n"
        f"window.__page={{\"id\":{number},\"section\":\"{section}\",\"ab\":\"{rng.random():.6f}\"}};\n</script>\n"
        "</head>\n<body class=\"gazette\">\n"
        "<div class=\"cookie-banner\">We use cookies. <button>Accept</button></div>\n"
        f"<header class=\"site-header\"><a class=\"logo\" href=\"/news/\">The Scale Gazette</a>"
        f"<nav><ul>{_NAV}</ul></nav></header>\n"
        "<main class=\"article-page\">\n"
        f"<nav class=\"breadcrumbs\"><a href=\"/news/\">Home</a> &rsaquo; "
        f"<a href=\"/news/section/{section}/\">{section.title()}</a></nav>\n"
        f"<article class=\"story\">\n<h1 class=\"headline\">{title}</h1>\n"
        f"<p class=\"standfirst\">{lead}</p>\n"
        f"<p class=\"byline\">By {byline} &middot; <time datetime=\"{when}\">{published(number):%d %B %Y, %H:%M}</time></p>\n"
        f"<div class=\"article-body\">\n{paragraphs}\n</div>\n</article>\n"
        f"<aside class=\"related\"><h2>Related</h2><ul>{related}</ul></aside>\n"
        f"<aside class=\"most-read\"><h2>Most read</h2><ol>{most_read}</ol></aside>\n"
        "<aside class=\"newsletter\"><h2>Morning Brief</h2><form action=\"/news/newsletter\" method=\"post\">"
        "<input type=\"email\" name=\"email\"><button>Sign up</button></form></aside>\n"
        "</main>\n"
        f"<footer class=\"site-footer\"><ul>{_FOOTER_LINKS}</ul><p>&copy; 2026 The Scale Gazette (generated).</p></footer>\n"
        "</body>\n</html>\n")


def sitemap_index(pages: int, base: str) -> str:
    count = (pages + PER_SITEMAP - 1) // PER_SITEMAP
    items = "".join(f"<sitemap><loc>{base}/news/sitemap-{k}.xml</loc></sitemap>\n" for k in range(count))
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n" + items + "</sitemapindex>\n")


def sitemap(part: int, pages: int, base: str) -> str:
    numbers = range(part * PER_SITEMAP, min(pages, (part + 1) * PER_SITEMAP))
    items = "".join(f"<url><loc>{base}{article_path(n)}</loc><lastmod>{published(n).isoformat()}</lastmod></url>\n"
                    for n in numbers)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n" + items + "</urlset>\n")


def posts(count: int) -> list[dict]:
    """Telegram posts in the shape of the mirror's content/channel.yaml."""
    result = []
    for n in range(count):
        rng = random.Random(1_000_000 + n)
        text = "\n".join(_sentence(rng, 8, 20) for _ in range(rng.randint(1, 4)))
        result.append({"id": 10_000 + n, "posted_at": (START + timedelta(minutes=23 * n)).isoformat(),
                       "views": rng.randint(500, 90_000), "text": text, "edited": n % 17 == 0})
    return result


def _response(status: int, content_type: str, body: bytes, gzip_it: bool) -> bytes:
    headers = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}",
               f"Content-Type: {content_type}", "Server: KronikaScaleBench/1"]
    if gzip_it:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers.append("Content-Encoding: gzip")
    headers.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body


class GeneratedSite:
    """Every response of the site, built up front (articles, sitemaps) or on first use (channel pages)."""

    def __init__(self, pages: int, post_count: int):
        from kronika.mirror.model import post_from_content
        from kronika.mirror.site import MirrorSite

        self.pages = pages
        self.raw_html_bytes = 0
        self.gzip_bytes = 0
        self._ready: dict[str, bytes] = {}
        for number in range(pages):
            html = article_html(number, pages).encode("utf-8")
            self.raw_html_bytes += len(html)
            response = _response(200, "text/html; charset=utf-8", html, gzip_it=True)
            self.gzip_bytes += len(response) - response.index(b"\r\n\r\n") - 4
            self._ready[article_path(number)] = response
        self._ready["/robots.txt"] = _response(200, "text/plain", b"User-agent: *\nDisallow: /private/\n", False)
        self._not_found = _response(404, "text/plain", b"not found\n", False)
        self._mirror = MirrorSite(0)
        self._mirror.use_posts([post_from_content(p) for p in posts(post_count)])
        self._lock = threading.Lock()

    def response(self, target: str, host: str) -> bytes:
        ready = self._ready.get(target)
        if ready is not None:
            return ready
        base = f"http://{host}"
        path = urlsplit(target).path
        if path == "/news/sitemap.xml":
            body, kind = sitemap_index(self.pages, base), "application/xml"
        elif path.startswith("/news/sitemap-") and path.endswith(".xml"):
            try:
                body, kind = sitemap(int(path[len("/news/sitemap-"):-4]), self.pages, base), "application/xml"
            except ValueError:
                return self._not_found
        elif path.startswith("/t/s/"):
            with self._lock:  # the mirror's page cache is not meant for threads
                page = self._mirror.page(target, base_url=base)
            if page is None or page.status != 200:
                return self._not_found
            return _response(200, page.content_type, page.body, gzip_it=True)
        else:
            return self._not_found
        response = _response(200, kind, body.encode("utf-8"), gzip_it=True)
        self._ready[target] = response  # sitemaps name the host: the same for the whole run
        return response


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET only: enough for Scrapy, and cheap per request."""

    site: GeneratedSite

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            request_line, _, header_block = head.partition(b"\r\n")
            parts = request_line.split(b" ")
            if len(parts) != 3:
                self.transport.close()
                return
            host = "127.0.0.1"
            close = False
            for line in header_block.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"host":
                    host = value.strip().decode("latin-1")
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            self.transport.write(self.site.response(parts[1].decode("latin-1"), host))
            if close:
                self.transport.close()
                return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: GeneratedSite

    def do_GET(self):  # noqa: N802 (stdlib naming)
        self.wfile.write(self.site.response(self.path, self.headers.get("Host") or "127.0.0.1"))

    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--server", choices=("asyncio", "threading"), default="asyncio")
    args = parser.parse_args()
    site = GeneratedSite(args.pages, args.posts)
    info = {"pages": args.pages, "posts": args.posts, "raw_html_bytes": site.raw_html_bytes,
            "gzip_bytes": site.gzip_bytes, "server": args.server}
    if args.server == "threading":
        _Handler.site = site
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        print(json.dumps(info | {"port": server.server_address[1]}), flush=True)
        server.serve_forever()
        return 0
    _Protocol.site = site

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Protocol, "127.0.0.1", 0, backlog=512)
        print(json.dumps(info | {"port": server.sockets[0].getsockname()[1]}), flush=True)
        await server.serve_forever()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
