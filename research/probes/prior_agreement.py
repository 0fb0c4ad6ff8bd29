"""The time-major prior graph against Piper's, on ONNX Runtime with noise 0.

    python research/probes/prior_agreement.py [STORED_A STORED_B]

Exports the voice's prior time-major (``edgetts.train.prior_graph``) and runs
both graphs on the 50 development and 40 calibration sentences: duration
flips, the largest z_p difference and the time. With two stored variant names
(e.g. ``fast-piper-prior fast``) it compares their prior graphs instead.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from edgetts import EdgeTTS
from edgetts.backends import BackendOptions, load_graph
from edgetts.packs import shipped_variant
from edgetts.split import split_voice

SENTENCES = (Path("../shared/data/dev_sentences.txt"), Path("src/edgetts/optimize/calibration.txt"))
QUIET = np.array([0.0, 1.0, 0.0], np.float32)


def main(names: list[str]) -> None:
    tts = EdgeTTS(variant="fp32", backend="onnxruntime")
    split = split_voice(tts.voice.model_path)
    if names:
        paths = [shipped_variant(tts.voice, name).split.prior for name in names]
    else:
        from edgetts.train.model import VitsVoice
        from edgetts.train.prior_graph import export_prior

        voice = VitsVoice.from_onnx(tts.voice.model_path)
        target = Path(tempfile.mkdtemp()) / "prior.onnx"
        export_prior(voice.enc_p, voice.dp, split, target)
        paths = [split.prior, target]
    graphs = [load_graph("onnxruntime", p, BackendOptions(threads=2)) for p in paths]
    texts = [line.strip() for f in SENTENCES for line in f.read_text().splitlines() if line.strip()]
    flips = phonemes = 0
    worst = 0.0
    seconds = [0.0, 0.0]
    for text in texts:
        for sentence in tts.phonemize(text):
            ids = tts._ids(sentence)
            feed = {"input": ids, "input_lengths": np.array([ids.shape[1]]), "scales": QUIET}
            outs = []
            for i, graph in enumerate(graphs):
                start = time.perf_counter()
                outs.append(dict(zip(graph.outputs, graph.run(feed), strict=True)))
                seconds[i] += time.perf_counter() - start
            a, b = outs
            flips += int((a[split.durations] != b[split.durations]).sum())
            phonemes += ids.shape[1]
            same_frames = a[split.z_p].shape == b[split.z_p].shape
            gap = float(np.abs(a[split.z_p] - b[split.z_p]).max()) if same_frames else np.inf
            worst = max(worst, gap)
    print(
        f"{len(texts)} texts, {phonemes} phonemes: {flips} duration flips, "
        f"max |z_p difference| {worst:.2e}; {seconds[0]:.2f} s vs {seconds[1]:.2f} s "
        f"({paths[0].name} vs {paths[1].name})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
