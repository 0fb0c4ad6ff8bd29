"""Text to IPA phonemes with espeak-ng (the compiled binding in ``edgetts._core``).

The phonemes follow Piper's convention: clause punctuation is kept as a phoneme,
``, : ;`` are followed by a space, and the string is split into Unicode code
points after NFD decomposition (so stress marks and diacritics are their own
symbols). See ``docs/phonemizer.md`` for why espeakng-loader's espeak-ng is used.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from . import _core
from .errors import PhonemizerError
from .normalize import normalize_text
from .ssml import Segment
from .text import DEFAULT_CHUNK_CHARS, bounded_words, clean_text, espeak_pieces, text_chunks

__all__ = ["Sentence", "phonemize", "segment_sentences"]

_LANGUAGE_SWITCH = re.compile(r"\([^)]+\)")
_load_lock = threading.Lock()
_loaded = False


@dataclass(frozen=True)
class Sentence:
    """One sentence of input text and its phonemes.

    ``clauses`` marks where each clause but the last ends inside the sentence
    (after its ``,``/``:``/``;``): (index into ``phonemes``, index into ``text``).
    ``before``/``after``: phonemes of the neighbouring words where a long sentence
    was cut (:meth:`bounded`), given to the model as context but not voiced.
    """

    text: str
    phonemes: tuple[str, ...]
    clauses: tuple[tuple[int, int], ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @property
    def ipa(self) -> str:
        return "".join(self.phonemes)

    def bounded(self, max_phonemes: int, context: int = 0) -> tuple[Sentence, ...]:
        """The sentence cut into model calls of at most ``max_phonemes`` phonemes, at
        word boundaries where there are any (a call's memory grows with the square
        of its length). The text is shared out by word count, for word timings.

        With ``context``, each piece also carries up to that many phonemes of the
        words either side (``before``/``after``, counted in the bound), so the
        model hears the sentence go on across the cut; they are not voiced.
        """
        if len(self.phonemes) <= max_phonemes:
            return (self,)
        context = max(0, min(context, (max_phonemes - 1) // 3))
        size = max_phonemes - 2 * context
        pieces: list[tuple[str, ...]] = []
        rest = self.phonemes
        while len(rest) > size:
            window = rest[:size]
            space = max((i for i, p in enumerate(window) if p == " "), default=0)
            cut = space + 1 if space > 0 else size
            pieces.append(rest[:cut])
            rest = rest[cut:]
        pieces.append(rest)
        words, out, taken, done = self.text.split(), [], 0, 0
        total = max(1, sum(p.count(" ") + 1 for p in pieces))
        for i, piece in enumerate(pieces):
            share = round(len(words) * (piece.count(" ") + 1) / total)
            text = words[taken:] if i == len(pieces) - 1 else words[taken : taken + share]
            taken += len(text)
            before = _context(self.phonemes, done - context, done, before=True)
            done += len(piece)
            after = _context(self.phonemes, done, done + context, before=False)
            out.append(Sentence(" ".join(text), piece, before=before, after=after))
        return tuple(out)

    def split_first_clause(self) -> tuple[Sentence, ...]:
        """The first clause and the rest as two sentences (itself if it has one clause)."""
        if not self.clauses:
            return (self,)
        (phoneme, char), rest = self.clauses[0], self.clauses[1:]
        head = Sentence(self.text[:char].strip(), self.phonemes[:phoneme])
        skipped = len(self.text[char:]) - len(self.text[char:].lstrip())
        tail = Sentence(
            self.text[char:].strip(),
            self.phonemes[phoneme:],
            tuple((p - phoneme, c - char - skipped) for p, c in rest),
        )
        return head, tail


def _context(phonemes: tuple[str, ...], low: int, high: int, *, before: bool) -> tuple[str, ...]:
    """``phonemes[low:high]`` without a partial word on its far side (``low`` for
    context before a piece, ``high`` after it), unless it holds no word boundary."""
    low, high = max(0, low), min(len(phonemes), high)
    run = phonemes[low:high]
    if before and low > 0 and phonemes[low - 1] != " ":
        inner = [i for i, p in enumerate(run[:-1]) if p == " "]
        return run[inner[0] + 1 :] if inner else run
    if not before and high < len(phonemes) and phonemes[high] != " ":
        inner = [i for i, p in enumerate(run) if p == " " and i > 0]
        return run[: inner[-1]] if inner else run
    return run


def _ensure_espeak() -> None:
    global _loaded
    with _load_lock:
        if _loaded:
            return
        try:
            import espeakng_loader

            library, data = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        except (ImportError, RuntimeError) as exc:
            raise PhonemizerError(
                f"espeak-ng is unavailable: {exc} (pip install espeakng-loader)"
            ) from exc
        try:
            _core.load_espeak(library, data)
        except _core.EspeakError as exc:
            raise PhonemizerError(str(exc)) from exc
        _loaded = True


def _chunk_sentences(chunk: str, espeak_voice: str) -> Iterator[Sentence]:
    chunk = bounded_words(chunk)
    ipa: list[str] = []
    breaks: list[tuple[int, int]] = []  # (ipa pieces, text end) after each inner clause
    start = 0
    for low, high, continues in espeak_pieces(chunk):
        try:
            clauses = _core.espeak_clauses(espeak_voice, chunk[low:high])
        except _core.EspeakError as exc:
            raise PhonemizerError(str(exc)) from exc
        for n, (clause_ipa, terminator, end_of_sentence, piece_end) in enumerate(clauses):
            end = low + piece_end
            ipa.append(_LANGUAGE_SWITCH.sub("", clause_ipa) + terminator)
            inner = terminator in (",", ":", ";")
            if inner:
                ipa.append(" ")
            going_on = continues and n == len(clauses) - 1  # into the next piece
            if not going_on and (end_of_sentence or n == len(clauses) - 1):
                sentence = _sentence(chunk[start:end], ipa, breaks, start)
                if sentence is not None:
                    yield sentence
                ipa, breaks, start = [], [], end
            elif inner:
                breaks.append((len(ipa), end))
            elif going_on:
                ipa.append(" ")


def _sentence(
    text: str, ipa: list[str], breaks: list[tuple[int, int]], offset: int
) -> Sentence | None:
    """The sentence of ``text``, or None if it has nothing to speak."""
    phonemes = tuple(unicodedata.normalize("NFD", "".join(ipa)))
    if all(p.isspace() for p in phonemes):
        return None
    lead = len(text) - len(text.lstrip())
    clauses = tuple(
        (len(unicodedata.normalize("NFD", "".join(ipa[:pieces]))), end - offset - lead)
        for pieces, end in breaks
    )
    return Sentence(text=text.strip(), phonemes=phonemes, clauses=clauses)


def phonemize(
    text: str,
    espeak_voice: str = "en-us",
    *,
    normalize: bool | None = None,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> Iterator[Sentence]:
    """Lazily yield the sentences of ``text`` with their phonemes.

    ``normalize`` rewrites numbers, money, dates and abbreviations as words
    first (:func:`edgetts.normalize.normalize_text`); ``None`` means "for English
    voices", the only language its rules cover. Sentences with no phonemes at
    all (emoji-only, punctuation-only) are skipped. Memory stays bounded by
    ``chunk_chars`` whatever the text length.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    _ensure_espeak()
    if normalize is None:
        normalize = espeak_voice.startswith("en")
    for chunk in text_chunks(text, chunk_chars):
        cleaned = clean_text(chunk)
        yield from _chunk_sentences(normalize_text(cleaned) if normalize else cleaned, espeak_voice)


def segment_sentences(
    segment: Segment, espeak_voice: str, *, normalize: bool | None = None
) -> Iterator[Sentence]:
    """The sentences of one SSML segment: its text phonemised, its ``<phoneme>`` as
    given (one sentence), nothing for a break."""
    if segment.kind == "phonemes":
        yield Sentence(segment.text, tuple(unicodedata.normalize("NFD", segment.text)))
    elif segment.kind == "text":
        yield from phonemize(segment.text, espeak_voice, normalize=normalize)
