"""Charset sniffing order and meta-only legacy Cyrillic encodings."""
from __future__ import annotations

import pytest

from kronika.spiders.parsers.charset import decode_html

TEXT_UK = "Привіт, світе! Їжак і ґанок"
TEXT_RU = "Съешь же ещё этих мягких французских булок"


@pytest.mark.parametrize(
    ("codec", "head", "text"),
    [
        ("cp1251", '<meta charset="windows-1251">', TEXT_UK),
        ("cp1251", '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', TEXT_RU),
        ("koi8_r", '<meta charset="koi8-r">', TEXT_RU),
        ("koi8_r", "<meta http-equiv='content-type' content='text/html;charset=KOI8-R'>", TEXT_RU),
    ],
)
def test_meta_only(codec, head, text):
    body = f"<html><head>{head}</head><body><p>{text}</p></body></html>".encode(codec)
    decoded, encoding = decode_html(body, "text/html")
    assert text in decoded
    assert encoding.replace("-", "").replace("_", "").lower() in {"cp1251", "windows1251", "koi8r"}


def test_header_beats_meta():
    body = f'<meta charset="koi8-r"><p>{TEXT_RU}</p>'.encode("cp1251")
    decoded, encoding = decode_html(body, "text/html; charset=windows-1251")
    assert TEXT_RU in decoded and encoding == "cp1251"


def test_bom():
    decoded, encoding = decode_html("\ufeff<p>Ще</p>".encode("utf-8"), None)
    assert decoded == "<p>Ще</p>" and encoding == "utf-8"


def test_detection_without_any_declaration():
    body = ("<p>" + TEXT_RU * 5 + "</p>").encode("cp1251")
    decoded, _ = decode_html(body, None)
    assert TEXT_RU in decoded


def test_utf8_default_and_empty():
    assert decode_html("<p>ok ✓</p>".encode(), None) == ("<p>ok ✓</p>", "utf-8")
    assert decode_html(b"", None) == ("", "utf-8")
    text, _ = decode_html(b"<p>\xff\xfe\xfd broken</p>", "text/html; charset=utf-8")
    assert "broken" in text
