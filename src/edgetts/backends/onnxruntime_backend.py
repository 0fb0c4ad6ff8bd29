"""ONNX Runtime adapter: CPU by default, CUDA only when asked for explicitly.

Inputs are bound with IOBinding straight from the numpy buffers (no copy); the
output OrtValue is exposed as a numpy view (no copy) that post-processing reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import BackendError, BackendUnavailableError, ModelLoadError
from . import BackendOptions
from ._model import OUTPUT, check_model_file, check_model_io, model_inputs

_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


class OnnxRuntimeBackend:
    name = "onnxruntime"

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
        try:
            self._session = ort.InferenceSession(str(model_path), so, providers=[provider])
        except Exception as exc:  # ORT raises its own pybind exception types
            raise ModelLoadError(f"model {model_path} cannot be loaded: {exc}") from exc
        self._path = model_path
        self._takes_speaker = check_model_io(
            model_path,
            [i.name for i in self._session.get_inputs()],
            [o.name for o in self._session.get_outputs()],
        )
        self._binding = self._session.io_binding()

    def infer(
        self, ids: NDArray[np.int64], scales: NDArray[np.float32], speaker_id: int | None
    ) -> NDArray[np.float32]:
        feed = model_inputs(ids, scales, speaker_id, self._takes_speaker, self._path)
        binding = self._binding
        binding.clear_binding_inputs()
        binding.clear_binding_outputs()
        for name, array in feed.items():
            binding.bind_cpu_input(name, array)
        binding.bind_output(OUTPUT)
        try:
            self._session.run_with_iobinding(binding)
        except Exception as exc:
            raise BackendError(f"onnxruntime failed on {ids.shape[1]} ids: {exc}") from exc
        # A view of the output OrtValue (which it keeps alive); the next call
        # binds a new output, so the caller copies what it wants to keep.
        out: NDArray[np.float32] = binding.get_outputs()[0].numpy()
        return out.reshape(-1)


def load(model_path: Path, options: BackendOptions) -> OnnxRuntimeBackend:
    return OnnxRuntimeBackend(model_path, options)
