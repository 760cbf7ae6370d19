// What a convolution call's shapes decide, at any rank: which axes are convolved and which are
// broadcast, the full result along each convolved axis and the window of it a mode keeps, and
// the checks every entry makes of its operands before any work.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "fftconv/types.hpp"
#include "memory.hpp"

namespace fftconv::detail {

// A window [offset, offset + size) of the full result along one axis.
struct Window {
    std::ptrdiff_t offset = 0;
    std::ptrdiff_t size = 0;
};

// How messages name the call and its two operands, e.g. {"correlate", "a", "b", true}.
struct Names {
    const char* fn;
    const char* a;
    const char* b;
    bool one_d;  // speak of lengths ("length 5") instead of shapes ("1x5")
};

// Everything about a call that depends on shapes only. Both operands have one rank. Along a
// convolved axis the full result has a + b - 1 elements and the mode keeps `window` of them;
// along a broadcast axis the operands are equal or one of them is 1, and the result takes the
// larger (window {0, that}).
struct Geometry {
    Extents a, b;
    Extents full;
    Extents out;
    std::array<Window, max_rank> window{};
    std::array<bool, max_rank> convolved{};

    int rank() const { return a.rank(); }
    int convolved_count() const {
        int n = 0;
        for (int i = 0; i < rank(); ++i) n += convolved[static_cast<std::size_t>(i)];
        return n;
    }
    bool all_convolved() const { return convolved_count() == rank(); }
    const Window& win(int axis) const { return window[static_cast<std::size_t>(axis)]; }
    bool conv(int axis) const { return convolved[static_cast<std::size_t>(axis)]; }
};

// The one validation point: every public entry calls this before any work. `axes` are resolved
// against the operands' rank (negative from the end; each at most once).
// @throws InvalidArgument  operands of different ranks or of rank 0, negative or empty sizes, axes
//                out of range or repeated, broadcast axes that differ and are not 1, Mode::valid
//                with neither input inside the other, or sizes past max_size: an input's
//                elements, the full result's n + k - 1 per axis, or its elements.
Geometry make_geometry(const Names& names, const Extents& a, const Extents& b, Mode mode, const Axes& axes = {});

// The geometry of one convolution along every axis of `a` and `b`, keeping `window` (checked by
// the caller): what the FFT core and the tiles compute on.
Geometry window_geometry(const Extents& a, const Extents& b, const std::array<Window, max_rank>& window);

// The convolved axes of g alone (rank g.convolved_count()), in order.
Geometry convolved_part(const Geometry& g);

// Checks that a caller's non-empty view has data before it is read (sizes are make_geometry's).
// @throws InvalidArgument  naming `arg`.
void check_view(const Names& names, const char* arg, const void* data, const Extents& shape);

// The check every image or array operation (filters, spectra, matching) makes of each argument:
// not empty, elements that fit, data present.
// @throws InvalidArgument  "FN: argument 'ARG' is empty (RxC)" / "... has no data".
void check_array(const char* fn, const char* arg, const void* data, const Extents& shape);

// check_array for a 2D image argument (the 2D operations' messages: "FN: argument 'image' is empty (0x0)").
inline void check_image(const char* fn, const char* arg, const void* data, Shape shape) {
    check_array(fn, arg, data, Extents(shape));
}

// `image` with `top` + `bottom` rows and `left` + `right` columns added (all >= 0): the shape a
// 2D filter pads to.  @throws InvalidArgument  "FN: 'image' (RxC) padded by T + B rows and L + R
// columns would be R'xC', more than the largest size (...)" when a sum or the elements overflow.
Shape padded_shape(const char* fn, Shape image, std::ptrdiff_t top, std::ptrdiff_t bottom, std::ptrdiff_t left,
                   std::ptrdiff_t right);

// "length 5" or "5x3", as the call speaks.
std::string describe(const Names& names, const Extents& shape);

// A caller's std::size_t length as a size.  @throws InvalidArgument  naming FN and ARG, past max_size.
std::ptrdiff_t length_size(const char* fn, const char* arg, std::size_t n);

// Whether the product of the extents (all >= 0) is at most max_size.
bool elements_fit(const Extents& shape);

// `shape` with before[i] + after[i] added along each axis (all >= 0): the shape a filter pads to.
// @throws InvalidArgument  "FN: 'image' (RxC) padded by ... would be ..., more than the largest size".
Extents padded_extents(const char* fn, const Extents& shape, const Extents& before, const Extents& after);

// The check of an operation's result of `shape` before anything is allocated for it.
// @throws OutOfMemory  "FN: the result (RxC float64) would need 80.0 GB, more than ...".
void check_result_memory(const char* fn, const Extents& shape, ElementType type, const MemoryBudget& memory);

// "100000x100000 float64" or, for a 1D call, "10000000000 float64 values".
std::string describe_elements(const Names& names, const Extents& shape, ElementType type);

// A 1D call's output of n values: checked against the memory budget first, and an allocation that
// fails all the same is an OutOfMemory naming the bytes, not std::bad_alloc.
template <class T>
std::vector<T> output_vector(const char* fn, std::ptrdiff_t n, const MemoryBudget& memory) {
    const Bytes need = Bytes::of({n}, sizeof(T));
    const auto what = [&] {
        return "the output (" + std::to_string(n) + " values of " + std::to_string(sizeof(T)) + " bytes)";
    };
    if (!memory.fits(need)) memory.check(std::string(fn) + ": " + what(), need);
    try {
        return std::vector<T>(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
        allocation_failed(fn, what(), need);
    }
}

// The shortest cyclic convolution length along one axis whose result, read at the window,
// equals the linear one: wrapped terms must land outside the window. For Mode::full that is the
// full length; for same and valid it is shorter (valid needs only the larger input's length).
std::ptrdiff_t wrap_free_length(std::ptrdiff_t full, Window w);

// Multiply-adds the direct sum performs for the window along one axis: Σ over the window of the
// number of (input, kernel) index pairs overlapping at each output index. The N-D count is the
// product over the convolved axes.
double overlap_count(std::ptrdiff_t n, std::ptrdiff_t k, Window w);

// The lowest and one past the highest element address a non-empty view touches, whatever the
// strides' signs.
template <class T>
std::pair<const char*, const char*> address_range(const View<T>& v) {
    const auto* first = reinterpret_cast<const char*>(v.data);
    std::ptrdiff_t lo = 0, hi = 0;
    for (int a = 0; a < v.rank(); ++a) {
        lo += std::min<std::ptrdiff_t>(0, (v.shape[a] - 1) * v.strides[a]);
        hi += std::max<std::ptrdiff_t>(0, (v.shape[a] - 1) * v.strides[a]);
    }
    const auto size = static_cast<std::ptrdiff_t>(sizeof(T));
    return {first + lo * size, first + (hi + 1) * size};
}

// Whether two non-empty views may touch the same memory: their address ranges intersect.
template <class A, class B>
bool views_overlap(const View<A>& a, const View<B>& b) {
    const auto [a_lo, a_hi] = address_range(a);
    const auto [b_lo, b_hi] = address_range(b);
    return a_lo < b_hi && b_lo < a_hi;
}
template <class A, class B>
bool views_overlap(ImageView<A> a, ImageView<B> b) {
    return views_overlap(View<A>(a), View<B>(b));
}

}  // namespace fftconv::detail
