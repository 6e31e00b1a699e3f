"""Unknown names are errors with the close matches suggested (kronika/names.py)."""
from __future__ import annotations

import pytest

from kronika.names import UnknownName, check_name, close_matches, unknown_name


def test_close_matches_ignore_case_and_keep_the_known_spelling():
    assert close_matches("Riverside-Herlad", ["riverside-herald", "zarichna-ova"]) == ["riverside-herald"]


def test_the_message_suggests_or_lists_the_known_names():
    assert str(unknown_name("source", "herlad", ["herald", "ova"])) == "no source named 'herlad' — did you mean 'herald'?"
    assert str(unknown_name("source", "x", ["b", "a"])) == "no source named 'x' — known: a, b"
    assert str(unknown_name("source", "x", [], " in the database")) == "no source named 'x' in the database — none stored yet"


def test_check_name_returns_the_stored_spelling_or_raises():
    assert check_name("channel", "ZARICHNA_OVA", ["zarichna_ova"], ignore_case=True) == "zarichna_ova"
    with pytest.raises(UnknownName):
        check_name("channel", "ZARICHNA_OVA", ["zarichna_ova"])
