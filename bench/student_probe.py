"""DNSMOS and MCD of trained students on the held-out latents, without storing them.

    python bench/student_probe.py CHECKPOINT [CHECKPOINT ...]

Each checkpoint (``student.pt`` of ``edgetts optimize`` or ``bench/gpu_train.py
fit``) is loaded as far as it was trained, decodes the teacher's latents of the
held-out development sentences (noise draw as in training, cached), and is
scored against the teacher's own waveforms of the same latents: DNSMOS OVRL
(mean) and MCD. A quick look at a run in progress; the bench measures stored
variants on whole sentences.
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
from edgetts.optimize.calibration import load_calibration
from edgetts.optimize.student import train_work_dir
from edgetts.sysinfo import system_info
from edgetts.train.student import TrainSettings, fit, load_voice_teacher
from edgetts.voice import Voice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", type=Path, nargs="+")
    parser.add_argument("--voice", default=None)
    args = parser.parse_args()
    voice, judge = Voice.load(args.voice), DnsmosJudge()
    rate = voice.config.sample_rate
    print(f"{system_info()['cpu']}; held-out latents of the last development sentences\n")
    print("| checkpoint | step | critic weight | DNSMOS OVRL (teacher) | MCD dB |")
    print("|---|---|---|---|---|")
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
        with torch.no_grad():
            outs = [
                student(torch.from_numpy(z)[None]).reshape(-1).numpy() for z, _ in teacher.held_out
            ]
        mos = np.mean([judge.score(o, rate).ovrl for o in outs])
        ref = np.mean([judge.score(w, rate).ovrl for _, w in teacher.held_out])
        mcd = np.mean(
            [fidelity(o, w, rate).mcd_db for o, (_, w) in zip(outs, teacher.held_out, strict=True)]
        )
        print(f"| {path} | {done} | {settings.adversarial:g} | {mos:.2f} ({ref:.2f}) | {mcd:.2f} |")


if __name__ == "__main__":
    main()
