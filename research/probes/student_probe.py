"""DNSMOS and MCD of trained students on the held-out latents, without storing them.

    python research/probes/student_probe.py CHECKPOINT [CHECKPOINT ...] [--swap 256] [--plot PNG]

Each checkpoint (``student.pt`` of ``python -m edgetts.train METHOD`` or ``fit``)
is loaded as far as it was trained, decodes the teacher's latents of the
held-out development sentences (noise draw as in training, cached), and is
scored against the teacher's own waveforms of the same latents: DNSMOS OVRL
(mean), its signal score SIG, and MCD. A quick look at a run in progress; the
bench measures stored variants on whole sentences.

``--swap N`` tells magnitude errors from phase errors: the STFT (N points, hop
N/4) of the student's magnitude with the teacher's phase, and of the
teacher's magnitude with the student's phase, each scored by DNSMOS.
``--train-pairs N`` also scores N of the training pairs (evenly spaced): a
student that scores as far below the teacher there as on the held-out
sentences is limited by its capacity or its loss, not by the data.
``--plot`` draws DNSMOS OVRL against steps, one line per loss (the shortest
STFT and the critic's weight), with the teacher's score and the quality bar.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from edgetts.eval import dev_sentences
from edgetts.eval.fidelity import fidelity
from edgetts.eval.judges import DnsmosJudge
from edgetts.eval.report import save_png
from edgetts.eval.sysinfo import system_info
from edgetts.optimize.calibration import load_calibration
from edgetts.optimize.student import train_work_dir
from edgetts.train.settings import TrainSettings
from edgetts.train.student import fit
from edgetts.train.teacher import Pair, load_voice_teacher
from edgetts.voice import Voice

QUALITY_BAR = 0.2  # DNSMOS OVRL a student may lose (issue 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", type=Path, nargs="+")
    parser.add_argument("--voice", default=None)
    parser.add_argument("--swap", type=int, default=0, help="STFT size of the swap (0: none)")
    parser.add_argument("--train-pairs", type=int, default=0, help="training pairs to score too")
    parser.add_argument("--plot", type=Path, default=None, help="DNSMOS against steps (PNG)")
    args = parser.parse_args()
    if args.train_pairs < 0:
        parser.error(f"--train-pairs must be >= 0, got {args.train_pairs}")
    curves: dict[str, list[tuple[int, float]]] = {}
    teacher_ovrl = 0.0
    voice, judge = Voice.load(args.voice), DnsmosJudge()
    rate = voice.config.sample_rate
    print(f"{system_info()['cpu']}; held-out latents of the last development sentences\n")
    swaps = ["OVRL student mag + teacher phase", "OVRL teacher mag + student phase"]
    columns = ["checkpoint", "step", "critic weight", "DNSMOS OVRL (teacher)", "SIG (teacher)"]
    columns += ["MCD dB", *swaps[: 2 * bool(args.swap)]]
    columns += ["OVRL on training pairs (teacher)"][: bool(args.train_pairs)]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for path in args.checkpoints:
        saved = torch.load(path, map_location="cpu", weights_only=False)
        done = saved["state"]["step"]
        settings = dataclasses.replace(TrainSettings.saved(saved["settings"]), steps=done)
        teacher = load_voice_teacher(
            voice,
            load_calibration(None).texts,
            dev_sentences()[-settings.eval_sentences :],
            train_work_dir(voice, "teacher"),
            settings,
        )
        with tempfile.TemporaryDirectory() as work:
            shutil.copyfile(path, Path(work) / "student.pt")
            student, _ = fit(teacher, Path(work), settings, resume=True)  # no step runs
        outs = _decode(student, teacher.held_out)
        refs = [w for _, w in teacher.held_out]
        scores = [judge.score(o, rate) for o in outs]
        ref = [judge.score(w, rate) for w in refs]
        ovrl, teacher_ovrl = (float(np.mean([s.ovrl for s in x])) for x in (scores, ref))
        loss = f"shortest STFT {settings.shortest_fft}, critic {settings.adversarial:g}"
        curves.setdefault(loss, []).append((done, ovrl))
        mcd = np.mean([fidelity(o, w, rate).mcd_db for o, w in zip(outs, refs, strict=True)])
        row = (
            f"| {path} | {done} | {settings.adversarial:g} | {ovrl:.2f} ({teacher_ovrl:.2f}) "
            f"| {np.mean([s.sig for s in scores]):.2f} ({np.mean([s.sig for s in ref]):.2f}) "
            f"| {mcd:.2f} |"
        )
        if args.swap:
            for magnitude, phase in ((outs, refs), (refs, outs)):
                mixed = [_swapped(m, p, args.swap) for m, p in zip(magnitude, phase, strict=True)]
                row += f" {np.mean([judge.score(x, rate).ovrl for x in mixed]):.2f} |"
        if args.train_pairs:
            every = max(1, len(teacher.pairs) // args.train_pairs)
            pairs = teacher.pairs[::every][: args.train_pairs]
            own = np.mean([judge.score(o, rate).ovrl for o in _decode(student, pairs)])
            target = np.mean([judge.score(w, rate).ovrl for _, w in pairs])
            row += f" {own:.2f} ({target:.2f}) |"
        print(row)
    if args.plot:
        _plot(args.plot, curves, teacher_ovrl)


def _decode(student: torch.nn.Module, pairs: list[Pair]) -> list[np.ndarray]:
    with torch.no_grad():
        return [student(torch.from_numpy(z)[None]).reshape(-1).numpy() for z, _ in pairs]


def _plot(target: Path, curves: dict[str, list[tuple[int, float]]], teacher: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for loss, points in curves.items():
        steps, ovrl = zip(*sorted(points), strict=True)
        ax.plot(steps, ovrl, marker="o", label=loss)
    ax.axhline(teacher, color="grey", linestyle="--", label=f"teacher {teacher:.2f}")
    bar = teacher - QUALITY_BAR
    ax.axhline(bar, color="red", linestyle=":", label=f"quality bar {bar:.2f}")
    ax.set_xlabel("training steps")
    ax.set_ylabel("DNSMOS OVRL, held-out latents")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, target)
    print(f"\n![DNSMOS against training steps]({target})")


def _swapped(magnitude: np.ndarray, phase: np.ndarray, n_fft: int) -> np.ndarray:
    """The waveform of one signal's STFT magnitude with the other's phase."""
    length = min(len(magnitude), len(phase))
    window = torch.hann_window(n_fft)

    def spectrum(x: np.ndarray) -> torch.Tensor:
        return torch.stft(
            torch.from_numpy(x[:length]), n_fft, n_fft // 4, window=window, return_complex=True
        )

    mixed = spectrum(magnitude).abs() * torch.exp(1j * spectrum(phase).angle())
    return torch.istft(mixed, n_fft, n_fft // 4, window=window, length=length).numpy()


if __name__ == "__main__":
    main()
