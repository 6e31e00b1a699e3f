"""The repairs that make real-world XML readable (spiders/parsers/lenient_xml.py), one by one."""
from __future__ import annotations

import lxml.etree

from kronika.spiders.parsers import lenient_xml


def _prepare(body: bytes) -> tuple[bytes, list[str]]:
    warnings: list[str] = []
    return lenient_xml.prepare(body, warnings), warnings


def test_a_stray_ampersand_is_escaped_and_entities_xml_knows_are_kept():
    body, warnings = _prepare(b"<r><loc>http://x.test/a?utm_source=rss&utm_medium=feed&amp;b=1&#38;c&lt;</loc></r>")
    loc = lxml.etree.fromstring(body).findtext("loc")
    assert loc == "http://x.test/a?utm_source=rss&utm_medium=feed&b=1&c<"
    assert warnings == ["1 unescaped '&' escaped"]


def test_html_entities_become_characters():
    body, warnings = _prepare(b"<r><t>Storm&nbsp;warning &mdash; &hellip; &nosuchentity;</t></r>")
    assert lxml.etree.fromstring(body).findtext("t") == "Storm\u00a0warning \u2014 \u2026 &nosuchentity;"
    assert "nbsp" in warnings[0]


def test_bytes_that_lie_about_their_encoding_are_read_as_what_they_are():
    text = '<?xml version="1.0" encoding="UTF-8"?><r><t>Новини Зарічанська: мости відкрито, школи працюють</t></r>'
    body, warnings = _prepare(text.encode("windows-1251"))
    assert lxml.etree.fromstring(body).findtext("t").startswith("Новини Зарічанська")
    assert "windows-1251" in warnings[0]


def test_junk_before_the_declaration_is_removed():
    body, warnings = _prepare(b"\xef\xbb\xbf\r\n  <?xml version='1.0'?><r/>")
    assert lxml.etree.fromstring(body).tag == "r" and "byte-order mark" in warnings[0]


def test_the_doctype_goes_but_a_doctype_inside_a_comment_or_cdata_is_text():
    body, warnings = _prepare(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>')
    assert b"ENTITY" not in body and "DOCTYPE" in warnings[0]
    for text in (b'<!-- an example: "<!DOCTYPE" --><r><d><![CDATA[ <!DOCTYPE ]]></d></r>',
                 b"<r><d><![CDATA[ <!DOCTYPE x> ]]></d></r>"):
        body, warnings = _prepare(text)
        assert body == text and warnings == []
