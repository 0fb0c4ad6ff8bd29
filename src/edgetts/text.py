"""Text preparation: type and emptiness checks, cleaning, bounded chunks.

Long input is cut into chunks of at most ``max_chars`` characters at paragraph
or sentence boundaries, so espeak-ng and the model only ever see bounded pieces
and a 1 MB text streams with bounded memory.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

__all__ = [
    "DEFAULT_CHUNK_CHARS",
    "bounded_words",
    "check_text",
    "clean_text",
    "espeak_pieces",
    "text_chunks",
]

DEFAULT_CHUNK_CHARS = 2000

# espeak-ng drops what does not fit its buffers, silently: a word past about
# 200 phonemes (33 sevens in "777...", 34 "$", 25 emoji, 130 letters), two
# symbols it names written together ("&&" reads "and" once), and words past
# about 500 in one call (100 emoji names of five words each). These bounds keep
# every call inside them.
MAX_WORD_CHARS = 64  # longer words are read in pieces of half that
MAX_DIGITS = 24  # longer digit runs are read digit by digit
PIECE_WORDS = 48  # words per espeak-ng call (an emoji's name is up to ~10 words)
PIECE_CHARS = 400
_DIGIT_RUN = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")
_LONG_WORD = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}")
# What joins the character before it into one symbol: combining marks, ZWJ and
# what it joins, variation selectors, skin tones, keycaps, tags, the second
# half of a flag.
_JOINER = re.compile(
    "[\u0300-\u036f\u200d\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]"
)
_WORD_END = re.compile(r"[.!?][\"')\]]*$")

# C0/C1 controls except tab and newline, and lone surrogates: they mean nothing
# to speech, NUL would truncate the C string handed to espeak-ng, and surrogates
# cannot be encoded as UTF-8.
_UNSPEAKABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Terminal escape sequences (colours, cursor moves) pasted from a console: gone
# whole, or dropping the ESC alone would leave "[31m" to be read as "31 meters".
_TERMINAL_CODES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")


def check_text(text: object) -> str:
    """Return ``text`` if it is a non-blank ``str``; raise ``TypeError``/``ValueError``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"text is empty or whitespace only: {text[:20]!r}")
    return text


def clean_text(text: str) -> str:
    """NFC-normalise, drop terminal escape sequences, control characters and
    unpaired surrogates."""
    text = _TERMINAL_CODES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _UNSPEAKABLE.sub(" ", text)
    return unicodedata.normalize("NFC", text)


def _cut_point(window: str) -> int:
    """Index just past the best boundary in ``window``: a blank line, a sentence
    end, a line break (hard-wrapped prose breaks lines mid-sentence), a space."""
    at = window.rfind("\n\n")
    if at > 0:
        return at + 2
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if sentence_ends:
        return sentence_ends[-1]
    at = max(window.rfind("\n"), window.rfind(" "), window.rfind("\t"))
    return at + 1 if at > 0 else len(window)


def text_chunks(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> Iterator[str]:
    """Yield consecutive non-blank pieces of ``text``, each at most ``max_chars`` long."""
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars!r}")
    pos = 0
    while pos < len(text):
        window = text[pos : pos + max_chars]
        cut = len(window) if pos + max_chars >= len(text) else _cut_point(window)
        if window[:cut].strip():
            yield window[:cut]
        pos += cut


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"  # two of them make a flag


def _symbols(word: str) -> list[str]:
    """``word`` cut into symbols: characters with what joins them (emoji sequences)."""
    out: list[str] = []
    for char in word:
        flag = out and len(out[-1]) == 1 and _regional(out[-1]) and _regional(char)
        if out and (flag or _JOINER.match(char) or out[-1].endswith("\u200d")):
            out[-1] += char
        else:
            out.append(char)
    return out


def _named(symbol: str) -> bool:
    """Whether espeak-ng reads ``symbol`` as its name ("$" dollar, "&" and, emoji)."""
    return unicodedata.category(symbol[0]).startswith("S") or symbol[0] in "%&#@*/\\"


def _spaced_symbols(word: str) -> str:
    """Named symbols written together ("$$", "😀😀", "&&") with spaces between them,
    so espeak-ng reads each; everything else stays as it is."""
    pieces = _symbols(word)
    out = pieces[0]
    for before, piece in itertools.pairwise(pieces):
        out += (" " if _named(before) and _named(piece) else "") + piece
    return out


def bounded_words(text: str) -> str:
    """``text`` with every word short enough for espeak-ng to read whole."""
    text = _DIGIT_RUN.sub(lambda m: " ".join(m.group()), text)
    words = [_spaced_symbols(w) if len(w) > 1 else w for w in text.split(" ")]
    text = " ".join(words)
    half = MAX_WORD_CHARS // 2
    return _LONG_WORD.sub(
        lambda m: " ".join(m.group()[i : i + half] for i in range(0, len(m.group()), half)), text
    )


def espeak_pieces(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, continues) of pieces of ``text`` small enough for one espeak-ng
    call; ``continues`` when the piece stops inside a sentence."""
    words = [m.span() for m in re.finditer(r"\S+\s*", text)]
    pos = 0
    while pos < len(words):
        window = words[pos : pos + PIECE_WORDS]
        while len(window) > 1 and window[-1][1] - window[0][0] > PIECE_CHARS:
            window.pop()
        if pos + len(window) < len(words):  # cut after the last sentence end, if any
            ends = [i for i, (a, b) in enumerate(window) if _WORD_END.search(text[a:b].rstrip())]
            if ends:
                window = window[: ends[-1] + 1]
        last = pos + len(window) == len(words)
        closed = _WORD_END.search(text[window[0][0] : window[-1][1]].rstrip()) is not None
        start = 0 if pos == 0 else window[0][0]
        end = len(text) if last else window[-1][1]
        yield start, end, not (last or closed or "\n" in text[window[-1][0] : end])
        pos += len(window)
