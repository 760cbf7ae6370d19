// Template matching (cv::matchTemplate's six methods) and peak picking on the score map.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// cv::matchTemplate's methods, in OpenCV's order (TM_SQDIFF = 0 … TM_CCOEFF_NORMED = 5). For the
/// template T (h x w) over the window I of the image at (r, c), sums over the h·w pixels (and over
/// the channels for colour), T' = T − mean(T), I' = I − mean(I) per channel:
///     sqdiff         Σ (T − I)²
///     sqdiff_normed  Σ (T − I)² / sqrt(Σ T² · Σ I²)
///     ccorr          Σ T·I
///     ccorr_normed   Σ T·I / sqrt(Σ T² · Σ I²)
///     ccoeff         Σ T'·I'
///     ccoeff_normed  Σ T'·I' / sqrt(Σ T'² · Σ I'²)
/// Degenerate denominators behave as in OpenCV 4.6: a flat template gives ccoeff_normed 1
/// everywhere; a window whose energy (Σ I², or Σ I'² for ccoeff) is within rounding of zero gives
/// 0 for the *_normed correlations and 1 for sqdiff_normed; normed scores within 12.5% beyond ±1
/// (rounding) are clamped to ±1, further beyond to 0 (1 for sqdiff_normed).
enum class MatchMethod { sqdiff, sqdiff_normed, ccorr, ccorr_normed, ccoeff, ccoeff_normed };

/// True for sqdiff and sqdiff_normed, whose best match is the lowest score.
[[nodiscard]] bool lower_is_better(MatchMethod method);
/// "sqdiff", …, "ccoeff_normed".
[[nodiscard]] const char* to_string(MatchMethod method);

/// Scores of `templ` at every position where it lies inside `image`: (H − h + 1) x (W − w + 1),
/// score(r, c) for the window with top-left corner (r, c). Equal to cv::matchTemplate. The
/// correlation term runs through a one-shot correlation in double precision, whatever T (a float
/// FFT would miss OpenCV by up to 3e-2 on low-texture images); window sums come from running sums
/// in double, slid row by row.
/// As in OpenCV, a template larger than the image in both dimensions swaps roles with it.
/// @throws Error  empty inputs, or neither input at least as large as the other in both dimensions.
template <Real T>
[[nodiscard]] Image<T> match_template(ImageView<const T> image, ImageView<const T> templ, MatchMethod method,
                                      Method conv_method = Method::automatic);

/// Multi-channel matching: one view per channel (any strides, so the channels of an interleaved
/// image are views with col_stride = channels). The sums run over the channels, as OpenCV's do.
/// @throws Error  also when the channel counts differ or the channels' shapes differ.
template <Real T>
[[nodiscard]] Image<T> match_template(std::span<const ImageView<const T>> image,
                                      std::span<const ImageView<const T>> templ, MatchMethod method,
                                      Method conv_method = Method::automatic);

/// A location in a score map.
struct Peak {
    std::ptrdiff_t row = 0;
    std::ptrdiff_t col = 0;
    double score = 0;
};

/// Up to `count` best scores, best first, none within `min_distance` pixels of a better one
/// (Chebyshev distance: |Δrow| and |Δcol| both <= min_distance suppresses) — greedy non-maximum
/// suppression. `lowest` picks minima instead (for the sqdiff methods). NaN scores are skipped.
/// @throws Error  min_distance < 0.
template <Real T>
[[nodiscard]] std::vector<Peak> find_peaks(ImageView<const T> scores, std::size_t count, std::ptrdiff_t min_distance,
                                           bool lowest = false);

// ---- The same calls deducing T from an Image<T>, ImageView<T> or ImageView<const T> argument.
// They take images of any element type, so that one of another type (int, unsigned char, …) fails
// with one line that says so rather than with 30 lines of failed candidates.

template <detail::image_like V, detail::image_like K>
[[nodiscard]] auto match_template(const V& image, const K& templ, MatchMethod method,
                                  Method conv_method = Method::automatic) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::match_template takes float or double images; convert first, e.g. "
                  "fftconv::image_cast<float>(image)");
    if constexpr (detail::is_real_v<T>)
        static_assert(std::is_same_v<T, detail::image_element_t<K>>,
                      "fftconv::match_template needs the template's element type to be the image's; convert it "
                      "first, e.g. fftconv::image_cast<float>(templ)");
    if constexpr (detail::is_real_v<T> && std::is_same_v<T, detail::image_element_t<K>>)
        return match_template<T>(detail::const_view(image), detail::const_view(templ), method, conv_method);
    else
        return Image<T>{};
}
template <detail::image_like V>
[[nodiscard]] std::vector<Peak> find_peaks(const V& scores, std::size_t count, std::ptrdiff_t min_distance,
                                           bool lowest = false) {
    using T = detail::image_element_t<V>;
    static_assert(detail::is_real_v<T>,
                  "fftconv::find_peaks takes float or double score maps; convert first, e.g. "
                  "fftconv::image_cast<float>(scores)");
    if constexpr (detail::is_real_v<T>)
        return find_peaks<T>(detail::const_view(scores), count, min_distance, lowest);
    else
        return {};
}

}  // namespace fftconv
