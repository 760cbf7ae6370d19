// The tool's image layer (apps/image_io.cpp): SampleCounts, whose counts choose and report how
// results map onto 8- and 16-bit samples, against a plain per-sample count in double.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "../apps/image_io.hpp"

namespace {

// The counts written out one sample at a time, in double, as the definition reads.
app::SampleCounts oracle(const std::vector<float>& values, double low, double high) {
    app::SampleCounts n;
    const double slack = 0.02 * (high - low);
    for (float f : values) {
        const double v = f;
        if (std::isnan(v)) {
            ++n.nan;
        } else if (std::isinf(v)) {
            ++(v > 0 ? n.positive : n.negative);
        } else {
            ++n.finite;
            n.lo = std::min(n.lo, v);
            n.hi = std::max(n.hi, v);
            n.outside += v < low - slack || v > high + slack;
            n.clipped += v < low || v > high;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("SampleCounts counts as the per-sample definition does, on every length and at every threshold") {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<float> u(-20, 280);
    // The last two ranges have thresholds that float rounds up and others it rounds down.
    for (const auto& [low, high] : {std::pair{0.0, 255.0}, std::pair{0.0, 65535.0}, std::pair{-1.0, 1.0},
                                    std::pair{0.7, 300.3}, std::pair{0.3, 0.7}})
        for (std::size_t n : {0, 1, 3, 4, 5, 17, 1000, 4099}) {
            std::vector<float> v(n);
            for (float& x : v) x = u(rng) * static_cast<float>((high - low) / 255);
            // The awkward values: non-finite ones, and each threshold and its float neighbours.
            const double slack = 0.02 * (high - low);
            const std::vector<float> special = {std::numeric_limits<float>::quiet_NaN(),
                                                INFINITY,
                                                -INFINITY,
                                                static_cast<float>(low),
                                                static_cast<float>(high),
                                                std::nextafter(static_cast<float>(low), -INFINITY),
                                                std::nextafter(static_cast<float>(high), INFINITY),
                                                static_cast<float>(low - slack),
                                                static_cast<float>(high + slack),
                                                std::nextafter(static_cast<float>(low - slack), -INFINITY),
                                                std::nextafter(static_cast<float>(high + slack), INFINITY),
                                                -0.0f};
            for (std::size_t i = 0; i < n; i += 3) v[i] = special[(i / 3) % special.size()];
            app::SampleCounts got;
            got.add(v.data(), v.size(), low, high);
            const app::SampleCounts want = oracle(v, low, high);
            CAPTURE(n);
            CAPTURE(high);
            CHECK(got.finite == want.finite);
            CHECK(got.nan == want.nan);
            CHECK(got.positive == want.positive);
            CHECK(got.negative == want.negative);
            CHECK(got.outside == want.outside);
            CHECK(got.clipped == want.clipped);
            CHECK(got.lo == want.lo);
            CHECK(got.hi == want.hi);
        }
}
