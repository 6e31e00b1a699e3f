"""The web as real servers serve it (`/realweb/`): malformed but meant-to-be-read feeds and sitemaps,
redirects with odd bodies, skips of every kind, and Telegram's throttling and media markup.

Unlike `/hostile/` (attacks a crawler must survive), every case here is something a healthy news
site or Telegram really sends, and each hides articles or posts that a crawl must not lose:
a feed with an unescaped `&` in a link, HTML entities XML does not define, an encoding declaration
the bytes do not follow, a byte-order mark or blank lines before `<?xml`, a feed cut short, a feed
served as text/html, an HTML error page answered with 200, a sitemap index whose children are
gzipped files, plain files and gzip sent with Content-Encoding. Each start case lists a companion
article (`/realweb/news/<case>-companion-story.html`) that the crawl must store.

`/realweb/corpus/<path>` serves files of the downloaded real-world corpus (tests/corpus/, see
`make corpus`) when `CORPUS_DIR` is set, so a real crawl can run over markup nobody here wrote.

tests/integration/test_realweb.py crawls all of it. Everything here is invented.
"""
from __future__ import annotations

import gzip
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .hostile import _esc, _plain, article_html

PREFIX = "/realweb/"
TELEGRAM_PREFIX = "/realweb/tg/s/"
CORPUS_PREFIX = "/realweb/corpus/"
CORPUS_DIR: Path | None = None  # set by a test that serves the downloaded corpus
OLD_DATE = "Mon, 04 Jan 1999 08:00:00 GMT"  # older than the max_article_age (10 years) the test sets
FRESH_DATE = "Tue, 03 Jun 2025 09:39:21 GMT"


@dataclass(frozen=True)
class Case:
    slug: str
    about: str
    warning: str | None = None  # what the crawl log's warning about this start page says
    error: str | None = None  # the error cause the case is counted as (none: read fine)

    @property
    def path(self) -> str:
        return f"{PREFIX}start/{self.slug}"


def companion_path(slug: str) -> str:
    return f"{PREFIX}news/{slug.rsplit('.', 1)[0]}-companion-story.html"


def article_title(slug: str) -> str:
    return "Real web: " + slug.replace("-", " ")


CASES: list[Case] = []
_HANDLERS: dict[str, Callable] = {}


def case(slug: str, about: str, warning: str | None = None, error: str | None = None):
    def register(fn):
        CASES.append(Case(slug, about, warning, error))
        _HANDLERS[slug] = fn
        return fn
    return register


def _rss(items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return (f'{declaration}<rss version="2.0"><channel><title>Real web</title>'
            f"<link>http://example.invalid/</link>\n{items}</channel></rss>\n")


def _item(title: str, link: str, date: str = FRESH_DATE) -> str:
    return f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate></item>\n"


def _urlset(locs: list[str], extra: str = "") -> bytes:
    body = "".join(f"<url><loc>{loc}</loc>{extra}</url>\n" for loc in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n{body}</urlset>\n').encode()


RSS = "application/rss+xml"
XML = "application/xml"


# ---- feeds

@case("feed-stray-ampersand.xml", "RSS whose link carries an unescaped & (?utm_source=rss&utm_medium=feed)",
      warning="invalid XML, read leniently")
def _feed_amp(h, base, slug, send):
    items = _item("Tracked & linked", f"{base}{companion_path(slug)}?utm_source=rss&utm_medium=feed")
    items += _item("Second story", f"{base}{PREFIX}news/stray-ampersand-second-story.html")
    _plain(h, 200, RSS, _rss(items).encode(), send)


@case("feed-html-entities.xml", "RSS with &nbsp; and &mdash;, which XML does not define",
      warning="invalid XML, read leniently")
def _feed_entities(h, base, slug, send):
    _plain(h, 200, RSS, _rss(_item("Floods&nbsp;&mdash; update", base + companion_path(slug))).encode(), send)


@case("feed-wrong-encoding.xml", "RSS declared UTF-8, sent in windows-1251",
      warning="encoding: document declared as utf-8")
def _feed_wrong_encoding(h, base, slug, send):
    body = _rss(_item("Новини Зарічанська: мости відкрито", base + companion_path(slug)))
    _plain(h, 200, RSS, body.encode("windows-1251"), send)


@case("feed-no-declaration-latin1.xml", "RSS without an XML declaration, in ISO-8859-1, no charset",
      warning="encoding: document declared as us-ascii")
def _feed_latin1(h, base, slug, send):
    body = _rss(_item("Café réouvert après les crues", base + companion_path(slug)), declaration="")
    _plain(h, 200, "text/xml", body.encode("latin-1"), send)


@case("feed-bom-and-blank-lines.xml", "RSS with a byte-order mark and blank lines before <?xml",
      warning="before the XML declaration removed")
def _feed_bom(h, base, slug, send):
    body = b"\xef\xbb\xbf\r\n\r\n  " + _rss(_item("After the blank lines", base + companion_path(slug))).encode()
    _plain(h, 200, RSS, body, send)


@case("feed-truncated.xml", "RSS cut off in its third item", warning="invalid XML, read leniently")
def _feed_truncated(h, base, slug, send):
    whole = _rss(_item("First", base + companion_path(slug))
                 + _item("Second", f"{base}{PREFIX}news/truncated-feed-second-story.html")
                 + _item("Third", f"{base}{PREFIX}news/truncated-feed-third-story.html"))
    _plain(h, 200, RSS, whole[: whole.index("Third") + 30].encode(), send)


@case("feed-served-as-html.xml", "a well-formed RSS feed served as text/html")
def _feed_as_html(h, base, slug, send):
    _plain(h, 200, "text/html; charset=utf-8", _rss(_item("Served as HTML", base + companion_path(slug))).encode(),
           send)


@case("feed-rdf-dc-date.rdf", "an RSS 1.0 (RDF) feed with dc:date only")
def _feed_rdf(h, base, slug, send):
    link = base + companion_path(slug)
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{base}/"><title>RDF</title><link>{base}/</link></channel>'
            f'<item rdf:about="{link}"><title>RDF story</title><link>{link}</link>'
            "<dc:date>2025-06-03T09:39:21+00:00</dc:date></item></rdf:RDF>\n")
    _plain(h, 200, "application/rdf+xml", body.encode(), send)


@case("atom-undefined-entity.xml", "Atom with an undefined entity in a title", warning="invalid XML")
def _atom_entity(h, base, slug, send):
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>'
            f'<entry><title>Bridge&hellip; reopened</title><link href="{base}{companion_path(slug)}"/>'
            "<published>2025-06-03T09:39:21Z</published></entry></feed>\n")
    _plain(h, 200, "application/atom+xml", body.encode(), send)


@case("feed-error-page-200.xml", "an HTML error page answered with 200 where the feed should be",
      error="discovery_empty")
def _feed_error_page(h, base, slug, send):
    body = ("<!DOCTYPE html><html><head><title>Service unavailable</title></head><body><h1>Sorry</h1>"
            "<p>Our feed is temporarily unavailable. Please try again later.</p></body></html>\n")
    _plain(h, 200, "text/html; charset=utf-8", body.encode(), send)


# ---- sitemaps

@case("sitemap-index-mixed.xml", "a sitemap index whose children are a .xml.gz file, a plain file and "
      "gzip sent with Content-Encoding")
def _sitemap_index(h, base, slug, send):
    children = "".join(f"<sitemap><loc>{base}{PREFIX}sitemaps/{name}</loc></sitemap>"
                       for name in ("child-gzip-file.xml.gz", "child-plain.xml", "child-encoded.xml"))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{children}</sitemapindex>\n")
    _plain(h, 200, XML, body.encode(), send)


SITEMAP_CHILDREN = ("child-gzip-file.xml.gz", "child-plain.xml", "child-encoded.xml")


def child_article(name: str) -> str:
    return f"{PREFIX}news/sitemap-{name.split('.')[0]}-story.html"


def _sitemap_child(h, base, name, send):
    body = _urlset([base + child_article(name)])
    if name.endswith(".gz"):
        # a gzip file, served as such: no Content-Encoding, the crawler must unpack it itself
        _plain(h, 200, "application/x-gzip", gzip.compress(body, mtime=0), send)
    else:
        _plain(h, 200, XML, gzip.compress(body, mtime=0), send, [("Content-Encoding", "gzip")]) if (
            name == "child-encoded.xml") else _plain(h, 200, XML, body, send)


@case("sitemap-stray-ampersand.xml", "a news sitemap with an unescaped & in a <loc> and &nbsp; in a title",
      warning="unescaped '&' escaped")
def _sitemap_amp(h, base, slug, send):
    news = ("<news:news><news:publication><news:name>RW</news:name><news:language>en</news:language>"
            "</news:publication><news:publication_date>2025-06-03T09:39:21Z</news:publication_date>"
            "<news:title>Storm&nbsp;warning</news:title></news:news>")
    _plain(h, 200, XML, _urlset([f"{base}{companion_path(slug)}?ref=sitemap&amp;x=1".replace("&amp;", "&")],
                                news), send)


@case("sitemap-truncated.xml", "a sitemap cut off in its second entry", warning="invalid XML, read leniently")
def _sitemap_truncated(h, base, slug, send):
    whole = _urlset([base + companion_path(slug), f"{base}{PREFIX}news/truncated-sitemap-lost-story.html"])
    _plain(h, 200, XML, whole[: whole.index(b"truncated-sitemap-lost")], send)


@case("sitemap-latin1-declared-utf8.xml", "a sitemap declared UTF-8 whose bytes are ISO-8859-1",
      warning="not utf-8 as declared")
def _sitemap_encoding(h, base, slug, send):
    body = _urlset([base + companion_path(slug)], "<news:news><news:title>Café</news:title></news:news>")
    _plain(h, 200, XML, body.decode().encode("latin-1"), send)


# ---- redirects and skips, listed in one feed

REDIRECTED = f"{PREFIX}news/moved-by-a-text-plain-301-story.html"
REDIRECT_HOPS = (f"{PREFIX}go/moved-story", f"{PREFIX}go2/moved-story")


@case("feed-redirects-and-skips.xml", "a feed listing a 301 text/plain -> 302 -> article chain, a PDF, a link "
      "robots.txt disallows, an off-site link, a link a deny rule matches and a story older than max_article_age")
def _feed_skips(h, base, slug, send):
    items = (_item("Moved", base + REDIRECT_HOPS[0])
             + _item("A report", f"{base}{PREFIX}documents/annual-report-2025.pdf")
             + _item("Staff only", f"{base}/lab/private/staff-only-notes")
             + _item("Elsewhere", "http://elsewhere.example.net/news/offsite-partner-story.html")
             + _item("Opinion", f"{base}{PREFIX}news/opinion-denied-by-rule-story.html")
             + _item("Old", f"{base}{PREFIX}news/old-story-from-1999.html", OLD_DATE)
             + _item("Companion", base + companion_path(slug)))
    _plain(h, 200, RSS, _rss(items).encode(), send)


def _serve_redirects(h, base, path, send) -> bool:
    if path == REDIRECT_HOPS[0]:
        # what a real CMS sends: a 301 with a text/plain body, which is no article and no HTML
        _plain(h, 301, "text/plain; charset=utf-8", b"Moved Permanently. Redirecting to the new address\n", send,
               [("Location", base + REDIRECT_HOPS[1])])
        return True
    if path == REDIRECT_HOPS[1]:
        _plain(h, 302, None, b"", send, [("Location", base + REDIRECTED)])
        return True
    return False


# ---- Telegram: throttling ("No posts found") and media that belong to a link preview

TG_THROTTLED_ONCE = "rw_throttled_once"  # the older page says "No posts found" twice, then shows its posts
TG_THROTTLED_ALWAYS = "rw_throttled"  # the first page fine, the older page always "No posts found"
TG_EMPTY = "rw_empty"  # a channel without posts: "No posts found" on its first page
TG_MEDIA = "rw_media"  # voice, sticker, location, a video inside a link preview
TG_TIME = "2025-06-03T09:{:02d}:00+00:00"


def _tg_post(channel: str, post_id: int, inner: str, text: str | None = None) -> str:
    text_div = f'<div class="tgme_widget_message_text js-message_text" dir="auto">{_esc(text)}</div>' \
        if text else ""
    return (f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
            f'js-widget_message" data-post="{channel}/{post_id}"><div class="tgme_widget_message_bubble">'
            f"{inner}{text_div}<div class=\"tgme_widget_message_footer compact js-message_footer\">"
            '<div class="tgme_widget_message_info short js-message_info"><span class="tgme_widget_message_views">'
            f'{post_id * 10}</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
            f'href="https://t.me/{channel}/{post_id}"><time datetime="{TG_TIME.format(post_id % 60)}" class="time">'
            "09:00</time></a></span></div></div></div></div></div>\n")


def _tg_page(channel: str, posts: str, before: int | None = None) -> bytes:
    more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{channel}?before={before}" '
            f'class="tme_messages_more js-messages_more" data-before="{before}"></a></div>') if before else ""
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Real web channel</title></head>"
            '<body class="widget_frame_base tgme_webpreview_body"><main class="tgme_main"><section '
            'class="tgme_right_column"><div class="tgme_channel_info"><div class="tgme_channel_info_header">'
            f'<div class="tgme_channel_info_header_title"><span dir="auto">{channel}</span></div>'
            f'<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>'
            '</div></div></section><section class="tgme_channel_history js-message_history">'
            f"{more}{posts}</section></main></body></html>\n").encode()


def no_posts_found_page(channel: str) -> bytes:
    """What t.me/s answers when it throttles a client (and past a channel's first post)."""
    placeholder = ('<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message_'
                   'centered"><div class="tme_no_messages_found">No posts found</div></div></div>')
    return _tg_page(channel, placeholder)


def _tg_text_posts(channel: str, ids: range) -> str:
    return "".join(_tg_post(channel, n, "", f"Post {n} of {channel}") for n in ids)


def media_page() -> bytes:
    c = TG_MEDIA
    voice = ('<div class="tgme_widget_message_voice_player js-message_voice_player"><audio class="tgme_widget_message_'
             'voice js-message_voice" src="https://cdn.example.invalid/file/voice-201.ogg" preload="none"></audio>'
             '<time class="tgme_widget_message_voice_duration">0:37</time></div>')
    sticker = ('<a class="tgme_widget_message_sticker_wrap" href="https://t.me/rw_media/202"><i class="tgme_widget_'
               'message_sticker js-sticker_image" style="background-image:url(\'https://cdn.example.invalid/file/'
               'sticker-202.webp\')" data-webp="https://cdn.example.invalid/file/sticker-202.webp" '
               'data-sticker-emoji="🙏"></i></a>')
    location = ('<a class="tgme_widget_message_location_wrap" href="https://maps.google.com/maps?q=48.4647,35.0462'
                '&amp;ll=48.4647,35.0462&amp;z=16"><div class="tgme_widget_message_location" style="background-image:'
                'url(\'https://cdn.example.invalid/file/map-203.png\')"></div></a>')
    preview = ('<a class="tgme_widget_message_link_preview" href="https://news.example.invalid/clip">'
               '<div class="link_preview_site_name accent_color" dir="auto">News</div>'
               '<div class="link_preview_video_player"><i class="link_preview_video_thumb" style="background-image:'
               'url(\'https://cdn.example.invalid/file/preview-thumb-204.jpg\')"></i><div class="link_preview_video_'
               'wrap"><video src="https://cdn.example.invalid/file/preview-video-204.mp4" class="link_preview_video '
               'js-message_video" muted playsinline></video></div></div>'
               '<div class="link_preview_title" dir="auto">Clip of the bridge</div>'
               '<div class="link_preview_description" dir="auto">Footage from the scene</div></a>')
    posts = (_tg_post(c, 201, voice) + _tg_post(c, 202, sticker) + _tg_post(c, 203, location)
             + _tg_post(c, 204, preview, "Watch the clip"))
    return _tg_page(c, posts)


def _serve_telegram(h, path_query: str, hit: int, send) -> bool:
    channel, _, query = path_query[len(TELEGRAM_PREFIX):].partition("?")
    if channel == TG_THROTTLED_ONCE:
        if not query:
            body = _tg_page(channel, _tg_text_posts(channel, range(31, 34)), before=31)
        else:
            body = no_posts_found_page(channel) if hit <= 2 else _tg_page(channel, _tg_text_posts(channel, range(28, 31)))
    elif channel == TG_THROTTLED_ALWAYS:
        body = (no_posts_found_page(channel) if query else
                _tg_page(channel, _tg_text_posts(channel, range(21, 24)), before=21))
    elif channel == TG_EMPTY:
        body = no_posts_found_page(channel)
    elif channel == TG_MEDIA:
        body = media_page()
    else:
        return False
    _plain(h, 200, "text/html; charset=utf-8", body, send)
    return True


# ---- the downloaded corpus

def _serve_corpus(h, relative: str, send) -> None:
    """A corpus file; a folder as a listing page of its .html files; `name` falls back to `name.html`."""
    root = CORPUS_DIR.resolve()
    target = (root / relative).resolve()
    if root != target and root not in target.parents:
        return _plain(h, 404, "text/plain", b"outside the corpus\n", send)
    if target.is_dir():
        links = "".join(f'<li><a href="{_esc(p.name)}">{_esc(p.stem.replace("_", " "))}</a></li>\n'
                        for p in sorted(target.glob("*.html")))
        body = f"<!DOCTYPE html><html><head><title>Corpus</title></head><body><ul>\n{links}</ul></body></html>\n"
        return _plain(h, 200, "text/html; charset=utf-8", body.encode(), send)
    if not target.is_file() and target.with_name(target.name + ".html").is_file():
        target = target.with_name(target.name + ".html")
    if not target.is_file():
        return _plain(h, 404, "text/plain", b"no such corpus file\n", send)
    # no charset parameter: the file says which, or the crawler must find out, as on the web
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".gz":
        kind = "application/x-gzip"
    return _plain(h, 200, kind, target.read_bytes(), send)


# ---- dispatch

def start_urls(base: str) -> list[str]:
    return [base + c.path for c in CASES]


def serve(handler, path: str, base: str, send_body: bool = True, hit: int = 1) -> None:
    """Answer one `/realweb/` request (`path` with its query) on the handler's connection."""
    if path.startswith(TELEGRAM_PREFIX) and _serve_telegram(handler, path, hit, send_body):
        return
    path_only = path.split("?", 1)[0]
    slug = path_only.rsplit("/", 1)[-1]
    if path_only.startswith(f"{PREFIX}start/") and slug in _HANDLERS:
        return _HANDLERS[slug](handler, base, slug, send_body)
    if path_only.startswith(f"{PREFIX}sitemaps/") and slug in SITEMAP_CHILDREN:
        return _sitemap_child(handler, base, slug, send_body)
    if _serve_redirects(handler, base, path_only, send_body):
        return
    if path_only.endswith(".pdf"):
        return _plain(handler, 200, "application/pdf", b"%PDF-1.4\n% invented\n%%EOF\n", send_body)
    if path_only.startswith(f"{PREFIX}news/") and path_only.endswith("-story.html"):
        name = slug.removesuffix(".html")
        body = article_html(name, title=article_title(name)).encode()
        return _plain(handler, 200, "text/html; charset=utf-8", body, send_body)
    if path_only.startswith(CORPUS_PREFIX) and CORPUS_DIR is not None:
        return _serve_corpus(handler, path_only[len(CORPUS_PREFIX):], send_body)
    return _plain(handler, 404, "text/html; charset=utf-8", b"<html><body>Not here</body></html>", send_body)
