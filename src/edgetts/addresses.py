"""Phone numbers, street, web and e-mail addresses as people say them, for
:mod:`edgetts.normalize`.

Phone numbers are read digit by digit in their written groups, "zero" for 0 and
toll-free 800 as "eight hundred": "1-800-555-0199" -> "one, eight hundred, five
five five, zero one nine nine". House, route and suite numbers are read in
pairs ("742 Evergreen Terrace" -> "seven forty two", "US-101 S" -> "US one oh
one South"), a state before a ZIP code by its name and the ZIP digit by digit.
"""

from __future__ import annotations

import re

from .numwords import cardinal, digits, identifier
from .rewrite import Match, alternation, rule

__all__ = [
    "DIGIT_GROUPS",
    "DIRECTION_AFTER",
    "DIRECTION_BEFORE",
    "DOMAIN",
    "EMAIL",
    "EXTENSION",
    "FILENAME",
    "HOUSE_NUMBER",
    "INTERNATIONAL_PHONE",
    "IP_ADDRESS",
    "PHONE",
    "ROUTE",
    "STATE_ZIP",
    "STREET",
    "STREET_SUFFIXES",
    "URL",
]

#: Abbreviated street types; "St" and "Dr" are also titles, see edgetts.normalize.
STREET_SUFFIXES = {
    "st": "Street",
    "ave": "Avenue",
    "rd": "Road",
    "blvd": "Boulevard",
    "dr": "Drive",
    "ln": "Lane",
    "ct": "Court",
    "pl": "Place",
    "ter": "Terrace",
    "pkwy": "Parkway",
    "cir": "Circle",
    "hwy": "Highway",
    "sq": "Square",
}
_SUFFIX_WORDS = [*(s.capitalize() for s in STREET_SUFFIXES), *STREET_SUFFIXES.values(), "Way"]
_DIRECTIONS = {
    "N": "North",
    "S": "South",
    "E": "East",
    "W": "West",
    "NE": "Northeast",
    "NW": "Northwest",
    "SE": "Southeast",
    "SW": "Southwest",
}
_ROADS = {"Hwy": "Highway", "Rte": "Route"}
_LONG_ROADS = alternation(["Interstate", "Highway", "Route", *_ROADS])
_UNDOTTED_SUFFIXES = alternation(s.capitalize() for s in STREET_SUFFIXES if s not in ("st", "dr"))
# Two-letter codes, read as names before a ZIP code.
_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "DC",
}
_TOP_LEVEL_DOMAINS = "com|org|net|edu|gov|io|dev|ai|app|co|us|uk|ca|de|info|me|tv"
_FILE_TYPES = (
    "pdf|txt|csv|docx?|xlsx?|pptx?|png|jpe?g|gif|svg|zip|exe|py|js|json|ya?ml|html?|mp3|mp4|wav"
)
# A street name after a house number: one to three capitalised words or an
# ordinal ("5th"), then the street type.
_NAMED_STREET = (
    r"(?:(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][a-z]+)\s+){1,3}"
    rf"(?:{alternation(_SUFFIX_WORDS)})\b"
)
_STREET_NAME = rf"(?:(?:{alternation(_DIRECTIONS)})\.?\s+)?{_NAMED_STREET}"


def _extension(number: str) -> str:
    """An extension's number: "12" -> twelve, "4410" -> four four one zero."""
    return cardinal(int(number)) if len(number) <= 2 else digits(number)


def _phone(m: Match) -> str:
    # "zero", not "oh": measured with the whisper judge, "five five five, oh one
    # nine nine" comes back as 555-199-9-9 and "..., zero one nine nine" as 555-0199.
    area = m["area"] or m["paren"]
    groups = [
        "plus one" if m["plus"] else "one" if m["one"] else "",
        "" if area is None else "eight hundred" if area == "800" else digits(area),
        digits(m["exchange"] or m["exchange2"] or m["local"]),
        digits(m["line"]),
        f"extension {_extension(m['ext'])}" if m["ext"] else "",
    ]
    return ", ".join(g for g in groups if g)


def _international(m: Match) -> str:
    return "plus " + ", ".join(digits(g) for g in re.findall(r"\d+", m[0]))


def _route(m: Match) -> str:
    road = m["short"] or _ROADS.get(m["long"], m["long"])
    direction = f" {_DIRECTIONS[m['dir']]}" if m["dir"] else ""
    return f"{road} {identifier(m['n'])}{direction}"


def _state_zip(m: Match) -> str:
    plus4 = f", {digits(m['plus4'])}" if m["plus4"] else ""
    return f"{m['pre']}{_STATES[m['state']]} {digits(m['zip'])}{plus4}"


def _url(m: Match) -> str:
    body = re.sub(r"^(https?://)?(www\.)?", "", m[0]).rstrip("/")
    spoken = body.replace(".", " dot ").replace("/", " slash ").replace("-", " dash ")
    return spoken.replace("_", " underscore ")


def _email(m: Match) -> str:
    user, domain = m[0].split("@")
    return f"{user.replace('.', ' dot ')} at {domain.replace('.', ' dot ')}"


URL = rule("url", r"\bhttps?://[^\s]+[^\s.,;:!?)]|\bwww\.[^\s]+[^\s.,;:!?)]", _url)
EMAIL = rule("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", _email)
DOMAIN = rule(
    "domain",
    rf"(?<![\w@./])(?:[A-Za-z0-9-]+\.)+(?:{_TOP_LEVEL_DOMAINS})\b(?:/[^\s]*[^\s.,;:!?)])?",
    _url,
)
FILENAME = rule(
    "filename",
    rf"\b(?P<name>[\w-]+)\.(?P<ext>{_FILE_TYPES})\b",
    lambda m: f"{m['name']} dot {m['ext'].upper()}",
)
# Four numbers up to 255; "version 1.2.3.4" stays a version.
IP_ADDRESS = rule(
    "ip_address",
    r"(?<![\w.])(?<![Vv]ersion )(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
    r"(?![\w.]\w)",
    lambda m: " dot ".join(identifier(p) for p in m[0].split(".")),
)
# North American numbers: +1 / 1, then (415) or 415 with one separator throughout,
# or a seven-digit local number; an extension may follow.
PHONE = rule(
    "phone",
    r"(?<![\w.,+-])(?:(?:(?P<plus>\+)?(?P<one>1)[-. ]?)?"
    r"(?:\((?P<paren>\d{3})\)\s?(?P<exchange>\d{3})[- ]"
    r"|(?P<area>\d{3})(?P<sep>[-. ])(?P<exchange2>\d{3})(?P=sep))"
    r"|(?P<local>\d{3})[- ])"
    r"(?P<line>\d{4})(?!\d|[.,]\d)"
    r"(?:,?\s?(?:[Ee]xt\.?|x)\s?(?P<ext>\d{1,5})\b)?",
    _phone,
)
# Three or more digit groups joined by dashes are a code read out, not a range:
# "0-0-4-7-1", "44-20-7946" (after PHONE and the dates that also use dashes).
DIGIT_GROUPS = rule(
    "digit_groups",
    r"(?<![\w.-])\d{1,4}(?:-\d{1,4}){2,}(?![\w-])",
    lambda m: ", ".join(digits(g) for g in m[0].split("-")),
)
INTERNATIONAL_PHONE = rule(
    "international_phone",
    r"(?<![\w+])\+[2-9]\d{0,2}(?:[-. ]\(?\d{1,4}\)?){2,5}(?!\d)",
    _international,
)
EXTENSION = rule(
    "extension",
    r"\b(?:[Ee]xt\.?|[Ee]xtension)\s?(?P<n>\d{1,6})\b",
    lambda m: f"extension {_extension(m['n'])}",
)
ROUTE = rule(
    "route",
    rf"\b(?:(?P<short>I|US|SR)-|(?P<long>{_LONG_ROADS})\.?\s?)(?P<n>\d{{1,4}})\b"
    r"(?:\s(?P<dir>[NSEW])\b(?![.'-]\w))?",
    _route,
)
HOUSE_NUMBER = rule(
    "house_number", rf"\b(?P<n>\d{{1,5}})(?=\s+{_STREET_NAME})", lambda m: identifier(m["n"])
)
STATE_ZIP = rule(
    "state_zip",
    rf"(?P<pre>,\s*)(?P<state>{alternation(_STATES)})\s+(?P<zip>\d{{5}})(?:-(?P<plus4>\d{{4}}))?\b",
    _state_zip,
)
# Street types without their dot after a street name ("Oak Ave"); "St" and "Dr"
# without a dot are left to espeak-ng, which reads "St" as street.
STREET = rule(
    "street",
    r"(?P<prev>\b(?:[A-Z][a-z]+|\d{1,3}(?:st|nd|rd|th))\s+)"
    rf"(?P<s>{_UNDOTTED_SUFFIXES})\b(?!\.)",
    lambda m: m["prev"] + STREET_SUFFIXES[m["s"].lower()],
    digits=False,
)
DIRECTION_BEFORE = rule(
    "direction_before",
    rf"\b(?P<d>{alternation(_DIRECTIONS)})\b\.?(?=\s+{_NAMED_STREET})",
    lambda m: _DIRECTIONS[m["d"]],
    digits=False,
)
# "Pennsylvania Ave. NW": the quadrant after the street type.
DIRECTION_AFTER = rule(
    "direction_after",
    rf"\b(?P<s>{alternation(_SUFFIX_WORDS)})\b\.?(?P<sep>,?\s+)(?P<d>NE|NW|SE|SW)\b",
    lambda m: STREET_SUFFIXES.get(m["s"].lower(), m["s"]) + m["sep"] + _DIRECTIONS[m["d"]],
    digits=False,
)
