"""The rule type of the text front end: a pattern and the function that says one match.

:mod:`edgetts.normalize` keeps the ordered table; the rules for dates and times
(:mod:`edgetts.datetimes`) and for phone numbers and addresses
(:mod:`edgetts.addresses`) are written beside their tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Match", "Rule", "alternation", "kept_dot", "rule", "starts_sentence"]

Match = re.Match[str]

_SENTENCE_STARTERS = {
    "The",
    "A",
    "An",
    "I",
    "It",
    "He",
    "She",
    "We",
    "They",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Then",
    "But",
    "And",
    "So",
    "In",
    "On",
    "At",
    "If",
    "When",
    "My",
    "Our",
    "Your",
    "His",
    "Her",
    "Their",
    "Its",
    "What",
    "Why",
    "How",
    "Where",
    "Yes",
    "No",
    "Please",
}

_FOLLOWING = re.compile(r"\s*$|\s+(?P<word>[\w']+)")


@dataclass(frozen=True)
class Rule:
    """``pattern``'s matches are replaced by ``spoken(match)``.

    ``digits`` marks the rules that read what a speech recogniser writes (digits
    and symbols), as opposed to those that expand words and abbreviations.
    """

    name: str
    pattern: re.Pattern[str]
    spoken: Callable[[Match], str]
    digits: bool = True

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.spoken, text)


def rule(
    name: str, pattern: str, spoken: Callable[[Match], str], flags: int = 0, *, digits: bool = True
) -> Rule:
    return Rule(name, re.compile(pattern, flags), spoken, digits)


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first so that no word hides a longer one."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def starts_sentence(word: str | None) -> bool:
    """Whether ``word`` after a dot looks like a new sentence rather than a name."""
    return word is None or word in _SENTENCE_STARTERS


def kept_dot(text: str, end: int) -> str:
    """The dot of an abbreviation that ends at ``end``: kept where it also ends the
    sentence (at the end, or before a word that starts one), else dropped."""
    following = _FOLLOWING.match(text, end)
    return "." if following and starts_sentence(following["word"]) else ""
