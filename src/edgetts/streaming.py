"""Audio before the sentence is done: decode the latent ``z`` in windows.

The front graph (text encoder, duration predictor, flow) runs once per
sentence; the decoder, purely convolutional, then runs on windows of ``z``
with ``context`` frames of overlap on each side that are decoded and thrown
away, so each window's audio matches the whole-sentence decode there (measured
on the real voice: 61 dB SNR or better with the default 8 frames of context,
about 130 dB with 16). The
first window is small for a quick first sound; later ones grow fourfold so
the overlap costs little in total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .backends import BackendOptions, Graph, load_graph
from .backends._model import check_model_io, model_inputs
from .split import split_voice

__all__ = ["Front", "StreamingModel"]

DEFAULT_CONTEXT_FRAMES = 8
MAX_WINDOW_FRAMES = 512


@dataclass(frozen=True)
class Front:
    """What the front graph made of one sentence."""

    z: NDArray[np.float32]  # (1, channels, frames)
    extra: list[NDArray[np.float32]]  # further decoder inputs (speaker embedding)
    durations: NDArray[np.float32]  # frames per phoneme id
    hop: int  # audio samples per frame


class StreamingModel:
    """A Piper voice split into front and decoder graphs on one backend."""

    def __init__(
        self, model_path: Path, backend: str, options: BackendOptions, cache_dir: Path | None = None
    ) -> None:
        split = split_voice(model_path, cache_dir)
        self.front_graph: Graph = load_graph(backend, split.front, options)
        self.decoder: Graph = load_graph(backend, split.decoder, options)
        self._model_path = model_path
        self._decoder_inputs = split.decoder_inputs
        self._takes_speaker = check_model_io(
            model_path, self.front_graph.inputs, [*self.front_graph.outputs, "output"]
        )
        self._hop: int | None = None

    def _samples_per_frame(self, z: NDArray[np.float32], extra: list[NDArray[np.float32]]) -> int:
        """The decoder's total upsampling, probed once on a few frames of real ``z``."""
        if self._hop is None:
            frames = min(4, z.shape[2])
            if frames == 0:
                return 0  # nothing to decode; a later sentence probes
            self._hop = len(self._decode(z[:, :, :frames], extra)) // frames
        return self._hop

    def _decode(
        self, z: NDArray[np.float32], extra: list[NDArray[np.float32]]
    ) -> NDArray[np.float32]:
        feed = dict(zip(self._decoder_inputs, [np.ascontiguousarray(z), *extra], strict=True))
        out: NDArray[np.float32] = self.decoder.run(feed)[0]
        return out.reshape(-1)

    def front(
        self, ids: NDArray[np.int64], scales: NDArray[np.float32], speaker_id: int | None
    ) -> Front:
        """Run the front graph once for a sentence."""
        feed = model_inputs(ids, scales, speaker_id, self._takes_speaker, self._model_path)
        outputs = self.front_graph.run(feed)
        # Copies: the runtime's buffers are reused, and these outlive the next call.
        z = np.array(outputs[0], dtype=np.float32)
        extra = [np.array(o, dtype=np.float32) for o in outputs[1 : len(self._decoder_inputs)]]
        durations = np.array(outputs[len(self._decoder_inputs)], dtype=np.float32).reshape(-1)
        hop = self._samples_per_frame(z, extra)
        return Front(z, extra, durations, hop)

    def decode(self, front: Front) -> NDArray[np.float32]:
        """The whole sentence's waveform (a view: copy to keep)."""
        return self._decode(front.z, front.extra)

    def chunks(
        self, front: Front, *, first_samples: int, context: int = DEFAULT_CONTEXT_FRAMES
    ) -> Iterator[NDArray[np.float32]]:
        """Yield the sentence's waveform window by window (views: copy to keep).

        The first window holds about ``first_samples`` samples (whole frames).
        """
        if first_samples < 1:
            raise ValueError(f"first_samples must be at least 1, got {first_samples!r}")
        frames, hop = front.z.shape[2], max(front.hop, 1)
        start, size = 0, max(1, -(-first_samples // hop))
        while start < frames:
            stop = min(frames, start + size)
            left, right = max(0, start - context), min(frames, stop + context)
            audio = self._decode(front.z[:, :, left:right], front.extra)
            yield audio[(start - left) * hop : (stop - left) * hop]
            start, size = stop, min(MAX_WINDOW_FRAMES, size * 4)
