from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from edgetts import EdgeTTS
from edgetts.ssml import Segment, is_ssml, parse_ssml


def test_breaks_prosody_sub_and_phoneme() -> None:
    segments = parse_ssml(
        '<speak>Hello <break time="300ms"/> world. '
        '<prosody rate="slow">Slow <sub alias="World Wide Web">WWW</sub></prosody> '
        '<phoneme alphabet="ipa" ph="təmˈɑːtoʊ">tomato</phoneme></speak>'
    )
    assert segments == [
        Segment("text", "Hello"),
        Segment("break", seconds=0.3),
        Segment("text", "world."),
        Segment("text", "Slow  World Wide Web", rate=0.75),
        Segment("phonemes", "təmˈɑːtoʊ"),
    ]


@pytest.mark.parametrize(
    ("kind", "inner", "spoken"),
    [
        ("characters", "FBI", "ef bee eye"),
        ("characters", "A4", "eh four"),
        ("cardinal", "1,234", "one thousand two hundred thirty four"),
        ("ordinal", "22", "twenty second"),
        ("telephone", "555-0199", "five five five, zero one nine nine"),
        ("date", "12/25/2024", "December twenty fifth, twenty twenty four"),
    ],
)
def test_say_as(kind: str, inner: str, spoken: str) -> None:
    (segment,) = parse_ssml(f'<speak><say-as interpret-as="{kind}">{inner}</say-as></speak>')
    assert segment == Segment("text", spoken)


@pytest.mark.parametrize(
    ("attrs", "seconds"),
    [('time="1.5s"', 1.5), ('time="250 ms"', 0.25), ('strength="strong"', 0.75), ("", 0.5)],
)
def test_break_durations(attrs: str, seconds: float) -> None:
    (segment,) = parse_ssml(f"<speak><break {attrs}/></speak>")
    assert segment == Segment("break", seconds=seconds)


@pytest.mark.parametrize(("rate", "factor"), [("x-fast", 1.5), ("90%", 0.9), ("1.2", 1.2)])
def test_prosody_rates_nest(rate: str, factor: float) -> None:
    (segment,) = parse_ssml(
        f'<speak><prosody rate="{rate}"><prosody rate="slow">x</prosody></prosody></speak>'
    )
    assert segment.rate == pytest.approx(factor * 0.75)


def test_paragraphs_and_sentences_are_boundaries() -> None:
    segments = parse_ssml("<speak><p><s>One</s><s>Two</s></p><p>Three</p></speak>")
    assert [s.text for s in segments] == ["One", "Two", "Three"]


def test_unknown_tags_are_spoken_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="edgetts.ssml"):
        segments = parse_ssml("<speak>a <emphasis>b</emphasis> c</speak>")
    assert segments == [Segment("text", "a b c")]
    assert "ignoring unsupported SSML tag <emphasis>" in caplog.text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<speak>unclosed", "malformed SSML at line 1, column 16: no element found"),
        ("<speak>\n<break></speak>", r"malformed SSML at line 2, column 10: mismatched tag"),
        ("<p>hi</p>", "the SSML root element must be <speak>, got <p>"),
        ('<speak><break time="soon"/></speak>', "use a duration such as '300ms'"),
        ('<speak><break time="99s"/></speak>', "longer than 60 s"),
        ('<speak><break strength="huge"/></speak>', "break strength='huge'"),
        ('<speak><prosody rate="warp">x</prosody></speak>', "prosody rate='warp'"),
        ('<speak><say-as interpret-as="cardinal">many</say-as></speak>', "needs a whole number"),
        ('<speak><say-as interpret-as="spell">x</say-as></speak>', "'spell'> is not supported"),
        ("<speak><say-as>x</say-as></speak>", "needs an interpret-as attribute"),
        ('<speak><phoneme alphabet="x-sampa" ph="a">a</phoneme></speak>', "use 'ipa'"),
        ("<speak><phoneme>a</phoneme></speak>", "needs a non-empty ph attribute"),
        ("<speak><sub>a</sub></speak>", "needs an alias attribute"),
    ],
)
def test_malformed_ssml_is_a_value_error_with_position(document: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ssml(document)


def test_entities_are_never_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><speak>&b;</speak>'
    )
    with pytest.raises(ValueError, match="must not contain a DTD or entity declarations"):
        parse_ssml(bomb)
    with pytest.raises(ValueError, match="undefined entity"):
        parse_ssml("<speak>&undefined;</speak>")


def test_predefined_entities_still_work() -> None:
    assert parse_ssml("<speak>salt &amp; pepper</speak>") == [Segment("text", "salt & pepper")]


def test_is_ssml() -> None:
    assert is_ssml("  <speak>x</speak>")
    assert not is_ssml("I <speak> softly")


@pytest.fixture(scope="module")
def tiny(tiny_voice: Path) -> EdgeTTS:
    return EdgeTTS(tiny_voice, backend="onnxruntime")


def test_engine_renders_breaks_as_silence(tiny: EdgeTTS) -> None:
    chunks = list(tiny.stream('<speak>Hello. <break time="250ms"/> Bye.</speak>'))
    assert len(chunks) == 3
    assert chunks[1].samples.shape == (4000,) and not chunks[1].samples.any()


def test_engine_applies_prosody_rate(tiny: EdgeTTS) -> None:
    # The tiny model multiplies by length_scale, so the rate shows in the samples.
    plain = tiny.speak("<speak>Hello.</speak>").samples
    slow = tiny.speak('<speak><prosody rate="50%">Hello.</prosody></speak>').samples
    after = tiny.speak('<speak><prosody rate="50%">Hi.</prosody> Hello.</speak>', volume=1.0)
    assert not np.allclose(plain, slow)
    np.testing.assert_array_equal(after.samples[-len(plain) :], plain)  # rate does not leak


def test_engine_speaks_phoneme_overrides(tiny: EdgeTTS) -> None:
    audio = tiny.speak('<speak><phoneme alphabet="ipa" ph="həlˈoʊ">x</phoneme></speak>')
    assert len(audio.samples) == (2 * len("həlˈoʊ") + 3) * 8


def test_ssml_flag_overrides_detection(tiny: EdgeTTS) -> None:
    with pytest.raises(ValueError, match="root element must be <speak>"):
        tiny.speak("<p>x</p>", ssml=True)
    assert tiny.speak("<speak>x</speak>", ssml=False).duration > 0  # read as text


def test_prosody_beyond_the_speed_range_fails_before_any_audio(tiny: EdgeTTS) -> None:
    with pytest.raises(ValueError, match=r"speed must be within \[0.1, 10.0\]"):
        tiny.stream('<speak>a <prosody rate="x-slow">b</prosody></speak>', speed=0.15)


def test_malformed_ssml_fails_before_any_audio(tiny: EdgeTTS) -> None:
    with pytest.raises(ValueError, match="malformed SSML"):
        tiny.stream("<speak>Hello")


def test_say_as_numbers_have_a_length_limit() -> None:
    with pytest.raises(ValueError, match="reads numbers of up to 4000 digits, got 4001"):
        parse_ssml(f'<speak><say-as interpret-as="cardinal">{"7" * 4001}</say-as></speak>')
    (segment,) = parse_ssml(f'<speak><say-as interpret-as="ordinal">{"7" * 4000}</say-as></speak>')
    assert segment.text.endswith(" seventh")
