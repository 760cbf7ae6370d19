// The cost model behind Method::automatic: predicted seconds for each core on one core, for a
// core geometry (every axis convolved) and a number of batch slices.
#pragma once

#include <optional>

#include "cost_constants.hpp"
#include "fftconv/array.hpp"
#include "fftconv/settings.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"
#include "memory.hpp"

namespace fftconv::detail {

// Seconds per byte of memory a call touches for the first time: the kernel maps a zeroed page on
// its first write (a minor page fault). Buffers a one-shot call allocates are fresh in a new
// process, and from glibc's mmap (blocks past its threshold, 32 MiB at most) on every call.
// The model in force's fresh_byte (cost_constants.cpp gives the built-in value's measurements).
double fresh_byte_seconds();

// The size of one transform's buffers from which choose_fft_run counts their first touch.
inline constexpr double fresh_bytes_counted = 4.0 * 1024 * 1024;

// The per-core cache the FFT's data must fit in to run at full speed (L2 on the machine measured).
inline constexpr double fft_cache_bytes = 2.0 * 1024 * 1024;

// What the direct core does for one slice of a core geometry: multiply-adds, and passes of its
// inner loop.
struct DirectWork {
    double macs;
    double calls;
};
DirectWork direct_work(const Geometry& core);
double direct_seconds(const Geometry& core, ElementType type);

// What a tile of a 2D core costs beyond its transforms, per element of its padded block (loading
// with the halo, the product, the gathers and scatters); see cost_model.cpp for its measurement.
double tile_element_seconds(ElementType type);

// The FFT core's work for one slice of `core` in one transform: the padded size N, the
// doublings of its data beyond fft_cache_bytes, and whether the transform has several axes.
struct FftWork {
    double n;
    double spill;
    bool multi_axis;
};
FftWork fft_work(const Geometry& core, ElementType type, PlannerEffort effort);

// One transform of n elements: n·log2(n) at fft_nlogn (fft_nlogn_2d for `multi_axis`), plus
// fft_spill per doubling beyond the cache.
double transform_seconds(double n, ElementType type, bool multi_axis = false);

// How the FFT path runs a core geometry: in one transform (tile of rank 0), or in tiles of
// `tile` outputs per axis (overlap-save), each one transform of the tile plus the kernel's halo.
struct FftRun {
    Extents tile;
    double seconds = 0;  // for one slice, counting `transforms` transforms per transform size
};

// The FFT path's seconds for one slice of `core`: `transforms` is 3 for a one-shot call (input,
// kernel, inverse), 2 when the kernel spectrum is kept (Convolver). With `tile` of rank 0, one
// transform of the padded shape; else tiles (the kernel transformed once).
double fft_seconds(const Geometry& core, ElementType type, int transforms, PlannerEffort effort,
                   const Extents& tile = {});

// A floor under fft_seconds for one slice of `core`, whatever the tiles or the padding: every
// output sits in some transform of at least min(2k, n) points along each axis (a tile's block is
// at least twice the kernel, a whole transform at least the output), and a transform costs at
// least N·log2(N) at its rate; plus one fixed cost. Costs no transform sizing, so a call whose
// direct sum costs less needs none.
double fft_floor_seconds(const Geometry& core, ElementType type);

// What must fit the memory budget beside the FFT's buffers, and how many kernel spectra they hold.
struct MemoryFit {
    Bytes reserved;           // e.g. the output of a one-shot call
    std::size_t kernels = 1;  // per-item kernels keep one spectrum each
    MemoryBudget memory;      // the limit
};

// The cheapest way for the FFT path: one transform, or tiles of powers of two of at least four
// times the kernel along axes where the output is much longer than the kernel, when they are
// cheaper by 10% (a margin against the model's error). With `fresh`, the buffers are the call's
// own (a one-shot call) and their first touch, fresh_byte_seconds per byte with `kernels`
// spectra, counts in the comparison: tiles need buffers of the tile's size only. With `fit`,
// the cheapest one whose buffers (with fit->kernels spectra) and fit->reserved together fit
// fit->memory; tiles may then be as small as twice the kernel.
FftRun choose_fft_run(const Geometry& core, ElementType type, int transforms, PlannerEffort effort,
                      const std::optional<MemoryFit>& fit = std::nullopt, bool fresh = false, std::size_t kernels = 1);

}  // namespace fftconv::detail
