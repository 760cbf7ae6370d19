// The brute-force oracle and shared test helpers. The oracle shares no code with the library: it
// sums the definitions in long double, and crops with scipy's own rules (_centered, the valid-mode
// swap), written out here from scipy's definitions rather than from fftconv's geometry.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fftconv/fftconv.hpp"

// Failing checks print enum names, not numbers.
namespace doctest {
template <>
struct StringMaker<fftconv::Mode> {
    static String convert(fftconv::Mode v) { return fftconv::to_string(v); }
};
template <>
struct StringMaker<fftconv::Method> {
    static String convert(fftconv::Method v) { return fftconv::to_string(v); }
};
template <>
struct StringMaker<fftconv::ElementType> {
    static String convert(fftconv::ElementType v) { return fftconv::to_string(v); }
};
template <>
struct StringMaker<fftconv::Shape> {
    static String convert(fftconv::Shape v) { return fftconv::to_string(v).c_str(); }
};
}  // namespace doctest

namespace ref {

using fftconv::Image;
using fftconv::ImageView;
using fftconv::Mode;

template <class T>
struct wide {
    using type = long double;
};
template <class R>
struct wide<std::complex<R>> {
    using type = std::complex<long double>;
};
template <class T>
using wide_t = typename wide<T>::type;

template <class T>
T conj_if_complex(T v) {
    if constexpr (fftconv::is_complex_v<T>)
        return std::conj(v);
    else
        return v;
}

// scipy's _centered(arr, newshape): the middle newshape block, start (current - new) // 2.
template <class T>
Image<T> centered(const Image<T>& full, long rows, long cols) {
    Image<T> out(rows, cols);
    const long r0 = (full.rows() - rows) / 2, c0 = (full.cols() - cols) / 2;
    for (long r = 0; r < rows; ++r)
        for (long c = 0; c < cols; ++c) out(r, c) = full(r0 + r, c0 + c);
    return out;
}

// out[i][j] = Σ over a's (p, q) of a[p][q] · f(b[u][v]) with (u, v) = index(i, j, p, q), terms
// whose (u, v) falls outside b dropped; out is (a + b - 1) per dimension, sums in long double.
template <class T, class Index, class F>
Image<T> brute_force(const Image<T>& a, const Image<T>& b, Index index, F f) {
    Image<T> out(a.rows() + b.rows() - 1, a.cols() + b.cols() - 1);
    for (long i = 0; i < out.rows(); ++i)
        for (long j = 0; j < out.cols(); ++j) {
            wide_t<T> sum{};
            for (long p = 0; p < a.rows(); ++p)
                for (long q = 0; q < a.cols(); ++q) {
                    const auto [u, v] = index(i, j, p, q);
                    if (u >= 0 && u < b.rows() && v >= 0 && v < b.cols())
                        sum += wide_t<T>(a(p, q)) * wide_t<T>(f(b(u, v)));
                }
            out(i, j) = T(sum);
        }
    return out;
}

// full[i][j] = Σ a[p][q] · b[i-p][j-q]
template <class T>
Image<T> full_convolution(const Image<T>& a, const Image<T>& b) {
    return brute_force(
        a, b,
        [](long i, long j, long p, long q) {
            return std::pair{i - p, j - q};
        },
        [](T v) { return v; });
}

// numpy's correlation, full: out[i][j] = Σ a[p][q] · conj(b[p - i + kr - 1][q - j + kc - 1]).
template <class T>
Image<T> full_correlation(const Image<T>& a, const Image<T>& b) {
    const long kr = b.rows(), kc = b.cols();
    return brute_force(
        a, b,
        [=](long i, long j, long p, long q) {
            return std::pair{p - i + kr - 1, q - j + kc - 1};
        },
        [](T v) { return conj_if_complex(v); });
}

// scipy.signal.convolve / correlate(a, b, mode); nullopt where scipy raises ValueError.
template <class T>
std::optional<Image<T>> scipy(const Image<T>& a, const Image<T>& b, Mode mode, bool correlate) {
    const Image<T> full = correlate ? full_correlation(a, b) : full_convolution(a, b);
    switch (mode) {
        case Mode::full: return full;
        case Mode::same: return centered(full, a.rows(), a.cols());
        case Mode::valid: {
            const bool a_big = a.rows() >= b.rows() && a.cols() >= b.cols();
            const bool b_big = b.rows() >= a.rows() && b.cols() >= a.cols();
            if (!a_big && !b_big) return std::nullopt;
            return centered(full, std::labs(a.rows() - b.rows()) + 1, std::labs(a.cols() - b.cols()) + 1);
        }
    }
    return std::nullopt;
}

// ---- helpers

template <class T>
T random_value(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    if constexpr (fftconv::is_complex_v<T>)
        return T(static_cast<typename T::value_type>(u(rng)), static_cast<typename T::value_type>(u(rng)));
    else
        return static_cast<T>(u(rng));
}

template <class T>
Image<T> random_image(long rows, long cols, std::mt19937_64& rng) {
    Image<T> img(rows, cols);
    for (T& v : img.values()) v = random_value<T>(rng);
    return img;
}

// Small integers, so that direct sums are exact in every type.
template <class T>
Image<T> integer_image(long rows, long cols, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> u(-8, 8);
    Image<T> img(rows, cols);
    for (T& v : img.values()) {
        if constexpr (fftconv::is_complex_v<T>)
            v = T(static_cast<typename T::value_type>(u(rng)), static_cast<typename T::value_type>(u(rng)));
        else
            v = static_cast<T>(u(rng));
    }
    return img;
}

// max |x - y| / max |y|  (absolute when y is all zeros); +inf on a shape mismatch.
template <class T>
double rel_err(ImageView<const T> x, ImageView<const T> y) {
    if (x.shape() != y.shape()) return INFINITY;
    double diff = 0, scale = 0;
    for (long r = 0; r < x.rows; ++r)
        for (long c = 0; c < x.cols; ++c) {
            diff = std::max(diff, static_cast<double>(std::abs(x(r, c) - y(r, c))));
            scale = std::max(scale, static_cast<double>(std::abs(y(r, c))));
        }
    return scale > 0 ? diff / scale : diff;
}
template <class T>
double rel_err(const Image<T>& x, const Image<T>& y) {
    return rel_err(x.view(), y.view());
}
template <class T>
double rel_err(const std::vector<T>& x, const std::vector<T>& y) {
    return rel_err(ImageView<const T>(std::span<const T>(x)), ImageView<const T>(std::span<const T>(y)));
}

// The FFT path against a reference at the ends of a type's range: the largest |x - y| where both
// are finite, and how many outputs are NaN, +Inf or -Inf (per real and imaginary part) in one and
// not the other.
struct RangeCheck {
    double err = 0;
    std::ptrdiff_t misplaced = 0, nonfinite = 0;
};
template <class T>
RangeCheck range_check(ImageView<const T> x, ImageView<const T> y) {
    REQUIRE(x.shape() == y.shape());
    using R = fftconv::real_t<T>;
    const auto cls = [](R v) { return std::isnan(v) ? 1 : std::isinf(v) ? (v > 0 ? 2 : 3) : 0; };
    RangeCheck out;
    for (long r = 0; r < x.rows; ++r)
        for (long c = 0; c < x.cols; ++c) {
            const T a = x(r, c), b = y(r, c);
            bool finite = true;
            if constexpr (fftconv::is_complex_v<T>) {
                out.misplaced += cls(a.real()) != cls(b.real()) || cls(a.imag()) != cls(b.imag());
                finite = std::isfinite(b.real()) && std::isfinite(b.imag()) && std::isfinite(a.real()) &&
                         std::isfinite(a.imag());
                out.nonfinite += !std::isfinite(b.real()) || !std::isfinite(b.imag());
            } else {
                out.misplaced += cls(a) != cls(b);
                finite = std::isfinite(a) && std::isfinite(b);
                out.nonfinite += !std::isfinite(b);
            }
            if (finite) {
                using W = wide_t<T>;
                out.err = std::max(out.err, static_cast<double>(std::abs(W(a) - W(b))));
            }
        }
    return out;
}

// max |v| (the modulus for complex values), in long double so that nothing overflows.
template <class T>
long double max_abs(ImageView<const T> v) {
    long double m = 0;
    for (long r = 0; r < v.rows; ++r)
        for (long c = 0; c < v.cols; ++c) m = std::max(m, static_cast<long double>(std::abs(wide_t<T>(v(r, c)))));
    return m;
}
template <class T>
long double max_abs(const Image<T>& v) {
    return max_abs(v.view());
}

// Accuracy we hold each type to, relative to max |out|: a few hundred ulps of headroom over
// what FFT round-off reaches on the largest sizes tested.
template <class T>
constexpr double tolerance() {
    return std::is_same_v<fftconv::real_t<T>, float> ? 1e-5 : 1e-12;
}

template <class T>
std::string type_name() {
    return fftconv::to_string(fftconv::element_type_v<T>);
}

inline const Mode all_modes[] = {Mode::full, Mode::same, Mode::valid};

}  // namespace ref
