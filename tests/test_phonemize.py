from __future__ import annotations

import itertools
import json
import threading
import tracemalloc
import unicodedata
from pathlib import Path

import pytest

from edgetts import Voice, phonemize
from edgetts.eval import dev_sentences
from edgetts.ids import PhonemeIdMapper
from edgetts.text import bounded_words, clean_text, espeak_pieces, text_chunks

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_phonemes.json").read_text("utf-8"))


@pytest.mark.parametrize("record", GOLDEN["records"], ids=lambda r: r["text"][:30])
def test_golden_phonemes_and_ids(record: dict) -> None:
    voice = Voice.load()
    sentences = list(phonemize(record["text"], voice.config.espeak_voice))
    assert [s.ipa for s in sentences] == [g["phonemes"] for g in record["sentences"]]
    assert [voice.id_mapper(s.phonemes).ids.tolist() for s in sentences] == [
        g["ids"] for g in record["sentences"]
    ]


def test_golden_covers_every_dev_sentence() -> None:
    assert [r["text"] for r in GOLDEN["records"]] == dev_sentences()


# Clause punctuation and sentence splits, checked against piper-tts's own
# espeak bridge (which has espeak_TextToPhonemesWithTerminator).
TRICKY = [
    "Hello,    world.",
    "Hello,\n\nworld",
    "Para one\n\nPara two",
    "Dr. Smith lives on Elm St. near the park.",
    "Wait: one; two, three...",
    'He said "stop." Then left.',
    "Is it? é yes",
    "Mr. and Mrs. Jones arrived at 7:30 p.m.",
    "Hi! 😀 there.",
    "a - b — c",
    "Really?!  Yes.",
    "(Hello.) Bye",
    "Wait... what? No!",
]


@pytest.mark.parametrize("text", TRICKY)
def test_terminators_match_piper(text: str) -> None:
    piper_voice = pytest.importorskip("piper.voice")
    from piper.phonemize_espeak import EspeakPhonemizer

    expected = EspeakPhonemizer().phonemize("en-us", text)
    ours = [s.phonemes for s in phonemize(text, normalize=False)]
    assert len(ours) == len(expected)
    marks = ",.;:!?"
    for mine, theirs in zip(ours, expected, strict=True):
        assert [p for p in mine if p in marks] == [p for p in theirs if p in marks]
    assert piper_voice is not None


def test_clause_punctuation_is_kept_with_piper_spacing() -> None:
    (sentence,) = phonemize("Yes, no; maybe: fine.")
    assert sentence.ipa == "jˈɛs, nˈoʊ; mˈeɪbiː: fˈaɪn."
    assert sentence.text == "Yes, no; maybe: fine."


def test_clause_boundaries_split_text_and_phonemes_losslessly() -> None:
    (sentence,) = phonemize("After the long meeting ended, we walked back: slowly; then home.")
    assert sentence.clauses == ((30, 29), (47, 45), (56, 53))
    parts, rest = [], sentence
    while rest.clauses:
        head, rest = rest.split_first_clause()
        assert not head.clauses
        parts.append(head)
    parts.append(rest)
    assert [p.text for p in parts] == [
        "After the long meeting ended,",
        "we walked back:",
        "slowly;",
        "then home.",
    ]
    assert sum((p.phonemes for p in parts), ()) == sentence.phonemes
    assert parts[0].ipa == "ˈæftɚ ðə lˈɔŋ mˈiːɾɪŋ ˈɛndᵻd, "
    (single,) = phonemize("No clauses here.")
    assert single.clauses == () and single.split_first_clause() == (single,)


def test_sentences_carry_their_own_text() -> None:
    texts = [s.text for s in phonemize("Hello there. How are you?  Fine!")]
    assert texts == ["Hello there.", "How are you?", "Fine!"]


def test_phonemes_are_nfd_code_points() -> None:
    (sentence,) = phonemize("café")
    assert all(len(p) == 1 for p in sentence.phonemes)
    assert sentence.ipa == unicodedata.normalize("NFD", sentence.ipa)


@pytest.mark.parametrize("text", ["...", "\x00\x01\x02", "\u200b", "\U000e0001"])
def test_text_without_speech_yields_no_sentences(text: str) -> None:
    assert list(phonemize(text)) == []


def test_emoji_are_read_by_name() -> None:
    assert [s.ipa for s in phonemize("😀")] == ["ɡɹˈɪnɪŋ fˈeɪs"]


def test_control_characters_are_removed_not_fatal() -> None:
    assert clean_text("a\x00b\x07c\r\nd") == "a b c\nd"
    assert [s.ipa for s in phonemize("stop\x00 now.")] == [s.ipa for s in phonemize("stop  now.")]


def test_lone_surrogates_do_not_crash() -> None:
    assert [s.text for s in phonemize("hello \ud800 world.")] == ["hello world."]


def test_unknown_phonemes_are_skipped_and_counted() -> None:
    mapper = PhonemeIdMapper({"^": [1], "_": [0], "$": [2], "a": [5]})
    result = mapper(["a", "Ω", "a", "ʲ"])
    assert result.ids.tolist() == [1, 0, 5, 0, 5, 0, 2]
    assert result.missing == ("Ω", "ʲ")


def test_ids_match_piper_convention() -> None:
    piper_ids = pytest.importorskip("piper.phoneme_ids")
    voice = Voice.load()
    (sentence,) = phonemize("The quick brown fox, jumps!")
    ours = voice.id_mapper(sentence.phonemes).ids.tolist()
    assert ours == piper_ids.phonemes_to_ids(list(sentence.phonemes), voice.config.phoneme_id_map)


def test_chunks_are_bounded_and_lossless() -> None:
    text = ("One sentence here. " * 50 + "\n\n") * 4 + "x" * 5000
    chunks = list(text_chunks(text, max_chars=300))
    assert all(len(c) <= 300 for c in chunks)
    assert "".join(chunks) == text.rstrip() or "".join(chunks) == text
    assert chunks[0].endswith("here. ")


def test_chunk_size_is_validated() -> None:
    with pytest.raises(ValueError, match="max_chars must be at least 2, got 1"):
        list(text_chunks("abc", max_chars=1))


def test_megabyte_text_streams_with_bounded_memory() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 23_000  # ~1 MB
    assert len(text.encode()) > 1_000_000
    tracemalloc.start()
    try:
        sentences = phonemize(text)
        for _ in range(200):
            next(sentences)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # a few chunks, not the whole text's phonemes


def test_phonemize_is_thread_safe() -> None:
    text = "Thread safety matters for espeak. It keeps global state!"
    expected = [s.ipa for s in phonemize(text)]
    results: list[list[str]] = []

    def work() -> None:
        for _ in range(20):
            results.append([s.ipa for s in phonemize(text)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 80


def test_unknown_espeak_voice_is_a_phonemizer_error() -> None:
    from edgetts import PhonemizerError

    with pytest.raises(PhonemizerError, match="espeak-ng has no voice named 'xx-nowhere'"):
        list(phonemize("hello", "xx-nowhere"))


def _spoken(text: str, sound: str) -> int:
    return "".join(s.ipa for s in phonemize(text)).count(sound)


@pytest.mark.parametrize(
    ("text", "sound", "count"),
    [
        ("7" * 50_000, "ɛvən", 50_000),  # espeak-ng alone: 26 per 2 000-character chunk
        ("$" * 10_000, "ɑːlɚ", 10_000),  # 33
        ("\U0001f600" * 10_000, "ɪnɪŋ", 10_000),  # 24
        (" ".join("\U0001f600" * 300), "ɪnɪŋ", 300),  # 110 of 140: too many words in a call
        ("&&&", "ænd", 3),  # 1
    ],
)
def test_nothing_is_dropped(text: str, sound: str, count: int) -> None:
    assert _spoken(text, sound) == count


def test_a_word_too_long_for_espeak_is_read_in_pieces() -> None:
    ipa = "".join(s.ipa for s in phonemize("ab" * 10_000))
    assert ipa.count("b") == 10_000  # espeak-ng alone kept 82 per 2 000 characters


def test_a_sentence_longer_than_one_espeak_call_stays_one_sentence() -> None:
    text = "The cat sat. " + "word " * 100 + "end. Next one."
    sentences = list(phonemize(text))
    assert [s.text.split()[0] for s in sentences] == ["The", "word", "Next"]
    assert sentences[1].ipa.count("wˈɜːd") == 100
    assert sentences[1].text == ("word " * 100 + "end.").strip()


@pytest.mark.parametrize(
    ("text", "bounded"),
    [
        ("$$$", "$ $ $"),
        ("&&", "& &"),
        ("AT&T", "AT&T"),  # one named symbol between letters: as written
        ("hello!!! ...", "hello!!! ..."),  # punctuation is not named
        ("\U0001f1fa\U0001f1f8\U0001f1ec\U0001f1e7", "\U0001f1fa\U0001f1f8 \U0001f1ec\U0001f1e7"),
        (
            "\U0001f3f3\ufe0f\u200d\U0001f308\U0001f44d\U0001f3fd",
            "\U0001f3f3\ufe0f\u200d\U0001f308 \U0001f44d\U0001f3fd",
        ),
        ("7" * 24, "7" * 24),
        ("7" * 25, " ".join("7" * 25)),
        ("x" * 64, "x" * 64),
        ("x" * 70, "x" * 32 + " " + "x" * 32 + " " + "x" * 6),
    ],
)
def test_bounded_words(text: str, bounded: str) -> None:
    assert bounded_words(text) == bounded


def test_espeak_pieces_cut_after_sentences_and_cover_the_text() -> None:
    text = "The cat sat. " * 10 + "word " * 100 + "end.\nNext"
    pieces = list(espeak_pieces(text))
    assert pieces[0] == (0, 130, False)  # after the last sentence end among 48 words
    assert [p[2] for p in pieces] == [False, True, True, False]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert pieces[-1][1] == len(text)
