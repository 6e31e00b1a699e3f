"""The claims extractor (kronika/claims/extract.py) on sentences written for each rule it keeps."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kronika.claims import Claim, extract_claims


def _pairs(text: str, lang: str | None = None) -> list[tuple[str, int]]:
    return [(c.category, c.count) for c in extract_claims(text, lang)]


def test_a_claim_carries_category_count_qualifier_speaker_and_the_figure_span():
    text = "At least 27 people were killed and 28 injured, the regional governor said."
    killed, injured = extract_claims(text)
    assert isinstance(killed, Claim)
    assert (killed.category, killed.count, killed.count_high, killed.qualifier) == ("killed", 27, None, "at_least")
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
    assert _pairs("Загинули пʼятеро людей, ще девʼятеро поранені.") == [("killed", 5), ("injured", 9)]  # U+02BC


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


@pytest.mark.parametrize("text, expected", [
    ("Серед поранених двадцятьох трьох госпіталізовано.", [("hospitalised", 23)]),
    ("Погибли четырнадцать человек, ранены двое.", [("killed", 14), ("injured", 2)]),
    ("Пострадали пятеро жителей.", [("injured", 5)]),
])
def test_inflected_ukrainian_and_russian_number_words(text, expected):
    assert _pairs(text) == expected


@pytest.mark.parametrize("text, qualifier", [
    ("More than 50 people were injured.", "more_than"),
    ("About 1,200 people were evacuated.", "approximately"),
    ("Up to 10,000 people are missing.", "up_to"),
    ("Щонайменше 12 людей загинули.", "at_least"),
    ("Близько 20 людей поранені.", "approximately"),
    ("Понад 100 людей евакуйовано.", "more_than"),
    ("Погибли не менее 12 человек.", "at_least"),
    ("Около 20 человек ранены.", "approximately"),
    ("Кількість загиблих зросла до 15.", "exact"),
])
def test_qualifiers(text, qualifier):
    (claim,) = extract_claims(text)
    assert claim.qualifier == qualifier


def test_a_total_and_its_subset():
    total, part = extract_claims("Ten people, including three children, were injured.")
    assert (total.category, total.count, total.subset) == ("injured", 10, False)
    assert (part.category, part.count, part.subset) == ("injured", 3, True)


def test_a_singular_noun_is_one():
    (claim,) = extract_claims("A 34-year-old man was killed when a shell hit his car.")
    assert (claim.category, claim.count) == ("killed", 1)
    assert _pairs("У Херсоні загинула 71-річна жінка.") == [("killed", 1)]


def test_a_revision_gives_both_figures():
    assert _pairs("Officials revised the death toll from 14 to 11.") == [("killed", 14), ("killed", 11)]
    assert _pairs("Кількість загиблих зменшилася з 14 до 11.") == [("killed", 14), ("killed", 11)]


@pytest.mark.parametrize("text", [
    "A six-month-old girl was taken to hospital with her 3 brothers on 12 May.",
    "Call 101 or +380 44 555 12 34 if anyone is injured.",
    "Rescuers pulled 14 people from the rubble of the building that was hit.",
    "Police detained a man who had posted 3 videos.",
    "Two of them are in a serious condition after the injured were taken away.",
])
def test_hard_negatives_give_no_figure(text):
    assert [c.count for c in extract_claims(text) if c.count != 1] == []


@pytest.mark.parametrize("text, speaker", [
    ("At least 9 people were injured, Olena Marchuk, head of the regional administration, said.",
     "Olena Marchuk, head of the regional administration"),
    ("Five people were killed, according to the State Emergency Service.", "the State Emergency Service"),
    ("За словами голови ОВА, загинули 5 людей.", "голови ОВА"),
    ("Загинули 5 людей, повідомили в ДСНС.", "ДСНС"),
    ("Погибли 5 человек, сообщил губернатор области.", "губернатор области"),
    ("По предварительным данным, погибли 5 человек.", None),
    ("За попередніми даними, загинули 5 людей.", None),
])
def test_speakers(text, speaker):
    assert {c.speaker for c in extract_claims(text)} == {speaker}


def test_offsets_point_into_the_whole_text_across_sentences_and_paragraphs():
    text = "Weather: sunny.\n\nTwo people were killed. Officials said 31 drones were launched."
    claims = extract_claims(text)
    assert [(c.category, text[c.start:c.end]) for c in claims] == [("killed", "Two"), ("drones", "31")]


def test_text_without_a_category_word_or_a_number_costs_no_parsing():
    assert extract_claims("") == [] and extract_claims("The bridge reopened after repairs.") == []
    assert extract_claims("Twelve new buses entered service.") == []


def test_the_mirror_s_revisions_and_the_first_death():
    """Sentences of the bundled mirror's stories (kronika/mirror/content), whose figures change."""
    assert _pairs("A 71-year-old man injured in the strike on January 14 has died in hospital.") == [("killed", 1)]
    assert [(c.category, c.count, c.subset) for c in extract_claims(
        "Кількість постраждалих зросла до 28, серед них 12-річна дівчинка.")] == [("injured", 28, False), ("injured", 1, True)]
    assert _pairs("14 people were injured, according to preliminary figures; the figure has since risen to 28.") == [
        ("injured", 14), ("injured", 28)]
    (claim,) = extract_claims("The first official figure came at 6.10am, when the regional administration "
                              "reported at least nine people injured.")
    assert (claim.count, claim.qualifier, claim.speaker) == (9, "at_least", "the regional administration")
    (claim,) = extract_claims("On Thursday afternoon the administration said that a 71-year-old man injured "
                              "in the strike had died in hospital.")
    assert (claim.category, claim.speaker) == ("killed", "the administration")


def test_offsets_stay_true_when_lower_casing_changes_the_length():
    text = "İSTANBUL — 12 people were killed."  # "İ".lower() is two code points
    (claim,) = extract_claims(text)
    assert text[claim.start:claim.end] == "12"


def test_telegram_tallies_with_colons_and_dashes():
    assert _pairs("Загиблих: 3\nПоранених: 12\nГоспіталізовано: 5") == [("killed", 3), ("injured", 12), ("hospitalised", 5)]
    assert _pairs("Погибших: 2, раненых — 7.") == [("killed", 2), ("injured", 7)]
    assert _pairs("Станом на 18:00 у лікарнях перебувають 9 осіб.") == [("hospitalised", 9)]


def test_thousands_written_as_a_decimal_and_a_word():
    assert _pairs("Евакуйовано 1,5 тис. людей.") == [("evacuated", 1500)]
    assert _pairs("About 2.5 thousand people were evacuated.") == [("evacuated", 2500)]
    assert _pairs("Загинули 3,5 людини.") == []  # a decimal is no count


_PIECES = ["At", "least", "27", "people", "were", "killed", "загинули", "п'ятеро", "людей", "погибли", "человек",
           "including", "серед", "них", "з", "до", "from", "to", "1 200", "1,5", "тис.", "-", "—", ":", ";", ",",
           ".", "\n", "\n\n", "’", "№", "İ", "²", "١٢", "a", "man", "drones", "ракет", "said", "повідомили",
           "according", "за", "словами", "ДСНС", "(", ")", "«", "»", "\u00a0", "18:00", "34-year-old", "5-7"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.sampled_from([None, "en", "uk", "ru"]))
def test_any_text_gives_claims_whose_spans_lie_in_it(pieces, lang):
    text = " ".join(pieces)
    for claim in extract_claims(text, lang):
        assert 0 <= claim.start < claim.end <= len(text)
        assert claim.sentence and text[claim.start:claim.end].strip()


@pytest.mark.parametrize("text, speaker", [
    ("Унаслідок удару загинули 5 людей. Про це повідомила Сумська ОВА.", "Сумська ОВА"),
    ("Загинули 5 людей. Про це в Telegram повідомив начальник ОВА Іван Федоров.", "начальник ОВА Іван Федоров"),
    ("Погибли 3 человека. Об этом сообщил губернатор.", "губернатор"),
    ("Two people were killed. This was reported by the regional administration.", "the regional administration"),
    ("Two people were killed.\n\nThis was reported by the regional administration.", None),  # another paragraph
])
def test_a_following_sentence_that_only_attributes_names_the_speaker(text, speaker):
    assert {c.speaker for c in extract_claims(text)} == {speaker}
