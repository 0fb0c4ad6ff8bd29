"""English text normalisation: numbers, money, times, dates and abbreviations
rewritten as the words people say, before espeak-ng sees them.

espeak-ng alone reads "$49.95" as "dollar forty nine point nine five" and
"12/25/2024" with slashes. The rules below are an ordered table of
(pattern, function) pairs; each function turns one match into words. Order
matters only where patterns overlap (phone numbers and dates before ranges,
ranges before times, money before decimals, dates before fractions). Dates and
times are in :mod:`edgetts.datetimes`, phone numbers and addresses in
:mod:`edgetts.addresses`.
"""

from __future__ import annotations

import re
import unicodedata

from . import addresses as ad
from . import datetimes as dt
from .numwords import CURRENCIES, MONTHS, cardinal, digits, identifier, ordinal, year
from .rewrite import Match, Rule, alternation, rule, starts_sentence

__all__ = ["normalize_text", "spell"]
_MAGNITUDES = {
    "k": "thousand",
    "m": "million",
    "b": "billion",
    "bn": "billion",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
}
_UNITS = {
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"),
    "ft": ("foot", "feet"),
    "in": ("inch", "inches"),
    "yd": ("yard", "yards"),
    "sq ft": ("square foot", "square feet"),
    "sq m": ("square meter", "square meters"),
    "sq mi": ("square mile", "square miles"),
    "mi": ("mile", "miles"),
    "mpg": ("mile per gallon", "miles per gallon"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "fl oz": ("fluid ounce", "fluid ounces"),
    "gal": ("gallon", "gallons"),
    "qt": ("quart", "quarts"),
    "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "ms": ("millisecond", "milliseconds"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°": ("degree", "degrees"),
    "¢": ("cent", "cents"),
    "%": ("percent", "percent"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "yr": ("year", "years"),
    "yrs": ("year", "years"),
}
# "$3.49/gal", "$108.25/mo": what may follow a slash after a number, read "per ...".
_PER = {u: forms[0] for u, forms in _UNITS.items() if u[-1].isalpha() and "/" not in u} | {
    "h": "hour",
    "mo": "month",
    "wk": "week",
    "day": "day",
    "night": "night",
    "week": "week",
    "month": "month",
    "year": "year",
    "person": "person",
}
# Titles read one way before a name and another after a street name.
_TITLE_OR_PLACE = {
    "dr": ("Doctor", ad.STREET_SUFFIXES["dr"]),
    "st": ("Saint", ad.STREET_SUFFIXES["st"]),
}
_STREETS = {k: v for k, v in ad.STREET_SUFFIXES.items() if k not in _TITLE_OR_PLACE}
_ABBREVIATIONS = _STREETS | {
    "mr": "Mister",
    "mrs": "Missus",
    "ms": "Miz",
    "prof": "Professor",
    "jr": "Junior",
    "sr": "Senior",
    "mt": "Mount",
    "vs": "versus",
    "etc": "et cetera",
    "approx": "approximately",
    "dept": "department",
    "e.g": "for example",
    "i.e": "that is",
    "a.m": "AM",
    "p.m": "PM",
}
_SENTENCE_FINAL = {"etc", "a.m", "p.m", "am", "pm", "jr", "sr", *_STREETS}
# Written before a number, as "No. 5" and "#3" are: "Qty 2", "Apt 4B".
_LABELS = {"Qty": "Quantity", "Apt": "Apartment", "Ste": "Suite", "Tel": "Telephone"}
# Words after which a number is an identifier read in pairs ("room one oh one").
_IDENTIFIER_WORDS = {
    "room",
    "flight",
    "gate",
    "suite",
    "apartment",
    "platform",
    "terminal",
    "level",
    "bus",
    "route",
    "exit",
    "port",
    "error",
    "channel",
    "unit",
    "box",
}
# Words after which a number of three or more digits is a code read digit by digit.
_CODE_WORDS = {
    "code",
    "pin",
    "zip",
    "account",
    "card",
    "confirmation",
    "order",
    "invoice",
    "receipt",
    "ticket",
    "case",
    "reference",
    "serial",
    "tracking",
    "number",
    "dial",
    "ending in",
}
_YEAR_CUES = {*(m.lower() for m in MONTHS)} | {
    "in",
    "since",
    "from",
    "until",
    "till",
    "by",
    "of",
    "year",
    "circa",
    "during",
    "years",
    "before",
    "after",
    "around",
    "early",
    "late",
    "mid",
    "summer",
    "winter",
    "spring",
    "autumn",
    "fall",
    "class",
}
_FRACTIONS = {2: ("half", "halves"), 4: ("quarter", "quarters")}
# Typography first (so the rules see plain ASCII punctuation), operators last
# (so "@" is still there for e-mail addresses and "#" for numbers).
_TYPOGRAPHY = {
    "⁄": "/",  # NFKC turns ½ into 1⁄2
    "…": "... ",
    "—": ", ",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}
_OPERATORS = {
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
    "@": " at ",
    "#": " number ",
    "×": " times ",
}
_IDIOMS = {"24/7": "twenty four seven", "9/11": "nine eleven", "50/50": "fifty fifty"}


# Letter names spelled the way espeak-ng reads them as words: "A" alone is the
# article and "I" the pronoun, so they need names of their own.
_LETTER_NAMES = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            "eh",
            "bee",
            "see",
            "dee",
            "ee",
            "ef",
            "gee",
            "aitch",
            "eye",
            "jay",
            "kay",
            "ell",
            "em",
            "en",
            "oh",
            "pee",
            "cue",
            "ar",
            "ess",
            "tee",
            "yoo",
            "vee",
            "double-you",
            "ex",
            "why",
            "zee",
        ],
        strict=True,
    )
)
# espeak-ng already spells unpronounceable capitals (FBI, NHS) and says
# pronounceable ones as words (NASA, SCUBA); these lists correct it where an
# acronym is said the other way.
_SPELLED_ACRONYMS = {"FAQ", "WHO", "CIA", "SUV", "ATM", "IRS", "URL", "SQL", "PDF", "EU", "UK"}
_WORD_ACRONYMS = {
    "NASA",
    "NATO",
    "UNESCO",
    "UNICEF",
    "OPEC",
    "LASER",
    "RADAR",
    "SCUBA",
    "GIF",
    "JPEG",
    "PIN",
    "RAM",
    "ROM",
    "SIM",
    "LAN",
    "WAN",
    "COVID",
    "NAFTA",
}


def spell(text: str) -> str:
    """Read letters and digits one by one: "FBI" -> "ef bee eye", "A4" -> "eh four"."""
    names = [_LETTER_NAMES.get(c.upper()) or (digits(c) if c.isdigit() else c) for c in text]
    return " ".join(n for n in names if n.strip())


def _acronym(m: Match) -> str:
    word = m[0]
    if word in _SPELLED_ACRONYMS:
        return spell(word)
    return word.capitalize() if word in _WORD_ACRONYMS else word


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _plural(n: float, forms: tuple[str, str]) -> str:
    return forms[0] if n == 1 else forms[1]


def _money(m: Match) -> str:
    one, many, sub_one, sub_many = CURRENCIES[m["cur"]]
    sign = "minus " if m["sign"] else ""
    whole = _int(m["whole"])
    magnitude = _MAGNITUDES.get((m["mag"] or "").lower())
    if magnitude:
        amount = f"{cardinal(whole)} point {digits(m['frac'])}" if m["frac"] else cardinal(whole)
        return f"{sign}{amount} {magnitude} {many}"
    cents = int(m["frac"].ljust(2, "0")[:2]) if m["frac"] else 0
    words = f"{cardinal(whole)} {_plural(whole, (one, many))}" if whole or not cents else ""
    if cents:
        words += (
            f"{' and ' if words else ''}{cardinal(cents)} {_plural(cents, (sub_one, sub_many))}"
        )
    return sign + words


def _version(m: Match) -> str:
    """Dotted versions: "2.4.12" -> two point four point twelve; "version 3.12" likewise."""
    cue = f"{m['cue']} " if m["cue"] else ""
    return cue + " point ".join(cardinal(int(p)) for p in (m["v"] or m["two"]).split("."))


def _fraction(m: Match) -> str:
    num, den = int(m["num"]), int(m["den"])
    whole = f"{cardinal(int(m['whole']))} " if m["whole"] else ""
    if den <= 1 or den > 16 or num > 99:
        return f"{whole}{cardinal(num)} over {cardinal(den)}"
    name = _FRACTIONS.get(den, (ordinal(den), ordinal(den) + "s"))
    if whole and num < den:  # "2 1/2" -> two and a half
        return f"{whole}and {'a' if num == 1 else cardinal(num)} {_plural(num, name)}"
    return f"{whole}{cardinal(num)} {_plural(num, name)}"


def _decimal(text: str) -> str:
    whole, _, frac = text.partition(".")
    sign = "minus " if whole.startswith("-") else ""
    spoken = cardinal(_int(whole.lstrip("-")) if whole.lstrip("-") else 0)
    return f"{sign}{spoken} point {digits(frac)}" if frac else f"{sign}{spoken}"


def _with_unit(m: Match) -> str:
    number, forms = m["num"], _UNITS[m["unit"].rstrip(".")]
    # "a 2 TB drive", "a 10-km run": a measure before a noun is said in the singular.
    adjective = m["sep"] == "-" or (
        _ARTICLE_BEFORE.search(m.string, max(0, m.start() - 4), m.start()) is not None
        and _NOUN_AFTER.match(m.string, m.end()) is not None
    )
    unit = forms[0] if adjective else _plural(float(number.replace(",", "")), forms)
    return f"{_decimal(number)} {unit}"


def _dimension(m: Match) -> str:
    """Sizes: "12 x 8 x 4 in" -> twelve by eight by four inches, "1920x1080" -> nineteen
    twenty by ten eighty."""
    sides = [identifier(n) if len(n) == 4 else cardinal(int(n)) for n in re.findall(r"\d+", m["d"])]
    unit = f" {_UNITS[m['unit'].rstrip('.')][1]}" if m["unit"] else ""
    return " by ".join(sides) + unit


def _height(m: Match) -> str:
    return f"{cardinal(int(m['ft']))} feet {cardinal(int(m['in']))} inches"


def _range(m: Match) -> str:
    a, b = m["a"], m["b"]
    if all(len(x) == 4 and 1100 <= int(x) <= 2099 for x in (a, b)):
        return f"{year(int(a))} to {year(int(b))}"  # 1990-1995
    return f"{a} to {b}"


def _ordinal(m: Match) -> str:
    return ordinal(_int(m["n"]))


def _number_in_context(m: Match) -> str:
    text, before = m["n"], " ".join((m["before"] or "").lower().split())
    prefix = f"{m['before']} " if m["before"] else ""
    if "," in text:
        return prefix + cardinal(_int(text))
    if before in _IDENTIFIER_WORDS and len(text) <= 4:
        return prefix + identifier(text)
    value = int(text)
    looks_like_year = (before in _YEAR_CUES and 1100 <= value <= 2099) or (
        # "It was 1999.", "the 2026 season", "the 2026 Winter Olympics"
        (m["after"] is not None or m["title"] is not None or before == "the")
        and 1900 <= value <= 2099
    )
    if len(text) == 4 and looks_like_year:
        return prefix + year(value)
    # Codes: "PIN 0042", "dial 911", "ticket 20931" (a round 50000 stays a quantity).
    code = (
        (len(text) > 1 and text.startswith("0"))
        or (before in _CODE_WORDS and len(text) >= 3)
        or (len(text) >= 5 and not text.endswith("00"))
        or re.fullmatch(r"[2-9]11", text) is not None
    )
    return prefix + (digits(text) if code else cardinal(value))


def _abbreviation(m: Match) -> str:
    key, prev, following = m["abbr"].lower(), m["prev"] or "", m["next"]
    at_end = m["end"] is not None
    next_is_name = following is not None and following[0].isupper()
    if key in _TITLE_OR_PLACE:
        title, place = _TITLE_OR_PLACE[key]
        # "Dr. Smith", "Visit St. Mary's": a name follows; "Elm Dr.", "on Oak St. The":
        # a name precedes, and a capital after it starts a new sentence.
        if next_is_name and not starts_sentence(following):
            return prev + title
        if prev[:1].isupper():
            return prev + place + ("." if at_end or next_is_name else "")
        return prev + (title if key == "dr" else place) + ("." if at_end else "")
    # An abbreviation's dot can also end the sentence; keep it where one ends.
    ends = at_end or (next_is_name and key in _SENTENCE_FINAL)
    return prev + _ABBREVIATIONS[key] + ("." if ends else "")


def _label(m: Match) -> str:
    return (_LABELS[m["w"]] if m["w"] else "number") + " "


def _initials(m: Match) -> str:
    if m[0].count(".") == 1 and starts_sentence(m.string[m.end() :].split(maxsplit=1)[0]):
        return m[0]  # "Plan B. We won.": a sentence ends here
    return m[0].replace(".", "")


def _negative(m: Match) -> str:
    return f"minus {m['n']}"


# Bounded digit runs keep the regexes linear and the ints small; longer runs are
# left to espeak-ng, which reads them digit by digit.
_NUM = r"\d{1,3}(?:,\d{3})+|\d{1,15}"


def _unit_key(unit: str) -> str:
    # Letters-only units end at a word boundary ("5 min", not "5 minutes"); "in" only
    # where it cannot be the preposition ("65 in.", "4 in,", not "5 in the morning"),
    # its dot taken where the sentence goes on ("2 in. of rain").
    if unit == "in":
        return r"in(?:\.(?=\s+[a-z])|(?=\.|\s*[,;)]|\s*$))"
    return re.escape(unit) + (r"\b" if unit[-1].isalpha() else "")


_UNIT_KEYS = "|".join(_unit_key(u) for u in sorted(_UNITS, key=len, reverse=True))
_ABBR_KEYS = alternation([*_ABBREVIATIONS, *_TITLE_OR_PLACE])
_ARTICLE_BEFORE = re.compile(r"\ban?\s+$", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"\s+(?!(?:of|and|or|to|in|per|a|an|the)\b)[a-z]")

RULES: tuple[Rule, ...] = (
    rule("acronym", r"\b[A-Z]{2,6}\b", _acronym, digits=False),
    ad.URL,
    ad.EMAIL,
    ad.DOMAIN,
    ad.FILENAME,
    ad.IP_ADDRESS,
    rule(
        "label",
        rf"(?:\b(?P<w>{alternation(_LABELS)})\b\.?|\b[Nn]o\.|#)\s?(?=\(?\d)",
        _label,
    ),
    ad.INTERNATIONAL_PHONE,
    ad.PHONE,
    ad.EXTENSION,
    ad.STATE_ZIP,
    dt.ISO_DATE,
    dt.US_DATE,
    ad.DIGIT_GROUPS,
    dt.MONTH_ABBREVIATION,
    dt.WEEKDAY_ABBREVIATION,
    dt.WEEKDAY_RANGE,
    dt.MONTH_DAY,
    dt.MONTH_YEAR,
    dt.DAY_MONTH,
    dt.SLASH_DATE,
    rule("per", rf"(?<=\d)\s?/\s?(?P<u>{alternation(_PER)})\b", lambda m: f" per {_PER[m['u']]}"),
    rule("range", rf"(?P<a>\b(?:{_NUM}))\s?[-–]\s?(?P<b>(?:{_NUM})\b)", _range),
    rule(
        "money",
        rf"(?P<sign>(?<![\w-])-)?(?P<cur>[$£€])\s?(?P<whole>{_NUM})(?:\.(?P<frac>\d+))?"
        r"(?:\s?(?P<mag>[kKmMbB]n?|thousand|million|billion)\b)?",
        _money,
    ),
    dt.TIME,
    dt.TIME_RANGE,
    ad.ROUTE,
    ad.HOUSE_NUMBER,
    ad.DIRECTION_BEFORE,
    ad.DIRECTION_AFTER,
    ad.STREET,
    rule("version_cue", r"\bv(?=\d{1,6}(?:\.\d{1,6})+\b)", lambda m: "version "),
    rule(
        "version",
        r"\b(?:(?P<cue>[Vv]ersion)\s+(?P<two>\d{1,6}\.\d{1,6})\b(?!\.\d)"
        r"|(?P<v>\d{1,6}(?:\.\d{1,6}){2,})\b)",
        _version,
    ),
    dt.DECADE,
    rule(
        "fraction",
        r"(?:\b(?P<whole>\d{1,3})\s+)?(?<![\d/])(?P<num>\d{1,2})/(?P<den>\d{1,2})(?![\d/])",
        _fraction,
    ),
    rule(
        "dimension",
        rf"\b(?P<d>\d{{1,4}}(?:\s?x\s?\d{{1,4}})+)\b(?:\s?(?P<unit>{_UNIT_KEYS}))?",
        _dimension,
    ),
    rule("times", r"\b(?P<n>\d{1,3}(?:\.\d{1,2})?)x\b", lambda m: f"{_decimal(m['n'])} times"),
    rule("height", r"\b(?P<ft>[1-8])\s?(?:ft|')\s?(?P<in>1[01]|\d)\s?(?:in\b|\")", _height),
    rule(
        "unit",
        rf"(?<![\d.,])(?P<num>-?(?:{_NUM})(?:\.\d{{1,15}})?)(?P<sep>\s|-)?(?P<unit>{_UNIT_KEYS})",
        _with_unit,
    ),
    rule("ordinal", rf"\b(?P<n>{_NUM})(?:st|nd|rd|th)\b", _ordinal, re.IGNORECASE),
    rule("negative", rf"(?<![\w-])-(?P<n>(?:{_NUM})(?:\.\d+)?)", _negative),
    rule("decimal", r"\b\d{1,15}\.\d{1,15}\b", lambda m: _decimal(m[0])),
    rule(
        "initials",
        r"\b(?:[A-Z]\.\s?){2,}(?=\s|$)|\b[A-Z]\.(?=\s+[A-Z][a-z]+\b)",
        _initials,
        digits=False,
    ),
    rule(
        "abbreviation",
        rf"(?P<prev>\b[A-Za-z']+\s+)?\b(?P<abbr>{_ABBR_KEYS})\."
        r"(?=\s+(?P<next>[\w']+)|(?P<end>\s*$)|[\s,;:!?])",
        _abbreviation,
        re.IGNORECASE,
        digits=False,
    ),
    rule(
        "number",
        rf"(?:(?P<before>\bending\s+in|\b[A-Za-z]+)\s+)?\b(?P<n>{_NUM})\b"
        r"(?P<after>(?=[.,;:!?]|\s*$))?(?P<title>(?=\s+[A-Z][a-z]))?",
        _number_in_context,
    ),
)
_DIGIT_RULES = tuple(r for r in RULES if r.digits)


def normalize_text(text: str, *, words: bool = True) -> str:
    """Rewrite numbers, money, times, dates, symbols and abbreviations as words.

    ``words=False`` reads only digits and symbols, leaving words and abbreviations
    as written: what a speech recogniser's transcript needs before it is compared
    with a spoken form (``bench/frontend_wer.py``).
    """
    text = unicodedata.normalize("NFKC", text)
    for table in (_TYPOGRAPHY, _IDIOMS):
        for written, spoken in table.items():
            text = text.replace(written, spoken)
    for r in RULES if words else _DIGIT_RULES:
        text = r.apply(text)
    for written, spoken in _OPERATORS.items():
        text = text.replace(written, spoken)
    return re.sub(r"[ \t]{2,}", " ", text).strip()
