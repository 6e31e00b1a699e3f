"""Denials: statements that a casualty or an attack did not happen, which carry no figure
("the ministry denied any missiles were launched", "Міноборони спростувало", "Минобороны
опровергло"). Issue 21 keeps them beside the claims as statements without a value.

A denial is a sentence with a denying word and a category word; it names what was denied (the
sentence's categories) and who denied it, as written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kronika.claims import lexicon, numbers, speakers
from kronika.claims.extract import guess_language, split_sentences


@dataclass(frozen=True)
class Denial:
    category: str  # one of lexicon.CATEGORIES
    speaker: str | None  # who denied it, as written, or None
    sentence: str
    start: int  # character span of the denying words in the text given
    end: int
    lang: str


_DENYING = {
    "en": re.compile(r"(?i)\b(?:denied|denies|deny|denying|refuted|refutes|rejected|rejects|dismissed|"
                     r"called (?:it|them|this|the reports?|the claims?) (?:fake|false)|(?:is|are|was|were) (?:fake|false|untrue))\b"),
    "uk": re.compile(r"(?i)(?<!\w)(?:спростува\w*|заперечу\w*|заперечи\w*|не відповіда\w* дійсності|фейк\w*)"),
    "ru": re.compile(r"(?i)(?<!\w)(?:опроверг\w*|отрица\w*|не соответству\w* действительности|фейк\w*)"),
}
# A denying word that is a verb has a subject (the speaker); "не відповідає дійсності" does not.
_VERB = re.compile(r"(?i)^(?:denied|denies|deny|refuted|refutes|rejected|rejects|dismissed|спростува|заперечу|"
                   r"заперечи|опроверг|отрица)")


def extract_denials(text: str, lang: str | None = None) -> list[Denial]:
    """Every denial in text, one per denied category and sentence, in order."""
    if not text:
        return []
    if not lexicon.has_category_word(text.lower()):
        return []
    lang = lang or guess_language(text)
    denying = _DENYING[lang]
    if not denying.search(text):
        return []
    found: list[Denial] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        match = denying.search(sentence)
        if match is None:
            continue
        words = [t.lower if t.kind == "word" else "" for t in numbers.tokenize(sentence)]
        categories = list(dict.fromkeys(lexicon.categories_in(words, lang).values()))
        if not categories:
            continue
        speaker = None
        if _VERB.match(match.group()):
            speaker = speakers.speaker_of_verb(sentence, match.start(), match.end(), lang)
        speaker = speaker or speakers.find_speaker(sentence, lang)
        for category in categories:
            found.append(Denial(category, speaker, sentence.strip(), start + match.start(), start + match.end(), lang))
    return found
