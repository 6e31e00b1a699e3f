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
