// One pass over an operand's values before the FFT path: NaN and ±Inf, and the largest magnitude,
// which sets the power of two the transforms scale the operand by.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "fftconv/types.hpp"
#include "lines.hpp"

namespace fftconv::detail {

// NaN and ±Inf: x − x is 0 for every finite x and NaN otherwise.
template <Scalar T>
bool is_finite(T x) {
    if constexpr (is_complex_v<T>)
        return x.real() - x.real() == 0 && x.imag() - x.imag() == 0;
    else
        return x - x == 0;
}

struct ValueScan {
    bool nonfinite = false;  // a NaN or ±Inf somewhere
    double max_abs = 0;      // the largest |real part| or |imaginary part|; only when !nonfinite
};

// Both in one pass: x·0 is 0 for every finite x and NaN otherwise, and the magnitudes' maximum,
// written with vector types so both vectorize (a running count compiled to scalar compares: 4 ms
// on 4M doubles, a fifth of an overlap-save convolution; std::max on floats stays scalar, since
// the compiler may not turn it into a vector max where NaN could occur: 3x the time of the
// x·0 sum alone, where this form costs 1.2x, 0.12 ms more on 4M floats). The FFT path needs
// both, so one-shot calls and Convolver::apply read their input once for them.
template <Scalar T>
ValueScan scan_values(const View<const T>& v) {
    using R = real_t<T>;
    using I = std::conditional_t<sizeof(R) == 4, std::int32_t, std::int64_t>;
    typedef R Vec __attribute__((vector_size(16)));
    typedef I Bits __attribute__((vector_size(16)));
    constexpr std::ptrdiff_t width = 16 / sizeof(R), unroll = 4;
    const Bits magnitude = Bits{} + std::numeric_limits<I>::max();  // every bit but the sign
    Vec acc[unroll] = {}, top[unroll] = {};
    R tail_acc = 0, tail_top = 0;
    const auto scalar = [&](T x) {
        if constexpr (is_complex_v<T>) {
            tail_acc += x.real() * R(0) + x.imag() * R(0);
            tail_top = std::max({tail_top, std::abs(x.real()), std::abs(x.imag())});
        } else {
            tail_acc += x * R(0);
            tail_top = std::max(tail_top, std::abs(x));
        }
    };
    if (v.empty()) return {};
    const int last = v.rank() - 1;
    const std::ptrdiff_t length = v.shape[last], stride = v.strides[last];
    for_each_line(v, [&](const T* line, const std::ptrdiff_t*) {
        if (stride != 1) {
            for (std::ptrdiff_t c = 0; c < length; ++c) scalar(line[c * stride]);
            return;
        }
        const R* p = reinterpret_cast<const R*>(line);
        const std::ptrdiff_t n = length * (is_complex_v<T> ? 2 : 1);
        std::ptrdiff_t i = 0;
        for (; i + unroll * width <= n; i += unroll * width)
            for (std::ptrdiff_t u = 0; u < unroll; ++u) {
                Vec x;
                std::memcpy(&x, p + i + u * width, sizeof x);
                acc[u] += x * R(0);
                const Vec a = reinterpret_cast<Vec>(reinterpret_cast<Bits>(x) & magnitude);
                top[u] = top[u] > a ? top[u] : a;
            }
        for (; i < n; ++i) {
            tail_acc += p[i] * R(0);
            tail_top = std::max(tail_top, std::abs(p[i]));
        }
    });
    R any = tail_acc, max_abs = tail_top;
    for (std::ptrdiff_t u = 0; u < unroll; ++u)
        for (std::ptrdiff_t j = 0; j < width; ++j) any += acc[u][j], max_abs = std::max(max_abs, top[u][j]);
    if (any != 0) return {true, 0};  // NaN compares unequal to everything
    return {false, static_cast<double>(max_abs)};
}
template <Scalar T>
ValueScan scan_values(ImageView<const T> v) {
    return scan_values(View<const T>(v));
}

// Whether v holds NaN or ±Inf.
template <Scalar T>
bool has_nonfinite(const View<const T>& v) {
    return scan_values(v).nonfinite;
}
template <Scalar T>
bool has_nonfinite(ImageView<const T> v) {
    return scan_values(View<const T>(v)).nonfinite;
}

// The values of v that are NaN or ±Inf (a full count, for messages and the FFT repair).
template <Scalar T>
std::ptrdiff_t count_nonfinite(const View<const T>& v) {
    std::ptrdiff_t n = 0;
    const int last = v.rank() - 1;
    for_each_line(v, [&](const T* line, const std::ptrdiff_t*) {
        for (std::ptrdiff_t c = 0; c < v.shape[last]; ++c) n += !is_finite(line[c * v.strides[last]]);
    });
    return n;
}
template <Scalar T>
std::ptrdiff_t count_nonfinite(ImageView<const T> v) {
    return count_nonfinite(View<const T>(v));
}

// For operations with no direct sum to fall back on (template matching, frequency-domain filters):
// an InvalidArgument naming the argument and how many values are NaN or ±Inf, with `why` they matter.
template <Scalar T>
void require_finite(const char* fn, const char* arg, ImageView<const T> v, const char* why) {
    if (!has_nonfinite(v)) return;
    if (const std::ptrdiff_t bad = count_nonfinite(v))
        throw InvalidArgument(std::string(fn) + ": argument '" + arg + "' holds " + std::to_string(bad) +
                              " non-finite value" + (bad == 1 ? "" : "s") + " (NaN or Inf) among " +
                              to_string(v.shape()) + "; " + why);
}

// No value below zero (NaN is not below zero); false for a complex array.
template <Scalar T>
bool nonnegative(const View<const T>& v) {
    if constexpr (is_complex_v<T>) {
        return false;
    } else {
        bool ok = true;
        Array<T>::for_each_index(v.shape, [&](const std::ptrdiff_t* i) { ok = ok && !(v.at(i) < 0); });
        return ok;
    }
}

// No value below zero (NaN is not below zero).
template <Real T>
bool nonnegative(ImageView<const T> v) {
    bool ok = true;
    for (std::ptrdiff_t r = 0; r < v.rows; ++r)
        for (std::ptrdiff_t c = 0; c < v.cols; ++c) ok &= !(v(r, c) < 0);
    return ok;
}

// Outputs below zero set to 0: for results of operands with no negative value, whose exact
// values are all >= 0. The FFT's round-off leaves values like -1e-17 where the exact result is 0
// (a blurred black border, a template's empty surround); the direct sum cannot go below 0 there.
template <Real T>
void clamp_negatives(ImageView<T> out) {
    for (std::ptrdiff_t r = 0; r < out.rows; ++r)
        for (std::ptrdiff_t c = 0; c < out.cols; ++c) out(r, c) = std::max(out(r, c), T(0));
}

// The FFT path's scaling. A transform's sums reach N·max|x| (a 256x256 float image of 1e34 has a
// zero-frequency term of 6.6e38, past FLT_MAX: Inf, then NaN everywhere after the inverse), and
// the product of two tiny operands' spectra falls below the smallest float. So each operand is
// multiplied by 2^-e, e = magnitude_exponent(its max |x|), which brings its largest magnitude to
// [0.5, 1), and the result by 2^(e_a + e_b). A power of two multiplies exactly (short of the
// subnormal range), so results whose sums fit without it come out bit for bit as before.
// e is frexp's exponent, kept within R's normal exponents so that 2^e and 2^-e are both numbers
// of R; 0 for an all-zero operand.
template <class R>
int magnitude_exponent(double max_abs) {
    if (!(max_abs > 0) || !std::isfinite(max_abs)) return 0;
    int e = 0;
    (void)std::frexp(max_abs, &e);
    constexpr int top = std::numeric_limits<R>::max_exponent - 1;  // 2^top is R's largest power of two
    return std::clamp(e, -top, top);
}

// x · 2^e for one fixed e, rounded once: a multiplication where 2^e is a number of R (then exact
// unless the result is subnormal or overflows, which rounds once and gives ±Inf as the exact
// product would), std::ldexp for the exponent sums outside that range.
template <class R>
class PowerOfTwo {
public:
    explicit PowerOfTwo(int e)
        : e_(e),
          plain_(e >= std::numeric_limits<R>::min_exponent - std::numeric_limits<R>::digits &&
                 e < std::numeric_limits<R>::max_exponent),
          factor_(plain_ ? std::ldexp(R(1), e) : R(0)) {}

    bool plain() const { return plain_; }
    R factor() const { return factor_; }  // 2^e where plain()

    template <class T>
    T operator()(T x) const {
        if constexpr (is_complex_v<T>)
            return plain_ ? x * factor_ : T(std::ldexp(x.real(), e_), std::ldexp(x.imag(), e_));
        else
            return plain_ ? x * factor_ : std::ldexp(x, e_);
    }

private:
    int e_;
    bool plain_;
    R factor_;
};

}  // namespace fftconv::detail
