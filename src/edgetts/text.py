"""Text preparation: type and emptiness checks, cleaning, bounded chunks.

Long input is cut into chunks of at most ``max_chars`` characters at paragraph
or sentence boundaries, so espeak-ng and the model only ever see bounded pieces
and a 1 MB text streams with bounded memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = ["DEFAULT_CHUNK_CHARS", "check_text", "clean_text", "text_chunks"]

DEFAULT_CHUNK_CHARS = 2000

# C0/C1 controls except tab and newline, and lone surrogates: they mean nothing
# to speech, NUL would truncate the C string handed to espeak-ng, and surrogates
# cannot be encoded as UTF-8.
_UNSPEAKABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s")


def check_text(text: object) -> str:
    """Return ``text`` if it is a non-blank ``str``; raise ``TypeError``/``ValueError``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"text is empty or whitespace only: {text[:20]!r}")
    return text


def clean_text(text: str) -> str:
    """NFC-normalise, drop control characters and unpaired surrogates."""
    text = _UNSPEAKABLE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
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
