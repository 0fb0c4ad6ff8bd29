"""Dates, times and days of the week as people say them, for :mod:`edgetts.normalize`.

"Mon., Feb. 3" -> "Monday, February third"; "Tue 9 Dec" -> "Tuesday the ninth of
December"; "Oct. 12-14, 2026" -> "October twelfth to fourteenth, twenty twenty six";
"6pm-9pm" -> "six PM to nine PM"; "12/25/2024" is US month/day/year. Abbreviated
month and weekday names are expanded only beside a day, a year or a time, after
"on" or in "Mon-Fri", where "Jan", "Sun" and "Sat" cannot be a name, the star or
a verb.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .numwords import MONTHS, WEEKDAYS, cardinal, ordinal, year
from .rewrite import Match, alternation, kept_dot, rule

__all__ = [
    "DAY_MONTH",
    "DECADE",
    "ISO_DATE",
    "MONTH_ABBREVIATION",
    "MONTH_DAY",
    "MONTH_YEAR",
    "SLASH_DATE",
    "TIME",
    "TIME_RANGE",
    "US_DATE",
    "WEEKDAY_ABBREVIATION",
    "WEEKDAY_RANGE",
]

_MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS if m != "May"} | {"Sept": "September"}
_WEEKDAY_ABBREVIATIONS = {d[:3]: d for d in WEEKDAYS} | {
    "Tues": "Tuesday",
    "Thur": "Thursday",
    "Thurs": "Thursday",
}
_MONTHS = alternation(MONTHS)
_WEEKDAYS = alternation(WEEKDAYS)
_ANY_WEEKDAY = alternation([*WEEKDAYS, *_WEEKDAY_ABBREVIATIONS])
# Words after which "3/14" is a day of the year, not a fraction.
_DATE_CUES = ["on", "due", "through", "thru", "until", "till", "since", "starting", "expires"]

_MONTH = rf"(?P<month>{_MONTHS})\b"
_DAY_NUMBER = r"3[01]|[12]\d|0?[1-9]"
_DAY = rf"(?P<d>{_DAY_NUMBER})(?:st|nd|rd|th)?\b(?![:.]\d)"
_YEAR = r"(?P<y>1[1-9]\d\d|20\d\d)\b(?![:.,]\d)"


def _date(month: int, day: int, year_: int | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    spoken = f"{MONTHS[month - 1]} {ordinal(day)}"
    return f"{spoken}, {year(year_)}" if year_ is not None else spoken


def _us_date(m: Match) -> str:
    y = int(m["y"])
    if len(m["y"]) == 2:
        y += 2000 if y < 50 else 1900  # 4/1/85 -> 1985, 4/1/25 -> 2025
    spoken = _date(int(m["m"]), int(m["d"]), y)
    return spoken or f"{cardinal(int(m['m']))} slash {cardinal(int(m['d']))} slash {year(y)}"


def _iso_date(m: Match) -> str:
    return _date(int(m["m"]), int(m["d"]), int(m["y"])) or m[0]


def _slash_date(m: Match) -> str:
    return f"{m['cue']}{m['sep']}{_date(int(m['m']), int(m['d']), None)}"


def _with_year(spoken: str, m: Match) -> str:
    return f"{spoken}, {year(int(m['y']))}" if m["y"] else spoken


def _month_day(m: Match) -> str:
    spoken = f"{m['month']} {ordinal(int(m['d']))}"
    return _with_year(spoken + (f" to {ordinal(int(m['d2']))}" if m["d2"] else ""), m)


def _day_month(m: Match) -> str:
    return _with_year(f"the {ordinal(int(m['d']))} of {m['month']}", m)


def _month_year(m: Match) -> str:
    return f"{m['month']} {year(int(m['y']))}"


def _expanded(names: dict[str, str]) -> Callable[[Match], str]:
    def spoken(m: Match) -> str:
        return names[m["abbr"]] + (kept_dot(m.string, m.end()) if m["dot"] else "")

    return spoken


def _time(m: Match) -> str:
    hours, minutes = int(m["h"]), int(m["min"] or m["min2"] or 0)
    written = m["ampm"] or m["ampm2"] or ""
    suffix = written.lower().replace(".", "").replace(" ", "")
    stop = "." if written.endswith(".") and m["end"] is not None else ""
    if hours == 12 and minutes == 0 and suffix in ("pm", "am"):
        return ("noon" if suffix == "pm" else "midnight") + stop
    if hours > 12 and minutes == 0 and not suffix:
        return f"{cardinal(hours)} hundred"  # 17:00 -> seventeen hundred
    if minutes == 0:
        spoken = cardinal(hours) if suffix or not m["min"] else f"{cardinal(hours)} o'clock"
    elif minutes < 10:
        spoken = f"{cardinal(hours)} oh {cardinal(minutes)}"
    else:
        spoken = f"{cardinal(hours)} {cardinal(minutes)}"
    if not suffix:
        return spoken
    # "p.m." may also have ended the sentence: keep a full stop where one was.
    return f"{spoken} {'AM' if suffix == 'am' else 'PM'}{stop}"


def _decade(m: Match) -> str:
    spoken = year(int(m["y"]))
    *head, last = spoken.split()
    plural = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return " ".join([*head, plural])


ISO_DATE = rule("iso_date", r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b", _iso_date)
US_DATE = rule("us_date", r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b", _us_date)
# Abbreviations first, as words: "Jan." before a day or a year ("Jan. 5", "Oct 2023") or
# after a day ("9 Dec"); "Mon." before a date or a time, after "on", or in "Mon-Fri".
_MONTH_ABBR = alternation(_MONTH_ABBREVIATIONS)
_WEEKDAY_ABBR = alternation(_WEEKDAY_ABBREVIATIONS)
_DATE_WORD = rf"(?:{_MONTHS}|{_MONTH_ABBR}|\d|the\b)"
MONTH_ABBREVIATION = rule(
    "month_abbreviation",
    r"(?:(?<=\d )|(?<=\d[snrt][tdh] )|(?<=\d of )|(?<=[snrt][tdh] of )"
    rf"|\b(?=(?:{_MONTH_ABBR})\b\.?,?\s+\d))(?P<abbr>{_MONTH_ABBR})\b(?P<dot>\.)?",
    _expanded(_MONTH_ABBREVIATIONS),
    digits=False,
)
WEEKDAY_ABBREVIATION = rule(
    "weekday_abbreviation",
    rf"(?:(?<=[-–])|(?<=[-–] )|(?<=\b[Oo]n )|\b(?=(?:{_WEEKDAY_ABBR})\b(?:\.?,?\s+{_DATE_WORD}"
    rf"|\s?[-–]\s?(?:{_ANY_WEEKDAY})\b)))(?P<abbr>{_WEEKDAY_ABBR})\b(?P<dot>\.)?",
    _expanded(_WEEKDAY_ABBREVIATIONS),
    digits=False,
)
WEEKDAY_RANGE = rule(
    "weekday_range",
    rf"\b(?P<a>{_WEEKDAYS})\s?[-–]\s?(?P<b>{_WEEKDAYS})\b",
    lambda m: f"{m['a']} to {m['b']}",
)
MONTH_DAY = rule(
    "month_day",
    rf"\b{_MONTH}\s+{_DAY}(?:(?:\s?[-–]\s?|\s+(?:to|through)\s+)(?P<d2>{_DAY_NUMBER})(?:st|nd|rd|th)?\b)?"
    rf"(?:,?\s+{_YEAR})?",
    _month_day,
)
MONTH_YEAR = rule("month_year", rf"\b{_MONTH},?\s+{_YEAR}", _month_year)
DAY_MONTH = rule(
    "day_month",
    rf"(?<![Tt]he )(?<![\d.,])\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?",
    _day_month,
)
SLASH_DATE = rule(
    "slash_date",
    rf"\b(?P<cue>{_WEEKDAYS}|{alternation(_DATE_CUES)})(?P<sep>,?\s+)"
    r"(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])\b(?!/)",
    _slash_date,
    re.IGNORECASE,
)
TIME = rule(
    "time",
    r"\b(?P<h>[01]?\d|2[0-3])(?::(?P<min>[0-5]\d)(?:\s?(?P<ampm>[aApP]\.?\s?[mM]\.?))?"
    r"|\.?(?P<min2>[0-5]\d)?\s?(?P<ampm2>[aApP]\.?[mM]\.?))(?!\w)(?=(?P<end>\s*$|\s+[A-Z]))?",
    _time,
)
# After TIME: "six PM-nine PM" -> "six PM to nine PM".
TIME_RANGE = rule("time_range", r"(?<=[AP]M)\s?[-–]\s?(?=\w)", lambda m: " to ")
DECADE = rule("decade", r"\b(?P<y>1[1-9]\d0|20[0-9]0)'?s\b", _decade)
