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

std::string product_text(std::ptrdiff_t rows, std::ptrdiff_t cols) {
    return decimal(static_cast<u128>(rows) * static_cast<u128>(cols));
}

std::string sum_text(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t c = 0) {
    return decimal(static_cast<u128>(a) + static_cast<u128>(b) + static_cast<u128>(c));
}

}  // namespace

std::ptrdiff_t length_size(const char* fn, const char* arg, std::size_t n) {
    if (n > static_cast<std::size_t>(max_size))
        throw Error(std::string(fn) + ": argument '" + arg + "' is " + std::to_string(n) +
                    " long, more than the largest size (" + max_size_text + ")");
    return static_cast<std::ptrdiff_t>(n);
}

bool elements_fit(Shape shape) {
    std::ptrdiff_t n = 0;
    return !__builtin_mul_overflow(shape.rows, shape.cols, &n);
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
    if (!rows_wrap && !cols_wrap) padded += " (" + product_text(rows, cols) + " elements)";
    throw Error(std::string(fn) + ": 'image' (" + to_string(image) + ") padded by " + std::to_string(top) + " + " +
                std::to_string(bottom) + " rows and " + std::to_string(left) + " + " + std::to_string(right) +
                " columns would be " + padded + ", more than the largest size (" + max_size_text + ")");
}

Bytes Bytes::of(Shape shape, std::size_t element_size) {
    Bytes b;
    b.approx = static_cast<double>(shape.rows) * static_cast<double>(shape.cols) * static_cast<double>(element_size);
    std::size_t elements = 0;
    b.overflow =
        !elements_fit(shape) ||
        __builtin_mul_overflow(static_cast<std::size_t>(shape.rows), static_cast<std::size_t>(shape.cols), &elements) ||
        __builtin_mul_overflow(elements, element_size, &b.exact);
    return b;
}

Bytes Bytes::operator*(std::size_t count) const {
    Bytes b;
    b.approx = approx * static_cast<double>(count);
    b.overflow = overflow || __builtin_mul_overflow(exact, count, &b.exact);
    return b;
}

Bytes Bytes::operator+(const Bytes& other) const {
    Bytes b;
    b.approx = approx + other.approx;
    b.overflow = overflow || other.overflow || __builtin_add_overflow(exact, other.exact, &b.exact);
    return b;
}

std::string format_bytes(double bytes) {
    static const char* const units[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    char text[64];
    if (bytes < 1000) {
        std::snprintf(text, sizeof text, "%.0f bytes", bytes);
        return text;
    }
    std::size_t unit = 0;
    for (bytes /= 1000; bytes >= 999.95 && unit + 1 < std::size(units); ++unit) bytes /= 1000;
    if (bytes >= 999.95)  // beyond the largest unit: a number of bytes in scientific notation
        std::snprintf(text, sizeof text, "%.3g bytes", bytes * 1e24);
    else
        std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
    return text;
}

bool fits_memory(Bytes need) {
    return !need.overflow && need.exact <= memory_limit();
}

void check_memory(const std::string& subject, Bytes need) {
    if (need.overflow)
        throw Error(subject + " would need " + format_bytes(need.approx) + ", which overflows a 64-bit size");
    const std::size_t limit = memory_limit();
    if (need.exact > limit)
        throw Error(subject + " would need " + format_bytes(need.approx) + ", more than " +
                    (memory_limit_is_machine() ? "this machine's memory (" : "the memory limit (") +
                    format_bytes(static_cast<double>(limit)) + ")");
}

void allocation_failed(const std::string& fn, const std::string& what, Bytes need) {
    throw Error(fn + ": could not allocate " + what + " (" + format_bytes(need.approx) + "): out of memory");
}

std::size_t element_size(ElementType type) {
    switch (type) {
        case ElementType::float32: return 4;
        case ElementType::float64:
        case ElementType::complex64: return 8;
        case ElementType::complex128: break;
    }
    return 16;
}

void check_result_memory(const char* fn, Shape shape, ElementType type) {
    const Bytes need = Bytes::of(shape, element_size(type));
    if (!fits_memory(need))
        check_memory(std::string(fn) + ": the result (" + to_string(shape) + " " + to_string(type) + ")", need);
}

std::string describe_elements(const Names& names, Shape shape, ElementType type) {
    return names.one_d ? std::to_string(shape.cols) + " " + to_string(type) + " values"
                       : to_string(shape) + " " + to_string(type);
}

std::size_t image_bytes(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size) {
    const Bytes need = Bytes::of({rows, cols}, element_size);
    if (!fits_memory(need))
        check_memory(
            "Image: " + to_string(Shape{rows, cols}) + " elements of " + std::to_string(element_size) + " bytes", need);
    return need.exact;
}

void image_allocation_failed(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size) {
    allocation_failed("Image", to_string(Shape{rows, cols}) + " elements of " + std::to_string(element_size) + " bytes",
                      Bytes::of({rows, cols}, element_size));
}

void span_too_long(std::size_t n) {
    throw Error("ImageView: a span of " + std::to_string(n) + " elements is longer than the largest size (" +
                max_size_text + ")");
}

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
    if (!elements_fit(shape))
        throw Error(std::string(fn) + ": argument '" + arg + "' is " + to_string(shape) + ", " +
                    product_text(shape.rows, shape.cols) + " elements, more than the largest size (" + max_size_text +
                    ")");
    if (!data) throw Error(std::string(fn) + ": argument '" + arg + "' has no data (null pointer)");
}

Geometry make_geometry(const Names& names, Shape a, Shape b, Mode mode) {
    for (auto [arg, shape] : {std::pair{names.a, a}, std::pair{names.b, b}}) {
        if (shape.rows < 0 || shape.cols < 0)
            throw Error(std::string(names.fn) + ": argument '" + arg + "' has a negative size (" + to_string(shape) +
                        ")");
        if (shape.empty())
            throw Error(std::string(names.fn) + ": argument '" + arg + "' is empty (" + describe(names, shape) + ")");
        if (!elements_fit(shape))
            throw Error(std::string(names.fn) + ": argument '" + arg + "' is " + to_string(shape) + ", " +
                        product_text(shape.rows, shape.cols) + " elements, more than the largest size (" +
                        max_size_text + ")");
    }
    // The full result, n + k - 1 per dimension: every mode's window and transform length lies
    // within it, so once it fits, nothing computed from it can wrap.
    std::ptrdiff_t full_rows = 0, full_cols = 0;
    const bool rows_wrap = __builtin_add_overflow(a.rows, b.rows - 1, &full_rows);
    const bool cols_wrap = __builtin_add_overflow(a.cols, b.cols - 1, &full_cols);
    if (rows_wrap || cols_wrap || !elements_fit({full_rows, full_cols})) {
        const auto sum = [](std::ptrdiff_t n, std::ptrdiff_t k) { return sum_text(n, k - 1); };
        std::string full =
            names.one_d ? "length " + sum(a.cols, b.cols) : sum(a.rows, b.rows) + "x" + sum(a.cols, b.cols);
        if (!rows_wrap && !cols_wrap) full += " (" + product_text(full_rows, full_cols) + " elements)";
        throw Error(std::string(names.fn) + ": the full result of '" + names.a + "' (" + describe(names, a) +
                    ") and '" + names.b + "' (" + describe(names, b) + ") would be " + full +
                    ", more than the largest size (" + max_size_text + ")");
    }

    Geometry g{a, b, {full_rows, full_cols}, {}, {}};
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
