"""Reading feeds and sitemaps: the lenient readers against lxml's bare strict parse, same documents.

    .venv/bin/python bench/discovery.py

A generated RSS feed (1,000 items) and sitemap (20,000 URLs), well-formed, and the same feed with an
unescaped `&` in every link (which the strict parse rejects whole). Prints the time of
`parse_discovery` (feedparser for feeds; repairs then lxml for sitemaps) as a ratio to a bare
`lxml.etree.fromstring` plus a walk over the links: the price of reading leniently.
"""
from __future__ import annotations

import time

import lxml.etree

from kronika.spiders.parsers.discovery import parse_discovery


def _feed(n: int, amp: str = "&amp;") -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>https://x.test/news/story-{i}.html?a=1{amp}b=2</link>"
                    f"<pubDate>Tue, 03 Jun 2025 09:39:21 GMT</pubDate><description>{'word ' * 60}</description>"
                    "</item>\n" for i in range(n))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def _sitemap(n: int) -> bytes:
    locs = "".join(f"<url><loc>https://x.test/news/story-{i}.html</loc><lastmod>2026-01-01</lastmod></url>\n"
                   for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{locs}</urlset>").encode()


def _bare(body: bytes) -> int:
    root = lxml.etree.fromstring(body, parser=lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    return sum(1 for el in root.iter() if isinstance(el.tag, str) and el.tag.rpartition("}")[2] in ("link", "loc"))


def _best(fn, *args, runs: int = 5) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    for name, body, strict_ok in (("RSS, 1,000 items", _feed(1000), True), ("sitemap, 20,000 URLs", _sitemap(20000), True),
                                  ("RSS, 1,000 items, unescaped &", _feed(1000, "&"), False)):
        lenient, result = _best(parse_discovery, body, "https://x.test/feed", None, [])
        if strict_ok:
            bare, links = _best(_bare, body)
            print(f"{name}: parse_discovery {lenient * 1000:.0f} ms ({len(result.entries)} entries), "
                  f"bare lxml {bare * 1000:.0f} ms ({links} links): ratio {lenient / bare:.1f}")
        else:
            print(f"{name}: parse_discovery {lenient * 1000:.0f} ms ({len(result.entries)} entries, "
                  f"{len(result.warnings)} warning); the strict parse reads 0 entries")


if __name__ == "__main__":
    main()
