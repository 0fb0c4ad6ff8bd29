"""ONNX Runtime adapter: CPU by default, CUDA only when asked for explicitly.

Inputs are bound with IOBinding straight from the numpy buffers (no copy); the
output OrtValues are exposed as numpy views (no copy) that post-processing reads.

A graph whose only quantisation is int8 weights (``DequantizeLinear`` on
initializers, no ``QuantizeLinear``: ``edgetts optimize ptq --preset weights``,
the ``fast`` variant's text encoder) is loaded with ONNX Runtime's QDQ handling
off, so that constant folding turns those weights into float ones once, at
load, instead of dequantising them on every call (the fast variant's prior:
13% faster, the same outputs). Graphs with int8 activations keep it on: it is
what fuses them into int8 kernels.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ..errors import BackendError, BackendUnavailableError, ModelLoadError
from . import BackendOptions
from ._model import check_model_file

_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


class OnnxRuntimeGraph:
    """One ONNX graph in an ONNX Runtime session."""

    backend = "onnxruntime"

    def __init__(self, model_path: Path, options: BackendOptions) -> None:
        import onnxruntime as ort

        if options.device not in _PROVIDERS:
            raise ValueError(
                f"onnxruntime device {options.device!r} is not supported; use one of "
                f"{sorted(_PROVIDERS)}"
            )
        if options.precision != "fp32":
            raise ValueError(
                f"onnxruntime runs the model in its own precision; precision must be 'fp32', "
                f"got {options.precision!r} (load an int8 model file instead)"
            )
        provider = _PROVIDERS[options.device]
        if provider not in ort.get_available_providers():
            raise BackendUnavailableError(
                f"onnxruntime has no {provider} here (available: "
                f"{ort.get_available_providers()}); pip install onnxruntime-gpu for CUDA"
            )
        check_model_file(model_path)
        so = ort.SessionOptions()
        if options.threads is not None:
            so.intra_op_num_threads = options.threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        # Spinning threads pick up the next op sooner (piper-tts's default, and 15%
        # faster for the whole graph on 2 cores), but where sessions alternate, as
        # the split graphs do, one session's spinning threads steal another's cores.
        so.add_session_config_entry("session.intra_op.allow_spinning", "1" if options.spin else "0")
        try:
            #: Whether int8 weights are folded into float ones at load (see the module).
            self.folds_weights = weights_only_int8(model_path)
            if self.folds_weights:
                so.add_session_config_entry("session.disable_quant_qdq", "1")
            self._session = ort.InferenceSession(str(model_path), so, providers=[provider])
        except Exception as exc:  # ORT raises its own pybind exception types
            raise ModelLoadError(f"model {model_path} cannot be loaded: {exc}") from exc
        if self._session.get_providers()[0] != provider:  # ORT drops a provider that fails
            raise BackendUnavailableError(
                f"onnxruntime could not start {provider} for {model_path.name} "
                f"(running {self._session.get_providers()}); refusing to fall back silently"
            )
        self.path = model_path
        self.inputs = [i.name for i in self._session.get_inputs()]
        self.outputs = [o.name for o in self._session.get_outputs()]
        self._binding = self._session.io_binding()

    def run(self, feed: Mapping[str, NDArray[Any]]) -> list[NDArray[Any]]:
        binding = self._binding
        binding.clear_binding_inputs()
        binding.clear_binding_outputs()
        for name, array in feed.items():
            binding.bind_cpu_input(name, array)
        for name in self.outputs:
            binding.bind_output(name)
        try:
            self._session.run_with_iobinding(binding)
        except Exception as exc:
            raise BackendError(f"onnxruntime failed on {self.path.name}: {exc}") from exc
        # Views of the output OrtValues (which they keep alive); the next call
        # binds new outputs, so the caller copies only what it keeps.
        return [value.numpy() for value in binding.get_outputs()]


def weights_only_int8(model_path: Path) -> bool:
    """Whether the graph dequantises weights but quantises no activation."""
    import onnx

    ops = {node.op_type for node in onnx.load(str(model_path), load_external_data=False).graph.node}
    return "DequantizeLinear" in ops and "QuantizeLinear" not in ops


def load_graph(model_path: Path, options: BackendOptions) -> OnnxRuntimeGraph:
    return OnnxRuntimeGraph(model_path, options)
