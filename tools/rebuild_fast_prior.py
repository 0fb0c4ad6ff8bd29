"""Rebuild the stored ``fast`` variant with the current prior graph, keeping its
flow and decoder byte for byte (no training), then re-export the shipped pack.

    python tools/rebuild_fast_prior.py
    edgetts pack export fast -o src/edgetts/packs/en_US-joe-medium/fast.etpack \\
        --default-for onnxruntime openvino

``edgetts optimize fast`` builds the same variant from scratch (it retrains the
flow, deterministically); this is for changes to the prior's export alone.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from edgetts.optimize.compose import FAST, write_fast_prior
from edgetts.optimize.store import store_variant
from edgetts.packs import shipped_variant
from edgetts.split import split_voice
from edgetts.train.model import VitsVoice
from edgetts.voice import Voice

#: The stored manifest's fields the rebuilt variant keeps.
KEPT = (
    "method", "preset", "description", "backend", "toolkit", "bf16_graphs",
    "settings", "calibration", "training",
)  # fmt: skip


def main() -> None:
    voice = Voice.load(None)
    stored = shipped_variant(voice, "fast")
    if stored.manifest["settings"]["prior_layers"] != FAST.prior_layers:
        raise SystemExit("the stored fast variant has a distilled encoder: rebuild it instead")
    with tempfile.TemporaryDirectory() as tmp:
        kept = Path(tmp)
        for graph in ("flow", "decoder"):
            shutil.copyfile(stored.folder / stored.manifest["files"][graph], kept / graph)
        description = {k: stored.manifest[k] for k in KEPT}
        split = split_voice(voice.model_path)
        model = VitsVoice.from_onnx(voice.model_path)

        def build(folder: Path) -> dict[str, str]:
            write_fast_prior(model.enc_p, model.dp, split, folder / "prior.onnx")
            for graph in ("flow", "decoder"):
                shutil.copyfile(kept / graph, folder / f"{graph}.onnx")
            return {"prior": "prior.onnx", "flow": "flow.onnx", "decoder": "decoder.onnx"}

        variant = store_variant(voice, "fast", split, build, description, replace=True)
    print(f"rebuilt {variant.name} in {variant.folder}")


if __name__ == "__main__":
    main()
