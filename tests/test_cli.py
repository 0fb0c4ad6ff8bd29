from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from edgetts import EdgeTTS
from edgetts.cli import main


def test_speak_from_argument(
    tiny_voice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.wav"
    assert (
        main(
            [
                "speak",
                "Hello there.",
                "-o",
                str(out),
                "--voice",
                str(tiny_voice),
                "--backend",
                "onnxruntime",
            ]
        )
        == 0
    )
    expected = EdgeTTS(tiny_voice, backend="onnxruntime").speak("Hello there.").samples
    with wave.open(str(out)) as w:
        assert w.getframerate() == 16000 and w.getnframes() == len(expected)
    seconds = len(expected) / 16000
    assert capsys.readouterr().err == (
        f"wrote {seconds:.2f} s of audio to {out} (fp32 on onnxruntime, 16000 Hz)\n"
    )


def test_speak_from_stdin_with_resampling(
    tiny_voice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("From standard input. Two sentences."))
    out = tmp_path / "b.wav"
    args = ["speak", "-", "-o", str(out), "--voice", str(tiny_voice), "--sample-rate", "48000"]
    assert main(args) == 0
    native = EdgeTTS(tiny_voice).speak("From standard input. Two sentences.").samples
    with wave.open(str(out)) as w:
        assert w.getframerate() == 48000 and w.getnframes() == 3 * len(native)


def test_float32_output(tiny_voice: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.wav"
    assert (
        main(["speak", "Hi.", "-o", str(out), "--voice", str(tiny_voice), "--format", "float32"])
        == 0
    )
    assert out.read_bytes()[20:22] == b"\x03\x00"


def test_errors_exit_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.wav"
    assert main(["speak", "  ", "-o", str(out)]) == 2
    assert "edgetts: error: text is empty or whitespace only" in capsys.readouterr().err
    assert main(["speak", "hi", "-o", str(out), "--backend", "nope"]) == 2
    assert "unknown backend 'nope'" in capsys.readouterr().err
    assert main(["speak", "hi", "-o", str(out), "--voice", "nobody"]) == 2
    assert "no installed voice named 'nobody'" in capsys.readouterr().err
    assert main(["speak", "First, then.", "-o", str(out), "--fast-start"]) == 2
    assert "fast_start=True needs chunk_ms" in capsys.readouterr().err
    assert not out.exists()


def test_unwritable_output_keeps_nothing(
    tiny_voice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing_dir" / "x.wav"
    assert main(["speak", "hi", "-o", str(out), "--voice", str(tiny_voice)]) == 2
    assert f"folder {out.parent} does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_voices_and_phonemize(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voices"]) == 0
    assert "en_US-joe-medium\t" in capsys.readouterr().out
    assert main(["phonemize", "Hello, world. Bye!"]) == 0
    assert capsys.readouterr().out == "həlˈoʊ, wˈɜːld.\nbˈaɪ!\n"
    assert main(["backends"]) == 0
    assert "onnxruntime" in capsys.readouterr().out.split()
