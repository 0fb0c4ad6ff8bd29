"""Quality against training steps for the trained variants in the model store.

    python tools/training_curves.py research/results/training_curves.png \
        > research/results/training.md
    python tools/update_readme.py training research/results/training.md

Reads each trained variant's manifest (``python -m edgetts.train qat|prune|distill``
record the held-out MCD every checkpoint) and plots MCD-DTW against steps, with
the PTQ int8-full variant's MCD and the fp32 voice's run-to-run spread as lines
(from bench/results/bench.json). The plot's link is written relative to
research/, the folder of the page that holds the ``training`` block.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from edgetts.eval.report import save_png
from edgetts.variants import stored_variants
from edgetts.voice import Voice

TRAINED = ("qat", "prune", "distill")
ROOT = Path(__file__).parents[1]
BENCH_JSON = ROOT / "bench" / "results" / "bench.json"
#: The folder of the page that holds the ``training`` block (research/students.md).
PAGE_DIR = ROOT / "research"


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(sys.argv[1])
    voice = Voice.load(None)
    trained = {
        name: v for name, v in stored_variants(voice).items() if v.manifest["method"] in TRAINED
    }
    fig, ax = plt.subplots(figsize=(7, 4))
    print("Held-out MCD-DTW of the torch student (4 development sentences never trained on).\n")
    print(
        "| variant | method | steps | batch | minutes | steps/min | hardware "
        "| MCD start -> end (dB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, variant in trained.items():
        training = variant.manifest["training"]
        steps, mcd = zip(*training["curve_mcd_db"], strict=True)
        ax.plot(steps, mcd, marker=".", label=f"{name} ({variant.manifest['method']})")
        print(
            f"| {name} | {variant.manifest['method']} | {training['steps']} | "
            f"{variant.manifest['settings']['batch']} | {training['seconds'] / 60:.0f} | "
            f"{training['steps_per_minute']:.1f} | "
            f"{training['hardware']} | {mcd[0]:.2f} -> {mcd[-1]:.2f} |"
        )
    if BENCH_JSON.is_file():
        bench = json.loads(BENCH_JSON.read_text(encoding="utf-8"))
        spread = bench["fidelity_spread"]["mcd_db"]
        ax.axhline(
            spread, color="grey", linestyle="--", label=f"fp32 run-to-run spread {spread:.2f}"
        )
        for record in bench["records"]:
            if record["variant"] == "int8-full-ov":
                mcd_ptq = record["fidelity"]["mcd_db"]
                ax.axhline(
                    mcd_ptq, color="red", linestyle=":", label=f"PTQ int8-full {mcd_ptq:.2f}"
                )
    ax.set_xlabel("training steps")
    ax.set_ylabel("MCD-DTW vs fp32 decoder, held-out (dB)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_png(fig, target)
    link = Path(os.path.relpath(target.resolve(), PAGE_DIR)).as_posix()
    print(f"\n![MCD against training steps]({link})")
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
