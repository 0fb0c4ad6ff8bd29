"""OpenVINO CPU adapter.

The inference precision is always set explicitly: OpenVINO defaults to bf16 on
CPUs with AMX/AVX512-BF16, which changes predicted durations and can overflow
the model's ``Range`` node. Compiled models are cached under ``cache_dir``
(OpenVINO keys its blobs by model content, device config and its version).
Inputs are wrapped as shared-memory tensors and the outputs are read as views.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ..errors import BackendError, ModelLoadError
from ..files import home_dir
from . import BackendOptions
from ._model import check_model_file

_PRECISIONS = {"fp32": "f32", "bf16": "bf16"}  # bf16: see edgetts.hardware


def default_cache_dir() -> Path:
    return home_dir() / "openvino"


class OpenVINOGraph:
    """One ONNX (or OpenVINO IR) graph compiled for the CPU."""

    backend = "openvino"

    def __init__(self, model_path: Path, options: BackendOptions) -> None:
        import openvino as ov

        if options.device != "cpu":
            raise ValueError(f"openvino device {options.device!r} is not supported; use 'cpu'")
        if options.precision not in _PRECISIONS:
            raise ValueError(
                f"openvino precision {options.precision!r} is not supported; use one of "
                f"{sorted(_PRECISIONS)}"
            )
        check_model_file(model_path)
        cache_dir = options.cache_dir or default_cache_dir()
        config: dict[str, object] = {
            "INFERENCE_PRECISION_HINT": _PRECISIONS[options.precision],
            "PERFORMANCE_HINT": "LATENCY",  # one utterance at a time, as TTS runs
            # Int8-compressed weights would otherwise have their activations
            # quantized on the fly too, changing the output; keep them exact.
            "DYNAMIC_QUANTIZATION_GROUP_SIZE": 0,
            "CACHE_DIR": str(cache_dir / ov.__version__.split("-")[0]),
        }
        if options.threads is not None:
            config["INFERENCE_NUM_THREADS"] = options.threads
        try:
            compiled = ov.Core().compile_model(str(model_path), "CPU", config)
        except Exception as exc:  # OpenVINO raises a bare RuntimeError subclass
            raise ModelLoadError(f"model {model_path} cannot be loaded: {exc}") from exc
        self.path = model_path
        self.inputs = [i.get_any_name() for i in compiled.inputs]
        self.outputs = [o.get_any_name() for o in compiled.outputs]
        in_force = compiled.get_property("INFERENCE_PRECISION_HINT")
        if in_force != getattr(ov.Type, _PRECISIONS[options.precision]):
            raise BackendError(f"openvino ignored precision {options.precision!r}: runs {in_force}")
        self.precision = options.precision
        self.compiled_model = compiled
        self._request = compiled.create_infer_request()

    def run(self, feed: Mapping[str, NDArray[Any]]) -> list[NDArray[Any]]:
        try:
            result = self._request.infer(dict(feed), share_inputs=True, share_outputs=True)
        except Exception as exc:
            raise BackendError(f"openvino failed on {self.path.name}: {exc}") from exc
        return [result[name] for name in self.outputs]


def load_graph(model_path: Path, options: BackendOptions) -> OpenVINOGraph:
    return OpenVINOGraph(model_path, options)
