// The stages every entry point shares, in order: check the views, work out the geometry, resolve
// the method, shape the kernel (correlate), then hand over to one of the two cores.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "cost_model.hpp"
#include "direct.hpp"
#include "fft_core.hpp"
#include "fftconv/image.hpp"
#include "fftconv/settings.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"
#include "values.hpp"

namespace fftconv::detail {

// Stages 1-2: both views checked, the geometry of the call.
template <Scalar T>
Geometry checked_geometry(const Names& names, ImageView<const T> a, ImageView<const T> b, Mode mode) {
    check_view(names, names.a, a.data, a.shape());
    check_view(names, names.b, b.data, b.shape());
    return make_geometry(names, a.shape(), b.shape(), mode);
}

// Stage 3: automatic becomes direct or fft; anything else outside the enum is an Error.
inline Method resolve_method(const Names& names, Method method, const Geometry& g, ElementType type, int transforms) {
    switch (method) {
        case Method::automatic: return cheaper_method(g, type, transforms);
        case Method::direct:
        case Method::fft: return method;
    }
    throw Error(std::string(names.fn) + ": method " + std::to_string(static_cast<int>(method)) +
                " is not one of automatic, direct, fft");
}

// Stage 4: the kernel the convolution core sees. correlate(a, b) == convolve(a, conj(reverse(b))):
// for real data the reversal is a view with negated strides; complex data needs a conjugated
// copy, kept in `storage`.
template <Scalar T>
ImageView<const T> core_kernel(ImageView<const T> b, bool correlate, Image<T>& storage) {
    if (!correlate) return b;
    if constexpr (is_complex_v<T>) {
        storage = Image<T>(b.flipped());
        for (T& v : storage.values()) v = std::conj(v);
        return storage.view();
    } else {
        return b.flipped();
    }
}

// Stage 5, one-shot: out = the window of a ⊛ kernel by the chosen core; `a_exponent` is
// magnitude_exponent of a's values, for the FFT's scaling.
template <Scalar T>
void run_core(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, Method method, ImageView<T> out,
              int a_exponent) {
    if (method == Method::direct)
        direct_convolve(a, kernel, g.rows, g.cols, out);
    else if (g.a.rows == 1 && g.b.rows == 1)
        fft_convolve_1d(g, a, kernel, overlap_save_block(g, element_type_v<T>), planner_effort(), out, a_exponent);
    else
        FftCore<T>(g, kernel, planner_effort()).apply(a, out, a_exponent);
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

// For operations with no direct sum to fall back on (template matching, frequency-domain filters):
// an Error naming the argument and how many values are NaN or ±Inf, with `why` they matter.
template <Scalar T>
void require_finite(const char* fn, const char* arg, ImageView<const T> v, const char* why) {
    if (!has_nonfinite(v)) return;
    if (const std::ptrdiff_t bad = count_nonfinite(v))
        throw Error(std::string(fn) + ": argument '" + arg + "' holds " + std::to_string(bad) + " non-finite value" +
                    (bad == 1 ? "" : "s") + " (NaN or Inf) among " + to_string(v.shape()) + "; " + why);
}

// The FFT path for operands holding NaN or Inf. A transform spreads one such value over every
// frequency and so over the whole result; the direct sum puts it only in the outputs its window
// reaches. So the FFT (`fft(input, out)`) runs on a copy with those values set to 0, and each
// output a non-finite input value reaches is then summed directly: NaN and Inf land exactly where
// the direct method puts them, and nowhere else. A non-finite kernel value reaches every output,
// as do enough bad input values: then the whole result is the direct sum.
template <Scalar T, class Fft>
void fft_around_nonfinite(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, ImageView<T> out,
                          Fft&& fft) {
    const std::ptrdiff_t bad = count_nonfinite(a);
    // (In double: a count times a kernel size can pass the largest ptrdiff_t for huge views.)
    if (has_nonfinite(kernel) ||
        static_cast<double>(bad) * static_cast<double>(kernel.rows) * static_cast<double>(kernel.cols) >=
            static_cast<double>(out.rows) * static_cast<double>(out.cols)) {
        direct_convolve(a, kernel, g.rows, g.cols, out);
        return;
    }
    Image<T> clean(a);
    for (T& v : clean.values())
        if (!is_finite(v)) v = T{};
    fft(ImageView<const T>(clean.view()), out);
    for (std::ptrdiff_t r = 0; r < a.rows; ++r)
        for (std::ptrdiff_t c = 0; c < a.cols; ++c) {
            if (is_finite(a(r, c))) continue;
            // The full result's entries this value enters: [r, r + k.rows) x [c, c + k.cols).
            const std::ptrdiff_t r0 = std::max(r, g.rows.offset), c0 = std::max(c, g.cols.offset);
            const std::ptrdiff_t r1 = std::min(r + kernel.rows, g.rows.offset + g.rows.size);
            const std::ptrdiff_t c1 = std::min(c + kernel.cols, g.cols.offset + g.cols.size);
            if (r0 >= r1 || c0 >= c1) continue;
            direct_convolve(a, kernel, Window{r0, r1 - r0}, Window{c0, c1 - c0},
                            out.subview(r0 - g.rows.offset, c0 - g.cols.offset, r1 - r0, c1 - c0));
        }
}

// Stage 5, one-shot, for any data: Method::automatic (`requested`) never runs the FFT on operands
// holding NaN or Inf (the direct sum instead); Method::fft runs it around them (above). The FFT
// path reads each operand once first, for NaN and Inf and for its scaling.
template <Scalar T>
void run_checked(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, Method requested, Method method,
                 ImageView<T> out) {
    if (method != Method::fft) {
        run_core(g, a, kernel, method, out, 0);
        return;
    }
    const ValueScan values = scan_values(a);
    if (values.nonfinite || has_nonfinite(kernel)) {
        if (requested == Method::automatic)
            direct_convolve(a, kernel, g.rows, g.cols, out);
        else
            fft_around_nonfinite(g, a, kernel, out, [&](ImageView<const T> clean, ImageView<T> o) {
                run_core(g, clean, kernel, Method::fft, o, magnitude_exponent<real_t<T>>(scan_values(clean).max_abs));
            });
        return;
    }
    run_core(g, a, kernel, Method::fft, out, magnitude_exponent<real_t<T>>(values.max_abs));
}

}  // namespace fftconv::detail
