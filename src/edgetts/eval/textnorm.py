"""The one normalizer applied to both the input text and the judge's transcript
before WER/CER, so that "$12.50" and "12 dollars and 50 cents", "7:30 p.m." and
"seven thirty pm", "Dr." and "doctor" compare equal.

Rules are table-driven: abbreviations, symbols, then number patterns (money,
times, ordinals, decimals, grouped and plain integers), then case, punctuation
and whitespace folding; digits after "point" compare one by one ("three point
twelve" and "3.12").
"""

from __future__ import annotations

import re
import unicodedata

from ..numwords import CURRENCIES, MONTHS, NUMBER_WORDS, cardinal, digits, ordinal

__all__ = ["normalize_for_wer"]

_ABBREVIATIONS = {
    "dr.": "doctor",
    "mr.": "mister",
    "mrs.": "missus",
    "ms.": "miss",
    "prof.": "professor",
    "st.": "street",
    "ave.": "avenue",
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "vs.": "versus",
    "a.m.": "am",
    "p.m.": "pm",
}
_SYMBOLS = {"%": " percent ", "&": " and ", "+": " plus ", "@": " at ", "=": " equals "}
# "and" inside a spoken amount ("one hundred and five", "five dollars and ten
# cents") is dropped: digits never produce it.
_BEFORE_AND = {"hundred", "thousand", "million", "billion", "trillion"} | {
    word for names in CURRENCIES.values() for word in names
}
# After "point", "twelve" and "one two" are the same digits: "3.12" is said both ways.
_AFTER_POINT = {tuple(cardinal(n).split()): digits(str(n)).split() for n in range(10, 100)}

_ABBREVIATION_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?!\w)", re.IGNORECASE
)
# Dates in any written form compare as "month day year" with plain cardinals.
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{4})\b")
_NAMED_DATE_RE = re.compile(
    rf"\b({'|'.join(MONTHS)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?", re.IGNORECASE
)
_MONEY_RE = re.compile(r"([$£€])\s?(\d[\d,]*)(?:\.(\d{1,2}))?\b")
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DOTTED_RE = re.compile(r"\b\d+(?:\.\d+){2,}\b")  # versions, IP addresses
_DECIMAL_RE = re.compile(r"\b(\d+)\.(\d+)\b")
_GROUPED_RE = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
_INTEGER_RE = re.compile(r"\d+")
_PUNCTUATION_RE = re.compile(r"[^\w\s]|_")


def _money(match: re.Match[str]) -> str:
    one, many, sub_one, sub_many = CURRENCIES[match.group(1)]
    whole = int(match.group(2).replace(",", ""))
    words = f"{cardinal(whole)} {one if whole == 1 else many}"
    if match.group(3):
        cents = int(match.group(3).ljust(2, "0"))
        if cents:
            words += f" {cardinal(cents)} {sub_one if cents == 1 else sub_many}"
    return f" {words} "


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes == 0:
        return f" {cardinal(hours)} "
    if minutes < 10:
        return f" {cardinal(hours)} oh {cardinal(minutes)} "
    return f" {cardinal(hours)} {cardinal(minutes)} "


def _numeric_date(match: re.Match[str]) -> str:
    month, day, year = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return f" {MONTHS[month - 1].lower()} {cardinal(day)} {cardinal(year)} "


def _named_date(match: re.Match[str]) -> str:
    year = f" {cardinal(int(match.group(3)))}" if match.group(3) else ""
    return f" {match.group(1).lower()} {cardinal(int(match.group(2)))}{year} "


def _integer(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) > 1 and text.startswith("0"):
        return f" {digits(text)} "  # codes and phone numbers keep their zeros
    return f" {cardinal(int(text))} "


def normalize_for_wer(text: str) -> str:
    """Lower-case words separated by single spaces, numbers and symbols spelled out."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    text = _ABBREVIATION_RE.sub(lambda m: f" {_ABBREVIATIONS[m.group(1).lower()]} ", text)
    text = _NUMERIC_DATE_RE.sub(_numeric_date, text)
    text = _NAMED_DATE_RE.sub(_named_date, text)
    text = _MONEY_RE.sub(_money, text)
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = _TIME_RE.sub(_time, text)
    text = _ORDINAL_RE.sub(lambda m: f" {ordinal(int(m.group(1)))} ", text)
    text = _DOTTED_RE.sub(lambda m: " " + " point ".join(m.group(0).split(".")) + " ", text)
    text = _DECIMAL_RE.sub(
        lambda m: f" {cardinal(int(m.group(1)))} point {digits(m.group(2))} ", text
    )
    text = _GROUPED_RE.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _INTEGER_RE.sub(_integer, text)
    text = text.lower().replace("'", "")
    words = _PUNCTUATION_RE.sub(" ", text).split()
    kept = [
        w
        for i, w in enumerate(words)
        if not (
            w == "and"
            and 0 < i < len(words) - 1
            and words[i - 1] in _BEFORE_AND
            and words[i + 1] in NUMBER_WORDS
        )
    ]
    return " ".join(_digits_after_point(kept))


def _digits_after_point(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        after_point = out[-1:] == ["point"]
        span = next((n for n in (2, 1) if tuple(words[i : i + n]) in _AFTER_POINT), 0)
        if after_point and span:
            out += _AFTER_POINT[tuple(words[i : i + span])]
            i += span
        else:
            out.append(words[i])
            i += 1
    return out
