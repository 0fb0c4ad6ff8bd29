"""The command lines' defaults are the API's, in the spirit of python-soundfile's
``tests/test_argspec.py``: a default changed on one side only fails here.

The training settings' one source is :mod:`edgetts.train.settings`; a flag named
after a field takes that field's default, and a flag named after a parameter of
the function the command calls takes that parameter's default.
"""

from __future__ import annotations

import argparse
import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

import pytest

from edgetts.cli import _parser as edgetts_parser
from edgetts.cli import main as edgetts_main
from edgetts.optimize.cli import CHECK_SENTENCES, field_flags
from edgetts.optimize.compose import FAST, build_fast_variant
from edgetts.optimize.ptq import build_ptq
from edgetts.optimize.student import (
    DEFAULT_WIDTHS,
    METHODS,
    build_student_variant,
    default_name,
    student_settings,
)
from edgetts.train.cli import GPU_BATCH, PACKED_DRAWS
from edgetts.train.cli import _parser as train_parser
from edgetts.train.cli import main as train_main
from edgetts.train.settings import FlowPriorSettings, TrainSettings

TRAIN = asdict(TrainSettings())
GRAPHS = asdict(FlowPriorSettings())
#: What the command lines add of their own: how a build is stored and reported.
CLI_ONLY = {"command", "method", "func", "verbose", "force", "check", "json", "stop_rule"}
#: TrainSettings fields no flag sets: the API's alone.
API_ONLY = {"segment_frames", "scale_learning_rate", "checkpoint_every", "seed", "quantize"}


def _signature_defaults(function: Callable[..., Any]) -> dict[str, Any]:
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _parsed(parser: argparse.ArgumentParser, *argv: str) -> dict[str, Any]:
    return vars(parser.parse_args(argv))


@pytest.mark.parametrize("method", sorted(METHODS))
def test_student_commands_default_to_the_settings(method: str) -> None:
    parsed = _parsed(train_parser(), method)
    namespace = argparse.Namespace(**parsed)
    assert student_settings(method, **field_flags(TrainSettings, namespace)) == student_settings(
        method
    )
    assert FlowPriorSettings(**field_flags(FlowPriorSettings, namespace)) == FlowPriorSettings()
    assert student_settings(method).widths == DEFAULT_WIDTHS[method]
    shapes = {"widths", "istft_stages"} if method == "qat" else set()  # qat keeps the voice's
    assert TRAIN.keys() & parsed.keys() == TRAIN.keys() - API_ONLY - shapes
    assert GRAPHS.keys() & parsed.keys() == (set() if method == "qat" else GRAPHS.keys())
    signature = _signature_defaults(build_student_variant)
    called = (signature.keys() & parsed.keys()) - TRAIN.keys()  # eval_sentences: a count here
    assert called == {"voice", "device", "resume", "calibration", "name"}
    assert parsed["name"] == default_name(method) and signature["name"] is None  # None: the same
    assert {k: parsed[k] for k in called - {"name"}} == {k: signature[k] for k in called - {"name"}}
    assert parsed.keys() - TRAIN.keys() - GRAPHS.keys() - called <= CLI_ONLY
    assert parsed["check"] == CHECK_SENTENCES


def test_fast_and_ptq_default_to_their_functions() -> None:
    fast = _parsed(edgetts_parser(), "optimize", "fast")
    assert FlowPriorSettings(**field_flags(FlowPriorSettings, argparse.Namespace(**fast))) == FAST
    assert fast["eval_sentences"] == TrainSettings.eval_sentences
    signature = _signature_defaults(build_fast_variant)
    called = (signature.keys() & fast.keys()) - {"eval_sentences"}
    assert called == {"voice", "calibration", "name"}
    assert {k: fast[k] for k in called} == {k: signature[k] for k in called}
    assert fast.keys() - GRAPHS.keys() - called - {"eval_sentences"} <= CLI_ONLY
    ptq = _parsed(edgetts_parser(), "optimize", "ptq")
    signature = _signature_defaults(build_ptq)
    called = signature.keys() & ptq.keys()
    assert called == {"voice", "backend", "preset", "calibration", "name", "base"}
    assert {k: ptq[k] for k in called} == {k: signature[k] for k in called}
    assert ptq.keys() - called <= CLI_ONLY
    assert fast["check"] == ptq["check"] == CHECK_SENTENCES


def test_runs_elsewhere_default_to_the_checkpoint_or_the_settings() -> None:
    fit = _parsed(train_parser(), "fit", "t.pt", "out", "--method", "qat", "--minutes", "1")
    # None: a resumed checkpoint's value, else TrainSettings' (GPU_BATCH, PACKED_DRAWS aside);
    # --minutes sets the steps, the held-out set and the sentences are the packed ones.
    trained = TRAIN.keys() & fit.keys()
    packed = {"steps", "eval_sentences", "corpus", "judge_every"}  # judged back here
    assert trained == TRAIN.keys() - API_ONLY - packed
    assert {k: fit[k] for k in trained} == dict.fromkeys(trained)
    assert (GPU_BATCH, PACKED_DRAWS) == (32, 8) and fit["device"] == "cuda"
    assert _parsed(train_parser(), "pack", "t.pt")["draws"] == PACKED_DRAWS
    finish = _parsed(train_parser(), "finish", "t.pt", "--method", "qat")
    namespace = argparse.Namespace(**finish)
    assert FlowPriorSettings(**field_flags(FlowPriorSettings, namespace)) == FlowPriorSettings()
    assert finish["check"] == CHECK_SENTENCES and finish["name"] is None


def test_no_function_keeps_a_copy_of_the_settings_defaults() -> None:
    settings = (TRAIN.keys() | GRAPHS.keys()) - {"eval_sentences"}  # there: the sentences
    for function in (build_student_variant, build_fast_variant):
        assert not inspect.signature(function).parameters.keys() & settings
    pytest.importorskip("torch", reason="the train extra is not installed")
    from edgetts.train.losses import SpectralLoss

    assert _signature_defaults(SpectralLoss)["shortest_fft"] == TrainSettings.shortest_fft
    assert {f.name for f in fields(FlowPriorSettings)} == {
        "flow_width",
        "flow_steps",
        "prior_layers",
        "prior_steps",
    }


def test_bench_judges_are_listed_and_checked_before_the_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from edgetts.eval.quality import JUDGES

    bench = _parsed(edgetts_parser(), "bench")
    assert bench["judges"] == list(JUDGES)
    assert _parsed(edgetts_parser(), "bench", "--judges", "")["judges"] == []
    with pytest.raises(SystemExit) as exited:
        edgetts_parser().parse_args(["bench", "--judges", "wer,mos"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unknown judges ['mos']; choose from wer, dnsmos, fidelity ('' for none)" in err
    with pytest.raises(SystemExit):
        edgetts_main(["bench", "--help"])
    assert "comma-separated, from wer, dnsmos, fidelity" in re.sub(
        r"\s+", " ", capsys.readouterr().out
    )


def test_training_settings_are_checked_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert train_main(["distill", "--steps", "0"]) == 2
    assert "python -m edgetts.train: error: steps must be at least 1, got 0" in (
        capsys.readouterr().err
    )


def test_training_without_torch_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else find_spec(name, *a),
    )
    assert train_main(["pack", "teacher.pt"]) == 2
    assert edgetts_main(["optimize", "fast"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "python -m edgetts.train: error: training needs PyTorch: pip install 'edgetts[train]'",
        "edgetts: error: training needs PyTorch: pip install 'edgetts[train]'",
    ]


def test_the_training_entry_point_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "edgetts.train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("usage: python -m edgetts.train [-h] [-v]")
    assert "{qat,prune,distill,pack,fit,finish}" in done.stdout
