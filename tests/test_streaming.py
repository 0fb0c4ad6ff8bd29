from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edgetts import EdgeTTS, ModelLoadError, SynthesisConfig
from edgetts.backends import load_graph
from edgetts.backends._model import model_inputs
from edgetts.split import split_voice, text_prior
from edgetts.streaming import DECODER_CONTEXT, FIXED_WINDOWS, MAX_WINDOW_FRAMES, expand_prior

LONG = (
    "When the storm finally passed, the villagers walked down to the harbor to count the "
    "boats, mend the nets, and thank the lighthouse keeper."
)
DETERMINISTIC = np.array([0.0, 1.0, 0.0], dtype=np.float32)


def snr_db(signal: np.ndarray, reference: np.ndarray) -> float:
    noise = float(((signal - reference) ** 2).sum())
    return float("inf") if noise == 0 else 10 * np.log10(float((reference**2).sum()) / noise)


@pytest.fixture(scope="module")
def split(joe_ort: EdgeTTS, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return split_voice(joe_ort.voice.model_path, tmp_path_factory.mktemp("split"))


@pytest.mark.slow
def test_prior_flow_and_decoder_compose_to_the_whole_graph(joe_ort: EdgeTTS, split) -> None:  # type: ignore[no-untyped-def]
    ids = joe_ort._ids(joe_ort.phonemize(LONG)[0])
    feed = {"input": ids, "input_lengths": np.array([ids.shape[1]]), "scales": DETERMINISTIC}
    prior, flow, decoder = (
        load_graph("onnxruntime", p) for p in (split.prior, split.flow, split.decoder)
    )
    z_p, mask, durations = (np.array(a) for a in prior.run(feed))
    z = np.array(flow.run({split.z_p: z_p, split.mask: mask})[0])
    audio = decoder.run({split.z: z})[0].reshape(-1)
    whole = joe_ort.backend.infer(ids, DETERMINISTIC, None)
    np.testing.assert_array_equal(audio, whole)
    assert durations.shape == (1, 1, ids.shape[1])
    assert int(durations.sum()) * 256 == len(whole)  # frames x hop = samples


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["joe_ort", "joe_openvino"])
def test_streamed_chunks_equal_the_whole_sentence(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    tts: EdgeTTS = request.getfixturevalue(fixture)
    chunks = [c.samples for c in tts.stream(LONG, noise_scale=0, noise_w=0, chunk_ms=100)]
    whole = tts.backend.infer(tts._ids(tts.phonemize(LONG)[0]), DETERMINISTIC, None).copy()
    streamed = np.concatenate(chunks)
    assert streamed.shape == whole.shape
    assert snr_db(streamed, np.clip(whole, -1, 1)) >= 40.0
    assert len(chunks) >= 3
    assert len(chunks[0]) <= 0.1 * 22050 + 256  # the first chunk is ~chunk_ms long
    assert all(c.sample_rate == 22050 for c in tts.stream("Hi there.", chunk_ms=50))


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["joe_ort", "joe_openvino"])
def test_a_cut_sentence_hears_its_neighbours_and_voices_each_word_once(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    from edgetts.tts import CALL_CONTEXT_PHONEMES, MAX_CALL_PHONEMES

    tts: EdgeTTS = request.getfixturevalue(fixture)
    text = ", and ".join([LONG.rstrip(".")] * 4) + "."  # one sentence, 568 phonemes
    (sentence,) = tts.phonemize(text)
    pieces = tts._calls(sentence)
    assert len(sentence.phonemes) > MAX_CALL_PHONEMES and len(pieces) == 2
    assert 0 < len(pieces[0].after) <= CALL_CONTEXT_PHONEMES
    assert 0 < len(pieces[1].before) <= CALL_CONTEXT_PHONEMES
    raw = SynthesisConfig(noise_scale=0.0, noise_w=0.0, peak_normalize=False)
    whole = tts.speak(text, syn_config=raw, timestamps=True)
    one_call = tts.synthesize_sentence(sentence, raw, timestamps=True)
    # The context's frames are cut away: the cut sentence lasts as long as one call's.
    assert abs(whole.duration / one_call.duration - 1) < 0.02
    assert [w.word for w in whole.words] == text.split()
    starts = [w.start for w in whole.words]
    assert starts == sorted(starts) and whole.words[-1].end <= whole.duration + 1e-6
    streamed = np.concatenate([c.samples for c in tts.stream(text, syn_config=raw, chunk_ms=100)])
    assert snr_db(streamed, whole.samples) >= 40.0
    # Peak-normalised, the pieces share one gain unless a later one peaks higher.
    peaked = tts.speak(text, syn_config=replace(raw, peak_normalize=True)).samples
    loud = np.abs(whole.samples) > 0.05
    gains = peaked[loud] / whole.samples[loud]
    cut = int(loud[: len(whole.samples) * len(pieces[0].phonemes) // len(sentence.phonemes)].sum())
    assert np.ptp(gains[: cut // 2]) < 1e-3 and np.ptp(gains[-(len(gains) - cut) // 2 :]) < 1e-3
    assert gains[-1] <= gains[0] + 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["joe_ort", "joe_openvino"])
def test_windowed_sentences_streams_the_first_sentences_and_speaks_the_rest_whole(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    tts: EdgeTTS = request.getfixturevalue(fixture)
    text = f"{LONG} {LONG} Short one."
    raw = SynthesisConfig(noise_scale=0.0, noise_w=0.0, peak_normalize=True)
    windowed = list(tts.stream(text, syn_config=raw, chunk_ms=100))
    first = list(tts.stream(text, syn_config=raw, chunk_ms=100, windowed_sentences=1))
    # Sentence 1 in the same windows as before, then sentences 2 and 3 one chunk each.
    windows = sum(1 for c in windowed if c.text == LONG) // 2
    assert windows >= 3 and [c.text for c in first] == [LONG] * (windows + 1) + ["Short one."]
    assert [len(c.samples) for c in first[:windows]] == [len(c.samples) for c in windowed[:windows]]
    assert all(c.words for c in first[windows:]) and first[0].words  # every sentence timed
    a, b = (np.concatenate([c.samples for c in chunks]) for chunks in (windowed, first))
    assert a.shape == b.shape and snr_db(b, a) >= 40.0  # and never peak scaled
    with pytest.raises(ValueError, match="windowed_sentences needs chunk_ms"):
        tts.stream(text, windowed_sentences=1)
    with pytest.raises(ValueError, match="windowed_sentences must be at least 1, got 0"):
        tts.stream(text, chunk_ms=100, windowed_sentences=0)


@pytest.mark.slow
def test_fast_start_streams_the_first_clause_then_the_rest(joe_ort: EdgeTTS) -> None:
    head, rest = joe_ort.phonemize(LONG)[0].split_first_clause()
    chunks = list(joe_ort.stream(LONG, noise_scale=0, noise_w=0, chunk_ms=100, fast_start=True))
    alone = [
        joe_ort.backend.infer(joe_ort._ids(s), DETERMINISTIC, None).copy() for s in (head, rest)
    ]
    streamed = np.concatenate([c.samples for c in chunks])
    assert streamed.shape == (len(alone[0]) + len(alone[1]),)
    assert snr_db(streamed, np.clip(np.concatenate(alone), -1, 1)) >= 40.0
    # Word times are per sentence (on its first chunk): the clause counts as one.
    assert [w.word for c in chunks for w in c.words] == LONG.split()
    assert [w.word for w in chunks[0].words] == head.text.split() == LONG.split()[:5]


@pytest.mark.slow
def test_streaming_across_sentences_and_ssml(joe_ort: EdgeTTS) -> None:
    chunks = list(joe_ort.stream('<speak>One. <break time="200ms"/> Two.</speak>', chunk_ms=50))
    silent = [c for c in chunks if not c.samples.any()]
    assert len(silent) == 1 and silent[0].duration == pytest.approx(0.2)


def test_chunk_ms_is_validated(tiny_voice: Path) -> None:
    tts = EdgeTTS(tiny_voice, backend="onnxruntime")
    with pytest.raises(
        ValueError, match=r"chunk_ms must be within \[10, 10000\] milliseconds, got 5"
    ):
        tts.stream("Hi.", chunk_ms=5)
    with pytest.raises(TypeError, match="chunk_ms must be a number or None, got str"):
        tts.stream("Hi.", chunk_ms="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot be combined with chunk_ms"):
        tts.stream("Hi.", chunk_ms=100, sample_rate=48000)


def test_a_model_without_a_piper_decoder_cannot_stream(tiny_voice: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot be split for streaming"):
        split_voice(tiny_voice, tmp_path)
    tts = EdgeTTS(tiny_voice, backend="onnxruntime")
    with pytest.raises(ModelLoadError, match="cannot be split for streaming"):
        list(tts.stream("Hi.", chunk_ms=100))


def test_split_cache_is_reused(joe_ort: EdgeTTS, tmp_path: Path) -> None:
    first = split_voice(joe_ort.voice.model_path, tmp_path)
    stamp = first.prior.stat().st_mtime_ns
    again = split_voice(joe_ort.voice.model_path, tmp_path)
    assert again == first and again.prior.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.prior.parent.name]  # no staging left


def test_expand_prior_repeats_each_id_for_its_frames() -> None:
    mean = np.array([[[1.0, 2.0, 3.0]]], np.float32)  # 1 channel, 3 ids
    log_std = np.log(np.array([[[1.0, 2.0, 4.0]]], np.float32))
    durations = np.array([[[2.0, 0.0, 3.0]]], np.float32)
    exact = expand_prior(mean, log_std, durations, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(exact, [[[1, 1, 3, 3, 3]]])
    draw = np.random.default_rng(7).standard_normal((1, 1, 5), dtype=np.float32)
    sampled = expand_prior(mean, log_std, durations, 0.5, np.random.default_rng(7))
    np.testing.assert_allclose(sampled, exact + draw * 0.5 * np.array([1, 1, 4, 4, 4]), rtol=1e-6)
    # no frames at all: one frame of the prior's zero mean, as Piper's graph gives
    silent = expand_prior(mean, log_std, np.zeros_like(durations), 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(silent, np.zeros((1, 1, 1), np.float32))


def test_text_prior_and_expansion_equal_the_whole_prior(  # type: ignore[no-untyped-def]
    joe_ort: EdgeTTS, split, tmp_path: Path
) -> None:
    cut = text_prior(split.prior, tmp_path)
    assert (cut.mean, cut.log_std) == ("/enc_p/Split_output_0", "/enc_p/Split_output_1")
    assert text_prior(split.prior, tmp_path) == cut  # cached: one file, no staging left
    assert sorted(p.name for p in tmp_path.iterdir()) == [cut.path.stem + ".json", cut.path.name]
    ids = joe_ort._ids(joe_ort.phonemize(LONG)[0])
    scales = np.array([0.0, 0.8, 0.0], np.float32)
    feed = model_inputs(ids, scales, None, False, split.prior)
    prior, text = (load_graph("onnxruntime", path) for path in (split.prior, cut.path))
    whole = dict(zip(prior.outputs, prior.run(feed), strict=True))
    parts = dict(zip(text.outputs, text.run(feed), strict=True))
    z_p = expand_prior(
        parts[cut.mean], parts[cut.log_std], parts[cut.durations], 0.0, np.random.default_rng()
    )
    np.testing.assert_allclose(z_p, whole[split.z_p], atol=1e-5)
    np.testing.assert_array_equal(parts[cut.durations], whole[split.durations])


def test_openvino_decodes_only_the_shapes_compiled_at_load(joe_openvino: EdgeTTS) -> None:
    """New shapes cost OpenVINO compile time and memory that is never given back."""
    model = joe_openvino._split_model()
    seen: set[tuple[int, ...]] = set()
    run = model.decoder.run

    def spy(feed):  # type: ignore[no-untyped-def]
        seen.update(tuple(v.shape) for v in feed.values())
        return run(feed)

    model.decoder.run = spy  # type: ignore[method-assign]
    try:
        for chunk_ms in (50, 100, 400, 5000):
            list(joe_openvino.stream(LONG, chunk_ms=chunk_ms))
        joe_openvino.speak(LONG + " " + LONG)
    finally:
        del model.decoder.run
    channels = next(iter(seen))[1]
    assert seen == {(1, channels, w + 2 * DECODER_CONTEXT) for w in FIXED_WINDOWS}
    assert model.text is not None  # frames are expanded outside the graph


def test_a_long_sentence_is_decoded_in_bounded_windows(joe_ort: EdgeTTS) -> None:
    """The decoder's memory grows with its input: past MAX_WINDOW_FRAMES it runs in windows."""
    model = joe_ort._split_model()
    (sentence,) = joe_ort.phonemize(", and ".join([LONG.rstrip(".")] * 3) + ".")
    prior = model.run_prior(joe_ort._ids(sentence), DETERMINISTIC, None)
    frames = prior.z_p.shape[2]
    assert frames > 2 * MAX_WINDOW_FRAMES
    calls: list[int] = []
    run = model.decoder.run

    def spy(feed):  # type: ignore[no-untyped-def]
        calls.extend(v.shape[2] for v in feed.values())
        return run(feed)

    model.decoder.run = spy  # type: ignore[method-assign]
    try:
        windowed = np.array(model.decode(prior))
    finally:
        del model.decoder.run
    assert max(calls) <= MAX_WINDOW_FRAMES + 2 * DECODER_CONTEXT and len(calls) >= 3
    whole = run({model.split.z: model.latent(prior, frames)})[0].reshape(-1)
    assert windowed.shape == whole.shape
    assert snr_db(windowed, whole) >= 40.0
