#include "geometry.hpp"

#include <algorithm>

namespace fftconv::detail {

std::string describe(const Names& names, Shape shape) {
    return names.one_d ? "length " + std::to_string(shape.cols) : to_string(shape);
}

void check_view(const Names& names, const char* arg, const void* data, Shape shape) {
    if (!data && !shape.empty())
        throw Error(std::string(names.fn) + ": argument '" + arg + "' is a " + to_string(shape) +
                    " view with no data (null pointer)");
}

void check_image(const char* fn, const char* arg, const void* data, Shape shape) {
    if (shape.rows <= 0 || shape.cols <= 0)
        throw Error(std::string(fn) + ": argument '" + arg + "' is empty (" + to_string(shape) + ")");
    if (!data) throw Error(std::string(fn) + ": argument '" + arg + "' has no data (null pointer)");
}

Geometry make_geometry(const Names& names, Shape a, Shape b, Mode mode) {
    for (auto [arg, shape] : {std::pair{names.a, a}, std::pair{names.b, b}}) {
        if (shape.rows < 0 || shape.cols < 0)
            throw Error(std::string(names.fn) + ": argument '" + arg + "' has a negative size (" + to_string(shape) +
                        ")");
        if (shape.empty())
            throw Error(std::string(names.fn) + ": argument '" + arg + "' is empty (" + describe(names, shape) + ")");
    }

    Geometry g{a, b, {a.rows + b.rows - 1, a.cols + b.cols - 1}, {}, {}};
    switch (mode) {
        case Mode::full:
            g.rows = {0, g.full.rows};
            g.cols = {0, g.full.cols};
            break;
        case Mode::same:
            // scipy's centring: the kept window starts (k-1)/2 into the full result, rounding down.
            g.rows = {(b.rows - 1) / 2, a.rows};
            g.cols = {(b.cols - 1) / 2, a.cols};
            break;
        case Mode::valid: {
            const bool a_contains_b = a.rows >= b.rows && a.cols >= b.cols;
            const bool b_contains_a = b.rows >= a.rows && b.cols >= a.cols;
            if (!a_contains_b && !b_contains_a)
                throw Error(std::string(names.fn) +
                            ": Mode::valid needs one input at least as large as the other in every dimension; got '" +
                            names.a + "' " + to_string(a) + " and '" + names.b + "' " + to_string(b));
            // Convolution commutes, so a larger b is the same as swapped inputs (scipy swaps them).
            const auto window = [](std::ptrdiff_t n, std::ptrdiff_t k) {
                return Window{std::min(n, k) - 1, std::max(n, k) - std::min(n, k) + 1};
            };
            g.rows = window(a.rows, b.rows);
            g.cols = window(a.cols, b.cols);
            break;
        }
        default:
            throw Error(std::string(names.fn) + ": mode " + std::to_string(static_cast<int>(mode)) +
                        " is not one of full, same, valid");
    }
    return g;
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
