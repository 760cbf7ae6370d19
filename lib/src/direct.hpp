// The direct core: the sliding-window sum at any rank, computed only for the window a mode keeps.
#pragma once

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// out = the window of x ⊛ h for a core geometry g (every axis convolved; g.a and g.b are x's and
// h's extents): out(i) = full(window.offset + i) along each axis; out's extents are the window's
// or fewer (its first values), any strides, not overlapping x or h. Sums run in T in a fixed order
// (kernel planes, then rows, then columns), so small integer-valued inputs give exact results and
// any thread count gives the same bits. Output rows are split across `threads` threads. With
// `skip_zero_taps` a kernel value of 0 adds nothing (the filters' rule, OpenCV's and
// scipy.ndimage's: a NaN or Inf reaches only the outputs a nonzero tap carries it to), else
// 0 · NaN = NaN as in scipy.signal.
template <Scalar T>
void direct_convolve(const Geometry& g, View<const T> x, View<const T> h, const View<T>& out, int threads = 1,
                     bool skip_zero_taps = false);

// Output columns accumulated at once: a block of this many T stays in L1 while every kernel
// tap adds into it.
inline constexpr std::ptrdiff_t direct_block = 512;

}  // namespace fftconv::detail
