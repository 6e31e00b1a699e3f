"""`extract_claims`: the numeric claims about casualties and attacks in a text.

A claim is a figure bound to a category in the same sentence: "At least 27 people were killed"
gives (killed, 27, at least). Each sentence is read on its own: its figures are found
(kronika.claims.numbers), each is bound to the nearest category word that no other figure stands
between (kronika.claims.lexicon), and the sentence's attributed source is attached to all of its
claims (kronika.claims.speakers). Rules and limits: docs/claims.md, "How claims are extracted".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kronika.claims import lexicon, numbers, speakers


@dataclass(frozen=True)
class Claim:
    """One figure as a source stated it (never a verified fact)."""

    category: str  # one of lexicon.CATEGORIES: killed, injured, hospitalised, missing, evacuated, detained, drones, missiles
    count: int  # the figure; the low end of a range
    count_high: int | None  # the high end of a range ("5-7", "from 5 to 7", "від 5 до 7"), else None
    qualifier: str  # 'exact' | 'at least' | 'about' | 'up to' | 'more than' | 'less than'
    speaker: str | None  # the attributed source as written ("the governor", "за словами ОВА" -> "ОВА"), or None
    sentence: str  # the sentence the claim is in
    start: int  # character span of the figure in the text given to extract_claims
    end: int
    lang: str  # 'en' | 'uk' | 'ru'
    subset: bool = False  # part of a total in the same sentence ("52 injured, including seven children")


_HAS_NUMBER = re.compile(
    r"\d|(?i:\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"dozen|a|an)\b)"
    r"|(?i:(?<!\w)(?:од[иніо]|дв|тр|чот|чет|п['’ʼ]?ят|шіс|шес|сім|сем|віс|вос|дев|дес|сор|ст[оа]|тис|тыс))"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”)]*\s+(?=[\"«“(]?[A-ZА-ЯІЇЄҐ0-9•\-–—])|\n\s*")
_ABBREVIATION = re.compile(r"(?i)(?:\b(?:no|dr|mr|mrs|ms|st|gen|col|lt|vs|approx|вул|ул|м|г|ст|р|обл|буд|д|им|ім|тис|тыс|млн|пл|просп|пр|ч|п|с|див|см)|\b[A-ZА-ЯІЇЄҐ])\.$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences (and lines: paragraphs and Telegram bullets are separate) in text."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        if text[boundary.start() - 1: boundary.start()] == "." and _ABBREVIATION.search(text[max(0, boundary.start() - 12): boundary.start()]) and "\n" not in boundary.group():
            continue
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def guess_language(text: str) -> str:
    """'en' for Latin script; between Ukrainian and Russian, the letters only one of them has."""
    cyrillic = len(re.findall(r"[а-яА-ЯёЁіІїЇєЄґҐ]", text))
    latin = len(re.findall(r"[a-zA-Z]", text))
    if cyrillic <= latin:
        return "en"
    ukrainian = len(re.findall(r"[іїєґІЇЄҐ']|\b(?:що|та|які|було|від)\b", text))
    russian = len(re.findall(r"[ыэъёЫЭЪЁ]|\b(?:что|как|было|от|и)\b", text))
    return "ru" if russian > ukrainian else "uk"


def extract_claims(text: str, lang: str | None = None) -> list[Claim]:
    """Every numeric claim in text, in order; lang is 'en', 'uk' or 'ru', guessed when None."""
    # The pre-filter: most text (weather, sport, a bridge repair) has no category word or no number
    # and costs two regex scans.
    if not text or not lexicon.CATEGORY_PREFILTER.search(text) or not _HAS_NUMBER.search(text):
        return []
    lang = lang or guess_language(text)
    claims: list[Claim] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        if lexicon.CATEGORY_PREFILTER.search(sentence) and _HAS_NUMBER.search(sentence):
            claims.extend(_sentence_claims(sentence, start, lang))
    return claims


# A figure binds to a category word at most this many tokens away.
_REACH = 8


def _sentence_claims(sentence: str, offset: int, lang: str) -> list[Claim]:
    tokens = numbers.tokenize(sentence)
    figures = [f for f in numbers.find_figures(tokens, lang) if _is_count(tokens, f, lang)]
    figures = _join_ranges(tokens, figures, lang)
    if not figures:
        return []
    categories = {i: lexicon.category_of(t.lower, lang) for i, t in enumerate(tokens) if t.kind == "word"}
    categories = {i: c for i, c in categories.items() if c}
    if not categories:
        return []
    occupied = set()
    for figure in figures:
        occupied.update(range(figure.first, figure.last + 1))
    speaker = None
    claims = []
    for figure in figures:
        category = _bind(tokens, figure, categories, occupied, lang)
        if category is None:
            continue
        if speaker is None:
            speaker = speakers.find_speaker(sentence, lang) or ""
        qualifier = _qualifier(tokens, figure, lang)
        claims.append(Claim(
            category=category, count=figure.value, count_high=figure.high, qualifier=qualifier,
            speaker=speaker or None, sentence=sentence.strip(), start=offset + tokens[figure.first].start,
            end=offset + tokens[figure.last].end, lang=lang, subset=_is_subset(tokens, figure, lang),
        ))
    return claims


def _is_count(tokens: list[numbers.Token], figure: numbers.Figure, lang: str) -> bool:
    """False for a number that is a date, time, age, address, share, amount or a count of things."""
    before = tokens[figure.first - 1] if figure.first > 0 else None
    after = tokens[figure.last + 1] if figure.last + 1 < len(tokens) else None
    if before is not None and before.text in ("$", "€", "£", "₴", "№", "#", "+", "/") :
        return False
    if before is not None and before.kind == "word" and (lexicon.is_not_count(before.lower, lang) or before.lower in ("no", "aged", "age", "віці", "возрасте", "article", "part", "статті", "статья", "статьи", "частини", "части", "ч", "ст", "п", "вул", "ул", "буд", "д")):
        return False
    if after is not None:
        if after.text in ("%", ":", "/", "$", "€", "₴") or (after.text == "." and figure.last + 2 < len(tokens) and tokens[figure.last + 2].kind == "num"):
            return False
        if after.text in ("-", "–") and figure.last + 2 < len(tokens):
            following = tokens[figure.last + 2]
            if following.kind == "word" and (lexicon.is_not_count(following.lower, lang) or following.lower.startswith(("year", "month", "річн", "річ", "місяч", "летн", "месяч"))):
                return False
        if after.kind == "word" and (lexicon.is_not_count(after.lower, lang) or after.lower.endswith(("річний", "річна", "річного", "летний", "летняя", "летнего"))):
            return False
        if after.kind == "word" and lang == "en" and after.lower in ("a", "an") and tokens[figure.last].lower in ("a", "an"):
            return False
    return True


def _join_ranges(tokens: list[numbers.Token], figures: list[numbers.Figure], lang: str) -> list[numbers.Figure]:
    """"5-7", "5 to 7", "from 5 to 7", "від 5 до 7", "от 5 до 7" become one figure with a high end."""
    joined: list[numbers.Figure] = []
    for figure in figures:
        if joined:
            previous = joined[-1]
            between = [t.lower for t in tokens[previous.last + 1: figure.first]]
            if between in (["-"], ["–"], ["—"], ["to"], ["до"], ["or"], ["або"], ["или"], ["чи"]) and previous.value < figure.value and previous.high is None:
                joined[-1] = numbers.Figure(previous.first, figure.last, previous.value, figure.value)
                continue
        joined.append(figure)
    return joined


def _bind(tokens, figure, categories, occupied, lang) -> str | None:
    """The category of the nearest category word, forward first, that no other figure stands between."""
    after = figure.last + 1
    # what directly follows must be what is counted: people, a category, a bridge word or punctuation
    j = after
    skipped = 0
    while j < len(tokens) and tokens[j].kind == "word" and skipped < 3:
        word = tokens[j].lower
        if j in categories or lexicon.is_people(word, lang):
            break
        if lexicon.is_bridge(word, lang):
            skipped += 1
            j += 1
            continue
        if lang == "en" and tokens[j].text[:1].isupper():
            skipped += 1
            j += 1
            continue
        if lang != "en" and word.endswith(("их", "ых", "ий", "ый", "ые", "і", "ої", "ою", "ая", "ие")):
            skipped += 1
            j += 1
            continue
        return None
    forward = None
    for k in range(after, min(len(tokens), after + _REACH)):
        if k in occupied or tokens[k].text in (";", "—"):
            break
        if k in categories:
            forward = (k - figure.last, categories[k])
            break
    backward = None
    for k in range(figure.first - 1, max(-1, figure.first - 1 - _REACH), -1):
        if k in occupied or tokens[k].text in (";",):
            break
        if k in categories:
            backward = (figure.first - k, categories[k])
            break
    if forward and (not backward or forward[0] <= backward[0] + 1):
        return forward[1]
    if backward:
        return backward[1]
    return None


def _qualifier(tokens, figure, lang) -> str:
    before = [t.lower for t in tokens[max(0, figure.first - 4): figure.first]]
    for phrase, qualifier in lexicon.QUALIFIERS[lang]:
        words = phrase.split()
        if before[-len(words):] == words:
            if phrase == "до":
                index = figure.first - 2
                if index >= 0 and (lexicon.CHANGE_BEFORE_DO.match(tokens[index].lower) or tokens[index].lower in ("від", "от")):
                    return "exact"
                if any(t.lower in ("від", "от") for t in tokens[max(0, figure.first - 4): figure.first - 1]):
                    return "exact"
            return qualifier
    return "exact"


_SUBSET_MARKERS = {
    "en": ("including", "among them", "of them", "of whom", "among"),
    "uk": ("серед них", "з них", "із них", "зокрема", "у тому числі", "в тому числі", "серед яких"),
    "ru": ("среди них", "из них", "в том числе", "среди которых"),
}


def _is_subset(tokens, figure, lang) -> bool:
    before = " ".join(t.lower for t in tokens[max(0, figure.first - 4): figure.first] if t.kind == "word")
    after = " ".join(t.lower for t in tokens[figure.last + 1: figure.last + 3] if t.kind == "word")
    return any(before.endswith(marker) or before.endswith(marker + " the") for marker in _SUBSET_MARKERS[lang]) or after in ("of them", "з них", "из них")
