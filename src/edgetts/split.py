"""Split a Piper voice into three graphs for streaming, by graph surgery alone.

``prior``: phoneme ids, lengths and scales -> the prior sample ``z_p``, the
frame mask and the per-phoneme durations in frames (text encoder, duration
predictor, alignment). ``flow``: ``z_p``, mask -> latent ``z``. ``decoder``:
``z`` -> waveform. Flow and decoder are convolutional over frames, so they can
run on windows; chained, the three are exactly the whole graph.

The cut points are found in Piper's export: the one tensor entering the
``/dec/`` nodes (``z``), the ``Mul`` that masks the flow's output into it, the
named tensor entering the ``/flow/`` nodes (``z_p``) and the ``Ceil`` that
rounds the durations. The graphs are cached, keyed by the model's SHA-256, and
written atomically. Single-speaker voices only, for now.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelLoadError
from .files import open_temp_beside, sha256_file, staging_dir, store_dir, write_atomic

__all__ = ["GRAPHS", "SplitVoice", "TextPrior", "cut_points", "split_voice", "text_prior"]

GRAPHS = ("prior", "flow", "decoder")  # in the order they run

_FORMAT = 2  # bump when the cached layout changes


@dataclass(frozen=True)
class SplitVoice:
    prior: Path
    flow: Path
    decoder: Path
    z_p: str
    mask: str
    z: str
    durations: str

    def paths(self) -> tuple[Path, Path, Path]:
        return self.prior, self.flow, self.decoder


def cut_points(model_path: Path) -> tuple[dict[str, str], list[str]]:
    """The tensors to cut at (z_p, mask, z, durations) and the graph's inputs."""
    import onnx

    try:
        graph = onnx.load(str(model_path), load_external_data=False).graph
    except Exception as exc:  # protobuf's DecodeError, or an OSError
        raise ModelLoadError(f"model {model_path} is not a readable ONNX file: {exc}") from exc
    producer = {out: node for node in graph.node for out in node.output}
    inputs = [i.name for i in graph.input]

    def unsplittable(why: str) -> ModelLoadError:
        return ModelLoadError(
            f"model {model_path} cannot be split for streaming: {why} "
            "(single-speaker Piper VITS exports are supported)"
        )

    if "sid" in inputs:
        raise unsplittable("it is a multi-speaker model")
    decoder = [n for n in graph.node if n.name.startswith("/dec/")]
    ceil = [n.output[0] for n in graph.node if n.op_type == "Ceil"]
    if not decoder or len(ceil) != 1:
        raise unsplittable("it has no /dec/ decoder or not exactly one Ceil (durations)")
    z = decoder[0].input[0]  # what the decoder's first convolution reads
    masking = producer.get(z)
    if masking is None or masking.op_type != "Mul":
        raise unsplittable(f"the decoder input {z!r} is not a masked flow output")
    flow_out, mask = masking.input  # z = flow(z_p) * mask
    named_outside = {  # named tensors the /flow/ nodes read from outside it
        name
        for node in graph.node
        if node.name.startswith("/flow/")
        for name in node.input
        if name in producer
        and producer[name].name.startswith("/")
        and not producer[name].name.startswith("/flow/")
    }
    z_p = named_outside - {mask}
    if len(z_p) != 1 or not producer[flow_out].name.startswith("/flow/"):
        raise unsplittable(f"cannot tell the flow's input from {sorted(named_outside)}")
    return {"z_p": z_p.pop(), "mask": mask, "z": z, "durations": ceil[0]}, inputs


def split_voice(model_path: Path, cache_dir: Path | None = None) -> SplitVoice:
    """The prior/flow/decoder graphs for ``model_path``, made once and cached."""
    folder = (cache_dir or store_dir() / "split") / f"{sha256_file(model_path)[:16]}-v{_FORMAT}"
    meta = folder / "split.json"
    if not meta.is_file():
        _build(model_path, folder)
    names = json.loads(meta.read_text(encoding="utf-8"))
    return SplitVoice(folder / "prior.onnx", folder / "flow.onnx", folder / "decoder.onnx", **names)


def _build(model_path: Path, folder: Path) -> None:
    from onnx.utils import extract_model

    cut, inputs = cut_points(model_path)
    staging = staging_dir(folder)
    source = str(model_path)
    try:
        prior_outputs = [cut["z_p"], cut["mask"], cut["durations"]]
        extract_model(source, str(staging / "prior.onnx"), inputs, prior_outputs)
        extract_model(source, str(staging / "flow.onnx"), [cut["z_p"], cut["mask"]], [cut["z"]])
        extract_model(source, str(staging / "decoder.onnx"), [cut["z"]], ["output"])
        (staging / "split.json").write_text(json.dumps(cut), encoding="utf-8")
        if folder.exists() and not (folder / "split.json").is_file():
            shutil.rmtree(folder)  # an unfinished copy left by a crash
        try:
            os.replace(staging, folder)  # atomic: the graphs appear together or not at all
        except OSError:
            if not (folder / "split.json").is_file():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class TextPrior:
    """The prior graph cut before it expands phonemes into frames."""

    path: Path
    mean: str  # (1, channels, ids): the prior's mean per phoneme id
    log_std: str  # (1, channels, ids)
    durations: str  # (1, 1, ids): frames per id, already rounded up


def text_prior(prior: Path, cache_dir: Path | None = None) -> TextPrior:
    """``prior`` without its expansion into frames (made once, cached by its SHA-256).

    Everything after the durations has the sentence's frame count as its shape,
    a value the graph computes. OpenVINO keeps kernels per shape it meets
    inside a graph as well as at its inputs, so with a new frame count almost
    every call its memory grew without end (+38 MB per 200 sentences after
    warm-up); the expansion is a repeat, done by :func:`expand_prior` instead.
    """
    folder = cache_dir or store_dir() / "split"
    target = folder / f"text-{sha256_file(prior)[:16]}-v{_FORMAT}.onnx"
    names = target.with_suffix(".json")  # written last: the pair is complete
    if names.is_file():
        return TextPrior(target, **json.loads(names.read_text(encoding="utf-8")))
    import onnx
    from onnx.utils import extract_model

    graph = onnx.load(str(prior), load_external_data=False).graph
    producer = {out: node for node in graph.node for out in node.output}
    durations = [n.output[0] for n in graph.node if n.op_type == "Ceil"]
    draws = [n for n in graph.node if n.op_type == "RandomNormalLike" and n.name.startswith("/")]
    draws = [n for n in draws if not n.name.startswith("/dp/")]  # not the duration noise

    def text_level(frames: str) -> str | None:
        """``x`` for ``frames`` = Transpose(MatMul(path, Transpose(x)))."""
        node = producer.get(frames)
        for op_type, pick in (("Transpose", 0), ("MatMul", 1), ("Transpose", 0)):
            if node is None or node.op_type != op_type:
                return None
            source: str = node.input[pick]
            node = producer.get(source)
        return source

    # z_p = frames(mean) + noise * Exp(frames(log_std)) * noise_scale
    mean = text_level(draws[0].input[0]) if len(draws) == 1 else None
    scaled = [n for n in graph.node if draws and draws[0].output[0] in n.input]
    exp = [producer.get(i) for n in scaled for i in n.input if i != draws[0].output[0]]
    std = exp[0] if len(exp) == 1 else None
    log_std = text_level(std.input[0]) if std is not None and std.op_type == "Exp" else None
    if len(durations) != 1 or mean is None or log_std is None:
        raise ModelLoadError(
            f"model {prior} cannot be cut before its frame expansion: it does not draw "
            "z_p = mean + noise * exp(log_std) * noise_scale as Piper's export does"
        )
    cut = TextPrior(target, mean, log_std, durations[0])
    folder.mkdir(parents=True, exist_ok=True)
    file, staging = open_temp_beside(target)
    file.close()
    try:
        inputs = [i.name for i in graph.input]
        extract_model(str(prior), str(staging), inputs, [mean, log_std, durations[0]])
        os.replace(staging, target)  # atomic
    finally:
        staging.unlink(missing_ok=True)
    fields = {"mean": mean, "log_std": log_std, "durations": durations[0]}
    write_atomic(names, json.dumps(fields).encode())
    return cut
