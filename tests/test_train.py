"""The PyTorch copy of the voice and quantisation-aware training (extra ``train``)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from edgetts import EdgeTTS, available_backends
from edgetts.eval import dev_sentences
from edgetts.eval.fidelity import fidelity
from edgetts.split import split_voice

torch = pytest.importorskip("torch", reason="the train extra is not installed")

from edgetts.optimize import build_ptq  # noqa: E402
from edgetts.optimize.student import build_student_variant  # noqa: E402
from edgetts.train import VitsVoice, read_onnx_voice  # noqa: E402

# torch vs ONNX Runtime, same ids, noise 0. In float64 the implementation must
# agree to 1e-4; in float32 rounding differences (amplified by the reverse flow
# on long sentences) reach 1.9e-4 here: ONNX Runtime's own graph optimisations
# move its output by 8e-5 on the same sentences.
MAX_ABS_DIFF = {torch.float64: 1e-4, torch.float32: 2.5e-4}


@pytest.mark.slow
def test_torch_voice_agrees_with_onnxruntime_on_the_dev_sentences(
    model: VitsVoice, joe_ort: EdgeTTS
) -> None:
    models = {
        torch.float32: model,
        torch.float64: VitsVoice.from_onnx(joe_ort.voice.model_path).double(),
    }
    worst = dict.fromkeys(models, 0.0)
    scales = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    for text in dev_sentences():
        for sentence in joe_ort.phonemize(text):
            ids = joe_ort.voice.id_mapper(sentence.phonemes).ids[np.newaxis, :]
            reference = np.array(joe_ort.backend.infer(ids, scales, None))
            for dtype, candidate in models.items():
                with torch.no_grad():
                    ours = candidate(torch.from_numpy(ids), (0.0, 1.0, 0.0)).numpy()
                assert ours.shape == reference.shape, text
                worst[dtype] = max(worst[dtype], float(np.abs(ours - reference).max()))
    for dtype, bound in MAX_ABS_DIFF.items():
        assert worst[dtype] <= bound, dtype


def test_flow_weights_are_mapped_by_graph_position(model: VitsVoice, joe_ort: EdgeTTS) -> None:
    graph = onnx.load(str(joe_ort.voice.model_path)).graph
    values = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    state = model.state_dict()
    unnamed = 0
    for node in graph.node:
        if node.op_type == "Conv" and node.name.startswith("/flow/"):
            path = ".".join(node.name.strip("/").split("/")[:-1])
            unnamed += node.input[1].startswith("onnx::")
            np.testing.assert_array_equal(state[f"{path}.weight"].numpy(), values[node.input[1]])
    assert unnamed == 32  # the weight-normed convolutions whose names the export lost
    assert len(read_onnx_voice(joe_ort.voice.model_path).convs) == 132


def test_runtime_never_imports_torch(tmp_path: Path) -> None:
    code = (
        "import sys, edgetts\n"
        f"edgetts.EdgeTTS(backend='onnxruntime').speak('Hi.').save({str(tmp_path / 'a.wav')!r})\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_qat_smoke_trains_resumes_exports_and_loads(
    joe_ort: EdgeTTS, tmp_path: Path, student_inputs: dict[str, Any]
) -> None:
    work = tmp_path / "work"
    common = {**student_inputs, "work_dir": work}
    first = build_student_variant(method="qat", steps=2, name="q2", **common)
    assert first.manifest["training"]["steps"] == 2
    resumed = build_student_variant(method="qat", steps=3, resume=True, name="q3", **common)
    training = resumed.manifest["training"]
    assert training["steps"] == 3 and [s for s, _ in training["curve_mcd_db"]] == [0, 2, 3]
    assert resumed.backend == "any" and (work / "student.pt").is_file()
    decoder = onnx.load(str(resumed.split.decoder))
    ops = {n.op_type for n in decoder.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert all(n.domain in ("", "ai.onnx") for n in decoder.graph.node)  # no custom ops
    text = "Hello there."
    reference = joe_ort.speak(text, noise_scale=0.0, noise_w=0.0).samples
    backends = [b for b in ("onnxruntime", "openvino") if b in available_backends()]
    for backend in backends:
        tts = EdgeTTS(backend=backend, variant="q3")
        audio = tts.speak(text, noise_scale=0.0, noise_w=0.0).samples
        assert len(audio) == len(reference)
        assert fidelity(audio, reference, tts.sample_rate).mcd_db < 12  # int8, barely trained
    if "openvino" in backends:
        tts = EdgeTTS(backend="openvino", variant="q3")
        runtime = tts.backend.decoder.compiled_model.get_runtime_model()  # type: ignore[attr-defined]
        precisions = [
            op.get_rt_info()["runtimePrecision"].astype(str)
            for op in runtime.get_ops()
            if op.get_rt_info()["layerType"].astype(str) == "Convolution"
        ]
        # int8 (u8 activations) everywhere but the float conv_post, 32 channels to 1.
        assert precisions.count("f32") == 1 and set(precisions) == {"u8", "f32"}
    assert split_voice(joe_ort.voice.model_path).decoder != resumed.split.decoder
    with pytest.raises(ValueError, match="'q3' is already quantised"):
        build_ptq(preset="weights", backend="onnxruntime", base="q3")


def test_qat_settings_are_validated() -> None:
    from edgetts.train.settings import TrainSettings

    with pytest.raises(ValueError, match="batch must be at least 1, got 0"):
        TrainSettings(batch=0)


def test_student_settings_come_as_one_object_or_as_keywords() -> None:
    from edgetts.optimize.student import student_settings
    from edgetts.train.settings import FlowPriorSettings, TrainSettings

    assert student_settings("prune", steps=2) == TrainSettings(steps=2, widths=(0.75, 0.5))
    assert student_settings("qat").quantize and student_settings("distill").widths == (0.5,)
    with pytest.raises(TypeError, match=re.escape("pass ['steps'] inside settings, not beside")):
        build_student_variant(settings=TrainSettings(quantize=True), steps=2)
    with pytest.raises(TypeError, match=re.escape("pass ['flow_width'] inside graphs, not")):
        build_student_variant(method="distill", graphs=FlowPriorSettings(), flow_width=0.5)
    with pytest.raises(TypeError, match=re.escape("unknown settings ['stepz']: not fields of")):
        build_student_variant(stepz=2)
    with pytest.raises(ValueError, match="method 'distill' needs settings with quantize=False"):
        build_student_variant(method="distill", settings=student_settings("qat"))
    with pytest.raises(ValueError, match=r"unknown method 'gan'; methods: \['distill'"):
        student_settings("gan")


@pytest.mark.slow
@pytest.mark.parametrize(("method", "widths"), [("prune", (0.75, 0.5)), ("distill", (0.5,))])
def test_pruned_students_are_smaller_dense_decoders(
    method: str,
    widths: tuple[float, ...],
    *,
    joe_ort: EdgeTTS,
    tmp_path: Path,
    student_inputs: dict[str, Any],
    speaks_on_every_backend: Callable[[str], None],
) -> None:
    variant = build_student_variant(
        method=method, steps=2, work_dir=tmp_path / "work", **student_inputs
    )
    assert variant.manifest["settings"]["widths"] == list(widths)  # the method's schedule
    assert variant.manifest["training"]["decoder_channels"] == [128, 64, 32, 16]
    original = split_voice(joe_ort.voice.model_path).decoder
    assert variant.split.decoder.stat().st_size < 0.35 * original.stat().st_size  # 30%
    graph = onnx.load(str(variant.split.decoder)).graph
    assert not {n.op_type for n in graph.node} & {"QuantizeLinear", "DequantizeLinear"}
    assert not graph.value_info  # the teacher's widths would contradict the student's
    speaks_on_every_backend(method)
    # Composes with PTQ: int8 weights on top of the pruned decoder.
    small = build_ptq(preset="weights", backend="onnxruntime", base=method)
    assert small.name == f"{method}-int8-weights" and small.manifest["base"] == method
    assert small.size_bytes < 0.5 * variant.size_bytes
    reference = joe_ort.speak("Hi.", noise_scale=0.0, noise_w=0.0).samples
    tts = EdgeTTS(backend="onnxruntime", variant=small.name)
    audio = tts.speak("Hi.", noise_scale=0.0, noise_w=0.0).samples
    assert len(audio) == len(reference)  # the voice's prior and flow: the same durations
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0.01


def test_pruning_keeps_the_most_important_channels(model: VitsVoice) -> None:
    from edgetts.train.prune import channel_importance, keep_top, prune_decoder

    scores = channel_importance(model.dec)
    keep = keep_top(scores, [len(s) for s in scores])
    same = prune_decoder(model.dec, keep)  # keeping everything changes nothing
    z = torch.randn(1, 192, 20, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(same(z), model.dec(z))
    half = keep_top(scores, [len(s) // 2 for s in scores])
    assert all(scores[i][half[i]].min() >= scores[i].median() for i in range(len(scores)))
    with pytest.raises(ValueError, match=r"cannot keep \[1, 1, 1\] channels"):
        keep_top(scores, [1, 1, 1])


def _teacher(model: VitsVoice, frames: tuple[int, ...]) -> Any:
    from edgetts.train.teacher import Teacher

    generator = torch.Generator().manual_seed(1)
    pairs = []
    for n in frames:
        z = torch.randn(1, 192, n, generator=generator)
        with torch.no_grad():
            pairs.append((z[0].numpy(), model.dec(z).reshape(-1).numpy()))
    return Teacher(model.dec, pairs[:-1], pairs[-1:], 22050)


def test_packed_teacher_rebuilds_its_targets_from_float16_latents(
    model: VitsVoice, tmp_path: Path
) -> None:
    from edgetts.train.teacher import load_teacher, save_teacher

    teacher = _teacher(model, (60, 40))
    save_teacher(teacher, tmp_path / "teacher.pt")
    loaded = load_teacher(tmp_path / "teacher.pt")
    assert loaded.sample_rate == 22050 and loaded.decoder.hop == 256
    for (z, _), (z16, wav16) in zip(
        teacher.pairs + teacher.held_out, loaded.pairs + loaded.held_out, strict=True
    ):
        assert z16.dtype == np.float32
        np.testing.assert_array_equal(z16, z.astype(np.float16).astype(np.float32))
        with torch.no_grad():
            expected = model.dec(torch.from_numpy(z16)[None]).reshape(-1).numpy()
        np.testing.assert_array_equal(wav16, expected)  # targets of the rounded latents
    state = loaded.decoder.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in model.dec.state_dict().items())


def test_fit_checkpoints_strip_and_resume(model: VitsVoice, tmp_path: Path) -> None:
    from edgetts.train.checkpoint import finished, strip_checkpoint
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher = _teacher(model, (40, 40, 30))
    settings = TrainSettings(
        steps=2, batch=1, segment_frames=8, checkpoint_every=1, eval_sentences=1, widths=(0.25,)
    )
    _, state = fit(teacher, tmp_path / "run", settings)
    assert state.step == 2 and state.hardware.endswith(f"(torch {torch.__version__})")
    full = tmp_path / "run" / "student.pt"
    (tmp_path / "moved").mkdir()
    strip_checkpoint(full, tmp_path / "moved" / "student.pt")
    stripped = torch.load(tmp_path / "moved" / "student.pt", weights_only=False)
    assert "optimizer" not in stripped and "optimizer" in torch.load(full, weights_only=False)
    assert finished(tmp_path / "moved", settings)
    longer = TrainSettings(**{**vars(settings), "steps": 3, "checkpoint_every": 5})
    assert not finished(tmp_path / "moved", longer)
    student, state = fit(teacher, tmp_path / "moved", longer, resume=True)
    assert state.step == 3 and [s for s, _ in state.curve] == [0, 1, 2, 3]
    assert student.conv_pre.out_channels == 64  # a quarter of 256, pruned once
    other = TrainSettings(**{**vars(longer), "segment_frames": 16})
    with pytest.raises(ValueError, match="was made with other settings"):
        fit(teacher, tmp_path / "moved", other, resume=True)


@pytest.mark.slow
def test_critic_learns_to_tell_the_student_from_the_teacher() -> None:
    from edgetts.train.adversarial import Critic

    torch.manual_seed(0)
    t = torch.arange(4096) / 16000
    real = torch.sin(2 * torch.pi * 220 * t).repeat(2, 1)
    fake = real + 0.3 * torch.randn(2, 4096)  # a noisy copy
    critic = Critic(width=8)
    features = critic(real)
    assert len(features) == 8 and all(torch.isfinite(f[-1]).all() for f in features)
    optimizer = torch.optim.Adam(critic.parameters(), 2e-3, betas=(0.8, 0.99))
    losses = []
    for _ in range(60):
        loss = critic.critic_loss(real, fake)
        optimizer.zero_grad()
        torch.autograd.backward(loss)
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    with torch.no_grad():  # each discriminator now scores the teacher above the student
        assert all(
            r[-1].mean() > f[-1].mean() for r, f in zip(critic(real), critic(fake), strict=True)
        )
    fooling, matching = critic.student_loss(real, real.clone())
    assert matching.item() == 0.0 and fooling.item() > 0


def test_a_student_fine_tunes_with_the_critic_switched_on(tmp_path: Path) -> None:
    from edgetts.train.checkpoint import strip_checkpoint
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher, plain = _small_teacher(), TrainSettings(steps=1, **_HALF_WIDTH)
    fit(teacher, tmp_path, plain)
    assert "critic" not in torch.load(tmp_path / "student.pt", weights_only=False)
    tuned = TrainSettings(**{**vars(plain), "steps": 3, "batch": 2, "adversarial": 1.0})
    _, state = fit(teacher, tmp_path, tuned, resume=True)  # a fresh critic joins
    saved = torch.load(tmp_path / "student.pt", weights_only=False)
    assert state.step == 3 and {"critic", "critic_optimizer"} <= saved.keys()
    assert state.schedule_start == 1  # the fine-tuning's own cosine
    assert all(np.isfinite(state.losses))
    strip_checkpoint(tmp_path / "student.pt", tmp_path / "stripped.pt")
    stripped = torch.load(tmp_path / "stripped.pt", weights_only=False)
    assert "critic" in stripped and "critic_optimizer" not in stripped


def test_short_ffts_hear_the_shape_of_each_pitch_period() -> None:
    from edgetts.train.losses import SpectralLoss

    torch.manual_seed(0)
    rate, harmonics = 22050, torch.arange(1, 40)[:, None]
    phase = 2 * torch.pi * 200 * harmonics * torch.arange(rate) / rate  # f0 200 Hz
    teacher = (torch.cos(phase) / harmonics).sum(0)[None]
    # The same harmonics at other phases: each period has another shape, which
    # long STFTs (they resolve the harmonics) barely see.
    student = (torch.cos(phase + 2 * torch.pi * torch.rand(39, 1)) / harmonics).sum(0)[None]
    fine, default = SpectralLoss(rate, shortest_fft=64), SpectralLoss(rate)
    assert [n for n, _ in fine.resolutions] == [64, 128, 256, 512, 1024, 2048]
    assert [n for n, _ in default.resolutions] == [512, 1024, 2048]
    assert fine(teacher, teacher).item() == 0.0
    assert fine(student, teacher).item() > 1.5 * default(student, teacher).item()


def test_a_resumed_student_may_change_its_shortest_fft(tmp_path: Path) -> None:
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher, plain = _small_teacher(), TrainSettings(steps=1, **_HALF_WIDTH)
    fit(teacher, tmp_path, plain)
    finer = TrainSettings(**{**vars(plain), "steps": 2, "shortest_fft": 128})
    _, state = fit(teacher, tmp_path, finer, resume=True)
    assert state.step == 2 and state.schedule_start == 1  # the fine-tuning's own cosine
    saved = torch.load(tmp_path / "student.pt", weights_only=False)
    assert saved["settings"]["shortest_fft"] == 128


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (100, ValueError, "shortest_fft must be one of (64, 128, 256, 512), got 100"),
        (1024, ValueError, "shortest_fft must be one of (64, 128, 256, 512), got 1024"),
        (64.0, TypeError, "shortest_fft must be an int, got float"),
        (True, TypeError, "shortest_fft must be an int, got bool"),
        ("128", TypeError, "shortest_fft must be an int, got str"),
    ],
)
def test_shortest_fft_is_checked(value: object, error: type[Exception], message: str) -> None:
    from edgetts.train.losses import SpectralLoss
    from edgetts.train.settings import TrainSettings

    with pytest.raises(error, match=re.escape(message)):
        TrainSettings(shortest_fft=value)  # type: ignore[arg-type]
    with pytest.raises(error, match=re.escape(message)):
        SpectralLoss(22050, shortest_fft=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1.0, ValueError, "adversarial must be within [0.0, 100.0], got -1.0"),
        ("1", TypeError, "adversarial must be a number, got str"),
        (None, TypeError, "adversarial must be a number, got NoneType"),
    ],
)
def test_adversarial_weight_is_checked(value: object, error: type, message: str) -> None:
    from edgetts.train.settings import TrainSettings

    with pytest.raises(error, match=re.escape(message)):
        TrainSettings(adversarial=value)  # type: ignore[arg-type]


def test_training_devices_are_checked(model: VitsVoice, tmp_path: Path) -> None:
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher, settings = _teacher(model, (40, 40)), TrainSettings(steps=1)
    with pytest.raises(ValueError, match="unknown torch device 'gpu0'"):
        fit(teacher, tmp_path, settings, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"'cuda': torch \S+ sees no CUDA GPU here"):
            fit(teacher, tmp_path, settings, device="cuda")


def _small_decoder() -> Any:
    """A HiFi-GAN of the voice's layout, 2 stages of 4x, 32 channels: no voice needed."""
    from edgetts.train.model import Generator
    from edgetts.train.onnx_import import ConvSpec

    def conv(cin: int, cout: int, kernel: int, dilation: int = 1) -> ConvSpec:
        pad = dilation * (kernel - 1) // 2
        return ConvSpec(False, cin, cout, kernel, 1, pad, dilation, 1, True)

    specs = {"dec.conv_pre": conv(192, 32, 7), "dec.conv_post": conv(8, 1, 7)}
    for stage, width in enumerate((16, 8)):
        specs[f"dec.ups.{stage}"] = ConvSpec(True, 2 * width, width, 8, 4, 2, 1, 1, True)
        for k, dilation in enumerate((1, 3)):
            specs[f"dec.resblocks.{stage}.convs.{k}"] = conv(width, width, 3, dilation)
    torch.manual_seed(0)
    return Generator(specs).eval()


def _random_pairs(decoder: Any, shift: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Three (z, waveform) pairs of 160 random frames, the waveform shifted by ``shift``."""
    generator = torch.Generator().manual_seed(1)
    pairs = []
    for _ in range(3):
        z = torch.randn(1, 192, 160, generator=generator)
        with torch.no_grad():
            wav = torch.roll(decoder(z), shift, -1).reshape(-1).numpy()
        pairs.append((z[0].numpy(), wav))
    return pairs


_HALF_WIDTH: dict[str, Any] = {
    "batch": 1,
    "segment_frames": 136,
    "eval_sentences": 1,
    "widths": (0.5,),
}


def _small_teacher() -> Any:
    """``_small_decoder`` teaching on two random pairs, a third held out."""
    from edgetts.train.teacher import Teacher

    decoder = _small_decoder()
    pairs = _random_pairs(decoder, shift=0)
    return Teacher(decoder, pairs[:2], pairs[2:], 16000)


@pytest.mark.gpu
def test_fit_on_a_cuda_gpu_matches_the_cpu(tmp_path: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU visible to torch")
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit
    from edgetts.train.teacher import Teacher

    decoder = _small_decoder()
    pairs = _random_pairs(decoder, shift=3)  # a target it has to learn
    teacher = Teacher(decoder, pairs[:2], pairs[2:], 16000)
    settings = TrainSettings(steps=3, batch=2, segment_frames=136, eval_sentences=1)
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        on_gpu, state = fit(teacher, tmp_path / "gpu", settings, device="cuda")
    on_cpu, reference = fit(teacher, tmp_path / "cpu", settings)
    assert torch.cuda.get_device_name() in state.hardware
    assert state.losses[-1] < state.losses[0]  # it learns the shifted target
    np.testing.assert_allclose(state.losses, reference.losses, rtol=1e-3)
    z = torch.from_numpy(pairs[2][0])[None]
    with torch.no_grad():
        torch.testing.assert_close(on_gpu(z), on_cpu(z), atol=1e-3, rtol=0)
    quantized = TrainSettings(steps=2, batch=2, segment_frames=136, eval_sentences=1, quantize=True)
    student, _ = fit(teacher, tmp_path / "qat", quantized, device="cuda")
    with torch.no_grad():
        assert torch.isfinite(student(z)).all()


@pytest.mark.parametrize("hop", [4, 8])
def test_the_istft_basis_inverts_a_hann_stft(hop: int) -> None:
    from edgetts.train.istft import OVERLAP, synthesis_basis

    n_fft = OVERLAP * hop
    signal = torch.randn(1, 3000, generator=torch.Generator().manual_seed(0))
    window = torch.hann_window(n_fft)
    spectrum = torch.stft(signal, n_fft, hop, window=window, return_complex=True)
    stacked = torch.cat([spectrum.real, spectrum.imag], 1)
    basis = torch.from_numpy(synthesis_basis(n_fft, hop))
    back = torch.nn.functional.conv_transpose1d(stacked, basis, stride=hop, padding=n_fft // 2)
    inner = slice(n_fft, 3000 - n_fft)  # the edges lack overlapping frames
    torch.testing.assert_close(back[0, 0, inner], signal[0, inner], atol=1e-5, rtol=0)


def test_an_istft_head_replaces_the_last_stage() -> None:
    from edgetts.train.istft import InverseStftHead, attach_istft_head

    decoder = _small_decoder()
    z = torch.randn(1, 192, 20)
    headed = attach_istft_head(copy.deepcopy(decoder), 1)
    names = {n for n, _ in headed.named_modules()}
    assert not names & {"ups.1", "resblocks.2", "resblocks.3", "conv_post"}
    assert isinstance(headed.head, InverseStftHead) and headed.head.hop == 4
    assert headed.hop == decoder.hop == 16  # samples per latent frame, as before
    with torch.no_grad():
        assert headed(z).shape == decoder(z).shape == (1, 1, 320)
    for stages in (0, 2):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"istft_stages of a 2-stage decoder must be within [1, 1], got {stages}"
            ),
        ):
            attach_istft_head(copy.deepcopy(decoder), stages)
    with pytest.raises(
        TypeError, match="istft_stages of a 2-stage decoder must be an int, got bool"
    ):
        attach_istft_head(copy.deepcopy(decoder), True)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"istft_stages": -1}, ValueError, "istft_stages must be at least 0, got -1"),
        ({"istft_stages": True}, TypeError, "istft_stages must be an int, got bool"),
        ({"istft_stages": 1, "quantize": True}, ValueError, "prune or change the head first"),
    ],
)
def test_istft_settings_are_checked(
    fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    from edgetts.train.settings import TrainSettings

    with pytest.raises(error, match=re.escape(message)):
        TrainSettings(**fields)


def test_a_head_is_grafted_onto_a_trained_student(tmp_path: Path) -> None:
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher, plain = _small_teacher(), TrainSettings(steps=2, **_HALF_WIDTH)
    fit(teacher, tmp_path, plain)
    headed = TrainSettings(**{**vars(plain), "steps": 4, "istft_stages": 1})
    student, state = fit(teacher, tmp_path, headed, resume=True)
    assert student.head is not None and state.step == 4 and state.schedule_start == 2
    assert [s for s, _ in state.curve] == [0, 2, 4]
    saved = torch.load(tmp_path / "student.pt", weights_only=False)
    assert "head.conv.weight" in saved["student"] and "conv_post.weight" not in saved["student"]
    again, _ = fit(teacher, tmp_path, headed, resume=True)  # a headed checkpoint resumes
    torch.testing.assert_close(again.state_dict(), student.state_dict())
    with pytest.raises(ValueError, match="was made with other settings"):
        fit(teacher, tmp_path, plain, resume=True)  # the head cannot come off


@pytest.mark.slow
def test_an_istft_student_exports_and_runs_on_both_backends(
    joe_ort: EdgeTTS,
    model: VitsVoice,
    tmp_path: Path,
    student_inputs: dict[str, Any],
    speaks_on_every_backend: Callable[[str], None],
) -> None:
    from edgetts.train.export import export_decoder
    from edgetts.train.istft import attach_istft_head

    variant = build_student_variant(
        method="distill", steps=2, istft_stages=1, work_dir=tmp_path / "work", **student_inputs
    )
    assert variant.manifest["settings"]["istft_stages"] == 1
    graph = onnx.load(str(variant.split.decoder)).graph
    layers = {n.name.split("/")[2] for n in graph.node if n.name.startswith("/dec/")}
    assert "ups.2" not in layers and "conv_post" not in layers and "ups.1" in layers
    speaks_on_every_backend("distill")
    # The graph computes what torch computes (the teacher's full width, untrained head).
    headed = attach_istft_head(copy.deepcopy(model.dec), 1)
    target = tmp_path / "decoder.onnx"
    convs = [
        m for m in headed.modules() if isinstance(m, torch.nn.Conv1d | torch.nn.ConvTranspose1d)
    ]
    written = export_decoder(headed, split_voice(joe_ort.voice.model_path).decoder, target)
    assert written == len(convs) == 16  # conv_pre, 2 upsamplings, 6 blocks of 2, the head
    z = torch.randn(1, 192, 30, generator=torch.Generator().manual_seed(2))
    import onnxruntime

    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: z.numpy()})[0]
    with torch.no_grad():
        expected = headed(z).reshape(-1).numpy()
    assert out.shape == (1, 1, 1, 30 * 256)
    np.testing.assert_allclose(out.reshape(-1), expected, atol=1e-5)


@pytest.mark.slow
def test_cli_distills_a_student_with_an_istft_head(
    joe_ort: EdgeTTS,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from edgetts.cli import main
    from edgetts.train.cli import main as train
    from edgetts.variants import variant_folder

    monkeypatch.setenv("EDGETTS_HOME", str(tmp_path / "home"))
    calibration = tmp_path / "train.txt"
    calibration.write_text("Keep right.\n", encoding="utf-8")
    common = ["--steps", "1", "--calibration", str(calibration), "--eval", "1", "--check", "0"]
    headed = ["--istft-stages", "1", "--shortest-fft", "64", "--name", "s"]
    assert train(["distill", *common, *headed]) == 0
    folder = variant_folder(joe_ort.voice, "s")
    line = re.fullmatch(
        r"wrote variant 's' \((\d+\.\d) MB\) to (.+); not checked \(--check 0\)\n",
        capsys.readouterr().out,
    )
    assert line is not None and line[2] == str(folder)
    runs = tmp_path / "home" / "train" / joe_ort.voice.name  # one work folder per variant
    assert (runs / "s" / "student.pt").is_file() and not (runs / "distill").exists()
    graphs = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert graphs == {"prior.onnx", "flow.onnx", "decoder.onnx"}
    assert float(line[1]) == round(sum((folder / g).stat().st_size for g in graphs) / 2**20, 1)
    assert main(["variants", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)["built"]["s"]
    assert manifest["variant"] == "s" and manifest["settings"]["istft_stages"] == 1
    assert (
        manifest["settings"]["shortest_fft"] == 64 and manifest["settings"]["eval_sentences"] == 1
    )
    assert manifest["training"]["eval_sentences"] == 1
    assert [s for s, _ in manifest["training"]["curve_mcd_db"]] == [0, 1]
    bad = ["distill", *common, "--istft-stages", "3", "--name", "t"]
    assert train(bad) == 2
    assert "istft_stages of a 3-stage decoder must be within [1, 2], got 3" in (
        capsys.readouterr().err
    )
    too_many = ["distill", *common, "--prior-layers", "7", "--name", "u"]
    assert train(too_many) == 2
    assert (
        "encoder layers (2 to the voice's own) must be within [2, 6], got 7"
        in capsys.readouterr().err
    )
    assert train(["distill", *common, "--shortest-fft", "100", "--name", "v"]) == 2
    assert "shortest_fft must be one of (64, 128, 256, 512), got 100" in capsys.readouterr().err
    assert not {"t", "u", "v"} & {p.name for p in folder.parent.iterdir()}


@pytest.mark.slow
def test_a_student_trains_elsewhere_packed_fitted_and_finished(
    joe_ort: EdgeTTS,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from edgetts.train.cli import main as train

    monkeypatch.setenv("EDGETTS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("edgetts.train.cli.PROBE_STEPS", 4)  # timed after one warm-up step
    monkeypatch.setattr("edgetts.train.cli.PROBE_WARMUP", 1)
    calibration = tmp_path / "train.txt"
    calibration.write_text("Turn left at the next corner, then keep right for two miles.\n")
    teacher = tmp_path / "teacher.pt"
    assert train(["pack", str(teacher), "--calibration", str(calibration), "--draws", "1"]) == 0
    size = teacher.stat().st_size / 2**20
    assert capsys.readouterr().out == (
        f"wrote the teacher of {joe_ort.voice.name} to {teacher}: 1 pairs, 4 held out, "
        f"{size:.1f} MB\n"
    )
    out = tmp_path / "out"
    fitted = ["fit", str(teacher), str(out), "--method", "distill", "--minutes", "0"]
    assert train([*fitted, "--device", "cpu", "--batch", "1", "--draws", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"distill: \d+\.\d ms/step in the probe, steps 0 -> 1", printed[0])
    assert re.fullmatch(r"distill step 1: MCD \d+\.\d\d dB", printed[1]) and len(printed) == 2
    assert [p.name for p in out.iterdir()] == ["distill.pt"]  # the work folder stays behind
    checkpoint = torch.load(out / "distill.pt", weights_only=False)
    assert "optimizer" not in checkpoint and checkpoint["state"]["step"] == 1
    assert checkpoint["settings"]["batch"] == 1 and checkpoint["settings"]["widths"] == (0.5,)
    finish = ["finish", str(out / "distill.pt"), "--method", "distill", "--check", "0"]
    assert train([*finish, "--calibration", str(calibration), "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["variant"] == "distill" and manifest["training"]["steps"] == 1
    assert manifest["training"]["decoder_channels"] == [128, 64, 32, 16]
    assert manifest["settings"]["draws"] == 1 and manifest["settings"]["flow_width"] == 1.0
    reference = joe_ort.speak("Hi.", noise_scale=0.0, noise_w=0.0).samples
    tts = EdgeTTS(backend="onnxruntime", variant="distill")
    assert len(tts.speak("Hi.", noise_scale=0.0, noise_w=0.0).samples) == len(reference)
    assert train([*finish, "--calibration", str(calibration)]) == 2  # keeps that checkpoint
    kept = tmp_path / "home" / "train" / joe_ort.voice.name / "distill" / "student.pt"
    assert f"{kept} exists (a run of the variant 'distill' here); finish under another --name" in (
        capsys.readouterr().err
    )


def test_a_teacher_packs_corpus_sentences(
    joe_ort: EdgeTTS,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from edgetts.optimize.calibration import load_corpus
    from edgetts.train.cli import main as train
    from edgetts.train.teacher import load_teacher

    monkeypatch.setenv("EDGETTS_HOME", str(tmp_path / "home"))
    teacher = tmp_path / "teacher.pt"
    assert train(["pack", str(teacher), "--corpus", "2", "--draws", "1"]) == 0
    assert ": 2 pairs, 4 held out," in capsys.readouterr().out
    frames = [z.shape[1] for z, _ in load_teacher(teacher).pairs]
    spoken = [
        len(joe_ort.speak(t, noise_scale=0.0, noise_w=0.0).samples) for t in load_corpus(2).texts
    ]
    assert [f * 256 for f in frames] == pytest.approx(spoken, rel=0.25)  # these two, noise aside
    both = ["pack", str(tmp_path / "x.pt"), "--corpus", "2", "--calibration", str(teacher)]
    assert train(both) == 2
    assert "give --corpus or --calibration, not both" in capsys.readouterr().err


def test_mel_loss_is_hifigans_log_mel_l1() -> None:
    from edgetts.train.losses import MelLoss

    torch.manual_seed(0)
    loss = MelLoss(22050)
    x = 0.5 * torch.randn(2, 8192)
    assert loss(x, x).item() == 0.0
    # Log magnitudes: twice the amplitude is log 2 away in every (unfloored) band.
    assert loss(2 * x, x).item() == pytest.approx(np.log(2), rel=1e-5)


def test_the_gan_objective_trains_both_and_resumes_exactly(tmp_path: Path) -> None:
    from edgetts.train.settings import TrainSettings
    from edgetts.train.student import fit

    teacher = _small_teacher()
    calls: list[int] = []

    def judge(waves: list[np.ndarray], rate: int) -> tuple[float, float, float]:
        assert rate == 16000 and len(waves) == 1 and waves[0].ndim == 1
        calls.append(len(waves[0]))
        return 3.0 + len(calls) / 10, 3.5, 1.0

    gan = {"mel_weight": 45.0, "adversarial": 1.0, "critic_width": 4, "judge_every": 2}
    settings = TrainSettings(steps=4, checkpoint_every=2, **_HALF_WIDTH, **gan)
    once, state = fit(teacher, tmp_path / "once", settings, judge=judge)
    assert [q[0] for q in state.quality] == [0, 2, 4] and state.quality[-1][1] == 3.3
    saved = torch.load(tmp_path / "once" / "student.pt", weights_only=False)
    assert {"critic", "critic_optimizer", "optimizer"} <= saved.keys()
    (group,) = saved["critic_optimizer"]["param_groups"]
    assert group["betas"] == (0.8, 0.99) and group["weight_decay"] == 0.01  # AdamW's
    assert group["lr"] == pytest.approx(2e-4 * 0.999 ** (3 / 1000))  # set before step 4
    assert saved["optimizer"]["param_groups"][0]["lr"] == pytest.approx(1e-4 * 0.999 ** (3 / 1000))
    # Two steps, then two more from the checkpoint: the same student, bit for bit.
    fit(teacher, tmp_path / "twice", TrainSettings(**{**vars(settings), "steps": 2}))
    twice, resumed = fit(teacher, tmp_path / "twice", settings, resume=True)
    for a, b in zip(once.state_dict().values(), twice.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert resumed.losses == state.losses


def test_the_stop_rule_ends_a_line_that_stopped_gaining(tmp_path: Path) -> None:
    from edgetts.train.settings import PLATEAU_STEPS, TrainSettings, TrainState
    from edgetts.train.student import fit, plateaued

    def state(*ovrl: float, start: int = 0, every: int = 10_000) -> TrainState:
        points = [(start + i * every, o, 3.0, 2.0) for i, o in enumerate(ovrl)]
        return TrainState(step=points[-1][0], quality=points, schedule_start=start)

    assert PLATEAU_STEPS == 30_000
    assert not plateaued(state(2.50, 2.51, 2.52))  # 20 000 steps: too early to tell
    assert plateaued(state(2.50, 2.51, 2.52, 2.54))  # +0.04 in 30 000 steps
    assert not plateaued(state(2.50, 2.51, 2.56, 2.53))  # +0.06 at its best of the last three
    # Only the points since the critic joined count: not the 1.0 before it.
    later = state(1.0, 2.50, 2.51, 2.52, 2.53)
    later.schedule_start = 10_000
    assert plateaued(later)
    later.quality.pop()
    assert not plateaued(later)  # 20 000 steps since it joined
    # A line trained from scratch: the rule slides, 30 000 steps back from the last point.
    rising = state(1.0, 2.0, 2.50, 2.52, 2.53)
    assert not plateaued(rising)  # +0.53 since step 10 000
    rising.quality.append((50_000, 2.54, 3.0, 2.0))
    assert plateaued(rising)  # +0.04 since step 20 000
    teacher, gan = _small_teacher(), {"mel_weight": 45.0, "adversarial": 1.0, "critic_width": 4}
    settings = TrainSettings(steps=10, judge_every=2, **_HALF_WIDTH, **gan)
    _, stopped = fit(
        teacher,
        tmp_path,
        settings,
        judge=lambda waves, rate: (3.0, 3.0, 0.0),
        stop=lambda s: plateaued(s, steps=4, gain=0.05),
    )
    assert stopped.step == 4 and stopped.curve[-1][0] == 4  # stopped, with a checkpoint
    assert torch.load(tmp_path / "student.pt", weights_only=False)["state"]["step"] == 4


def test_the_corpus_is_thousands_of_sentences_none_of_them_held_out() -> None:
    from edgetts.eval import dev_sentences
    from edgetts.optimize.calibration import load_corpus

    corpus = load_corpus(4800)
    assert len(set(corpus.texts)) == 4800 and not set(corpus.texts) & set(dev_sentences())
    assert load_corpus(10).texts == corpus.texts[:10] and load_corpus(10).sha256 != corpus.sha256
    assert corpus.source == "edgetts:corpus.txt[:4800]"
    with pytest.raises(ValueError, match=r"count must be within \[1, 4800\], got 4801"):
        load_corpus(4801)
