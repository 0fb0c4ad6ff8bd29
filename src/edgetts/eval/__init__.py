"""Evaluation: quality judges, metrics and the ``edgetts bench`` report (extra ``eval``)."""

from importlib.resources import files

from .fidelity import Fidelity, fidelity
from .metrics import ErrorCounts, aggregate_cer, aggregate_wer, bootstrap_difference, error_counts
from .textnorm import normalize_for_wer

__all__ = [
    "ErrorCounts",
    "Fidelity",
    "aggregate_cer",
    "aggregate_wer",
    "bootstrap_difference",
    "dev_sentences",
    "error_counts",
    "fidelity",
    "normalize_for_wer",
]


def dev_sentences() -> list[str]:
    """The development sentences shipped with edgetts (calibration and evaluation)."""
    text = (
        files(__name__).joinpath("data").joinpath("dev_sentences.txt").read_text(encoding="utf-8")
    )
    return [line for line in text.splitlines() if line.strip()]
