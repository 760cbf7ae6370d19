// The front door: one-shot convolution and correlation of 1D signals, 2D images and arrays of any
// rank (along all axes or some, the others broadcast).
#pragma once

#include <concepts>
#include <ranges>
#include <span>
#include <type_traits>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// Convolution, per dimension: full[i] = Σ_j a[j] · b[i - j], summed over every j where both
/// indices are in range; no extra scaling. `mode` picks the part returned, exactly as
/// scipy.signal.convolve (see Mode); `method` picks the algorithm (see Method).
/// Inputs are never modified and may use any strides.
/// @throws Error  an empty input, or Mode::valid when neither input is at least as large as the
///                other in every dimension.
template <Scalar T>
[[nodiscard]] std::vector<T> convolve(std::span<const T> a, std::span<const T> b, Mode mode = Mode::full,
                                      Method method = Method::automatic);
template <Scalar T>
[[nodiscard]] Image<T> convolve(ImageView<const T> a, ImageView<const T> b, Mode mode = Mode::full,
                                Method method = Method::automatic);

/// Cross-correlation: correlate(a, b, mode) == convolve(a, conj(reverse(b)), mode), which is
/// scipy.signal.correlate in every mode; in full mode, full[i] = Σ_j a[j] · conj(b[j - i + k - 1])
/// for a kernel of length k. Complex kernels are conjugated.
/// @throws Error  as convolve.
template <Scalar T>
[[nodiscard]] std::vector<T> correlate(std::span<const T> a, std::span<const T> b, Mode mode = Mode::full,
                                       Method method = Method::automatic);
template <Scalar T>
[[nodiscard]] Image<T> correlate(ImageView<const T> a, ImageView<const T> b, Mode mode = Mode::full,
                                 Method method = Method::automatic);

/// Arrays of any rank (1 to max_rank), convolved along `axes` (every axis by default) exactly as
/// scipy.signal.fftconvolve(a, b, mode, axes) — scipy.signal.convolve when every axis is
/// convolved — per convolved axis as above. Along an axis that is not convolved, the two
/// operands have the same length or one of them has 1 (broadcast, as numpy does), and the result
/// has the larger: a batch of signals, a stack of images, one kernel over a stack. Both operands
/// have one rank; give an axis of 1 to the one that lacks it.
/// @throws InvalidArgument  as above; also operands of different ranks, axes out of range or
///                          repeated, and non-convolved axes that differ and are not 1.
/// @throws OutOfMemory  a result or FFT buffers past memory_limit() (settings.hpp), named with
///                      their bytes before anything is allocated.
template <Scalar T>
[[nodiscard]] Array<T> convolve(View<const T> a, View<const T> b, Mode mode = Mode::full,
                                Method method = Method::automatic, Axes axes = {});
/// correlate(a, b) == convolve(a, conj(b reversed along the convolved axes)): scipy.signal.correlate
/// when every axis is convolved.
template <Scalar T>
[[nodiscard]] Array<T> correlate(View<const T> a, View<const T> b, Mode mode = Mode::full,
                                 Method method = Method::automatic, Axes axes = {});

/// The method Method::automatic runs for a one-shot call with these shapes: whichever of direct
/// and FFT has the lower estimated time (see estimate_seconds). A 2D Shape {rows, cols} converts;
/// a 1D signal of length n is {n} (or {1, n}: an axis of 1 changes nothing).
/// @throws Error  as convolve, for shapes that convolve would refuse.
[[nodiscard]] Method choose_method(const Extents& a, const Extents& b, Mode mode, ElementType type,
                                   const Axes& axes = {});

/// Estimated seconds for one call of convolve(a, b, mode, method) on one core of the machine the
/// cost model was measured on: direct = c_mac · (multiply-adds actually performed) + c_call · (inner
/// loop passes); fft = fixed cost + N·log2(N) · (c_nlogn + c_spill · doublings of the data beyond the
/// L2 cache) per transform (three: two forward, one inverse), N the padded transform size, c_nlogn
/// apart for transforms along one axis and along several. Where the FFT path would cut the work
/// into tiles (overlap-save), the estimate is the tiles'. The constants are in
/// lib/src/cost_model.cpp with the measurement that set them.
/// @throws Error  as convolve; also for Method::automatic, which has no cost of its own.
[[nodiscard]] double estimate_seconds(const Extents& a, const Extents& b, Mode mode, ElementType type, Method method,
                                      const Axes& axes = {});

/// A bound on the FFT method's error, as a fraction of max|a| · max|b| · K (K the element count of
/// the smaller operand, max|a|·max|b|·K the largest value the result can hold):
/// |fft − exact| <= fft_error_bound(...) · max|a| · max|b| · K, with fft_error_bound = 4·ε·log2(N),
/// ε the element type's machine epsilon and N the padded transform size. A measured bound with a
/// margin, not a proof: random data (float, inputs 64²–2048², kernels 3²–255², against double
/// sums) stayed under 0.02 of it, and the worst case found, a step from 1e4 to 1e-4 under a box
/// kernel, reached 0.25.
/// The error is absolute: outputs much smaller than max|a|·max|b|·K (values near 1e-8 next to
/// values near 1e8) can be swamped by it, where the direct sum keeps them.
/// It holds for finite inputs of any magnitude: the FFT path multiplies each operand by a power of
/// two that brings its largest magnitude to [0.5, 1) and the result by the inverse powers (exact),
/// so its sums neither overflow (a 256x256 float image of 1e34) nor sink into subnormal numbers.
/// Outputs in the subnormal range round once more, by at most the smallest subnormal number
/// (1.4e-45 in float, 4.9e-324 in double), as the direct sum's do per term. An exact result
/// beyond the largest finite value by more than the bound comes out ±Inf with its sign; the direct
/// sum gives the same when its partial sums overflow the same way (one sign), and ±Inf or NaN
/// where they overflow before cancelling back into range, where the FFT gives the finite value.
/// @throws Error  as convolve.
[[nodiscard]] double fft_error_bound(const Extents& a, const Extents& b, Mode mode, ElementType type,
                                     const Axes& axes = {});

template <Scalar T>
[[nodiscard]] Method choose_method(const Extents& a, const Extents& b, Mode mode, const Axes& axes = {}) {
    return choose_method(a, b, mode, element_type_v<T>, axes);
}

// ---- Conveniences that deduce T, so convolve(x, h) works on std::vector, std::array, Image, views.
// They take contiguous ranges and images of any element type, so that a call with an element type
// fftconv does not compute in (int, long double, unsigned char, …), or with two different ones,
// fails with one line that says so: left to the overload set above, such a call printed 50 to
// 68 lines of failed candidates.

namespace detail {
template <class R>
concept contiguous_signal = std::ranges::contiguous_range<R> && std::ranges::sized_range<R>;
template <class R>
using signal_element_t = std::remove_cv_t<std::ranges::range_value_t<R>>;

template <class T, class R>
std::span<const T> as_span(const R& r) {
    return {std::ranges::data(r), std::ranges::size(r)};
}
}  // namespace detail

/// convolve on any two contiguous ranges (std::vector, std::array, std::span, …) of one element
/// type T, deducing T; the result is a std::vector<T>.
template <detail::contiguous_signal A, detail::contiguous_signal B>
[[nodiscard]] auto convolve(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic) {
    using T = detail::signal_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::convolve takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first, e.g. std::vector<double>(v.begin(), v.end())");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::signal_element_t<B>>,
                      "fftconv::convolve needs one element type for both operands; convert one first, e.g. "
                      "std::vector<double>(v.begin(), v.end())");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::signal_element_t<B>>)
        return convolve<T>(detail::as_span<T>(a), detail::as_span<T>(b), mode, method);
    else
        return std::vector<T>{};
}

/// correlate on any two contiguous ranges of one element type, as convolve above.
template <detail::contiguous_signal A, detail::contiguous_signal B>
[[nodiscard]] auto correlate(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic) {
    using T = detail::signal_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::correlate takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first, e.g. std::vector<double>(v.begin(), v.end())");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::signal_element_t<B>>,
                      "fftconv::correlate needs one element type for both operands; convert one first, e.g. "
                      "std::vector<double>(v.begin(), v.end())");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::signal_element_t<B>>)
        return correlate<T>(detail::as_span<T>(a), detail::as_span<T>(b), mode, method);
    else
        return std::vector<T>{};
}

/// convolve on two images (Image<T>, ImageView<T>, ImageView<const T>, mixed freely) of one
/// element type T, deducing T; the result is an Image<T>.
template <detail::image_like A, detail::image_like B>
[[nodiscard]] auto convolve(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic) {
    using T = detail::image_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::convolve takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first, e.g. fftconv::image_cast<double>(image)");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::image_element_t<B>>,
                      "fftconv::convolve needs one element type for both operands; convert one first, e.g. "
                      "fftconv::image_cast<double>(image)");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::image_element_t<B>>)
        return convolve<T>(detail::const_view(a), detail::const_view(b), mode, method);
    else
        return Image<T>{};
}

/// correlate on two images of one element type, as convolve above.
template <detail::image_like A, detail::image_like B>
[[nodiscard]] auto correlate(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic) {
    using T = detail::image_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::correlate takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first, e.g. fftconv::image_cast<double>(image)");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::image_element_t<B>>,
                      "fftconv::correlate needs one element type for both operands; convert one first, e.g. "
                      "fftconv::image_cast<double>(image)");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::image_element_t<B>>)
        return correlate<T>(detail::const_view(a), detail::const_view(b), mode, method);
    else
        return Image<T>{};
}

/// convolve on two arrays (Array<T>, View<T>, View<const T>, mixed freely) of one element type
/// T, deducing T; the result is an Array<T>.
template <detail::array_like A, detail::array_like B>
[[nodiscard]] auto convolve(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic,
                            Axes axes = {}) {
    using T = detail::array_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::convolve takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::array_element_t<B>>,
                      "fftconv::convolve needs one element type for both operands; convert one first");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::array_element_t<B>>)
        return convolve<T>(View<const T>(a), View<const T>(b), mode, method, axes);
    else
        return Array<T>{};
}

/// correlate on two arrays of one element type, as convolve above.
template <detail::array_like A, detail::array_like B>
[[nodiscard]] auto correlate(const A& a, const B& b, Mode mode = Mode::full, Method method = Method::automatic,
                             Axes axes = {}) {
    using T = detail::array_element_t<A>;
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::correlate takes float, double, std::complex<float> or std::complex<double> elements; "
                  "convert first");
    if constexpr (detail::is_scalar_v<T>)
        static_assert(std::is_same_v<T, detail::array_element_t<B>>,
                      "fftconv::correlate needs one element type for both operands; convert one first");
    if constexpr (detail::is_scalar_v<T> && std::is_same_v<T, detail::array_element_t<B>>)
        return correlate<T>(View<const T>(a), View<const T>(b), mode, method, axes);
    else
        return Array<T>{};
}

}  // namespace fftconv
