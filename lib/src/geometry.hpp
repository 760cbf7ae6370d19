// Shapes shared by both cores: which window of the full result a mode keeps, and input checks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// A window [offset, offset + size) of the full result along one dimension.
struct Window {
    std::ptrdiff_t offset = 0;
    std::ptrdiff_t size = 0;
};

// Everything about a call that depends on shapes only. Rows and columns are independent: the
// full result is (a.rows + b.rows - 1) x (a.cols + b.cols - 1) and the mode keeps one window of it.
struct Geometry {
    Shape a;
    Shape b;
    Shape full;
    Window rows;
    Window cols;
    Shape out() const { return {rows.size, cols.size}; }
};

// How messages name the call and its two operands, e.g. {"correlate", "a", "b", true}.
struct Names {
    const char* fn;
    const char* a;
    const char* b;
    bool one_d;  // speak of lengths ("length 5") instead of shapes ("1x5")
};

// The one validation point: every public entry calls this before any work.
// @throws Error  negative or empty sizes, or Mode::valid with neither input inside the other.
Geometry make_geometry(const Names& names, Shape a, Shape b, Mode mode);

// Checks that a caller's non-empty view has data before it is read (sizes are make_geometry's).
// @throws Error  naming `arg`.
void check_view(const Names& names, const char* arg, const void* data, Shape shape);

// The check every image operation (filters, spectra, matching) makes of each image argument:
// not empty, data present.  @throws Error  "FN: argument 'ARG' is empty (RxC)" / "... has no data".
void check_image(const char* fn, const char* arg, const void* data, Shape shape);

// "length 5" or "5x3", as the call speaks.
std::string describe(const Names& names, Shape shape);

// The shortest cyclic convolution length along one dimension whose result, read at the window,
// equals the linear one: wrapped terms must land outside the window. For Mode::full that is the
// full length; for same and valid it is shorter (valid needs only the larger input's length).
std::ptrdiff_t wrap_free_length(std::ptrdiff_t full, Window w);

// Multiply-adds the direct sum performs for the window along one dimension: Σ over the window of
// the number of (input, kernel) index pairs overlapping at each output index. The 2D count is the
// product of the row and column counts.
double overlap_count(std::ptrdiff_t n, std::ptrdiff_t k, Window w);

// Whether two non-empty views may touch the same memory: their address ranges (lowest to highest
// element, whatever the strides' signs) intersect.
template <class A, class B>
bool views_overlap(ImageView<A> a, ImageView<B> b) {
    const auto range = [](const auto& v) {
        const auto* first = reinterpret_cast<const char*>(v.data);
        const std::ptrdiff_t lo = std::min<std::ptrdiff_t>(0, (v.rows - 1) * v.row_stride) +
                                  std::min<std::ptrdiff_t>(0, (v.cols - 1) * v.col_stride);
        const std::ptrdiff_t hi = std::max<std::ptrdiff_t>(0, (v.rows - 1) * v.row_stride) +
                                  std::max<std::ptrdiff_t>(0, (v.cols - 1) * v.col_stride);
        const auto size = static_cast<std::ptrdiff_t>(sizeof(*v.data));
        return std::pair{first + lo * size, first + (hi + 1) * size};
    };
    const auto [a_lo, a_hi] = range(a);
    const auto [b_lo, b_hi] = range(b);
    return a_lo < b_hi && b_lo < a_hi;
}

}  // namespace fftconv::detail
