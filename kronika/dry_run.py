"""`kronika crawl SOURCE --dry-run`: fetch a source's start pages only and say what a crawl would
follow and what it would skip, and why — writing nothing (no WARC file, no database row, no lock).

The start pages are read by the spider's own parser (`parse_discovery`) and each article link is
judged by the spider's own rules (`skip_reason`, canonicalisation, the page budget, robots.txt), so
the answer is the crawl's. What a start page is (feed, sitemap, HTML) is decided from its response
— Content-Type and body — never from its URL's extension. Article pages themselves are not
fetched: whether one is HTML is only known from its response, so a crawl may still skip it
(`non_html`).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

FETCH_TIMEOUT = 30.0  # seconds per start page, as a person would wait


@dataclass
class Decision:
    url: str
    action: str  # follow (would be fetched) | skip | read (a post on a fetched channel page)
    what: str  # article | discovery page | start page | telegram page
    reason: str = ""  # why skipped (the run's skip reason), or what it is
    found_on: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DryRun:
    source: str
    start_pages: list[dict] = field(default_factory=list)  # url, status, content_type, kind, errors
    decisions: list[Decision] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"source": self.source, "start_pages": self.start_pages,
                "follow": [d.as_dict() for d in self.decisions if d.action == "follow"],
                "skip": [d.as_dict() for d in self.decisions if d.action == "skip"],
                "read": [d.as_dict() for d in self.decisions if d.action == "read"]}


def _client(source):
    import httpx

    headers = {"User-Agent": source.effective_user_agent, **source.headers}
    return httpx.Client(proxy=source.proxy, headers=headers, follow_redirects=True, timeout=FETCH_TIMEOUT)


class _Robots:
    """robots.txt per origin, fetched once, read by the parser Scrapy itself uses (Protego)."""

    def __init__(self, client, user_agent: str, obey: bool):
        self.client, self.user_agent, self.obey, self.rules = client, user_agent, obey, {}

    def allowed(self, url: str) -> bool:
        if not self.obey:
            return True
        from protego import Protego

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.rules:
            try:
                response = self.client.get(origin + "/robots.txt")
                text = response.text if response.status_code == 200 else ""
            except Exception:  # no robots.txt to read: everything is allowed, as Scrapy treats it
                text = ""
            self.rules[origin] = Protego.parse(text)
        return self.rules[origin].can_fetch(url, self.user_agent)


def dry_run(source) -> DryRun:
    """What a crawl of `source` would do with its start pages (news and Telegram sources)."""
    from kronika.settings import NewsSource

    report = DryRun(source=source.name)
    with _client(source) as client:
        robots = _Robots(client, source.effective_user_agent, source.obey_robots)
        if isinstance(source, NewsSource):
            _news(source, client, robots, report)
        else:
            _telegram(source, client, robots, report)
    return report


def _fetch(client, url: str, report: DryRun):
    """The start page's response, recorded in the report; None when it could not be fetched."""
    try:
        response = client.get(url)
    except Exception as exc:
        report.start_pages.append({"url": url, "status": None, "content_type": None, "kind": None,
                                   "errors": [f"{type(exc).__name__}: {exc}"]})
        return None
    return response


def _fetch_start_page(client, url: str, what: str, kind: str | None, robots: _Robots, report: DryRun):
    """(response, its start-page entry) when robots.txt allows the page and it answered 200; else None,
    with the skip or the error recorded in the report."""
    if not robots.allowed(url):
        report.decisions.append(Decision(url, "skip", what, "robots", ""))
        return None
    response = _fetch(client, url, report)
    if response is None:
        return None
    page = {"url": url, "final_url": str(response.url), "status": response.status_code,
            "content_type": response.headers.get("Content-Type"), "kind": kind, "errors": []}
    report.start_pages.append(page)
    if response.status_code != 200:
        page["errors"].append(f"answered {response.status_code}")
        return None
    return response, page


def _news(source, client, robots: _Robots, report: DryRun) -> None:
    from kronika.settings import parse_duration
    from kronika.spiders.article_filter import skip_reason
    from kronika.spiders.parsers.discovery import parse_discovery
    from kronika.spiders.urls import canonicalize_url

    allow = [re.compile(p) for p in source.allow_urls or []]
    deny = [re.compile(p) for p in source.deny_urls or []]
    max_age = timedelta(seconds=parse_duration(source.max_article_age)) if source.max_article_age else None
    seen: set[str] = set()
    scheduled = 0
    for start in source.start_urls:
        fetched = _fetch_start_page(client, start, "start page", None, robots, report)
        if fetched is None:
            continue
        response, page = fetched
        content_type = page["content_type"]
        result = parse_discovery(response.content, str(response.url), content_type, source.allowed_domains)
        page.update(kind=result.kind, errors=result.errors, warnings=result.warnings, offsite=result.offsite)
        if result.kind == "unknown":
            # the response says what it is (Content-Type, then the body): not a feed, sitemap or page
            report.decisions.append(Decision(start, "skip", "start page", f"non_html ({content_type or 'no type'})"))
            continue
        if result.offsite:
            report.decisions.append(Decision(f"{result.offsite} links", "skip", "off-site links", "offsite", start))
        for entry in result.entries:
            url = canonicalize_url(entry.url)
            if url in seen:
                continue
            seen.add(url)
            reason = skip_reason(url, entry.published_at or entry.modified_at, allow, deny, max_age)
            if reason is None and not robots.allowed(url):
                reason = "robots"
            if reason is None and scheduled >= source.max_pages:
                reason = "max_pages"
            if reason:
                report.decisions.append(Decision(url, "skip", "article", reason, start))
                continue
            scheduled += 1
            report.decisions.append(Decision(url, "follow", "article", "kept if its response is HTML"
                                             if not source.fetch_non_html else "", start))
        for url in result.follow:
            if source.max_depth >= 1:
                report.decisions.append(Decision(canonicalize_url(url), "follow", "discovery page",
                                                 "read like a start page (depth 1)", start))
            else:
                report.decisions.append(Decision(canonicalize_url(url), "skip", "discovery page", "max_depth", start))


def _telegram(source, client, robots: _Robots, report: DryRun) -> None:
    from kronika.spiders.parsers.telegram import parse_channel_page

    url = source.channel_url
    fetched = _fetch_start_page(client, url, "telegram page", "telegram", robots, report)
    if fetched is None:
        return
    response, page = fetched
    parsed = parse_channel_page(response.content, str(response.url))
    page["posts"] = len(parsed.posts)
    page["warnings"] = list(parsed.warnings)
    for post in parsed.posts:
        report.decisions.append(Decision(post.url, "read", "post", "on the channel page: stored from it, not fetched", url))
    if parsed.before:
        report.decisions.append(Decision(f"{url}?before={parsed.before}", "follow", "telegram page",
                                         "older posts (until max_pages or the last run's posts)", url))
