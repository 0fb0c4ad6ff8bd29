from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from edgetts import (
    EdgeTTS,
    ModelLoadError,
    Voice,
    VoiceConfig,
    VoiceConfigError,
    VoiceNotFoundError,
    available_backends,
    installed_voices,
)


def test_default_voice_is_joe() -> None:
    voice = Voice.load()
    assert voice.name == "en_US-joe-medium"
    assert voice.config.sample_rate == 22050
    assert voice.config.espeak_voice == "en-us"
    assert (voice.config.noise_scale, voice.config.length_scale, voice.config.noise_w) == (
        0.667,
        1.0,
        0.8,
    )


def test_installed_voices_finds_the_package_voice() -> None:
    voices = installed_voices()
    assert voices["en_US-joe-medium"].name == "en_US-joe-medium.onnx"
    assert Voice.load("en_US-joe-medium").model_path == voices["en_US-joe-medium"]


def test_voices_path_env(tiny_voice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGETTS_VOICES_PATH", str(tiny_voice.parent))
    assert installed_voices()["tiny"] == tiny_voice
    assert Voice.load("tiny").config.sample_rate == 16000


def test_load_by_path(tiny_voice: Path) -> None:
    assert Voice.load(tiny_voice).name == "tiny"
    assert Voice.load(str(tiny_voice)).model_path == tiny_voice


def test_unknown_name_lists_installed() -> None:
    expected = r"no installed voice named 'nope'; installed voices: \[.*'en_US-joe-medium'"
    with pytest.raises(VoiceNotFoundError, match=expected):
        Voice.load("nope")


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(
        VoiceNotFoundError, match=f"voice model {tmp_path / 'x.onnx'} does not exist"
    ):
        Voice.load(tmp_path / "x.onnx")


def test_voice_type_is_checked() -> None:
    with pytest.raises(TypeError, match="voice must be a str, a path or None, got int"):
        Voice.load(5)  # type: ignore[arg-type]


def _copy_voice(tiny_voice: Path, tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "v.onnx"
    shutil.copy(tiny_voice, model)
    config = tmp_path / "v.onnx.json"
    shutil.copy(tiny_voice.with_name("tiny.onnx.json"), config)
    return model, config


def test_missing_config(tiny_voice: Path, tmp_path: Path) -> None:
    model, config = _copy_voice(tiny_voice, tmp_path)
    config.unlink()
    with pytest.raises(VoiceConfigError, match=f"voice config {config} does not exist"):
        Voice.load(model)


def test_malformed_json_names_file_and_position(tiny_voice: Path, tmp_path: Path) -> None:
    model, config = _copy_voice(tiny_voice, tmp_path)
    config.write_text('{"audio": {', encoding="utf-8")
    with pytest.raises(
        VoiceConfigError, match=f"voice config {config} is not valid JSON: .*line 1"
    ):
        Voice.load(model)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("phoneme_id_map"), "missing key 'phoneme_id_map'"),
        (lambda c: c["audio"].pop("sample_rate"), "missing key 'sample_rate'"),
        (lambda c: c["audio"].update(sample_rate=-5), "audio.sample_rate -5 is outside 8000-48000"),
        (lambda c: c["audio"].update(sample_rate=1), "audio.sample_rate 1 is outside 8000-48000"),
        (
            lambda c: c.update(phoneme_id_map={"^": [1], "_": [0], "$": [2]}),
            "phoneme_id_map has no phonemes besides BOS/PAD/EOS",
        ),
        (lambda c: c["phoneme_id_map"].update(a=[-3]), r"negative ids for \['a'\]"),
        (lambda c: c.update(phoneme_type="pinyin"), "phoneme_type 'pinyin' is not supported"),
        (lambda c: c["phoneme_id_map"].pop("^"), r"lacks the BOS/PAD/EOS symbols \['\^'\]"),
        (lambda c: c["phoneme_id_map"].update(a="x"), "malformed field"),
        (lambda c: c.update(inference={"noise_scale": "loud"}), "malformed field"),
    ],
)
def test_bad_config_fields(tiny_voice: Path, tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    model, config = _copy_voice(tiny_voice, tmp_path)
    data = json.loads(config.read_text("utf-8"))
    mutate(data)
    config.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(VoiceConfigError, match=message):
        Voice.load(model)


def test_a_folder_is_not_a_voice(tmp_path: Path) -> None:
    folder = tmp_path / "voice.onnx"
    folder.mkdir()
    with pytest.raises(VoiceNotFoundError, match=r"voice\.onnx is a folder, not a \.onnx file"):
        Voice.load(folder)


def test_config_round_trips() -> None:
    config = Voice.load().config
    assert VoiceConfig.from_dict(config.to_dict()) == config


def test_config_must_be_an_object() -> None:
    with pytest.raises(
        VoiceConfigError, match="voice config <dict>: expected a JSON object, got list"
    ):
        VoiceConfig.from_dict([])  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_a_damaged_model_is_a_typed_error_naming_it(
    tiny_voice: Path, tmp_path: Path, backend: str, damage: str
) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    model, _ = _copy_voice(tiny_voice, tmp_path)
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2] if damage == "truncated" else os.urandom(len(data)))
    with pytest.raises(ModelLoadError, match=f"model {re.escape(str(model))}"):
        EdgeTTS(model, backend=backend)


def test_ids_beyond_the_models_embedding_are_refused(tmp_path: Path) -> None:
    """ONNX Runtime fails on them mid-call; OpenVINO speaks garbage."""
    joe = Voice.load()
    model = tmp_path / "v.onnx"
    model.symlink_to(joe.model_path)
    data = joe.config.to_dict()
    data["phoneme_id_map"]["a"] = [99_999]
    config = tmp_path / "v.onnx.json"
    config.write_text(json.dumps(data), encoding="utf-8")
    message = f"voice config {config}: phoneme_id_map maps 'a' to id 99999, but model {model}"
    with pytest.raises(VoiceConfigError, match=re.escape(message) + " embeds ids 0..255 only"):
        Voice.load(model)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "n must be an int, got bool"),  # a bool is no count
        (2.0, TypeError, "n must be an int, got float"),
        (0, ValueError, r"n must be within \[1, 8\], got 0"),
        (9, ValueError, r"n must be within \[1, 8\], got 9"),
    ],
)
def test_check_int_names_the_value_and_what_is_allowed(
    value: object, error: type[Exception], message: str
) -> None:
    from edgetts.config import check_int

    with pytest.raises(error, match=message):
        check_int("n", value, low=1, high=8)
    check_int("n", 8, low=1, high=8)
    check_int("n", None, low=1, none=True)
    with pytest.raises(TypeError, match="n must be an int or None, got str"):
        check_int("n", "1", low=1, none=True)
    with pytest.raises(ValueError, match="n must be at least 1, got -3"):
        check_int("n", -3, low=1)
