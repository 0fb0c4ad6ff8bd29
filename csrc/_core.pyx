# cython: language_level=3, binding=False
# distutils: language = c++
"""Private compiled core of edgetts: the espeak-ng binding and audio kernels.

Callers (edgetts.phonemize, edgetts.audio) validate dtypes, shapes and
contiguity and allocate ``out`` buffers; the kernels here trust them.
"""

from libc.stdint cimport int16_t, int64_t, uint64_t
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef extern from "espeak_bridge.hpp" namespace "edgetts" nogil:
    cdef cppclass Clause:
        string phonemes
        char terminator
        cbool end_of_sentence
        size_t clause_end
        size_t text_end

    cbool espeak_load(const char *library_path, const char *data_path, string &error)
    cbool c_espeak_clauses "edgetts::espeak_clauses"(const char *voice, const char *text, vector[Clause] &out, string &error)


class EspeakError(RuntimeError):
    """espeak-ng could not be loaded or failed on a text (wrapped by edgetts.errors)."""


def load_espeak(str library_path, str data_path):
    """Load libespeak-ng from ``library_path`` and initialise it with ``data_path``."""
    cdef bytes lib = library_path.encode()
    cdef bytes data = data_path.encode()
    cdef const char *lib_c = lib
    cdef const char *data_c = data
    cdef string error
    cdef cbool ok
    with nogil:
        ok = espeak_load(lib_c, data_c, error)
    if not ok:
        raise EspeakError(error.decode(errors="replace"))


def espeak_clauses(str voice, str text):
    """Phonemize ``text`` into a list of ``(ipa, terminator, end_of_sentence, end)``.

    ``terminator`` is one of ``. ? ! , : ;`` or ``""``; ``end`` is the character
    offset in ``text`` just past the clause and its mark. The GIL is released while
    espeak-ng works; the bridge serialises callers with its own lock.
    """
    cdef bytes voice_b = voice.encode()
    cdef bytes text_b = text.encode("utf-8", errors="replace")
    cdef const char *voice_c = voice_b
    cdef const char *text_c = text_b
    cdef vector[Clause] clauses
    cdef string error
    cdef cbool ok
    with nogil:
        ok = c_espeak_clauses(voice_c, text_c, clauses, error)
    if not ok:
        raise EspeakError(error.decode(errors="replace"))
    result = []
    cdef size_t byte_pos = 0
    cdef Py_ssize_t char_pos = 0
    for clause in clauses:
        # Offsets only grow (clause_end <= text_end <= next clause_end), so one
        # forward pass converts bytes to characters.
        char_pos += len(text_b[byte_pos:clause.clause_end].decode("utf-8", errors="replace"))
        byte_pos = clause.clause_end
        terminator = chr(clause.terminator) if clause.terminator else ""
        result.append((clause.phonemes.decode("utf-8", errors="replace"), terminator,
                       bool(clause.end_of_sentence), char_pos))
    return result


def phonemes_to_ids(list phonemes, dict id_map, list bos, list pad, list eos):
    """Piper's id layout: BOS PAD (phoneme PAD)* EOS. Returns ``(ids, missing)``.

    Phonemes absent from ``id_map`` are skipped; ``missing`` lists them in order.
    """
    cdef list ids = bos + pad
    cdef list missing = []
    for phoneme in phonemes:
        mapped = id_map.get(phoneme)
        if mapped is None:
            missing.append(phoneme)
            continue
        ids.extend(mapped)
        ids.extend(pad)
    ids.extend(eos)
    return ids, missing


cdef extern from "kernels.hpp" namespace "edgetts" nogil:
    float c_peak_abs "edgetts::peak_abs"(const float *x, size_t n)
    void c_scale_clip "edgetts::scale_clip"(const float *x, size_t n, float gain, float *out)
    void c_to_int16 "edgetts::to_int16"(const float *x, size_t n, int16_t *out, cbool dither,
                                        uint64_t seed)
    void c_resample_poly "edgetts::resample_poly"(const float *phases, size_t taps, size_t up,
                                                  size_t down, const float *x, size_t n_in,
                                                  float *out, size_t n_out, size_t skip)
    size_t c_dtw "edgetts::dtw"(const double *dist, size_t n, size_t m, double *acc,
                                int64_t *path_i, int64_t *path_j)


# The sample kernels live in kernels.cpp (vectorised, CPU-dispatched); these
# wrappers only take the buffers' addresses and release the GIL. A zero-length
# memoryview has no element to take the address of, hence the early returns.

def peak_abs(const float[::1] x):
    """Largest finite absolute sample value of ``x`` (0.0 for an empty buffer)."""
    cdef float peak
    if x.shape[0] == 0:
        return 0.0
    with nogil:
        peak = c_peak_abs(&x[0], x.shape[0])
    return peak


def scale_clip(const float[::1] x, float gain, float[::1] out):
    """Write ``clip(x * gain, -1, 1)`` into ``out`` (which may alias ``x``); NaN -> 0."""
    if x.shape[0] == 0:
        return
    with nogil:
        c_scale_clip(&x[0], x.shape[0], gain, &out[0])


def to_int16(const float[::1] x, int16_t[::1] out, bint dither, uint64_t seed):
    """Write ``x`` scaled to 16-bit PCM into ``out``, rounding (half to even) and clipping.

    With ``dither``, triangular (TPDF) noise of +-1 LSB is added before rounding.
    """
    if x.shape[0] == 0:
        return
    with nogil:
        c_to_int16(&x[0], x.shape[0], &out[0], dither, seed)


def resample_poly(const float[:, ::1] phases, const float[::1] x, float[::1] out,
                  Py_ssize_t up, Py_ssize_t down, Py_ssize_t skip):
    """Polyphase FIR resampling into ``out``; ``phases[p]`` is the filter of phase ``p``."""
    if x.shape[0] == 0 or out.shape[0] == 0:
        return
    with nogil:
        c_resample_poly(&phases[0, 0], phases.shape[1], up, down, &x[0], x.shape[0],
                        &out[0], out.shape[0], skip)


def dtw(const double[:, ::1] dist, double[:, ::1] acc, int64_t[::1] path_i, int64_t[::1] path_j):
    """Dynamic time warping of ``dist`` (n x m, both > 0); returns ``(total_cost, path_len)``.

    Fills ``acc`` (n x m) with accumulated costs and the first ``path_len``
    entries of ``path_i``/``path_j`` (length >= n + m) with the path, in order.
    """
    cdef size_t length
    with nogil:
        length = c_dtw(&dist[0, 0], dist.shape[0], dist.shape[1], &acc[0, 0],
                       &path_i[0], &path_j[0])
    return acc[acc.shape[0] - 1, acc.shape[1] - 1], length
