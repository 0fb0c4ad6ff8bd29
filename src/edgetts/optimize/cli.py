"""``edgetts optimize ptq | fast``: the variants built in seconds or minutes.

Registered on the ``edgetts`` command line by :mod:`edgetts.cli`; kept here,
beside the toolchain, so the runtime's CLI module stays the runtime's. The
helpers are shared with the training command line, ``python -m edgetts.train``
(:mod:`edgetts.train.cli`), whose students train for hours. Flags named after
a settings dataclass's fields take their defaults from it
(``tests/test_cli_defaults.py`` checks).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..train.settings import FlowPriorSettings
    from ..variants import Variant

__all__ = [
    "CHECK_SENTENCES",
    "add_build_arguments",
    "add_graph_arguments",
    "add_optimize",
    "field_flags",
    "held_out",
    "report_variant",
    "stored",
]

CHECK_SENTENCES = 10  # dev sentences a new variant is measured on (--check)


def report_variant(variant: Variant, args: argparse.Namespace) -> int:
    """The variant just built: its manifest with ``--json``, else one line (its name,
    size, folder and what the check measured)."""
    if args.json:
        print(json.dumps(dict(variant.manifest), indent=1))
        return 0
    measured = variant.manifest.get("measured")
    check = "not checked (--check 0)"
    if measured:
        count = measured["sentences"]
        check = (
            f"checked on {count} sentence{'s' * (count != 1)} on {measured['backend']}: "
            f"MCD {measured['mcd_db_mean']:.2f} dB, time x"
            f"{measured['time_ratio_vs_fp32_onnxruntime_median']:.2f} vs fp32 ONNX Runtime"
        )
    size = f"{variant.size_bytes / 2**20:.1f} MB"
    print(f"wrote variant {variant.name!r} ({size}) to {variant.folder}; {check}")
    return 0


def field_flags(settings: type[Any], args: argparse.Namespace) -> dict[str, Any]:
    """The flags named after fields of the dataclass ``settings``, as its keywords."""
    return {f.name: getattr(args, f.name) for f in fields(settings) if hasattr(args, f.name)}


def held_out(count: int) -> list[str]:
    """The last ``count`` dev sentences (none for 0): the curves' held-out set."""
    from ..eval import dev_sentences

    sentences = dev_sentences()
    return sentences[len(sentences) - count :] if count > 0 else []


def stored(args: argparse.Namespace) -> dict[str, Any]:
    """What every build takes from the command line: the name, --force, the check."""
    from ..eval import dev_sentences

    return {
        "name": args.name,
        "replace": args.force,
        "check_sentences": dev_sentences()[: args.check],
    }


def add_build_arguments(
    parser: argparse.ArgumentParser, *, name: str | None, name_help: str, trains: bool
) -> None:
    """The flags of every command that stores a variant (``trains``: and held-out
    sentences for its training curves)."""
    parser.add_argument("--voice", default=None)
    parser.add_argument("--name", default=name, help=name_help)
    parser.add_argument("--force", action="store_true", help="replace a variant of that name")
    parser.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="sentences to calibrate or train on, one a line (default: the built-in set)",
    )
    parser.add_argument(
        "--check",
        type=int,
        default=CHECK_SENTENCES,
        help="dev sentences to measure the variant on afterwards (0: none)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the variant's manifest, not one line"
    )
    if trains:
        from ..train.settings import TrainSettings

        parser.add_argument(
            "--eval",
            dest="eval_sentences",
            metavar="N",
            type=int,
            default=TrainSettings.eval_sentences,
            help="held-out dev sentences (the training curves)",
        )


def add_graph_arguments(parser: argparse.ArgumentParser, defaults: FlowPriorSettings) -> None:
    """The flags of :class:`~edgetts.train.settings.FlowPriorSettings`."""
    parser.add_argument(
        "--flow-width",
        type=float,
        default=defaults.flow_width,
        help="keep this share of the flow's channels (1: the voice's flow)",
    )
    parser.add_argument(
        "--flow-steps", type=int, default=defaults.flow_steps, help="steps distilling that flow"
    )
    parser.add_argument(
        "--prior-layers",
        type=int,
        default=defaults.prior_layers,
        help="distil a text encoder of N of the voice's layers (0: keep them all)",
    )
    parser.add_argument(
        "--prior-steps", type=int, default=defaults.prior_steps, help="steps distilling that prior"
    )


def _optimize_ptq(args: argparse.Namespace) -> int:
    from . import build_ptq

    variant = build_ptq(
        args.voice,
        backend=args.backend,
        preset=args.preset,
        calibration=args.calibration,
        **stored(args),
        base=args.base,
    )
    return report_variant(variant, args)


def _optimize_fast(args: argparse.Namespace) -> int:
    from ..train import require_torch
    from ..train.settings import FlowPriorSettings

    require_torch()
    from .compose import build_fast_variant

    variant = build_fast_variant(
        args.voice,
        FlowPriorSettings(**field_flags(FlowPriorSettings, args)),
        calibration=args.calibration,
        eval_sentences=held_out(args.eval_sentences),
        **stored(args),
    )
    return report_variant(variant, args)


def add_optimize(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .compose import FAST
    from .ptq import PRESETS

    optimize = sub.add_parser(
        "optimize",
        help="build optimised variants of a voice (trained decoders: python -m edgetts.train)",
    )
    methods = optimize.add_subparsers(dest="method", required=True)
    ptq = methods.add_parser("ptq", help="post-training int8 (seconds)")
    add_build_arguments(
        ptq, name=None, name_help="variant name (default from the preset)", trains=False
    )
    ptq.add_argument("--backend", choices=["openvino", "onnxruntime"], default="openvino")
    ptq.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="int8",
        help="; ".join(f"{k}: {v}" for k, v in PRESETS.items()),
    )
    ptq.add_argument("--base", default=None, help="quantise this pruned/distilled variant")
    ptq.set_defaults(func=_optimize_ptq)

    fast = methods.add_parser(
        "fast",
        help="polyphase decoder, narrow flow, int8-weight encoder (minutes; edgetts[train])",
    )
    add_build_arguments(fast, name="fast", name_help="variant name", trains=True)
    add_graph_arguments(fast, FAST)
    fast.set_defaults(func=_optimize_fast)
