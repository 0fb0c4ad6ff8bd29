#include "kernels.hpp"

#include <cstring>

namespace edgetts {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__)
#define EDGETTS_DISPATCH __attribute__((target_clones("avx2", "default")))
#else
#define EDGETTS_DISPATCH
#endif

namespace {
// Independent accumulators: a single running max or sum is a serial dependency
// the compiler may not reorder without -ffast-math.
constexpr std::size_t kLanes = 16;

inline std::uint64_t xorshift(std::uint64_t &s) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}
}  // namespace

namespace {
inline std::uint32_t abs_bits(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b & 0x7FFFFFFFu;
}
}  // namespace

// |x| as IEEE bits orders like |x| itself for non-NaN values, and an integer max
// reduction vectorises where a float one needs -ffast-math. Non-finite samples
// (bits at or above +inf) are ignored, in a second, scalar pass: they are rare,
// and one of them must not scale a whole sentence to silence.
EDGETTS_DISPATCH
float peak_abs(const float *x, std::size_t n) {
    constexpr std::uint32_t kInf = 0x7F800000u;
    std::uint32_t top = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t b = abs_bits(x[i]);
        top = b > top ? b : top;
    }
    if (top >= kInf) {
        top = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::uint32_t b = abs_bits(x[i]);
            if (b < kInf && b > top) top = b;
        }
    }
    float peak;
    std::memcpy(&peak, &top, sizeof peak);
    return peak;
}

EDGETTS_DISPATCH
void scale_clip(const float *x, std::size_t n, float gain, float *out) {
    for (std::size_t i = 0; i < n; ++i) {
        float v = x[i] * gain;
        v = v > 1.0f ? 1.0f : v;
        v = v < -1.0f ? -1.0f : v;
        out[i] = v == v ? v : 0.0f;
    }
}

namespace {
// Adding and subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to the
// nearest integer, ties to even (as rint does), with plain vector adds.
inline std::int16_t pcm16(float v) {
    const float rounding = 12582912.0f;
    v = v > 32767.0f ? 32767.0f : v;
    v = v < -32768.0f ? -32768.0f : v;
    v = v == v ? v : 0.0f;
    return static_cast<std::int16_t>(static_cast<std::int32_t>((v + rounding) - rounding));
}

// Uniform in [-1, 1) LSB with a triangular distribution: difference of two uniforms.
inline float tpdf(std::uint64_t &state) {
    const float unit = 1.0f / 4294967296.0f;
    std::uint64_t r = xorshift(state);
    return static_cast<float>(static_cast<std::uint32_t>(r)) * unit -
           static_cast<float>(static_cast<std::uint32_t>(r >> 32)) * unit;
}
}  // namespace

EDGETTS_DISPATCH
void to_int16(const float *x, std::size_t n, std::int16_t *out, bool dither, std::uint64_t seed) {
    if (!dither) {
        for (std::size_t i = 0; i < n; ++i) out[i] = pcm16(x[i] * 32767.0f);
        return;
    }
    std::uint64_t state[kLanes];  // one generator per lane keeps the loop vectorisable
    for (std::size_t j = 0; j < kLanes; ++j) state[j] = (seed + j + 1) * 0x9E3779B97F4A7C15ull;
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (std::size_t j = 0; j < kLanes; ++j) out[i + j] = pcm16(x[i + j] * 32767.0f + tpdf(state[j]));
    }
    for (; i < n; ++i) out[i] = pcm16(x[i] * 32767.0f + tpdf(state[0]));
}

EDGETTS_DISPATCH
void resample_poly(const float *phases, std::size_t taps, std::size_t up, std::size_t down,
                   const float *x, std::size_t n_in, float *out, std::size_t n_out,
                   std::size_t skip) {
    for (std::size_t k = 0; k < n_out; ++k) {
        std::size_t t = (k + skip) * down;
        const float *h = phases + (t % up) * taps;
        std::size_t i = t / up;  // newest input sample under tap 0
        // Taps m with 0 <= i - m < n_in.
        std::size_t m_begin = i >= n_in ? i - n_in + 1 : 0;
        std::size_t m_end = i + 1 < taps ? i + 1 : taps;
        float acc[8] = {0};
        std::size_t m = m_begin;
        for (; m + 8 <= m_end; m += 8) {
            for (std::size_t j = 0; j < 8; ++j) acc[j] += h[m + j] * x[i - m - j];
        }
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; m < m_end; ++m) sum += h[m] * x[i - m];
        out[k] = sum;
    }
}

}  // namespace edgetts

namespace edgetts {

std::size_t dtw(const double *dist, std::size_t n, std::size_t m, double *acc,
                std::int64_t *path_i, std::int64_t *path_j) {
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < m; ++j) {
            double best;
            if (i == 0 && j == 0) {
                best = 0.0;
            } else if (i == 0) {
                best = acc[j - 1];
            } else if (j == 0) {
                best = acc[(i - 1) * m];
            } else {
                double up = acc[(i - 1) * m + j], left = acc[i * m + j - 1];
                double diag = acc[(i - 1) * m + j - 1];
                best = diag <= up && diag <= left ? diag : (up <= left ? up : left);
            }
            acc[i * m + j] = best + dist[i * m + j];
        }
    }
    // Walk back from the end, then reverse into start-to-end order.
    std::size_t len = 0, i = n - 1, j = m - 1;
    while (true) {
        path_i[len] = static_cast<std::int64_t>(i);
        path_j[len] = static_cast<std::int64_t>(j);
        ++len;
        if (i == 0 && j == 0) break;
        if (i == 0) {
            --j;
        } else if (j == 0) {
            --i;
        } else {
            double up = acc[(i - 1) * m + j], left = acc[i * m + j - 1];
            double diag = acc[(i - 1) * m + j - 1];
            if (diag <= up && diag <= left) {
                --i;
                --j;
            } else if (up <= left) {
                --i;
            } else {
                --j;
            }
        }
    }
    for (std::size_t a = 0, b = len - 1; a < b; ++a, --b) {
        std::int64_t ti = path_i[a], tj = path_j[a];
        path_i[a] = path_i[b];
        path_j[a] = path_j[b];
        path_i[b] = ti;
        path_j[b] = tj;
    }
    return len;
}

}  // namespace edgetts
