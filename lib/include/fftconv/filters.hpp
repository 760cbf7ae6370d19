// Filters on top of the convolution core: same-size correlation and convolution with a border at
// any rank (scipy.ndimage's filter, filter_convolve, gaussian_filter), and the 2D image filters
// as their special case (filter2d, sep_filter2d, Gaussian blur, Sobel derivatives), plus borders
// and frequency-domain low-pass / high-pass filters. Every filter takes one channel; for colour
// images apply it per channel (<fftconv/opencv.hpp> has per_channel for cv::Mat).
//
// NaN and ±Inf in filter2d, sep_filter2d, gaussian_blur, sobel and sobel_magnitude: a kernel tap that
// is 0 is not applied, as in cv::filter2D, so a non-finite pixel reaches exactly the outputs a
// nonzero tap carries it to (Sobel's x derivative of a NaN: NaN left and right of it, not at it).
// Every method and path (two 1D passes, the 2D sum, the FFT with its repair) puts NaN, +Inf and
// -Inf in the same outputs. A non-finite kernel tap reaches every output, through the border's
// values too. cv::Sobel gives the same with ksize 3 on float data inside the image; some of its
// loops (double data, ksize 7, the last columns) multiply the zero taps, and cv::filter2D switches
// to a DFT for kernels of 13x13 and more (NaN everywhere). convolve and correlate follow IEEE
// arithmetic instead (see Method).
#pragma once

#include <concepts>
#include <span>
#include <type_traits>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// Same-size correlation at any rank, scipy.ndimage.correlate(a, kernel, mode, cval) with origin 0:
///     out(i) = Σ_j conj(kernel(j)) · ext(i + j − kernel.shape / 2)
/// along every axis (the kernel anchored at size // 2, for odd and even sizes), ext the array
/// extended by `border` (Border::constant: cval). The kernel has the array's rank (an axis of 1
/// where it should not reach). For a 2D image this is cv::filter2D with the same border (OpenCV
/// anchors at the same place and takes cval 0). Both methods read the same border, so they agree
/// at the edges; a kernel tap of 0 is not applied (NaN and Inf reach the outputs a nonzero tap
/// carries them to, as in scipy.ndimage and OpenCV). A separable real kernel (an outer product of
/// one vector per axis) runs as one pass per axis when that is cheaper than the FFT. Array and
/// kernel are never modified.
/// @throws InvalidArgument  an empty array or kernel, different ranks, a border or method outside
///                          the enums, an `out` of another shape or sharing memory with the array.
/// @throws OutOfMemory  as convolve.
template <Scalar T>
[[nodiscard]] Array<T> filter(View<const T> a, View<const T> kernel, Border border = Border::reflect, T cval = T(0),
                              Method method = Method::automatic);
/// The same into `out` (a's shape, not overlapping a).
template <Scalar T>
void filter(View<const T> a, View<T> out, View<const T> kernel, Border border = Border::reflect, T cval = T(0),
            Method method = Method::automatic);

/// Same-size convolution at any rank, scipy.ndimage.convolve(a, kernel, mode, cval) with origin 0:
///     out(i) = Σ_j kernel(j) · ext(i − j + (kernel.shape − 1) − (kernel.shape − 1) / 2)
/// i.e. filter() with the kernel reversed (not conjugated) and, for an even size, anchored one
/// lower, as ndimage does. For odd kernels and Border::constant with cval 0 this equals
/// convolve(a, kernel, Mode::same); for even ones scipy.signal's "same" centres differently.
/// @throws as filter.
template <Scalar T>
[[nodiscard]] Array<T> filter_convolve(View<const T> a, View<const T> kernel, Border border = Border::reflect,
                                       T cval = T(0), Method method = Method::automatic);
template <Scalar T>
void filter_convolve(View<const T> a, View<T> out, View<const T> kernel, Border border = Border::reflect, T cval = T(0),
                     Method method = Method::automatic);

/// Estimated seconds for one filter (or filter_convolve) of an array shaped `a` with `kernel` by
/// `method`, on the cost model of estimate_seconds: direct is the passes along each axis for a
/// separable, finite real kernel and the direct sum otherwise; fft the FFT of the array extended
/// by the border. choose_filter_method is the one Method::automatic runs (the lower estimate).
/// @throws InvalidArgument  an empty shape or kernel, different ranks; Method::automatic (which
///                          has no cost of its own) in estimate_filter_seconds.
template <Scalar T>
[[nodiscard]] double estimate_filter_seconds(const Extents& a, View<const T> kernel, Method method);
template <Scalar T>
[[nodiscard]] Method choose_filter_method(const Extents& a, View<const T> kernel);

/// Gaussian blur at any rank, scipy.ndimage.gaussian_filter(a, sigma, mode, cval, truncate): the
/// sampled Gaussian gaussian_kernel(sigma[axis], truncate) along each axis — one sigma for every
/// axis, or one per axis (0 leaves an axis alone). Separable: one pass per axis, or one FFT
/// product when the cost model prefers it. A 2D image with one sigma is gaussian_blur.
/// @throws InvalidArgument  as filter; a sigma below 0 or not finite, or as many sigmas as
///                          neither 1 nor the rank.
template <Real T>
[[nodiscard]] Array<T> gaussian_filter(View<const T> a, std::span<const double> sigma, Border border = Border::reflect,
                                       Method method = Method::automatic, double truncate = 4.0, T cval = T(0));
template <Real T>
[[nodiscard]] Array<T> gaussian_filter(View<const T> a, double sigma, Border border = Border::reflect,
                                       Method method = Method::automatic, double truncate = 4.0, T cval = T(0)) {
    return gaussian_filter<T>(a, std::span<const double>(&sigma, 1), border, method, truncate, cval);
}

/// The image with `top`, `bottom`, `left` and `right` pixels added, filled by `border`
/// (cv::copyMakeBorder).  @throws Error  empty image or a negative width.
template <Real T>
[[nodiscard]] Image<T> extend_border(ImageView<const T> image, std::ptrdiff_t top, std::ptrdiff_t bottom,
                                     std::ptrdiff_t left, std::ptrdiff_t right, Border border);

/// Same-size correlation with the anchor at the kernel centre (kernel.rows/2, kernel.cols/2):
///     out(r, c) = Σ_ij kernel(i, j) · image(r + i - kernel.rows/2, c + j - kernel.cols/2)
/// with pixels outside the image taken from `border` — cv::filter2D(src, dst, -1, kernel,
/// Point(-1, -1), 0, border), odd or even kernels, any kernel size. Both methods extend the border
/// first and take the valid part, so they agree at the edges too.
/// @throws Error  empty image or kernel.
template <Real T>
[[nodiscard]] Image<T> filter2d(ImageView<const T> image, ImageView<const T> kernel, Border border = Border::reflect101,
                                Method method = Method::automatic);
/// The same into `out` (the image's shape, not overlapping it), as cv::filter2D's dst: the result
/// is not allocated (the FFT path allocates its transform's buffers, the direct path a padded
/// copy of the image). A rank-1 kernel (ky·kxᵀ within 1e-6 relative in float, 1e-12 in double)
/// runs as two 1D passes unless `method` is fft.
template <Real T>
void filter2d(ImageView<const T> image, ImageView<T> out, ImageView<const T> kernel, Border border = Border::reflect101,
              Method method = Method::automatic);

/// filter2d with the separable kernel ky ⊗ kx (ky down the rows, kx along them) — cv::sepFilter2D.
/// The direct method runs two 1D passes; the FFT method one 2D product.
template <Real T>
[[nodiscard]] Image<T> sep_filter2d(ImageView<const T> image, std::span<const T> kx, std::span<const T> ky,
                                    Border border = Border::reflect101, Method method = Method::automatic);
/// The same into `out` (the image's shape, not overlapping it).
template <Real T>
void sep_filter2d(ImageView<const T> image, ImageView<T> out, std::span<const T> kx, std::span<const T> ky,
                  Border border = Border::reflect101, Method method = Method::automatic);

/// The sampled Gaussian exp(-x²/2σ²), x = -r..r with radius r = int(truncate·σ + 0.5), normalised
/// to sum 1: scipy.ndimage.gaussian_filter1d's kernel.  @throws Error  σ <= 0, truncate <= 0,
/// or a radius beyond 2^20.
template <Real T>
[[nodiscard]] std::vector<T> gaussian_kernel(double sigma, double truncate = 4.0);

/// Gaussian blur with gaussian_kernel(sigma, truncate) along both axes: equal to
/// scipy.ndimage.gaussian_filter(image, sigma, mode='reflect', truncate=4) with the default border,
/// and to cv::GaussianBlur with ksize = 2r+1 and the same border.
template <Real T>
[[nodiscard]] Image<T> gaussian_blur(ImageView<const T> image, double sigma, Border border = Border::reflect,
                                     Method method = Method::automatic, double truncate = 4.0);
/// The same into `out` (the image's shape, not overlapping it).
template <Real T>
void gaussian_blur(ImageView<const T> image, ImageView<T> out, double sigma, Border border = Border::reflect,
                   Method method = Method::automatic, double truncate = 4.0);

/// The separable Sobel kernels of cv::getDerivKernels: `x` (length ksize) differentiates `dx`
/// times along the rows and smooths otherwise; `y` likewise for `dy`. ksize 1 means no smoothing
/// (a 3-tap difference on the differentiated axis); ksize -1 is the 3x3 Scharr operator.
/// @throws Error  ksize not -1 or odd in 1..31, dx or dy negative, dx + dy == 0, an order not
///                below ksize (ksize 1 allows orders up to 2), or Scharr with dx + dy != 1.
struct SobelKernels {
    std::vector<double> x;
    std::vector<double> y;
};
[[nodiscard]] SobelKernels sobel_kernels(int dx, int dy, int ksize = 3);

/// The dx-th x derivative and dy-th y derivative: cv::Sobel(image, dst, CV_32F/CV_64F, dx, dy,
/// ksize, 1, 0, border). Positive where intensity grows to the right (x) or downwards (y).
template <Real T>
[[nodiscard]] Image<T> sobel(ImageView<const T> image, int dx, int dy, int ksize = 3,
                             Border border = Border::reflect101, Method method = Method::automatic);
/// The same into `out` (the image's shape, not overlapping it).
template <Real T>
void sobel(ImageView<const T> image, ImageView<T> out, int dx, int dy, int ksize = 3,
           Border border = Border::reflect101, Method method = Method::automatic);

/// Gradient magnitude sqrt(gx² + gy²) of the first Sobel derivatives (NaN where either is NaN, as
/// cv::magnitude; computed without overflow for large gradients).
template <Real T>
[[nodiscard]] Image<T> sobel_magnitude(ImageView<const T> image, int ksize = 3, Border border = Border::reflect101,
                                       Method method = Method::automatic);

/// Transfer functions of the frequency-domain filters. With u, v each axis's frequency as a
/// fraction of its Nyquist frequency (-1..1) and ρ = sqrt(u² + v²), for a cutoff ρ0:
///     ideal        H = 1 where ρ <= ρ0, else 0
///     gaussian     H = exp(-ρ² / (2 ρ0²))          (H(ρ0) = 0.61)
///     butterworth  H = 1 / (1 + (ρ / ρ0)^(2·order)) (H(ρ0) = 0.5)
/// highpass uses 1 - H.
enum class FilterShape { ideal, gaussian, butterworth };

/// Low-pass filtering in the frequency domain: real FFT, product with H, inverse FFT; the output
/// has the image's size. The FFT treats the image as periodic, so a bright left edge would bleed
/// into a dark right edge: unless `border` is wrap (no padding: the plain periodic filter), the
/// image is extended by at least half its size on every side with `border` (to the padded length
/// FFTW transforms fastest; the FFT method reads the border as the transform loads, without a
/// padded copy), and the result cropped back.
/// Method::direct computes the same circular convolution with the filter's spatial kernel, the
/// inverse FFT of H — exact, and O(N²): a reference for small images.
/// @throws Error  empty image, cutoff <= 0, order < 1.
template <Real T>
[[nodiscard]] Image<T> lowpass(ImageView<const T> image, double cutoff, FilterShape shape = FilterShape::ideal,
                               int order = 2, Border border = Border::reflect, Method method = Method::automatic);

/// image − lowpass(image, …): the complementary high-pass filter 1 − H.
template <Real T>
[[nodiscard]] Image<T> highpass(ImageView<const T> image, double cutoff, FilterShape shape = FilterShape::ideal,
                                int order = 2, Border border = Border::reflect, Method method = Method::automatic);

/// The filter's gain H at each frequency of a rows x cols transform, in display order (zero
/// frequency at the centre, (rows/2, cols/2), as numpy.fft.fftshift places it).
template <Real T>
[[nodiscard]] Image<T> transfer_function(Shape shape, double cutoff, FilterShape shape_kind, int order = 2,
                                         bool high = false);

/// log(1 + |F|) of the image's 2D DFT for display: fftshifted (zero frequency at (rows/2, cols/2),
/// as numpy.fft.fftshift places it), then stretched from its minimum (0) to its largest value
/// away from zero frequency (1). The zero-frequency term, the image mean's and usually far larger
/// than the rest, is clipped at 1 rather than allowed to darken everything else.
template <Real T>
[[nodiscard]] Image<T> log_spectrum(ImageView<const T> image);

// ---- filter, filter_convolve and gaussian_filter on Array<T> and View<T> arguments, deducing T.

template <detail::array_like A, detail::array_like K>
[[nodiscard]] auto filter(const A& a, const K& kernel, Border border = Border::reflect,
                          detail::array_element_t<A> cval = {}, Method method = Method::automatic) {
    using T = detail::array_element_t<A>;
    static_assert(detail::is_scalar_v<T> && std::is_same_v<T, detail::array_element_t<K>>,
                  "fftconv::filter takes float, double, std::complex<float> or std::complex<double>, one type for "
                  "the array and the kernel");
    return filter<T>(View<const T>(a), View<const T>(kernel), border, cval, method);
}
template <detail::array_like A, detail::array_like K>
[[nodiscard]] auto filter_convolve(const A& a, const K& kernel, Border border = Border::reflect,
                                   detail::array_element_t<A> cval = {}, Method method = Method::automatic) {
    using T = detail::array_element_t<A>;
    static_assert(detail::is_scalar_v<T> && std::is_same_v<T, detail::array_element_t<K>>,
                  "fftconv::filter_convolve takes float, double, std::complex<float> or std::complex<double>, one "
                  "type for the array and the kernel");
    return filter_convolve<T>(View<const T>(a), View<const T>(kernel), border, cval, method);
}
template <detail::array_like A>
[[nodiscard]] auto gaussian_filter(const A& a, double sigma, Border border = Border::reflect,
                                   Method method = Method::automatic, double truncate = 4.0) {
    using T = detail::array_element_t<A>;
    static_assert(detail::is_real_v<T>, "fftconv::gaussian_filter takes float or double arrays");
    return gaussian_filter<T>(View<const T>(a), sigma, border, method, truncate);
}

// ---- The same calls deducing T from an Image<T>, ImageView<T> or ImageView<const T> argument.
// They take images of any element type, so that one of another type (int, unsigned char, …), or a
// kernel of another type than the image, fails with one line that says so rather than with 30 to
// 45 lines of failed candidates.

template <detail::image_like V>
[[nodiscard]] auto extend_border(const V& image, std::ptrdiff_t top, std::ptrdiff_t bottom, std::ptrdiff_t left,
                                 std::ptrdiff_t right, Border border) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::extend_border takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return extend_border<T>(detail::const_view(image), top, bottom, left, right, border);
    else
        return Image<T>{};
}
template <detail::image_like V, detail::image_like K>
[[nodiscard]] auto filter2d(const V& image, const K& kernel, Border border = Border::reflect101,
                            Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::filter2d takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        static_assert(std::is_same_v<T, detail::image_element_t<K>>,
                      "fftconv::filter2d needs the kernel's element type to be the image's; convert it first, "
                      "e.g. fftconv::image_cast<float>(kernel)");
    if constexpr (detail::is_real_v<T> && std::is_same_v<T, detail::image_element_t<K>>)
        return filter2d<T>(detail::const_view(image), detail::const_view(kernel), border, method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto sep_filter2d(const V& image, std::span<const detail::image_element_t<V>> kx,
                                std::span<const detail::image_element_t<V>> ky, Border border = Border::reflect101,
                                Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::sep_filter2d takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return sep_filter2d<T>(detail::const_view(image), kx, ky, border, method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto gaussian_blur(const V& image, double sigma, Border border = Border::reflect,
                                 Method method = Method::automatic, double truncate = 4.0) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::gaussian_blur takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return gaussian_blur<T>(detail::const_view(image), sigma, border, method, truncate);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto sobel(const V& image, int dx, int dy, int ksize = 3, Border border = Border::reflect101,
                         Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::sobel takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return sobel<T>(detail::const_view(image), dx, dy, ksize, border, method);
    else
        return Image<T>{};
}
// Into a caller's `out`: T from the image, out an ImageView<T> (Image<T>::view()).
template <detail::image_like V, detail::image_like K>
void filter2d(const V& image, ImageView<detail::image_element_t<V>> out, const K& kernel,
              Border border = Border::reflect101, Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::filter2d takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        static_assert(std::is_same_v<T, detail::image_element_t<K>>,
                      "fftconv::filter2d needs the kernel's element type to be the image's; convert it first, "
                      "e.g. fftconv::image_cast<float>(kernel)");
    if constexpr (detail::is_real_v<T> && std::is_same_v<T, detail::image_element_t<K>>)
        filter2d<T>(detail::const_view(image), out, detail::const_view(kernel), border, method);
}
template <detail::image_like V>
void sep_filter2d(const V& image, ImageView<detail::image_element_t<V>> out,
                  std::span<const detail::image_element_t<V>> kx, std::span<const detail::image_element_t<V>> ky,
                  Border border = Border::reflect101, Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::sep_filter2d takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>) sep_filter2d<T>(detail::const_view(image), out, kx, ky, border, method);
}
template <detail::image_like V>
void gaussian_blur(const V& image, ImageView<detail::image_element_t<V>> out, double sigma,
                   Border border = Border::reflect, Method method = Method::automatic, double truncate = 4.0) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::gaussian_blur takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        gaussian_blur<T>(detail::const_view(image), out, sigma, border, method, truncate);
}
template <detail::image_like V>
void sobel(const V& image, ImageView<detail::image_element_t<V>> out, int dx, int dy, int ksize = 3,
           Border border = Border::reflect101, Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::sobel takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>) sobel<T>(detail::const_view(image), out, dx, dy, ksize, border, method);
}
template <detail::image_like V>
[[nodiscard]] auto sobel_magnitude(const V& image, int ksize = 3, Border border = Border::reflect101,
                                   Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::sobel_magnitude takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return sobel_magnitude<T>(detail::const_view(image), ksize, border, method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto lowpass(const V& image, double cutoff, FilterShape shape = FilterShape::ideal, int order = 2,
                           Border border = Border::reflect, Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::lowpass takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return lowpass<T>(detail::const_view(image), cutoff, shape, order, border, method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto highpass(const V& image, double cutoff, FilterShape shape = FilterShape::ideal, int order = 2,
                            Border border = Border::reflect, Method method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::highpass takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return highpass<T>(detail::const_view(image), cutoff, shape, order, border, method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] auto log_spectrum(const V& image) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::log_spectrum takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        return log_spectrum<T>(detail::const_view(image));
    else
        return Image<T>{};
}

}  // namespace fftconv
