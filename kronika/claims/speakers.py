"""Who a sentence attributes its figures to, as written: "according to the regional governor",
"X said", "за словами голови ОВА", "по данным ГСЧС", "повідомила ДСНС".

Not speakers: unattributed data ("according to preliminary figures", "за попередніми даними") and
pronouns ("she said": the name is in another sentence, which this does not follow).
"""
from __future__ import annotations

import re

_W = r"[^\W\d_]"
# Everything up to the end of the phrase that names the speaker.
_PHRASE = r"(?P<speaker>[^,.;:!?\"“”«»()\n—–]+)"

_ENGLISH_VERBS = (r"said|says|reported|reports|told|announced|confirms|confirmed|stated|wrote|posted|"
                  r"added|estimate|estimates|estimated|claimed|claims|tweeted|informed|noted|updated|revised|put|say")
_UKRAINIAN_VERBS = (r"повідомили|повідомила|повідомив|повідомило|заявило|написало|уточнило|підтвердило|повідомляє|повідомляють|заявили|заявила|заявив|"
                    r"заявляє|написав|написала|написали|зазначив|зазначила|зазначили|сказав|сказала|"
                    r"розповів|розповіла|розповіли|уточнив|уточнила|уточнили|підтвердив|підтвердила|"
                    r"підтвердили|інформує|інформують|поінформував|поінформувала|додав|додала|стверджували|стверджує|"
                    r"стверджують|стверджував|писали|писав|писала|повідомляли|повідомляв|повідомляла")
_RUSSIAN_VERBS = (r"сообщили|сообщила|сообщил|сообщило|заявило|написало|уточнило|подтвердило|сообщает|сообщают|заявили|заявила|заявил|заявляет|написал|"
                  r"написала|написали|рассказал|рассказала|рассказали|уточнил|уточнила|уточнили|сказал|сказала|сказали|"
                  r"утверждали|утверждает|утверждают|писали|писал|писала|сообщали|сообщал|сообщала|"
                  r"подтвердил|подтвердила|подтвердили|информирует|добавил|добавила|отметил|отметила")

_ACCORDING = {
    "en": re.compile(r"(?i)\baccording to\s+" + _PHRASE),
    "uk": re.compile(r"(?i)(?<!\w)(?:за словами|за даними|за інформацією|за повідомленням|з слів|зі слів)\s+" + _PHRASE),
    "ru": re.compile(r"(?i)(?<!\w)(?:по словам|по данным|по информации|по сообщению|со слов)\s+" + _PHRASE),
}
# Data without a source: "according to preliminary figures", "за попередніми даними".
_UNATTRIBUTED = re.compile(
    r"(?i)^(?:the\s+)?(?:preliminary|initial|latest|updated|official|early|first|unofficial|available|"
    r"current|some|local|media|its|their|our)?\s*(?:figures|data|information|reports|estimates|count|counts|"
    r"statistics|tallies|reports)\b"
    r"|^(?:попередн|уточнен|останн|офіційн|оновлен|наявн|неофіційн|предварительн|уточнённ|уточненн|"
    r"последн|официальн|обновленн|имеющ|неофициальн)"
)
# A text about itself is not a source: "the previous version of this story said".
_NOT_A_SOURCE = re.compile(r"(?i)\b(?:this|the previous|an earlier|the earlier) (?:story|version|article|post|report|update)\b|"
                           r"\b(?:story|version|article)$")
_VERB_AFTER = {
    "en": re.compile(rf"(?i)\b(?P<verb>{_ENGLISH_VERBS})\b"),
    "uk": re.compile(rf"(?i)(?<!\w)(?P<verb>{_UKRAINIAN_VERBS})(?!\w)"),
    "ru": re.compile(rf"(?i)(?<!\w)(?P<verb>{_RUSSIAN_VERBS})(?!\w)"),
}
_PRONOUNS = {"he", "she", "it", "they", "we", "i", "він", "вона", "воно", "вони", "ми", "я", "он", "она",
             "оно", "они", "мы"}
_LEADING_NOISE = re.compile(r"(?i)^(?:and|but|also|later|earlier|meanwhile|then|that|when|after|as|while|because|since|if|коли|коли|когда|згодом|пізніше|раніше|тоді|позже|ранее|затем|і|та|а|й|и|но|також|также|"
                            r"в|у|про це|об этом|як|как)\s+")
_TRAILING_NOISE = re.compile(r"(?i)\s+(?:has|had|have|also|later|earlier|then|now|initially|first|on|in|"
                             r"раніше|спершу|спочатку|також|вже|уже|ранее|сначала|также|теж|тоже)$")
_NAME = re.compile(rf"^(?:[A-ZА-ЯІЇЄҐ]{_W}*[\s'’-]*){{1,4}}$")


def _clean(speaker: str) -> str | None:
    speaker = speaker.strip(" \t'’")
    while True:
        cleaned = _TRAILING_NOISE.sub("", speaker)
        if cleaned == speaker:
            break
        speaker = cleaned
    words = speaker.split()
    if not words or len(words) > 12 or any(ch.isdigit() for ch in speaker):
        return None
    if speaker.lower() in _PRONOUNS or _UNATTRIBUTED.match(speaker) or _NOT_A_SOURCE.search(speaker):
        return None
    return speaker


# A sentence that only attributes what came before: "Про це повідомила ОВА.", "Об этом сообщил
# губернатор.", "This was reported by the regional administration."
_ATTRIBUTION_ONLY = {
    "uk": re.compile(r"(?i)^\s*(?:про це|як)\s+(?:[^\s,.]+\s+){0,3}?(?:" + _UKRAINIAN_VERBS + r")\s+(?:(?:в|у)\s+)?"
                     + _PHRASE + r"[.!]?\s*$"),
    "ru": re.compile(r"(?i)^\s*(?:об этом|как)\s+(?:[^\s,.]+\s+){0,3}?(?:" + _RUSSIAN_VERBS + r")\s+(?:(?:в|во)\s+)?"
                     + _PHRASE + r"[.!]?\s*$"),
    "en": re.compile(r"(?i)^\s*(?:this|that|it) (?:was|has been) (?:reported|announced|stated|confirmed|said) by\s+"
                     + _PHRASE + r"[.!]?\s*$"),
}


def attribution_only(sentence: str, lang: str) -> str | None:
    """The speaker named by a sentence that does nothing but attribute the one before it, or None."""
    match = _ATTRIBUTION_ONLY[lang].match(sentence)
    if not match:
        return None
    speaker = match.group("speaker").strip()
    speaker = re.sub(r"(?i)\s+(?:on|in|у|в|на)\s+(?:telegram|телеграм\w*|facebook|фейсбуці|x)\b.*$", "", speaker)
    return _clean(speaker)


def find_speaker(sentence: str, lang: str) -> str | None:
    """The attributed source of a sentence's figures, as written, or None."""
    match = _ACCORDING[lang].search(sentence)
    if match:
        speaker = match.group("speaker").strip()
        # "according to figures from the health ministry" -> "the health ministry"
        source = re.search(r"(?i)\b(?:from|of)\s+(.+)$", speaker) if lang == "en" else None
        if source and _UNATTRIBUTED.match(speaker):
            speaker = source.group(1)
        # "за попередніми даними ОВА" -> "ОВА"
        elif lang != "en" and _UNATTRIBUTED.match(speaker) and " " in speaker:
            speaker = speaker.split(None, 1)[1] if speaker.split()[0].lower().startswith(("даним", "данным")) else speaker
        found = _clean(speaker)
        if found:
            return found
    for verb in _VERB_AFTER[lang].finditer(sentence):
        found = speaker_of_verb(sentence, verb.start(), verb.end(), lang)
        if found:
            return found
    return None


def speaker_of_verb(sentence: str, verb_start: int, verb_end: int, lang: str) -> str | None:
    """Who does what the verb at sentence[verb_start:verb_end] says: its subject before it, or
    (Ukrainian and Russian "повідомили в ДСНС", English '..., said X') after it."""
    found = _subject_before(sentence, verb_start, lang)
    if found is None and lang != "en":
        found = _subject_after(sentence, verb_end)
    if found is None and lang == "en":
        before = sentence[:verb_start].rstrip()
        if before.endswith((",", '"', "”")):
            found = _subject_after(sentence, verb_end)
    return found


def _segments_before(sentence: str, end: int) -> list[str]:
    text = sentence[:end]
    return re.split(r"\s*[,;:\"“”«»()—–]\s*|\s+that\s+|\s+що\s+|\s+что\s+", text)


def _subject_before(sentence: str, verb_start: int, lang: str) -> str | None:
    segments = _segments_before(sentence, verb_start)
    subject = segments[-1].strip()
    if not subject:
        # "Olena Marchuk, head of the regional administration, said": the name and its title together;
        # any other comma right before the verb means the speaker comes after it ("..., said X")
        if len(segments) >= 3 and segments[-2].strip()[:1].islower() and _NAME.match(segments[-3].strip() + " "):
            subject = segments[-3].strip() + ", " + segments[-2].strip()
        else:
            return None
    elif len(segments) >= 2 and subject[:1].islower() and _NAME.match(segments[-2].strip() + " ") and lang == "en":
        subject = segments[-2].strip() + ", " + subject
    subject = subject.strip()
    # "On Thursday afternoon the administration said": the time phrase is not the speaker
    time_phrase = re.match(r"(?:On|In|At|By|During|After|Before|Since|Until)\s+[^,]*?\s+(the\s+.+)$", subject)
    if lang == "en" and time_phrase:
        subject = time_phrase.group(1)
    previous = None
    while previous != subject:
        previous = subject
        subject = _LEADING_NOISE.sub("", subject)
    if not subject or (lang == "en" and subject.lower().startswith(("according", "it is", "there"))):
        return None
    if lang != "en" and subject[:1].islower() and len(subject.split()) > 4:
        return None
    return _clean(subject)


def _subject_after(sentence: str, verb_end: int) -> str | None:
    match = re.match(r"\s*(?:(?:в|у|во)\s+)?" + _PHRASE, sentence[verb_end:])
    if not match:
        return None
    speaker = match.group("speaker").strip()
    speaker = re.sub(r"(?i)\s+(?:on|in|at|у|в|на)\s+.*$", "", speaker) if len(speaker.split()) > 3 else speaker
    return _clean(speaker)
