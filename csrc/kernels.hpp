// Audio sample kernels. Plain loops the compiler auto-vectorises; on x86-64 with
// GCC/Clang each is also compiled for AVX2 and picked at load time (ifunc), the
// way numpy dispatches its own SIMD loops. None of them touches Python state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgetts {

// Largest finite |x[i]|; NaN and infinite samples are ignored.
float peak_abs(const float *x, std::size_t n);

// out[i] = clip(x[i] * gain, -1, 1), NaN -> 0. `out` may alias `x`.
void scale_clip(const float *x, std::size_t n, float gain, float *out);

// out[i] = round-half-even(clip(x[i] * 32767 (+ TPDF dither), -32768, 32767)), NaN -> 0.
void to_int16(const float *x, std::size_t n, std::int16_t *out, bool dither, std::uint64_t seed);

// Polyphase FIR: out[k] = sum_m phases[p * taps + m] * x[i - m] with
// t = (k + skip) * down, p = t % up, i = t / up (samples outside x count as 0).
void resample_poly(const float *phases, std::size_t taps, std::size_t up, std::size_t down,
                   const float *x, std::size_t n_in, float *out, std::size_t n_out,
                   std::size_t skip);

}  // namespace edgetts

namespace edgetts {

// Dynamic time warping over an n x m distance matrix (row-major) with steps
// (1,0), (0,1), (1,1). Fills `acc` (n x m scratch) with accumulated costs and
// writes the optimal path, start to end, into path_i/path_j (room for n + m
// entries). Returns the path length; the total cost is acc[n*m - 1].
std::size_t dtw(const double *dist, std::size_t n, std::size_t m, double *acc,
                std::int64_t *path_i, std::int64_t *path_j);

}  // namespace edgetts
