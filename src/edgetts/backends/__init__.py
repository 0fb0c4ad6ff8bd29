"""Inference backends behind one small Protocol, chosen by name.

Detection never imports a runtime (``importlib.util.find_spec``); an adapter
imports its runtime only when it is loaded, so ``import edgetts`` stays light
and a missing extra fails at use, naming the pip extra to install.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ..config import check_int
from ..errors import BackendUnavailableError

__all__ = [
    "Backend",
    "BackendOptions",
    "Graph",
    "available_backends",
    "load_backend",
    "load_graph",
    "resolve_backend_name",
]

_LOGGER = logging.getLogger(__name__)


class Backend(Protocol):
    """Runs a Piper VITS model: phoneme ids in, raw float32 waveform out."""

    name: str

    def infer(
        self, ids: NDArray[np.int64], scales: NDArray[np.float32], speaker_id: int | None
    ) -> NDArray[np.float32]:
        """Return the model's raw 1-D waveform for ``ids`` (shape ``(1, T)``).

        The result may be a view of runtime-owned memory that is only valid
        until the next ``infer`` call: copy it (post-processing does) to keep it.
        """
        ...


class Graph(Protocol):
    """One ONNX graph loaded by a runtime: named arrays in, arrays out.

    ``run`` may return views of runtime-owned memory, valid until the next call.
    """

    backend: str
    path: Path
    inputs: list[str]
    outputs: list[str]

    def run(self, feed: Mapping[str, NDArray[Any]]) -> list[NDArray[Any]]: ...


@dataclass(frozen=True)
class BackendOptions:
    """Backend settings; ``None`` means the runtime's own default."""

    threads: int | None = None
    device: str = "cpu"
    precision: str = "fp32"
    cache_dir: Path | None = None
    #: Let idle runtime threads spin before sleeping (ONNX Runtime): faster for one
    #: graph run alone; off where graphs alternate (split models), see the adapter.
    spin: bool = False

    def __post_init__(self) -> None:
        check_int("threads", self.threads, low=1, none=True)


@dataclass(frozen=True)
class _Entry:
    module: str  # the Python package the runtime installs
    adapter: str  # edgetts module holding the adapter
    extra: str  # pip extra that installs it


_REGISTRY: dict[str, _Entry] = {
    "onnxruntime": _Entry("onnxruntime", "onnxruntime_backend", "edgetts"),
    "openvino": _Entry("openvino", "openvino_backend", "edgetts[openvino]"),
}
_AUTO_ORDER = ("openvino", "onnxruntime")


def available_backends() -> list[str]:
    """Backends whose runtime is installed, found without importing it."""
    return [name for name, e in sorted(_REGISTRY.items()) if importlib.util.find_spec(e.module)]


def resolve_backend_name(name: str, device: str = "cpu") -> str:
    """Validate ``name`` (or pick one for ``"auto"``) and return a known backend name.

    ``"auto"`` picks OpenVINO for the CPU when it is installed, else ONNX Runtime
    (the only adapter here that runs on other devices).
    """
    if not isinstance(name, str):
        raise TypeError(f"backend must be a str, got {type(name).__name__}")
    installed = available_backends()
    if name == "auto":
        order = _AUTO_ORDER if device == "cpu" else ("onnxruntime",)
        for candidate in order:
            if candidate in installed:
                _LOGGER.info("backend='auto' chose %s (installed: %s)", candidate, installed)
                return candidate
        raise BackendUnavailableError("no backend is installed; pip install onnxruntime")
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, [*_REGISTRY, "auto"], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown backend {name!r}; installed backends: {[*installed, 'auto']}{hint}"
        )
    if name not in installed:
        raise BackendUnavailableError(
            f"backend {name!r} is not installed (installed: {installed}); "
            f"pip install '{_REGISTRY[name].extra}'"
        )
    return name


def load_graph(name: str, model_path: Path, options: BackendOptions | None = None) -> Graph:
    """Load any ONNX graph with the backend called ``name`` (or ``"auto"``)."""
    options = options or BackendOptions()
    resolved = resolve_backend_name(name, options.device)
    module = importlib.import_module(f".{_REGISTRY[resolved].adapter}", __name__)
    graph: Graph = module.load_graph(model_path, options)
    return graph


def load_backend(name: str, model_path: Path, options: BackendOptions | None = None) -> Backend:
    """Load the Piper voice model ``model_path`` with the backend called ``name``."""
    from ._model import PiperModel

    return PiperModel(load_graph(name, model_path, options))
