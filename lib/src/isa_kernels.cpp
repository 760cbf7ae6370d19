// The inner loops of the direct core and the separable filters. Built once per instruction set
// with FFTCONV_ISA naming the namespace (see isa.hpp): everything here has internal linkage
// except table<T>(), and nothing from the standard library is instantiated.
#include <algorithm>
#include <cmath>
#include <complex>
#include <type_traits>

#include "isa.hpp"

#ifdef __AVX2__
#include <immintrin.h>
#endif

#ifndef FFTCONV_ISA
#error "build with -DFFTCONV_ISA=isa_generic or isa_avx2"
#endif

namespace fftconv::detail {

namespace {

// One output block of the direct core: a block of this many T stays in L1 while every kernel
// tap adds into it (direct.hpp's direct_block; repeated so this file needs nothing else).
constexpr std::ptrdiff_t block = 512;

inline std::ptrdiff_t lo(std::ptrdiff_t a, std::ptrdiff_t b) {
    return a < b ? a : b;
}
inline std::ptrdiff_t hi(std::ptrdiff_t a, std::ptrdiff_t b) {
    return a < b ? b : a;
}

// acc[i] += h * x[i]: the one loop the direct core spends its time in. Written so that g++
// vectorizes it (no aliasing, unit stride, no reduction across i).
template <class T>
inline void axpy(T* __restrict acc, const T* __restrict x, T h, std::ptrdiff_t n) {
    for (std::ptrdiff_t i = 0; i < n; ++i) acc[i] += h * x[i];
}

// std::complex's operator* guards against NaN/Inf with a library call that blocks vectorization;
// the textbook product is what the FFT path computes too.
template <class R>
inline void axpy(std::complex<R>* __restrict acc, const std::complex<R>* __restrict x, std::complex<R> h,
                 std::ptrdiff_t n) {
    R* __restrict a = reinterpret_cast<R*>(acc);
    const R* __restrict v = reinterpret_cast<const R*>(x);
    const R hr = h.real(), hi_ = h.imag();
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const R vr = v[2 * i], vi = v[2 * i + 1];
        a[2 * i] += hr * vr - hi_ * vi;
        a[2 * i + 1] += hr * vi + hi_ * vr;
    }
}

template <class T>
void direct(const DirectJob<T>& j, std::ptrdiff_t first_row, std::ptrdiff_t last_row) {
    const std::ptrdiff_t n_r = j.x_rows, n_c = j.x_cols, k_r = j.k_rows, k_c = j.k_cols;
    T* acc = j.acc;
    for (std::ptrdiff_t r = first_row; r < last_row; ++r) {
        const std::ptrdiff_t R = j.row_offset + r;  // row in the full result
        const std::ptrdiff_t p_lo = hi(0, R - (n_r - 1)), p_hi = lo(k_r - 1, R);
        for (std::ptrdiff_t c0 = 0; c0 < j.col_count; c0 += block) {
            const std::ptrdiff_t len = lo(block, j.col_count - c0);
            const std::ptrdiff_t C0 = j.col_offset + c0;  // full-result column of acc[0]
            for (std::ptrdiff_t i = 0; i < len; ++i) acc[i] = T{};
            for (std::ptrdiff_t plane = 0; plane < j.planes; ++plane)
                for (std::ptrdiff_t p = p_lo; p <= p_hi; ++p) {
                    const T* xrow = j.x[plane] + (R - p) * j.x_row_stride;
                    const T* hrow = j.taps[plane] + p * k_c;
                    // acc[i] += h[q] * x[C0 + i - q] wherever 0 <= C0 + i - q < n_c.
                    const std::ptrdiff_t q_lo = hi(0, C0 - (n_c - 1));
                    const std::ptrdiff_t q_hi = lo(k_c - 1, C0 + len - 1);
                    for (std::ptrdiff_t q = q_lo; q <= q_hi; ++q) {
                        if (j.skip_zero_taps && hrow[q] == T{}) continue;
                        const std::ptrdiff_t i_lo = hi(0, q - C0);
                        const std::ptrdiff_t i_hi = lo(len, q - C0 + n_c);
                        axpy(acc + i_lo, xrow + (C0 + i_lo - q), hrow[q], i_hi - i_lo);
                    }
                }
            T* o = j.out + r * j.out_row_stride + c0 * j.out_col_stride;
            // A unit stride apart: the strided loop does not vectorize, and for a short kernel
            // this copy was a sixth to a third of the work (100,000 ⊛ 3: 105 -> 87 µs; ⊛ 16: 328 -> 231 µs).
            if (j.out_col_stride == 1)
                std::copy(acc, acc + len, o);
            else
                for (std::ptrdiff_t i = 0; i < len; ++i) o[i * j.out_col_stride] = acc[i];
        }
    }
}

// GCC vector extensions: one register's worth of T, written once for both builds. Eight
// accumulators hide the multiply-add latency and leave room in the 16 vector registers.
#ifdef __AVX2__
constexpr int vector_bytes = 32;
#else
constexpr int vector_bytes = 16;
#endif
constexpr int unroll = 8;

template <class T>
struct Vec {
    typedef T type __attribute__((vector_size(vector_bytes)));
};

template <class V, class T>
inline V load(const T* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
template <class V, class T>
inline void store(T* p, V v) {
    __builtin_memcpy(p, &v, sizeof v);
}

// Stores for results that will not be read again soon: past the caches, no read-for-ownership.
inline void stream(float* p, const Vec<float>::type& v) {
#ifdef __AVX2__
    _mm256_stream_ps(p, reinterpret_cast<const __m256&>(v));
#else
    store(p, v);
#endif
}
inline void stream(double* p, const Vec<double>::type& v) {
#ifdef __AVX2__
    _mm256_stream_pd(p, reinterpret_cast<const __m256d&>(v));
#else
    store(p, v);
#endif
}

// A register block of `unroll` vectors to dst: streamed when asked and dst is vector-aligned
// (the non-temporal stores need it), stored plainly otherwise.
template <class T, class V>
inline void put_block(T* dst, const V (&acc)[unroll], bool streaming) {
    constexpr std::ptrdiff_t W = vector_bytes / sizeof(T);
    if (streaming && (reinterpret_cast<std::size_t>(dst) & (vector_bytes - 1)) == 0)
        for (int u = 0; u < unroll; ++u) stream(dst + u * W, acc[u]);
    else
        for (int u = 0; u < unroll; ++u) store(dst + u * W, acc[u]);
}

// acc + a·b as the vector loops below compute it: one fused multiply-add in the FMA build (its
// vector loops contract to FMA instructions), a multiply and an add in the baseline build. The
// scalar tails use it, so an output has the same bits whether a vector block or a tail computes
// it, wherever it lies in the line (a tile of an array and the whole array agree bit for bit).
template <class T>
inline T mul_add(T a, T b, T acc) {
#ifdef __FMA__
    return std::fma(a, b, acc);
#else
    return acc + a * b;
#endif
}

template <class T>
void weighted_sum(const T* const* src, const T* coef, std::ptrdiff_t terms, T* dst, std::ptrdiff_t n, bool streaming) {
    using V = typename Vec<T>::type;
    constexpr std::ptrdiff_t W = vector_bytes / sizeof(T);
    std::ptrdiff_t c = 0;
    // Register blocks of unroll vectors: each term is one load and one multiply-add per vector,
    // and the partial sums never leave the registers.
    for (; c + unroll * W <= n; c += unroll * W) {
        V acc[unroll];
        const V k0 = V{} + coef[0];
        for (int u = 0; u < unroll; ++u) acc[u] = k0 * load<V>(src[0] + c + u * W);
        for (std::ptrdiff_t t = 1; t < terms; ++t) {
            const V k = V{} + coef[t];
            const T* s = src[t] + c;
            for (int u = 0; u < unroll; ++u) acc[u] += k * load<V>(s + u * W);
        }
        put_block(dst + c, acc, streaming);
    }
    for (; c + W <= n; c += W) {
        V acc = (V{} + coef[0]) * load<V>(src[0] + c);
        for (std::ptrdiff_t t = 1; t < terms; ++t) acc += (V{} + coef[t]) * load<V>(src[t] + c);
        store(dst + c, acc);
    }
    for (; c < n; ++c) {
        T acc = coef[0] * src[0][c];
        for (std::ptrdiff_t t = 1; t < terms; ++t) acc = mul_add(coef[t], src[t][c], acc);
        dst[c] = acc;
    }
}

// dst[c] = Σ_j coef[j]·b[c + j] for a symmetric kernel (coef[j] == coef[k-1-j]): the mirrored
// taps are added before the multiply, halving the multiply-adds.
template <class T>
void symmetric_sum(const T* b, const T* coef, std::ptrdiff_t k, T* dst, std::ptrdiff_t n, bool streaming) {
    using V = typename Vec<T>::type;
    constexpr std::ptrdiff_t W = vector_bytes / sizeof(T);
    const std::ptrdiff_t half = k / 2;
    const bool odd = k % 2 == 1;
    std::ptrdiff_t c = 0;
    for (; c + unroll * W <= n; c += unroll * W) {
        V acc[unroll];
        const T* p = b + c;
        if (odd) {
            const V km = V{} + coef[half];
            for (int u = 0; u < unroll; ++u) acc[u] = km * load<V>(p + half + u * W);
        } else {
            for (int u = 0; u < unroll; ++u) acc[u] = V{};
        }
        for (std::ptrdiff_t j = 0; j < half; ++j) {
            const V kj = V{} + coef[j];
            for (int u = 0; u < unroll; ++u) acc[u] += kj * (load<V>(p + j + u * W) + load<V>(p + (k - 1 - j) + u * W));
        }
        put_block(dst + c, acc, streaming);
    }
    for (; c < n; ++c) {
        const T* p = b + c;
        T acc = odd ? coef[half] * p[half] : T(0);
        for (std::ptrdiff_t j = 0; j < half; ++j) acc = mul_add(coef[j], p[j] + p[k - 1 - j], acc);
        dst[c] = acc;
    }
}

// Two weighted sums over one list of sources shifted by one: dst0 = Σ coef[t]·src[t] and
// dst1 = Σ coef[t]·src[t + 1], t < terms (src has terms + 1 entries). Two output rows of a column
// pass share all but one of their input rows, so each load feeds two multiply-adds. Each sum is
// added up in the same order as weighted_sum's, so the results are identical to two calls.
template <class T>
void weighted_sum_pair(const T* const* src, const T* coef, std::ptrdiff_t terms, T* dst0, T* dst1, std::ptrdiff_t n) {
    using V = typename Vec<T>::type;
    constexpr std::ptrdiff_t W = vector_bytes / sizeof(T);
    constexpr int pair_unroll = 4;  // 2 x 4 accumulators
    std::ptrdiff_t c = 0;
    for (; c + pair_unroll * W <= n; c += pair_unroll * W) {
        // Source t is loaded once and serves term t of dst0 and term t - 1 of dst1.
        V a0[pair_unroll], a1[pair_unroll];
        {
            const V k0 = V{} + coef[0];
            for (int u = 0; u < pair_unroll; ++u) a0[u] = k0 * load<V>(src[0] + c + u * W);
            for (int u = 0; u < pair_unroll; ++u) {
                const V x = load<V>(src[1] + c + u * W);
                a1[u] = k0 * x;
                if (terms > 1) a0[u] += (V{} + coef[1]) * x;
            }
        }
        for (std::ptrdiff_t t = 2; t < terms; ++t) {
            const T* s = src[t] + c;
            const V k_now = V{} + coef[t], k_prev = V{} + coef[t - 1];
            for (int u = 0; u < pair_unroll; ++u) {
                const V x = load<V>(s + u * W);
                a0[u] += k_now * x;
                a1[u] += k_prev * x;
            }
        }
        if (terms > 1) {
            const V k_last = V{} + coef[terms - 1];
            for (int u = 0; u < pair_unroll; ++u) a1[u] += k_last * load<V>(src[terms] + c + u * W);
        }
        for (int u = 0; u < pair_unroll; ++u) {
            store(dst0 + c + u * W, a0[u]);
            store(dst1 + c + u * W, a1[u]);
        }
    }
    for (; c < n; ++c) {
        T a0 = coef[0] * src[0][c], a1 = coef[0] * src[1][c];
        for (std::ptrdiff_t t = 1; t < terms; ++t) {
            a0 = mul_add(coef[t], src[t][c], a0);
            a1 = mul_add(coef[t], src[t + 1][c], a1);
        }
        dst0[c] = a0;
        dst1[c] = a1;
    }
}

// The layer conv's block: OUTS output channels at once, so each source load feeds OUTS
// multiply-adds; two vectors per channel (2 · OUTS accumulators, 8 for OUTS = 4, with room left
// in 16 registers for the loads and the broadcast weight). The last block may be partial: it is
// computed whole (the caller leaves layer_slack_bytes readable past n) and stored in part.
template <class T, int OUTS>
void layer_sum_outs(const T* const* src, const T* w, std::ptrdiff_t terms, T* const* dst, const T* init,
                    std::ptrdiff_t n) {
    using V = typename Vec<T>::type;
    constexpr std::ptrdiff_t W = vector_bytes / sizeof(T);
    V start[OUTS];
    for (int o = 0; o < OUTS; ++o) start[o] = V{} + (init ? init[o] : T(0));
    std::ptrdiff_t c = 0;
    for (; c + 2 * W <= n; c += 2 * W) {
        V a0[OUTS], a1[OUTS];
        for (int o = 0; o < OUTS; ++o) a0[o] = a1[o] = start[o];
        for (std::ptrdiff_t t = 0; t < terms; ++t) {
            const T* s = src[t] + c;
            const V x0 = load<V>(s), x1 = load<V>(s + W);
            const T* wt = w + t * OUTS;
            for (int o = 0; o < OUTS; ++o) {
                const V k = V{} + wt[o];
                a0[o] += k * x0;
                a1[o] += k * x1;
            }
        }
        for (int o = 0; o < OUTS; ++o) {
            store(dst[o] + c, a0[o]);
            store(dst[o] + c + W, a1[o]);
        }
    }
    for (; c < n; c += W) {
        V a[OUTS];
        for (int o = 0; o < OUTS; ++o) a[o] = start[o];
        for (std::ptrdiff_t t = 0; t < terms; ++t) {
            const V x = load<V>(src[t] + c);
            const T* wt = w + t * OUTS;
            for (int o = 0; o < OUTS; ++o) a[o] += (V{} + wt[o]) * x;
        }
        for (int o = 0; o < OUTS; ++o) {
            if (c + W <= n) {
                store(dst[o] + c, a[o]);
            } else {
                T part[W];
                store(part, a[o]);
                for (std::ptrdiff_t i = 0; i < n - c; ++i) dst[o][c + i] = part[i];
            }
        }
    }
}

template <class T>
void layer_sum(const T* const* src, const T* w, std::ptrdiff_t terms, std::ptrdiff_t outs, T* const* dst, const T* init,
               std::ptrdiff_t n) {
    static_assert(layer_outs == 4 && layer_slack_bytes >= vector_bytes, "isa.hpp's promises");
    switch (outs) {
        case 4: layer_sum_outs<T, 4>(src, w, terms, dst, init, n); break;
        case 3: layer_sum_outs<T, 3>(src, w, terms, dst, init, n); break;
        case 2: layer_sum_outs<T, 2>(src, w, terms, dst, init, n); break;
        default: layer_sum_outs<T, 1>(src, w, terms, dst, init, n); break;
    }
}

}  // namespace

namespace FFTCONV_ISA {

template <class T>
Kernels<T> table() {
    if constexpr (std::is_floating_point_v<T>)
        return {&direct<T>, &weighted_sum<T>, &weighted_sum_pair<T>, &symmetric_sum<T>, &layer_sum<T>};
    else
        return {&direct<T>, nullptr, nullptr, nullptr, nullptr};
}

template Kernels<float> table<float>();
template Kernels<double> table<double>();
template Kernels<std::complex<float>> table<std::complex<float>>();
template Kernels<std::complex<double>> table<std::complex<double>>();

}  // namespace FFTCONV_ISA

}  // namespace fftconv::detail
