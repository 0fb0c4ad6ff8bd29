from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from generate_test_voice import write_voice

from edgetts import EdgeTTS, available_backends
from edgetts.eval import dev_sentences


def another_build(model: Path, target: Path) -> Path:
    """``model`` saved again with another doc string: the same graph, other bytes, with
    its voice JSON beside it (what a user's own export of the same voice looks like)."""
    import shutil

    import onnx

    proto = onnx.load(str(model))
    proto.doc_string = "another build"
    onnx.save(proto, str(target))
    shutil.copy(f"{model}.json", f"{target}.json")
    return target


@pytest.fixture(scope="session", autouse=True)
def _private_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep compiled models, split graphs and variants out of the user's cache."""
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "EDGETTS_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("EDGETTS_HOME", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model store of the module's own (``EDGETTS_HOME``), for tests that build variants."""
    home = tmp_path_factory.mktemp("edgetts_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EDGETTS_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def tiny_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_voice(tmp_path_factory.mktemp("voices"))


@pytest.fixture(scope="session")
def tiny_multispeaker_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_voice(tmp_path_factory.mktemp("voices_multi"), name="tiny3", speakers=3)


@pytest.fixture(scope="session")
def joe_ort() -> EdgeTTS:
    return EdgeTTS(backend="onnxruntime", threads=2, variant="fp32")


@pytest.fixture(scope="session")
def joe_openvino(tmp_path_factory: pytest.TempPathFactory) -> EdgeTTS:
    if "openvino" not in available_backends():
        pytest.skip("openvino is not installed (pip install 'edgetts[openvino]')")
    return EdgeTTS(
        backend="openvino",
        threads=2,
        cache_dir=tmp_path_factory.mktemp("ov_cache"),
        variant="fp32",
    )


@pytest.fixture(scope="module")
def model(joe_ort: EdgeTTS) -> Any:
    """The voice's PyTorch copy (extra ``train``), one per module: a module's tests may
    change it, another's must not see that."""
    pytest.importorskip("torch", reason="the train extra is not installed")
    from edgetts.train import VitsVoice

    return VitsVoice.from_onnx(joe_ort.voice.model_path)


@pytest.fixture
def student_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A private variant store, and a training and a held-out sentence for a student."""
    monkeypatch.setenv("EDGETTS_HOME", str(tmp_path / "home"))
    calibration = tmp_path / "train.txt"
    calibration.write_text("Turn left at the next corner, then keep right.\n", encoding="utf-8")
    return {"calibration": calibration, "eval_sentences": dev_sentences()[:1]}


@pytest.fixture
def speaks_on_every_backend() -> Callable[[str], None]:
    """Check that a stored variant gives finite audio on each installed backend."""

    def check(variant: str) -> None:
        for backend in [b for b in ("onnxruntime", "openvino") if b in available_backends()]:
            audio = EdgeTTS(backend=backend, variant=variant).speak("Hello.", noise_scale=0.0)
            assert len(audio.samples) > 0 and np.isfinite(audio.samples).all(), backend

    return check
