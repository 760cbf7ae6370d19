// 1D signals: the delay between two recordings (cross-correlation or GCC-PHAT, to a fraction of
// a sample), where a snippet occurs in a recording, and the lag of each correlation output.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "fftconv/types.hpp"

namespace fftconv {

/// How find_delay scores each lag d (y compared with x shifted d samples later):
///   xcorr       c(d) = Σ_n y(n) x(n − d): the plain cross-correlation (correlate(y, x, full)).
///   normalized  c(d) / sqrt(Σ x² · Σ y²): the same peak, with a score in [−1, 1] (MATLAB's
///               xcorr 'normalized'); 0 when either signal is all zeros.
///   phat        GCC-PHAT: the inverse transform of Y·conj(X) / |Y·conj(X)| (every frequency
///               weighted alike, so a reverberant or coloured pair still gives one sharp peak);
///               the score is that correlation's value, at most 1.
/// The delay is the lag whose score has the largest magnitude (a polarity-inverted copy is found
/// too), the smallest |lag| among equals, as MATLAB's finddelay picks it.
enum class DelayMethod { xcorr, normalized, phat };

struct Delay {
    std::ptrdiff_t lag = 0;  ///< whole samples: y(n) ≈ x(n − lag); positive when y lags x
    double samples = 0;      ///< refined to a fraction of a sample (band-limited interpolation of
                             ///< the score around the peak)
    double score = 0;        ///< the method's score at `lag`
};

/// The delay of `y` against `x` (MATLAB's finddelay(x, y)): x = [1 2 3], y = [0 0 1 2 3] gives 2.
/// Lags from −(x.size() − 1) to y.size() − 1, or within ±max_lag when max_lag >= 0.
/// @throws InvalidArgument  an empty signal, a non-finite value, a method outside the enum.
template <Real T>
[[nodiscard]] Delay find_delay(std::span<const T> x, std::span<const T> y, std::ptrdiff_t max_lag = -1,
                               DelayMethod method = DelayMethod::xcorr);

/// The score find_delay maximises, at every lag: element i is the score of lag
/// i − (x.size() − 1), from −(x.size() − 1) to y.size() − 1 (correlation_lags(y.size(), x.size()));
/// for plotting the correlation curve, or a search of one's own (several peaks, a weighting).
/// @throws InvalidArgument  as find_delay.
template <Real T>
[[nodiscard]] std::vector<double> delay_scores(std::span<const T> x, std::span<const T> y,
                                               DelayMethod method = DelayMethod::xcorr);

/// Where `snippet` occurs in `recording`: up to `count` starting positions, best first, by
/// normalised correlation (match_template's ccoeff_normed on 1 x N signals: 1 is an exact copy up
/// to gain and offset), none within `min_distance` samples of a better one (find_peaks).
/// @throws InvalidArgument  empty signals, a snippet longer than the recording, min_distance < 0.
struct SnippetMatch {
    std::ptrdiff_t position = 0;  ///< first sample of the match in the recording
    double score = 0;
};
template <Real T>
[[nodiscard]] std::vector<SnippetMatch> find_snippet(std::span<const T> recording, std::span<const T> snippet,
                                                     std::size_t count = 1, std::ptrdiff_t min_distance = 0);

/// The score find_snippet ranks, at every position: element p is the normalised correlation of
/// the snippet with recording[p, p + snippet.size()), recording.size() − snippet.size() + 1 of them.
/// @throws InvalidArgument  as find_snippet.
template <Real T>
[[nodiscard]] std::vector<double> snippet_scores(std::span<const T> recording, std::span<const T> snippet);

/// The lag of each output of correlate(a, b, mode) for 1D a of n_a and b of n_b samples:
/// scipy.signal.correlation_lags(n_a, n_b, mode). Output k of Mode::full has lag k − (n_b − 1).
/// @throws InvalidArgument  a length below 1, a mode outside the enum.
[[nodiscard]] std::vector<std::ptrdiff_t> correlation_lags(std::size_t n_a, std::size_t n_b, Mode mode = Mode::full);

}  // namespace fftconv
