"""A subset of SSML, parsed with the standard library's expat (no DTDs, so no
entity expansion of any kind) into a flat list of segments to synthesise.

Supported: ``<speak>``, ``<p>``/``<s>`` (sentence boundaries),
``<break time="300ms"|strength="...">``, ``<say-as interpret-as="characters|
cardinal|ordinal|date|telephone">``, ``<prosody rate="slow|90%|1.2">``,
``<phoneme alphabet="ipa" ph="...">`` and ``<sub alias="...">``. Unknown tags
are logged and their text is still spoken. Malformed SSML raises
``ValueError`` with the line and column.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from xml.parsers import expat

from .normalize import normalize_text, spell
from .numwords import cardinal, digits, ordinal

__all__ = ["Segment", "is_ssml", "parse_ssml", "segments_of"]

_LOGGER = logging.getLogger(__name__)

_BREAK_STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.25,
    "medium": 0.5,
    "strong": 0.75,
    "x-strong": 1.0,
}
_RATES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_KNOWN = {"speak", "p", "s", "break", "say-as", "prosody", "phoneme", "sub"}


@dataclass(frozen=True)
class Segment:
    """One piece of an SSML document.

    ``kind`` is ``"text"`` (to phonemise), ``"phonemes"`` (IPA in ``text``,
    spoken as given) or ``"break"`` (``seconds`` of silence). ``rate``
    multiplies the speaking speed.
    """

    kind: str
    text: str = ""
    seconds: float = 0.0
    rate: float = 1.0


def segments_of(text: str, ssml: bool | None = None) -> list[Segment]:
    """``text`` as segments: parsed if it is SSML (``None``: if :func:`is_ssml`)."""
    return (
        parse_ssml(text) if (is_ssml(text) if ssml is None else ssml) else [Segment("text", text)]
    )


def is_ssml(text: str) -> bool:
    """Whether ``text`` is an SSML document: ``<speak>`` first, or an XML declaration
    or DTD before it (parsed, so a DTD is refused rather than read aloud)."""
    return text.lstrip().startswith(("<speak", "<?xml", "<!DOCTYPE"))


#: Longer numbers have no name worth hearing (and Python parses at most 4 300 digits).
MAX_SAY_AS_DIGITS = 4000


def _say_as(kind: str, text: str) -> str:
    stripped = text.strip()
    if kind == "characters":
        return spell(stripped)
    if kind in ("cardinal", "ordinal"):
        number = stripped.replace(",", "")
        if not re.fullmatch(r"-?\d+", number):
            raise ValueError(
                f"<say-as interpret-as={kind!r}> needs a whole number, got {stripped!r}"
            )
        if len(number.lstrip("-")) > MAX_SAY_AS_DIGITS:
            raise ValueError(
                f"<say-as interpret-as={kind!r}> reads numbers of up to {MAX_SAY_AS_DIGITS} "
                f"digits, got {len(number.lstrip('-'))}; use interpret-as='telephone' to read "
                "them digit by digit"
            )
        value = int(number)
        return cardinal(value) if kind == "cardinal" else ordinal(abs(value))
    if kind == "telephone":
        return ", ".join(digits(g) for g in re.findall(r"\d+", stripped))
    if kind == "date":
        return normalize_text(stripped)
    raise ValueError(
        f"<say-as interpret-as={kind!r}> is not supported; use characters, cardinal, "
        "ordinal, date or telephone"
    )


def _break_seconds(attrs: dict[str, str]) -> float:
    if "time" in attrs:
        match = _TIME.match(attrs["time"])
        if not match:
            raise ValueError(
                f"<break time={attrs['time']!r}>: use a duration such as '300ms' or '1.5s'"
            )
        value = float(match[1]) / (1000.0 if match[2] == "ms" else 1.0)
        if value > 60:
            raise ValueError(f"<break time={attrs['time']!r}> is longer than 60 s")
        return value
    strength = attrs.get("strength", "medium")
    if strength not in _BREAK_STRENGTHS:
        raise ValueError(f"<break strength={strength!r}>: use one of {list(_BREAK_STRENGTHS)}")
    return _BREAK_STRENGTHS[strength]


def _rate(value: str) -> float:
    if value in _RATES:
        return _RATES[value]
    match = _PERCENT.match(value)
    rate = float(match[1]) / 100.0 if match else None
    if rate is None:
        try:
            rate = float(value)
        except ValueError:
            rate = None
    if rate is None or not 0.2 <= rate <= 5.0:
        raise ValueError(
            f"<prosody rate={value!r}>: use {list(_RATES)}, a percentage such as '90%' "
            "or a factor between 0.2 and 5"
        )
    return rate


@dataclass
class _State:
    segments: list[Segment] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=lambda: [1.0])
    # Open elements: (tag, attributes, text collected inside when it is replaced).
    stack: list[tuple[str, dict[str, str], list[str]]] = field(default_factory=list)

    def flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer.clear()
        if text.strip():
            self.segments.append(Segment("text", text.strip(), rate=self.rates[-1]))

    def emit(self, segment: Segment) -> None:
        self.flush()
        self.segments.append(segment)

    def capturing(self) -> list[str] | None:
        """Where character data goes while inside say-as/sub/phoneme."""
        for tag, _, captured in reversed(self.stack):
            if tag in ("say-as", "sub", "phoneme"):
                return captured
        return None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.stack and tag != "speak":
            raise ValueError(f"the SSML root element must be <speak>, got <{tag}>")
        if tag not in _KNOWN:
            _LOGGER.warning("ignoring unsupported SSML tag <%s>; its text is still spoken", tag)
        elif tag in ("p", "s"):
            self.flush()
        elif tag == "break":
            self.emit(Segment("break", seconds=_break_seconds(attrs)))
        elif tag == "prosody":
            self.flush()
            self.rates.append(self.rates[-1] * (_rate(attrs["rate"]) if "rate" in attrs else 1.0))
        elif tag == "phoneme":
            if attrs.get("alphabet", "ipa") != "ipa":
                raise ValueError(
                    f"<phoneme alphabet={attrs['alphabet']!r}> is not supported; use 'ipa'"
                )
            if not attrs.get("ph", "").strip():
                raise ValueError("<phoneme> needs a non-empty ph attribute")
        elif tag == "sub" and "alias" not in attrs:
            raise ValueError("<sub> needs an alias attribute")
        elif tag == "say-as" and "interpret-as" not in attrs:
            raise ValueError("<say-as> needs an interpret-as attribute")
        self.stack.append((tag, attrs, []))

    def end(self, tag: str) -> None:
        _, attrs, captured = self.stack.pop()
        outer = self.capturing()
        target = outer if outer is not None else self.buffer
        if tag == "say-as":
            target.append(f" {_say_as(attrs['interpret-as'], ''.join(captured))} ")
        elif tag == "sub":
            target.append(f" {attrs['alias']} ")
        elif tag == "phoneme":
            self.emit(Segment("phonemes", attrs["ph"].strip(), rate=self.rates[-1]))
        elif tag == "prosody":
            self.flush()
            self.rates.pop()
        elif tag in ("p", "s", "speak"):
            self.flush()

    def text(self, data: str) -> None:
        captured = self.capturing()
        (captured if captured is not None else self.buffer).append(data)


def _refuse_dtd(*_: object) -> None:
    raise ValueError("SSML must not contain a DTD or entity declarations")


def parse_ssml(document: str) -> list[Segment]:
    """Parse ``document`` (which must have a ``<speak>`` root) into segments."""
    if not isinstance(document, str):
        raise TypeError(f"SSML must be a str, got {type(document).__name__}")
    state = _State()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.text
    try:
        parser.Parse(document, True)
    except expat.ExpatError as exc:
        raise ValueError(
            f"malformed SSML at line {exc.lineno}, column {exc.offset + 1}: "
            f"{expat.ErrorString(exc.code)}"
        ) from None
    except ValueError as exc:
        raise ValueError(
            f"SSML error at line {parser.CurrentLineNumber}, column "
            f"{parser.CurrentColumnNumber + 1}: {exc}"
        ) from None
    return state.segments
