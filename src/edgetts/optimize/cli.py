"""``edgetts optimize ptq | qat | prune | distill | fast``: the toolchain's commands.

Registered on the ``edgetts`` command line by :mod:`edgetts.cli`; kept here,
beside the toolchain, so the runtime's CLI module stays the runtime's.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..variants import Variant

__all__ = ["add_optimize"]


def _report_variant(variant: Variant) -> int:
    """One line for the variant just built (``edgetts variants --json`` has the manifest)."""
    measured = variant.manifest.get("measured") or {}
    figures = (
        f", MCD {measured['mcd_db_mean']:.2f} dB, time x"
        f"{measured['time_ratio_vs_fp32_onnxruntime_median']:.2f} vs fp32 ONNX Runtime"
        if measured
        else ""
    )
    print(
        f"wrote variant {variant.name!r} ({variant.size_bytes / 2**20:.1f} MB{figures}) "
        f"to {variant.folder}"
    )
    return 0


def _stored(args: argparse.Namespace) -> dict[str, Any]:
    """What every build takes from the command line: the name, --force, the check."""
    from ..eval import dev_sentences

    return {
        "name": args.name,
        "replace": args.force,
        "check_sentences": dev_sentences()[: args.check],
    }


def _optimize_ptq(args: argparse.Namespace) -> int:
    from . import build_ptq

    variant = build_ptq(
        args.voice,
        backend=args.backend,
        preset=args.preset,
        calibration=args.calibration,
        **_stored(args),
        base=args.base,
    )
    return _report_variant(variant)


def _optimize_student(args: argparse.Namespace) -> int:
    from ..eval import dev_sentences
    from ..eval.report import progress_bar
    from .student import build_student_variant

    tick, close = progress_bar(args.steps)
    shown = [0]

    def progress(state: Any) -> None:  # a resumed run starts at its checkpoint's step
        while shown[0] < state.step:
            tick()
            shown[0] += 1

    try:
        variant = build_student_variant(
            args.voice,
            method=args.method,
            steps=args.steps,
            widths=args.widths,
            batch=args.batch,
            learning_rate=args.learning_rate,
            draws=args.draws,
            adversarial=args.adversarial,
            istft_stages=args.istft_stages,
            shortest_fft=args.shortest_fft,
            flow_width=args.flow_width,
            flow_steps=args.flow_steps,
            prior_layers=args.prior_layers,
            prior_steps=args.prior_steps,
            device=args.device,
            resume=args.resume,
            calibration=args.calibration,
            eval_sentences=dev_sentences()[-args.eval :],
            **_stored(args),
            progress=progress,
        )
    finally:
        close()
    return _report_variant(variant)


def _optimize_fast(args: argparse.Namespace) -> int:
    from ..eval import dev_sentences
    from .compose import build_fast_variant

    variant = build_fast_variant(
        args.voice,
        flow_width=args.flow_width,
        flow_steps=args.flow_steps,
        prior_layers=args.prior_layers,
        prior_steps=args.prior_steps,
        calibration=args.calibration,
        eval_sentences=dev_sentences()[-args.eval :],
        **_stored(args),
    )
    return _report_variant(variant)


def add_optimize(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .ptq import PRESETS

    optimize = sub.add_parser("optimize", help="build optimised variants of a voice")
    methods = optimize.add_subparsers(dest="method", required=True)
    ptq = methods.add_parser("ptq", help="post-training int8")
    ptq.add_argument("--voice", default=None)
    ptq.add_argument("--backend", choices=["openvino", "onnxruntime"], default="openvino")
    ptq.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="int8",
        help="; ".join(f"{k}: {v}" for k, v in PRESETS.items()),
    )
    ptq.add_argument("--calibration", type=Path, default=None, help="one sentence a line")
    ptq.add_argument("--name", default=None, help="variant name (default from the preset)")
    ptq.add_argument("--force", action="store_true", help="replace a variant of the same name")
    ptq.add_argument("--base", default=None, help="quantise this pruned/distilled variant")
    ptq.add_argument(
        "--check", type=int, default=10, help="dev sentences to measure it on afterwards"
    )
    ptq.set_defaults(func=_optimize_ptq)

    from .student import METHODS, default_name

    for method, about in METHODS.items():
        trained = methods.add_parser(method, help=f"{about} (needs edgetts[train])")
        trained.add_argument("--voice", default=None)
        trained.add_argument("--steps", type=int, default=1000, help="total training steps")
        trained.add_argument("--resume", action="store_true", help="continue from the checkpoint")
        trained.add_argument("--batch", type=int, default=4, help="windows per step")
        trained.add_argument("--learning-rate", type=float, default=1e-4, help="peak (cosine)")
        trained.add_argument("--draws", type=int, default=3, help="noise draws per sentence")
        trained.add_argument(
            "--adversarial",
            type=float,
            default=0.0,
            help="weight of a critic's adversarial + feature-matching terms (0: off)",
        )
        trained.add_argument(
            "--shortest-fft",
            type=int,
            default=512,
            help="the spectral loss's shortest STFT: 64, 128, 256 or 512 (sizes double to 2048)",
        )
        trained.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
        trained.add_argument("--calibration", type=Path, default=None, help="training sentences")
        trained.add_argument("--name", default=None, help=f"variant name ({default_name(method)})")
        trained.add_argument("--force", action="store_true", help="replace a variant of that name")
        trained.add_argument("--eval", type=int, default=4, help="held-out dev sentences (curve)")
        trained.add_argument("--check", type=int, default=10, help="dev sentences to measure on")
        if method != "qat":
            trained.add_argument(
                "--widths", type=float, nargs="+", default=None, help="decoder width per phase"
            )
            trained.add_argument(
                "--istft-stages",
                type=int,
                default=0,
                help="replace the decoder's last N upsampling stages with an inverse-STFT head",
            )
            trained.add_argument(
                "--flow-width",
                type=float,
                default=1.0,
                help="keep this share of the flow's channels",
            )
            trained.add_argument(
                "--flow-steps", type=int, default=3000, help="steps distilling a narrower flow"
            )
            trained.add_argument(
                "--prior-layers",
                type=int,
                default=0,
                help="distil a text encoder with N of the voice's layers (0: keep them all)",
            )
            trained.add_argument(
                "--prior-steps", type=int, default=3000, help="steps distilling that prior"
            )
        trained.set_defaults(
            func=_optimize_student,
            widths=None,
            istft_stages=0,
            flow_width=1.0,
            flow_steps=3000,
            prior_layers=0,
            prior_steps=3000,
        )
    _add_optimize_fast(methods)


def _add_optimize_fast(methods: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .compose import FAST_DEFAULTS

    fast = methods.add_parser(
        "fast",
        help="polyphase decoder + narrow flow + int8-weight encoder (needs edgetts[train])",
    )
    fast.add_argument("--voice", default=None)
    fast.add_argument("--flow-width", type=float, default=FAST_DEFAULTS["flow_width"])
    fast.add_argument("--flow-steps", type=int, default=FAST_DEFAULTS["flow_steps"])
    fast.add_argument("--prior-layers", type=int, default=FAST_DEFAULTS["prior_layers"])
    fast.add_argument("--prior-steps", type=int, default=FAST_DEFAULTS["prior_steps"])
    fast.add_argument("--calibration", type=Path, default=None, help="training sentences")
    fast.add_argument("--name", default="fast", help="variant name (fast)")
    fast.add_argument("--force", action="store_true", help="replace a variant of that name")
    fast.add_argument("--eval", type=int, default=4, help="held-out dev sentences (curve)")
    fast.add_argument("--check", type=int, default=10, help="dev sentences to measure on")
    fast.set_defaults(func=_optimize_fast)
