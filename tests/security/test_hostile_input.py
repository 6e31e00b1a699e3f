"""Hostile and malformed input, crawled for real: one crawl over every case, then a check per case.

The mirror's `/hostile/` section (kronika/mirror/hostile.py) serves each case beside good
articles. One news run (crawl, index, extract) goes over all of them through the mirror as the
source's proxy, with a 2 MB size cap and a 2 s download timeout; one Telegram run reads a
5,000-post page and a page whose markup changed. Each row of CASES says what that case must
come to: stored (and how), or refused with a clear line in the crawl's log; never a crash, and
never at the cost of the good pages of the same crawl.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kronika.mirror import hostile
from kronika.mirror.server import VIRTUAL_BASE_URL, MirrorServer
from kronika.settings import Environment, NewsSource, TelegramSource
from kronika.steps.run import run_source
from kronika.storage.db.engine import open_database, unit_of_work
from kronika.storage.db.models import Article, ArticleVersion, Capture, CrawlRun, TelegramPost
from tests.integration.helpers import assert_warcio_check_passes

BASE = VIRTUAL_BASE_URL
TIMEOUT = 2.0


@dataclass(frozen=True)
class Row:
    slug: str
    stored: str | None = None  # this path must be stored as an article ("" = the case's own path)
    log: str | None = None  # a line of the crawl log names the case and says this
    not_stored: bool = True  # the case's own address must not become an article
    max_hits: int | None = None  # the mirror saw the case's address at most this often
    archived_status: int | None = None  # the response was archived with this status
    text_has: str | None = None  # the stored text contains this
    named: str | None = None  # what the log line names, when not the case itself


def _path(slug: str) -> str:
    return next(c.path for c in hostile.CASES if c.slug == slug)


CASES = [
    # ---- feeds and sitemaps (start URLs)
    Row("feed-billion-laughs.xml", log="DOCTYPE with entity declarations ignored"),
    Row("feed-xxe-file.xml", stored=hostile.companion_path("feed-xxe-file.xml"), log="feed item with an unreadable link"),
    Row("feed-xxe-remote-dtd.xml", stored=hostile.companion_path("feed-xxe-remote-dtd.xml")),
    Row("sitemap-xxe-file.xml", stored=hostile.companion_path("sitemap-xxe-file.xml")),
    Row("sitemap-billion-laughs.xml", stored=hostile.companion_path("sitemap-billion-laughs.xml"),
        log="DOCTYPE with entity declarations ignored"),
    Row("sitemap-gzip-bomb.xml.gz", log="gzip body expands beyond the limit"),
    Row("sitemap-encoding-bomb.xml", log="exceeded DOWNLOAD_MAXSIZE"),
    Row("sitemap-index-loop.xml", max_hits=1, log="answered 404", named="no-such-sitemap.xml"),
    Row("feed-invalid-utf8.xml", stored=hostile.companion_path("feed-invalid-utf8.xml"), log="invalid XML"),
    Row("feed-served-as-jpeg.xml", stored=hostile.companion_path("feed-served-as-jpeg.xml")),
    Row("feed-invalid-links.xml", stored=hostile.companion_path("feed-invalid-links.xml"), log="unreadable link"),
    Row("feed-truncated-gzip.xml.gz", log="truncated gzip body"),
    Row("listing-hostile-links.html", stored=hostile.companion_path("listing-hostile-links.html")),
    # ---- bombs, size caps, broken connections, timeouts
    Row("gzip-bomb-encoded.html", log="exceeded DOWNLOAD_MAXSIZE", archived_status=200),
    Row("corrupt-gzip-encoding.html", log="Error -3 while decompressing", archived_status=200),
    Row("oversized-declared.html", log="larger than download max size"),
    Row("oversized-undeclared.html", log="larger than download max size"),
    Row("huge-page-under-cap.html", stored="", not_stored=False),
    Row("truncated-body.html", log="Gave up retrying", max_hits=3),
    Row("reset-mid-body.html", log="Gave up retrying", max_hits=3),
    Row("closed-before-headers.html", log="Connection was closed cleanly"),
    Row("garbage-status-line.html", log="ParseError", max_hits=3),
    Row("slow-drip.html", log=f"took longer than {TIMEOUT} seconds", max_hits=3),
    Row("never-answers.html", log=f"took longer than {TIMEOUT} seconds", max_hits=3),
    # ---- content types
    Row("served-as-png.html", log="image/png is not HTML", max_hits=1),
    Row("served-as-json.html", log="application/json is not HTML", max_hits=1),
    Row("no-content-type.html", stored="", not_stored=False),
    Row("empty-body.html", archived_status=200),
    Row("status-500-always.html", log="answered 500 after retries", max_hits=3, archived_status=500),
    # ---- malformed HTML and charsets
    Row("nul-bytes.html", stored="", not_stored=False),
    Row("unclosed-tags.html", stored="", not_stored=False, text_has="(unclosed-tags.html, part 3)"),
    # libxml2 stops at 256 levels: the page is stored (title, the bytes in the WARC), its body is cut
    Row("deeply-nested.html", stored="", not_stored=False),
    Row("huge-attribute.html", stored="", not_stored=False, text_has="(huge-attribute.html, part 2)"),
    Row("invalid-utf8-bytes.html", stored="", not_stored=False, text_has="\ufffd"),
    # the HTTP header wins over the meta tag (WHATWG): stored, with replacement characters
    Row("header-and-meta-disagree.html", stored="", not_stored=False),
    Row("unknown-charset.html", stored="", not_stored=False, text_has="(unknown-charset.html, part 1)"),
    Row("utf16-with-bom.html", stored="", not_stored=False, text_has="(utf16-with-bom.html, part 1)"),
    Row("mixed-charsets.html", stored="", not_stored=False, text_has="(mixed-charsets.html, part 3)"),
    # ---- structured data
    Row("invalid-json-ld.html", stored="", not_stored=False, text_has="(invalid-json-ld.html, part 2)"),
    Row("json-ld-deeply-nested.html", stored="", not_stored=False),
    Row("json-ld-wrong-types.html", stored="", not_stored=False),
    Row("xxe-in-html.html", stored="", not_stored=False),
    Row("script-and-handlers.html", stored="", not_stored=False),
    # ---- redirects
    Row("redirect-loop.html", max_hits=1, archived_status=302),
    Row("redirect-self.html", max_hits=1, archived_status=301),
    Row("redirect-long-chain.html", log="max redirections reached", named="/hostile/chain/long/6",
        archived_status=302),
    Row("redirect-short-chain.html", stored="/hostile/chain/short/1"),
    Row("redirect-to-file.html", max_hits=1, archived_status=302),
    Row("redirect-to-javascript.html", log="Missing scheme", archived_status=302),
    Row("redirect-to-metadata.html", max_hits=1, archived_status=302),
    Row("redirect-without-location.html", archived_status=302),
    Row("redirect-garbage-location.html", log="Invalid IPv6 URL", archived_status=302),
]

# links in /hostile/start/listing-hostile-links.html: a marker that must appear in no request
HREF_MARKERS = {
    "javascript": "document.cookie", "javascript-mixed-case": "alert(1)", "data": "base64",
    "vbscript": "msgbox", "mailto": "editor@", "tel": "380441234567", "file": "/etc/passwd",
    "ftp": "ftp-only-story", "broken-ipv6": "broken-ipv6-story", "space-in-host": "space-host-story",
    "offsite-protocol-relative": "offsite-story", "metadata-address": "iam-security-credentials",
    "overlong": "very-long-very-long",
}


@dataclass
class Crawled:
    env: Environment
    hits: dict[str, int]
    log: str
    stats: dict
    extract_counts: dict
    articles: dict[str, tuple[str | None, str | None]]  # url -> (title, text) of the newest version
    captures: dict[str, list[int]]  # url -> statuses archived
    status: str
    reason: str | None


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Crawled:
    tmp = tmp_path_factory.mktemp("hostile")
    env = Environment(database_url=f"sqlite:///{tmp / 'kronika.db'}", archive_dir=tmp / "archive")
    with MirrorServer(port=0) as mirror:
        source = NewsSource.model_validate({
            "name": "hostile-lab", "kind": "news", "start_urls": hostile.start_urls(BASE),
            "allowed_domains": ["mirror.kronika.test"], "download_delay": 0, "concurrent_requests_per_domain": 8,
            "allow_private_networks": True, "proxy": mirror.url, "max_response_bytes": hostile.SIZE_CAP,
            "download_timeout": TIMEOUT, "max_pages": 1000})
        result = run_source(source, env)
        hits = dict(mirror.hits)
    log = "\n".join(p.read_text(encoding="utf-8") for p in (env.archive_dir / "hostile-lab" / "logs").glob("*.log"))
    with unit_of_work(open_database(env.database_url)) as session:
        articles = {}
        for article in session.scalars(select(Article)):
            version = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                                      .order_by(ArticleVersion.id.desc())).first()
            articles[article.url] = (version.title, version.text)
        captures: dict[str, list[int]] = {}
        for capture in session.scalars(select(Capture)):
            captures.setdefault(capture.url, []).append(capture.status)
        run = session.scalars(select(CrawlRun)).one()
        stats, status, reason = dict(run.stats), run.status, run.reason
    return Crawled(env, hits, log, stats, dict(result.extract.counts), articles, captures, status, reason)


@pytest.mark.parametrize("row", CASES, ids=[r.slug for r in CASES])
def test_each_hostile_case_is_stored_or_refused_clearly(crawled: Crawled, row: Row):
    path = _path(row.slug)
    url = BASE + path
    if row.stored is not None:
        wanted = BASE + (row.stored or path)
        assert wanted in crawled.articles, f"{row.slug}: {wanted} was not stored"
        title, text = crawled.articles[wanted]
        assert title and title.startswith("Hostile lab"), title
        if row.text_has:
            assert row.text_has in (text or ""), text[:300] if text else text
    if row.not_stored:
        assert url not in crawled.articles, f"{row.slug} became an article"
    if row.log:
        lines = [line for line in crawled.log.splitlines() if (row.named or row.slug) in line and row.log in line]
        assert lines, f"{row.slug}: no log line with {row.log!r}"
    if row.max_hits is not None:
        assert 1 <= crawled.hits.get(path, 0) <= row.max_hits, crawled.hits.get(path)
    if row.archived_status is not None:
        assert row.archived_status in crawled.captures.get(url, []), crawled.captures.get(url)


@pytest.mark.parametrize("label", sorted(HREF_MARKERS))
def test_hostile_links_in_a_listing_are_never_requested(crawled: Crawled, label: str):
    marker = HREF_MARKERS[label]
    assert label in dict(hostile.BAD_HREFS)
    assert not [p for p in crawled.hits if marker in p], f"{label} link was requested"
    assert not [u for u in crawled.captures if marker in u], f"{label} link was archived"


def test_the_run_goes_on_and_the_good_pages_are_all_stored(crawled: Crawled):
    # the crawl went to its end; a site that is mostly broken pages then fails its check, saying why
    assert crawled.status == "failed" and crawled.reason.startswith("errors in "), crawled.reason
    for n in range(1, hostile.CONTROL_ARTICLES + 1):
        assert BASE + hostile.control_path(n) in crawled.articles
    # every failure above was a counted, logged error, not an exception in the spider or extract
    assert crawled.stats["kronika/errors"] >= 20
    # counted by cause, snake_case, and the causes add up to the total
    causes = {k.rpartition("/")[2]: v for k, v in crawled.stats.items() if k.startswith("kronika/errors/")}
    assert sum(causes.values()) == crawled.stats["kronika/errors"]
    assert all(re.fullmatch(r"[a-z0-9_]+", cause) for cause in causes), causes
    assert causes["timeout"] >= 2 and causes["http_5xx"] >= 1 and causes["too_large"] >= 3, causes
    assert causes["truncated"] >= 1 and causes["too_many_redirects"] >= 1, causes
    # the non-HTML articles are skips, not errors
    assert crawled.stats["kronika/skipped/non_html"] >= 2
    assert "Spider error processing" not in crawled.log and "Traceback" not in crawled.log
    assert crawled.extract_counts["unreadable_records"] == 2  # the encoded gzip bomb, the corrupt gzip
    assert crawled.extract_counts["articles_without_text"] >= 1  # the empty body
    # nothing the entities point at reached the database: not /etc/passwd, not a billion laughs
    for url, (title, text) in crawled.articles.items():
        blob = f"{title}\n{text}"
        assert "root:" not in blob and "/bin/" not in blob and "lollol" not in blob, url
        assert "\x00" not in blob, url  # NUL is refused by PostgreSQL text columns
        assert "document.title" not in blob and "alert(" not in blob, url
    assert crawled.hits.get("/hostile/xxe.dtd", 0) == 0, "an outside DTD was fetched"
    assert not [p for p in crawled.hits if "meta-data" in p], "a redirect to the metadata address was followed"
    assert crawled.hits.get("/hostile/chain/long/1", 0) == 0, "a redirect chain past the limit was followed"
    assert "Ignoring link (url length > 2083)" in crawled.log
    assert_warcio_check_passes(crawled.env.archive_dir)


def test_an_enormous_telegram_page_and_changed_markup(tmp_path):
    env = Environment(database_url=f"sqlite:///{tmp_path / 'kronika.db'}", archive_dir=tmp_path / "archive")
    with MirrorServer(port=0) as mirror:
        source = TelegramSource.model_validate({
            "name": "hostile-channel", "kind": "telegram", "channel": hostile.TELEGRAM_CHANNEL,
            "mirror": BASE + hostile.TELEGRAM_PREFIX, "download_delay": 0, "allow_private_networks": True,
            "proxy": mirror.url})
        result = run_source(source, env)
    stats = result.crawl.stats
    assert result.crawl.status == "succeeded"
    # 5,000 posts on one page: every one stored, the odd block among them counted as a warning
    assert stats["kronika/telegram/posts_seen"] == hostile.TELEGRAM_POSTS
    with unit_of_work(open_database(env.database_url)) as session:
        posts = {p.post_id: p.text for p in session.scalars(select(TelegramPost))}
    assert sorted(posts) == list(range(101, 101 + hostile.TELEGRAM_POSTS))
    assert posts[2600] == hostile.telegram_post_text(2600)
    log = "\n".join(p.read_text(encoding="utf-8") for p in (env.archive_dir / "hostile-channel" / "logs").glob("*.log"))
    assert "no readable data-post ('nonsense')" in log
    # the next page back, in a markup the parser does not know: a loud error, the run still succeeds
    assert stats["kronika/telegram/empty_pages"] == 1
    assert "MARKUP CHANGED?" in log
    assert result.extract.counts["telegram_empty_pages"] == 1
