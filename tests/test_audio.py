from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from edgetts import Audio
from edgetts.audio import (
    peak_gain,
    resample,
    resampled_length,
    scale,
    silence,
    to_int16,
)
from edgetts.wav import WavWriter, write_wav

RNG = np.random.default_rng(7)


def noise(n: int = 4000, scale: float = 0.5) -> np.ndarray:
    return (RNG.standard_normal(n) * scale).astype(np.float32)


def test_to_int16_rounds_and_clips() -> None:
    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 1.7, -3.0, 1e-5], dtype=np.float32)
    assert to_int16(x).tolist() == [0, 16384, -16384, 32767, -32767, 32767, -32768, 0]


def test_to_int16_matches_numpy_reference() -> None:
    x = noise(10_000, 0.8)
    expected = np.clip(np.rint(x * np.float32(32767)), -32768, 32767).astype(np.int16)
    np.testing.assert_array_equal(to_int16(x), expected)


def test_to_int16_rounds_half_to_even_and_zeroes_nan() -> None:
    x = np.array([np.nan, 2.5, 3.5, -1.5, np.inf, -np.inf], dtype=np.float32) / np.float32(32767)
    assert to_int16(x).tolist() == [0, 2, 4, -2, 32767, -32768]


def test_to_int16_writes_into_out() -> None:
    x = noise(100)
    out = np.empty(100, dtype=np.int16)
    assert to_int16(x, out=out) is out


def test_tpdf_dither_is_small_zero_mean_and_seeded() -> None:
    x = np.full(200_000, 0.25, dtype=np.float32)
    plain = to_int16(x).astype(np.int32)
    dithered = to_int16(x, dither=True, seed=3).astype(np.int32)
    error = dithered - plain
    assert set(np.unique(error)) <= {-2, -1, 0, 1, 2}
    # Dither makes the average equal the exact value rounding lost (8191.75).
    assert plain[0] == 8192
    assert abs(dithered.mean() - 0.25 * 32767) < 0.02
    assert 0.1 < error.std() < 1.0
    np.testing.assert_array_equal(dithered, to_int16(x, dither=True, seed=3))
    assert not np.array_equal(dithered, to_int16(x, dither=True, seed=4))


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros(4, np.float64), TypeError, "samples must be float32, got float64"),
        (np.zeros((2, 2), np.float32), ValueError, r"samples must be 1-D, got shape \(2, 2\)"),
        ([0.0], TypeError, "samples must be a numpy array, got list"),
    ],
)
def test_kernels_reject_wrong_input(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        to_int16(bad)  # type: ignore[arg-type]


def test_out_buffer_is_checked() -> None:
    with pytest.raises(ValueError, match=r"out must be a int16 array of shape \(5,\), got float32"):
        to_int16(np.zeros(5, np.float32), out=np.zeros(5, np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out must be C-contiguous and writeable"):
        scale(np.zeros(5, np.float32), out=np.zeros(10, np.float32)[::2])


def test_non_contiguous_input_is_accepted() -> None:
    x = noise(200)
    np.testing.assert_array_equal(to_int16(x[::2]), to_int16(x[::2].copy()))


def test_scale_to_peak_and_volume_in_place() -> None:
    x = noise(1000, 0.1)
    peak = float(np.abs(x).max())
    expected = x / peak * 0.5
    assert peak_gain(x, 0.5) == pytest.approx(0.5 / peak)
    result = scale(x, peak_gain(x, 0.5), out=x)
    assert result is x
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    assert float(np.abs(result).max()) == pytest.approx(0.5)


def test_scale_keeps_silence_and_clips() -> None:
    assert peak_gain(np.zeros(10, np.float32)) == 0.0  # silence stays silence
    loud = scale(np.array([0.5, -0.9], np.float32), 2.0)
    assert loud.tolist() == [1.0, -1.0]


@pytest.mark.parametrize("to_rate", [16000, 24000, 44100, 48000, 8000])
def test_resample_matches_scipy(to_rate: int) -> None:
    signal = pytest.importorskip("scipy.signal")
    x = noise(22050 // 4)
    ours = resample(x, 22050, to_rate)
    ref = signal.resample_poly(x.astype(np.float64), to_rate, 22050)
    assert ours.shape == ref.shape == (resampled_length(len(x), 22050, to_rate),)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_resample_identity_and_validation() -> None:
    x = noise(50)
    np.testing.assert_array_equal(resample(x, 16000, 16000), x)
    with pytest.raises(ValueError, match="to_rate must be at least 1, got 0"):
        resample(x, 16000, 0)


def test_resampled_tone_keeps_its_frequency() -> None:
    t = np.arange(22050) / 22050
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    y = resample(tone, 22050, 48000)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) * 48000 / len(y) == pytest.approx(440, abs=1)


def test_silence_length() -> None:
    assert silence(0.25, 16000).shape == (4000,)


def test_wav_pcm16_round_trip(tmp_path: Path) -> None:
    x = noise(1234, 0.3)
    path = Audio(x, 22050).save(tmp_path / "a.wav")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (22050, 1, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    np.testing.assert_array_equal(data, to_int16(x))
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_wav_float32_round_trip(tmp_path: Path) -> None:
    x = np.clip(noise(777), -1, 1)
    path = write_wav(tmp_path / "f.wav", [x[:300], x[300:]], 24000, sample_format="float32")
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[20:22] == (3).to_bytes(2, "little")
    np.testing.assert_array_equal(np.frombuffer(raw[44:], "<f4"), x)
    assert int.from_bytes(raw[40:44], "little") == x.nbytes


def test_float32_wav_is_clipped_and_nan_free(tmp_path: Path) -> None:
    x = np.array([0.5, 1.5, np.nan, -2.0], dtype=np.float32)
    path = write_wav(tmp_path / "c.wav", [x], 8000, sample_format="float32")
    assert np.frombuffer(path.read_bytes()[44:], "<f4").tolist() == [0.5, 1.0, 0.0, -1.0]


def test_failed_write_keeps_the_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.wav"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError, match="boom"), WavWriter(target, 16000) as writer:
        writer.write(noise(100))
        raise RuntimeError("boom")
    assert target.read_bytes() == b"precious"
    assert list(tmp_path.iterdir()) == [target]


def test_wav_rejects_bad_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sample_format 'mp3' is not supported"):
        Audio(noise(10), 16000).save(tmp_path / "x.wav", sample_format="mp3")
    assert list(tmp_path.iterdir()) == []


def test_audio_duration_and_int16() -> None:
    audio = Audio(np.zeros(11025, np.float32), 22050)
    assert audio.duration == 0.5
    assert audio.to_int16().dtype == np.int16


def test_peak_gain_ignores_nan_and_scale_zeroes_it() -> None:
    x = np.array([0.5, np.nan, -0.7, 0.35], dtype=np.float32)
    np.testing.assert_allclose(scale(x, peak_gain(x)), [0.5 / 0.7, 0.0, -1.0, 0.5], rtol=1e-6)


def test_temporaries_of_dead_writers_are_swept_not_those_of_live_ones(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up: the next write to the same target removes what it left."""
    import subprocess
    import sys

    from edgetts.files import write_atomic

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    target = tmp_path / "a.wav"
    left = tmp_path / f".a.wav.{dead.stdout.strip()}-0badf00d.tmp"
    mine = tmp_path / f".a.wav.{os.getpid()}-0badf00d.tmp"  # a write still under way
    other = tmp_path / f".b.wav.{dead.stdout.strip()}-0badf00d.tmp"  # another target's
    for path in (left, mine, other):
        path.write_bytes(b"partial")
    write_atomic(target, b"done")
    assert target.read_bytes() == b"done"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, mine.name, other.name]
    )
