// The cost model behind Method::automatic: predicted seconds for each core on one core.
#pragma once

#include "fftconv/settings.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// Per element type, seconds per unit of work, measured by tests/bench/calibrate.cpp.
struct CostConstants {
    double mac;           // one multiply-add of the direct core's inner loop
    double call;          // one pass of that loop (one kernel tap over one block of output)
    double fft_fixed;     // an FFT call's fixed cost: plan lookup, buffers
    double fft_nlogn;     // one 1D transform, per N·log2(N), N the padded size in elements, data in L2
    double fft_nlogn_2d;  // the same for a 2D transform (rows, then column blocks: more passes over memory)
    double fft_spill;     // added per N·log2(N) for each doubling of the data beyond L2
};

// The per-core cache the FFT's data must fit in to run at full speed (L2 on the machine measured).
inline constexpr double fft_cache_bytes = 2.0 * 1024 * 1024;

// The FFT core's work: the padded size N, the doublings of its data beyond fft_cache_bytes, and
// whether the transform is 2D.
struct FftWork {
    double n;
    double spill;
    bool two_d;
};
FftWork fft_work(const Geometry& g, ElementType type);
const CostConstants& cost_constants(ElementType type);

// What the direct core does for a call: multiply-adds, and passes of its inner loop.
struct DirectWork {
    double macs;
    double calls;
};
DirectWork direct_work(const Geometry& g);

double direct_seconds(const Geometry& g, ElementType type);
// One transform of n elements: n·log2(n) at fft_nlogn (fft_nlogn_2d when `two_d`), plus
// fft_spill per doubling beyond the cache.
double transform_seconds(double n, ElementType type, bool two_d = false);
// The block length overlap-save should use for g (a 1xN by 1xK call): the power of two, at least
// 4k, whose blocks cost least, when that beats one transform over the whole input by 10%; else 0.
std::ptrdiff_t overlap_save_block(const Geometry& g, ElementType type);
// `transforms`: 3 for a one-shot call (input, kernel, inverse), 2 when the kernel spectrum is kept.
double fft_seconds(const Geometry& g, ElementType type, int transforms);
Method cheaper_method(const Geometry& g, ElementType type, int transforms);

}  // namespace fftconv::detail
