"""The precision rule (edgetts.hardware): bf16 only where it was measured to pay."""

from __future__ import annotations

import pytest

from edgetts import hardware
from edgetts.errors import BackendUnavailableError
from edgetts.split import GRAPHS


@pytest.fixture
def amx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "has_fast_bf16", lambda: True)


@pytest.fixture
def no_amx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "has_fast_bf16", lambda: False)


@pytest.mark.usefixtures("amx")
def test_auto_runs_the_listed_graphs_in_bf16_on_openvino_with_amx() -> None:
    chosen = hardware.graph_precisions("openvino", "auto", ["decoder"], GRAPHS)
    assert chosen == {"prior": "fp32", "flow": "fp32", "decoder": "bf16"}
    assert hardware.graph_precisions("openvino", "bf16", ["decoder"], GRAPHS) == chosen
    # Never on ONNX Runtime, never for a graph the variant does not list, never when asked not to.
    assert set(hardware.graph_precisions("onnxruntime", "auto", ["decoder"], GRAPHS).values()) == {
        "fp32"
    }
    assert set(hardware.graph_precisions("openvino", "auto", [], GRAPHS).values()) == {"fp32"}
    assert set(hardware.graph_precisions("openvino", "fp32", ["decoder"], GRAPHS).values()) == {
        "fp32"
    }
    with pytest.raises(ValueError, match="lists no graph measured in bf16"):
        hardware.graph_precisions("openvino", "bf16", [], GRAPHS)


@pytest.mark.usefixtures("no_amx")
def test_without_amx_auto_stays_fp32_and_bf16_is_refused() -> None:
    chosen = hardware.graph_precisions("openvino", "auto", ["decoder"], GRAPHS)
    assert set(chosen.values()) == {"fp32"}
    with pytest.raises(BackendUnavailableError, match=r"precision='bf16' needs OpenVINO on a CPU"):
        hardware.graph_precisions("openvino", "bf16", ["decoder"], GRAPHS)
    with pytest.raises(ValueError, match=r"precision must be one of \['auto', 'fp32', 'bf16'\]"):
        hardware.graph_precisions("openvino", "int4", ["decoder"], GRAPHS)


def test_cpu_features_come_from_the_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16 amx_tile\n", encoding="utf-8")
    hardware.cpu_features.cache_clear()
    monkeypatch.setattr(hardware, "_CPUINFO", cpuinfo)
    try:
        assert hardware.cpu_features() == {"fpu", "avx2", "amx_bf16", "amx_tile"}
        assert hardware.reported_features() == ["avx2", "amx_tile", "amx_bf16"]
    finally:
        hardware.cpu_features.cache_clear()
