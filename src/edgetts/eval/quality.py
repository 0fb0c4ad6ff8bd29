"""Apply the judges to the audio a benchmark run collected."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from .benchmark import EngineRun
from .fidelity import Fidelity, fidelity
from .judges import DnsmosJudge, WhisperJudge
from .metrics import ErrorCounts, aggregate_cer, aggregate_wer, bootstrap_difference, error_counts

__all__ = ["JUDGES", "check_judges", "judge_runs"]

JUDGES = ("wer", "dnsmos", "fidelity")
Tick = Callable[[], None]


def _mean_fidelity(values: Sequence[Fidelity]) -> dict[str, float] | None:
    if not values:
        return None  # no sentence produced audio on both sides
    return {key: statistics.fmean(v.to_dict()[key] for v in values) for key in values[0].to_dict()}


def _wer(
    runs: Sequence[EngineRun], sentences: Sequence[str], reference: EngineRun, tick: Tick
) -> dict[str, dict[str, Any]]:
    judge = WhisperJudge()
    counts: dict[str, list[ErrorCounts]] = {}
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        rate = run.engine.sample_rate
        transcripts = []
        for audio in run.audio:
            transcripts.append(judge.transcribe(audio, rate) if len(audio) else "")
            tick()
        counts[run.engine.name] = [
            error_counts(s, t) for s, t in zip(sentences, transcripts, strict=True)
        ]
        out[run.engine.name] = {
            "wer": aggregate_wer(counts[run.engine.name]),
            "cer": aggregate_cer(counts[run.engine.name]),
            "transcripts": transcripts,
            "sentence_wer": [c.wer for c in counts[run.engine.name]],
        }
    for run in runs:
        diff, low, high = bootstrap_difference(
            counts[run.engine.name], counts[reference.engine.name]
        )
        out[run.engine.name]["wer_vs_reference"] = {"difference": diff, "ci95": [low, high]}
    return out


def _dnsmos(runs: Sequence[EngineRun], tick: Tick) -> dict[str, dict[str, Any]]:
    judge = DnsmosJudge()
    out = {}
    for run in runs:
        scores = []
        for audio in run.audio:
            if len(audio):
                scores.append(judge.score(audio, run.engine.sample_rate).to_dict())
            tick()
        out[run.engine.name] = {
            "dnsmos": {k: statistics.fmean(s[k] for s in scores) for k in scores[0]}
            if scores
            else None,
            "sentence_dnsmos_ovrl": [s["ovrl"] for s in scores],
        }
    return out


def _fidelity(
    runs: Sequence[EngineRun], sentences: Sequence[str], reference: EngineRun, tick: Tick
) -> dict[str, dict[str, Any]]:
    engine = reference.engine
    rate = engine.sample_rate
    quiet_reference = [engine.deterministic(s) for s in sentences]
    # Yardstick: the reference voice against itself, two runs with default noise.
    rerun = [np.concatenate(list(engine.stream(s)) or [np.zeros(0, np.float32)]) for s in sentences]
    spread = [
        fidelity(a, b, rate)
        for a, b in zip(rerun, reference.audio, strict=True)
        if len(a) and len(b)
    ]
    out: dict[str, Any] = {"__spread__": _mean_fidelity(spread)}
    for run in runs:
        values = []
        for text, ref in zip(sentences, quiet_reference, strict=True):
            audio = run.engine.deterministic(text)
            if len(audio) and len(ref):
                values.append(fidelity(audio, ref, rate))
            tick()
        out[run.engine.name] = {"fidelity": _mean_fidelity(values)}
    return out


def check_judges(judges: Collection[str]) -> None:
    """Raise ``ValueError`` for a judge that is not one of :data:`JUDGES`."""
    unknown = sorted(set(judges) - set(JUDGES))
    if unknown:
        raise ValueError(f"unknown judges {unknown}; choose from {', '.join(JUDGES)} ('' for none)")


def judge_runs(
    runs: Sequence[EngineRun],
    sentences: Sequence[str],
    judges: Collection[str],
    reference: EngineRun,
    tick: Tick = lambda: None,
) -> tuple[dict[str, dict[str, Any]], dict[str, float] | None]:
    """Quality per engine name, and the reference's run-to-run fidelity spread."""
    check_judges(judges)
    quality: dict[str, dict[str, Any]] = {run.engine.name: {} for run in runs}
    spread = None
    parts = []
    if "wer" in judges:
        parts.append(_wer(runs, sentences, reference, tick))
    if "dnsmos" in judges:
        parts.append(_dnsmos(runs, tick))
    if "fidelity" in judges:
        result = _fidelity(runs, sentences, reference, tick)
        spread = result.pop("__spread__")
        parts.append(result)
    for part in parts:
        for name, values in part.items():
            quality[name].update(values)
    return quality, spread
