from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edgetts.eval import (
    ErrorCounts,
    aggregate_wer,
    bootstrap_difference,
    dev_sentences,
    error_counts,
    fidelity,
    normalize_for_wer,
)
from edgetts.eval.metrics import edit_distance
from edgetts.numwords import cardinal, ordinal

NORMALIZER_GOLDEN = [
    ("It costs $12.50, including tax.", "it costs twelve dollars fifty cents including tax"),
    (
        "It costs twelve dollars and fifty cents, including tax",
        "it costs twelve dollars fifty cents including tax",
    ),
    (
        "Mr. and Mrs. Jones arrived at 7:30 p.m.",
        "mister and missus jones arrived at seven thirty pm",
    ),
    ("Dr. Smith lives on Elm St. near the park.", "doctor smith lives on elm street near the park"),
    (
        "The population grew by 3.5% in 2023.",
        "the population grew by three point five percent in two thousand twenty three",
    ),
    ("Room 101 is on the 1st floor.", "room one hundred one is on the first floor"),
    ("I need 1,000 copies by Friday.", "i need one thousand copies by friday"),
    (
        "Call me at 555 0199 after 6 o'clock.",
        "call me at five hundred fifty five zero one nine nine after six oclock",
    ),
    ("The firmware version is 2.4.1.", "the firmware version is two point four point one"),
    ("It's 10:05 — and £3 or €1.01!", "its ten oh five and three pounds or one euro one cent"),
    ("Chapter 22nd, “quoted”", "chapter twenty second quoted"),
    ("one hundred and five", "one hundred five"),
    ("rock and roll", "rock and roll"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZER_GOLDEN, ids=lambda v: str(v)[:25])
def test_normalizer_golden(text: str, expected: str) -> None:
    assert normalize_for_wer(text) == expected


def test_number_words() -> None:
    assert cardinal(0) == "zero"
    assert cardinal(2_500_013) == "two million five hundred thousand thirteen"
    assert cardinal(-40) == "minus forty"
    assert [ordinal(n) for n in (1, 2, 3, 12, 20, 101)] == [
        "first",
        "second",
        "third",
        "twelfth",
        "twentieth",
        "one hundred first",
    ]


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a"]) == 1
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1


def test_wer_and_cer_after_normalization() -> None:
    counts = error_counts("It costs $12.50.", "it cost twelve dollars and fifty cents")
    assert (counts.word_edits, counts.words) == (1, 6)
    assert counts.wer == pytest.approx(1 / 6)
    assert counts.char_edits == 1
    assert error_counts("Hello, world!", "hello world").wer == 0.0


def test_corpus_wer_is_total_edits_over_total_words() -> None:
    counts = [ErrorCounts(1, 10, 0, 1), ErrorCounts(1, 2, 0, 1)]
    assert aggregate_wer(counts) == pytest.approx(2 / 12)


def test_bootstrap_interval_contains_difference_and_is_zero_for_equal() -> None:
    base = [ErrorCounts(i % 2, 10, 0, 1) for i in range(40)]
    worse = [ErrorCounts(c.word_edits + (i % 4 == 0), 10, 0, 1) for i, c in enumerate(base)]
    diff, low, high = bootstrap_difference(worse, base)
    assert diff == pytest.approx(10 / 400)
    assert 0 < low <= diff <= high
    assert bootstrap_difference(base, base) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="need the same non-zero number of sentences, got 1 and 2"):
        bootstrap_difference(base[:1], base[:2])


def _tone(seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.4 * envelope * np.sin(2 * np.pi * 220 * t + 3 * np.sin(2 * np.pi * 5 * t))).astype(
        np.float32
    )


def test_fidelity_of_identical_audio_is_zero() -> None:
    x = _tone()
    result = fidelity(x, x, 16000)
    assert (result.mcd_db, result.lsd_db, result.duration_ratio) == (0.0, 0.0, 1.0)


def test_fidelity_orders_known_distortions() -> None:
    x = _tone()
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(len(x)).astype(np.float32)
    power = float((x**2).mean())
    mcd = []
    for snr_db in (40, 20, 5):
        scaled = noise * np.float32(np.sqrt(power / 10 ** (snr_db / 10)))
        mcd.append(fidelity((x + scaled).astype(np.float32), x, 16000).mcd_db)
    assert 0 < mcd[0] < mcd[1] < mcd[2]


def test_dtw_absorbs_a_time_stretch() -> None:
    x = _tone(1.0)
    stretched = np.interp(np.linspace(0, len(x) - 1, int(len(x) * 1.1)), np.arange(len(x)), x)
    stretched = stretched.astype(np.float32)
    aligned = fidelity(stretched, x, 16000)
    assert aligned.duration_ratio == pytest.approx(1.1, abs=1e-3)
    noisy = (x + 0.05 * np.random.default_rng(1).standard_normal(len(x))).astype(np.float32)
    assert aligned.mcd_db < fidelity(noisy, x, 16000).mcd_db


def test_fidelity_rejects_empty_audio() -> None:
    with pytest.raises(ValueError, match="fidelity needs non-empty audio on both sides"):
        fidelity(np.zeros(0, np.float32), _tone(), 16000)


def test_shipped_dev_sentences() -> None:
    sentences = dev_sentences()
    assert len(sentences) == 50
    assert sentences[0] == "The birch canoe slid on the smooth planks."


def test_bench_json_schema(tiny_voice: Path, tmp_path: Path) -> None:
    from edgetts.eval.report import run_bench, to_markdown, write_outputs

    payload = run_bench(
        ["Hello there.", "A second sentence, longer than the first.", "Third."],
        voice=tiny_voice,
        backends=["onnxruntime"],
        judges=["fidelity"],
        include_peer=False,
    )
    paths = write_outputs(
        payload,
        json_path=tmp_path / "b.json",
        markdown_path=tmp_path / "b.md",
        plots_dir=tmp_path / "plots",
    )
    loaded = json.loads((tmp_path / "b.json").read_text())
    assert loaded["schema_version"] == 1
    assert loaded["reference"] == "fp32/onnxruntime"
    assert {"cpu", "usable_cores", "gpu", "versions", "git_commit", "peak_rss_mb"} <= set(
        loaded["system"]
    )
    (record,) = loaded["records"]
    for key in (
        "model_mb",
        "load_s",
        "rss_added_mb",
        "latency_median_s",
        "latency_p90_s",
        "rtf",
        "first_audio_median_s",
        "sentence_latency_s",
        "fidelity",
    ):
        assert key in record, key
    assert record["vs_peer"] is None
    assert record["fidelity"]["mcd_db"] == pytest.approx(0.0, abs=1e-9)
    assert len(record["sentence_latency_s"]) == 3
    assert "| fp32/onnxruntime |" in to_markdown(loaded)
    assert {p.name for p in paths} >= {"b.json", "b.md", "latency_vs_length.png"}


def test_bench_rejects_unknown_variant_and_judge(tiny_voice: Path) -> None:
    from edgetts.eval.report import run_bench

    with pytest.raises(
        ValueError, match=r"unknown variants \['int3'\]; the model store has \['fp32'\]"
    ):
        run_bench(["Hi."], voice=tiny_voice, variants=["int3"], include_peer=False)
    with pytest.raises(ValueError, match=r"unknown judges \['vibes'\]"):
        run_bench(
            ["Hi."],
            voice=tiny_voice,
            backends=["onnxruntime"],
            judges=["vibes"],
            include_peer=False,
        )


@pytest.mark.slow
def test_whisper_judge_understands_the_voice(joe_ort) -> None:  # type: ignore[no-untyped-def]
    judges = pytest.importorskip("edgetts.eval.judges")
    pytest.importorskip("faster_whisper")
    judge = judges.WhisperJudge()
    text = "The quick brown fox jumps over the lazy dog."
    audio = joe_ort.speak(text, noise_scale=0, noise_w=0)
    first = judge.transcribe(audio.samples, audio.sample_rate)
    assert error_counts(text, first).wer == 0.0
    assert judge.transcribe(audio.samples, audio.sample_rate) == first  # repeatable


@pytest.mark.slow
def test_dnsmos_is_repeatable_and_prefers_speech_to_noise(joe_ort) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("speechmos")
    from edgetts.eval.judges import DnsmosJudge

    judge = DnsmosJudge()
    audio = joe_ort.speak("Please repeat the last instruction slowly.", noise_scale=0, noise_w=0)
    speech = judge.score(audio.samples, audio.sample_rate)
    assert judge.score(audio.samples, audio.sample_rate) == speech
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, len(audio.samples)).astype(np.float32)
    assert judge.score(noise, audio.sample_rate).ovrl < speech.ovrl - 1.0


def test_a_missing_judge_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from edgetts import ExtraNotInstalledError
    from edgetts.eval.judges import WhisperJudge

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import now fails
    with pytest.raises(
        ExtraNotInstalledError,
        match=r"faster-whisper is not installed: pip install 'edgetts\[eval\]'",
    ):
        WhisperJudge()


def test_every_timed_call_starts_after_the_settling_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgetts.eval import benchmark

    events: list[str] = []

    def engine(name: str) -> benchmark.Engine:
        def stream(text: str) -> list[np.ndarray]:
            events.append(f"{name}:{text}")
            return [np.zeros(4, np.float32)]

        return benchmark.Engine(name, "fp32", name, 16000, 1, stream, lambda text: np.zeros(4))

    monkeypatch.setattr(benchmark.time, "sleep", lambda s: events.append(f"sleep {s}"))
    runs = benchmark.run_interleaved([engine("a"), engine("b")], ["x", "y"], warmup=1)
    timed = events[2:]  # after one warm-up call each, which is not timed
    assert timed == [
        f"sleep {benchmark.SETTLE_S}",
        "a:x",
        f"sleep {benchmark.SETTLE_S}",
        "b:x",
        f"sleep {benchmark.SETTLE_S}",
        "b:y",
        f"sleep {benchmark.SETTLE_S}",
        "a:y",
    ]
    assert benchmark.SETTLE_S > 0 and [len(r.latencies) for r in runs] == [2, 2]
