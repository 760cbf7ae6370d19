#include "fftconv/delay.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include "context.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/match.hpp"
#include "fftw.hpp"

namespace fftconv {

namespace {

template <Real T>
void check_signal(const char* fn, const char* name, std::span<const T> s) {
    if (s.empty()) throw InvalidArgument(std::string(fn) + ": argument '" + name + "' is empty");
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!std::isfinite(s[i]))
            throw InvalidArgument(std::string(fn) + ": argument '" + name + "' holds a non-finite value at " +
                                  std::to_string(i));
}

// GCC-PHAT: the inverse transform of Y·conj(X)/|Y·conj(X)| at n >= nx + ny − 1 points (no wrap
// between lags), as score[lag + nx − 1] for every lag of the full correlation.
std::vector<double> phat(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t full = x.size() + y.size() - 1;
    std::size_t n = 1;
    while (n < full) n *= 2;
    const detail::Context context = detail::Context::current();
    using F = detail::Fftw<double>;
    using C = std::complex<double>;
    const std::vector<int> dims{static_cast<int>(n)};
    const auto forward = detail::get_plan<double>(detail::Transform::r2c, dims, context);
    const auto inverse = detail::get_plan<double>(detail::Transform::c2r, dims, context);
    const std::size_t half = n / 2 + 1;
    detail::FftwBuffer<double> t(n, context.memory);
    detail::FftwBuffer<C> sx(half, context.memory), sy(half, context.memory);
    const auto transform = [&](const std::vector<double>& v, C* out) {
        std::fill(t.get(), t.get() + n, 0.0);
        std::copy(v.begin(), v.end(), t.get());
        F::execute_r2c(forward->get(), t.get(), reinterpret_cast<F::complex*>(out));
    };
    transform(x, sx.get());
    transform(y, sy.get());
    double largest = 0;
    for (std::size_t k = 0; k < half; ++k) {
        sy.get()[k] *= std::conj(sx.get()[k]);
        largest = std::max(largest, std::abs(sy.get()[k]));
    }
    // Frequencies with (next to) no energy in either signal carry no phase: left out, not
    // amplified into noise.
    for (std::size_t k = 0; k < half; ++k) {
        const double m = std::abs(sy.get()[k]);
        sy.get()[k] = m > 1e-12 * largest ? sy.get()[k] / (m * static_cast<double>(n)) : C{};
    }
    F::execute_c2r(inverse->get(), reinterpret_cast<F::complex*>(sy.get()), t.get());
    std::vector<double> score(full);
    const auto nx = static_cast<std::ptrdiff_t>(x.size());
    for (std::size_t i = 0; i < full; ++i) {
        const std::ptrdiff_t lag = static_cast<std::ptrdiff_t>(i) - (nx - 1);
        score[i] =
            t.get()[static_cast<std::size_t>((lag + static_cast<std::ptrdiff_t>(n)) % static_cast<std::ptrdiff_t>(n))];
    }
    return score;
}

// The score between samples, by band-limited (Lanczos-windowed sinc) interpolation of the
// samples within 16 of the peak: the offset in [−1, 1] where its magnitude is largest.
double refine(const std::vector<double>& score, std::ptrdiff_t peak, std::ptrdiff_t lo, std::ptrdiff_t hi) {
    constexpr int reach = 16;
    const auto at = [&](double t) {
        double sum = 0;
        for (int k = -reach; k <= reach; ++k) {
            const std::ptrdiff_t i = peak + k;
            if (i < lo || i > hi) continue;
            const double u = t - k;
            const double sinc = u == 0 ? 1.0 : std::sin(std::numbers::pi * u) / (std::numbers::pi * u);
            const double w = std::abs(u) >= reach ? 0.0
                             : u == 0             ? 1.0
                                      : std::sin(std::numbers::pi * u / reach) / (std::numbers::pi * u / reach);
            sum += score[static_cast<std::size_t>(i)] * sinc * w;
        }
        return std::abs(sum);
    };
    // Only toward neighbours that exist: at the end of the lag range the peak stays whole.
    const double from = peak > lo ? -1.0 : 0.0, to = peak < hi ? 1.0 : 0.0;
    double best_t = 0, best = at(0);
    constexpr int steps = 64;
    for (int s = static_cast<int>(from * steps); s <= static_cast<int>(to * steps); ++s) {
        const double t = static_cast<double>(s) / steps;
        const double v = at(t);
        if (v > best) {
            best = v;
            best_t = t;
        }
    }
    // A parabola through the grid points around the best one.
    const double h = 1.0 / steps;
    if (best_t - h >= from && best_t + h <= to) {
        const double a = at(best_t - h), c = at(best_t + h), d = a - 2 * best + c;
        if (d < 0) best_t += 0.5 * h * (a - c) / d;
    }
    return best_t;
}

}  // namespace

template <Real T>
std::vector<double> scores_of(const char* fn, std::span<const T> x, std::span<const T> y, DelayMethod method) {
    check_signal(fn, "x", x);
    check_signal(fn, "y", y);
    if (method != DelayMethod::xcorr && method != DelayMethod::normalized && method != DelayMethod::phat)
        throw InvalidArgument(std::string(fn) + ": method " + std::to_string(static_cast<int>(method)) +
                              " is not one of xcorr, normalized, phat");
    const std::vector<double> xd(x.begin(), x.end()), yd(y.begin(), y.end());
    if (method == DelayMethod::phat) return phat(xd, yd);
    // score[i] = Σ_n y(n + lag) x(n) with lag = i − (nx − 1): y's copy of x(n) at n + lag.
    std::vector<double> score = correlate(std::span<const double>(yd), std::span<const double>(xd), Mode::full);
    if (method == DelayMethod::normalized) {
        double ex = 0, ey = 0;
        for (double v : xd) ex += v * v;
        for (double v : yd) ey += v * v;
        const double norm = std::sqrt(ex) * std::sqrt(ey);
        for (double& v : score) v = norm > 0 ? v / norm : 0.0;
    }
    return score;
}

template <Real T>
std::vector<double> delay_scores(std::span<const T> x, std::span<const T> y, DelayMethod method) {
    return scores_of("delay_scores", x, y, method);
}

template <Real T>
Delay find_delay(std::span<const T> x, std::span<const T> y, std::ptrdiff_t max_lag, DelayMethod method) {
    const std::vector<double> score = scores_of("find_delay", x, y, method);
    const auto nx = static_cast<std::ptrdiff_t>(x.size()), ny = static_cast<std::ptrdiff_t>(y.size());
    std::ptrdiff_t lo = -(nx - 1), hi = ny - 1;
    if (max_lag >= 0) {
        lo = std::max(lo, -max_lag);
        hi = std::min(hi, max_lag);
    }
    Delay d;
    double best = -1;
    for (std::ptrdiff_t lag = lo; lag <= hi; ++lag) {
        const double v = std::abs(score[static_cast<std::size_t>(lag + nx - 1)]);
        if (v > best || (v == best && std::abs(lag) < std::abs(d.lag))) {
            best = v;
            d.lag = lag;
        }
    }
    d.score = score[static_cast<std::size_t>(d.lag + nx - 1)];
    d.samples = static_cast<double>(d.lag);
    if (best > 0) d.samples += refine(score, d.lag + nx - 1, lo + nx - 1, hi + nx - 1);
    return d;
}

template <Real T>
Image<T> snippet_image(const char* fn, std::span<const T> recording, std::span<const T> snippet) {
    check_signal(fn, "recording", recording);
    check_signal(fn, "snippet", snippet);
    if (snippet.size() > recording.size())
        throw InvalidArgument(std::string(fn) + ": the snippet (" + std::to_string(snippet.size()) +
                              " samples) is longer than the recording (" + std::to_string(recording.size()) + ")");
    const ImageView<const T> r(recording.data(), 1, static_cast<std::ptrdiff_t>(recording.size()));
    const ImageView<const T> s(snippet.data(), 1, static_cast<std::ptrdiff_t>(snippet.size()));
    return match_template<T>(r, s, MatchMethod::ccoeff_normed);
}

template <Real T>
std::vector<SnippetMatch> find_snippet(std::span<const T> recording, std::span<const T> snippet, std::size_t count,
                                       std::ptrdiff_t min_distance) {
    if (min_distance < 0)
        throw InvalidArgument("find_snippet: min_distance must be 0 or more, got " + std::to_string(min_distance));
    const Image<T> scores = snippet_image("find_snippet", recording, snippet);
    std::vector<SnippetMatch> out;
    for (const Peak& p : find_peaks<T>(scores.view(), count, min_distance)) out.push_back({p.col, p.score});
    return out;
}

template <Real T>
std::vector<double> snippet_scores(std::span<const T> recording, std::span<const T> snippet) {
    const Image<T> scores = snippet_image("snippet_scores", recording, snippet);
    const ImageView<const T> v = scores.view();
    std::vector<double> out(static_cast<std::size_t>(v.cols));
    for (std::ptrdiff_t c = 0; c < v.cols; ++c) out[static_cast<std::size_t>(c)] = v(0, c);
    return out;
}

std::vector<std::ptrdiff_t> correlation_lags(std::size_t n_a, std::size_t n_b, Mode mode) {
    if (n_a == 0 || n_b == 0)
        throw InvalidArgument("correlation_lags: lengths must be 1 or more, got " + std::to_string(n_a) + " and " +
                              std::to_string(n_b));
    const auto a = static_cast<std::ptrdiff_t>(n_a), b = static_cast<std::ptrdiff_t>(n_b);
    std::ptrdiff_t first = 0, count = 0;
    switch (mode) {
        case Mode::full:
            first = -(b - 1);
            count = a + b - 1;
            break;
        case Mode::same:
            // scipy's: the full lags' centred a of them.
            first = -(b - 1) + (a + b - 1) / 2 - a / 2;
            count = a;
            break;
        case Mode::valid:
            first = a >= b ? 0 : a - b;
            count = std::abs(a - b) + 1;
            break;
        default:
            throw InvalidArgument("correlation_lags: mode " + std::to_string(static_cast<int>(mode)) +
                                  " is not one of full, same, valid");
    }
    std::vector<std::ptrdiff_t> lags(static_cast<std::size_t>(count));
    for (std::ptrdiff_t i = 0; i < count; ++i) lags[static_cast<std::size_t>(i)] = first + i;
    return lags;
}

template std::vector<double> delay_scores<float>(std::span<const float>, std::span<const float>, DelayMethod);
template std::vector<double> delay_scores<double>(std::span<const double>, std::span<const double>, DelayMethod);
template std::vector<double> snippet_scores<float>(std::span<const float>, std::span<const float>);
template std::vector<double> snippet_scores<double>(std::span<const double>, std::span<const double>);
template Delay find_delay<float>(std::span<const float>, std::span<const float>, std::ptrdiff_t, DelayMethod);
template Delay find_delay<double>(std::span<const double>, std::span<const double>, std::ptrdiff_t, DelayMethod);
template std::vector<SnippetMatch> find_snippet<float>(std::span<const float>, std::span<const float>, std::size_t,
                                                       std::ptrdiff_t);
template std::vector<SnippetMatch> find_snippet<double>(std::span<const double>, std::span<const double>, std::size_t,
                                                        std::ptrdiff_t);

}  // namespace fftconv
