"""Audio before the sentence is done: run the flow and decoder in windows.

The prior graph (text encoder, duration predictor) runs once per sentence.
The first window then runs the flow and the decoder on just its own frames
plus some right context, so the first sound costs only the prior and a few
dozen frames; after it, the flow runs once over the whole sentence and the
decoder works through it in windows that grow eightfold, each decoded with
``DECODER_CONTEXT`` frames of overlap on both sides that are thrown away (on
OpenVINO, windows of a few fixed sizes instead, see ``_fixed_windows``). The
result matches the whole-sentence synthesis (measured on the real voice: 61 dB
SNR or better over the long development sentences; see the tests).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .backends import BackendOptions, Graph, load_graph
from .backends._model import check_model_io, model_inputs
from .split import GRAPHS, SplitVoice, TextPrior, split_voice, text_prior

__all__ = ["PriorOutput", "SplitModel", "bucket", "expand_prior"]

DECODER_CONTEXT = 8  # frames each side of a decoder window
FLOW_CONTEXT = 24  # further right context for the first window's own flow pass
MAX_WINDOW_FRAMES = 512
#: The window sizes (frames) OpenVINO decodes in: the first streamed chunk
#: takes the smallest that holds it, the rest of a sentence 64 and 256.
FIXED_WINDOWS = (16, 64, 256)
# Each window is this much longer than the last: few windows (each pays its
# context twice), and each is decoded long before the audio before it has played.
WINDOW_GROWTH = 8

#: Where the prior runs when the flow and decoder run on OpenVINO. The prior
#: takes each sentence's phoneme count as its shape, and OpenVINO re-plans its
#: ~1 600 nodes whenever an input shape changes: on the voice's text prior
#: (102 phonemes, 2 cores, inputs cycling through 9 bucket sizes as sentences
#: do) 30.5 ms a call on OpenVINO, 21.4 ms when the shape repeats, against
#: 20.6 ms on ONNX Runtime, which takes new shapes at no cost. Static shapes per
#: bucket would cost 0.4-1.2 s of compilation each. The flow and decoder keep
#: OpenVINO (fixed windows, bf16); docs/variants.md has the measurements.
PRIOR_BACKEND = {"openvino": "onnxruntime"}

Array = NDArray[np.float32]


def bucket(length: int) -> int:
    """``length`` rounded up to one of 8 sizes per octave (at most 12.5% more)."""
    step = max(8, (1 << (max(length, 1).bit_length() - 1)) // 8)
    return -(-length // step) * step


@dataclass(frozen=True)
class PriorOutput:
    """What the prior graph made of one sentence."""

    z_p: Array  # (1, channels, frames)
    mask: Array  # (1, 1, frames)
    durations: Array  # frames per phoneme id
    #: The frames voiced, where the rest is context (see :meth:`voicing`).
    span: tuple[int, int] | None = None

    @property
    def voiced(self) -> tuple[int, int]:
        return self.span or (0, self.z_p.shape[2])

    def voicing(self, first_id: int, end_id: int) -> PriorOutput:
        """This output voicing only ids ``first_id:end_id``: the frames of the
        others are context, decoded beside them and thrown away. ``durations``
        then cover the voiced ids in the id layout BOS PAD ... EOS, with no
        frames for those three."""
        edges = np.concatenate([[0], np.cumsum(np.rint(self.durations))]).astype(int)
        durations = np.concatenate([[0, 0], self.durations[first_id:end_id], [0]])
        span = (int(edges[first_id]), int(edges[end_id]))
        return replace(self, durations=durations.astype(np.float32), span=span)


def expand_prior(
    mean: Array,
    log_std: Array,
    durations: Array,
    noise_scale: float,
    noise: np.random.Generator,
) -> Array:
    """``z_p``: each id's mean and deviation repeated for its frames, then sampled.

    As Piper's graph does it (one frame at least; ``durations`` are whole
    numbers), with ``noise`` drawing the standard normal.
    """
    repeats = durations.reshape(-1).astype(np.int64)
    covered = int(repeats.sum())
    mean_f = np.zeros((1, mean.shape[1], max(1, covered)), np.float32)
    std_f = np.ones_like(mean_f)  # exp(0) where no id covers the single frame
    if covered:
        mean_f[0] = np.repeat(mean[0], repeats, axis=1)
        std_f[0] = np.exp(np.repeat(log_std[0], repeats, axis=1))
    draw = noise.standard_normal(mean_f.shape, dtype=np.float32)
    z_p: Array = mean_f + draw * std_f * np.float32(noise_scale)
    return z_p


class SplitModel:
    """A Piper voice split into prior, flow and decoder graphs on one backend
    (on OpenVINO, the prior on ONNX Runtime: see :data:`PRIOR_BACKEND`).

    It is also a :class:`~edgetts.backends.Backend`: ``infer`` chains the three
    graphs, which is how stored variants (split and quantised) are spoken.
    """

    def __init__(
        self,
        split: SplitVoice,
        backend: str,
        options: BackendOptions,
        precisions: Mapping[str, str] | None = None,
    ) -> None:
        """``precisions``: graph name -> precision, where not ``options.precision``."""
        self.split = split
        self.precisions = {g: (precisions or {}).get(g, options.precision) for g in GRAPHS}

        #: The backend each graph runs on.
        self.graph_backends = {g: backend for g in GRAPHS}
        self.graph_backends["prior"] = PRIOR_BACKEND.get(backend, backend)
        if self.graph_backends["prior"] != backend:
            self.precisions["prior"] = "fp32"  # it never runs in bf16 (edgetts.hardware)

        def load(graph: str, path: Path) -> Graph:
            graph_options = replace(options, precision=self.precisions[graph])
            return load_graph(self.graph_backends[graph], path, graph_options)

        self.flow = load("flow", split.flow)
        self.decoder = load("decoder", split.decoder)
        self.name = self.flow.backend
        # OpenVINO compiles kernels for every new shape, and every sentence has
        # new lengths: pad frames to a few bucket sizes so shapes repeat, and
        # expand phonemes into frames outside the prior, where the frame count
        # is no shape.
        self.bucketed = self.name == "openvino"
        self.text: TextPrior | None = None
        if self.bucketed:
            self.text = text_prior(split.prior, options.cache_dir and options.cache_dir / "split")
        self.prior = load("prior", self.text.path if self.text else split.prior)
        self._takes_speaker = check_model_io(
            split.prior, self.prior.inputs, [*self.prior.outputs, "output"]
        )
        self._noise = np.random.default_rng()
        self.hop: int | None = None  # audio samples per frame, known after the first decode
        if self.bucketed:
            self.warm_up()

    @classmethod
    def of_voice(
        cls, model_path: Path, backend: str, options: BackendOptions, cache_dir: Path | None = None
    ) -> SplitModel:
        """The voice ``model_path`` split (once, then cached) and loaded."""
        return cls(split_voice(model_path, cache_dir), backend, options)

    def _padded(self, array: NDArray[Any], length: int) -> NDArray[Any]:
        """``array`` zero-padded along its last axis to a bucket size (OpenVINO only)."""
        if not self.bucketed:
            return np.ascontiguousarray(array)
        pad = bucket(length) - array.shape[-1]
        return np.pad(array, [(0, 0)] * (array.ndim - 1) + [(0, pad)])

    def run_prior(
        self, ids: NDArray[np.int64], scales: Array, speaker_id: int | None
    ) -> PriorOutput:
        """Run the prior graph once for a sentence."""
        feed = model_inputs(ids, scales, speaker_id, self._takes_speaker, self.split.prior)
        feed["input"] = np.ascontiguousarray(ids)  # never on OpenVINO: any length
        # Copies: the runtime's buffers are reused, and these outlive the next call.
        out = dict(zip(self.prior.outputs, self.prior.run(feed), strict=True))
        if self.text is not None:
            names: tuple[str, ...] = (self.text.mean, self.text.log_std, self.text.durations)
            mean, log_std, durations = (out[name] for name in names)
            z_p = expand_prior(mean, log_std, durations, float(scales[0]), self._noise)
            mask = np.ones((1, 1, z_p.shape[2]), np.float32)
        else:
            cut = self.split
            z_p, mask, durations = (
                np.array(out[name], dtype=np.float32) for name in (cut.z_p, cut.mask, cut.durations)
            )
        return PriorOutput(z_p, mask, np.array(durations, np.float32).reshape(-1)[: ids.shape[1]])

    def infer(
        self, ids: NDArray[np.int64], scales: Array, speaker_id: int | None
    ) -> NDArray[np.float32]:
        return self.decode(self.run_prior(ids, scales, speaker_id))

    def latent(self, prior: PriorOutput, stop: int) -> Array:
        """The flow's latent z for the first ``stop`` frames (a copy)."""
        # Padded frames are masked: the flow's output there is zero and ignored.
        feed = {
            self.split.z_p: self._padded(prior.z_p[:, :, :stop], stop),
            self.split.mask: self._padded(prior.mask[:, :, :stop], stop),
        }
        return np.array(self.flow.run(feed)[0][:, :, :stop])

    def _decode(self, z: Array) -> Array:
        frames = z.shape[2]  # any length: OpenVINO decodes in _window instead
        audio: Array = self.decoder.run({self.split.z: np.ascontiguousarray(z)})[0].reshape(-1)
        if self.hop is None and frames:
            self.hop = len(audio) // frames
        return audio[: frames * (self.hop or 0)]

    def decode(self, prior: PriorOutput) -> Array:
        """The sentence's voiced waveform (a view: copy to keep)."""
        z = self.latent(prior, prior.z_p.shape[2])
        start, stop = prior.voiced
        if not self.bucketed and prior.span is None and stop <= MAX_WINDOW_FRAMES:
            return self._decode(z)
        # Long sentences in windows: the decoder's memory grows with its input
        # (ONNX Runtime's arena peaked at 1 GB on 400-phoneme calls otherwise).
        if self.bucketed:
            windows = self._fixed_windows(z, start, stop)
        else:
            windows = self._windows(z, start, stop, MAX_WINDOW_FRAMES)
        pieces = [np.array(piece) for piece in windows]
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def _windows(
        self, z: Array, start: int, stop: int, size: int, growth: int = 1
    ) -> Iterator[Array]:
        """Frames ``start:stop``, decoded in windows of ``size`` frames (plus
        context) that grow ``growth``-fold up to ``MAX_WINDOW_FRAMES``."""
        frames, size = z.shape[2], min(size, MAX_WINDOW_FRAMES)
        while start < stop:
            end = min(stop, start + size)
            left, right = max(0, start - DECODER_CONTEXT), min(frames, end + DECODER_CONTEXT)
            audio = self._decode(z[:, :, left:right])
            hop = self.hop or 1
            yield audio[(start - left) * hop : (end - left) * hop]
            start, size = end, min(MAX_WINDOW_FRAMES, size * growth)

    def _window(self, z: Array, start: int, size: int, stop: int) -> Array:
        """Frames ``start`` to ``start + size`` (not past ``stop``) decoded as one
        fixed shape (a view).

        The shape is ``size`` frames plus ``DECODER_CONTEXT`` either side, zeros
        past the end, so OpenVINO sees only the shapes compiled at load.
        """
        frames = z.shape[2]
        lo = max(0, start - DECODER_CONTEXT)
        hi = lo + size + 2 * DECODER_CONTEXT
        window = z[:, :, lo : min(frames, hi)]
        padded = np.pad(window, [(0, 0), (0, 0), (0, hi - lo - window.shape[2])])
        audio: Array = self.decoder.run({self.split.z: padded})[0].reshape(-1)
        hop = self.hop = len(audio) // padded.shape[2]
        return audio[(start - lo) * hop : (min(stop, start + size) - lo) * hop]

    def _fixed_windows(self, z: Array, start: int, stop: int) -> Iterator[Array]:
        """Frames ``start:stop``, decoded in windows of :data:`FIXED_WINDOWS` only.

        OpenVINO compiles kernels and plans memory for each new input shape
        (measured on the decoder: 110-140 ms in f32, 480-620 ms in bf16, against
        30-80 ms for a shape it has seen; and RSS grew to 1.1 GB over 1 000
        streamed sentences when windows took bucketed shapes), so every window
        takes one of the few shapes compiled when the model loads.
        """
        tiny, small, big = FIXED_WINDOWS
        while start < stop:
            left = stop - start
            size = big if left > 3 * small else small if left > tiny else tiny
            yield self._window(z, start, size, stop)
            start += size

    def warm_up(self) -> None:
        """Compile the decoder for its fixed window shapes (OpenVINO), once, at load."""
        import onnx

        graph = onnx.load(str(self.split.decoder), load_external_data=False).graph
        channels = graph.input[0].type.tensor_type.shape.dim[1].dim_value
        for size in FIXED_WINDOWS:
            self._window(np.zeros((1, channels, size), np.float32), 0, size, size)

    def chunks(self, prior: PriorOutput, *, first_samples: int) -> Iterator[Array]:
        """Yield the sentence's waveform window by window (views: copy to keep).

        The first window holds about ``first_samples`` samples (whole frames).
        """
        if first_samples < 1:
            raise ValueError(f"first_samples must be at least 1, got {first_samples!r}")
        frames, (start, stop) = prior.z_p.shape[2], prior.voiced
        if start >= stop:
            return
        size = max(1, -(-first_samples // (self.hop or 256)))  # Piper's hop until measured
        if self.bucketed:  # at most one fixed window
            size = min(size, FIXED_WINDOWS[-1])
        first = min(stop, start + size)
        # First window: its own short flow pass, then the decoder.
        z_first = self.latent(prior, min(frames, first + DECODER_CONTEXT + FLOW_CONTEXT))
        if self.bucketed:  # in the smallest fixed window that holds it
            window = next(w for w in FIXED_WINDOWS if w >= first - start)
            yield self._window(z_first, start, window, first)
        else:
            yield next(self._windows(z_first, start, first, size))
        if first == stop:
            return
        z = self.latent(prior, frames)
        if self.bucketed:
            yield from self._fixed_windows(z, first, stop)
            return
        yield from self._windows(z, first, stop, size * WINDOW_GROWTH, WINDOW_GROWTH)
