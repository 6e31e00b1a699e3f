"""Article extraction chain: JSON-LD, OpenGraph/meta, visible markup, trafilatura, htmldate."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kronika.spiders.parsers.article import guess_language, parse_article, parse_article_html
from kronika.spiders.parsers.records import ArticleRecord

DATA = Path(__file__).resolve().parents[1] / "data" / "parsers"


def parse(name: str, url: str, content_type: str | None = "text/html") -> ArticleRecord:
    return parse_article((DATA / name).read_bytes(), url, content_type)


def assert_utc(dt: datetime | None) -> None:
    assert dt is not None and dt.tzinfo is not None and dt.utcoffset().total_seconds() == 0


def test_jsonld_in_graph_wins():
    rec = parse("article_jsonld_graph.html", "https://courier.example.org/news/2026/01/05/bridge-reopens-after-repairs")
    assert rec.title == "Bridge reopens after repairs"  # JSON-LD headline, whitespace normalised
    assert rec.authors == ["Olena Marchenko", "Tom Reed"]  # @id reference resolved through @graph
    assert rec.published_at == datetime(2026, 1, 5, 7, 30, tzinfo=timezone.utc)
    assert rec.modified_at == datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    assert rec.language == "en"
    assert rec.description == "The Old Mill bridge carries traffic again after six weeks of work."
    assert rec.canonical_url == "https://courier.example.org/news/2026/01/05/bridge-reopens-after-repairs"
    assert rec.provenance == {
        "title": "jsonld", "authors": "jsonld", "published_at": "jsonld", "modified_at": "jsonld",
        "language": "jsonld", "description": "jsonld", "canonical_url": "meta", "text": "trafilatura",
    }
    assert rec.text.startswith("The Old Mill bridge reopened to traffic")
    assert "weight limit of 7.5 tonnes" in rec.text
    assert len(rec.text.split("\n")) == 4  # one line per paragraph
    for junk in ("Subscribe to our newsletter", "Copyright", "Footer boilerplate", "Privacy policy", "Sport"):
        assert junk not in rec.text


def test_opengraph_only():
    rec = parse("article_opengraph.html", "https://harbour.example.com/local/ferry-timetable-changes-for-winter")
    assert rec.title == "Ferry timetable changes for winter"
    assert rec.authors == ["Maria Lopez"]
    assert rec.published_at == datetime(2026, 1, 10, 12, 45, tzinfo=timezone.utc)
    assert rec.modified_at == datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)  # naive -> UTC
    assert rec.language == "en"  # og:locale en_US
    assert rec.description == "Two ferry routes will run less often from February."
    assert rec.canonical_url == "https://harbour.example.com/local/ferry-timetable-changes-for-winter"
    assert {rec.provenance[f] for f in ("title", "authors", "published_at", "language", "canonical_url")} == {"meta"}
    assert "Two of the three harbour ferry routes" in rec.text
    assert "Front page" not in rec.text


def test_plain_html_byline_and_time():
    rec = parse("article_plain.html", "https://valley.example.net/town/library-extends-opening-hours")
    assert rec.title == "Library extends opening hours"
    assert rec.authors == ["Anna Kowalska", "Petro Bondar"]
    assert rec.published_at == datetime(2026, 1, 8, 15, 20, tzinfo=timezone.utc)
    assert rec.provenance["title"] == "html"
    assert rec.provenance["authors"] == "html"
    assert rec.provenance["published_at"] == "html"
    assert rec.language == "en" and rec.provenance["language"] == "heuristic"
    assert rec.text.startswith("The central library will stay open")
    for junk in ("editorial standards", "advertise with us", "cookie settings", "Valley Gazette footer"):
        assert junk not in rec.text


def test_invalid_jsonld_is_skipped_and_commented_jsonld_still_read():
    rec = parse("article_bad_jsonld.html", "https://school.example.ua/news/2026/01/12/nova-shkola")
    assert rec.title == "Нова школа відкрилася у селищі"
    assert rec.provenance["title"] == "jsonld"
    assert rec.authors == ["Ірина Шевчук"]
    assert rec.published_at == datetime(2026, 1, 12, 8, 0, tzinfo=timezone.utc)
    assert rec.language == "uk"
    assert "чотириста учнів" in rec.text


def test_only_broken_jsonld_falls_through():
    html = (
        "<html><head><title>Storm damages pier - Coast News</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script></head>'
        "<body><p>Someone wrote a very short note.</p></body></html>"
    )
    rec = parse_article(html.encode(), "https://coast.example.org/a/1")
    assert rec.title == "Storm damages pier"  # <title> with the site name stripped
    assert rec.provenance["title"] == "html"


@pytest.mark.parametrize(
    ("codec", "declaration"),
    [
        ("cp1251", '<meta charset="windows-1251">'),
        ("koi8_r", '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'),
    ],
)
def test_meta_only_cyrillic_charsets(codec, declaration):
    title = "Мэр открыл новый мост через реку"
    paragraphs = [
        "Мэр города торжественно открыл новый мост через реку. Строительство заняло три года и обошлось бюджету дороже, чем планировалось.",
        "Жители района ждали этого события с большим нетерпением, ведь раньше объезд по старой дороге занимал почти целый час.",
        "Движение грузовиков по мосту откроют только после окончательной проверки, которую проведут в следующем месяце.",
    ]
    html = (
        f"<html><head>{declaration}<title>{title} | Городские вести</title></head><body>"
        f"<article><h1>{title}</h1><p>Автор: Иван Петров</p>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    body = html.encode(codec)
    rec = parse_article(body, "https://city.example.ru/news/2026/01/most", content_type="text/html")  # no charset in header
    assert rec.title == title
    assert rec.authors == ["Иван Петров"]
    assert rec.language == "ru"
    assert "торжественно открыл новый мост" in rec.text
    assert "\ufffd" not in rec.text


def test_htmldate_fallback_for_dates():
    html = (
        "<html><head><title>Harvest festival</title></head><body><article><h1>Harvest festival</h1>"
        "<p>Published on 2026-01-04</p><p>" + "The harvest festival drew record crowds to the square. " * 5 + "</p>"
        "</article></body></html>"
    )
    rec = parse_article(html.encode(), "https://fair.example.org/2026/01/04/harvest-festival")
    assert rec.published_at == datetime(2026, 1, 4, tzinfo=timezone.utc)
    assert rec.provenance["published_at"] == "htmldate"
    assert_utc(rec.published_at)


def test_paywalled_teaser_uses_full_article_body():
    body_text = " ".join(["The full story continues with many more details about the decision."] * 20)
    html = (
        '<html lang="en"><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Paywalled", "articleBody": "' + body_text + '"}'
        "</script></head><body><article><h1>Paywalled</h1><p>Only the first sentence of the story is free to read here today.</p>"
        "</article></body></html>"
    )
    rec = parse_article(html.encode(), "https://paper.example.org/a/123")
    assert rec.provenance["text"] == "jsonld"
    assert rec.text == body_text


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Дякуємо рятувальникам, їхня робота є важливою", "uk"), ("Мы объявляем это съездом", "ru"),
     ("Plain English words", "en"), ("", None), ("12345", None)],
)
def test_guess_language(text, lang):
    assert guess_language(text) == lang


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe", b"<html>", b"<<<>>>", "\u2603".encode("utf-16")])
def test_garbage_never_raises(body):
    rec = parse_article(body, "https://x.example/a")
    assert rec.url == "https://x.example/a"


def test_all_dates_aware_utc():
    for name in ("article_jsonld_graph.html", "article_opengraph.html", "article_plain.html", "article_bad_jsonld.html"):
        rec = parse(name, "https://example.org/a/" + name)
        assert_utc(rec.published_at)
        if rec.modified_at is not None:
            assert_utc(rec.modified_at)


def test_parse_article_html_matches_bytes_path():
    raw = (DATA / "article_opengraph.html").read_bytes()
    url = "https://harbour.example.com/local/x"
    assert parse_article_html(raw.decode("utf-8"), url) == parse_article(raw, url)


def test_plural_bylines_in_ukrainian_russian_and_english():
    for label in ("Автори:", "Авторы:", "Authors:"):
        html = (f"<html lang='uk'><body><article><h1>Заголовок новини</h1><p class='byline'>{label} "
                "Юрій Терещук, Ірина Дорош</p><p>" + "Текст новини про події у місті. " * 20 +
                "</p></article></body></html>").encode()
        record = parse_article(html, "https://example.org/novyny/zaholovok-novyny/")
        assert record.authors == ["Юрій Терещук", "Ірина Дорош"], (label, record.authors)


# --- fields added by the chain: section, tags, image, original date strings, paywall, rules -----

def test_jsonld_fields_section_tags_image_and_original_date_strings():
    html = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Bridge",'
        '"datePublished": "2026-01-05T09:30:00+02:00", "dateModified": "2026-01-06T10:00:00+02:00",'
        '"articleSection": ["Region", "News"], "keywords": "bridge, river ,  roads",'
        '"image": {"@type": "ImageObject", "url": "/img/bridge.jpg"},'
        '"author": [{"@type": "Person", "name": "Ann Lee"}, {"@type": "Organization", "name": "Herald"}]}'
        "</script></head><body><article><h1>Bridge</h1><p>" + "The bridge reopened today. " * 8 + "</p></article></body></html>"
    )
    rec = parse_article(html.encode(), "https://paper.example.org/a/1")
    assert rec.section == "Region"
    assert rec.tags == ["bridge", "river", "roads"]
    assert rec.image_url == "https://paper.example.org/img/bridge.jpg"
    assert rec.authors == ["Ann Lee"]  # an Organization as author is the outlet, not a byline
    assert rec.published_at == datetime(2026, 1, 5, 7, 30, tzinfo=timezone.utc)
    assert rec.published_at_raw == "2026-01-05T09:30:00+02:00"
    assert rec.modified_at_raw == "2026-01-06T10:00:00+02:00"
    assert rec.provenance["section"] == rec.provenance["tags"] == rec.provenance["image_url"] == "jsonld"
    assert rec.paywalled is False


def test_meta_tags_section_tags_image():
    html = (
        '<html lang="en"><head><meta property="article:section" content="Politics">'
        '<meta property="article:tag" content="Elections"><meta property="article:tag" content="Council">'
        '<meta property="og:image" content="https://cdn.example.org/x.jpg"><meta property="og:url" content="/a/2">'
        "</head><body><h1>Vote</h1><p>" + "Councillors voted on the budget. " * 8 + "</p></body></html>"
    )
    rec = parse_article(html.encode(), "https://paper.example.org/a/2?utm_source=x")
    assert (rec.section, rec.tags, rec.image_url) == ("Politics", ["Elections", "Council"], "https://cdn.example.org/x.jpg")
    assert rec.canonical_url == "https://paper.example.org/a/2"  # og:url when there is no <link rel=canonical>
    assert rec.provenance["tags"] == "meta"


def test_modified_time_in_updated_on_span_of_the_mirror_outlet():
    """The mirror's Ukrainian outlet: <span class="updated-on">Оновлено: <time class="updated" datetime=…>."""
    from kronika.mirror.site import MirrorSite

    base = "http://mirror.kronika.test"
    checked = 0
    for epoch in (0, 1):
        site = MirrorSite(epoch=epoch)
        for expected in site.expected_articles(base):
            if expected.outlet != "vistnyk":
                continue
            page = site.page(expected.url[len(base):], base)
            rec = parse_article(page.body, expected.url, page.content_type)
            assert rec.published_at == expected.published_at, expected.url
            assert rec.modified_at == expected.modified_at, expected.url  # not the publication time
            if expected.modified_at is not None:
                checked += 1
                assert rec.provenance["modified_at"] == "html"
                assert rec.modified_at_raw.endswith("+02:00")  # as the page wrote it, Kyiv time
            assert rec.tags == expected.tags
            assert rec.section  # from the breadcrumbs
    assert checked, "the mirror has no modified Vistnyk article any more: pick another page"


def test_paywall_teaser_is_flagged_and_keeps_the_visible_text():
    html = (
        '<html lang="en"><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Locked",'
        '"isAccessibleForFree": "False"}</script></head><body><article><h1>Locked</h1>'
        '<div class="article-body"><p>The first paragraph is free to read for every visitor to the site.</p>'
        "<p>The second one too, before the subscription box appears below it.</p></div>"
        '<div class="paywall"><p>Subscribe to keep reading from £1 a week.</p></div></article></body></html>'
    )
    rec = parse_article(html.encode(), "https://paper.example.org/a/3")
    assert rec.paywalled is True and rec.provenance["paywalled"] == "jsonld"
    assert rec.text.startswith("The first paragraph") and "Subscribe" not in rec.text


def test_body_container_drops_furniture_inside_the_article_body():
    html = (
        "<html lang='uk'><body><article><h1>Заголовок</h1><div class='entry-content'>"
        "<p>Перший абзац новини про події у місті, досить довгий, щоб бути текстом.</p>"
        "<p><strong>Читайте також:</strong> <a href='/x'>Інша новина</a></p>"
        "<figure><img src='a.jpg'><figcaption>Фото: пресслужба</figcaption></figure>"
        "<p><a href='/y'>Посилання, яке є цілим абзацом</a></p>"
        "<div class='share-buttons'><p>Поділитися у Facebook</p></div>"
        "<h2>Що далі</h2><ul><li>Перший пункт списку</li><li>Другий пункт списку</li></ul>"
        "<p>Останній абзац новини, теж про події у місті.</p></div></article></body></html>"
    )
    rec = parse_article(html.encode(), "https://uk.example.org/novyna")
    assert rec.provenance["text"] == "container"
    assert rec.text.split("\n") == [
        "Перший абзац новини про події у місті, досить довгий, щоб бути текстом.",
        "Що далі", "Перший пункт списку", "Другий пункт списку",
        "Останній абзац новини, теж про події у місті."]


def test_date_written_only_as_text():
    html = (
        "<html><body><table><tr><td class='main'><h2>Новость</h2><span class='date'>16.01.2026 14:20</span>"
        "<span class='date-updated'>(обновлено 18.01.2026 10:00)</span>"
        "<p>" + "Текст новости о событиях в городе. " * 10 + "</p></td></tr></table></body></html>"
    )
    rec = parse_article(html.encode(), "https://old.example.ru/news.php?id=1")
    assert rec.published_at == datetime(2026, 1, 16, 14, 20, tzinfo=timezone.utc)  # no zone known: UTC
    assert rec.published_at_raw == "16.01.2026 14:20"
    assert rec.modified_at == datetime(2026, 1, 18, 10, 0, tzinfo=timezone.utc)
    # with the source's time zone from config the same text is read as local time
    kyiv = parse_article(html.encode(), "https://old.example.ru/news.php?id=1", rules={"timezone": "Europe/Kyiv"})
    assert kyiv.published_at == datetime(2026, 1, 16, 12, 20, tzinfo=timezone.utc)


def test_site_rules_from_config_come_after_jsonld_and_meta_and_before_markup():
    html = (
        '<html lang="en"><head><meta property="og:title" content="Title from OpenGraph"></head><body>'
        "<h1>Title from h1</h1><div class='kicker'>Weather</div>"
        "<div class='writer'><b>Ann Lee</b>, <b>Bo Chan</b></div><span class='stamp' data-ts='2026-01-07 08:15'>7 Jan</span>"
        "<div id='story'><p>Storm warnings were issued for the coast on Wednesday morning.</p>"
        "<p>Ferries stayed in port until the wind dropped in the afternoon.</p></div>"
        "<div class='promo'><p>Download our app for the latest weather news, every day of the week.</p></div>"
        "</body></html>"
    )
    rules = {"title": "h1", "section": ".kicker", "authors": "div.writer b", "published_at": "//span[@class='stamp']/@data-ts",
             "body": "#story", "timezone": "Europe/London"}
    rec = parse_article(html.encode(), "https://paper.example.org/a/4", rules=rules)
    assert rec.title == "Title from OpenGraph" and rec.provenance["title"] == "meta"  # meta comes first
    assert rec.section == "Weather" and rec.provenance["section"] == "rules"
    assert rec.authors == ["Ann Lee", "Bo Chan"] and rec.provenance["authors"] == "rules"
    assert rec.published_at == datetime(2026, 1, 7, 8, 15, tzinfo=timezone.utc)
    assert rec.provenance["published_at"] == "rules" and rec.published_at_raw == "2026-01-07 08:15"
    assert rec.text == ("Storm warnings were issued for the coast on Wednesday morning.\n"
                        "Ferries stayed in port until the wind dropped in the afternoon.")
    assert rec.provenance["text"] == "rules"
    # a rule that matches nothing leaves the field to the next strategy
    assert parse_article(html.encode(), "https://paper.example.org/a/4", rules={"section": ".nothing"}).section is None


def test_site_rules_are_validated_in_config():
    from pydantic import ValidationError

    from kronika.settings import NewsSource

    base = {"name": "x", "kind": "news", "start_urls": ["https://a.example/"], "allowed_domains": ["a.example"]}
    source = NewsSource(**base, extraction={"body": "div.story", "published_at": "//time/@datetime", "timezone": "Europe/Kyiv"})
    assert source.extraction.as_rules() == {"body": "div.story", "published_at": "//time/@datetime", "timezone": "Europe/Kyiv"}
    for bad in ({"body": "div[[x"}, {"title": "//h1["}, {"timezone": "Mars/Olympus"}, {"colour": "h1"}):
        with pytest.raises(ValidationError):
            NewsSource(**base, extraction=bad)


def test_body_written_with_line_breaks_is_not_cut_to_its_quotes():
    # the article container holds the story as text and <br>, with a pull quote as the only
    # paragraph-like block: the container strategy would keep just the quote
    lines = [f"Sentence {i} of the story about the harbour dredging contract and the council vote." for i in range(12)]
    html = ("<html><head><title>Dredging</title></head><body><h1>Dredging</h1>"
            "<div class='article-body'><blockquote>We were never told what it would cost, said one member of the harbour committee, not once in two years.</blockquote>"
            + "<br><br>".join(lines) + "</div></body></html>")
    record = parse_article_html(html, "https://example.org/a")
    assert record.provenance["text"] != "container"
    assert "Sentence 11 of the story" in record.text


def test_truncated_metadata_title_gives_way_to_the_headline_it_starts():
    html = ("<html><head><meta property='og:title' content='Council approves the harbour dredging...'>"
            "</head><body><h1>Council approves the harbour dredging contract after a long night</h1>"
            "<p>The vote came at two in the morning.</p></body></html>")
    record = parse_article_html(html, "https://example.org/a")
    assert record.title == "Council approves the harbour dredging contract after a long night"
    assert record.provenance["title"] == "html"


def test_lead_paragraph_just_before_the_body_element_is_part_of_the_story():
    paragraphs = "".join(f"<p>Paragraph {i} tells how the rescuers searched the slope in the village.</p>"
                         for i in range(4))
    html = ("<html><body><article><h1>Landslide</h1>"
            "<div class='article__lead'>Rescuers found a fifth victim four days after the landslide buried homes.</div>"
            f"<div class='article__body'>{paragraphs}</div></article></body></html>")
    record = parse_article_html(html, "https://example.org/a")
    assert record.provenance["text"] == "container"
    assert record.text.startswith("Rescuers found a fifth victim")


def test_paragraph_wrapped_by_the_page_source_is_rejoined():
    from kronika.spiders.parsers.article import _rejoin_wrapped

    lines = ["Photos", "which were released online,", "show the actress in new photos.", "See more photos:",
             "Next paragraph starts here."]
    assert _rejoin_wrapped(lines) == ["Photos which were released online,", "show the actress in new photos.",
                                      "See more photos:", "Next paragraph starts here."]
