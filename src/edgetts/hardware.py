"""What this CPU can do, and the precision each graph runs in because of it.

The rule (measured on the voice's decoder, 300 frames, OpenVINO 2026.4, an
Intel Xeon with AMX; ``bench/results/``): with AMX-BF16 tiles, OpenVINO runs
the polyphase decoder in bf16 2.2x faster than in f32 (44 against 95 ms), at
35 dB SNR against f32; without AMX, bf16 is emulated or runs on AVX-512 BF16
dot products, and is not faster. So a graph runs in bf16 only when all hold:

- the backend is OpenVINO (ONNX Runtime's CPU kernels have no bf16 path);
- the CPU has AMX-BF16 (``amx_bf16`` in ``/proc/cpuinfo``) and OpenVINO
  reports the ``BF16`` capability;
- the variant lists the graph in ``bf16_graphs``: its bf16 run was measured
  at the quality bar (the prior never is: bf16 moves its durations).

``precision="fp32"`` turns the rule off; ``precision="bf16"`` asks for it and
raises where this CPU cannot.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable
from pathlib import Path

from .errors import BackendUnavailableError

__all__ = [
    "PRECISIONS",
    "cpu_features",
    "graph_precisions",
    "has_fast_bf16",
    "reported_features",
]

#: What ``EdgeTTS(precision=...)`` accepts; ``"auto"`` applies the rule above.
PRECISIONS = ("auto", "fp32", "bf16")
#: The CPU features a benchmark report names (x86-64 and Arm).
REPORTED = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "asimddp",
    "sve",
    "bf16",
    "i8mm",
)


_CPUINFO = Path("/proc/cpuinfo")


@functools.cache
def cpu_features() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them (empty where it does not)."""
    if not _CPUINFO.is_file():
        return frozenset()
    for line in _CPUINFO.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86-64, aarch64
            return frozenset(value.split())
    return frozenset()


def reported_features() -> list[str]:
    """The features in :data:`REPORTED` that this CPU has, for reports."""
    return [f for f in REPORTED if f in cpu_features()] or [platform.machine()]


@functools.cache
def has_fast_bf16() -> bool:
    """Whether OpenVINO runs bf16 faster than f32 here (AMX-BF16, see the module)."""
    if "amx_bf16" not in cpu_features():
        return False
    try:
        import openvino as ov
    except ImportError:
        return False
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def graph_precisions(
    backend: str, precision: str, bf16_graphs: Iterable[str], graphs: Iterable[str]
) -> dict[str, str]:
    """The precision each of ``graphs`` runs in (see the module's rule)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    allowed = set(bf16_graphs)
    if precision == "bf16":
        if backend != "openvino" or not has_fast_bf16():
            raise BackendUnavailableError(
                f"precision='bf16' needs OpenVINO on a CPU with AMX-BF16; this is {backend} "
                f"on a CPU with {reported_features()}: use precision='auto' or 'fp32'"
            )
        if not allowed:
            raise ValueError(
                "precision='bf16': this variant lists no graph measured in bf16 (bf16_graphs)"
            )
    use_bf16 = precision != "fp32" and backend == "openvino" and bool(allowed) and has_fast_bf16()
    return {g: "bf16" if use_bf16 and g in allowed else "fp32" for g in graphs}
