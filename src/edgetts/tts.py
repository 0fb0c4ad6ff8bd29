"""The user-facing engine: text -> sentences -> ids -> backend -> audio."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from . import audio as _audio
from .backends import Backend, BackendOptions, load_backend, resolve_backend_name
from .config import SynthesisConfig, check_int, check_number
from .errors import ModelLoadError, VariantError
from .hardware import graph_precisions
from .packs import default_variant, shipped_variant
from .phonemize import Sentence, segment_sentences
from .speech import Audio
from .split import GRAPHS
from .ssml import Segment, segments_of
from .streaming import PriorOutput, SplitModel
from .text import check_text
from .timestamps import PhonemeTime, Timeline, WordTime, phoneme_times, word_times
from .variants import REFERENCE_VARIANT
from .voice import Voice

__all__ = ["EdgeTTS"]

_LOGGER = logging.getLogger(__name__)

#: The most phonemes one model call takes (about twice as many ids): the text
#: encoder's attention grows with the square of its length, so longer sentences,
#: long <phoneme> runs and unbroken words are cut at word boundaries first. A
#: 40-word sentence has about 240.
MAX_CALL_PHONEMES = 400
#: Where a sentence is cut, each call also hears up to this many phonemes of
#: the words either side (within MAX_CALL_PHONEMES), so durations and intonation
#: run on across the cut; measured in docs/streaming.md#long-sentences.
CALL_CONTEXT_PHONEMES = 48


class EdgeTTS:
    """Speak text with a Piper voice on a chosen backend.

    >>> tts = EdgeTTS()                      # default voice, backend="auto"
    >>> tts.speak("Hello there.").save("hello.wav")

    One instance may be shared by threads: inference is serialised per instance.
    """

    def __init__(
        self,
        voice: str | os.PathLike[str] | None = None,
        backend: str = "auto",
        *,
        threads: int | None = None,
        device: str = "cpu",
        cache_dir: str | os.PathLike[str] | None = None,
        normalize: bool | None = None,
        variant: str | None = None,
        precision: str = "auto",
    ) -> None:
        """``variant=None`` speaks with the voice's shipped default for the backend
        (the fast variant, built into the model store on first use, see
        :mod:`edgetts.packs`), or its own graph where none ships; ``"fp32"`` is
        always the voice's own graph. ``precision`` (``"auto"``, ``"fp32"``,
        ``"bf16"``) follows the rule in :mod:`edgetts.hardware`."""
        self.voice = Voice.load(voice)
        #: Expand numbers, money, dates and abbreviations (None: for English voices).
        self.normalize = normalize
        options = BackendOptions(
            threads=threads, device=device, cache_dir=Path(cache_dir) if cache_dir else None
        )
        self._options = options
        self._streaming: SplitModel | None = None  # made on first use
        resolved = resolve_backend_name(backend, device)
        if variant is None:
            variant = default_variant(self.voice, resolved)
            _LOGGER.info("variant %s: the default of %s on %s", variant, self.voice.name, resolved)
        #: The model-store variant spoken (see :mod:`edgetts.variants`).
        self.variant = variant
        if self.variant == REFERENCE_VARIANT:
            graph_precisions(resolved, precision, (), GRAPHS)  # validates it
            self.backend: Backend = self._load_reference(resolved, options)
        else:
            self._streaming = self._load_variant(self.variant, backend, options, precision)
            self.backend = self._streaming
        self._streaming_lock = threading.Lock()
        self._lock = threading.Lock()
        _LOGGER.info("voice %s on backend %s", self.voice.name, self.backend.name)

    def _load_reference(self, resolved: str, options: BackendOptions) -> Backend:
        """The voice's own model; on OpenVINO as split graphs, which take bucketed shapes."""
        if resolved == "openvino":
            try:
                self._streaming = SplitModel.of_voice(
                    self.voice.model_path, resolved, options, self._split_cache()
                )
                return self._streaming
            except ModelLoadError as exc:  # e.g. multi-speaker: the whole graph still runs
                _LOGGER.info("running the whole graph: %s", exc)
        return load_backend(resolved, self.voice.model_path, replace(options, spin=True))

    def _split_cache(self) -> Path | None:
        return self._options.cache_dir / "split" if self._options.cache_dir else None

    def _load_variant(
        self, name: str, backend: str, options: BackendOptions, precision: str
    ) -> SplitModel:
        stored = shipped_variant(self.voice, name)
        if backend == "auto" and stored.backend != "any":
            backend = stored.backend
        resolved = resolve_backend_name(backend, options.device)
        if not stored.runs_on(resolved):
            raise VariantError(
                f"variant {name!r} of {self.voice.name} was built for {stored.backend}, "
                f"not {resolved}: use backend={stored.backend!r}"
            )
        precisions = graph_precisions(resolved, precision, stored.bf16_graphs, GRAPHS)
        if "bf16" in precisions.values():
            _LOGGER.info("variant %s runs %s (AMX-BF16 CPU)", name, precisions)
        return SplitModel(stored.split, resolved, options, precisions)

    @property
    def graph_backends(self) -> dict[str, str]:
        """The backend each graph runs on (``{"model": name}`` for the whole graph)."""
        if isinstance(self.backend, SplitModel):
            return dict(self.backend.graph_backends)
        return {"model": self.backend.name}

    @property
    def precisions(self) -> dict[str, str]:
        """The precision each graph runs in (``{"model": "fp32"}`` for the whole graph)."""
        if isinstance(self.backend, SplitModel):
            return dict(self.backend.precisions)
        return {"model": "fp32"}

    @property
    def streams_inside_sentences(self) -> bool:
        """Whether ``stream(chunk_ms=...)`` works: the voice splits into its graphs."""
        try:
            self._split_model()
        except ModelLoadError:
            return False
        return True

    @property
    def sample_rate(self) -> int:
        """The voice's native sample rate."""
        return self.voice.config.sample_rate

    def phonemize(self, text: str, *, ssml: bool | None = None) -> list[Sentence]:
        """The sentences of ``text`` with the phonemes the voice will speak
        (``ssml`` as in :meth:`stream`: markup is read, never spoken)."""
        check_text(text)
        segments = segments_of(text, ssml)
        return [s for segment in segments for s in self._segment_sentences(segment)]

    def _segment_sentences(self, segment: Segment) -> Iterator[Sentence]:
        espeak_voice = self.voice.config.espeak_voice
        return segment_sentences(segment, espeak_voice, normalize=self.normalize)

    def _ids(self, sentence: Sentence) -> NDArray[np.int64]:
        mapped = self.voice.id_mapper((*sentence.before, *sentence.phonemes, *sentence.after))
        if mapped.missing:
            _LOGGER.warning("voice %s skipped unknown phonemes %s", self.voice.name, mapped.missing)
        return mapped.ids[np.newaxis, :]

    def _split_model(self) -> SplitModel:
        with self._streaming_lock:  # made once, on first use: splitting takes a second or so
            if self._streaming is None:
                self._streaming = SplitModel.of_voice(
                    self.voice.model_path, self.backend.name, self._options, self._split_cache()
                )
            return self._streaming

    def _prior(self, sentence: Sentence, config: SynthesisConfig) -> PriorOutput:
        """The split model's prior pass for ``sentence`` (its context not voiced)."""
        scales = np.array(config.scales(self.voice.config), dtype=np.float32)
        model = self._split_model()
        with self._lock:
            prior = model.run_prior(self._ids(sentence), scales, config.speaker_id)
        if sentence.before or sentence.after:
            return prior.voicing(*self.voice.id_mapper.span(sentence.before, sentence.phonemes))
        return prior

    def _calls(self, sentence: Sentence) -> tuple[Sentence, ...]:
        """``sentence`` as model calls of at most :data:`MAX_CALL_PHONEMES`; the
        pieces of a cut one carry context where the voice splits into its graphs
        (whose durations say where the context ends)."""
        if len(sentence.phonemes) <= MAX_CALL_PHONEMES:
            return (sentence,)
        context = CALL_CONTEXT_PHONEMES if self.streams_inside_sentences else 0
        return sentence.bounded(MAX_CALL_PHONEMES, context)

    def _timings(
        self, sentence: Sentence, prior: PriorOutput
    ) -> tuple[tuple[WordTime, ...], tuple[PhonemeTime, ...]]:
        """Word and phoneme timings from the prior's durations (after a decode has
        measured the hop)."""
        seconds_per_frame = (self._split_model().hop or 0) / self.sample_rate
        ids_per_phoneme = self.voice.id_mapper.ids_per_phoneme(sentence.phonemes)
        timing = (sentence.phonemes, ids_per_phoneme, prior.durations, seconds_per_frame)
        return tuple(word_times(sentence.text, *timing)), tuple(phoneme_times(*timing))

    def synthesize_sentence(
        self, sentence: Sentence, config: SynthesisConfig, *, timestamps: bool = False
    ) -> Audio:
        """Run one sentence through the model and post-process it.

        With ``timestamps`` the split model runs instead of the whole graph (the
        same audio, plus the durations that give ``Audio.words`` and ``Audio.phonemes``).
        """
        return self._synthesize(sentence, config, timestamps, None)[0]

    def _synthesize(
        self, sentence: Sentence, config: SynthesisConfig, timestamps: bool, gain: float | None
    ) -> tuple[Audio, float | None]:
        """:meth:`synthesize_sentence`, and the gain it applied. A piece of a cut
        sentence takes the ``gain`` of the pieces before it if that is lower than
        its own: a sentence keeps one loudness across its cuts."""
        split = timestamps or bool(sentence.before or sentence.after)
        prior = self._prior(sentence, config) if split else None
        with self._lock:
            if prior is not None:
                raw = self._split_model().decode(prior)
            else:
                scales = np.array(config.scales(self.voice.config), dtype=np.float32)
                raw = self.backend.infer(self._ids(sentence), scales, config.speaker_id)
            level = config.volume
            if config.peak_normalize:
                own = _audio.peak_gain(raw, config.volume)
                level = gain = own if gain is None or 0 < own < gain else gain
            # The runtime's buffer is reused by the next call: this is the copy.
            samples = _audio.scale(raw, level)
        words, phonemes = self._timings(sentence, prior) if prior is not None else ((), ())
        rate = config.sample_rate or self.sample_rate
        if rate != self.sample_rate:
            # The interpolation filter can overshoot: clip back into [-1, 1].
            samples = _audio.resample(samples, self.sample_rate, rate)
            _audio.scale(samples, out=samples)
        return Audio(samples, rate, words, phonemes, text=sentence.text), gain

    def _stream_sentence(
        self, sentence: Sentence, config: SynthesisConfig, chunk_ms: float
    ) -> Iterator[Audio]:
        """Windows of one sentence; the first carries the sentence's word timings."""
        prior = self._prior(sentence, config)
        first = round(chunk_ms / 1000 * self.sample_rate)
        windows = self._split_model().chunks(prior, first_samples=first)
        timed = False
        while True:
            with self._lock:  # held per window, never across a yield
                raw = next(windows, None)
                if raw is None:
                    return
                samples = _audio.scale(raw, config.volume)
            if not timed:  # the first window has measured the hop
                timed = True
                timings = self._timings(sentence, prior)
                yield Audio(samples, self.sample_rate, *timings, text=sentence.text)
            else:
                yield Audio(samples, self.sample_rate, text=sentence.text)

    def stream(
        self,
        text: str,
        *,
        syn_config: SynthesisConfig | None = None,
        speed: float | None = None,
        noise_scale: float | None = None,
        noise_w: float | None = None,
        speaker_id: int | None = None,
        sample_rate: int | None = None,
        volume: float = 1.0,
        ssml: bool | None = None,
        chunk_ms: float | None = None,
        timestamps: bool = False,
        fast_start: bool = False,
        windowed_sentences: int | None = None,
    ) -> Iterator[Audio]:
        """Yield one :class:`Audio` per sentence as soon as it is synthesised
        (with ``syn_config.sentence_silence``, a chunk of that much silence
        between sentences); each says its ``text`` and ``offset``.

        This is a generator: text is phonemised lazily, so memory stays bounded
        for arbitrarily long input. Arguments (and SSML) are validated before
        the first chunk is requested. ``ssml=None`` treats text that starts
        with ``<speak>`` as SSML (see :mod:`edgetts.ssml`); a ``<break>`` comes
        out as a chunk of silence.

        With ``chunk_ms``, each sentence is decoded in windows (the first about
        ``chunk_ms`` long, later ones larger) and yielded as soon as each is
        ready: see :mod:`edgetts.streaming`. Streamed chunks are not peak
        normalised (the peak is unknown until the sentence ends): they carry
        the model's own level times ``volume``, clipped to [-1, 1], and come at
        the voice's sample rate.

        With ``timestamps`` each sentence's :attr:`Audio.words` and
        :attr:`Audio.phonemes` hold its timings (with ``chunk_ms``, on the
        sentence's first chunk); they are also always filled in when
        ``chunk_ms`` is given.

        With ``fast_start`` (and ``chunk_ms``), a sentence of several clauses
        is synthesised as two: its first clause (up to a ``,``, ``:`` or ``;``),
        then the rest. The first audio then waits for the text encoder on that
        clause alone instead of the whole sentence (which grows with its
        length); the price is a boundary the model did not plan, at a place
        where it pauses anyway. Word timings count the clause as a sentence.

        With ``windowed_sentences`` (and ``chunk_ms``), only that many sentences,
        from the first, are decoded in windows; later ones come whole (each
        still as soon as it is ready, and not peak normalised either, so the
        level does not change). The first audio still waits only for the first
        window; whole sentences cost the CPU less than windowed ones, which a
        server under load spends on the requests waiting behind this one.
        """
        check_text(text)
        config = _synthesis_config(
            syn_config,
            speed=speed,
            noise_scale=noise_scale,
            noise_w=noise_w,
            speaker_id=speaker_id,
            sample_rate=sample_rate,
            volume=volume,
        )
        speakers = self.voice.config.num_speakers
        if config.speaker_id is not None and not 0 <= config.speaker_id < speakers:
            raise ValueError(
                f"speaker_id {config.speaker_id!r} is out of range: voice {self.voice.name} has "
                f"{speakers} speaker(s), ids 0..{speakers - 1}"
            )
        if not isinstance(fast_start, bool):
            raise TypeError(f"fast_start must be a bool, got {type(fast_start).__name__}")
        if fast_start and chunk_ms is None:
            raise ValueError("fast_start=True needs chunk_ms: it is a streaming option")
        if windowed_sentences is not None:
            check_int("windowed_sentences", windowed_sentences, low=1)
            if chunk_ms is None:
                raise ValueError("windowed_sentences needs chunk_ms: it is a streaming option")
        if chunk_ms is not None:
            check_number("chunk_ms", chunk_ms, low=10, high=10_000, unit="milliseconds")
            if config.sample_rate not in (None, self.sample_rate):
                raise ValueError(
                    f"sample_rate={config.sample_rate} cannot be combined with chunk_ms: "
                    f"streamed chunks come at the voice's {self.sample_rate} Hz"
                )
        segments = segments_of(text, ssml)
        for segment in segments:
            _at_rate(config, segment.rate)  # validates every <prosody> speed before any audio
        breaks = sum(s.seconds for s in segments if s.kind == "break")
        if breaks > config.max_break_seconds:
            raise ValueError(
                f"the <break>s ask for {breaks:g} s of silence; at most "
                f"{config.max_break_seconds:g} s (SynthesisConfig.max_break_seconds) are allowed"
            )
        if chunk_ms is not None:  # a streamed sentence, windowed or whole: no peak scaling, timed
            config, timestamps = replace(config, peak_normalize=False), True
        chunks = self._segments_audio(
            segments,
            config,
            chunk_ms,
            timestamps=timestamps,
            fast_start=fast_start,
            windowed=windowed_sentences,
        )
        return _capped(chunks, config.audio_limit(len(text)), segments)

    def _segments_audio(
        self,
        segments: list[Segment],
        config: SynthesisConfig,
        chunk_ms: float | None,
        *,
        timestamps: bool,
        fast_start: bool,
        windowed: int | None,
    ) -> Iterator[Audio]:
        rate = config.sample_rate or self.sample_rate
        gap, spoken = _audio.silence(config.sentence_silence, rate), False
        sentences = 0
        for segment in segments:
            if segment.kind == "break":  # silence asked for is an answer, and the gap
                yield Audio(_audio.silence(segment.seconds, rate), rate)
                spoken = False
                continue
            segment_config = _at_rate(config, segment.rate)
            for sentence in self._segment_sentences(segment):
                if spoken and len(gap):
                    yield Audio(gap, rate)
                spoken = True
                sentences += 1
                window = chunk_ms if windowed is None or sentences <= windowed else None
                for part in sentence.split_first_clause() if fast_start else (sentence,):
                    yield from self._sentence_audio(part, segment_config, window, timestamps)

    def _sentence_audio(
        self, sentence: Sentence, config: SynthesisConfig, chunk_ms: float | None, timestamps: bool
    ) -> Iterator[Audio]:
        """One sentence, in as many model calls as it needs, whole or streamed."""
        gain = None
        for call in self._calls(sentence):
            if chunk_ms is None:
                audio, gain = self._synthesize(call, config, timestamps, gain)
                yield audio
            else:
                yield from self._stream_sentence(call, config, chunk_ms)

    def speak(
        self,
        text: str,
        *,
        syn_config: SynthesisConfig | None = None,
        speed: float | None = None,
        noise_scale: float | None = None,
        noise_w: float | None = None,
        speaker_id: int | None = None,
        sample_rate: int | None = None,
        volume: float = 1.0,
        sentence_silence: float = 0.0,
        ssml: bool | None = None,
        timestamps: bool = False,
    ) -> Audio:
        """Synthesise all of ``text`` into one :class:`Audio`.

        ``speed`` > 1 speaks faster; ``noise_scale``/``noise_w`` default to the
        voice's values; ``sample_rate`` resamples to one of
        :data:`edgetts.SUPPORTED_SAMPLE_RATES`; ``sentence_silence`` seconds of
        silence go between sentences. ``syn_config`` holds all of these (and
        the limits) in one object, instead of the keywords.
        """
        config = _synthesis_config(
            syn_config,
            speed=speed,
            noise_scale=noise_scale,
            noise_w=noise_w,
            speaker_id=speaker_id,
            sample_rate=sample_rate,
            volume=volume,
            sentence_silence=sentence_silence,
        )
        parts: list[np.ndarray] = []
        timeline = Timeline()
        for chunk in self.stream(text, syn_config=config, ssml=ssml, timestamps=timestamps):
            timeline.add(chunk.words, chunk.phonemes, chunk.offset)
            parts.append(chunk.samples)
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        rate = config.sample_rate or self.sample_rate
        words, phonemes = tuple(timeline.words), tuple(timeline.phonemes)
        return Audio(samples, rate, words, phonemes, text=text)

    def __repr__(self) -> str:
        return (
            f"EdgeTTS(voice={self.voice.name!r}, backend={self.backend.name!r}, "
            f"variant={self.variant!r})"
        )


def _capped(chunks: Iterator[Audio], limit: float, segments: list[Segment]) -> Iterator[Audio]:
    """``chunks`` with their offsets, refusing to go past ``limit`` seconds, or to
    give nothing at all."""
    spoken, made = False, 0
    for chunk in chunks:
        spoken = True
        if (made + len(chunk.samples)) / chunk.sample_rate > limit:
            raise ValueError(
                f"this call asks for more than {limit:g} s of audio; raise "
                "SynthesisConfig.max_audio_seconds to allow more"
            )
        yield replace(chunk, offset=made / chunk.sample_rate)
        made += len(chunk.samples)
    if not spoken:  # e.g. only control characters or zero-width spaces
        text = "".join(s.text for s in segments)
        raise ValueError(f"nothing to speak in {text[:40]!r}: it has no speakable characters")


def _synthesis_config(syn_config: SynthesisConfig | None, **keywords: object) -> SynthesisConfig:
    """``syn_config``, or one made of the keywords; not both."""
    if syn_config is None:
        return SynthesisConfig(**keywords)  # type: ignore[arg-type]
    if not isinstance(syn_config, SynthesisConfig):
        raise TypeError(f"syn_config must be a SynthesisConfig, got {type(syn_config).__name__}")
    defaults = SynthesisConfig()
    given = sorted(k for k, v in keywords.items() if v != getattr(defaults, k))
    if given:
        raise TypeError(f"pass {given} inside syn_config, not beside it")
    return syn_config


def _at_rate(config: SynthesisConfig, rate: float) -> SynthesisConfig:
    """``config`` for a ``<prosody rate>``, which is relative to the call's own speed."""
    return config if rate == 1.0 else replace(config, speed=(config.speed or 1.0) * rate)
