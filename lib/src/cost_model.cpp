#include "cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "direct.hpp"
#include "fft_core.hpp"

namespace fftconv {

namespace detail {

const CostConstants& cost_constants(ElementType type) {
    // Fitted by `tests/bench/calibrate` (least squares on relative error) to 53 direct and 57 FFT
    // timings per type (same-mode 1D and 2D convolutions around the crossover, and large 2D FFTs): one core of a 2-core
    // Intel Xeon VM (2 MiB L2 per core), g++ 12 -O3, the AVX2+FMA direct loops, Debian's FFTW 3.3.10
    // with FFTW_ESTIMATE plans, 2D transforms by rows and column blocks.
    //                                 mac       call      fft_fixed  fft_nlogn  fft_nlogn_2d  fft_spill
    static const CostConstants f32{7.37e-11, 4.45e-9, 5.73e-7, 1.63e-10, 1.35e-10, 1.72e-11};
    static const CostConstants f64{1.39e-10, 4.05e-9, 6.42e-7, 1.87e-10, 1.60e-10, 4.96e-11};
    static const CostConstants c64{2.26e-10, 2.92e-9, 6.93e-7, 2.13e-10, 2.01e-10, 3.51e-11};
    static const CostConstants c128{4.43e-10, 2.16e-9, 3.88e-7, 3.45e-10, 2.69e-10, 8.88e-11};
    switch (type) {
        case ElementType::float32: return f32;
        case ElementType::float64: return f64;
        case ElementType::complex64: return c64;
        case ElementType::complex128: break;
    }
    return c128;
}

DirectWork direct_work(const Geometry& g) {
    const double row_pairs = overlap_count(g.a.rows, g.b.rows, g.rows);
    // The core slides the larger operand under the smaller: one inner-loop pass per overlapping
    // (output row, tap row) pair, per tap column, per block of output columns.
    const double tap_cols = static_cast<double>(g.a.size() >= g.b.size() ? g.b.cols : g.a.cols);
    const double blocks = std::ceil(static_cast<double>(g.cols.size) / static_cast<double>(direct_block));
    return {row_pairs * overlap_count(g.a.cols, g.b.cols, g.cols), row_pairs * blocks * tap_cols};
}

double direct_seconds(const Geometry& g, ElementType type) {
    const CostConstants& k = cost_constants(type);
    const DirectWork w = direct_work(g);
    return k.mac * w.macs + k.call * w.calls;
}

namespace {

// Past L2 each butterfly pass streams from further out; the slowdown grows with the number of
// times the data outgrows the cache (measured: ~2x at 8x L2 for complex128).
double spill_doublings(double n, ElementType type) {
    const double element = type == ElementType::float32 ? 4 : type == ElementType::complex128 ? 16 : 8;
    return std::max(0.0, std::log2(n * element / fft_cache_bytes));
}

}  // namespace

FftWork fft_work(const Geometry& g, ElementType type) {
    const bool real = type == ElementType::float32 || type == ElementType::float64;
    const Shape padded = fft_shape(g, real, planner_effort());
    const double n = static_cast<double>(padded.rows) * static_cast<double>(padded.cols);  // may exceed max_size
    return {n, spill_doublings(n, type), padded.rows > 1 && padded.cols > 1};
}

double transform_seconds(double n, ElementType type, bool two_d) {
    const CostConstants& k = cost_constants(type);
    return n * std::log2(std::max(n, 2.0)) *
           ((two_d ? k.fft_nlogn_2d : k.fft_nlogn) + k.fft_spill * spill_doublings(n, type));
}

namespace {

// Overlap-save's blocks for g: each a forward and an inverse transform plus a call's fixed cost.
double blocks_seconds(const Geometry& g, ElementType type, std::ptrdiff_t block) {
    const std::ptrdiff_t k = std::min(g.a.cols, g.b.cols);
    const double step = static_cast<double>(block - k + 1);
    return std::ceil(static_cast<double>(g.cols.size) / step) *
           (2 * transform_seconds(static_cast<double>(block), type) + cost_constants(type).fft_fixed);
}

}  // namespace

std::ptrdiff_t overlap_save_block(const Geometry& g, ElementType type) {
    if (g.a.rows != 1 || g.b.rows != 1) return 0;
    const std::ptrdiff_t n = std::max(g.a.cols, g.b.cols), k = std::min(g.a.cols, g.b.cols);
    const bool real = type == ElementType::float32 || type == ElementType::float64;
    double best = 2 * transform_seconds(static_cast<double>(fft_shape(g, real, planner_effort()).cols), type);
    std::ptrdiff_t best_block = 0;
    // Powers of two from 4k: a block much shorter wastes most of each transform on the overlap.
    for (std::ptrdiff_t block = 64; block <= (std::ptrdiff_t{1} << 22) && block < n; block *= 2) {
        if (block / 4 < k) continue;  // block < 4k, without 4k's overflow (block is a power of two)
        const double cost = blocks_seconds(g, type, block);
        if (cost < 0.9 * best) best = cost, best_block = block;  // 10% margin against model error
    }
    return best_block;
}

double fft_seconds(const Geometry& g, ElementType type, int transforms) {
    const double fixed = cost_constants(type).fft_fixed;
    // One-shot 1D calls may run overlap-save (fft_core.hpp): its blocks and one kernel transform.
    if (transforms == 3) {
        if (const std::ptrdiff_t block = overlap_save_block(g, type))
            return fixed + blocks_seconds(g, type, block) + transform_seconds(static_cast<double>(block), type);
    }
    const FftWork w = fft_work(g, type);
    return fixed + transforms * transform_seconds(w.n, type, w.two_d);
}

Method cheaper_method(const Geometry& g, ElementType type, int transforms) {
    const double direct = direct_seconds(g, type);
    // Cheaper than an FFT call's fixed cost alone: direct, without sizing a transform (for
    // calls of a microsecond, working out the FFT's size would cost as much as the call).
    if (direct <= cost_constants(type).fft_fixed) return Method::direct;
    return direct <= fft_seconds(g, type, transforms) ? Method::direct : Method::fft;
}

}  // namespace detail

Method choose_method(Shape a, Shape b, Mode mode, ElementType type) {
    return detail::cheaper_method(detail::make_geometry({"choose_method", "a", "b", false}, a, b, mode), type, 3);
}

double fft_error_bound(Shape a, Shape b, Mode mode, ElementType type) {
    const detail::Geometry g = detail::make_geometry({"fft_error_bound", "a", "b", false}, a, b, mode);
    const double n = detail::fft_work(g, type).n;
    const bool single = type == ElementType::float32 || type == ElementType::complex64;
    const double eps = single ? std::numeric_limits<float>::epsilon() : std::numeric_limits<double>::epsilon();
    // 4x what a step edge reached (the worst case measured: half an image at 1e4, half at 1e-4,
    // under a box kernel: 1.0 ε·log2 N); random data stayed under 0.08.
    return 4 * eps * std::log2(std::max(n, 2.0));
}

double estimate_seconds(Shape a, Shape b, Mode mode, ElementType type, Method method) {
    const detail::Geometry g = detail::make_geometry({"estimate_seconds", "a", "b", false}, a, b, mode);
    switch (method) {
        case Method::direct: return detail::direct_seconds(g, type);
        case Method::fft: return detail::fft_seconds(g, type, 3);
        case Method::automatic: break;
    }
    throw Error("estimate_seconds: method must be Method::direct or Method::fft, got " +
                std::string(to_string(method)));
}

}  // namespace fftconv
