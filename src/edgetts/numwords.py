"""English number words, shared by the text front end and the evaluation normalizer."""

from __future__ import annotations

__all__ = [
    "CURRENCIES",
    "MONTHS",
    "NUMBER_WORDS",
    "WEEKDAYS",
    "cardinal",
    "digits",
    "identifier",
    "ordinal",
    "year",
]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
#: Every word ``cardinal`` can produce.
NUMBER_WORDS = frozenset(_ONES[:] + _TENS[2:] + ["hundred", "minus"] + [n for _, n in _SCALES])
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
#: Symbol -> (one, many, one hundredth, many hundredths).
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
        if n:
            words.append(_ONES[n])
    elif n or not words:
        words.append(_ONES[n])
    return words


def cardinal(n: int) -> str:
    """``1234`` -> ``"one thousand two hundred thirty four"`` (no "and", no hyphens)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 10**15:
        return digits(str(n))
    words: list[str] = []
    for scale, name in _SCALES:
        if n >= scale:
            words += [*_below_thousand(n // scale), name]
            n %= scale
    if n or not words:
        words += _below_thousand(n)
    return " ".join(words)


def ordinal(n: int) -> str:
    """``22`` -> ``"twenty second"``."""
    *head, last = cardinal(n).split()
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def digits(text: str) -> str:
    """Read a digit string one digit at a time: ``"0199"`` -> ``"zero one nine nine"``."""
    return " ".join(_ONES[int(c)] for c in text if c.isdigit())


def year(n: int) -> str:
    """1999 -> nineteen ninety nine; 2005 -> two thousand five; 2024 -> twenty twenty four."""
    if 2000 <= n <= 2009 or n % 1000 == 0 or not 1100 <= n <= 2099:
        return cardinal(n)
    return _pair(*divmod(n, 100))


def _pair(head: int, tail: int) -> str:
    """The way a four-digit year or a three-digit room number is said, in two halves."""
    if tail == 0:
        return f"{cardinal(head)} hundred"
    return f"{cardinal(head)} {'oh ' + cardinal(tail) if tail < 10 else cardinal(tail)}"


def identifier(text: str) -> str:
    """Room, flight and house numbers: "101" -> one oh one, "1080" -> ten eighty, "300" ->
    three hundred; a leading zero or more than four digits is read digit by digit."""
    if (text.startswith("0") and len(text) > 1) or len(text) > 4:
        return digits(text)
    n = int(text)
    if n < 100 or n % 1000 == 0:
        return cardinal(n)
    return _pair(*divmod(n, 100))
