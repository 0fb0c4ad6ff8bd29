# cython: language_level=3, binding=False
# distutils: language = c++
"""Private compiled core of edgetts: the espeak-ng binding and audio kernels.

Callers (edgetts.phonemize, edgetts.audio) validate dtypes, shapes and
contiguity and allocate ``out`` buffers; the kernels here trust them.
"""

from libc.math cimport cos, floor, lrint, M_PI
from libc.stdint cimport int16_t, int64_t, uint64_t
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector

cimport cython


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


@cython.boundscheck(False)
@cython.wraparound(False)
def peak_abs(const float[::1] x):
    """Largest absolute sample value of ``x`` (0.0 for an empty buffer)."""
    cdef float peak = 0.0, v
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            v = x[i] if x[i] >= 0 else -x[i]
            if v > peak:
                peak = v
    return peak


@cython.boundscheck(False)
@cython.wraparound(False)
def scale_clip(const float[::1] x, float gain, float[::1] out):
    """Write ``clip(x * gain, -1, 1)`` into ``out`` (which may alias ``x``)."""
    cdef Py_ssize_t i
    cdef float v
    with nogil:
        for i in range(x.shape[0]):
            v = x[i] * gain
            out[i] = 1.0 if v > 1.0 else (-1.0 if v < -1.0 else v)


cdef inline uint64_t _xorshift(uint64_t *state) noexcept nogil:
    state[0] ^= state[0] << 13
    state[0] ^= state[0] >> 7
    state[0] ^= state[0] << 17
    return state[0]


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def to_int16(const float[::1] x, int16_t[::1] out, bint dither, uint64_t seed):
    """Write ``x`` scaled to 16-bit PCM into ``out``, rounding and clipping.

    With ``dither``, triangular (TPDF) noise of +-1 LSB is added before rounding.
    """
    cdef Py_ssize_t i
    cdef double v
    cdef uint64_t state = seed * 2654435761u + 0x9E3779B97F4A7C15u
    cdef double inv = 1.0 / 18446744073709551616.0
    with nogil:
        for i in range(x.shape[0]):
            v = x[i] * 32767.0
            if dither:
                v += _xorshift(&state) * inv - _xorshift(&state) * inv
            v = lrint(v)
            out[i] = <int16_t>(32767 if v > 32767 else (-32768 if v < -32768 else v))


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def resample_poly(const double[::1] h, const float[::1] x, float[::1] out,
                  Py_ssize_t up, Py_ssize_t down, Py_ssize_t skip):
    """Polyphase FIR resampling: ``out[k] = upfirdn(h, x, up, down)[k + skip]``.

    Only the taps that meet non-zero samples of the zero-stuffed input are
    visited, so the cost is ``len(h) / up`` multiply-adds per output sample.
    """
    cdef Py_ssize_t n_in = x.shape[0], n_h = h.shape[0]
    cdef Py_ssize_t k, t, j, i
    cdef double acc
    with nogil:
        for k in range(out.shape[0]):
            t = (k + skip) * down
            j = t % up
            i = t // up
            if i >= n_in:  # skip taps that would read past the end of x
                j += (i - n_in + 1) * up
                i = n_in - 1
            acc = 0.0
            while j < n_h and i >= 0:
                acc += h[j] * x[i]
                j += up
                i -= 1
            out[k] = <float>acc


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def fade(float[::1] x, bint fade_in):
    """Apply a raised-cosine fade over all of ``x``, in place."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double g
    with nogil:
        for i in range(n):
            g = 0.5 - 0.5 * cos(M_PI * (i + 0.5) / n)
            x[i] = <float>(x[i] * (g if fade_in else 1.0 - g))


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def crossfade(const float[::1] a, const float[::1] b, float[::1] out):
    """Write the equal-length overlap of tail ``a`` fading out and head ``b`` fading in."""
    cdef Py_ssize_t i, n = out.shape[0]
    cdef double g
    with nogil:
        for i in range(n):
            g = 0.5 - 0.5 * cos(M_PI * (i + 0.5) / n)
            out[i] = <float>(a[i] * (1.0 - g) + b[i] * g)
