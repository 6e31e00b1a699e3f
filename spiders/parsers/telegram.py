"""Telegram's public channel preview (`t.me/s/<channel>`) read into posts.

The markup is undocumented and changes now and then, so every post is read on its own: a block
that cannot be read becomes a warning and the rest of the page still counts.
"""
from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.etree
import lxml.html

from kronika.spiders.parsers.charset import decode_html
from kronika.spiders.parsers.dates import to_utc
from kronika.spiders.parsers.records import (
    TelegramChannelInfo,
    TelegramPage,
    TelegramPost,
)

_MULTIPLIERS = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_COUNT_RE = re.compile(r"^(\d+(?:\.\d+)?)([KMB]?)$")
_BG_URL_RE = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.I)
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,64}$")
# The bare "edited" label in the footer; the preview is usually English, but a proxy or a mirror
# may serve it localised.
_EDITED_WORDS = {"edited", "изменено", "змінено", "ред."}
_SUBSCRIBER_TYPES = ("subscriber", "member", "подпис", "підпис", "учасн", "участ")
# Elements whose content starts on its own line in the plain text.
_BLOCK_TAGS = {"blockquote", "pre", "div", "p"}


def parse_view_count(s: str) -> tuple[int, int] | None:
    """Read a rounded counter such as "4.1K" into (value, granularity).

    The granularity is the step of the last shown digit: "4.1K" is (4100, 100), "12K" is
    (12000, 1000), "845" is (845, 1). Commas, spaces and no-break spaces are tolerated; a comma
    before a K/M/B suffix is read as a decimal point ("4,1K"), elsewhere as a thousands separator.
    """
    if not isinstance(s, str):
        return None
    t = re.sub(r"[\s\u00a0\u202f\u2009]+", "", s).upper()
    if t.endswith(("K", "M", "B")) and "," in t and "." not in t:
        t = t.replace(",", ".")
    t = t.replace(",", "")
    m = _COUNT_RE.match(t)
    if not m:
        return None
    number, suffix = m.groups()
    try:
        dec = Decimal(number)
    except InvalidOperation:
        return None
    multiplier = _MULTIPLIERS[suffix]
    decimals = len(number.partition(".")[2])
    value = int(dec * multiplier)
    granularity = max(1, multiplier // (10**decimals))
    return value, granularity


def _classes(el: lxml.html.HtmlElement) -> set[str]:
    return set((el.get("class") or "").split())


def _norm(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def _first(el: lxml.html.HtmlElement, css: str) -> lxml.html.HtmlElement | None:
    found = el.cssselect(css)
    return found[0] if found else None


def _text_of(el: lxml.html.HtmlElement | None) -> str | None:
    return _norm(el.text_content()) if el is not None else None


def _plain_text(el: lxml.html.HtmlElement) -> str:
    """Visible text with <br> as a newline; emoji images carry the character itself in <b>."""
    parts: list[str] = []

    def newline() -> None:
        if parts and not parts[-1].endswith("\n"):
            parts.append("\n")

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "br":
            parts.append("\n")
        elif tag in {"script", "style"}:
            pass
        else:
            if tag in _BLOCK_TAGS:
                newline()
            if node.text and tag:
                parts.append(node.text)
            for child in node:
                walk(child)
                if child.tail:
                    parts.append(child.tail)
            if tag in _BLOCK_TAGS:
                newline()

    if el.text:
        parts.append(el.text)
    for child in el:
        walk(child)
        if child.tail:
            parts.append(child.tail)
    text = "".join(parts).replace("\u00a0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def _inner_html(el: lxml.html.HtmlElement) -> str:
    head = html_lib.escape(el.text, quote=False) if el.text else ""
    return head + "".join(
        lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in el
    )


def _post_id_from_href(href: str | None) -> int | None:
    if not href:
        return None
    segments = [seg for seg in urlsplit(href).path.split("/") if seg]
    if segments and segments[-1].isdigit():
        return int(segments[-1])
    return None


def _bg_url(el: lxml.html.HtmlElement) -> str | None:
    m = _BG_URL_RE.search(el.get("style") or "")
    if not m:
        return None
    url = m.group(1).strip()
    return "https:" + url if url.startswith("//") else url


def _message_text_div(msg: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    direct = msg.cssselect("div.tgme_widget_message_bubble > div.tgme_widget_message_text")
    if direct:
        return direct[0]
    # Tolerate an extra wrapper, but never take the quoted text of a reply or a link preview.
    for div in msg.cssselect("div.tgme_widget_message_text"):
        if not any(
            "tgme_widget_message_reply" in _classes(a) or "tgme_widget_message_link_preview" in _classes(a)
            for a in div.iterancestors()
        ):
            return div
    return None


def _is_edited(msg: lxml.html.HtmlElement) -> bool:
    for meta in msg.cssselect("span.tgme_widget_message_meta"):
        # Only text directly inside the meta span: the date link's own text is a time.
        own = " ".join(t for t in meta.xpath("text()") if isinstance(t, str))
        words = {w.strip(",.").lower() for w in own.split()}
        if words & _EDITED_WORDS:
            return True
    return False


def _in_preview(el: lxml.html.HtmlElement) -> bool:
    return any("tgme_widget_message_link_preview" in _classes(a) for a in el.iterancestors())


def _videos(msg: lxml.html.HtmlElement) -> list[str]:
    """The post's own videos; a video inside a link preview is the linked page's, not the post's."""
    urls: list[str] = []
    for player in msg.cssselect(".tgme_widget_message_video_player"):
        if _in_preview(player):
            continue
        video = _first(player, "video[src]")
        src = video.get("src") if video is not None else None
        url = src or player.get("href")
        if url:
            urls.append(url)
    for video in msg.cssselect("video[src]"):
        if not _in_preview(video):
            urls.append(video.get("src"))
    return list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))


def _video_thumbnails(msg: lxml.html.HtmlElement) -> list[str]:
    urls = [_bg_url(el) for el in msg.cssselect(".tgme_widget_message_video_thumb, .tgme_widget_message_roundvideo_thumb")
            if not _in_preview(el)]
    return list(dict.fromkeys(u for u in urls if u))


def _link_preview_image(msg: lxml.html.HtmlElement) -> str | None:
    # a preview of a video page shows the video's still where other previews show an image
    for el in msg.cssselect("a.tgme_widget_message_link_preview .link_preview_image, "
                            "a.tgme_widget_message_link_preview .link_preview_right_image, "
                            "a.tgme_widget_message_link_preview .link_preview_video_thumb"):
        if url := _bg_url(el):
            return url
    return None


def _link_preview_video(msg: lxml.html.HtmlElement) -> str | None:
    for video in msg.cssselect("a.tgme_widget_message_link_preview video[src]"):
        if src := (video.get("src") or "").strip():
            return src
    return None


def _voice(msg: lxml.html.HtmlElement) -> dict | None:
    player = _first(msg, ".tgme_widget_message_voice_player")
    audio = _first(msg, "audio.tgme_widget_message_voice, audio[src]") if player is not None else None
    if player is None and audio is None:
        return None
    return {"url": (audio.get("src") or "").strip() if audio is not None else "",
            "duration": _text_of(_first(player, ".tgme_widget_message_voice_duration")) or ""}


def _sticker(msg: lxml.html.HtmlElement) -> dict | None:
    el = _first(msg, ".tgme_widget_message_sticker")
    if el is None:
        wrap = _first(msg, ".tgme_widget_message_sticker_wrap")
        if wrap is None:
            return None
        el = _first(wrap, "img, i, picture, video") if len(wrap) else wrap
    image = (_bg_url(el) or el.get("data-webp") or el.get("src") or "") if el is not None else ""
    return {"image": image.strip(), "emoji": (el.get("data-sticker-emoji") or "") if el is not None else ""}


_LATLON_RE = re.compile(r"(-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)")


def _location(msg: lxml.html.HtmlElement) -> dict | None:
    wrap = _first(msg, "a.tgme_widget_message_location_wrap")
    if wrap is None:
        return None
    href = (wrap.get("href") or "").strip()
    found = {"url": href, "latitude": None, "longitude": None, "image": None}
    for values in parse_qs(urlsplit(href).query).values():
        m = _LATLON_RE.fullmatch(values[0].strip()) if values else None
        if m:
            found["latitude"], found["longitude"] = float(m.group(1)), float(m.group(2))
            break
    image_el = _first(wrap, ".tgme_widget_message_location")
    found["image"] = _bg_url(image_el) if image_el is not None else None
    return found


def _poll(msg: lxml.html.HtmlElement) -> dict | None:
    box = _first(msg, ".tgme_widget_message_poll")
    if box is None:
        return None
    options = []
    for option in box.cssselect(".tgme_widget_message_poll_option"):
        percent = _text_of(_first(option, ".tgme_widget_message_poll_option_percent"))
        options.append({"text": _text_of(_first(option, ".tgme_widget_message_poll_option_text")) or "",
                        "percent": int(percent.rstrip("%")) if percent and percent.rstrip("%").isdigit() else None})
    return {"question": _text_of(_first(box, ".tgme_widget_message_poll_question")) or "",
            "type": _text_of(_first(box, ".tgme_widget_message_poll_type")) or "",
            "options": options}


def _link_preview(msg: lxml.html.HtmlElement) -> dict[str, str] | None:
    a = _first(msg, "a.tgme_widget_message_link_preview")
    if a is None:
        return None
    return {
        "url": (a.get("href") or "").strip(),
        "site": _text_of(_first(a, ".link_preview_site_name")) or "",
        "title": _text_of(_first(a, ".link_preview_title")) or "",
        "description": _text_of(_first(a, ".link_preview_description")) or "",
    }


def _forwarded(msg: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    box = _first(msg, ".tgme_widget_message_forwarded_from")
    if box is None:
        return None, None
    name_el = _first(box, ".tgme_widget_message_forwarded_from_name")
    link = name_el if name_el is not None and name_el.tag == "a" else _first(box, "a[href]")
    name = _text_of(name_el)
    if name is None:
        whole = _text_of(box) or ""
        name = _norm(re.sub(r"^forwarded from", "", whole, flags=re.I))
    href = link.get("href").strip() if link is not None and link.get("href") else None
    return name, href


def _read_post(msg: lxml.html.HtmlElement, page_url: str = "") -> TelegramPost:
    """Read one message container; raise ValueError when it lacks what makes a post a post."""
    data_post = (msg.get("data-post") or "").strip()
    channel, _, raw_id = data_post.rpartition("/")
    if not channel or not raw_id.isdigit():
        raise ValueError(f"no readable data-post ({data_post!r})")
    post_id = int(raw_id)
    time_el = _first(msg, "a.tgme_widget_message_date time[datetime]")
    posted_at = to_utc(time_el.get("datetime")) if time_el is not None else None
    if posted_at is None:
        raise ValueError(f"post {data_post}: no readable date")

    post = TelegramPost(channel=channel, post_id=post_id, url=f"https://t.me/{channel}/{post_id}", posted_at=posted_at)
    text_div = _message_text_div(msg)
    if text_div is not None:
        post.text = _plain_text(text_div)
        post.html = _inner_html(text_div)
    views = _first(msg, "span.tgme_widget_message_views")
    if views is not None:
        parsed = parse_view_count(views.text_content())
        if parsed is not None:
            post.views, post.views_granularity = parsed
    post.edited = _is_edited(msg)
    post.author_signature = _text_of(_first(msg, "span.tgme_widget_message_from_author"))
    post.forwarded_from_name, post.forwarded_from_url = _forwarded(msg)
    reply = _first(msg, "a.tgme_widget_message_reply")
    if reply is not None:
        post.reply_to_post_id = _post_id_from_href(reply.get("href"))
    post.photos = list(
        dict.fromkeys(u for a in msg.cssselect("a.tgme_widget_message_photo_wrap") if (u := _bg_url(a)))
    )
    post.videos = _videos(msg)
    post.documents = [
        title
        for doc in msg.cssselect(".tgme_widget_message_document")
        if (title := _text_of(_first(doc, ".tgme_widget_message_document_title")) or _text_of(doc))
    ]
    post.link_preview = _link_preview(msg)
    post.link_preview_image = _link_preview_image(msg)
    post.link_preview_video = _link_preview_video(msg)
    if post.link_preview is not None and post.link_preview_video:
        post.link_preview["video"] = post.link_preview_video
    post.video_thumbnails = _video_thumbnails(msg)
    post.poll = _poll(msg)
    post.voice, post.sticker, post.location = _voice(msg), _sticker(msg), _location(msg)
    post.hashtags = list(dict.fromkeys("#" + tag for tag in _HASHTAG_RE.findall(post.text)))
    post.is_service = "service_message" in _classes(msg)
    # media URLs are absolute on t.me (a CDN); a mirror may serve them relative to itself
    post.photos = [urljoin(page_url, u) for u in post.photos]
    post.video_thumbnails = [urljoin(page_url, u) for u in post.video_thumbnails]
    post.videos = [urljoin(page_url, u) for u in post.videos]
    if post.link_preview_image:
        post.link_preview_image = urljoin(page_url, post.link_preview_image)
    return post


def _no_posts_found(history: lxml.html.HtmlElement | None, doc: lxml.html.HtmlElement) -> bool:
    return bool((history if history is not None else doc).cssselect(".tme_no_messages_found"))


def _channel_from_url(url: str) -> str | None:
    segments = [seg for seg in urlsplit(url).path.split("/") if seg]
    if segments and segments[0] == "s":
        segments = segments[1:]
    if segments and _USERNAME_RE.match(segments[0]):
        return segments[0]
    return None


def _channel_info(doc: lxml.html.HtmlElement, url: str) -> TelegramChannelInfo:
    info = TelegramChannelInfo()
    username = _text_of(_first(doc, ".tgme_channel_info_header_username"))
    info.username = username.lstrip("@") if username else _channel_from_url(url)
    info.title = _text_of(_first(doc, ".tgme_channel_info_header_title"))
    description = _first(doc, ".tgme_channel_info_description")
    info.description = _plain_text(description) or None if description is not None else None
    for counter in doc.cssselect(".tgme_channel_info_counter"):
        kind = (_text_of(_first(counter, ".counter_type")) or "").lower()
        if kind.startswith(_SUBSCRIBER_TYPES) or any(k in kind for k in _SUBSCRIBER_TYPES):
            parsed = parse_view_count(_text_of(_first(counter, ".counter_value")) or "")
            if parsed is not None:
                info.subscribers, info.subscribers_granularity = parsed
            break
    return info


def _before(doc: lxml.html.HtmlElement) -> int | None:
    for a in doc.cssselect("a.tme_messages_more[data-before]"):
        value = (a.get("data-before") or "").strip()
        if value.isdigit():
            return int(value)
    # Older layouts only give the <link rel="prev" href="...?before=N">.
    for link in doc.cssselect('link[rel="prev"][href]'):
        values = parse_qs(urlsplit(link.get("href")).query).get("before")
        if values and values[0].isdigit():
            return int(values[0])
    return None


def parse_channel_page(body: bytes, url: str) -> TelegramPage:
    """Parse a `t.me/s/<channel>` page into channel info, posts (page order), `before` and warnings."""
    text, _ = decode_html(body or b"", "text/html")
    try:
        doc = lxml.html.document_fromstring(text) if text.strip() else None
    except (lxml.etree.ParserError, ValueError) as exc:
        doc = None
        parse_error = str(exc)
    else:
        parse_error = "empty document"
    if doc is None:
        return TelegramPage(
            channel=TelegramChannelInfo(username=_channel_from_url(url)),
            warnings=[f"not a channel page: {parse_error}"],
        )

    page = TelegramPage(channel=_channel_info(doc, url), before=_before(doc))
    history = _first(doc, ".tgme_channel_history, .js-message_history")
    page.no_posts_found = _no_posts_found(history, doc)
    if history is not None:
        # the "load more" links are not content: an empty channel still has them; nor is the
        # "No posts found" placeholder
        page.history_blocks = sum(1 for child in history if isinstance(child.tag, str)
                                  and "js-messages_more_wrap" not in _classes(child)
                                  and not child.cssselect(".tme_no_messages_found"))
    messages = doc.cssselect("div.tgme_widget_message")
    if not messages and not page.no_posts_found:
        page.warnings.append("no message blocks found")
    for index, msg in enumerate(messages):
        try:
            page.posts.append(_read_post(msg, url))
        except Exception as exc:  # one odd block must not cost the page; it is counted instead
            page.warnings.append(f"message block #{index}: {exc}")
    return page


def page_is_unreadable(page: TelegramPage) -> bool:
    """No posts from a page that is not a truly empty channel: the markup was not understood.

    A channel without posts still has its (empty) message history; any other page that yields no
    post (a renamed container, missing `data-post`, an error page served with 200) is how a
    scraper silently rots, so callers count it loudly.
    """
    return not page.posts and page.history_blocks != 0
