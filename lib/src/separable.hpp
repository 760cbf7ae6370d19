// Separable filtering: a rank-1 kernel ky·kxᵀ applied as a pass down the columns and a pass along
// the rows, with the border read in place (no padded copy of the image).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// Correlation with an offset origin:
//     out(r, c) = Σ_i Σ_j ky[i] · kx[j] · image(r + row0 + i, c + col0 + j)
// with pixels outside the image taken from `border` (filters: row0 = -anchor row, col0 = -anchor
// column; a full convolution: Border::constant and the reversed kernels). Each output row is one
// pass down the columns into a row buffer in L1, then one along it; both are kernels<T>().weighted_sum
// with zero taps dropped. Rows are split across `threads` threads; every output value is the same
// sum in the same order whatever the split.
template <Real T>
void separable_correlate(ImageView<const T> image, std::span<const T> kx, std::span<const T> ky, std::ptrdiff_t row0,
                         std::ptrdiff_t col0, Border border, ImageView<T> out, int threads = 1);

// kernel == ky · kxᵀ within `tolerance`·‖kernel‖ (Frobenius), or nothing. The factors come from
// the largest element (pivot p at (ip, jp)): ky = column jp, kx = row ip / p. For a rank-1 kernel
// that is exact — the same factors an SVD would give, up to scale — and integer kernels such as
// Sobel's split into integer (or power-of-two-scaled) factors, keeping their results exact.
template <Real T>
struct Factors {
    std::vector<T> kx, ky;
};
template <Real T>
std::optional<Factors<T>> rank_one(ImageView<const T> kernel, double tolerance);

}  // namespace fftconv::detail
