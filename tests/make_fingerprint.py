"""Regenerate tests/data/fast_fingerprint.json: what the shipped ``fast`` variant says.

    python tests/make_fingerprint.py

Run it only when the shipped pack changes on purpose, and review the diff:
``tests/test_packs.py`` builds the pack into an empty store and checks its
output for these sentences, on every backend, against this file.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
FINGERPRINT = HERE / "data" / "fast_fingerprint.json"
SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Turn left in two hundred meters, then keep right.",
)
FRAME = 1024
BANDS = 16


def fingerprint(samples: np.ndarray) -> dict[str, object]:
    """Length and a coarse log spectrum: how a voice sounds, not its exact floats."""
    frames = samples[: len(samples) // FRAME * FRAME].reshape(-1, FRAME)
    power = np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1)) ** 2
    edges = np.geomspace(8, power.shape[1], BANDS + 1).astype(int)  # 8 bins and up: distinct
    bands = [10 * np.log10(power[:, a:b].mean() + 1e-12) for a, b in itertools.pairwise(edges)]
    return {"samples": len(samples), "bands_db": [round(float(b), 2) for b in bands]}


def main() -> None:
    from edgetts import EdgeTTS
    from edgetts.files import write_atomic

    tts = EdgeTTS(backend="onnxruntime", variant="fast")
    record = {
        text: fingerprint(tts.speak(text, noise_scale=0.0, noise_w=0.0).samples)
        for text in SENTENCES
    }
    write_atomic(FINGERPRINT, (json.dumps(record, indent=1) + "\n").encode())
    print(f"wrote {FINGERPRINT}")


if __name__ == "__main__":
    main()
