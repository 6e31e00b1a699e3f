"""Telegram web-preview parser against the hand-written sample page (tests/data/telegram)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kronika.spiders.parsers.telegram import page_is_unreadable, parse_channel_page, parse_view_count

DATA = Path(__file__).resolve().parents[1] / "data" / "telegram"
URL = "https://t.me/s/region_admin"


@pytest.fixture(scope="module")
def page():
    return parse_channel_page((DATA / "channel-page.html").read_bytes(), URL)


@pytest.fixture(scope="module")
def posts(page):
    return {p.post_id: p for p in page.posts}


def test_channel_header(page):
    assert page.channel.title == "Regional Military Administration"
    assert page.channel.username == "region_admin"
    assert page.channel.subscribers == 12300
    assert page.channel.description == "Official statements of the regional military administration."
    assert page.before == 101
    assert page.warnings == []


def test_post_ids_in_page_order_and_missing_one_not_invented(page):
    assert [p.post_id for p in page.posts] == [101, 118, 119, 120, 121, 122, 124]
    assert all(p.channel == "region_admin" for p in page.posts)


@pytest.mark.parametrize(
    ("post_id", "starts", "views"),
    [
        (101, "Channel photo updated", None),
        (118, "Two missiles struck", 48_700),
        (119, "Rescuers have evacuated", 31_000),
        (120, "Update: the number of injured has risen to 28", 52_100),
        (121, "Where to find shelter", 9_800),
        (122, "Claims circulating online", 1_200_000),
        (124, "Дякуємо рятувальникам 🙏", 845),
    ],
)
def test_readme_table(posts, post_id, starts, views):
    post = posts[post_id]
    assert post.text.startswith(starts)
    assert post.views == views
    assert post.url == f"https://t.me/region_admin/{post_id}"
    assert post.posted_at is not None and post.posted_at.utcoffset().total_seconds() == 0


def test_service_message(posts):
    assert posts[101].is_service is True
    assert [pid for pid, p in posts.items() if p.is_service] == [101]


def test_photo_signature_and_date(posts):
    post = posts[118]
    assert post.photos == ["https://cdn4.telesco.pe/file/photo-118.jpg"]
    assert post.author_signature == "Press office"
    assert post.posted_at == datetime(2026, 1, 2, 13, 5, 11, tzinfo=timezone.utc)
    assert post.posted_at.isoformat() == "2026-01-02T13:05:11+00:00"
    assert post.views_granularity == 100
    # <br><br> keeps the paragraph break; inline <b> leaves its text.
    assert post.text == (
        "Two missiles struck a residential district this afternoon.\n\n"
        "Preliminary figures: 21 injured. Rescue work continues."
    )
    assert "<b>21 injured</b>" in post.html


def test_forwarded(posts):
    post = posts[119]
    assert post.forwarded_from_name == "State Emergency Service"
    assert post.forwarded_from_url == "https://t.me/state_emergency_service/5531"
    assert posts[118].forwarded_from_name is None


def test_reply_quote_is_not_the_text(posts):
    post = posts[120]
    assert post.reply_to_post_id == 118
    assert post.text == "Update: the number of injured has risen to 28, including a child."
    assert "missiles" not in post.text and "missiles" not in post.html


def test_link_preview(posts):
    preview = posts[121].link_preview
    assert preview == {
        "url": "https://region.example.gov/aid",
        "site": "Regional Administration",
        "title": "Aid points and shelters",
        "description": "Addresses and opening hours of aid points in the district.",
    }
    assert "region.example.gov/aid" in posts[121].text  # link kept as its visible text


def test_edited(posts):
    assert posts[122].edited is True
    assert posts[122].views_granularity == 100_000
    assert [pid for pid, p in posts.items() if p.edited] == [122]


def test_ukrainian_emoji_and_hashtag(posts):
    post = posts[124]
    assert post.text.startswith("Дякуємо рятувальникам 🙏")
    assert post.text.count("🙏") == 1
    assert post.text == "Дякуємо рятувальникам 🙏\nЗбір допомоги триває. #допомога"
    assert post.hashtags == ["#допомога"]
    assert post.views_granularity == 1


def test_post_url_is_canonical_whatever_the_host(posts):
    body = (DATA / "channel-page.html").read_bytes()
    mirrored = parse_channel_page(body, "http://127.0.0.1:8080/s/region_admin")
    assert [p.url for p in mirrored.posts] == [p.url for p in posts.values()]
    assert mirrored.channel.username == "region_admin"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4.1K", (4100, 100)),
        ("1.2M", (1_200_000, 100_000)),
        ("845", (845, 1)),
        ("12K", (12_000, 1000)),
        ("12.3K", (12_300, 100)),
        ("48.7K", (48_700, 100)),
        ("31.0K", (31_000, 100)),
        ("1,234", (1234, 1)),
        ("1 234", (1234, 1)),
        ("1\u00a0234", (1234, 1)),
        (" 4.1 K ", (4100, 100)),
        ("4,1K", (4100, 100)),
        ("2k", (2000, 1000)),
        ("0", (0, 1)),
        ("", None),
        ("views", None),
        ("1.2.3K", None),
        ("-5", None),
    ],
)
def test_parse_view_count(raw, expected):
    assert parse_view_count(raw) == expected


def _message(data_post: str, text: str, when: str | None) -> str:
    date = (
        f'<a class="tgme_widget_message_date" href="https://t.me/{data_post}"><time datetime="{when}">x</time></a>'
        if when
        else ""
    )
    attr = f' data-post="{data_post}"' if data_post else ""
    return (
        f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message"{attr}>'
        f'<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text">{text}</div>'
        f'<div class="tgme_widget_message_footer"><span class="tgme_widget_message_meta">{date}</span></div>'
        "</div></div></div>"
    )


def test_broken_blocks_warn_and_the_rest_parses():
    html = (
        "<html><body>"
        + _message("demo_chan/1", "first", "2026-01-01T10:00:00+00:00")
        + _message("", "no data-post", "2026-01-01T10:05:00+00:00")
        + _message("demo_chan/3", "no date", None)
        + _message("demo_chan/abc", "bad id", "2026-01-01T10:06:00+00:00")
        + _message("demo_chan/5", "last", "2026-01-01T12:00:00+02:00")
        + "</body></html>"
    )
    page = parse_channel_page(html.encode(), "https://t.me/s/demo_chan")
    assert [(p.post_id, p.text) for p in page.posts] == [(1, "first"), (5, "last")]
    assert page.posts[1].posted_at == datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)
    assert len(page.warnings) == 3
    assert page.channel.username == "demo_chan"  # from the URL when the header is missing
    assert page.channel.subscribers is None and page.before is None


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"\x00\xff\xfe garbage <<< >>>", b"<html><body><p>Not Telegram</p></body></html>",
     b"\x1f\x8b\x08\x00 not really gzip", b"<div class='tgme_widget_message'>" * 3],
)
def test_garbage_gives_no_posts_and_no_exception(body):
    page = parse_channel_page(body, "https://t.me/s/some_channel")
    assert page.posts == []
    assert page.warnings  # the caller learns that nothing was read


# ---------------------------------------------------------------- more saved pages

@pytest.fixture(scope="module")
def media_page():
    return parse_channel_page((DATA / "media-page.html").read_bytes(), "https://t.me/s/city_admin")


def test_video_poll_document_and_preview_image(media_page):
    posts = {p.post_id: p for p in media_page.posts}
    assert list(posts) == [130, 131, 133] and media_page.warnings == []
    video = posts[130]
    assert video.videos == ["https://cdn4.telesco.pe/file/video-130.mp4"]
    assert video.video_thumbnails == ["https://cdn4.telesco.pe/file/thumb-130.jpg"]
    assert video.text == "Видео с места событий. Работают спасатели 🚒 #Зареченск"
    assert video.hashtags == ["#Зареченск"] and video.edited is True  # "изменено"
    assert (video.views, video.views_granularity) == (15_000, 1000)
    poll = posts[131]
    assert poll.text == "" and poll.poll == {
        "question": "Где вы узнаёте о тревогах?", "type": "Anonymous poll",
        "options": [{"text": "Приложение", "percent": 64}, {"text": "Сирена", "percent": 36}]}
    doc = posts[133]
    assert doc.documents == ["otchet-2026-02.pdf"] and doc.photos == [] and doc.poll is None
    assert doc.link_preview["title"] == "Отчёт за февраль"
    assert doc.link_preview_image == "https://cdn4.telesco.pe/file/preview-133.jpg"
    assert doc.posted_at == datetime(2026, 2, 1, 9, 30, tzinfo=timezone.utc)
    assert media_page.channel.subscribers == 1_200_000 and media_page.channel.subscribers_granularity == 100_000
    assert media_page.history_blocks == 3


def test_media_urls_follow_the_media_option(media_page):
    from kronika.spiders.spiders.telegram import media_urls

    posts = {p.post_id: p for p in media_page.posts}
    assert media_urls(posts[130], "none") == []
    assert media_urls(posts[130], "thumbnails") == ["https://cdn4.telesco.pe/file/thumb-130.jpg"]
    assert media_urls(posts[130], "all") == ["https://cdn4.telesco.pe/file/thumb-130.jpg",
                                             "https://cdn4.telesco.pe/file/video-130.mp4"]
    assert media_urls(posts[133], "thumbnails") == ["https://cdn4.telesco.pe/file/preview-133.jpg"]


def test_relative_media_urls_are_resolved_against_the_page():
    html = (DATA / "channel-page.html").read_text(encoding="utf-8").replace(
        "https://cdn4.telesco.pe/file/photo-118.jpg", "/media/photo-118.jpg")
    page = parse_channel_page(html.encode(), "http://mirror.test/t/s/region_admin")
    assert {p.post_id: p for p in page.posts}[118].photos == ["http://mirror.test/media/photo-118.jpg"]


def test_an_empty_channel_is_not_a_markup_failure():
    page = parse_channel_page((DATA / "empty-channel.html").read_bytes(), "https://t.me/s/brand_new_channel")
    assert page.posts == [] and page.history_blocks == 0
    assert page.channel.subscribers == 3 and page.channel.title == "New channel"
    assert page_is_unreadable(page) is False


def test_renamed_markup_is_a_markup_failure():
    html = (DATA / "channel-page.html").read_text(encoding="utf-8")
    redesigned = html.replace("tgme_widget_message", "tgme_post").replace("data-post=", "data-entry=")
    page = parse_channel_page(redesigned.encode(), URL)
    assert page.posts == [] and page.history_blocks == 7
    assert page_is_unreadable(page) is True
    assert page_is_unreadable(parse_channel_page((DATA / "channel-page.html").read_bytes(), URL)) is False


@pytest.mark.parametrize("body", [b"<html><body><p>Not Telegram</p></body></html>", b"\x00\xff garbage"])
def test_pages_that_are_no_channel_page_are_unreadable(body):
    assert page_is_unreadable(parse_channel_page(body, URL)) is True


def test_the_mirror_renders_the_markup_the_parser_reads():
    """The bundled mirror's pages follow the sample's markup: every post reads back as expected."""
    from kronika.mirror.site import MirrorSite

    for epoch in (0, 1):
        site = MirrorSite(epoch)
        expected = {p.post_id: p for p in site.expected_posts()}
        seen, before = {}, None
        while True:
            path = "/t/s/zarichna_ova" + (f"?before={before}" if before else "")
            page = parse_channel_page(site.page(path, "http://m").body, "http://m" + path)
            assert page.warnings == [] and page.channel.title == "Зарічна ОВА"
            seen.update({p.post_id: p for p in page.posts})
            if not page.before:
                break
            before = page.before
        assert set(seen) == set(expected)
        for post_id, post in seen.items():
            e = expected[post_id]
            assert (post.text, post.views, post.edited, post.is_service) == (e.text, e.views_parsed, e.edited,
                                                                              e.is_service), post_id
            assert (post.forwarded_from_name, post.reply_to_post_id, post.hashtags) == (
                e.forwarded_from_name, e.reply_to, e.hashtags), post_id
            assert post.photos == ([f"http://m{e.photo}"] if e.photo else [])
            assert (post.link_preview or {}).get("url") == e.link_preview_url
