// Separable filtering: a rank-1 kernel ky·kxᵀ applied as a pass down the columns and a pass along
// the rows, with the border read in place (no padded copy of the image).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "fftconv/array.hpp"
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

// The same at any rank: kernel == k0 ⊗ k1 ⊗ ... (one factor per axis) within `tolerance`·‖kernel‖,
// and with its product 0 exactly where the kernel is 0 (the separable passes drop zero taps, so
// NaN and Inf then reach the same outputs as through the whole kernel), or nothing. The factors
// come from the largest element p: along axis 0 the kernel's line through it, along every other
// axis that line divided by p (integer kernels keep integer or power-of-two-scaled factors).
template <Real T>
std::optional<std::vector<std::vector<T>>> separable_factors(const View<const T>& kernel, double tolerance);

// Correlation with a separable kernel, any rank: out(i) = Σ_j Π_a factors[a][j_a] · ext(i + j −
// before), ext the image extended by `border` (constant: cval), as scipy.ndimage.correlate gives
// for the whole kernel. One pass per axis, each reading the previous pass's result with the
// border in place (a constant border's value carries the earlier factors' sums along), its
// zero taps dropped; lines are split across `threads` threads, each computed the same way
// whatever the split. `out` has the image's shape and does not overlap it.
template <Real T>
void separable_filter(const View<const T>& image, const std::vector<std::vector<T>>& factors, const Extents& before,
                      Border border, T cval, const View<T>& out, int threads);

}  // namespace fftconv::detail
