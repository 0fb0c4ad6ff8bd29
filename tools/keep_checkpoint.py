"""Keep a training run's checkpoint in the repository, where the next machine finds it.

    python tools/keep_checkpoint.py \
        $EDGETTS_HOME/train/en_US-joe-medium/distill-gan/student.pt \
        research/checkpoints/distill-gan-half.pt

The store (``$EDGETTS_HOME``) lives on one machine; a run that must outlast it
keeps its checkpoint here, stripped of the optimizer states (a third of the
size; it resumes with fresh optimizers, ``strip_checkpoint``). Prints the step,
the size and the SHA-256 that ``docs/training.md`` records. To resume on a
new machine, put it back where the run keeps it and pass ``--resume``:

    install -D research/checkpoints/distill-gan-half.pt \
        $EDGETTS_HOME/train/en_US-joe-medium/distill-gan/student.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgetts.files import sha256_file
from edgetts.train.checkpoint import saved_settings, strip_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a run's student.pt")
    parser.add_argument("target", type=Path, help="where the stripped copy goes")
    args = parser.parse_args()
    args.target.parent.mkdir(parents=True, exist_ok=True)
    strip_checkpoint(args.source, args.target)
    _, step = saved_settings(args.target)
    size = args.target.stat().st_size / 1e6
    print(f"{args.target}: step {step}, {size:.1f} MB, SHA-256 {sha256_file(args.target)}")


if __name__ == "__main__":
    main()
