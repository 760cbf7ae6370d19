#include "geometry.hpp"

#include <algorithm>
#include <cstdio>
#include <new>

#include "fftconv/settings.hpp"

namespace fftconv::detail {

namespace {

const std::string max_size_text = std::to_string(max_size);

// Sizes past max_size, for messages: sums and products of sizes computed exactly.
__extension__ using u128 = unsigned __int128;

std::string decimal(u128 n) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(n % 10)));
        n /= 10;
    } while (n != 0);
    return digits;
}

// The product of the extents, exact while it fits 128 bits (more than any message needs).
std::string product_text(const Extents& e) {
    u128 p = 1;
    for (std::ptrdiff_t n : e) p *= static_cast<u128>(n);
    return decimal(p);
}

std::string sum_text(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t c = 0) {
    return decimal(static_cast<u128>(a) + static_cast<u128>(b) + static_cast<u128>(c));
}

[[noreturn]] void fail(const Names& names, const std::string& what) {
    throw InvalidArgument(std::string(names.fn) + ": " + what);
}

// Resolves `axes` against `rank`: which axes are convolved.
std::array<bool, max_rank> resolve_axes(const Names& names, const Axes& axes, int rank) {
    std::array<bool, max_rank> convolved{};
    if (axes.is_all()) {
        for (int i = 0; i < rank; ++i) convolved[static_cast<std::size_t>(i)] = true;
        return convolved;
    }
    if (axes.count() == 0) fail(names, "axes is empty; give at least one axis to convolve along");
    for (int i = 0; i < axes.count(); ++i) {
        const int given = axes[i];
        const int a = given < 0 ? given + rank : given;
        if (a < 0 || a >= rank)
            fail(names, "axis " + std::to_string(given) + " is out of range for arrays of rank " +
                            std::to_string(rank) + " (axes " + std::to_string(-rank) + " to " +
                            std::to_string(rank - 1) + ")");
        if (convolved[static_cast<std::size_t>(a)])
            fail(names, "axis " + std::to_string(a) + " is given twice in axes");
        convolved[static_cast<std::size_t>(a)] = true;
    }
    return convolved;
}

}  // namespace

std::ptrdiff_t length_size(const char* fn, const char* arg, std::size_t n) {
    if (n > static_cast<std::size_t>(max_size))
        throw InvalidArgument(std::string(fn) + ": argument '" + arg + "' is " + std::to_string(n) +
                              " long, more than the largest size (" + max_size_text + ")");
    return static_cast<std::ptrdiff_t>(n);
}

bool elements_fit(const Extents& shape) {
    std::ptrdiff_t n = 1;
    for (std::ptrdiff_t e : shape)
        if (__builtin_mul_overflow(n, e, &n)) return false;
    return true;
}

Extents padded_extents(const char* fn, const Extents& shape, const Extents& before, const Extents& after) {
    if (shape.rank() == 2)  // an image: its rows and columns, as the 2D filters have always said
        return padded_shape(fn, shape.shape2d(), before[0], after[0], before[1], after[1]);
    Extents padded = shape;
    bool wrap = false;
    for (int a = 0; a < shape.rank(); ++a)
        wrap = wrap || __builtin_add_overflow(shape[a], before[a], &padded[a]) ||
               __builtin_add_overflow(padded[a], after[a], &padded[a]);
    if (!wrap && elements_fit(padded)) return padded;
    std::string text, pads;
    for (int a = 0; a < shape.rank(); ++a) {
        if (a > 0) {
            text += 'x';
            pads += ", ";
        }
        text += sum_text(shape[a], before[a], after[a]);
        pads += std::to_string(before[a]);
        pads += " + ";
        pads += std::to_string(after[a]);
    }
    if (!wrap) text += " (" + product_text(padded) + " elements)";
    throw InvalidArgument(std::string(fn) + ": 'image' (" + to_string(shape) + ") padded by " + pads + " would be " +
                          text + ", more than the largest size (" + max_size_text + ")");
}

Shape padded_shape(const char* fn, Shape image, std::ptrdiff_t top, std::ptrdiff_t bottom, std::ptrdiff_t left,
                   std::ptrdiff_t right) {
    std::ptrdiff_t rows = 0, cols = 0;
    const bool rows_wrap =
        __builtin_add_overflow(image.rows, top, &rows) || __builtin_add_overflow(rows, bottom, &rows);
    const bool cols_wrap =
        __builtin_add_overflow(image.cols, left, &cols) || __builtin_add_overflow(cols, right, &cols);
    if (!rows_wrap && !cols_wrap && elements_fit({rows, cols})) return {rows, cols};
    std::string padded = sum_text(image.rows, top, bottom) + "x" + sum_text(image.cols, left, right);
    if (!rows_wrap && !cols_wrap) padded += " (" + product_text({rows, cols}) + " elements)";
    throw InvalidArgument(std::string(fn) + ": 'image' (" + to_string(image) + ") padded by " + std::to_string(top) +
                          " + " + std::to_string(bottom) + " rows and " + std::to_string(left) + " + " +
                          std::to_string(right) + " columns would be " + padded + ", more than the largest size (" +
                          max_size_text + ")");
}

void check_result_memory(const char* fn, const Extents& shape, ElementType type, const MemoryBudget& memory) {
    const Bytes need = Bytes::of(shape, element_size(type));
    if (!memory.fits(need))
        memory.check(std::string(fn) + ": the result (" + to_string(shape) + " " + to_string(type) + ")", need);
}

std::string describe_elements(const Names& names, const Extents& shape, ElementType type) {
    return names.one_d ? std::to_string(shape[shape.rank() - 1]) + " " + to_string(type) + " values"
                       : to_string(shape) + " " + to_string(type);
}

std::string describe(const Names& names, const Extents& shape) {
    return names.one_d ? "length " + std::to_string(shape[shape.rank() - 1]) : to_string(shape);
}

void check_view(const Names& names, const char* arg, const void* data, const Extents& shape) {
    if (!data && !shape.empty())
        fail(names,
             std::string("argument '") + arg + "' is a " + to_string(shape) + " view with no data (null pointer)");
}

void check_array(const char* fn, const char* arg, const void* data, const Extents& shape) {
    if (shape.empty())
        throw InvalidArgument(std::string(fn) + ": argument '" + arg + "' is empty (" + to_string(shape) + ")");
    if (!elements_fit(shape))
        throw InvalidArgument(std::string(fn) + ": argument '" + arg + "' is " + to_string(shape) + ", " +
                              product_text(shape) + " elements, more than the largest size (" + max_size_text + ")");
    if (!data) throw InvalidArgument(std::string(fn) + ": argument '" + arg + "' has no data (null pointer)");
}

Geometry make_geometry(const Names& names, const Extents& a, const Extents& b, Mode mode, const Axes& axes) {
    if (a.rank() != b.rank())
        fail(names, std::string("'") + names.a + "' (" + to_string(a) + ") and '" + names.b + "' (" + to_string(b) +
                        ") have different ranks (" + std::to_string(a.rank()) + " and " + std::to_string(b.rank()) +
                        "); give both the same number of axes");
    if (a.rank() == 0) fail(names, "the operands are scalars (rank 0); give arrays of rank 1 or more");
    for (auto [arg, shape] : {std::pair{names.a, a}, std::pair{names.b, b}}) {
        if (std::any_of(shape.begin(), shape.end(), [](std::ptrdiff_t n) { return n < 0; }))
            fail(names, std::string("argument '") + arg + "' has a negative size (" + to_string(shape) + ")");
        if (shape.empty()) fail(names, std::string("argument '") + arg + "' is empty (" + describe(names, shape) + ")");
        if (!elements_fit(shape))
            fail(names, std::string("argument '") + arg + "' is " + to_string(shape) + ", " + product_text(shape) +
                            " elements, more than the largest size (" + max_size_text + ")");
    }
    if (mode != Mode::full && mode != Mode::same && mode != Mode::valid)
        fail(names, "mode " + std::to_string(static_cast<int>(mode)) + " is not one of full, same, valid");

    Geometry g;
    g.a = a;
    g.b = b;
    g.convolved = resolve_axes(names, axes, a.rank());
    g.full = a;
    // The full result, n + k - 1 per convolved axis: every mode's window and transform length lies
    // within it, so once it fits, nothing computed from it can wrap.
    bool wrap = false;
    for (int i = 0; i < a.rank(); ++i) {
        if (g.conv(i)) {
            wrap = wrap || __builtin_add_overflow(a[i], b[i] - 1, &g.full[i]);
        } else if (a[i] != b[i] && a[i] != 1 && b[i] != 1) {
            fail(names, "axis " + std::to_string(i) + " is not convolved, so '" + names.a + "' (" + to_string(a) +
                            ") and '" + names.b + "' (" + to_string(b) +
                            ") must have the same length along it or 1 in one of them; got " + std::to_string(a[i]) +
                            " and " + std::to_string(b[i]));
        } else {
            g.full[i] = std::max(a[i], b[i]);
        }
    }
    if (wrap || !elements_fit(g.full)) {
        std::string full;
        if (names.one_d) {
            full = "length " + sum_text(a[a.rank() - 1], b[b.rank() - 1] - 1);
        } else {
            for (int i = 0; i < a.rank(); ++i) {
                if (i > 0) full += 'x';
                full += g.conv(i) ? sum_text(a[i], b[i] - 1) : std::to_string(g.full[i]);
            }
        }
        if (!wrap) full += " (" + product_text(g.full) + " elements)";
        fail(names, std::string("the full result of '") + names.a + "' (" + describe(names, a) + ") and '" + names.b +
                        "' (" + describe(names, b) + ") would be " + full + ", more than the largest size (" +
                        max_size_text + ")");
    }

    if (mode == Mode::valid) {
        bool a_contains_b = true, b_contains_a = true;
        for (int i = 0; i < a.rank(); ++i)
            if (g.conv(i)) {
                a_contains_b = a_contains_b && a[i] >= b[i];
                b_contains_a = b_contains_a && b[i] >= a[i];
            }
        if (!a_contains_b && !b_contains_a)
            fail(names, std::string("Mode::valid needs one input at least as large as the other in every dimension; "
                                    "got '") +
                            names.a + "' " + to_string(a) + " and '" + names.b + "' " + to_string(b));
    }
    g.out = g.full;
    for (int i = 0; i < a.rank(); ++i) {
        Window& w = g.window[static_cast<std::size_t>(i)];
        if (!g.conv(i)) {
            w = {0, g.full[i]};
        } else if (mode == Mode::full) {
            w = {0, g.full[i]};
        } else if (mode == Mode::same) {
            // scipy's centring: the kept window starts (k-1)/2 into the full result, rounding down.
            w = {(b[i] - 1) / 2, a[i]};
        } else {
            // Convolution commutes, so a larger b is the same as swapped inputs (scipy swaps them).
            w = {std::min(a[i], b[i]) - 1, std::max(a[i], b[i]) - std::min(a[i], b[i]) + 1};
        }
        g.out[i] = w.size;
    }
    return g;
}

Geometry window_geometry(const Extents& a, const Extents& b, const std::array<Window, max_rank>& window) {
    Geometry g;
    g.a = a;
    g.b = b;
    g.full = a;
    g.out = a;
    g.window = window;
    for (int i = 0; i < a.rank(); ++i) {
        g.convolved[static_cast<std::size_t>(i)] = true;
        g.full[i] = a[i] + b[i] - 1;
        g.out[i] = window[static_cast<std::size_t>(i)].size;
    }
    return g;
}

Geometry convolved_part(const Geometry& g) {
    std::array<std::ptrdiff_t, max_rank> a{}, b{};
    std::array<Window, max_rank> window{};
    int c = 0;
    for (int i = 0; i < g.rank(); ++i)
        if (g.conv(i)) {
            a[static_cast<std::size_t>(c)] = g.a[i];
            b[static_cast<std::size_t>(c)] = g.b[i];
            window[static_cast<std::size_t>(c)] = g.win(i);
            ++c;
        }
    const auto n = static_cast<std::size_t>(c);
    return window_geometry(Extents(std::span<const std::ptrdiff_t>(a.data(), n)),
                           Extents(std::span<const std::ptrdiff_t>(b.data(), n)), window);
}

std::ptrdiff_t wrap_free_length(std::ptrdiff_t full, Window w) {
    // Cyclic length P folds full[i + P] and full[i - P] onto i. Nothing folds into the window
    // [o, o + s) when o + P >= full (nothing beyond the end reaches it) and o + s - 1 - P < 0
    // (nothing before the start does).
    return std::max(full - w.offset, w.offset + w.size);
}

double overlap_count(std::ptrdiff_t n, std::ptrdiff_t k, Window w) {
    // At full index x the overlap is min(x + 1, m, F - x) with m = min(n, k), F = n + k - 1; the two
    // ramps never bind together (F >= 2m - 1), so it equals min(x+1, m) + min(F-x, m) - m, and
    // each term sums in closed form: ramp(X) = Σ_{x<X} min(x + 1, m).
    const double m = static_cast<double>(std::min(n, k));
    const double F = static_cast<double>(n + k - 1);
    const auto ramp = [m](double X) { return X <= m ? X * (X + 1) / 2 : m * (m + 1) / 2 + (X - m) * m; };
    const double lo = static_cast<double>(w.offset), hi = static_cast<double>(w.offset + w.size);
    return ramp(hi) - ramp(lo) + ramp(F - lo) - ramp(F - hi) - m * (hi - lo);
}

}  // namespace fftconv::detail
