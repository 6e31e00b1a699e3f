"""The words that give a figure its meaning, per language: categories, the people or things counted,
qualifiers, and the units that make a number something other than a count (years, percent, money).

Ukrainian and Russian words are matched by stem (a regular expression on the lower-cased word), which
covers their inflections; English by whole word.
"""
from __future__ import annotations

import re

# The categories a claim can have (docs/claims.md lists them with examples).
CATEGORIES = ("killed", "injured", "hospitalised", "missing", "evacuated", "detained", "drones", "missiles")

_ENGLISH_CATEGORY = {
    "killed": "killed", "killing": "killed", "dead": "killed", "died": "killed", "die": "killed",
    "dies": "killed", "death": "killed", "deaths": "killed", "fatalities": "killed", "toll": "killed",
    "perished": "killed", "lives": "killed", "bodies": "killed",
    "admitted": "hospitalised", "unaccounted-for": "missing",
    "injured": "injured", "injuring": "injured", "injuries": "injured", "wounded": "injured",
    "wounding": "injured", "hurt": "injured",
    "hospitalised": "hospitalised", "hospitalized": "hospitalised",
    "missing": "missing", "unaccounted": "missing",
    "evacuated": "evacuated",
    "detained": "detained", "arrested": "detained",
    "drone": "drones", "drones": "drones", "uav": "drones", "uavs": "drones", "shahed": "drones",
    "shaheds": "drones", "shahed-type": "drones",
    "missile": "missiles", "missiles": "missiles", "rockets": "missiles",
}

_STEMS = {
    "uk": [
        ("killed", r"загин|загибл|загибел|вбит|вбил|вбив|помер|помир|смерт|жертв|мертв|тіл"),
        ("injured", r"поранен|поранил|поранень|травм|постражд|ранен"),
        ("hospitalised", r"госпіталіз"),
        ("missing", r"зник|безвіст"),
        ("evacuated", r"евакуйов|евакуюва"),
        ("detained", r"затрима(?!нн)|заарешт"),
        ("drones", r"дрон|безпілотн|бпла|шахед"),
        ("missiles", r"ракет(?!н)"),
    ],
    "ru": [
        ("killed", r"погиб|погибш|гибел|убит|убил|скончал|умер|смерт|жертв|мертв|тел"),
        ("injured", r"ранен|ранил|ранени|пострада|травм"),
        ("hospitalised", r"госпитализ"),
        ("missing", r"пропал|пропавш"),
        ("evacuated", r"эвакуир"),
        ("detained", r"задержа(?!ни)|арестов"),
        ("drones", r"дрон|беспилот|бпла|шахед"),
        ("missiles", r"ракет(?!н)"),
    ],
}
_STEM_RE = {lang: [(cat, re.compile(f"^(?:{stems})")) for cat, stems in pairs] for lang, pairs in _STEMS.items()}
# "тіл"/"тел" (bodies) only as whole inflected nouns, not "тілесні"/"телефон"
_NOT_BODY = re.compile(r"^(?:тіл[а-яії]{3,}|тел[а-я]{3,}|телеграм)")


def trie_pattern(words: list[str], whole_words: bool = False) -> str:
    """One regular expression for many literals, branching letter by letter: Python's re tries a
    flat alternation word by word at every position, this walks each position once. As prefixes
    unless whole_words (then "ten" and "tender" both stay, the caller adds the word boundary)."""
    tree: dict = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}

    def build(node: dict) -> str:
        if "" in node and not whole_words:
            return ""  # a shorter prefix already matches: the longer ones add nothing
        branches = [re.escape(letter) + build(child) for letter, child in sorted(node.items()) if letter]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # the word may end here or go on
            body = "(?:" + body + ")?"
        return body

    return build(tree)


_PREFILTER_STEMS = [
    "kill", "dead", "died", "dies", "death", "fatalit", "toll", "perish", "lives", "bodies", "injur", "wound",
    "hurt", "hospital", "admitted", "missing", "unaccounted", "rubble", "evacuat", "detain", "arrest", "drone",
    "uav", "shahed", "missile", "rocket", "лікарн", "госпітал", "больниц", "госпитал", "стационар", "завал",
    "тіло", "тіла", "тело", "тела",
] + [stem for pairs in _STEMS.values() for _, stems in pairs for stem in re.sub(r"\(\?!\w+\)", "", stems).split("|")
     if stem not in ("тіл", "тел")]
# Any category word in any language, as the start of a lower-cased word: the cheap pre-filter a
# text must pass before anything else runs (a superset: "tolerance" passes for "toll", which costs little).
CATEGORY_PREFILTER = re.compile(trie_pattern(_PREFILTER_STEMS))
_STEM_KEYS = frozenset(stem[:3] for stem in _PREFILTER_STEMS)
# Punctuation becomes space so that words split on whitespace; apostrophes and hyphens stay inside words.
PUNCTUATION_TO_SPACE = str.maketrans({c: " " for c in '.,;:!?"«»“”„()[]{}—–/\\|*•…<>#@+=%'})


def is_category_start(word: str) -> bool:
    """Whether a lower-cased word starts with a category stem (a set look-up first, then the stems)."""
    return word[:3] in _STEM_KEYS and CATEGORY_PREFILTER.match(word) is not None


def has_category_word(lower: str) -> bool:
    """Whether lower-cased text has a word starting with a category stem."""
    return any(is_category_start(word) for word in lower.translate(PUNCTUATION_TO_SPACE).split())


# Two-word phrases whose second word carries the category only after the first: "in hospital",
# "under the rubble" (still there; "з-під завалів", pulled out from under it, is not), "у лікарнях".
_PHRASES = {
    "en": [(("in", "to"), re.compile(r"^hospitals?$"), "hospitalised"), (("the",), re.compile(r"^rubble$"), "missing")],
    "uk": [(("у", "в", "до"), re.compile(r"^(?:лікарн|госпітал)"), "hospitalised"), (("під",), re.compile(r"^завал"), "missing")],
    "ru": [(("в", "во"), re.compile(r"^(?:больниц|госпитал|стационар)"), "hospitalised"), (("под",), re.compile(r"^завал"), "missing")],
}


def categories_in(words: list[str], lang: str) -> dict[int, str]:
    """Index -> category for the category words among lower-cased tokens (phrases included)."""
    found = {}
    for i, word in enumerate(words):
        category = category_of(word, lang)
        if category is None and i > 0:
            for before, pattern, phrase_category in _PHRASES[lang]:
                if words[i - 1] in before and pattern.match(word):
                    if phrase_category == "missing" and lang == "en" and (i < 2 or words[i - 2] != "under"):
                        continue
                    category = phrase_category
        if category:
            found[i] = category
    return found


def category_of(word: str, lang: str) -> str | None:
    """The category a lower-cased word names ("загиблих" -> killed), or None."""
    if lang == "en":
        return _ENGLISH_CATEGORY.get(word)
    for category, pattern in _STEM_RE[lang]:
        if pattern.match(word):
            if category == "killed" and word[:3] in ("тіл", "тел") and _NOT_BODY.match(word) and word not in ("тіла", "тілами", "тела", "телами"):
                return None
            return category
    return None


# Heads that a casualty figure counts: people (or the category noun itself).
_ENGLISH_PEOPLE = set(
    "people persons person civilians civilian children child kids kid men man women woman residents "
    "resident soldiers soldier servicemen serviceman troops police officers officer rescuers rescuer "
    "firefighters medics workers worker employees passengers miners others adults adult teenagers "
    "teenager minors pensioners journalists volunteers citizens fighters prisoners hostages patients "
    "victims bodies babies infants students pupils boys girls boy girl crew sailors pilots passers-by "
    "passersby bystanders suspects protesters demonstrators activists migrants refugees fishermen tourists "
    "guards policemen servicemembers marines sailors staff relatives".split()
)
_PEOPLE_STEMS = {
    "uk": re.compile(r"^(?:люд|осіб|особ|чолов|жінк|жінок|дит|діт|мешкан|цивільн|мирн|військов|бійц|бійців|"
                     r"поліцейськ|правоохорон|рятувальн|медик|лікар|пасажир|працівник|гірник|шахтар|підліт|"
                     r"дорослих|дорослі|пенсіонер|журналіст|волонтер|громадян|хлопч|дівч|немовл|студент|школяр|"
                     r"учн|енергетик|вояк|полонен|заручник|пацієнт|окупант|росіян|українц|перехож|підозрюван|"
                     r"протестувальник|активіст|мігрант|біженц|рибалк|турист|охоронц|родич)"),
    "ru": re.compile(r"^(?:человек|люд|лиц|жител|дет|ребен|ребён|мужчин|женщин|мирн|гражданск|военн|"
                     r"военнослужащ|боец|бойц|сотрудник|спасател|полицейск|пассажир|работник|горняк|шахтер|"
                     r"шахтёр|подрост|взросл|пенсионер|журналист|волонтер|волонтёр|граждан|мальчик|девоч|"
                     r"младен|студент|школьник|медик|врач|пленн|заложник|пациент|украинц|россиян|прохож|подозреваем|"
                     r"протестующ|активист|мигрант|беженц|рыбак|турист|охранник|родственник)"),
}


def is_people(word: str, lang: str) -> bool:
    if lang == "en":
        return word in _ENGLISH_PEOPLE
    return bool(_PEOPLE_STEMS[lang].match(word))


# Words that may stand between a figure and what it counts without changing what is counted.
_ENGLISH_BRIDGE = set(
    "were was are is have has had been be more other others further additional another of the "
    "local ukrainian russian civilian elderly young foreign more people's including among to from in at on "
    "by as who that so since after before during overnight yesterday today according and or with while "
    "when where remain remained remains still now also reportedly some over near across into inside outside "
    "above around".split()
)
_SLAVIC_BRIDGE = set("ще ещё еще були було був була є буде будуть был были было была из з із зі у в на до від "
                     "після під за через о об с со от по при для".split())


def is_bridge(word: str, lang: str) -> bool:
    return word in (_ENGLISH_BRIDGE if lang == "en" else _SLAVIC_BRIDGE)


# After a number, these make it something other than a count of casualties or weapons.
_ENGLISH_NOT_COUNT = re.compile(
    r"^(?:years?|year-old|years-old|month-old|months?|weeks?|days?|hours?|minutes?|seconds?|am|pm|a\.m|"
    r"p\.m|o'clock|percent|per|km|kilometres?|kilometers?|miles?|metres?|meters?|kg|tonnes?|tons?|"
    r"dollars?|euros?|hryvnias?|hryvnia|uah|usd|eur|rubles?|roubles?|million|billion|bn|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|st|nd|rd|th|storey|floors?|"
    r"buildings?|houses?|homes?|apartments?|flats?|cars?|vehicles?|countries|articles?|times|"
    r"districts?|villages?|towns?|settlements?|regions?|oblasts?|streets?|schools?|hospitals?|"
    r"ambulances?|fire|teams?|units?|crews)$"
)
_SLAVIC_NOT_COUNT = re.compile(
    r"^(?:рок|років|роки|рік|лет|год|года|годин|хвилин|секунд|час|минут|днів|дні|день|дня|дней|тижн|недел|"
    r"місяц|месяц|відсот|процент|км|кілометр|километр|метр|кг|тон|грн|гривень|гривн|гривні|долар|доллар|"
    r"євро|евро|руб|млн|мільйон|миллион|млрд|мільярд|миллиард|"
    r"січ|лют|берез|квіт|травн?я|травень|черв|лип|серп|верес|жовт|листоп|груд|"
    r"январ|феврал|марта?$|апрел|мая$|май$|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"будин|будівел|будівл|дом|здани|квартир|автомоб|машин|авто|країн|стран|стат|район|сел|міст|город|"
    r"област|вулиц|улиц|шкіл|школ|лікар[ен]|больниц|бригад|екіпаж|экипаж|одиниц|единиц|поверх|этаж|"
    r"ти$|х$|го$|й$|м$|му$)"
)


def is_not_count(word: str, lang: str) -> bool:
    return bool((_ENGLISH_NOT_COUNT if lang == "en" else _SLAVIC_NOT_COUNT).match(word))


# Qualifiers: phrases (as lower-cased word sequences) that stand right before the figure.
QUALIFIERS = {
    "en": [
        ("at least", "at_least"), ("no fewer than", "at_least"), ("no less than", "at_least"),
        ("not less than", "at_least"), ("a minimum of", "at_least"), ("a total of", "exact"),
        ("more than", "more_than"), ("over", "more_than"), ("upwards of", "more_than"),
        ("in excess of", "more_than"), ("about", "approximately"), ("around", "approximately"), ("roughly", "approximately"),
        ("approximately", "approximately"), ("some", "approximately"), ("nearly", "approximately"), ("almost", "approximately"),
        ("an estimated", "approximately"), ("estimated", "approximately"), ("up to", "up_to"), ("as many as", "up_to"),
        ("less than", "less_than"), ("fewer than", "less_than"), ("under", "less_than"),
    ],
    "uk": [
        ("щонайменше", "at_least"), ("принаймні", "at_least"), ("не менше ніж", "at_least"),
        ("не менше як", "at_least"), ("не менше", "at_least"), ("як мінімум", "at_least"),
        ("мінімум", "at_least"), ("понад", "more_than"), ("більш ніж", "more_than"),
        ("більше ніж", "more_than"), ("більш як", "more_than"), ("більше як", "more_than"),
        ("більше", "more_than"), ("близько", "approximately"), ("приблизно", "approximately"), ("майже", "approximately"),
        ("орієнтовно", "approximately"), ("майже", "approximately"), ("до", "up_to"), ("менше ніж", "less_than"),
        ("менш ніж", "less_than"), ("менше", "less_than"),
    ],
    "ru": [
        ("не менее чем", "at_least"), ("не менее", "at_least"), ("не меньше", "at_least"),
        ("по меньшей мере", "at_least"), ("как минимум", "at_least"), ("минимум", "at_least"),
        ("по крайней мере", "at_least"), ("более чем", "more_than"), ("более", "more_than"),
        ("больше чем", "more_than"), ("больше", "more_than"), ("свыше", "more_than"),
        ("около", "approximately"), ("примерно", "approximately"), ("почти", "approximately"), ("порядка", "approximately"),
        ("приблизительно", "approximately"), ("до", "up_to"), ("менее", "less_than"), ("меньше", "less_than"),
    ],
}
# "зросла до 27", "выросло до 27": "до" after a verb of change is the new figure, not "up to".
CHANGE_BEFORE_DO = re.compile(r"^(?:зрос|збільш|виросл|сягн|досягл|вирос|вырос|увелич|достиг|возрос|дійш|дош|підскоч|подскоч|склад)")


# One person, named by a singular noun: "a 34-year-old man was killed", "загинула жінка", "погиб мужчина".
_ENGLISH_SINGULAR = set(
    "man woman child boy girl person teenager baby infant resident civilian soldier serviceman driver "
    "pensioner volunteer journalist policeman officer rescuer firefighter medic worker passenger "
    "grandmother grandfather pensioner student".split()
)
_SINGULAR = {
    "uk": re.compile(r"^(?:чоловік|чоловіка|жінка|жінку|дитина|дитину|дитини|хлопчик|хлопчика|дівчинка|"
                     r"дівчинку|дівчина|дівчину|людина|людину|підліток|підлітка|мешканець|мешканця|мешканка|"
                     r"мешканку|пенсіонер|пенсіонера|пенсіонерка|пенсіонерку|водій|водія|немовля|юнак|юнака|"
                     r"військовий|військового|поліцейський|поліцейського|рятувальник|рятувальника|волонтер|"
                     r"волонтера|цивільний|цивільного|хлопець|хлопця|бабуся|бабусю|бабусі|дідусь|дідуся|онук|онука|"
                     r"онучка|онучку)$"),
    "ru": re.compile(r"^(?:мужчина|мужчину|женщина|женщину|ребенок|ребёнок|ребенка|ребёнка|мальчик|мальчика|"
                     r"девочка|девочку|девушка|девушку|человек|подросток|подростка|житель|жителя|жительница|"
                     r"жительницу|пенсионер|пенсионера|пенсионерка|пенсионерку|водитель|водителя|"
                     r"военнослужащий|военнослужащего|младенец|младенца|юноша|юношу|полицейский|полицейского|"
                     r"спасатель|спасателя|бабушка|бабушку|дедушка|дедушку|парень|парня|внук|внука|внучка|внучку)$"),
}


def is_singular_person(word: str, lang: str) -> bool:
    if lang == "en":
        return word in _ENGLISH_SINGULAR
    return bool(_SINGULAR[lang].match(word))


# A figure's clause ends at these: "killing 12 people and injuring 41" binds 12 to "killing".
CONJUNCTIONS = {"and", "but", "while", "і", "й", "та", "а", "але", "и", "но"}
# Words saying a figure changed: "revised down from 14 to 11" is two figures, not a range.
CHANGE_WORDS = re.compile(
    r"^(?:rose|risen|rise|rises|increased|climbed|revised|fell|fallen|dropped|decreased|grew|grown|"
    r"went|jumped|зрос|збільш|зменш|знизи|вирос|підня|скороти|вырос|уменьш|увелич|сниз|возрос|сократ|поднял)"
)
