"""Property-based tests (hypothesis): URL canonicalisation, charset decoding and the parsers.

Each property holds for every input hypothesis can think of, not only the ones we wrote down:
canonicalisation is idempotent and keeps what a URL means, decoding never raises and round-trips
legacy Cyrillic charsets declared in a meta tag, and no parser raises on arbitrary bytes (bad
input becomes warnings or empty records, never an exception that would stop a crawl).
"""
from __future__ import annotations

import gzip
from urllib.parse import urlsplit

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kronika.spiders.parsers.article import parse_article
from kronika.spiders.parsers.charset import decode_html, maybe_gunzip
from kronika.spiders.parsers.discovery import parse_discovery
from kronika.spiders.parsers.telegram import parse_channel_page
from kronika.spiders.urls import canonicalize_url

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- strategies

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
hosts = st.builds(lambda parts, tld: ".".join(parts + [tld]), st.lists(label, min_size=1, max_size=3),
                  st.sampled_from(["com", "org", "ua", "test"]))
path_chars = st.text(alphabet="abcXYZ019-._~%/!$&'()*+,;=:@ёї", max_size=30)
query_pairs = st.lists(st.tuples(st.sampled_from(["id", "page", "utm_source", "fbclid", "q", "gclid", "Sort"]),
                                 st.text(alphabet="abc123-_", max_size=8)), max_size=4)


@st.composite
def http_urls(draw) -> tuple[str, dict]:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(hosts)
    host_spelling = draw(st.sampled_from([host, host.upper(), host + "."]))
    port = draw(st.sampled_from([None, 80, 443, 8080]))
    path = "/" + draw(path_chars)
    pairs = draw(query_pairs)
    query = "&".join(f"{k}={v}" for k, v in pairs)
    fragment = draw(st.sampled_from(["", "#top", "#a-b"]))
    netloc = host_spelling + (f":{port}" if port else "")
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "") + fragment
    return url, {"scheme": scheme.lower(), "host": host, "port": port, "pairs": pairs}


# ---- URL canonicalisation

@FAST
@given(st.text(max_size=200))
def test_canonicalize_never_raises_and_is_idempotent_on_any_text(text):
    once = canonicalize_url(text)
    assert isinstance(once, str)
    assert canonicalize_url(once) == once


@FAST
@given(http_urls())
def test_canonicalize_keeps_scheme_host_and_meaningful_parameters(generated):
    url, parts = generated
    canonical = canonicalize_url(url)
    assert canonicalize_url(canonical) == canonical
    split = urlsplit(canonical)
    assert split.scheme == parts["scheme"]
    assert split.hostname == parts["host"]
    default = {"http": 80, "https": 443}[parts["scheme"]]
    assert split.port == (None if parts["port"] in (None, default) else parts["port"])
    assert split.fragment == "" and split.path.startswith("/")
    kept = [k for k, _ in parts["pairs"] if k not in ("utm_source", "fbclid", "gclid")]
    assert [piece.partition("=")[0] for piece in split.query.split("&") if piece] == kept


# ---- charsets

cyrillic_text = st.text(alphabet="абвгдеєжзиіїйклмнопрстуфхцчшщьюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯыъэ ,.-0123456789",
                        min_size=1, max_size=200).filter(lambda t: t.strip())


@FAST
@given(st.binary(max_size=2000), st.one_of(st.none(), st.text(max_size=60),
                                            st.sampled_from(["text/html; charset=x-klingon", "text/html; charset=",
                                                             "text/html; charset=utf-16", "text/html"])))
def test_decode_html_never_raises(body, content_type):
    text, encoding = decode_html(body, content_type)
    assert isinstance(text, str) and isinstance(encoding, str)


@FAST
@given(cyrillic_text, st.sampled_from(["utf-8", "cp1251", "koi8-r"]), st.sampled_from(["meta", "http-equiv"]))
def test_decode_html_round_trips_a_charset_declared_in_the_page(text, encoding, style):
    text = "".join(c for c in text if c.encode(encoding, "ignore"))  # koi8-r has no є, і, ї
    assume(text.strip())
    if style == "meta":
        declaration = f"<meta charset=\"{encoding}\">"
    else:
        declaration = f"<meta http-equiv=\"Content-Type\" content=\"text/html; charset={encoding}\">"
    page = f"<html><head>{declaration}<title>t</title></head><body><p>{text}</p></body></html>"
    decoded, _ = decode_html(page.encode(encoding), "text/html")
    assert text in decoded


@FAST
@given(st.binary(max_size=5000))
def test_maybe_gunzip_round_trips_and_refuses_only_with_value_error(data):
    assert maybe_gunzip(gzip.compress(data)) == data
    try:
        maybe_gunzip(b"\x1f\x8b" + data)
    except ValueError:
        pass  # a corrupt stream is refused so, never with zlib.error or anything else


# ---- parsers never raise on arbitrary bytes

html_fragments = st.lists(st.sampled_from([
    "<html>", "<head>", "<body>", "<article>", "<p>", "</p>", "<div>", "</div>", "<h1>", "</h1>", "<title>",
    "</title>", "<script type=\"application/ld+json\">", "</script>", "{\"@type\":\"NewsArticle\",", "\"headline\":",
    "[", "]", "}", "<meta property=\"og:title\" content=\"", "\">", "<time datetime=\"2026-13-45\">",
    "<div class=\"tgme_widget_message\" data-post=\"", "chan/12", "\">", "<a class=\"tgme_widget_message_date\">",
    "<section class=\"tgme_channel_history\">", "<rss>", "<item>", "<link>", "<urlset>", "<loc>", "&amp;", "&xxe;",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>", "\x00", "\xff", "Зарічанськ", "text ", "http://[::1", "<![CDATA[",
]), max_size=40).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))
any_bytes = st.one_of(st.binary(max_size=3000), html_fragments)
content_types = st.one_of(st.none(), st.sampled_from(["text/html", "text/html; charset=koi8-r", "application/xml",
                                                       "application/rss+xml", "image/png", "text/html; charset=bogus"]))


@SLOW
@given(any_bytes, content_types)
def test_parse_article_never_raises(body, content_type):
    record = parse_article(body, "https://news.example.org/2026/01/a-b-c.html", content_type)
    assert record.text is None or isinstance(record.text, str)


@FAST
@given(any_bytes)
def test_parse_channel_page_never_raises(body):
    page = parse_channel_page(body, "https://t.me/s/chan")
    assert all(post.post_id >= 0 for post in page.posts)


@FAST
@given(any_bytes, content_types, st.sampled_from([[], ["news.example.org"]]))
def test_parse_discovery_never_raises(body, content_type, allowed):
    result = parse_discovery(body, "https://news.example.org/feed.xml", content_type, allowed)
    assert result.kind in ("rss", "atom", "sitemap", "sitemapindex", "html", "unknown")
    assert all(e.url.startswith(("http://", "https://")) for e in result.entries)
