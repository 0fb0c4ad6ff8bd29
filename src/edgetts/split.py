"""Split a Piper voice into two graphs for streaming, by graph surgery alone.

``front``: phoneme ids, lengths, scales (and speaker) -> latent ``z`` (text
encoder, duration predictor, flow) and the per-phoneme durations in frames.
``decoder``: ``z`` -> waveform (HiFi-GAN, purely convolutional, so it can
run on windows of ``z``). The two compose to exactly the whole graph.

The split points are found by name in Piper's export: the one tensor that
enters the ``/dec/`` nodes from outside, and the output of the ``Ceil`` that
rounds the durations. The pair is cached beside the model store, keyed by the
model's SHA-256, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError
from .variants import store_dir

__all__ = ["SplitVoice", "split_voice"]

_DECODER_PREFIX = "/dec/"


@dataclass(frozen=True)
class SplitVoice:
    front: Path
    decoder: Path
    #: Tensors the front hands to the decoder: ``z`` first, then (multi-speaker
    #: voices) the speaker embedding.
    decoder_inputs: list[str]
    durations: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _boundary(model_path: Path) -> tuple[list[str], str, list[str]]:
    """(decoder inputs, z first; durations tensor; graph inputs) of a Piper export."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    producer = {out: node for node in graph.node for out in node.output}
    decoder_nodes = [n for n in graph.node if n.name.startswith(_DECODER_PREFIX)]
    entering = {
        name
        for node in decoder_nodes
        for name in node.input
        if name in producer and not producer[name].name.startswith(_DECODER_PREFIX)
    }
    ceil = [n.output[0] for n in graph.node if n.op_type == "Ceil"]
    if not decoder_nodes or len(ceil) != 1:
        raise ModelLoadError(
            f"model {model_path} cannot be split for streaming: it has no {_DECODER_PREFIX} "
            f"decoder or not exactly one Ceil (durations); is it a Piper VITS export?"
        )
    z = decoder_nodes[0].input[0]  # what the decoder's first convolution reads
    return [z, *sorted(entering - {z})], ceil[0], [i.name for i in graph.input]


def split_voice(model_path: Path, cache_dir: Path | None = None) -> SplitVoice:
    """The front/decoder pair for ``model_path``, made once and cached."""
    folder = (cache_dir or store_dir() / "split") / _sha256(model_path)[:16]
    meta = folder / "split.json"
    if not meta.is_file():
        _build(model_path, folder)
    names = json.loads(meta.read_text(encoding="utf-8"))
    return SplitVoice(folder / "front.onnx", folder / "decoder.onnx", **names)


def _build(model_path: Path, folder: Path) -> None:
    from onnx.utils import extract_model

    decoder_inputs, durations, inputs = _boundary(model_path)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".split-", dir=folder.parent))
    try:
        front_outputs = [*decoder_inputs, durations]
        extract_model(str(model_path), str(staging / "front.onnx"), inputs, front_outputs)
        extract_model(str(model_path), str(staging / "decoder.onnx"), decoder_inputs, ["output"])
        names = {"decoder_inputs": decoder_inputs, "durations": durations}
        (staging / "split.json").write_text(json.dumps(names), encoding="utf-8")
        if folder.exists() and not (folder / "split.json").is_file():
            shutil.rmtree(folder)  # an unfinished copy left by a crash
        try:
            os.replace(staging, folder)  # atomic: the pair appears whole or not at all
        except OSError:
            if not (folder / "split.json").is_file():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
