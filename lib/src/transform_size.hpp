// How long a transform is: the padded lengths FFTW transforms fastest, and the transform shape
// of a call. Below both the FFT core and the cost model, which each need it.
#pragma once

#include <cstddef>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// The longest length next_fast_length and best_fast_length size (2^60): far past any transform
// that fits in memory, and low enough that their searches never overflow.
inline constexpr std::ptrdiff_t max_fast_length = std::ptrdiff_t{1} << 60;

// Smallest 2^a·3^b·5^c·7^d >= n. FFTW has hard-coded codelets for these radices, so such a size
// transforms at close to power-of-two speed while padding far less than the next power of two
// (2100 instead of 4096).  @throws InvalidArgument  n > max_fast_length (as best_fast_length).
std::ptrdiff_t next_fast_length(std::ptrdiff_t n);

// The smallest even fast length >= n (1 for n <= 1).
std::ptrdiff_t next_fast_even_length(std::ptrdiff_t n);

// FFTW's relative cost per n·log2(n) for a transform of length n planned with `effort`, by the
// power of two in n: its radix-2^k codelets are what FFTW_MEASURE plans are fastest with. Measured
// here on the column pass of 2D transforms (the strided one, ~5x the cost of the row pass per
// element), float, lengths 500-4800: with FFTW_MEASURE an odd length ran ~2x and one with 2^1 or
// 2^2 ~1.6x slower than one with 2^3 or more (2187 = 3^7: 1.21 ns per n·log2 n; 2240 = 2^6·35:
// 0.57); with FFTW_ESTIMATE the spread is smaller (1.2x, 1.1x).
double length_weight(std::ptrdiff_t n, PlannerEffort effort);

// The fast length >= n that FFTW transforms fastest by length_weight: the smallest 7-smooth
// length is not always it (2187 against 2240). Candidates run up to the next power of two; `even`
// keeps to even lengths (the last axis of a real transform).
// @throws InvalidArgument  "fft: a transform of N points is longer than ..." for n > max_fast_length.
std::ptrdiff_t best_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort);

// The transform shape for a geometry whose axes are all convolved (convolved_part): per axis
// the fastest length (best_fast_length) that holds both operands and lets nothing wrap into the
// kept window (wrap_free_length); for a real transform (`real`) the last axis's length is even.
Extents fft_shape(const Geometry& g, bool real, PlannerEffort effort);

// FFTW's int sizes of a transform shape.  @throws InvalidArgument  a size beyond FFTW's int.
std::vector<int> fft_dims(const Extents& padded);

}  // namespace fftconv::detail
