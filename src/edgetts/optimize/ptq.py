"""Post-training int8 variants, written to the model store.

What is quantised where follows measurements on Piper VITS (see
``docs/int8-notes.md``): the duration predictor and the alignment (cumulative
sum, ``Range``, the path ``MatMul``) stay float32 everywhere, because int8 there
changes durations and can turn long sentences into a buzz; the HiFi-GAN
decoder keeps float activations except in ``int8-full``, because per-tensor
int8 activations there add hiss in silences (MCD 5-7 dB against a run-to-run
spread of about 1.2-2.4 dB, whatever the calibration). The text encoder and
the flow take static int8 well.

Presets:

``weights``
    int8 weights (per output channel), float compute; one ONNX file set that
    every backend runs. The smallest and safest.
``int8``
    Static int8 (per-channel weights, calibrated activations) in the text
    encoder and the flow; the decoder and duration predictor as in ``weights``.
    Made with NNCF for OpenVINO, with ONNX Runtime's QDQ quantiser for it.
``int8-full``
    ``int8`` plus a calibrated int8 decoder: the fastest, and audibly damaged
    by PTQ alone; the starting point for quantisation-aware training.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..backends import resolve_backend_name
from ..errors import BackendUnavailableError
from ..split import SplitVoice, split_voice
from ..variants import Variant, load_variant
from ..voice import Voice
from .calibration import CalibrationSet, graph_feeds, load_calibration
from .store import check_new_variant, store_variant
from .weights import compress_weights

__all__ = ["PRESETS", "build_ptq", "default_variant_name", "nncf_quantize", "ort_quantize"]

_LOGGER = logging.getLogger(__name__)

PRESETS = {
    "weights": "int8 weights, float compute (any backend)",
    "int8": "static int8 flow; text encoder, durations and decoder with int8 weights",
    "int8-full": "static int8 everywhere but the durations (fastest; PTQ damages the decoder)",
}
_TOOLKIT = {"openvino": "nncf", "onnxruntime": "onnxruntime"}
_SHORT = {"openvino": "ov", "onnxruntime": "ort"}
#: Methods whose variants are float and can be quantised further.
FLOAT_METHODS = ("prune", "distill")
#: Node-name prefixes whose computation stays float32 in every preset.
DURATION_PATH = ("/dp/",)
#: Where static int8 goes, per graph, before the decoder joins in int8-full.
_STATIC_SCOPE = {"prior": (), "flow": ("/flow/",), "decoder": ()}
_OV_QUANTIZABLE = {"Convolution", "ConvolutionBackpropData", "GroupConvolution", "MatMul"}


def default_variant_name(preset: str, backend: str, base: str | None = None) -> str:
    name = "int8-weights" if preset == "weights" else f"{preset}-{_SHORT[backend]}"
    return f"{base}-{name}" if base else name


def _base_split(voice: Voice, base: str | None) -> SplitVoice:
    if base is None:
        return split_voice(voice.model_path)
    stored = load_variant(voice, base)
    if stored.manifest["method"] not in FLOAT_METHODS:
        raise ValueError(
            f"variant {base!r} is already quantised ({stored.manifest['method']}); "
            f"a base must be a float variant made by {sorted(FLOAT_METHODS)}"
        )
    return stored.split


@dataclass(frozen=True)
class _Job:
    voice: Voice
    split: SplitVoice
    backend: str
    preset: str
    calibration: CalibrationSet


def _static_scopes(preset: str) -> dict[str, tuple[str, ...]]:
    """Graph -> node-name prefixes that get static int8 (none: weights only)."""
    if preset == "weights":
        return {}
    scopes = dict(_STATIC_SCOPE)
    if preset == "int8-full":
        scopes["decoder"] = ("/dec/",)
    return scopes


def nncf_quantize(
    source: Path, target: Path, feeds: Sequence[dict[str, Any]], scope: tuple[str, ...]
) -> Path:
    """Static int8 of the ``scope`` ops with NNCF, saved as OpenVINO IR."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(source))
    ignored = [
        op.get_friendly_name()
        for op in model.get_ops()
        if op.get_type_name() in _OV_QUANTIZABLE and not op.get_friendly_name().startswith(scope)
    ]
    quantized = nncf.quantize(
        model,
        nncf.Dataset(list(feeds)),
        # Mixed: asymmetric activations. Symmetric ones ran the decoder 2.5x
        # slower than float here (fewer int8 kernels chosen), mixed 0.76x.
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(feeds),
        ignored_scope=nncf.IgnoredScope(names=ignored, validate=False),
    )
    target = target.with_suffix(".xml")
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return target


def ort_quantize(
    source: Path, target: Path, feeds: Sequence[dict[str, Any]], scope: tuple[str, ...]
) -> Path:
    """Static QDQ int8 of the ``scope`` ops, per-channel weights, as ORT runs int8 kernels."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds = iter(feeds)

        def get_next(self) -> dict[str, Any] | None:
            return next(self._feeds, None)

    graph = onnx.load(str(source), load_external_data=False).graph
    names = [
        n.name for n in graph.node if n.op_type in ("Conv", "MatMul") and n.name.startswith(scope)
    ]
    quantize_static(
        str(source),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["Conv", "MatMul"],
        nodes_to_quantize=names,
        extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
    )
    return target


def _build_graphs(job: _Job, folder: Path) -> dict[str, str]:
    """Write the three graphs into ``folder``; return graph -> file name."""
    scopes = _static_scopes(job.preset)
    feeds = graph_feeds(job.voice, job.split, job.calibration.texts) if scopes else None
    quantize = nncf_quantize if job.backend == "openvino" else ort_quantize
    written = {}
    for graph, source in zip(("prior", "flow", "decoder"), job.split.paths(), strict=True):
        target = folder / f"{graph}.onnx"
        scope = scopes.get(graph, ())
        if feeds is not None and scope:
            _LOGGER.info("static int8 for %s (%s)", graph, ", ".join(scope))
            # The weights stay float here: the quantiser makes its own int8 copy.
            target = quantize(source, target, getattr(feeds, graph), scope)
        else:
            compress_weights(source, target, keep=DURATION_PATH)
        written[graph] = target.name
    return written


def build_ptq(
    voice: str | os.PathLike[str] | Voice | None = None,
    *,
    backend: str = "openvino",
    preset: str = "int8",
    calibration: str | os.PathLike[str] | None = None,
    name: str | None = None,
    replace: bool = False,
    check_sentences: Sequence[str] = (),
    base: str | None = None,
) -> Variant:
    """Build a post-training int8 variant of ``voice`` and store it.

    ``backend`` is the runtime the variant is tuned for (its quantiser and file
    layout); ``weights`` variants run on any backend. ``check_sentences`` are
    synthesised right after the build to record fidelity and speed in the
    manifest. An existing variant of the same name is kept unless ``replace``.
    ``base`` quantises a stored float variant (a pruned or distilled one)
    instead of the voice itself.
    """
    loaded = voice if isinstance(voice, Voice) else Voice.load(voice)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {sorted(PRESETS)}")
    if backend not in _TOOLKIT:
        raise ValueError(
            f"cannot quantise for backend {backend!r}; choose one of {sorted(_TOOLKIT)}"
        )
    resolve_backend_name(backend)  # installed?
    toolkit = _TOOLKIT[backend]
    if preset != "weights" and importlib.util.find_spec(toolkit) is None:
        raise BackendUnavailableError(
            f"{preset!r} for {backend} needs {toolkit}: pip install '{toolkit}'"
        )
    name = name or default_variant_name(preset, backend, base)
    check_new_variant(loaded, name, replace)  # before the slow part
    split = _base_split(loaded, base)
    job = _Job(loaded, split, backend, preset, load_calibration(calibration))
    static = preset != "weights"
    description = {
        "method": "ptq",
        "base": base,
        "preset": preset,
        "description": PRESETS[preset],
        "backend": backend if static else "any",
        "toolkit": toolkit if static else "edgetts",
        "settings": {
            "weights": "int8 symmetric per output channel",
            "activations": "uint8 asymmetric per tensor, min/max" if static else None,
            "static_int8_scopes": _static_scopes(preset),
            "float_scopes": list(DURATION_PATH),
        },
        "calibration": {
            "source": job.calibration.source,
            "sha256": job.calibration.sha256,
            "sentences": len(job.calibration.texts),
        }
        if static
        else None,
    }
    return store_variant(
        loaded,
        name,
        split,
        functools.partial(_build_graphs, job),
        description,
        replace=replace,
        check_backend=backend,
        check_sentences=check_sentences,
    )
