"""Make a voice smaller and faster: int8 variants written to the model store.

Needs the ``onnx`` package; OpenVINO variants need ``nncf`` (``edgetts[openvino]``).
"""

from __future__ import annotations

from .calibration import CalibrationSet, load_calibration
from .ptq import PRESETS, build_ptq, default_variant_name
from .weights import compress_weights

__all__ = [
    "PRESETS",
    "CalibrationSet",
    "build_ptq",
    "compress_weights",
    "default_variant_name",
    "load_calibration",
]
