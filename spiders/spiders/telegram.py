"""The Telegram spider: a channel's public web preview (`t.me/s/<channel>`), newest page first.

It walks older pages through `?before=<id>` until the oldest post of a page reaches
`stop_at_post_id` (the crawl step's overlap window behind the newest stored post), or is older than
`stop_before` (a first run's date), or `max_pages` pages were read.

A channel with no public preview answers its `/s/` URL with a redirect to its profile page
(`t.me/<channel>`). The spider does not follow it as if it were the channel: it fetches the
profile (archived, role "profile") only to say which case it is (preview disabled, or no such
channel), records the reason in the stats and closes with `channel_unavailable`, so the run is a
clear per-source failure and nothing is parsed from a page that is not the channel's.

With `media` set to "thumbnails" (photos, video stills, link-preview images, stickers, location
maps) or "all" (also the video files, a link preview's video and voice messages), each post's
media are fetched as further requests (role "media"), archived like every exchange; URLs
archived by an earlier run are not fetched again.

Telegram answers a client it throttles with a normal-looking page that says "No posts found".
Where posts are expected (an older page the previous one pointed to, or a channel with posts
already stored) the page is asked again after a back-off (KRONIKA_TELEGRAM_THROTTLE_RETRIES times,
waiting KRONIKA_TELEGRAM_THROTTLE_DELAY seconds, doubled each time); if it persists the walk stops
there and the run counts it as throttling (`kronika/telegram/throttled`, error cause `throttled`),
not as a markup change. Every attempt is archived.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from kronika.spiders.outcomes import count_error, count_failure
from kronika.spiders.parsers.records import TelegramPost
from kronika.spiders.parsers.telegram import page_is_unreadable, parse_channel_page

REDIRECTS = (301, 302, 303, 307, 308)
MEDIA_CHOICES = ("none", "thumbnails", "all")


def media_urls(post: TelegramPost, media: str) -> list[str]:
    """The media files a post shows, as far as `media` asks for them."""
    if media == "none":
        return []
    urls = [*post.photos, *post.video_thumbnails]
    if post.link_preview_image:
        urls.append(post.link_preview_image)
    urls += [m["image"] for m in (post.sticker, post.location) if m and m.get("image")]
    if media == "all":
        urls += post.videos
        urls += [u for u in (post.link_preview_video, (post.voice or {}).get("url")) if u]
    return [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]


class TelegramSpider(scrapy.Spider):
    name = "telegram"

    def __init__(self, channel: str, channel_url: str, allowed_domains: list[str],
                 stop_at_post_id: int | None = None, stop_before: str | None = None, max_pages: int = 5,
                 media: str = "none", known_media_file: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channel = channel
        self.channel_url = channel_url
        self.allowed_domains = list(allowed_domains)
        self.stop_at_post_id = int(stop_at_post_id) if stop_at_post_id is not None else None
        self.stop_before = datetime.fromisoformat(stop_before) if stop_before else None
        self.max_pages = int(max_pages)
        if media not in MEDIA_CHOICES:
            raise ValueError(f"media must be one of {', '.join(MEDIA_CHOICES)}, not {media!r}")
        self.media = media
        known = json.loads(Path(known_media_file).read_text(encoding="utf-8")) if known_media_file else []
        self.seen_media: set[str] = set(known)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.throttle_retries = crawler.settings.getint("KRONIKA_TELEGRAM_THROTTLE_RETRIES", 3)
        spider.throttle_delay = crawler.settings.getfloat("KRONIKA_TELEGRAM_THROTTLE_DELAY", 30.0)
        return spider

    async def start(self):
        yield self._page_request(self.channel_url, 1)

    def _page_request(self, url: str, page_number: int, throttled: int = 0) -> scrapy.Request:
        # dont_redirect: a redirect away from the preview is the answer, not a hop to follow blindly
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, dont_filter=throttled > 0,
                              meta={"kronika_role": "channel", "kronika_page": page_number, "dont_redirect": True,
                                    "kronika_throttled": throttled})

    async def parse_page(self, response):
        """One channel page; an async generator so that a throttled page can wait and be asked again."""
        page_number = response.meta.get("kronika_page", 1)
        attempt = response.meta.get("kronika_throttled", 0)
        if response.status == 200 and self._looks_throttled(response, page_number):
            if attempt < self.throttle_retries:
                wait = self.throttle_delay * 2 ** attempt
                self.crawler.stats.inc_value("kronika/telegram/throttle_retries")
                self.logger.warning("channel %s: %s says \"No posts found\" where posts are expected (throttled?): "
                                    "asking again in %.1fs (attempt %d of %d)", self.channel, response.url, wait,
                                    attempt + 1, self.throttle_retries)
                from twisted.internet import reactor  # the running one (importing it early would install one)

                # only this page waits (the walk is one page after another); media requests go on
                await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
                yield self._page_request(response.url, page_number, throttled=attempt + 1)
                return
            self.crawler.stats.inc_value("kronika/telegram/throttled")
            count_error(self.crawler.stats, "throttled")
            self.logger.error("channel %s: THROTTLED: %s still says \"No posts found\" after %d attempts; the walk "
                              "stops here and the next run goes on from the posts stored", self.channel,
                              response.url, attempt + 1)
            return
        for request in self._parse_page(response):
            yield request

    def _looks_throttled(self, response, page_number: int) -> bool:
        """A "No posts found" page where posts are expected."""
        if b"tme_no_messages_found" not in response.body:
            return False
        page = parse_channel_page(response.body, response.url)
        if page.posts or not page.no_posts_found:
            return False
        # an older page the previous one pointed to has posts; so does the first page of a channel
        # whose posts are stored (stop_at_post_id). A first run's first page may be a channel with none.
        return page_number > 1 or self.stop_at_post_id is not None

    def _parse_page(self, response):
        stats = self.crawler.stats
        page_number = response.meta.get("kronika_page", 1)
        if response.status in REDIRECTS:
            location = response.urljoin(response.headers.get("Location", b"").decode("latin-1"))
            if "/s/" in urlsplit(location).path:  # e.g. the username's letter case corrected
                yield self._page_request(location, page_number)
                return
            yield scrapy.Request(location, callback=self.parse_profile, errback=self.on_profile_error,
                                 meta={"kronika_role": "profile", "kronika_redirected_from": response.url},
                                 dont_filter=True)
            return
        if response.status == 404:
            self._unavailable("not_found", f"no such channel: {response.url} answered 404")
            return
        if response.status != 200:
            count_error(stats, "http_5xx" if response.status >= 500 else
                        "http_429" if response.status == 429 else "telegram_status")
            self.logger.error("channel %s: %s answered %s", self.channel, response.url, response.status)
            return

        page = parse_channel_page(response.body, response.url)
        stats.inc_value("kronika/telegram/pages")
        stats.inc_value("kronika/telegram/posts_seen", len(page.posts))
        for warning in page.warnings:
            stats.inc_value("kronika/telegram/warnings")
            self.logger.warning("channel %s page %s: %s", self.channel, response.url, warning)
        if page.channel.subscribers is not None and page_number == 1:
            stats.set_value("kronika/telegram/subscribers", page.channel.subscribers)
        if not page.posts:
            if page.no_posts_found:
                stats.inc_value("kronika/telegram/no_posts_found")
                self.logger.warning("channel %s: %s says \"No posts found\" (a channel without posts yet)",
                                    self.channel, response.url)
            elif response.body.strip() and page_is_unreadable(page):
                # the page is there but nothing could be read from it: Telegram's markup changed
                stats.inc_value("kronika/telegram/empty_pages")
                count_error(stats, "telegram_markup")
                self.logger.error("channel %s: MARKUP CHANGED? %s (%d bytes) yielded no posts; the parser "
                                  "needs updating (%s)", self.channel, response.url, len(response.body),
                                  "; ".join(page.warnings) or "no warning")
            return

        for post in page.posts:
            for url in media_urls(post, self.media):
                if url in self.seen_media:
                    continue
                self.seen_media.add(url)
                stats.inc_value("kronika/telegram/media_requests")
                yield scrapy.Request(url, callback=self.parse_media, errback=self.on_media_error,
                                     meta={"kronika_role": "media", "allow_offsite": True,
                                           "kronika_post": post.url})

        oldest = min(page.posts, key=lambda p: p.post_id)
        if self.stop_at_post_id is not None and oldest.post_id <= self.stop_at_post_id:
            return
        if self.stop_before is not None and oldest.posted_at is not None and oldest.posted_at < self.stop_before:
            return
        if page.before and page_number < self.max_pages:
            yield self._page_request(f"{self.channel_url}?before={page.before}", page_number + 1)
        elif page.before:
            stats.set_value("kronika/telegram/stopped_at_max_pages", self.max_pages)

    def parse_profile(self, response):
        """Tell a channel whose preview is disabled from a name that is no public channel."""
        exists = False
        if response.status == 200:
            try:
                doc = lxml.html.document_fromstring(response.text)
            except (ValueError, lxml.etree.ParserError, AttributeError):
                doc = None
            if doc is not None:
                extra = " ".join(el.text_content() for el in doc.cssselect(".tgme_page_extra")).lower()
                exists = any(word in extra for word in ("subscriber", "member", "підписник", "подписчик"))
        if exists:
            self._unavailable("preview_disabled",
                              f"channel @{self.channel} exists but its web preview is disabled "
                              f"({response.meta['kronika_redirected_from']} redirects to {response.url})")
        else:
            self._unavailable("not_found",
                              f"no public channel @{self.channel}: {response.meta['kronika_redirected_from']} "
                              f"redirects to {response.url}, which shows no channel")

    def on_profile_error(self, failure):
        self._unavailable("not_found", f"no public preview of @{self.channel}, and its profile page failed: "
                                       f"{failure.getErrorMessage()}")

    def _unavailable(self, reason: str, message: str) -> None:
        stats = self.crawler.stats
        count_error(stats, "channel_unavailable")
        stats.set_value(f"kronika/telegram/{reason}", 1)
        stats.set_value("kronika/telegram/unavailable", message)
        self.logger.error("channel %s: %s", self.channel, message)
        # the run ends here, recorded as failed with this reason (not a crash: no traceback, WARC closed)
        raise CloseSpider("channel_unavailable")

    def parse_media(self, response):
        if response.status == 200:
            self.crawler.stats.inc_value("kronika/telegram/media_fetched")
        else:
            self.crawler.stats.inc_value("kronika/telegram/media_errors")
            self.logger.warning("media of %s: %s answered %s", response.meta.get("kronika_post"), response.url,
                                response.status)

    def on_media_error(self, failure):
        # a missing photo costs that photo, not the run
        self.crawler.stats.inc_value("kronika/telegram/media_errors")
        self.logger.warning("media %s: %s", failure.request.url, failure.getErrorMessage())

    def on_error(self, failure):
        kind, word = count_failure(self.crawler.stats, failure.value)
        log = self.logger.info if kind == "skip" else self.logger.error
        log("%s (%s): %s", failure.request.url, word, failure.getErrorMessage())
