"""Variant packs: export, import, refusal of bad packs, and the shipped pack's output."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import another_build
from make_fingerprint import FINGERPRINT, SENTENCES, fingerprint

from edgetts import EdgeTTS, available_backends
from edgetts.cli import main
from edgetts.errors import VariantError, VariantMismatchError
from edgetts.files import sha256_file
from edgetts.optimize import build_ptq
from edgetts.packs import PackError, export_pack, import_pack, read_pack, shipped_packs
from edgetts.variants import MANIFEST, corrupt_variants, load_variant, stored_variants
from edgetts.voice import Voice

pytestmark = pytest.mark.slow  # the real voice: packs reuse its tensors


@pytest.fixture(scope="module")
def pack(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of an int8-weights variant (no torch needed to make one)."""
    build_ptq(preset="weights", backend="onnxruntime", name="w8")
    return export_pack(None, "w8", tmp_path_factory.mktemp("packs") / "w8.etpack")


def _store_listing(store: Path) -> list[str]:
    return sorted(str(p.relative_to(store)) for p in store.rglob("*") if "split" not in p.parts)


def test_a_pack_rebuilds_the_variant_byte_for_byte(store: Path, pack: Path) -> None:
    voice = Voice.load(None)
    original = load_variant(voice, "w8")
    hashes = dict(original.manifest["file_sha256"])
    index = read_pack(pack)
    assert index["source"]["sha256"] == sha256_file(voice.model_path)
    # Only what PTQ changed travels: the float weights it leaves alone (the duration
    # predictor's) are named, not copied; its int8 weights are in the pack.
    kept = index["graphs"]["prior"]["from_voice"]
    assert "dp.convs.convs_sep.0.weight" in kept
    assert not any("int8" in name or "quantized" in name for name in kept)
    assert pack.stat().st_size < original.size_bytes
    shutil.rmtree(original.folder)
    rebuilt = import_pack(pack)
    assert rebuilt.manifest["file_sha256"] == hashes
    assert rebuilt.manifest["pack"]["sha256"] == sha256_file(pack)
    with pytest.raises(FileExistsError, match="pass replace=True"):
        import_pack(pack)
    assert import_pack(pack, replace=True).manifest["file_sha256"] == hashes


def test_a_pack_for_another_voice_is_refused(store: Path, pack: Path, tmp_path: Path) -> None:
    voice = Voice.load(None)
    other = another_build(voice.model_path, tmp_path / f"{voice.name}.onnx")
    before = _store_listing(store)
    with pytest.raises(VariantMismatchError, match=r"made for en_US-joe-medium with sha256"):
        import_pack(pack, other)
    assert _store_listing(store) == before
    # Another build of a voice with the shipped voice's name speaks its own graph.
    assert EdgeTTS(other, backend="onnxruntime").variant == "fp32"


def _rewrite(pack: Path, target: Path, change: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            out.writestr(info, change.get(info.filename, source.read(info)))
    return target


def test_corrupt_and_truncated_packs_are_refused(store: Path, pack: Path, tmp_path: Path) -> None:
    shutil.rmtree(load_variant(Voice.load(None), "w8").folder)
    before = _store_listing(store)
    data = pack.read_bytes()
    truncated = tmp_path / "truncated.etpack"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(PackError, match=r"truncated\.etpack cannot be used: it is truncated"):
        import_pack(truncated)
    flipped = tmp_path / "flipped.etpack"  # one byte of a member's compressed data
    broken = bytearray(data)
    broken[len(data) // 3] ^= 0xFF
    flipped.write_bytes(bytes(broken))
    with pytest.raises(PackError, match=r"flipped\.etpack cannot be used"):
        import_pack(flipped)
    with zipfile.ZipFile(pack) as archive:
        skeleton = archive.read("flow.onnx")
        index = json.loads(archive.read("pack.json"))
    swapped = _rewrite(pack, tmp_path / "swapped.etpack", {"flow.onnx": skeleton + b"\0"})
    with pytest.raises(PackError, match=r"member 'flow.onnx' does not match its sha256"):
        import_pack(swapped)
    index["format"] = 99
    future = _rewrite(pack, tmp_path / "future.etpack", {"pack.json": json.dumps(index).encode()})
    with pytest.raises(PackError, match=r"pack format 99; this edgetts reads 1"):
        import_pack(future)
    noise = tmp_path / "noise.etpack"
    noise.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(PackError, match="not an edgetts pack"):
        import_pack(noise)
    assert _store_listing(store) == before


def test_a_tampered_store_is_caught(store: Path, pack: Path) -> None:
    voice = Voice.load(None)
    variant = import_pack(pack, replace=True)
    manifest = json.loads((variant.folder / MANIFEST).read_text(encoding="utf-8"))
    # A graph swapped for another is caught by its sha256.
    shutil.copy(variant.split.flow, variant.split.decoder)
    with pytest.raises(VariantError, match=r"decoder\.onnx does not match its sha256"):
        load_variant(voice, "w8")
    # A manifest that points outside the folder, or is not an object, is refused.
    for bad in (
        {**manifest, "files": {**manifest["files"], "flow": "../../escape.onnx"}},
        [manifest],
        {k: v for k, v in manifest.items() if k != "source"},
    ):
        (variant.folder / MANIFEST).write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(VariantError, match="unusable manifest"):
            load_variant(voice, "w8")
        assert "w8" not in stored_variants(voice)
        assert "unusable manifest" in corrupt_variants(voice)["w8"]
    assert main(["variants"]) == 0  # still lists the others, and this one as corrupt
    shutil.rmtree(variant.folder)


def test_the_cli_exports_and_imports(store: Path, pack: Path, tmp_path: Path) -> None:
    import_pack(pack, replace=True)
    target = tmp_path / "cli.etpack"
    assert main(["pack", "export", "w8", "-o", str(target)]) == 0
    assert read_pack(target)["variant"] == "w8"
    assert main(["pack", "import", str(target)]) == 2  # exists: refused, exit 2
    assert main(["pack", "import", str(target), "--force"]) == 0
    assert main(["pack", "import", str(tmp_path / "missing.etpack")]) == 2


# Declared tolerances: backends and CPUs differ in float rounding, which can move a
# duration by a frame (256 samples) and a band's level by a fraction of a dB.
MAX_FRAMES_OFF = 2
MAX_BAND_DB = 1.0


def test_the_shipped_pack_builds_into_an_empty_store_and_speaks_as_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = Voice.load(None)
    shipped = shipped_packs(voice)
    assert list(shipped) == ["fast"]
    assert shipped["fast"].stat().st_size <= 10 * 2**20
    monkeypatch.setenv("EDGETTS_HOME", str(tmp_path / "home"))
    expected = json.loads(FINGERPRINT.read_text(encoding="utf-8"))
    for backend in available_backends():
        tts = EdgeTTS(backend=backend)  # the default: the shipped variant, built on first use
        assert tts.variant == "fast"
        for text in SENTENCES:
            got = fingerprint(tts.speak(text, noise_scale=0.0, noise_w=0.0).samples)
            want = expected[text]
            assert abs(got["samples"] - want["samples"]) <= MAX_FRAMES_OFF * 256, (backend, text)
            np.testing.assert_allclose(got["bands_db"], want["bands_db"], atol=MAX_BAND_DB)
    assert EdgeTTS(backend="onnxruntime", variant="fp32").variant == "fp32"
