from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from generate_test_voice import write_voice

from edgetts import EdgeTTS, available_backends

SHARED_SENTENCES = Path(__file__).parents[2] / "shared" / "data" / "dev_sentences.txt"


@pytest.fixture(scope="session")
def tiny_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_voice(tmp_path_factory.mktemp("voices"))


@pytest.fixture(scope="session")
def tiny_multispeaker_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_voice(tmp_path_factory.mktemp("voices_multi"), name="tiny3", speakers=3)


@pytest.fixture(scope="session")
def joe_ort() -> EdgeTTS:
    return EdgeTTS(backend="onnxruntime", threads=2)


@pytest.fixture(scope="session")
def joe_openvino(tmp_path_factory: pytest.TempPathFactory) -> EdgeTTS:
    if "openvino" not in available_backends():
        pytest.skip("openvino is not installed (pip install 'edgetts[openvino]')")
    return EdgeTTS(backend="openvino", threads=2, cache_dir=tmp_path_factory.mktemp("ov_cache"))
