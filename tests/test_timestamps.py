from __future__ import annotations

import io
import itertools
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from edgetts import EdgeTTS
from edgetts.cli import main
from edgetts.timestamps import PhonemeTime, WordTime, phoneme_times, to_srt, to_vtt, word_times


def test_word_times_follow_the_durations() -> None:
    phonemes = list("ab cd.")
    # ids: BOS PAD, then each phoneme + PAD (2 ids), then EOS.
    durations = np.array([2, 1] + [1, 1] * len(phonemes) + [3], dtype=np.float32)
    words = word_times("Ab cd.", phonemes, [2] * len(phonemes), durations, 0.01)
    assert words == [WordTime("Ab", 0.03, 0.07), WordTime("cd.", 0.09, 0.13)]


def test_phoneme_times_follow_the_durations() -> None:
    # ids: BOS PAD (3 frames), "a" + PAD (1 + 1), "ˈ" unknown to the voice (no ids),
    # "b" + PAD (2 + 2), EOS.
    durations = np.array([2, 1, 1, 1, 2, 2, 5], dtype=np.float32)
    times = phoneme_times(["a", "ˈ", "b"], [2, 0, 2], durations, 0.5)
    assert times == [
        PhonemeTime("a", 1.5, 2.5),
        PhonemeTime("ˈ", 2.5, 2.5),
        PhonemeTime("b", 2.5, 4.5),
    ]
    assert times[2].shifted(1.0) == PhonemeTime("b", 3.5, 5.5)


def test_fused_words_share_their_spoken_word_by_letters() -> None:
    phonemes = list("ɔnðə kæt")  # espeak fuses "on the"
    durations = np.ones(3 + 2 * len(phonemes), dtype=np.float32)
    words = word_times("on the cat", phonemes, [2] * len(phonemes), durations, 0.1)
    # Frames: BOS PAD (2), then 2 per phoneme; ``ɔnðə`` is frames 2..10, "kæt" 12..18.
    expected = [("on", 0.2, 0.52), ("the", 0.52, 1.0), ("cat", 1.2, 1.8)]
    assert [(w.word, w.start, w.end) for w in words] == [
        (word, pytest.approx(start), pytest.approx(end)) for word, start, end in expected
    ]


def test_a_fusion_does_not_shift_the_words_after_it() -> None:
    text = "It is easy to tell the depth of a well."
    spoken = "ɪɾ ɪz ˈiːzi tə tˈɛl ðə dˈɛpθ əvə wˈɛl."
    phonemes = list(spoken)
    durations = np.ones(3 + 2 * len(phonemes), dtype=np.float32)
    words = word_times(text, phonemes, [2] * len(phonemes), durations, 1.0)
    assert [w.word for w in words] == text.split()
    starts = {w.word: w.start for w in words}
    # Each word that espeak-ng kept whole starts where its phonemes start.
    for word, sound in [("depth", "dˈɛpθ"), ("well.", "wˈɛl"), ("tell", "tˈɛl")]:
        assert starts[word] == 2 + 2 * spoken.index(sound)
    assert starts["of"] == 2 + 2 * spoken.index("əvə") < starts["a"] < starts["well."]


def test_unknown_phonemes_add_no_time() -> None:
    durations = np.array([0, 0, 4, 4, 0], dtype=np.float32)
    words = word_times("x y", ["x", "Ω"], [2, 0], durations, 1.0)
    # One spoken word for two text words: they share it by letters.
    assert words == [WordTime("x", 0.0, 4.0), WordTime("y", 4.0, 8.0)]


def test_subtitles() -> None:
    words = [WordTime("Hello", 0.5, 1.0), WordTime("world.", 1.1, 3661.25)]
    assert to_srt(words) == "1\n00:00:00,500 --> 01:01:01,250\nHello world.\n"
    assert to_vtt(words, max_words=1) == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nHello\n\n00:00:01.100 --> 01:01:01.250\nworld.\n"
    )


@pytest.mark.slow
def test_real_voice_words_are_ordered_and_inside_the_audio(joe_ort: EdgeTTS) -> None:
    audio = joe_ort.speak("Good morning. Turn left in 200 meters.", timestamps=True)
    assert [w.word for w in audio.words] == [
        "Good",
        "morning.",
        "Turn",
        "left",
        "in",
        "two",
        "hundred",
        "meters.",
    ]
    assert all(0 <= w.start < w.end <= audio.duration for w in audio.words)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(audio.words))
    # Phonemes: both sentences', in order, each word starting where one of its phonemes does.
    phonemes = audio.phonemes
    assert "".join(p.phoneme for p in phonemes) == "".join(
        "".join(s.phonemes) for s in joe_ort.phonemize("Good morning. Turn left in 200 meters.")
    )
    assert all(0 <= p.start <= p.end <= audio.duration for p in phonemes)
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(phonemes))
    starts = {round(p.start, 6) for p in phonemes}
    assert all(round(w.start, 6) in starts for w in audio.words)
    plain = joe_ort.speak("Good morning.", noise_scale=0, noise_w=0)
    timed = joe_ort.speak("Good morning.", noise_scale=0, noise_w=0, timestamps=True)
    np.testing.assert_array_equal(plain.samples, timed.samples)  # same audio either way


@pytest.mark.slow
def test_word_starts_agree_with_whisper(joe_ort: EdgeTTS) -> None:
    pytest.importorskip("faster_whisper")
    import difflib

    from edgetts.eval import normalize_for_wer
    from edgetts.eval.judges import WhisperJudge

    judge = WhisperJudge()
    errors = []
    for text in [
        "The quick brown fox jumps over the lazy dog.",
        "Please repeat the last instruction slowly.",
        "Open the window, and let the fresh air fill the room.",
    ]:
        audio = joe_ort.speak(text, noise_scale=0, noise_w=0, timestamps=True)
        ours = [(normalize_for_wer(w.word), w.start) for w in audio.words]
        heard = [(normalize_for_wer(w), s) for w, s, _ in judge.word_times(audio.samples, 22050)]
        matcher = difflib.SequenceMatcher(a=[w for w, _ in ours], b=[w for w, _ in heard])
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                errors.append(abs(ours[block.a + k][1] - heard[block.b + k][1]))
    assert len(errors) >= 20
    # Regression guard; bench/timestamps.py measures all 50 dev sentences.
    assert float(np.median(errors)) < 0.1


def test_cli_raw_pcm_streams_sentences(
    tiny_voice: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(sink))
    args = ["speak", "Hello.", "--raw", "-", "--voice", str(tiny_voice), "--backend", "onnxruntime"]
    assert main(args) == 0
    expected = EdgeTTS(tiny_voice, backend="onnxruntime").speak("Hello.").to_int16()
    assert np.array_equal(np.frombuffer(sink.getvalue(), dtype="<i2"), expected)
    assert main([*args, "--chunk-ms", "100"]) == 2  # in-sentence streaming needs a Piper graph
    assert "cannot be split for streaming" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_raw_pcm_to_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(sink))
    assert main(["speak", "Hello there.", "--raw", "-", "--backend", "onnxruntime"]) == 0
    pcm = np.frombuffer(sink.getvalue(), dtype="<i2")
    assert 0.5 < len(pcm) / 22050 < 3.0 and np.abs(pcm).max() > 1000


@pytest.mark.slow
def test_cli_raw_and_timestamps_with_the_real_voice(
    tmp_path: Path, capsys: pytest.CaptureFixture[bytes]
) -> None:
    raw, subtitles = tmp_path / "out.pcm", tmp_path / "out.srt"
    assert (
        main(
            [
                "speak",
                "Hello there. Bye now.",
                "--raw",
                str(raw),
                "--timestamps",
                str(subtitles),
                "--backend",
                "onnxruntime",
            ]
        )
        == 0
    )
    pcm = np.frombuffer(raw.read_bytes(), dtype="<i2")
    assert 0.8 < len(pcm) / 22050 < 4.0
    assert subtitles.read_text().startswith("1\n00:00:00,")
    json_path = tmp_path / "t.json"
    assert (
        main(
            [
                "speak",
                "Hi.",
                "-o",
                str(tmp_path / "a.wav"),
                "--timestamps",
                str(json_path),
                "--backend",
                "onnxruntime",
            ]
        )
        == 0
    )
    timings = json.loads(json_path.read_text(encoding="utf-8"))
    assert [w["word"] for w in timings["words"]] == ["Hi."]
    assert "".join(p["phoneme"] for p in timings["phonemes"]) == "hˈaɪ."
    assert timings["phonemes"][0]["start"] == timings["words"][0]["start"]
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert w.getframerate() == 22050


def test_cli_output_choice_and_timestamp_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["speak", "hi"]) == 2
    assert "give exactly one of -o/--output (WAV) and --raw" in capsys.readouterr().err
    out = tmp_path / "x.wav"
    assert main(["speak", "hi", "-o", str(out), "--timestamps", str(tmp_path / "t.txt")]) == 2
    assert "must end in .json, .srt or .vtt" in capsys.readouterr().err
    assert not out.exists()  # refused before any synthesis


@pytest.mark.parametrize("target", ["timestamps", "output"])
def test_cli_checks_every_target_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    missing = tmp_path / "no such folder"
    out = (missing if target == "output" else tmp_path) / "x.wav"
    stamps = (missing if target == "timestamps" else tmp_path) / "t.json"
    assert main(["speak", "hi", "-o", str(out), "--timestamps", str(stamps)]) == 2
    bad = stamps if target == "timestamps" else out
    assert f"cannot write {bad}: folder {missing} does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporaries
    folder = tmp_path / "t.json"
    folder.mkdir()
    assert main(["speak", "hi", "-o", str(tmp_path / "x.wav"), "--timestamps", str(folder)]) == 2
    assert f"cannot write {folder}: it is a folder" in capsys.readouterr().err
