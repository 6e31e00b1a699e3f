"""`extract_claims`: the numeric claims about casualties and attacks in a text.

A claim is a figure bound to a category in the same sentence: "At least 27 people were killed"
gives (killed, 27, at least). Each sentence is read on its own: its figures are found
(kronika.claims.numbers), each is bound to the nearest category word that no other figure stands
between (kronika.claims.lexicon), and the sentence's attributed source is attached to all of its
claims (kronika.claims.speakers). Rules and limits: docs/claims.md, "How claims are extracted".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kronika.claims import lexicon, numbers, speakers


@dataclass(frozen=True)
class Claim:
    """One figure as a source stated it (never a verified fact)."""

    category: str  # one of lexicon.CATEGORIES: killed, injured, hospitalised, missing, evacuated, detained, drones, missiles
    count: int  # the figure; the low end of a range
    count_high: int | None  # the high end of a range ("5-7", "from 5 to 7", "від 5 до 7"), else None
    qualifier: str  # 'exact' | 'at_least' | 'approximately' | 'up_to' | 'more_than' | 'less_than' (issue 21's words)
    speaker: str | None  # the attributed source as written ("the governor", "за словами ОВА" -> "ОВА"), or None
    sentence: str  # the sentence the claim is in
    start: int  # character span of the figure in the text given to extract_claims
    end: int
    lang: str  # 'en' | 'uk' | 'ru'
    subset: bool = False  # part of a total in the same sentence ("52 injured, including seven children")


_ENGLISH_NUMBER_WORDS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "dozen", "a", "an",
]
_SLAVIC_NUMBER_STARTS = [
    "оди", "одн", "дв", "тр", "чот", "чет", "п'ят", "п’ят", "пят", "шіс", "шес", "сім", "сем", "віс", "вос",
    "дев", "дес", "сор", "сто", "ста", "тис", "тыс",
]
_ENGLISH_NUMBER_SET = frozenset(_ENGLISH_NUMBER_WORDS)
_SLAVIC_NUMBER_START = re.compile(lexicon.trie_pattern(_SLAVIC_NUMBER_STARTS))
_SLAVIC_KEYS = frozenset(start[:2] for start in _SLAVIC_NUMBER_STARTS)


def _is_candidate(lower: str) -> bool:
    """Whether lower-cased text has both a category word and a number (a digit, an English number
    word, "a"/"an" for one person, or a word that starts like a Ukrainian or Russian number word).
    One walk over its words, split in C: a regular expression over the same alternatives tries every
    position in turn and costs several times more on a page of text."""
    has_number = has_category = False
    for word in lower.translate(lexicon.PUNCTUATION_TO_SPACE).split():
        if not has_number and (word[0].isdigit() or word.partition("-")[0] in _ENGLISH_NUMBER_SET
                               or (word[:2] in _SLAVIC_KEYS and _SLAVIC_NUMBER_START.match(word))):
            has_number = True
        if not has_category and lexicon.is_category_start(word):
            has_category = True
        if has_number and has_category:
            return True
    return False


# After a full stop (and any closing quote) before a capital, a digit, a quote or a bullet; or a line end.
_SENTENCE_END = re.compile(r"[.!?…][\"»”)]*\s+(?=[\"«“(]?[A-ZА-ЯІЇЄҐ0-9•\-–—])|\n\s*")
# Words after which a full stop ends an abbreviation, not a sentence ("No. 2", "вул. Садова"); a
# single capital letter is an initial ("O. Marchuk").
_ABBREVIATIONS = frozenset(
    "no dr mr mrs ms st gen col lt vs approx вул ул м г ст р обл буд д им ім тис тыс млн пл просп пр ч п с див см".split())


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and text[word_start - 1].isalpha():
        word_start -= 1
    word = text[word_start:dot]
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences (and lines: paragraphs and Telegram bullets are separate) in text."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.group()[0] == "\n":
            end = boundary.start()
        else:
            end = boundary.start() + 1
            if text[end - 1] == "." and _is_abbreviation(text, end - 1):
                continue
        spans.append((start, end))
        start = boundary.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


_UKRAINIAN_WORDS = re.compile(
    r"(?i)(?<!\w)(?:що|та|які|було|були|від|серед|дитина|немає|ще|це|його|внаслідок|людей|осіб|загинули|"
    r"повідомили|повідомив|постраждалих|травмовані|поранені|він|вона|вони|під|після|через)(?!\w)")
_RUSSIAN_WORDS = re.compile(
    r"(?i)(?<!\w)(?:что|как|было|были|от|среди|ребенок|нет|еще|это|его|в результате|человек|погибли|"
    r"сообщили|сообщил|пострадавших|ранены|он|она|они|под|после|через|и|с|по|из)(?!\w)")


def guess_language(text: str) -> str:
    """'en' for mostly Latin script; Ukrainian or Russian by the letters only one of them has, then
    by frequent words; Ukrainian when nothing tells them apart (most of Kronika's sources)."""
    sample = text[:2000]
    cyrillic = len(re.findall(r"[а-яА-ЯёЁіІїЇєЄґҐ]", sample))
    latin = len(re.findall(r"[a-zA-Z]", sample))
    if cyrillic <= latin:
        return "en"
    ukrainian = 3 * len(re.findall(r"[іїєґІЇЄҐ]|\w['’ʼ]\w", sample)) + len(_UKRAINIAN_WORDS.findall(sample))
    russian = 3 * len(re.findall(r"[ыэъёЫЭЪЁ]", sample)) + len(_RUSSIAN_WORDS.findall(sample))
    if not re.search(r"[іїєґІЇЄҐ]", sample):
        russian += 1  # Ukrainian text rarely goes a sentence without і, ї or є
    return "ru" if russian > ukrainian else "uk"


def extract_claims(text: str, lang: str | None = None) -> list[Claim]:
    """Every numeric claim in text, in order; lang is 'en', 'uk' or 'ru', guessed when None."""
    if not text:
        return []
    # The pre-filter: most text (weather, sport, a bridge repair) has no category word or no number
    # and costs one walk over its words. Otherwise only paragraphs, then sentences, that have both
    # are read.
    lower = text.lower()
    if len(lower) != len(text):  # a few letters lower-case to two ("İ"): keep offsets aligned
        lower = "".join(letter.lower()[0] for letter in text)
    if not _is_candidate(lower):
        return []
    claims: list[Claim] = []
    paragraph_start = 0
    for paragraph in text.split("\n"):
        paragraph_lower = lower[paragraph_start:paragraph_start + len(paragraph)]
        if _is_candidate(paragraph_lower):
            sentences = split_sentences(paragraph)
            for n, (start, end) in enumerate(sentences):
                if not _is_candidate(paragraph_lower[start:end]):
                    continue
                lang = lang or guess_language(text)
                found = _sentence_claims(paragraph[start:end], paragraph_start + start, lang)
                # "... загинули 5 людей. Про це повідомила ОВА.": the next sentence names the speaker
                if found and found[0].speaker is None and n + 1 < len(sentences):
                    speaker = speakers.attribution_only(paragraph[slice(*sentences[n + 1])], lang)
                    if speaker:
                        found = [replace(claim, speaker=speaker) for claim in found]
                claims.extend(found)
        paragraph_start += len(paragraph) + 1
    return claims


# A figure binds to a category word at most this many tokens away (further back after "rose to").
_REACH = 10
_CHANGE_REACH = 25
# A comma between a figure and a category word counts as this many more tokens.
_COMMA_COST = 3


@dataclass
class _Bound:
    figure: numbers.Figure
    category: str | None
    category_at: int | None
    subset: bool


def _sentence_claims(sentence: str, offset: int, lang: str) -> list[Claim]:
    tokens = numbers.tokenize(sentence)
    words = [t.lower if t.kind == "word" else "" for t in tokens]
    categories = lexicon.categories_in(words, lang)
    if not categories:
        return []
    every_number = numbers.find_figures(tokens, lang)
    figures = [f for f in every_number if _is_count(tokens, f, lang)]
    figures, follows = _join_ranges(tokens, figures)
    figures_and_heads = [(f, _counts_people_or_weapons(tokens, f, categories, lang)) for f in figures]
    occupied = {i for f in figures for i in range(f.first, f.last + 1)}
    # any number, a date or an age too, ends a figure's reach: "three men to 12 years for the attack
    # that wounded 9" does not bind "three" to "wounded"
    numbers_at = {i for f in every_number for i in range(f.first, f.last + 1)}
    subsets = [_is_subset(tokens, f, lang) for f in figures]
    subset_tokens = {i for f, sub in zip(figures, subsets) if sub for i in range(f.first, f.last + 1)}
    bound: list[_Bound] = []
    for n, (figure, counts) in enumerate(figures_and_heads):
        if not counts:
            bound.append(_Bound(figure, None, None, subsets[n]))
            continue
        reach_back = _CHANGE_REACH if _after_change(tokens, figure) else _REACH
        blocked = numbers_at - set(range(figure.first, figure.last + 1))
        found = _bind(tokens, figure, categories, blocked - subset_tokens if not subsets[n] else blocked,
                      subset_tokens if not subsets[n] else set(), lang, reach_back)
        # a count of people is never a count of weapons: "the drone factory employs 300 workers"
        if found and counts == "people" and found[1] in ("drones", "missiles"):
            found = None
        bound.append(_Bound(figure, found[1] if found else None, found[0] if found else None, subsets[n]))
    # "revised from 14 to 11": the second figure counts what the first counts
    for second, first in follows.items():
        if bound[second].category is None and bound[first].category is not None and figures_and_heads[second][1]:
            bound[second].category = bound[first].category
        if bound[first].category is None and bound[second].category is not None and figures_and_heads[first][1]:
            bound[first].category = bound[second].category
    # a subset takes the category of its total: "52 injured, including seven children"
    for n, b in enumerate(bound):
        if b.subset and figures_and_heads[n][1]:
            total = next((bound[m] for m in range(n - 1, -1, -1) if bound[m].category and not bound[m].subset), None)
            if total is not None:
                b.category = total.category
    found_claims = [(b.figure.first, b.figure.last, b.figure.value, b.figure.high, b.category, b.subset)
                    for b in bound if b.category]
    used = {b.category_at for b in bound if b.category}
    found_claims += _singular_claims(tokens, words, categories, occupied, used, found_claims, lang)
    if not found_claims:
        return []
    speaker = speakers.find_speaker(sentence, lang)
    claims = []
    for first, last, value, high, category, subset in sorted(found_claims):
        claims.append(Claim(
            category=category, count=value, count_high=high, qualifier=_qualifier(tokens, first, lang),
            speaker=speaker, sentence=sentence.strip(), start=offset + tokens[first].start,
            end=offset + tokens[last].end, lang=lang, subset=subset,
        ))
    return claims


_NOT_COUNT_BEFORE = {"no", "aged", "age", "ages", "віці", "віком", "возрасте", "возрастом", "article", "part", "section", "paragraph",
                     "статті", "статтею", "статья", "статьи", "статье", "частини", "части", "ч", "ст", "п",
                     "вул", "ул", "буд", "д", "кв", "просп", "пр", "flight", "route", "рейс", "number",
                     "номер", "gate", "magnitude", "магнітудою", "магнитудой", "minus", "мінус", "минус",
                     "plus", "плюс", "tel", "тел", "phone", "call"}


def _is_count(tokens: list[numbers.Token], figure: numbers.Figure, lang: str) -> bool:
    """False for a number that is a date, time, age, address, share, amount or a count of things."""
    before = tokens[figure.first - 1] if figure.first > 0 else None
    after = tokens[figure.last + 1] if figure.last + 1 < len(tokens) else None
    if before is not None:
        if before.text in ("$", "€", "£", "₴", "№", "#", "+", "/"):
            return False
        # "18:00" is a time; "Загиблих: 3" is a figure
        if before.text == ":" and figure.first >= 2 and tokens[figure.first - 2].kind == "num":
            return False
        # "Shahed-136", "Іскандер-М": a model name; "5-7" is a range
        if before.text in ("-", "–") and (figure.first < 2 or tokens[figure.first - 2].kind != "num"):
            return False
        if before.kind == "word" and (before.lower in _NOT_COUNT_BEFORE or lexicon.is_not_count(before.lower, lang)):
            return False
        if before.kind == "num":  # "0 800 500 121", "+380 44 555 12 34": a phone number or a code
            return False
    if after is not None:
        if after.text in ("%", ":", "/", "$", "€", "₴", "°"):
            return False
        if after.text == "." and figure.last + 2 < len(tokens) and tokens[figure.last + 2].kind == "num":
            return False
        if after.kind == "num":
            return False
        if after.text in ("-", "–") and figure.last + 2 < len(tokens):
            following = tokens[figure.last + 2]
            if following.kind == "word" and (lexicon.is_not_count(following.lower, lang) or following.lower.startswith(
                    ("year", "month", "week", "day", "storey", "річн", "місяч", "летн", "месяч", "поверх", "этаж", "мм", "mm"))):
                return False
        if after.kind == "word" and lexicon.is_not_count(after.lower, lang):
            return False
        if after.kind == "word" and lang != "en" and after.lower.startswith(("річн", "летн", "місячн", "месячн")):
            return False
    # "two of them in a serious condition", "двоє у важкому стані": a condition, not a category
    if any(t.lower.startswith(("condition", "стан", "состояни")) for t in tokens[figure.last + 1: figure.last + 6]):
        return False
    if lang == "en" and tokens[figure.first].kind == "num" and tokens[figure.first].lower[:1] == "0":
        return False
    return True


def _join_ranges(tokens: list[numbers.Token], figures: list[numbers.Figure]):
    """"5-7", "5 to 7", "from 5 to 7", "від 5 до 7" become one figure with a high end; "from 14 to 11"
    or "rose from 9 to 28" stay two figures, the second following the first (returned as a map)."""
    joined: list[numbers.Figure] = []
    follows: dict[int, int] = {}
    for figure in figures:
        if joined:
            previous = joined[-1]
            between = [t.lower for t in tokens[previous.last + 1: figure.first]]
            if between in (["-"], ["–"], ["—"], ["to"], ["до"], ["or"], ["або"], ["или"], ["чи"], ["and"]):
                changed = any(lexicon.CHANGE_WORDS.match(t.lower) for t in tokens[max(0, previous.first - 4): previous.first])
                if between == ["and"] and not (previous.first > 0 and tokens[previous.first - 1].lower == "between"):
                    joined.append(figure)
                    continue
                if previous.value < figure.value and previous.high is None and not changed:
                    joined[-1] = numbers.Figure(previous.first, figure.last, previous.value, figure.value)
                    continue
                if between in (["to"], ["до"]):
                    follows[len(joined)] = len(joined) - 1
        joined.append(figure)
    return joined, follows


def _after_change(tokens, figure) -> bool:
    """"the toll ... has risen to 19", "кількість загиблих зросла до 15"."""
    before = [t.lower for t in tokens[max(0, figure.first - 3): figure.first]]
    return len(before) >= 2 and before[-1] in ("to", "до", "at") and any(lexicon.CHANGE_WORDS.match(w) or w in ("stands", "stood", "put", "становить", "составляет") for w in before[:-1])


_NOT_A_NOUN = {"PREP", "CONJ", "PRCL", "VERB", "INFN", "PRTS", "GRND", "ADVB", "NPRO", "PRED", "INTJ"}


def _counts_people_or_weapons(tokens, figure, categories, lang) -> str | None:
    """What follows a figure must be what a claim counts: people ('people'), a category word
    ('category'), a verb or nothing ('open'); None when it counts something else."""
    j, skipped = figure.last + 1, 0
    while j < len(tokens) and tokens[j].kind == "word" and skipped < 3:
        word = tokens[j].lower
        if j in categories:
            return "category"
        if lexicon.is_people(word, lang):
            return "people"
        if lexicon.is_not_count(word, lang):
            return None
        if lexicon.is_bridge(word, lang):
            skipped, j = skipped + 1, j + 1
            continue
        if lang == "en":
            # "74 were shot down": after an auxiliary comes the verb of what happened to them
            if skipped and tokens[j - 1].lower in ("were", "was", "are", "is", "have", "has", "had", "been", "be"):
                return "open"
            if tokens[j].text[:1].isupper() or word in ("of",):
                skipped, j = skipped + 1, j + 1
                continue
            return None
        pos = numbers.parts_of_speech(word, lang)
        if pos & _NOT_A_NOUN:
            return "open"
        if pos & {"ADJF", "PRTF", "NUMR", "ADJS"}:
            skipped, j = skipped + 1, j + 1
            continue
        return None if "NOUN" in pos else "open"
    return "open"


def _bind(tokens, figure, categories, blocked, skippable, lang, reach_back) -> tuple[int, str] | None:
    """The category word this figure counts: the nearest one, after it first, that no other figure,
    clause-joining conjunction or semicolon stands between; a comma counts as distance."""
    forward = None
    cost = 0
    for k in range(figure.last + 1, min(len(tokens), figure.last + 1 + _REACH)):
        if k in skippable:
            continue
        if k in blocked or tokens[k].text in (";", "—", "–", "(") or (tokens[k].lower in lexicon.CONJUNCTIONS and k > figure.last + 1):
            break
        cost += _COMMA_COST if tokens[k].text == "," else 1
        if k in categories:
            forward = (k, categories[k], cost)
            # "16 of the injured had been hospitalised": the group, then what happened to it
            if categories[k] in ("injured", "killed"):
                for m in range(k + 1, min(len(tokens), k + 6)):
                    if m in blocked or tokens[m].text in (",", ";", "—") or tokens[m].lower in lexicon.CONJUNCTIONS:
                        break
                    if categories.get(m) == "hospitalised":
                        forward = (m, "hospitalised", cost)
                        break
            break
    backward = None
    cost = 0
    for k in range(figure.first - 1, max(-1, figure.first - 1 - reach_back), -1):
        # "14 were injured; the figure has since risen to 28": a revision may look past a semicolon
        if tokens[k].text in ("—", "–") and k == figure.first - 1:
            continue  # "раненых — 7": a dash right before the figure introduces it
        if k in blocked or tokens[k].text in ("—", "–", ")") or (tokens[k].text == ";" and reach_back == _REACH):
            break
        cost += _COMMA_COST if tokens[k].text == "," else 1
        if k in categories:
            backward = (k, categories[k], cost)
            break
    if forward and (not backward or forward[2] <= backward[2] + 1):
        return forward[0], forward[1]
    if backward:
        return backward[0], backward[1]
    return None


def _singular_claims(tokens, words, categories, occupied, used, found_claims, lang):
    """One person named by a singular noun: "a 34-year-old man was killed", "загинула жінка"."""
    claims = []
    taken = set(used)
    for i, word in enumerate(words):
        if not word or not lexicon.is_singular_person(word, lang) or i in occupied:
            continue
        if i > 0 and (i - 1 in occupied or words[i - 1] in ("no", "жодної", "жодного", "ни")):
            continue
        start = i
        if lang == "en":
            article = next((k for k in range(i - 1, max(-1, i - 6), -1) if words[k] in ("a", "an")), None)
            if article is None or any(words[k] in ("of", "the", "his", "her", "their") for k in range(article + 1, i)):
                continue
            start = article
        # "including a 12-year-old girl", "серед них 12-річна дівчинка": the marker may stand before the age
        subset = any(_is_subset(tokens, numbers.Figure(s, i, 1), lang) for s in range(start, max(-1, start - 5), -1)
                     if all(tokens[m].text not in (",", ";") and m not in categories for m in range(s, start)))
        if subset:
            total = next((c for c in reversed(found_claims) if c[0] < start and not c[5]), None)
            if total is not None:
                claims.append((start, i, 1, None, total[4], True))
            continue
        best = None
        for k, category in categories.items():
            if k in taken or k == i:
                continue
            low, high = min(k, i), max(k, i)
            if high - low > 6 or any(m in occupied for m in range(low, high)) or any(
                    tokens[m].text in (";", ",") or words[m] in lexicon.CONJUNCTIONS for m in range(low + 1, high)):
                continue
            distance = high - low + (0 if k > i else 1)
            if best is None or distance < best[0]:
                best = (distance, k, category)
        # "a man injured in the strike has died": the death, said later in the clause, is the news
        for k in range(i + 1, min(len(tokens), i + 20)):
            if k in occupied or tokens[k].text == ";" or words[k] in lexicon.CONJUNCTIONS:
                break
            if categories.get(k) == "killed" and k not in taken and best and best[2] == "injured":
                best = (0, k, "killed")
                break
        if best:
            taken.add(best[1])
            claims.append((start, i, 1, None, best[2], False))
    return claims


def _qualifier(tokens, first, lang) -> str:
    before = [t.lower for t in tokens[max(0, first - 4): first]]
    for phrase, qualifier in lexicon.QUALIFIERS[lang]:
        words = phrase.split()
        if before[-len(words):] == words:
            if phrase == "до":
                index = first - 2
                if index >= 0 and (tokens[index].kind == "num" or lexicon.CHANGE_BEFORE_DO.match(tokens[index].lower) or tokens[index].lower in ("від", "от", "з", "із", "с")):
                    return "exact"
                if any(t.lower in ("від", "от") for t in tokens[max(0, first - 4): first - 1]):
                    return "exact"
            if phrase in ("over", "under", "some") and first >= 2 and tokens[first - 2].kind == "word" and tokens[first - 2].lower not in ("of", "with", "and", "killed", "killing", "injuring", "injured", "wounded", "by", "to"):
                return "exact" if phrase != "some" else qualifier
            return qualifier
    return "exact"


_SUBSET_MARKERS = {
    "en": ("including", "among them", "of them", "of whom", "among whom"),
    "uk": ("серед них", "з них", "із них", "зокрема", "у тому числі", "в тому числі", "серед яких"),
    "ru": ("среди них", "из них", "в том числе", "среди которых"),
}


def _is_subset(tokens, figure, lang) -> bool:
    before = " ".join(t.lower for t in tokens[max(0, figure.first - 4): figure.first] if t.kind == "word")
    after = " ".join(t.lower for t in tokens[figure.last + 1: figure.last + 3] if t.kind == "word")
    return any(before.endswith(marker) for marker in _SUBSET_MARKERS[lang]) or after in ("of them", "of whom", "з них", "із них", "из них")
