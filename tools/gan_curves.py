"""Held-out DNSMOS and WER against steps for student runs in progress (or done).

    python tools/gan_curves.py docs/gan_curves.png LABEL=CHECKPOINT [LABEL=CHECKPOINT ...] \
        [--teacher-ovrl 3.34]

Reads each checkpoint's ``quality`` (``python -m edgetts.train distill
--judge-every K``: DNSMOS OVRL, SIG and whisper's WER on the held-out
sentences) and MCD curve, prints a Markdown table (steps, steps a minute, the
first and last points, the stop rule's verdict) with each checkpoint's SHA-256,
and plots OVRL and SIG against steps with the teacher's OVRL and the bar
(teacher - 0.10) as lines.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from edgetts.eval.report import save_png
from edgetts.files import sha256_file
from edgetts.train.settings import TrainSettings, TrainState
from edgetts.train.student import plateaued

BAR = 0.10  # DNSMOS OVRL a student may lose (issue 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("runs", nargs="+", help="LABEL=CHECKPOINT")
    parser.add_argument("--teacher-ovrl", type=float, default=None)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ovrl_ax, wer_ax) = plt.subplots(1, 2, figsize=(10, 4))
    print(
        "| run | steps | steps/min | hardware | OVRL first -> last | SIG first -> last "
        "| WER % first -> last | MCD dB last | stop rule | checkpoint SHA-256 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        label, _, path = run.partition("=")
        saved = torch.load(path, map_location="cpu", weights_only=False)
        state = TrainState(**saved["state"])
        settings = TrainSettings.saved(saved["settings"])
        points = state.quality
        if not points:
            raise SystemExit(f"{path} has no quality points: train with --judge-every")
        steps = [p[0] for p in points]
        ovrl_ax.plot(steps, [p[1] for p in points], marker=".", label=f"{label} OVRL")
        ovrl_ax.plot(steps, [p[2] for p in points], linestyle=":", label=f"{label} SIG")
        wer_ax.plot(steps, [p[3] for p in points], marker=".", label=label)
        per_minute = 60 * state.step / state.seconds if state.seconds else 0.0
        verdict = "stop" if plateaued(state) else "continue"
        first, last = points[0], points[-1]
        print(
            f"| {label} | {state.step} (batch {settings.batch}) | {per_minute:.1f} "
            f"| {state.hardware} | {first[1]:.2f} -> {last[1]:.2f} "
            f"| {first[2]:.2f} -> {last[2]:.2f} | {first[3]:.1f} -> {last[3]:.1f} "
            f"| {state.curve[-1][1]:.2f} | {verdict} | `{sha256_file(Path(path))[:16]}` |"
        )
    if args.teacher_ovrl is not None:
        ovrl_ax.axhline(args.teacher_ovrl, color="grey", linestyle="--", label="teacher OVRL")
        ovrl_ax.axhline(args.teacher_ovrl - BAR, color="red", linestyle=":", label="bar")
    ovrl_ax.set_xlabel("training steps")
    ovrl_ax.set_ylabel("held-out DNSMOS")
    wer_ax.set_xlabel("training steps")
    wer_ax.set_ylabel("held-out WER (%)")
    for ax in (ovrl_ax, wer_ax):
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, args.target)


if __name__ == "__main__":
    main()
