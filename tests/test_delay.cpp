// find_delay, find_snippet and correlation_lags: MATLAB finddelay's documented examples, noisy
// and fractional delays, planted snippets, scipy's lags.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <span>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

std::vector<double> white(std::size_t n, std::mt19937_64& rng) {
    std::normal_distribution<double> g(0, 1);
    std::vector<double> v(n);
    for (double& x : v) x = g(rng);
    return v;
}

// y(n) = x(n − d) for a fractional d: a Hann-windowed sinc over 65 taps around d.
std::vector<double> delayed(const std::vector<double>& x, double d) {
    const auto n = static_cast<std::ptrdiff_t>(x.size());
    const auto centre = static_cast<std::ptrdiff_t>(std::lround(d));
    std::vector<double> y(x.size(), 0.0);
    for (std::ptrdiff_t j = -32; j <= 32; ++j) {
        const double u = static_cast<double>(centre + j) - d;
        const double sinc = u == 0 ? 1.0 : std::sin(std::numbers::pi * u) / (std::numbers::pi * u);
        const double w = std::abs(u) >= 33 ? 0.0 : 0.5 + 0.5 * std::cos(std::numbers::pi * u / 33);
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            const std::ptrdiff_t k = i - (centre + j);
            if (k >= 0 && k < n) y[static_cast<std::size_t>(i)] += x[static_cast<std::size_t>(k)] * sinc * w;
        }
    }
    return y;
}

Delay delay(const std::vector<double>& x, const std::vector<double>& y, DelayMethod m, std::ptrdiff_t max_lag = -1) {
    return find_delay(std::span<const double>(x), std::span<const double>(y), max_lag, m);
}

}  // namespace

TEST_CASE("find_delay: MATLAB finddelay's documented examples, every method") {
    for (const DelayMethod m : {DelayMethod::xcorr, DelayMethod::normalized, DelayMethod::phat}) {
        CAPTURE(static_cast<int>(m));
        CHECK(delay({1, 2, 3}, {0, 0, 1, 2, 3}, m).lag == 2);
        CHECK(delay({0, 0, 0, 1, 2, 3, 0, 0}, {1, 2, 3, 0}, m).lag == -3);
        CHECK(delay({0, 0, 1, 2, 3, 0}, {0.02, 0.12, 1.08, 2.21, 2.95, -0.09}, m).lag == 0);
    }
    // The normalised score of an exact copy is 1; of a polarity-inverted one −1, found all the same.
    const Delay same = delay({0, 1, -2, 3, 0}, {0, 1, -2, 3, 0}, DelayMethod::normalized);
    CHECK(same.lag == 0);
    CHECK(same.score == doctest::Approx(1.0));
    const Delay inverted = delay({0, 1, -2, 3, 0, 0}, {0, 0, -1, 2, -3, 0}, DelayMethod::normalized);
    CHECK(inverted.lag == 1);
    CHECK(inverted.score == doctest::Approx(-1.0));
    CHECK(delay({1, 2, 3}, {1, 2, 3}, DelayMethod::xcorr).samples == doctest::Approx(0.0).epsilon(1e-9));
}

TEST_CASE("find_delay: 48,000 samples of white noise delayed by 37 with noise added, and max_lag") {
    std::mt19937_64 rng(1404);
    const std::vector<double> x = white(48000, rng), noise = white(48000, rng);
    std::vector<double> y(48000, 0.0);
    for (std::size_t i = 37; i < y.size(); ++i) y[i] = x[i - 37] + 0.5 * noise[i];
    for (const DelayMethod m : {DelayMethod::xcorr, DelayMethod::normalized, DelayMethod::phat}) {
        CAPTURE(static_cast<int>(m));
        const Delay d = delay(x, y, m);
        CHECK(d.lag == 37);
        CHECK(std::abs(d.samples - 37) < 0.1);
        // A window that excludes 37 finds something else inside it.
        const Delay near = delay(x, y, m, 10);
        CHECK(std::abs(near.lag) <= 10);
    }
    // The float version agrees.
    const std::vector<float> xf(x.begin(), x.end()), yf(y.begin(), y.end());
    CHECK(find_delay(std::span<const float>(xf), std::span<const float>(yf)).lag == 37);
}

TEST_CASE("find_delay: fractional delays of −5.2, 10.3 and 7.0 samples within ±0.1 after refinement") {
    std::mt19937_64 rng(1405);
    const std::vector<double> x = white(20000, rng);
    for (const double d : {-5.2, 10.3, 7.0}) {
        const std::vector<double> y = delayed(x, d);
        for (const DelayMethod m : {DelayMethod::xcorr, DelayMethod::phat}) {
            CAPTURE(d);
            CAPTURE(static_cast<int>(m));
            const Delay got = delay(x, y, m);
            CHECK(got.lag == std::lround(d));
            CHECK(std::abs(got.samples - d) < 0.1);
            MESSAGE("delay " << d << ": found " << got.samples);
        }
    }
}

TEST_CASE("find_delay: a reverberant pair (the direct path, then 400 weaker echoes) gives the direct path's delay") {
    std::mt19937_64 rng(1406);
    const std::vector<double> x = white(16000, rng);
    // y: x delayed by 120 through a room: a decaying tail of 400 echoes.
    std::vector<double> room(401, 0.0);
    room[0] = 1;
    std::normal_distribution<double> g(0, 1);
    for (std::size_t k = 1; k < room.size(); ++k)
        room[k] = std::clamp(0.3 * g(rng), -0.5, 0.5) * std::exp(-static_cast<double>(k) / 120.0);
    const std::vector<double> wet = convolve(std::span<const double>(x), std::span<const double>(room), Mode::full);
    std::vector<double> y(16000, 0.0);
    for (std::size_t i = 120; i < y.size(); ++i) y[i] = wet[i - 120];
    CHECK(delay(x, y, DelayMethod::phat).lag == 120);
    CHECK(delay(x, y, DelayMethod::xcorr).lag == 120);
}

TEST_CASE("find_delay: bad arguments named") {
    const std::vector<double> e, x{1, 2};
    CHECK_THROWS_WITH_AS(delay(e, x, DelayMethod::xcorr), "find_delay: argument 'x' is empty", InvalidArgument);
    CHECK_THROWS_WITH_AS(delay(x, {1, NAN}, DelayMethod::xcorr),
                         "find_delay: argument 'y' holds a non-finite value at 1", InvalidArgument);
    CHECK_THROWS_WITH_AS(delay(x, x, static_cast<DelayMethod>(7)),
                         "find_delay: method 7 is not one of xcorr, normalized, phat", InvalidArgument);
}

TEST_CASE("find_snippet: three planted copies (scaled, offset, in noise) found best first, apart") {
    std::mt19937_64 rng(1407);
    std::vector<double> recording = white(30000, rng);
    for (double& v : recording) v *= 0.3;
    const std::vector<double> snippet = white(500, rng);
    const std::vector<std::ptrdiff_t> at{2000, 15000, 27000};
    const double gain[] = {1.0, 0.5, 2.0};
    for (int c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < snippet.size(); ++i)
            recording[static_cast<std::size_t>(at[static_cast<std::size_t>(c)]) + i] += gain[c] * snippet[i] + 0.1;
    const auto found = find_snippet(std::span<const double>(recording), std::span<const double>(snippet), 3, 250);
    REQUIRE(found.size() == 3);
    std::vector<std::ptrdiff_t> positions;
    for (const SnippetMatch& m : found) {
        positions.push_back(m.position);
        CHECK(m.score > 0.8);
        CHECK(m.score <= 1.0);
    }
    std::sort(positions.begin(), positions.end());
    CHECK(positions == at);
    CHECK_THROWS_WITH_AS(find_snippet(std::span<const double>(snippet), std::span<const double>(recording)),
                         "find_snippet: the snippet (30000 samples) is longer than the recording (500)",
                         InvalidArgument);
}

TEST_CASE("delay_scores: every lag's score by brute force, lags as correlation_lags(y, x), peak where find_delay is") {
    std::mt19937_64 rng(1408);
    const std::vector<double> x = white(37, rng), y = white(53, rng);
    const std::span<const double> sx(x), sy(y);
    const auto lags = correlation_lags(y.size(), x.size(), Mode::full);
    double ex = 0, ey = 0;
    for (double v : x) ex += v * v;
    for (double v : y) ey += v * v;
    for (DelayMethod m : {DelayMethod::xcorr, DelayMethod::normalized}) {
        const std::vector<double> s = delay_scores(sx, sy, m);
        REQUIRE(s.size() == lags.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            // Σ_n y(n + lag) x(n)
            double c = 0;
            for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(x.size()); ++n) {
                const std::ptrdiff_t j = n + lags[i];
                if (j >= 0 && j < static_cast<std::ptrdiff_t>(y.size()))
                    c += y[static_cast<std::size_t>(j)] * x[static_cast<std::size_t>(n)];
            }
            if (m == DelayMethod::normalized) c /= std::sqrt(ex * ey);
            CHECK(s[i] == doctest::Approx(c).epsilon(1e-9).scale(1));
        }
    }
    for (DelayMethod m : {DelayMethod::xcorr, DelayMethod::normalized, DelayMethod::phat}) {
        const std::vector<double> s = delay_scores(sx, sy, m);
        REQUIRE(s.size() == lags.size());
        const auto peak =
            std::max_element(s.begin(), s.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
        const Delay d = find_delay(sx, sy, -1, m);
        CHECK(lags[static_cast<std::size_t>(peak - s.begin())] == d.lag);
        CHECK(*peak == d.score);
    }
    CHECK_THROWS_WITH_AS(delay_scores(std::span<const double>(), sy), "delay_scores: argument 'x' is empty",
                         InvalidArgument);
}

TEST_CASE("snippet_scores: the normalised correlation at every position, by brute force") {
    std::mt19937_64 rng(1409);
    const std::vector<double> r = white(300, rng), s = white(17, rng);
    const std::vector<double> got = snippet_scores(std::span<const double>(r), std::span<const double>(s));
    REQUIRE(got.size() == r.size() - s.size() + 1);
    const auto mean = [](const double* p, std::size_t n) {
        double m = 0;
        for (std::size_t i = 0; i < n; ++i) m += p[i];
        return m / static_cast<double>(n);
    };
    const double ms = mean(s.data(), s.size());
    for (std::size_t p = 0; p < got.size(); ++p) {
        const double mr = mean(r.data() + p, s.size());
        double num = 0, er = 0, es = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            num += (r[p + i] - mr) * (s[i] - ms);
            er += (r[p + i] - mr) * (r[p + i] - mr);
            es += (s[i] - ms) * (s[i] - ms);
        }
        CHECK(got[p] == doctest::Approx(num / std::sqrt(er * es)).epsilon(1e-6).scale(1));
    }
    CHECK_THROWS_WITH_AS(snippet_scores(std::span<const double>(s), std::span<const double>(r)),
                         "snippet_scores: the snippet (300 samples) is longer than the recording (17)",
                         InvalidArgument);
}

TEST_CASE("correlation_lags: scipy.signal.correlation_lags's answers") {
    using V = std::vector<std::ptrdiff_t>;
    CHECK(correlation_lags(3, 5) == V{-4, -3, -2, -1, 0, 1, 2});
    CHECK(correlation_lags(5, 3, Mode::same) == V{-1, 0, 1, 2, 3});
    CHECK(correlation_lags(4, 3, Mode::same) == V{-1, 0, 1, 2});
    CHECK(correlation_lags(3, 5, Mode::same) == V{-2, -1, 0});
    CHECK(correlation_lags(5, 3, Mode::valid) == V{0, 1, 2});
    CHECK(correlation_lags(3, 5, Mode::valid) == V{-2, -1, 0});
    CHECK(correlation_lags(1, 1) == V{0});
    CHECK_THROWS_AS((void)correlation_lags(0, 3), InvalidArgument);
}
