"""Hostile and malformed input (`/hostile/`): what an unfriendly or broken web server sends a crawler.

Each case is one address with one way of being wrong: XML bombs and external entities in feeds
and sitemaps, gzip bombs, bodies beyond the size cap, bodies cut short or reset mid-way, a
server that drips one byte at a time, lying headers, broken charsets, malformed HTML, redirect
loops, hostile links in listings, an enormous Telegram page and a Telegram page whose markup
changed. Next to the hostile cases stand good articles ("companions" and "controls") that the same
crawl must store in full: a hostile page may cost itself, never its neighbours.

Some cases cannot be expressed as a status, headers and a body (a Content-Length that lies, a
reset connection, a slow drip), so this module writes its own responses on the handler's socket;
the server hands every `/hostile/` request to `serve`. tests/security/test_hostile_input.py
crawls all of it and checks each case. Nothing here is real: /etc/passwd is named, never read.
"""
from __future__ import annotations

import collections
import json
import select
import socket
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from markupsafe import escape

PREFIX = "/hostile/"
TELEGRAM_CHANNEL = "hostilechan"
TELEGRAM_PREFIX = "/hostile/tg/s/"
TELEGRAM_POSTS = 5000
CONTROL_ARTICLES = 6
SIZE_CAP = 2_000_000  # the max_response_bytes the hostile test source sets
BOMB_BYTES = 80_000_000  # what a gzip bomb would inflate to (far beyond any cap)
DRIP_SECONDS = 0.5
SECRET_FILE = "file:///etc/passwd"


@dataclass(frozen=True)
class Case:
    slug: str
    kind: str  # "article": linked from /hostile/ as an article; "start": a start URL (feed, sitemap, listing)
    about: str

    @property
    def path(self) -> str:
        return f"/hostile/{'news' if self.kind == 'article' else 'start'}/{self.slug}"


def companion_path(slug: str) -> str:
    """A good article that a start case lists next to its hostile content."""
    return f"/hostile/news/{slug}-companion-story.html"


def control_path(n: int) -> str:
    return f"/hostile/news/good-control-{n:02d}-story.html"


# --------------------------------------------------------------------------- low-level writers

def _head(handler, status: int, headers: list[tuple[str, str]]) -> None:
    reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 500: "Internal Server Error"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}"] + [f"{k}: {v}" for k, v in headers]
    handler.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def _plain(handler, status: int, content_type: str | None, body: bytes, send_body: bool,
           extra: list[tuple[str, str]] | None = None) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    headers += [("Content-Length", str(len(body)))] + list(extra or [])
    _head(handler, status, headers)
    if send_body:
        handler.wfile.write(body)


def _close_now(handler, reset: bool = False) -> None:
    """End the connection; with `reset` an RST instead of a polite FIN."""
    handler.close_connection = True
    try:
        handler.wfile.flush()
    except OSError:
        pass
    if reset:
        # SO_LINGER on with a zero timeout: close() sends RST, the client sees "connection reset"
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        handler.connection.shutdown(socket.SHUT_RDWR) if not reset else None
    except OSError:
        pass
    handler.connection.close()


def _wait_for_hangup(handler, seconds: float) -> None:
    """Hold the connection open (the client's timeout should end it), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readable, _, _ = select.select([handler.connection], [], [], 0.2)
        if readable:
            try:
                if not handler.connection.recv(4096):
                    return  # the client gave up
            except OSError:
                return


# --------------------------------------------------------------------------- page bodies

def _esc(text: str) -> str:
    # the templates' rule (markupsafe), as a plain str: these pages are built as bytes, on purpose
    return str(escape(text))


def _sentences(seed: str, n: int) -> list[str]:
    words = ("river", "council", "bridge", "repairs", "district", "residents", "engineers", "winter",
             "schools", "heating", "trams", "volunteers", "library", "market", "shelters", "report")
    out = []
    for i in range(n):
        picked = [words[(len(seed) * 7 + i * 3 + k * 5) % len(words)] for k in range(9)]
        out.append(f"The {picked[0]} and the {picked[1]} of Zarichansk said on Thursday that {picked[2]} "
                   f"near the {picked[3]} would continue, while {picked[4]} asked about {picked[5]}, "
                   f"{picked[6]} and {picked[7]} before the {picked[8]} season ({seed}, part {i + 1}).")
    return out


def article_title(slug: str) -> str:
    return "Hostile lab: " + slug.replace("-", " ")


def article_html(slug: str, paragraphs: list[str] | None = None, head_extra: str = "", body_extra: str = "",
                 title: str | None = None, charset_meta: str = '<meta charset="utf-8">') -> str:
    title = title or article_title(slug)
    paragraphs = paragraphs if paragraphs is not None else _sentences(slug, 3)
    ps = "\n".join(f"<p>{_esc(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head>{charset_meta}<title>{_esc(title)}</title>\n"
            f"<meta property=\"og:title\" content=\"{_esc(title)}\">\n<meta property=\"og:type\" content=\"article\">\n"
            "<meta property=\"article:published_time\" content=\"2026-01-15T08:00:00+00:00\">\n"
            f"{head_extra}</head>\n<body><header><a href=\"/hostile/\">Hostile lab</a></header>\n<main><article>\n"
            f"<h1>{_esc(title)}</h1>\n<p class=\"byline\">By <span class=\"author\">Lab Desk</span> "
            "<time datetime=\"2026-01-15T08:00:00+00:00\">15 January 2026</time></p>\n"
            f"{ps}\n{body_extra}</article></main></body></html>\n")


def _good(slug: str) -> bytes:
    return article_html(slug).encode("utf-8")


@cache
def _bomb(prefix: bytes, fill: int = BOMB_BYTES) -> bytes:
    """`prefix` then `fill` spaces, gzipped (about 80 KB on the wire), built without holding 80 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunks = [compressor.compress(prefix)]
    block = b" " * 1_000_000
    for _ in range(fill // len(block)):
        chunks.append(compressor.compress(block))
    chunks.append(compressor.flush())
    return b"".join(chunks)


def _rss(items: list[tuple[str, str]], doctype: str = "") -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link></item>\n" for t, link in items)
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}<rss version=\"2.0\"><channel>"
            f"<title>Hostile feed</title>\n{body}</channel></rss>\n").encode()


def _urlset(locs: list[str], doctype: str = "") -> bytes:
    body = "".join(f"<url><loc>{loc}</loc></url>\n" for loc in locs)
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}"
            f"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{body}</urlset>\n").encode()


LAUGHS = ("<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
          + "".join(f"<!ENTITY lol{i} \"{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}\">" for i in range(1, 10))
          + "]>\n")
XXE = f"<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"{SECRET_FILE}\">]>\n"


def _xxe_dtd(base: str) -> str:
    # a parameter entity pulling an outside DTD: an XML parser that fetches it makes a request
    return f"<!DOCTYPE foo [<!ENTITY % remote SYSTEM \"{base}/hostile/xxe.dtd\"> %remote;]>\n"


# --------------------------------------------------------------------------- the cases

CASES: list[Case] = []
_HANDLERS: dict[str, Callable] = {}


def case(slug: str, kind: str, about: str):
    def register(fn):
        CASES.append(Case(slug, kind, about))
        _HANDLERS[slug] = fn
        return fn
    return register


# ---- feeds and sitemaps (start URLs); each lists its good companion next to the hostile part

@case("feed-billion-laughs.xml", "start", "RSS with a billion-laughs entity bomb in a DOCTYPE")
def _feed_laughs(h, base, slug, send):
    items = [("&lol9;", base + companion_path(slug))]
    _plain(h, 200, "application/rss+xml", _rss(items, LAUGHS), send)


@case("feed-xxe-file.xml", "start", "RSS whose title and link use an external entity on file:///etc/passwd")
def _feed_xxe(h, base, slug, send):
    items = [("Leak &xxe;", "&xxe;"), ("Companion &xxe;", base + companion_path(slug))]
    _plain(h, 200, "application/rss+xml", _rss(items, XXE), send)


@case("feed-xxe-remote-dtd.xml", "start", "RSS with a parameter entity that would fetch an outside DTD")
def _feed_remote_dtd(h, base, slug, send):
    _plain(h, 200, "application/rss+xml", _rss([("Companion", base + companion_path(slug))], _xxe_dtd(base)), send)


@case("sitemap-xxe-file.xml", "start", "sitemap whose <loc> is an external entity on file:///etc/passwd")
def _sitemap_xxe(h, base, slug, send):
    _plain(h, 200, "application/xml", _urlset(["&xxe;", base + companion_path(slug)], XXE), send)


@case("sitemap-billion-laughs.xml", "start", "sitemap with a billion-laughs entity bomb")
def _sitemap_laughs(h, base, slug, send):
    _plain(h, 200, "application/xml", _urlset([base + companion_path(slug), "&lol9;"], LAUGHS), send)


@case("sitemap-gzip-bomb.xml.gz", "start", "a .xml.gz sitemap that inflates to 80 MB")
def _sitemap_bomb_file(h, base, slug, send):
    head = (f"<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
            f"<url><loc>{base}{companion_path(slug)}</loc></url><!--").encode()
    _plain(h, 200, "application/x-gzip", _bomb(head), send)


@case("sitemap-encoding-bomb.xml", "start", "a sitemap sent with Content-Encoding: gzip that inflates to 80 MB")
def _sitemap_bomb_encoding(h, base, slug, send):
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><!--'
    _plain(h, 200, "application/xml", _bomb(head), send, [("Content-Encoding", "gzip")])


@case("sitemap-index-loop.xml", "start", "a sitemap index that lists itself and a sitemap that does not exist")
def _sitemap_index_loop(h, base, slug, send):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
            f"<sitemap><loc>{base}/hostile/start/{slug}</loc></sitemap>"
            f"<sitemap><loc>{base}/hostile/start/no-such-sitemap.xml</loc></sitemap></sitemapindex>\n")
    _plain(h, 200, "application/xml", body.encode(), send)


@case("feed-invalid-utf8.xml", "start", "RSS declared UTF-8 with invalid byte sequences and a control character")
def _feed_bad_utf8(h, base, slug, send):
    body = (
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Bad bytes \xff\xfe\xc3"
        b"</title><item><title>Caf\xe9 \x01 news</title><link>" + (base + companion_path(slug)).encode()
        + b"</link></item></channel></rss>\n")
    _plain(h, 200, "application/rss+xml; charset=utf-8", body, send)


@case("feed-served-as-jpeg.xml", "start", "a valid RSS feed served as image/jpeg")
def _feed_jpeg(h, base, slug, send):
    _plain(h, 200, "image/jpeg", _rss([("Companion", base + companion_path(slug))]), send)


@case("feed-invalid-links.xml", "start", "RSS items whose links are not URLs (broken IPv6, spaces, javascript:, empty)")
def _feed_bad_links(h, base, slug, send):
    items = [("a", "http://[::1"), ("b", "http://exa mple.test/a-b-c"), ("c", "javascript:alert(1)"),
             ("d", ""), ("e", "http://"), ("f", "x" * 5000), ("Companion", base + companion_path(slug))]
    _plain(h, 200, "application/rss+xml", _rss([(t, _esc(u)) for t, u in items]), send)


@case("feed-truncated-gzip.xml.gz", "start", "a gzipped feed cut off mid-stream")
def _feed_truncated_gzip(h, base, slug, send):
    data = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    whole = data.compress(_rss([("Companion", base + companion_path(slug))] * 50)) + data.flush()
    _plain(h, 200, "application/x-gzip", whole[: len(whole) // 2], send)


@case("listing-hostile-links.html", "start", "a listing page with javascript:, data:, mailto:, file: and broken links")
def _listing_links(h, base, slug, send):
    links = "".join(f"<li><a href=\"{_esc(href)}\">{_esc(label)}</a></li>\n" for label, href in BAD_HREFS)
    body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Links</title></head><body><ul>\n{links}"
            f"<li><a href=\"{companion_path(slug)}\">Companion</a></li></ul></body></html>\n")
    _plain(h, 200, "text/html; charset=utf-8", body.encode(), send)


# label, href: none of these may ever be requested
BAD_HREFS = [
    ("javascript", "javascript:alert(document.cookie)//-a-b-c"),
    ("javascript-mixed-case", " JaVaScRiPt:alert(1)"),
    ("data", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("vbscript", "vbscript:msgbox(1)"),
    ("mailto", "mailto:editor@example.org?subject=a-b-c"),
    ("tel", "tel:+380441234567"),
    ("file", "file:///etc/passwd"),
    ("ftp", "ftp://mirror.kronika.test/hostile/news/ftp-only-story-here.html"),
    ("broken-ipv6", "http://[::1/hostile/news/broken-ipv6-story-here.html"),
    ("space-in-host", "http://mirror kronika.test/hostile/news/space-host-story-here.html"),
    ("offsite-protocol-relative", "//metadata.example/hostile/news/offsite-story-here.html"),
    ("metadata-address", "http://169.254.169.254/latest/meta-data/iam-security-credentials"),
    ("overlong", "/hostile/news/" + "very-long-" * 3000 + "story.html"),
]


# ---- article pages (linked from /hostile/)

@case("gzip-bomb-encoded.html", "article", "an article sent with Content-Encoding: gzip that inflates to 80 MB")
def _article_bomb(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", _bomb(b"<html><body><p>"), send, [("Content-Encoding", "gzip")])


@case("corrupt-gzip-encoding.html", "article", "Content-Encoding: gzip on a body that is not gzip")
def _article_corrupt_gzip(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", b"\x1f\x8b\x08\x00garbage" + b"\x00" * 64, send,
           [("Content-Encoding", "gzip")])


@case("oversized-declared.html", "article", "Content-Length beyond the size cap")
def _article_oversized(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", b"<html><body>" + b"x" * (SIZE_CAP + 500_000) + b"</body></html>", send)


@case("oversized-undeclared.html", "article", "no Content-Length, a body beyond the size cap, then close")
def _article_oversized_stream(h, base, slug, send):
    _head(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Connection", "close")])
    try:
        h.wfile.write(b"<html><body>")
        for _ in range((SIZE_CAP + 1_000_000) // 100_000):
            h.wfile.write(b"y" * 100_000)
    except OSError:
        pass  # the client gave up once past its cap
    _close_now(h)


@case("huge-page-under-cap.html", "article", "a 1 MB article (under the cap): stored")
def _article_huge(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", article_html(slug, _sentences(slug, 3200)).encode(), send)


@case("truncated-body.html", "article", "Content-Length 20000, 600 bytes sent, connection closed")
def _article_truncated(h, base, slug, send):
    _head(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "20000")])
    h.wfile.write(_good(slug)[:600])
    _close_now(h)


@case("reset-mid-body.html", "article", "headers and part of the body, then a TCP reset")
def _article_reset(h, base, slug, send):
    _head(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "20000")])
    h.wfile.write(_good(slug)[:600])
    h.wfile.flush()
    _close_now(h, reset=True)


@case("closed-before-headers.html", "article", "the connection closed before any byte of a response")
def _article_no_response(h, base, slug, send):
    _close_now(h)


@case("garbage-status-line.html", "article", "a response that is not HTTP at all")
def _article_garbage(h, base, slug, send):
    h.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n\r\n")
    _close_now(h)


@case("slow-drip.html", "article", "headers, then one byte every half second (beyond download_timeout)")
def _article_drip(h, base, slug, send):
    _head(h, 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "100000")])
    try:
        for byte in _good(slug)[:120]:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(DRIP_SECONDS)
    except OSError:
        pass  # the client timed out and hung up
    _close_now(h)


@case("never-answers.html", "article", "accepts the request and never sends a byte")
def _article_silent(h, base, slug, send):
    _wait_for_hangup(h, 30)
    _close_now(h)


@case("served-as-png.html", "article", "an article URL answering image/png")
def _article_png(h, base, slug, send):
    _plain(h, 200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, send)


@case("served-as-json.html", "article", "an article URL answering application/json")
def _article_json(h, base, slug, send):
    _plain(h, 200, "application/json", json.dumps({"title": "not a page"}).encode(), send)


@case("no-content-type.html", "article", "a good article with no Content-Type header: sniffed, stored")
def _article_no_type(h, base, slug, send):
    _plain(h, 200, None, _good(slug), send)


@case("empty-body.html", "article", "200 with an empty body")
def _article_empty(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", b"", send)


@case("status-500-always.html", "article", "a server error on every attempt")
def _article_500(h, base, slug, send):
    _plain(h, 500, "text/html; charset=utf-8", b"<html><body>Internal error</body></html>", send)


@case("nul-bytes.html", "article", "an article with NUL and other control bytes in its text")
def _article_nul(h, base, slug, send):
    page = article_html(slug, [p.replace(" the ", " the\x00 ", 1) + "\x01\x07" for p in _sentences(slug, 3)])
    _plain(h, 200, "text/html; charset=utf-8", page.encode(), send)


@case("unclosed-tags.html", "article", "an article whose tags are never closed")
def _article_unclosed(h, base, slug, send):
    page = article_html(slug).replace("</p>", "").replace("</article>", "<div><span><b><i><table><tr><td>")
    _plain(h, 200, "text/html; charset=utf-8", page.replace("</body></html>", "").encode(), send)


@case("deeply-nested.html", "article", "an article inside 20,000 nested <div>s")
def _article_nested(h, base, slug, send):
    depth = 20_000
    page = article_html(slug).replace("<main>", "<main>" + "<div>" * depth).replace("</main>", "</div>" * depth + "</main>")
    _plain(h, 200, "text/html; charset=utf-8", page.encode(), send)


@case("huge-attribute.html", "article", "an article with a 1 MB attribute value")
def _article_huge_attribute(h, base, slug, send):
    page = article_html(slug, head_extra=f"<meta name=\"x-junk\" content=\"{'z' * 1_000_000}\">\n")
    _plain(h, 200, "text/html; charset=utf-8", page.encode(), send)


@case("invalid-utf8-bytes.html", "article", "declared UTF-8, with invalid byte sequences in the text")
def _article_bad_utf8(h, base, slug, send):
    page = article_html(slug).encode("utf-8").replace(b"Zarichansk", b"Zarich\xff\xfeansk\xc3", 2)
    _plain(h, 200, "text/html; charset=utf-8", page, send)


@case("header-and-meta-disagree.html", "article", "header says UTF-8, meta says windows-1251, bytes are windows-1251")
def _article_disagree(h, base, slug, send):
    page = article_html(slug, ["Міська рада Зарічанська виділила кошти на ремонт школи на Садовій вулиці."] * 3,
                        charset_meta="<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">")
    _plain(h, 200, "text/html; charset=utf-8", page.encode("cp1251"), send)


@case("unknown-charset.html", "article", "a charset no codec knows (x-klingon) on a UTF-8 body")
def _article_unknown_charset(h, base, slug, send):
    _plain(h, 200, "text/html; charset=x-klingon", _good(slug), send)


@case("utf16-with-bom.html", "article", "a UTF-16LE page with a byte-order mark and no charset")
def _article_utf16(h, base, slug, send):
    page = article_html(slug, charset_meta="")
    _plain(h, 200, "text/html", b"\xff\xfe" + page.encode("utf-16-le"), send)


@case("mixed-charsets.html", "article", "one page with a UTF-8 half and a windows-1251 half")
def _article_mixed(h, base, slug, send):
    page = article_html(slug).encode("utf-8")
    page = page.replace(b"</article>", "<p>Друга половина сторінки у windows-1251.</p>".encode("cp1251") + b"</article>")
    _plain(h, 200, "text/html", page, send)


@case("invalid-json-ld.html", "article", "JSON-LD that is not JSON, with the HTML still readable")
def _article_bad_jsonld(h, base, slug, send):
    head = "<script type=\"application/ld+json\">{\"@type\": \"NewsArticle\", \"headline\": \"Broken</script>\n"
    _plain(h, 200, "text/html; charset=utf-8", article_html(slug, head_extra=head).encode(), send)


@case("json-ld-deeply-nested.html", "article", "JSON-LD nested 50,000 levels deep")
def _article_deep_jsonld(h, base, slug, send):
    head = f"<script type=\"application/ld+json\">{'[' * 50_000}{']' * 50_000}</script>\n"
    _plain(h, 200, "text/html; charset=utf-8", article_html(slug, head_extra=head).encode(), send)


@case("json-ld-wrong-types.html", "article", "JSON-LD whose fields have the wrong types")
def _article_typed_jsonld(h, base, slug, send):
    data = {"@context": "https://schema.org", "@type": ["NewsArticle", 7], "headline": 12345,
            "author": {"name": [None, {"x": 1}, 3.5]}, "datePublished": "not a date", "articleBody": ["a", 1],
            "keywords": {"nested": True}, "inLanguage": 42, "image": [[[]]]}
    head = f"<script type=\"application/ld+json\">{json.dumps(data)}</script>\n"
    _plain(h, 200, "text/html; charset=utf-8", article_html(slug, head_extra=head).encode(), send)


@case("xxe-in-html.html", "article", "an HTML page with an XML DOCTYPE declaring an entity on file:///etc/passwd")
def _article_xxe(h, base, slug, send):
    page = article_html(slug, body_extra="<p>Leak: &xxe;</p>")
    page = page.replace("<!DOCTYPE html>", XXE.strip())
    _plain(h, 200, "text/html; charset=utf-8", page.encode(), send)


@case("script-and-handlers.html", "article", "an article with <script>, event handlers and javascript: links")
def _article_script(h, base, slug, send):
    extra = ("<script>document.title='pwned'</script><img src=x onerror=\"alert(1)\">"
             "<a href=\"javascript:alert(2)\">click</a><iframe src=\"javascript:alert(3)\"></iframe>")
    _plain(h, 200, "text/html; charset=utf-8", article_html(slug, body_extra=extra).encode(), send)


@case("redirect-loop.html", "article", "A redirects to B, B back to A")
def _article_loop(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", f"{base}/hostile/loop/b")])


@case("redirect-self.html", "article", "a page that redirects to itself")
def _article_self(h, base, slug, send):
    _plain(h, 301, "text/html", b"", send, [("Location", f"{base}/hostile/news/{slug}")])


@case("redirect-long-chain.html", "article", "a chain of 15 redirects (the limit is 10)")
def _article_long_chain(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", f"{base}/hostile/chain/long/15")])


@case("redirect-short-chain.html", "article", "a chain of 8 redirects ending at a good article: stored")
def _article_short_chain(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", f"{base}/hostile/chain/short/8")])


@case("redirect-to-file.html", "article", "Location: file:///etc/passwd")
def _article_to_file(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", SECRET_FILE)])


@case("redirect-to-javascript.html", "article", "Location: javascript:alert(1)")
def _article_to_js(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", "javascript:alert(1)")])


@case("redirect-to-metadata.html", "article", "a redirect to the cloud metadata address (off-site)")
def _article_to_metadata(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", "http://169.254.169.254/latest/meta-data/")])


@case("redirect-without-location.html", "article", "a 302 with no Location header")
def _article_no_location(h, base, slug, send):
    _plain(h, 302, "text/html", b"<html><body>moved somewhere</body></html>", send)


@case("redirect-garbage-location.html", "article", "a Location header that is not a URL")
def _article_garbage_location(h, base, slug, send):
    _plain(h, 302, "text/html", b"", send, [("Location", "http://[::1:bad")])


# --------------------------------------------------------------------------- Telegram

def _tg_post(n: int, text: str) -> str:
    minute = n % 60
    hour = (n // 60) % 24
    day = 1 + (n // 1440) % 28
    when = f"2026-01-{day:02d}T{hour:02d}:{minute:02d}:00+00:00"
    return (f"<div class=\"tgme_widget_message_wrap js-widget_message_wrap\"><div class=\"tgme_widget_message "
            f"js-widget_message\" data-post=\"{TELEGRAM_CHANNEL}/{n}\"><div class=\"tgme_widget_message_bubble\">"
            f"<div class=\"tgme_widget_message_text js-message_text\" dir=\"auto\">{_esc(text)}</div>"
            f"<div class=\"tgme_widget_message_footer\"><span class=\"tgme_widget_message_views\">{n % 999 + 1}</span>"
            f"<a class=\"tgme_widget_message_date\" href=\"https://t.me/{TELEGRAM_CHANNEL}/{n}\">"
            f"<time datetime=\"{when}\" class=\"time\">{hour:02d}:{minute:02d}</time></a></div></div></div></div>\n")


def telegram_post_text(n: int) -> str:
    return f"Hostile lab post number {n}: the ferry timetable, the heating points and the trams."


@lru_cache(maxsize=1)
def _telegram_huge_page() -> bytes:
    """Every post on one page (Telegram shows 20), an odd block among them, and a link further back."""
    posts = [_tg_post(n, telegram_post_text(n)) for n in range(101, 101 + TELEGRAM_POSTS)]
    # one block without a readable data-post: counted as a warning, the page is still read
    posts.insert(TELEGRAM_POSTS // 2, "<div class=\"tgme_widget_message\" data-post=\"nonsense\"><div>odd</div></div>\n")
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Hostile channel</title>"
            f"<link rel=\"prev\" href=\"{TELEGRAM_PREFIX}{TELEGRAM_CHANNEL}?before=101\"></head><body>"
            f"<div class=\"tgme_channel_info_header_username\"><a>@{TELEGRAM_CHANNEL}</a></div>"
            "<section class=\"tgme_channel_history js-message_history\">\n" + "".join(posts)
            + "</section></body></html>\n")
    return page.encode("utf-8")


def _telegram_redesigned_page() -> bytes:
    """The next page back in a markup Telegram might switch to: no class the parser knows."""
    posts = "".join(f"<article class=\"tg-post\" data-id=\"{TELEGRAM_CHANNEL}/{n}\"><p>{telegram_post_text(n)}</p>"
                    f"<time datetime=\"2026-01-01T00:00:00+00:00\"></time></article>\n" for n in range(81, 101))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
            f"<section class=\"tgme_channel_history js-message_history\"><main class=\"tg-feed\">{posts}</main>"
            "</section></body></html>\n").encode()


# --------------------------------------------------------------------------- dispatch

def listing(base: str) -> bytes:
    items = "".join(f"<li><a href=\"{c.path}\">{_esc(c.about)}</a></li>\n" for c in CASES if c.kind == "article")
    items += "".join(f"<li><a href=\"{control_path(n)}\">Control story {n}</a></li>\n"
                     for n in range(1, CONTROL_ARTICLES + 1))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hostile lab</title></head>"
            f"<body><h1>Hostile lab</h1><ul>\n{items}</ul></body></html>\n").encode()


def start_urls(base: str) -> list[str]:
    """The listing and every start case: what a test source crawls."""
    return [base + PREFIX] + [base + c.path for c in CASES if c.kind == "start"]


# the request headers of the latest /hostile/ requests, so a test can see what a crawler really sent
RECEIVED: collections.deque[tuple[str, list[tuple[str, str]]]] = collections.deque(maxlen=2000)


def serve(handler, path: str, base: str, send_body: bool = True) -> None:
    """Answer one `/hostile/` request on the handler's connection (see the module docstring)."""
    RECEIVED.append((path, list(handler.headers.items())))
    if path == PREFIX:
        return _plain(handler, 200, "text/html; charset=utf-8", listing(base), send_body)
    slug = path.rsplit("/", 1)[-1]
    if path.startswith(("/hostile/news/", "/hostile/start/")) and slug in _HANDLERS:
        kind = "article" if path.startswith("/hostile/news/") else "start"
        if next(c for c in CASES if c.slug == slug).kind == kind:
            return _HANDLERS[slug](handler, base, slug, send_body)
    if path.startswith("/hostile/news/") and path.endswith("-story.html") and (
            "-companion-" in path or "good-control-" in path):
        return _plain(handler, 200, "text/html; charset=utf-8", _good(slug), send_body)
    if path == "/hostile/loop/b":
        return _plain(handler, 302, "text/html", b"", send_body,
                      [("Location", f"{base}/hostile/news/redirect-loop.html")])
    if path.startswith(("/hostile/chain/long/", "/hostile/chain/short/")):
        chain, step = path.rsplit("/", 2)[-2:]
        if step.isdigit() and int(step) > 1:
            return _plain(handler, 302, "text/html", b"", send_body,
                          [("Location", f"{base}/hostile/chain/{chain}/{int(step) - 1}")])
        return _plain(handler, 200, "text/html; charset=utf-8", _good(f"redirect-{chain}-chain-end"), send_body)
    if path == TELEGRAM_PREFIX + TELEGRAM_CHANNEL:
        return _plain(handler, 200, "text/html; charset=utf-8", _telegram_huge_page(), send_body)
    if path == f"{TELEGRAM_PREFIX}{TELEGRAM_CHANNEL}?before=101":
        return _plain(handler, 200, "text/html; charset=utf-8", _telegram_redesigned_page(), send_body)
    return _plain(handler, 404, "text/html; charset=utf-8", b"<html><body>Not here</body></html>", send_body)
