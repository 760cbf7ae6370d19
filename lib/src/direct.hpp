// The direct core: the sliding-window sum, computed only for the window a mode keeps.
#pragma once

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// out(r, c) = full(rows.offset + r, cols.offset + c), full = x convolved with h. Any strides in;
// `out` must not overlap x or h. Sums run in T, in a fixed order, so small integer-valued inputs
// give exact results.
template <Scalar T>
void direct_convolve(ImageView<const T> x, ImageView<const T> h, Window rows, Window cols, ImageView<T> out);

// Output columns accumulated at once: a block of this many T stays in L1 while every kernel tap
// adds into it.
inline constexpr std::ptrdiff_t direct_block = 512;

}  // namespace fftconv::detail
