"""The claims extractor (kronika/claims/extract.py) on sentences written for each rule it keeps."""
from __future__ import annotations

import pytest

from kronika.claims import Claim, extract_claims


def _pairs(text: str, lang: str | None = None) -> list[tuple[str, int]]:
    return [(c.category, c.count) for c in extract_claims(text, lang)]


def test_a_claim_carries_category_count_qualifier_speaker_and_the_figure_span():
    text = "At least 27 people were killed and 28 injured, the regional governor said."
    killed, injured = extract_claims(text)
    assert isinstance(killed, Claim)
    assert (killed.category, killed.count, killed.count_high, killed.qualifier) == ("killed", 27, None, "at least")
    assert (injured.category, injured.count, injured.qualifier) == ("injured", 28, "exact")
    assert killed.speaker == injured.speaker == "the regional governor"
    assert text[killed.start:killed.end] == "27" and text[injured.start:injured.end] == "28"
    assert killed.sentence == text and killed.lang == "en"


@pytest.mark.parametrize("text, lang, expected", [
    ("Twenty-one people were killed.", "en", [("killed", 21)]),
    ("Russia launched 31 drones and four missiles overnight.", "en", [("drones", 31), ("missiles", 4)]),
    ("1 200 людей евакуйовано.", "uk", [("evacuated", 1200)]),
    ("За словами голови ОВА, двадцять одну людину госпіталізовано.", "uk", [("hospitalised", 21)]),
    ("По данным ГСЧС, погибли четырнадцать человек, не менее 20 ранены.", "ru", [("killed", 14), ("injured", 20)]),
])
def test_numbers_in_digits_and_words_in_three_languages(text, lang, expected):
    assert _pairs(text) == expected
    assert all(c.lang == lang for c in extract_claims(text))


def test_ukrainian_number_words_with_either_apostrophe():
    assert _pairs("Загинули п'ятеро людей.") == [("killed", 5)]
    assert _pairs("Загинули п’ятеро людей.") == [("killed", 5)]


def test_a_range_keeps_both_ends():
    (claim,) = extract_claims("5-7 people were killed.")
    assert (claim.count, claim.count_high) == (5, 7)


@pytest.mark.parametrize("text", [
    "On 5 March at 10:30, 200 buildings were damaged.",
    "Prices rose 3% in March.",
    "The weather was mild and the bridge reopened after 14 days.",
])
def test_no_claim_for_dates_times_shares_and_things(text):
    assert extract_claims(text) == []


def test_speakers_and_unattributed_figures():
    assert extract_claims("14 people are injured, according to preliminary figures.")[0].speaker is None
    assert extract_claims("По данным ГСЧС, погибли 14 человек.")[0].speaker == "ГСЧС"
