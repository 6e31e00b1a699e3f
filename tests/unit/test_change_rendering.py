"""The pure parts of recent changes: diff excerpts, side-by-side runs, entry ids, Atom text safety."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from kronika.browse import word_diff
from kronika.changes import ARTICLE_EDITED, Change, excerpt
from kronika.web.atom import ATOM, atom_feed, content_html
from kronika.web.diffs import joined_runs

WHEN = datetime(2026, 1, 14, 9, 30, tzinfo=timezone.utc)


def test_an_excerpt_keeps_the_words_around_each_change_and_cuts_the_rest():
    old = " ".join(f"w{i}" for i in range(60))
    new = old.replace("w30", "THIRTY")
    runs = excerpt(word_diff(old, new), context=3)
    text = "".join(t for _, t in runs)
    assert ("-", "w30") in runs and ("+", "THIRTY") in runs
    assert "w27 w28 w29" in text and "w31 w32 w33" in text
    assert "w26" not in text and "w34" not in text and text.count("…") == 2
    assert excerpt(word_diff(old, old)) == []  # nothing changed: nothing to show


def test_an_excerpt_is_cut_at_its_length_limit():
    old = "a " * 10
    new = old + "b " * 2000
    runs = excerpt(word_diff(old, new), max_chars=100)
    assert sum(len(t) for _, t in runs) <= 110 and runs[-1][1].endswith("…")


def test_one_side_of_a_title_diff_reads_as_the_title_with_the_changed_phrase_marked():
    runs = word_diff("Missile strike hits residential district", "Missile strike on Zarichansk: 21 injured")
    old_side = joined_runs([r for r in runs if r[0] != "+"])
    new_side = joined_runs([r for r in runs if r[0] != "-"])
    assert old_side == [("=", "Missile strike "), ("-", "hits residential district")]
    assert new_side == [("=", "Missile strike "), ("+", "on Zarichansk: 21 injured")]
    assert "".join(t for _, t in new_side) == "Missile strike on Zarichansk: 21 injured"


def test_a_change_keeps_its_entry_id_and_two_changes_do_not_share_one():
    one = Change(ARTICLE_EDITED, "herald", "http://example.org/a", WHEN, "A", "text changed", "/articles/1?a=1&b=2")
    same = Change(ARTICLE_EDITED, "herald", "http://example.org/a", WHEN, "A, renamed", "other", "/articles/9?a=3&b=4")
    later = Change(ARTICLE_EDITED, "herald", "http://example.org/a", WHEN.replace(hour=10), "A", "x", "/articles/1")
    assert one.entry_id == same.entry_id  # what identifies a change: kind, source, URL, time; not row ids
    assert one.entry_id != later.entry_id and one.entry_id.startswith("urn:uuid:")


def test_archived_markup_and_control_characters_stay_text_in_the_feed():
    hostile = Change(ARTICLE_EDITED, "herald", "http://example.org/a?x=1&y=2", WHEN, "<b>bold</b>\x0b title",
                     "text changed", "/articles/1?a=1&b=2", fields=[("title", "<i>old</i>", "new & <script>")],
                     excerpt=[("-", "<script>alert(1)</script>"), ("+", "safe")])
    html = content_html(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<del>&lt;script&gt;" in html
    assert "</del> <ins>" in html  # a removed and an added word stay apart
    feed = ET.fromstring(atom_feed([hostile], base_url="http://view.example/", self_path="/changes.atom",
                                   page_path="/changes", title="t", source=None))
    entry = feed.find(f"{{{ATOM}}}entry")
    assert entry.find(f"{{{ATOM}}}title").text == "article edited: <b>bold</b> title"
    assert entry.find(f"{{{ATOM}}}content").text == html
    assert [link.get("href") for link in entry.findall(f"{{{ATOM}}}link")] == \
        ["http://view.example/articles/1?a=1&b=2", "http://example.org/a?x=1&y=2"]


def test_an_empty_feed_is_still_a_valid_feed_dated_by_what_the_caller_knows():
    feed = ET.fromstring(atom_feed([], base_url="http://view.example", self_path="/changes/x.atom",
                                   page_path="/changes?source=x", title="t", source="x", updated=WHEN))
    assert feed.find(f"{{{ATOM}}}updated").text == "2026-01-14T09:30:00Z"
    assert feed.find(f"{{{ATOM}}}id").text.startswith("urn:uuid:") and feed.find(f"{{{ATOM}}}entry") is None
