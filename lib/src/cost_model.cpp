#include "cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "direct.hpp"
#include "fft_core.hpp"
#include "tiles.hpp"
#include "transform_size.hpp"

namespace fftconv::detail {

double fresh_byte_seconds() {
    return active_cost_model().fresh_byte;
}

DirectWork direct_work(const Geometry& core) {
    // The core slides the larger operand under the smaller: one inner-loop pass per overlapping
    // (output line, kernel line) pair, per tap of the last axis, per block of output columns.
    const int last = core.rank() - 1;
    double pairs = 1;
    for (int a = 0; a < last; ++a) pairs *= overlap_count(core.a[a], core.b[a], core.win(a));
    const double tap_cols = static_cast<double>(core.a.size() >= core.b.size() ? core.b[last] : core.a[last]);
    const double blocks = std::ceil(static_cast<double>(core.win(last).size) / static_cast<double>(direct_block));
    return {pairs * overlap_count(core.a[last], core.b[last], core.win(last)), pairs * blocks * tap_cols};
}

double direct_seconds(const Geometry& core, ElementType type) {
    const CostConstants& k = cost_constants(type);
    const DirectWork w = direct_work(core);
    return k.direct_fixed + k.mac * w.macs + k.call * w.calls;
}

// What a tile of a 2D core costs beyond its two transforms, per element of its padded block:
// loading the block with its halo, the product with the kernel's spectrum, the gathers and
// scatters of the axis passes, which a transform of the whole amortises over far more work per
// element. Measured on the machine of cost_constants (2026-11-30): one-shot 2D FFT calls of 512²
// to 4096² with kernels of 5² to 31², in the tiles the model chose, against its transforms'
// estimate: 3.4–9 ns per element in float32, 5.4–14 in float64, 5.7–7.7 in complex64, 16.6–17.6
// in complex128, of which the built-in fft_tile holds the typical values (cost_constants.cpp;
// calibrate() fits it to this machine). Without it the model put 2D tiles at a
// quarter to a half of their time, and Method::automatic took the FFT where the direct sum was
// 1.3–2.5x faster. It is added to the FFT's estimate only, not to the choice between tiles and
// one transform: the tiles were faster than one transform in every case measured (by 1.1–2.2x),
// and the transform's own estimate is low by a similar factor at these sizes. Rank-1 tiles
// measured within 1.25x of the transforms' estimate and pay nothing here; 3D tiles are not
// measured yet.
double tile_element_seconds(ElementType type) {
    return cost_constants(type).fft_tile;
}

namespace {

// Past L2 each butterfly pass streams from further out; the slowdown grows with the number of
// times the data outgrows the cache (measured: ~2x at 8x L2 for complex128).
double spill_doublings(double n, ElementType type) {
    const double element = type == ElementType::float32 ? 4 : type == ElementType::complex128 ? 16 : 8;
    return std::max(0.0, std::log2(n * element / fft_cache_bytes));
}

// The padded size of core's transform, and whether it has more than one axis.
double padded_size(const Geometry& g, ElementType type, PlannerEffort effort) {
    const bool real = type == ElementType::float32 || type == ElementType::float64;
    double n = 1;
    for (std::ptrdiff_t p : fft_shape(g, real, effort)) n *= static_cast<double>(p);  // may exceed max_size
    return n;
}

// Tiles of `tile`: each a forward and an inverse transform plus a call's fixed cost; with
// `handling`, in 2D, what tile_element_seconds adds.
double tiles_seconds(const Geometry& core, ElementType type, PlannerEffort effort, const Extents& tile,
                     bool handling = false) {
    const Geometry t = tile_geometry(core, tile);
    const double block = padded_size(t, type, effort);
    const double extra = handling && core.rank() == 2 ? tile_element_seconds(type) * block : 0;
    return tile_count(core, tile) *
           (2 * transform_seconds(block, type, core.rank() > 1) + cost_constants(type).fft_fixed + extra);
}

}  // namespace

FftWork fft_work(const Geometry& core, ElementType type, PlannerEffort effort) {
    const double n = padded_size(core, type, effort);
    return {n, spill_doublings(n, type), core.rank() > 1};
}

double transform_seconds(double n, ElementType type, bool multi_axis) {
    const CostConstants& k = cost_constants(type);
    return n * std::log2(std::max(n, 2.0)) *
           ((multi_axis ? k.fft_nlogn_2d : k.fft_nlogn) + k.fft_spill * spill_doublings(n, type));
}

double fft_seconds(const Geometry& core, ElementType type, int transforms, PlannerEffort effort, const Extents& tile) {
    const double fixed = cost_constants(type).fft_fixed;
    if (tile.rank() > 0) {
        // The tiles, and (one-shot) the kernel's transform at the tile's size.
        const double kernel = transforms == 3 ? transform_seconds(padded_size(tile_geometry(core, tile), type, effort),
                                                                  type, core.rank() > 1)
                                              : 0;
        return fixed + tiles_seconds(core, type, effort, tile, true) + kernel;
    }
    return fixed + transforms * transform_seconds(padded_size(core, type, effort), type, core.rank() > 1);
}

double fft_floor_seconds(const Geometry& core, ElementType type) {
    const CostConstants& k = cost_constants(type);
    double outputs = 1, block = 1;
    for (int a = 0; a < core.rank(); ++a) {
        outputs *= static_cast<double>(core.out[a]);
        block *= static_cast<double>(std::min(2 * core.b[a], core.out[a]));
    }
    const double rate = core.rank() > 1 ? k.fft_nlogn_2d : k.fft_nlogn;
    return k.fft_fixed + 2 * outputs * std::log2(std::max(block, 2.0)) * rate;
}

FftRun choose_fft_run(const Geometry& core, ElementType type, int transforms, PlannerEffort effort,
                      const std::optional<MemoryFit>& fit, bool fresh, std::size_t kernels) {
    const bool must_fit = fit.has_value();
    // Per axis, the tile sizes worth trying: outputs of powers-of-two transforms from four times
    // the kernel (a block much shorter wastes most of each transform on the overlap; twice, and
    // from 8, when the tiles are for memory), where the kernel is no longer than the input; the
    // whole window is always a choice.
    const int rank = core.rank();
    std::vector<std::vector<std::ptrdiff_t>> choices(static_cast<std::size_t>(rank));
    const bool real = type == ElementType::float32 || type == ElementType::float64;
    const Extents padded = fft_shape(core, real, effort);
    bool any = false;
    for (int a = 0; a < rank; ++a) {
        auto& c = choices[static_cast<std::size_t>(a)];
        c.push_back(core.out[a]);
        const std::ptrdiff_t k = core.b[a];
        if (k > core.a[a]) continue;
        // Tiles for memory may be smaller: from twice the kernel.
        for (std::ptrdiff_t block = must_fit ? 8 : 64; block <= (std::ptrdiff_t{1} << 22) && block < padded[a];
             block *= 2) {
            if (block / (must_fit ? 2 : 4) < k)
                continue;  // block < 4k (2k), without overflow (block is a power of two)
            const std::ptrdiff_t tile = block - k + 1;
            if (tile < core.out[a]) {
                c.push_back(tile);
                any = true;
            }
        }
    }
    const auto fits = [&](const Extents& tile) {
        return fit->memory.fits(
            fit->reserved + fft_core_bytes(tile.rank() ? tile_geometry(core, tile) : core, type, effort, fit->kernels));
    };
    // One transform of everything, against tiles (their blocks' cost with a 10% margin against
    // the model's error: overlap-save pays fixed costs per tile that the fit sees less of).
    const double whole = padded_size(core, type, effort);
    // The first touch of a run's buffers, when the call allocates them and one transform's would
    // pass fresh_bytes_counted (smaller blocks come back warm from the heap; sizing each candidate's
    // buffers would cost more than the choice is worth).
    const bool counted = fresh && any && whole * static_cast<double>(element_size(type)) * 2 > fresh_bytes_counted;
    const auto touch = [&](const Extents& tile) {
        if (!counted) return 0.0;
        try {
            return fresh_byte_seconds() *
                   fft_core_bytes(tile.rank() ? tile_geometry(core, tile) : core, type, effort, kernels).approx;
        } catch (const Error&) {  // a transform past FFTW's int sizes: not a run at all
            return std::numeric_limits<double>::infinity();
        }
    };
    FftRun best{{}, 2 * transform_seconds(whole, type, rank > 1) + touch({})};
    const bool whole_fits = !must_fit || fits({});
    if (!whole_fits) best.seconds = std::numeric_limits<double>::infinity();
    if (any) {
        std::vector<std::size_t> pick(static_cast<std::size_t>(rank), 0);
        for (;;) {
            Extents tile = core.out;
            bool tiled = false;
            for (int a = 0; a < rank; ++a) {
                tile[a] = choices[static_cast<std::size_t>(a)][pick[static_cast<std::size_t>(a)]];
                tiled = tiled || tile[a] < core.out[a];
            }
            if (tiled) {
                const double cost = tiles_seconds(core, type, effort, tile) + touch(tile);
                if (cost < 0.9 * best.seconds && (!must_fit || fits(tile))) best = {tile, cost};
            }
            int a = rank - 1;
            while (a >= 0 && ++pick[static_cast<std::size_t>(a)] == choices[static_cast<std::size_t>(a)].size())
                pick[static_cast<std::size_t>(a--)] = 0;
            if (a < 0) break;
        }
    }
    best.seconds = fft_seconds(core, type, transforms, effort, best.tile);
    return best;
}

}  // namespace fftconv::detail
