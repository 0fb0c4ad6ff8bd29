from __future__ import annotations

import itertools
import logging
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from generate_test_voice import SAMPLES_PER_ID

from edgetts import SUPPORTED_SAMPLE_RATES, Audio, EdgeTTS, SynthesisConfig


@pytest.fixture(scope="module")
def tiny(tiny_voice: Path) -> EdgeTTS:
    return EdgeTTS(tiny_voice, backend="onnxruntime")


def test_speak_returns_audio_of_predicted_length(tiny: EdgeTTS) -> None:
    (sentence,) = tiny.phonemize("Hello there.")
    audio = tiny.speak("Hello there.")
    assert isinstance(audio, Audio) and audio.sample_rate == 16000
    n_ids = 2 * len(sentence.phonemes) + 3
    assert audio.samples.shape == (n_ids * SAMPLES_PER_ID,)
    assert audio.samples.dtype == np.float32
    assert float(np.abs(audio.samples).max()) == pytest.approx(1.0)  # peak-normalised


def test_stream_yields_one_chunk_per_sentence(tiny: EdgeTTS) -> None:
    text = "One. Two? Three!"
    chunks = list(tiny.stream(text))
    assert len(chunks) == 3
    whole = tiny.speak(text)
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), whole.samples)


def test_fast_start_is_a_checked_streaming_option(tiny: EdgeTTS) -> None:
    with pytest.raises(TypeError, match="fast_start must be a bool, got str"):
        tiny.stream("First, then.", fast_start="yes", chunk_ms=100)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fast_start=True needs chunk_ms"):
        tiny.stream("First, then.", fast_start=True)


def test_stream_is_lazy_on_a_megabyte(tiny: EdgeTTS) -> None:
    text = "A short sentence to read. " * 40_000
    first_two = list(itertools.islice(tiny.stream(text), 2))
    assert len(first_two) == 2


def test_sentence_silence(tiny: EdgeTTS) -> None:
    plain = tiny.speak("One. Two.")
    spaced = tiny.speak("One. Two.", sentence_silence=0.5)
    assert len(spaced.samples) == len(plain.samples) + 8000


def test_chunks_say_which_text_they_speak_and_where_they_start(tiny: EdgeTTS) -> None:
    text = '<speak>One here. <break time="250ms"/> Two there. Three.</speak>'
    config = SynthesisConfig(sentence_silence=0.5)
    chunks = list(tiny.stream(text, syn_config=config))
    # A gap between sentences, none before the first or beside the break.
    assert [c.text for c in chunks] == ["One here.", "", "Two there.", "", "Three."]
    assert [c.duration for c in chunks if not c.text] == [0.25, 0.5]
    starts = np.cumsum([0] + [len(c.samples) for c in chunks[:-1]]) / 16000
    assert [c.offset for c in chunks] == list(starts)
    whole = tiny.speak(text, syn_config=config)
    np.testing.assert_array_equal(whole.samples, np.concatenate([c.samples for c in chunks]))
    assert whole.text == text and whole.offset == 0.0


def test_speed_changes_length_scale(tiny: EdgeTTS) -> None:
    # The tiny model multiplies by length_scale (1 / speed) before tanh: a slower
    # speed saturates more, so its mean level rises (its length is fixed).
    levels = [
        float(
            np.abs(
                tiny.speak("Hi.", syn_config=SynthesisConfig(speed=s, peak_normalize=False)).samples
            ).mean()
        )
        for s in (0.5, 1.0, 2.0)
    ]
    assert levels == sorted(levels, reverse=True) and levels[0] > 1.5 * levels[2]


@pytest.mark.slow
def test_speed_scales_the_real_voices_duration(joe_ort: EdgeTTS) -> None:
    text = "Turn left at the next corner, then keep right for two hundred meters."
    quiet = {"noise_scale": 0.0, "noise_w": 0.0}
    normal = joe_ort.speak(text, **quiet).duration
    ratios = [joe_ort.speak(text, speed=s, **quiet).duration / normal for s in (0.5, 2.0, 4.0)]
    # Each id's frames are rounded up (Piper's ceil), so lengths change by less than
    # the factor: measured 1.73, 0.61 and 0.50.
    assert 1.6 < ratios[0] <= 2.0 and 0.5 <= ratios[1] < 0.7 and 0.25 <= ratios[2] < ratios[1]


@pytest.mark.parametrize("rate", SUPPORTED_SAMPLE_RATES)
def test_sample_rates(tiny: EdgeTTS, rate: int) -> None:
    native = tiny.speak("Hello.")
    audio = tiny.speak("Hello.", sample_rate=rate)
    assert audio.sample_rate == rate
    assert audio.duration == pytest.approx(native.duration, abs=1 / rate)


def test_volume(tiny: EdgeTTS) -> None:
    assert float(np.abs(tiny.speak("Hello.", volume=0.25).samples).max()) == pytest.approx(0.25)


@pytest.mark.parametrize("text", [None, 3, b"bytes", ["a"]])
def test_non_str_text_is_a_type_error(tiny: EdgeTTS, text: object) -> None:
    with pytest.raises(TypeError, match=f"text must be a str, got {type(text).__name__}"):
        tiny.speak(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"text must be a str, got {type(text).__name__}"):
        tiny.stream(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_is_a_value_error(tiny: EdgeTTS, text: str) -> None:
    with pytest.raises(ValueError, match="text is empty or whitespace only"):
        tiny.speak(text)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"sample_rate": 12345},
            ValueError,
            r"sample_rate 12345 is not supported; use one of \[16000, 22050, 24000, 44100, 48000\]",
        ),
        ({"sample_rate": 16000.0}, TypeError, "sample_rate must be an int or None, got float"),
        ({"speed": 0}, ValueError, r"speed must be within \[0.1, 10.0\], got 0"),
        ({"speed": float("nan")}, ValueError, "speed must be within"),
        ({"speed": "fast"}, TypeError, "speed must be a number or None, got str"),
        ({"noise_scale": -1.0}, ValueError, r"noise_scale must be within \[0.0, 2.0\], got -1.0"),
        ({"noise_w": 9.0}, ValueError, "noise_w must be within"),
        ({"volume": -0.1}, ValueError, "volume must be within"),
        ({"speaker_id": "a"}, TypeError, "speaker_id must be an int or None, got str"),
        ({"sentence_silence": -1}, ValueError, "sentence_silence must be within"),
    ],
)
def test_bad_options(tiny: EdgeTTS, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        tiny.speak("Hello.", **kwargs)


def test_control_characters_are_dropped_and_emoji_read_by_name(tiny: EdgeTTS) -> None:
    text = "Hi\x00 there\x1b[31m 😀 \u202e done\x7f."
    (sentence,) = tiny.phonemize(text)
    assert sentence.phonemes == tiny.phonemize("Hi there grinning face done.")[0].phonemes
    ids = tiny._ids(sentence).shape[1]
    assert len(tiny.speak(text).samples) == ids * SAMPLES_PER_ID  # all of it spoken


def test_punctuation_only_text_is_refused_not_silent(tiny: EdgeTTS) -> None:
    with pytest.raises(ValueError, match=r"nothing to speak in '\.\.\.'"):
        tiny.speak("...")


def test_unknown_phonemes_are_logged_not_fatal(
    tiny: EdgeTTS, caplog: pytest.LogCaptureFixture
) -> None:
    sentence = tiny.phonemize("Hello.")[0]
    odd = type(sentence)(text="x", phonemes=(*sentence.phonemes, "Ω"))
    with caplog.at_level(logging.WARNING, logger="edgetts.tts"):
        audio = tiny.synthesize_sentence(odd, SynthesisConfig())
    assert "skipped unknown phonemes ('Ω',)" in caplog.text
    assert len(audio.samples) == tiny._ids(sentence).shape[1] * SAMPLES_PER_ID  # Ω: no ids


def test_multispeaker_speaker_id(tiny_multispeaker_voice: Path) -> None:
    tts = EdgeTTS(tiny_multispeaker_voice, backend="onnxruntime")
    a = tts.speak("Hello.", speaker_id=0, volume=1.0)
    b = tts.speak("Hello.", speaker_id=2)
    assert a.samples.shape == b.samples.shape and not np.allclose(a.samples, b.samples)


def test_repr(tiny: EdgeTTS) -> None:
    assert repr(tiny) == "EdgeTTS(voice='tiny', backend='onnxruntime', variant='fp32')"


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["joe_ort", "joe_openvino"])
def test_real_voice_speaks(fixture: str, request: pytest.FixtureRequest) -> None:
    tts: EdgeTTS = request.getfixturevalue(fixture)
    audio = tts.speak("The quick brown fox jumps over the lazy dog.", noise_scale=0, noise_w=0)
    assert audio.sample_rate == 22050
    assert 1.5 < audio.duration < 4.5
    # Speech, not silence or noise: loud frames alternate with quiet ones.
    frames = audio.samples[: len(audio.samples) // 256 * 256].reshape(-1, 256)
    energy = np.sqrt((frames**2).mean(axis=1))
    assert energy.max() > 0.1 and np.percentile(energy, 10) < 0.02


@pytest.mark.parametrize("text", ["\x00" * 10, "\u200b\u200b\u200b", "\x07\x1b"])
def test_input_with_nothing_to_speak_is_a_value_error(tiny: EdgeTTS, text: str) -> None:
    with pytest.raises(ValueError, match=r"nothing to speak in .*: it has no speakable characters"):
        tiny.speak(text)
    with pytest.raises(ValueError, match="nothing to speak"):
        list(tiny.stream(text))


def test_long_sentences_are_cut_into_bounded_model_calls() -> None:
    from edgetts.phonemize import Sentence

    words = [f"w{i}" for i in range(30)]
    phonemes = tuple(" ".join(["abc"] * 30))  # 30 words of 3 phonemes, spaces between
    pieces = Sentence(" ".join(words), phonemes).bounded(20)
    assert all(len(p.phonemes) <= 20 for p in pieces)
    assert sum((p.phonemes for p in pieces), ()) == phonemes  # nothing lost, nothing added
    assert all(p.phonemes[-1] == " " for p in pieces[:-1])  # cut after a word
    assert " ".join(p.text for p in pieces).split() == words
    unbroken = Sentence("x", tuple("a" * 45)).bounded(20)  # no word boundary: hard cuts
    assert [len(p.phonemes) for p in unbroken] == [20, 20, 5]
    assert Sentence("x", tuple("ab")).bounded(20) == (Sentence("x", tuple("ab")),)


def test_cut_pieces_carry_their_neighbours_words_as_context() -> None:
    from edgetts.phonemize import Sentence

    phonemes = tuple(" ".join(["abc"] * 30))
    pieces = Sentence(" ".join(["w"] * 30), phonemes).bounded(20, context=4)
    assert all(len(p.before) + len(p.phonemes) + len(p.after) <= 20 for p in pieces)
    assert sum((p.phonemes for p in pieces), ()) == phonemes  # the voiced parts: all, once
    assert pieces[0].before == () and pieces[-1].after == ()
    for left, right in itertools.pairwise(pieces):
        assert left.after == tuple("abc")  # the next whole word, never half of one
        assert right.before == tuple("abc ")
        assert left.phonemes[-len(right.before) :] == right.before
    unbroken = Sentence("x", tuple("a" * 45)).bounded(20, context=4)  # no words: raw context
    assert [(len(p.before), len(p.phonemes), len(p.after)) for p in unbroken] == [
        (0, 12, 4),
        (4, 12, 4),
        (4, 12, 4),
        (4, 9, 0),
    ]


def test_a_huge_phoneme_run_is_spoken_in_bounded_calls(
    tiny: EdgeTTS, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edgetts import tts as tts_module

    lengths: list[int] = []
    infer = tiny.backend.infer

    def spy(ids, scales, speaker_id):  # type: ignore[no-untyped-def]
        lengths.append(ids.shape[1])
        return infer(ids, scales, speaker_id)

    monkeypatch.setattr(tiny.backend, "infer", spy)
    ph = "ab " * 1700  # 5 100 phonemes in one <phoneme>
    audio = tiny.speak(f'<speak><phoneme alphabet="ipa" ph="{ph}">x</phoneme></speak>')
    limit = tts_module.MAX_CALL_PHONEMES
    assert len(lengths) >= -(-len(ph.strip()) // limit)  # at least 13 calls
    assert max(lengths) <= 2 * limit + 1  # Piper's ids: a pad after each phoneme, BOS
    assert len(audio.samples) == sum(lengths) * 8  # the tiny voice: 8 samples an id


def test_total_break_time_is_capped(tiny: EdgeTTS) -> None:
    hours = "<speak>" + '<break time="60s"/>' * 100 + "</speak>"
    with pytest.raises(ValueError, match=r"ask for 6000 s of silence; at most 600 s"):
        tiny.stream(hours)  # refused before any audio
    quiet = SynthesisConfig(max_break_seconds=6000.0, max_audio_seconds=6000.0)
    assert sum(c.duration for c in tiny.stream(hours, syn_config=quiet)) == 6000.0


def test_total_audio_is_capped(tiny: EdgeTTS) -> None:
    text = "One sentence here. " * 100  # 2.05 s with the test voice
    whole = tiny.speak(text).duration
    with pytest.raises(ValueError, match=r"more than 1 s of audio; raise .*max_audio_seconds"):
        tiny.speak(text, syn_config=SynthesisConfig(max_audio_seconds=1.0))
    assert SynthesisConfig().audio_limit(100) == 600.0  # ten minutes for short inputs
    assert SynthesisConfig().audio_limit(10_000) == 5000.0  # half a second per character
    assert tiny.speak(text, syn_config=SynthesisConfig(max_audio_seconds=whole)).duration == whole


def test_syn_config_is_the_keywords_in_one_object(tiny: EdgeTTS) -> None:
    text = "One. Two."
    keywords = tiny.speak(text, speed=2.0, volume=0.5, sentence_silence=0.25, sample_rate=22050)
    config = SynthesisConfig(speed=2.0, volume=0.5, sentence_silence=0.25, sample_rate=22050)
    together = tiny.speak(text, syn_config=config)
    np.testing.assert_array_equal(together.samples, keywords.samples)
    assert together.sample_rate == 22050
    with pytest.raises(TypeError, match=r"pass \['speed'\] inside syn_config, not beside it"):
        tiny.speak(text, syn_config=config, speed=1.5)
    with pytest.raises(TypeError, match="syn_config must be a SynthesisConfig, got dict"):
        tiny.stream(text, syn_config={"speed": 2.0})  # type: ignore[arg-type]


def test_phonemize_reads_ssml_markup_as_markup(tiny: EdgeTTS) -> None:
    marked = tiny.phonemize('<speak>Hello <break time="1s"/> world.</speak>')
    assert [s.ipa for s in marked] == [s.ipa for s in tiny.phonemize("Hello")] + [
        s.ipa for s in tiny.phonemize("world.")
    ]
    (given,) = tiny.phonemize('<speak><phoneme alphabet="ipa" ph="həlˈoʊ">x</phoneme></speak>')
    assert given.ipa == unicodedata.normalize("NFD", "həlˈoʊ")
    assert "spˈiːk" not in "".join(s.ipa for s in tiny.phonemize("<speak>Hi.</speak>", ssml=True))
