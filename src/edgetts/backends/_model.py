"""What every adapter shares: checking a Piper model and running it on a graph."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..errors import BackendError, ModelLoadError

if TYPE_CHECKING:
    from . import Graph

REQUIRED_INPUTS = ("input", "input_lengths", "scales")
SPEAKER_INPUT = "sid"
OUTPUT = "output"


def check_model_file(path: Path) -> None:
    """Fail early, naming the file, for what a runtime would report obscurely."""
    if not path.is_file():
        raise ModelLoadError(f"model {path} does not exist")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"model {path} is empty")


def check_model_io(path: Path, inputs: Collection[str], outputs: Collection[str]) -> bool:
    """Check the graph is a Piper VITS model; return whether it takes a speaker id."""
    missing = [n for n in REQUIRED_INPUTS if n not in inputs]
    if missing or OUTPUT not in outputs:
        raise ModelLoadError(
            f"model {path} is not a Piper VITS model: inputs {sorted(inputs)}, "
            f"outputs {sorted(outputs)}; expected inputs {list(REQUIRED_INPUTS)} "
            f"and output {OUTPUT!r}"
        )
    return SPEAKER_INPUT in inputs


def model_inputs(
    ids: NDArray[np.int64],
    scales: NDArray[np.float32],
    speaker_id: int | None,
    takes_speaker: bool,
    path: Path,
) -> dict[str, NDArray[np.generic]]:
    """The feed dict; arrays are C-contiguous so runtimes can share their memory."""
    if ids.dtype != np.int64 or ids.ndim != 2 or ids.shape[0] != 1:
        raise TypeError(f"ids must be int64 of shape (1, T), got {ids.dtype} {ids.shape}")
    feed: dict[str, NDArray[np.generic]] = {
        "input": np.ascontiguousarray(ids),
        "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
        "scales": np.ascontiguousarray(scales, dtype=np.float32),
    }
    if takes_speaker:
        feed[SPEAKER_INPUT] = np.array([speaker_id or 0], dtype=np.int64)
    elif speaker_id not in (None, 0):
        raise BackendError(f"model {path} has a single speaker; got speaker_id={speaker_id}")
    return feed


class PiperModel:
    """The :class:`~edgetts.backends.Backend` for a Piper VITS graph on any runtime."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.name = graph.backend
        self._takes_speaker = check_model_io(graph.path, graph.inputs, graph.outputs)
        self._output = graph.outputs.index(OUTPUT)

    def infer(
        self, ids: NDArray[np.int64], scales: NDArray[np.float32], speaker_id: int | None
    ) -> NDArray[np.float32]:
        feed = model_inputs(ids, scales, speaker_id, self._takes_speaker, self.graph.path)
        out: NDArray[np.float32] = self.graph.run(feed)[self._output]
        return out.reshape(-1)
