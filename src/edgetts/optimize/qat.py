"""``edgetts optimize qat``: an int8 decoder trained to sound like the fp32 one.

The decoder is fine-tuned with fake quantisation (:mod:`edgetts.train.qat`)
and exported as QDQ ONNX; the text encoder keeps int8 weights and float
compute and the flow gets static int8 from ONNX Runtime's quantiser, as in
the ``int8`` PTQ preset. All three files are ONNX, so the variant runs on
every backend (OpenVINO executes its convolutions in int8). Needs the
``train`` extra (PyTorch).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from ..backends import available_backends
from ..files import home_dir
from ..split import split_voice
from ..variants import Variant
from ..voice import Voice
from .calibration import graph_feeds, load_calibration
from .ptq import DURATION_PATH, ort_quantize
from .store import check_new_variant, store_variant
from .weights import compress_weights

__all__ = ["build_qat", "qat_work_dir"]


def qat_work_dir(voice: Voice) -> Path:
    """Where training keeps its teacher cache and checkpoint."""
    return home_dir() / "train" / voice.name / "qat"


def build_qat(
    voice: str | os.PathLike[str] | Voice | None = None,
    *,
    steps: int = 1000,
    resume: bool = False,
    calibration: str | os.PathLike[str] | None = None,
    eval_sentences: Sequence[str] = (),
    name: str = "int8-qat",
    replace: bool = False,
    check_sentences: Sequence[str] = (),
    progress: Callable[[object], None] | None = None,
    work_dir: Path | None = None,
) -> Variant:
    """Train (or resume) QAT for ``steps`` steps and store the variant ``name``.

    Training sentences are the calibration set; ``eval_sentences`` (held out)
    give the quality-vs-steps curve recorded in the manifest.
    """
    from ..train.qat import QatSettings, train_qat
    from ..train.quant import export_qdq_decoder

    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    check_new_variant(loaded, name, replace)
    settings = QatSettings(steps=steps)
    texts = load_calibration(calibration)
    if not eval_sentences:
        raise ValueError("eval_sentences is empty: give held-out sentences for the curve")
    work = work_dir or qat_work_dir(loaded)
    quants, state = train_qat(
        loaded, texts.texts, eval_sentences, work, settings, resume=resume, progress=progress
    )
    split = split_voice(loaded.model_path)

    def build(folder: Path) -> dict[str, str]:
        compress_weights(split.prior, folder / "prior.onnx", keep=DURATION_PATH)
        feeds = graph_feeds(loaded, split, texts.texts)
        ort_quantize(split.flow, folder / "flow.onnx", feeds.flow, ("/flow/",))
        export_qdq_decoder(quants, split.decoder, folder / "decoder.onnx")
        return {"prior": "prior.onnx", "flow": "flow.onnx", "decoder": "decoder.onnx"}

    description = {
        "method": "qat",
        "preset": "int8-qat",
        "description": "QAT int8 decoder, static int8 flow, int8-weight text encoder",
        "backend": "any",
        "toolkit": "edgetts+torch",
        "settings": {
            **asdict(settings),
            "weights": "int8 symmetric per output channel",
            "activations": "uint8 per tensor, scale learned from the min/max start",
            "float_scopes": list(DURATION_PATH),
        },
        "calibration": {
            "source": texts.source,
            "sha256": texts.sha256,
            "sentences": len(texts.texts),
        },
        "training": {
            "steps": state.step,
            "seconds": state.seconds,
            "steps_per_minute": 60 * state.step / state.seconds if state.seconds else None,
            "hardware": f"{platform.machine()} {os.cpu_count()} cpus ({platform.processor()})",
            "curve_mcd_db": state.curve,
            "eval_sentences": len(eval_sentences),
        },
    }
    return store_variant(
        loaded,
        name,
        split,
        build,
        description,
        replace=replace,
        check_backend="openvino" if "openvino" in available_backends() else "onnxruntime",
        check_sentences=check_sentences,
    )
