// Template matching: the correlation term by a one-shot correlation in double, window statistics
// from running sums (Lewis, "Fast normalized cross-correlation"), then OpenCV 4.6's normalisation.
#include "fftconv/match.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <string>

#include "fftconv/convolve.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "values.hpp"

namespace fftconv {

bool lower_is_better(MatchMethod method) {
    return method == MatchMethod::sqdiff || method == MatchMethod::sqdiff_normed;
}

const char* to_string(MatchMethod method) {
    switch (method) {
        case MatchMethod::sqdiff: return "sqdiff";
        case MatchMethod::sqdiff_normed: return "sqdiff_normed";
        case MatchMethod::ccorr: return "ccorr";
        case MatchMethod::ccorr_normed: return "ccorr_normed";
        case MatchMethod::ccoeff: return "ccoeff";
        case MatchMethod::ccoeff_normed: return "ccoeff_normed";
    }
    return "(invalid MatchMethod)";
}

namespace {

// x = channel v in double (x is reused from channel to channel).
template <Real T>
void to_double(ImageView<const T> v, Image<double>& x) {
    for (std::ptrdiff_t r = 0; r < v.rows; ++r)
        for (std::ptrdiff_t c = 0; c < v.cols; ++c) x(r, c) = static_cast<double>(v(r, c));
}

// The sums of one channel (and of its squares) over every h x w window of one output row: column
// sums over h rows slid down the image one row per output row, then slid along the row. The
// running sums are in double over values that came from T, so their rounding stays far below a
// score's (the integral tables they replace subtracted sums of the whole image above and left).
template <Real T>
class WindowSums {
public:
    WindowSums(ImageView<const T> v, std::ptrdiff_t h, std::ptrdiff_t w, bool squares)
        : v_(v),
          h_(h),
          w_(w),
          squares_(squares),
          col_(static_cast<std::size_t>(v.cols)),
          col2_(squares ? static_cast<std::size_t>(v.cols) : 0) {
        for (std::ptrdiff_t r = 0; r < h; ++r) add_row(r, 1.0);
    }

    // sum[c] and sum2[c] (with squares) for the windows of output row r; rows come in order.
    void row(std::ptrdiff_t r, double* sum, double* sum2) {
        if (r > 0) {
            add_row(r + h_ - 1, 1.0);
            add_row(r - 1, -1.0);
        }
        slide(col_, sum);
        if (squares_) slide(col2_, sum2);
    }

private:
    void add_row(std::ptrdiff_t r, double sign) {
        double* __restrict col = col_.data();
        if (squares_) {
            double* __restrict col2 = col2_.data();
            for (std::ptrdiff_t c = 0; c < v_.cols; ++c) {
                const double x = static_cast<double>(v_(r, c));
                col[c] += sign * x;
                col2[c] += sign * (x * x);
            }
        } else {
            for (std::ptrdiff_t c = 0; c < v_.cols; ++c) col[c] += sign * static_cast<double>(v_(r, c));
        }
    }
    void slide(const std::vector<double>& col, double* out) const {
        double s = std::accumulate(col.begin(), col.begin() + w_, 0.0);
        const std::ptrdiff_t n = v_.cols - w_ + 1;
        out[0] = s;
        for (std::ptrdiff_t c = 1; c < n; ++c) {
            s += col[static_cast<std::size_t>(c + w_ - 1)] - col[static_cast<std::size_t>(c - 1)];
            out[c] = s;
        }
    }

    ImageView<const T> v_;
    std::ptrdiff_t h_, w_;
    bool squares_;
    std::vector<double> col_, col2_;
};

template <Real T>
void check_channels(const char* arg, std::span<const ImageView<const T>> channels) {
    if (channels.empty()) throw InvalidArgument(std::string("match_template: argument '") + arg + "' has no channels");
    for (std::size_t k = 0; k < channels.size(); ++k) {
        const ImageView<const T>& v = channels[k];
        detail::check_image("match_template", arg, v.data, v.shape());
        detail::require_finite("match_template", arg, v, "its window sums would carry them into every later score");
        if (v.shape() != channels[0].shape())
            throw InvalidArgument(std::string("match_template: channel ") + std::to_string(k) + " of '" + arg +
                                  "' is " + to_string(v.shape()) + ", channel 0 is " + to_string(channels[0].shape()));
    }
}

// One channel of the image in double at a time, and the score-sized maps: the correlation, one
// channel's part of it, and the scores: checked before any is made (the correlation checks its
// own transform's buffers).
template <Real T>
void check_match_memory(Shape image, std::size_t channels, Shape out) {
    const std::size_t maps = 1 + (channels > 1);
    const detail::Bytes need =
        detail::Bytes::of(image, sizeof(double)) + detail::Bytes::of(out, maps * sizeof(double) + sizeof(T));
    const detail::MemoryBudget memory = detail::MemoryBudget::current();
    if (!memory.fits(need))
        memory.check("match_template: the " + to_string(image) + " image (" + std::to_string(channels) + " channel" +
                         (channels == 1 ? "" : "s") + ") in double, the " + to_string(out) + " correlation and scores",
                     need);
}

}  // namespace

template <Real T>
Image<T> match_template(std::span<const ImageView<const T>> image, std::span<const ImageView<const T>> templ,
                        MatchMethod method, Method conv_method) {
    if (static_cast<unsigned>(method) > static_cast<unsigned>(MatchMethod::ccoeff_normed))
        throw InvalidArgument("match_template: method " + std::to_string(static_cast<int>(method)) +
                              " is not one of sqdiff, sqdiff_normed, ccorr, ccorr_normed, ccoeff, ccoeff_normed");
    check_channels("image", image);
    check_channels("templ", templ);
    if (image.size() != templ.size())
        throw InvalidArgument("match_template: 'image' has " + std::to_string(image.size()) +
                              " channels, 'templ' has " + std::to_string(templ.size()));
    const Shape is = image[0].shape(), ts = templ[0].shape();
    const bool templ_fits = ts.rows <= is.rows && ts.cols <= is.cols;
    if (!templ_fits && !(is.rows <= ts.rows && is.cols <= ts.cols))
        throw InvalidArgument(
            "match_template: the template must fit inside the image (or, as OpenCV allows, the image "
            "inside the template); got 'image' " +
            to_string(is) + " and 'templ' " + to_string(ts));
    // OpenCV swaps an image smaller than the template in both dimensions with it.
    if (!templ_fits) std::swap(image, templ);
    const std::ptrdiff_t H = image[0].rows, W = image[0].cols, h = templ[0].rows, w = templ[0].cols;
    const std::size_t cn = image.size();
    const Shape out_shape{H - h + 1, W - w + 1};
    check_match_memory<T>({H, W}, cn, out_shape);

    // The correlation term Σ_k Σ T_k · I_k, in double whatever T: the normalisations below
    // subtract nearly equal numbers, and a float correlation would leave errors of 1e-2 there.
    // One channel at a time through one reused copy; a one-shot call, which runs in tiles when
    // their smaller buffers cost less than one transform of everything (fresh pages are much of
    // a large match's time).
    Image<double> corr, x(H, W);
    for (std::size_t k = 0; k < cn; ++k) {
        to_double(image[k], x);
        const Image<double> t = image_cast<double>(templ[k]);
        Image<double> part = correlate<double>(x.view(), t.view(), Mode::valid, conv_method);
        if (k == 0) {
            corr = std::move(part);
        } else {
            for (std::ptrdiff_t i = 0; i < corr.size(); ++i) corr.values()[i] += part.values()[i];
        }
    }
    x = Image<double>();

    Image<T> result(out_shape);
    const auto finish = [&](auto&& score) {
        for (std::ptrdiff_t r = 0; r < out_shape.rows; ++r)
            for (std::ptrdiff_t c = 0; c < out_shape.cols; ++c) result(r, c) = static_cast<T>(score(r, c));
        return result;
    };
    if (method == MatchMethod::ccorr) return finish([&](std::ptrdiff_t r, std::ptrdiff_t c) { return corr(r, c); });

    // Template statistics per channel as cv::meanStdDev computes them: mean and E[T²] - mean².
    const double area = static_cast<double>(h * w), inv_area = 1.0 / area;
    std::vector<double> templ_mean(cn);
    double templ_norm = 0;  // Σ_k variance_k
    for (std::size_t k = 0; k < cn; ++k) {
        double sum = 0, sq = 0;
        for (std::ptrdiff_t r = 0; r < h; ++r)
            for (std::ptrdiff_t c = 0; c < w; ++c) {
                const double x = templ[k](r, c);
                sum += x;
                sq += x * x;
            }
        templ_mean[k] = sum * inv_area;
        templ_norm += std::max(sq * inv_area - templ_mean[k] * templ_mean[k], 0.0);
    }
    const bool coeff = method == MatchMethod::ccoeff || method == MatchMethod::ccoeff_normed;
    const bool sqdiff = lower_is_better(method);
    const bool normed = method == MatchMethod::sqdiff_normed || method == MatchMethod::ccorr_normed ||
                        method == MatchMethod::ccoeff_normed;
    if (method == MatchMethod::ccoeff_normed && templ_norm < DBL_EPSILON) {
        // A flat template correlates equally (perfectly) with everything: OpenCV returns all 1.
        std::fill(result.values().begin(), result.values().end(), T(1));
        return result;
    }
    double templ_sum2 = templ_norm;  // becomes Σ T² (all channels)
    for (double m : templ_mean) templ_sum2 += m * m;
    if (!coeff) {
        std::fill(templ_mean.begin(), templ_mean.end(), 0.0);
        templ_norm = templ_sum2;
    }
    templ_sum2 *= area;
    templ_norm = std::sqrt(templ_norm * area);  // sqrt(Σ T'²), or sqrt(Σ T²) without the means

    // A window's score from its numerator (Σ T·I, less the means' part for ccoeff), Σ_k S_k²
    // (ccoeff) and Σ_k Σ I_k² (normed, sqdiff).
    const auto score = [&](double num, double mean2_sum, double wnd_sum2) {
        const double wnd_mean2 = coeff ? mean2_sum * inv_area : 0.0;  // (Σ I)²/N summed over channels
        if (sqdiff) num = std::max(wnd_sum2 - 2 * num + templ_sum2, 0.0);
        if (normed) {
            // A window whose energy is within rounding of zero has no defined score; OpenCV 4.6
            // treats it as zero energy, which the branches below turn into 0 (1 for sqdiff_normed).
            const double diff2 = std::max(wnd_sum2 - wnd_mean2, 0.0);
            const double t = diff2 <= std::min(0.5, 10 * FLT_EPSILON * wnd_sum2) ? 0.0 : std::sqrt(diff2) * templ_norm;
            if (std::abs(num) < t)
                num /= t;
            else if (std::abs(num) < t * 1.125)
                num = num > 0 ? 1 : -1;
            else
                num = method == MatchMethod::sqdiff_normed ? 1 : 0;
        }
        return num;
    };

    // The window sums, row by row: per channel in order, corr's numerator loses S_k·mean(T_k)
    // (ccoeff), and the row gathers Σ_k S_k² and Σ_k Σ I_k² (normed, sqdiff).
    const bool squares = normed || sqdiff;
    std::vector<WindowSums<T>> sums;
    for (std::size_t k = 0; k < cn; ++k) sums.emplace_back(image[k], h, w, squares);
    const auto n = static_cast<std::size_t>(out_shape.cols);
    std::vector<double> s1(n), s2(n), mean2(n), sum2(n);
    for (std::ptrdiff_t r = 0; r < out_shape.rows; ++r) {
        std::fill(mean2.begin(), mean2.end(), 0.0);
        std::fill(sum2.begin(), sum2.end(), 0.0);
        double* num = &corr(r, 0);
        for (std::size_t k = 0; k < cn; ++k) {
            sums[k].row(r, s1.data(), s2.data());
            if (coeff)
                for (std::size_t c = 0; c < n; ++c) {
                    mean2[c] += s1[c] * s1[c];
                    num[c] -= s1[c] * templ_mean[k];
                }
            if (squares)
                for (std::size_t c = 0; c < n; ++c) sum2[c] += s2[c];
        }
        for (std::size_t c = 0; c < n; ++c)
            result(r, static_cast<std::ptrdiff_t>(c)) = static_cast<T>(score(num[c], mean2[c], sum2[c]));
    }
    return result;
}

template <Real T>
Image<T> match_template(ImageView<const T> image, ImageView<const T> templ, MatchMethod method, Method conv_method) {
    return match_template<T>(std::span<const ImageView<const T>>(&image, 1),
                             std::span<const ImageView<const T>>(&templ, 1), method, conv_method);
}

template <Real T>
std::vector<Peak> find_peaks(ImageView<const T> scores, std::size_t count, std::ptrdiff_t min_distance, bool lowest) {
    if (min_distance < 0)
        throw InvalidArgument("find_peaks: min_distance must not be negative, got " + std::to_string(min_distance));
    if (scores.rows < 0 || scores.cols < 0)
        throw InvalidArgument("find_peaks: argument 'scores' has a negative size (" + to_string(scores.shape()) + ")");
    if (!detail::elements_fit(scores.shape()))
        throw InvalidArgument("find_peaks: argument 'scores' is " + to_string(scores.shape()) +
                              ", more elements than the largest size (" + std::to_string(detail::max_size) + ")");
    const auto at = [&](std::ptrdiff_t i) { return scores(i / scores.cols, i % scores.cols); };
    // Best first, ties in row-major order: a total order, so the result does not depend on how
    // the candidates are found.
    const auto better = [&](std::ptrdiff_t a, std::ptrdiff_t b) {
        const T x = at(a), y = at(b);
        return lowest ? (x < y || (x == y && a < b)) : (x > y || (x == y && a < b));
    };
    // Each peak taken rules out at most (2 min_distance + 1)² candidates, itself included, so the
    // greedy pass below never reads past the best count · (2 min_distance + 1)² scores. Those are
    // found in one pass with a bounded heap (a score map's values rise near its peaks, so most
    // are rejected by one comparison with the heap's worst); sorting every score instead took
    // 6 s of a 4096² match.
    const double side = 2.0 * static_cast<double>(min_distance) + 1;
    const double needed = static_cast<double>(count) * side * side;
    std::vector<std::ptrdiff_t> order;
    if (needed < 0.25 * static_cast<double>(scores.size())) {
        const auto keep = static_cast<std::size_t>(needed);
        order.reserve(keep + 1);
        // A heap whose front is the worst kept candidate.
        for (std::ptrdiff_t i = 0; i < scores.size(); ++i) {
            if (std::isnan(at(i))) continue;
            if (order.size() < keep) {
                order.push_back(i);
                std::push_heap(order.begin(), order.end(), better);
            } else if (keep > 0 && better(i, order.front())) {
                std::pop_heap(order.begin(), order.end(), better);
                order.back() = i;
                std::push_heap(order.begin(), order.end(), better);
            }
        }
    } else {
        order.reserve(static_cast<std::size_t>(std::max<std::ptrdiff_t>(scores.size(), 0)));
        for (std::ptrdiff_t i = 0; i < scores.size(); ++i)
            if (!std::isnan(at(i))) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), better);

    std::vector<Peak> peaks;
    std::vector<char> suppressed(order.size() ? static_cast<std::size_t>(scores.size()) : 0, 0);
    for (std::ptrdiff_t i : order) {
        if (peaks.size() >= count) break;
        if (suppressed[static_cast<std::size_t>(i)]) continue;
        const std::ptrdiff_t r = i / scores.cols, c = i % scores.cols;
        peaks.push_back({r, c, static_cast<double>(at(i))});
        // Everything within min_distance of a chosen peak is out, by marking the square around it.
        for (std::ptrdiff_t y = std::max<std::ptrdiff_t>(0, r - min_distance);
             y <= std::min(scores.rows - 1, r + min_distance); ++y)
            for (std::ptrdiff_t x = std::max<std::ptrdiff_t>(0, c - min_distance);
                 x <= std::min(scores.cols - 1, c + min_distance); ++x)
                suppressed[static_cast<std::size_t>(y * scores.cols + x)] = 1;
    }
    return peaks;
}

#define INSTANTIATE(T)                                                                                            \
    template Image<T> match_template<T>(ImageView<const T>, ImageView<const T>, MatchMethod, Method);             \
    template Image<T> match_template<T>(std::span<const ImageView<const T>>, std::span<const ImageView<const T>>, \
                                        MatchMethod, Method);                                                     \
    template std::vector<Peak> find_peaks<T>(ImageView<const T>, std::size_t, std::ptrdiff_t, bool);
INSTANTIATE(float)
INSTANTIATE(double)

}  // namespace fftconv
