# Stubs for the compiled core (csrc/_core.pyx).

import numpy as np
from numpy.typing import NDArray

class EspeakError(RuntimeError): ...

def load_espeak(library_path: str, data_path: str) -> None: ...
def espeak_clauses(voice: str, text: str) -> list[tuple[str, str, bool, int]]: ...
def phonemes_to_ids(
    phonemes: list[str],
    id_map: dict[str, list[int]],
    bos: list[int],
    pad: list[int],
    eos: list[int],
) -> tuple[list[int], list[str]]: ...
def peak_abs(x: NDArray[np.float32]) -> float: ...
def scale_clip(x: NDArray[np.float32], gain: float, out: NDArray[np.float32]) -> None: ...
def to_int16(x: NDArray[np.float32], out: NDArray[np.int16], dither: bool, seed: int) -> None: ...
def resample_poly(
    phases: NDArray[np.float32],
    x: NDArray[np.float32],
    out: NDArray[np.float32],
    up: int,
    down: int,
    skip: int,
) -> None: ...
def dtw(
    dist: NDArray[np.float64],
    acc: NDArray[np.float64],
    path_i: NDArray[np.int64],
    path_j: NDArray[np.int64],
) -> tuple[float, int]: ...
