// Shapes shared by both cores: which window of the full result a mode keeps, and input checks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <utility>
#include <vector>

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
// @throws Error  negative or empty sizes, Mode::valid with neither input inside the other, or
//                sizes past max_size: an input's elements, the full result's n + k - 1 per
//                dimension, or its elements (so every size the call computes from them fits).
Geometry make_geometry(const Names& names, Shape a, Shape b, Mode mode);

// Checks that a caller's non-empty view has data before it is read (sizes are make_geometry's).
// @throws Error  naming `arg`.
void check_view(const Names& names, const char* arg, const void* data, Shape shape);

// The check every image operation (filters, spectra, matching) makes of each image argument:
// not empty, data present.  @throws Error  "FN: argument 'ARG' is empty (RxC)" / "... has no data".
void check_image(const char* fn, const char* arg, const void* data, Shape shape);

// "length 5" or "5x3", as the call speaks.
std::string describe(const Names& names, Shape shape);

// ---- Sizes that cannot wrap. Every size computed from a caller's shapes (n + k - 1, a padded
// length, rows·cols, bytes) is checked before it is used: one that does not fit is an Error
// naming it, and memory that a request would need beyond memory_limit() is an Error before
// anything is allocated.

// The largest size in one dimension or in elements.
inline constexpr std::ptrdiff_t max_size = PTRDIFF_MAX;

// A caller's std::size_t length as a size.  @throws Error  naming FN and ARG, past max_size.
std::ptrdiff_t length_size(const char* fn, const char* arg, std::size_t n);

// Whether rows·cols (both >= 0) is at most max_size.
bool elements_fit(Shape shape);

// `image` with `top` + `bottom` rows and `left` + `right` columns added (all >= 0): the shape a
// filter pads to.  @throws Error  "FN: 'image' (RxC) padded by T + B rows and L + R columns would
// be R'xC', more than the largest size (...)" when a sum or the elements overflow.
Shape padded_shape(const char* fn, Shape image, std::ptrdiff_t top, std::ptrdiff_t bottom, std::ptrdiff_t left,
                   std::ptrdiff_t right);

// A byte count that keeps track of overflow: `exact` while it fits std::size_t, `approx` (for
// messages) always.
struct Bytes {
    std::size_t exact = 0;
    double approx = 0;
    bool overflow = false;

    // rows·cols elements of `element_size` bytes (rows, cols >= 0).
    static Bytes of(Shape shape, std::size_t element_size);
    Bytes operator+(const Bytes& other) const;
    Bytes operator*(std::size_t count) const;
};

// Whether memory_limit() is the machine's own (no set_memory_limit). Defined in settings.cpp.
bool memory_limit_is_machine();

// "80.0 GB": decimal units, one decimal ("512 bytes" below 1 kB).
std::string format_bytes(double bytes);

// Whether `need` did not overflow and is at most memory_limit() (settings.hpp).
bool fits_memory(Bytes need);

// The check before every large allocation. @throws Error  "SUBJECT would need 80.0 GB, more than
// this machine's memory (25.2 GB)" when `need` is more than memory_limit() (settings.hpp), or
// "..., which overflows a 64-bit size" when it overflowed.
void check_memory(const std::string& subject, Bytes need);

// "FN: could not allocate WHAT (80.0 GB): out of memory": for std::bad_alloc and fftw_malloc's null.
[[noreturn]] void allocation_failed(const std::string& fn, const std::string& what, Bytes need);

// A 1D call's output of n values: checked against memory_limit() first, and an allocation that
// fails all the same is an Error naming the bytes, not std::bad_alloc.
template <class T>
std::vector<T> output_vector(const char* fn, std::ptrdiff_t n) {
    const Bytes need = Bytes::of({1, n}, sizeof(T));
    const auto what = [&] {
        return "the output (" + std::to_string(n) + " values of " + std::to_string(sizeof(T)) + " bytes)";
    };
    if (!fits_memory(need)) check_memory(std::string(fn) + ": " + what(), need);
    try {
        return std::vector<T>(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
        allocation_failed(fn, what(), need);
    }
}

// The check of an operation's result of `shape` (>= 1x1) before anything is allocated for it.
// @throws Error  "FN: the result (RxC float64) would need 80.0 GB, more than ...".
void check_result_memory(const char* fn, Shape shape, ElementType type);

// "100000x100000 float64" or, for a 1D call, "10000000000 float64 values".
std::string describe_elements(const Names& names, Shape shape, ElementType type);

// Bytes of one element of `type`.
std::size_t element_size(ElementType type);

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
