"""Figures in a sentence: digits ("27", "1 200", "1,200") and number words in English, Ukrainian and
Russian with their inflections ("Twenty-one", "a dozen", "двадцять одну", "п'ятеро", "четырнадцать").

Ukrainian and Russian number words are recognised by their lemma (pymorphy3 with its uk/ru
dictionaries), so every case form counts without listing it; only words that look like a number
(a cheap prefix test) are given to the analyser, and each word's answer is cached.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Words first, then a digit group: thousands separated by a space (also no-break and narrow no-break
# spaces), by commas, or plain digits with an optional decimal part.
TOKEN_RE = re.compile(
    r"(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.]\d)|\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+(?:[.,]\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:['’ʼ`\-][^\W\d_]+)*)"
    r"|(?P<punct>\S)"
)
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})


@dataclass
class Token:
    kind: str  # 'num' | 'word' | 'punct'
    text: str
    lower: str  # lower-cased, apostrophes made "'" (what the dictionaries spell)
    start: int  # offsets into the sentence
    end: int


def tokenize(sentence: str) -> list[Token]:
    return [Token(m.lastgroup, m.group(), m.group().lower().translate(APOSTROPHES), m.start(), m.end())
            for m in TOKEN_RE.finditer(sentence)]


def digits_value(token: Token, lang: str) -> int | None:
    """The integer a digit token states, or None for a decimal ("3.5", "1,5")."""
    text = re.sub(r"[ \u00a0\u202f]", "", token.text)
    if "," in text and lang == "en" and re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return int(text.replace(",", ""))
    if "," in text or "." in text:
        return None
    return int(text)


ENGLISH_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "thousand": 1000, "dozen": 12,
}

# Lemmas as pymorphy3's dictionaries spell them; collective numerals ("п'ятеро", "пятеро") count people.
UKRAINIAN_LEMMAS = {
    "один": 1, "два": 2, "три": 3, "чотири": 4, "п'ять": 5, "шість": 6, "сім": 7, "вісім": 8,
    "дев'ять": 9, "десять": 10, "одинадцять": 11, "дванадцять": 12, "тринадцять": 13,
    "чотирнадцять": 14, "п'ятнадцять": 15, "шістнадцять": 16, "сімнадцять": 17, "вісімнадцять": 18,
    "дев'ятнадцять": 19, "двадцять": 20, "тридцять": 30, "сорок": 40, "п'ятдесят": 50,
    "шістдесят": 60, "сімдесят": 70, "вісімдесят": 80, "дев'яносто": 90, "сто": 100, "двісті": 200,
    "триста": 300, "чотириста": 400, "п'ятсот": 500, "шістсот": 600, "сімсот": 700, "вісімсот": 800,
    "дев'ятсот": 900, "тисяча": 1000, "двоє": 2, "троє": 3, "четверо": 4, "п'ятеро": 5,
    "шестеро": 6, "семеро": 7, "восьмеро": 8, "дев'ятеро": 9, "десятеро": 10, "десяток": 10,
    "одинадцятеро": 11, "дванадцятеро": 12, "тринадцятеро": 13, "чотирнадцятеро": 14, "п'ятнадцятеро": 15,
    "шістнадцятеро": 16, "сімнадцятеро": 17, "вісімнадцятеро": 18, "дев'ятнадцятеро": 19, "двадцятеро": 20,
    "тридцятеро": 30,
}
RUSSIAN_LEMMAS = {
    "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200,
    "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700,
    "восемьсот": 800, "девятьсот": 900, "тысяча": 1000, "двое": 2, "трое": 3, "четверо": 4,
    "пятеро": 5, "шестеро": 6, "семеро": 7, "восьмеро": 8, "девятеро": 9, "десятеро": 10,
    "десяток": 10,
}
LEMMAS = {"uk": UKRAINIAN_LEMMAS, "ru": RUSSIAN_LEMMAS}
# A word can only be a number word if it starts like one: the analyser is asked about these alone.
_NUMBER_PREFIX = re.compile(
    r"^(?:од|дв|тр|чот|чет|п'ят|пят|шіс|шес|шест|сім|сем|віс|вос|дев|дес|сор|ст|тис|тыс)"
)


@lru_cache(maxsize=4)
def _analyser(lang: str):
    import pymorphy3  # loaded on the first Ukrainian or Russian candidate, not at import

    return pymorphy3.MorphAnalyzer(lang=lang)


@lru_cache(maxsize=65536)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of a Ukrainian or Russian word (its first analysis), cached."""
    return _analyser(lang).parse(word)[0].normal_form


@lru_cache(maxsize=65536)
def parts_of_speech(word: str, lang: str) -> frozenset[str]:
    """Every part of speech a Ukrainian or Russian word can be ('NOUN', 'VERB', 'PREP', ...)."""
    return frozenset(str(parse.tag.POS) for parse in _analyser(lang).parse(word))


@lru_cache(maxsize=65536)
def word_value(word: str, lang: str) -> int | None:
    """The value of one number word ("двадцятьох" -> 20, "twenty" -> 20), None if it is not one."""
    if lang == "en":
        return ENGLISH_WORDS.get(word)
    if not _NUMBER_PREFIX.match(word):
        return None
    table = LEMMAS[lang]
    for parse in _analyser(lang).parse(word):
        if parse.normal_form in table and ("NUMR" in parse.tag or parse.normal_form in ("тисяча", "тысяча", "один", "десяток")):
            return table[parse.normal_form]
    return None


def combine(values: list[int]) -> int:
    """The number that a run of number words states: [20, 1] -> 21, [3, 100, 40, 2] -> 342."""
    total, current = 0, 0
    for value in values:
        if value == 100:
            current = max(current, 1) * 100
        elif value >= 1000:
            total += max(current, 1) * value
            current = 0
        else:
            current += value
    return total + current


@dataclass
class Figure:
    """A number found in a sentence: tokens first..last (inclusive), its value and the range's top."""
    first: int
    last: int
    value: int
    high: int | None = None


def _word_parts(token: Token, lang: str) -> list[int] | None:
    """Values of a word token: "twenty-one" gives [20, 1]; None when any part is not a number word."""
    parts = token.lower.split("-") if lang == "en" else [token.lower]
    values = [word_value(part, lang) for part in parts]
    if any(v is None for v in values):
        return None
    return values


_THOUSANDS = frozenset(("тис", "тисяч", "тисячі", "тисячу", "тыс", "тысяч", "тысячи", "тысячу", "thousand"))


def find_figures(tokens: list[Token], lang: str) -> list[Figure]:
    """Every number in the tokens, number words joined into one figure ("three hundred and two")."""
    figures: list[Figure] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "num":
            value = digits_value(token, lang)
            following = tokens[i + 1].lower if i + 1 < len(tokens) else ""
            if value is None and following in _THOUSANDS:  # "1,5 тис.", "2.5 thousand"
                fraction = float(token.text.replace(",", ".")) * 1000
                if fraction.is_integer():
                    figures.append(Figure(i, i + 1, int(fraction)))
                    i += 2
                    continue
            if value is not None:
                last = i
                # "2 тис.", "1 200 thousand" -> multiply
                if following in _THOUSANDS:
                    value *= 1000
                    last = i + 1
                figures.append(Figure(i, last, value))
            i += 1
            continue
        if token.kind == "word":
            parts = _word_parts(token, lang)
            if parts is not None:
                values, last = list(parts), i
                j = i + 1
                while j < len(tokens) and tokens[j].kind == "word":
                    if lang == "en" and tokens[j].lower == "and" and j + 1 < len(tokens):
                        more = _word_parts(tokens[j + 1], lang) if tokens[j + 1].kind == "word" else None
                        if more is not None and values[-1] >= 100:
                            values += more
                            last = j + 1
                            j += 2
                            continue
                        break
                    more = _word_parts(tokens[j], lang)
                    if more is None:
                        break
                    values += more
                    last = j
                    j += 1
                # "a dozen" / "dozen": 12; "one hundred"
                figures.append(Figure(i, last, combine(values)))
                i = last + 1
                continue
        i += 1
    return figures
