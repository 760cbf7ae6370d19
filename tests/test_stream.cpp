// StreamConvolver against the offline convolution: random block lengths, both latency modes,
// several partitions, several channels; impulses that must come out exact; bad arguments.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

template <class T>
std::vector<T> noise(std::size_t n, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(u(rng));
    return v;
}

// The stream cut into blocks of random lengths 1..max_block, each processed as it comes, then the
// flush: everything the convolver gave, in order.
template <class T>
std::vector<T> streamed(StreamConvolver<T>& s, const std::vector<T>& x, std::size_t max_block, std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> len(1, max_block);
    std::vector<T> y;
    for (std::size_t at = 0; at < x.size();) {
        const std::size_t n = std::min(len(rng), x.size() - at);
        std::vector<T> out(n, T(99));  // overwritten
        s.process(std::span<const T>(x.data() + at, n), std::span<T>(out));
        y.insert(y.end(), out.begin(), out.end());
        at += n;
    }
    const std::vector<T> tail = s.flush();
    y.insert(y.end(), tail.begin(), tail.end());
    return y;
}

// The largest |a - b| as a fraction of max|x| · Σ|h|, the largest value the result can hold.
template <class T>
double error(const std::vector<T>& got, const std::vector<T>& want, double scale) {
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i])));
    return worst / scale;
}

template <class T>
double abs_sum(const std::vector<T>& h) {
    double s = 0;
    for (T v : h) s += std::abs(static_cast<double>(v));
    return s;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "streaming equals convolve(x, h, full) after latency() zeros: random blocks 1..2048, 100,000 "
    "samples, responses of 1234 and 4321 taps, both latency modes, uniform and non-uniform partitions",
    T, float, double) {
    std::mt19937_64 rng(1401);
    const std::vector<T> x = noise<T>(100000, rng);
    const double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-14;
    for (const std::size_t taps : {1234u, 4321u}) {
        const std::vector<T> h = noise<T>(taps, rng);
        const std::vector<T> want = convolve(std::span<const T>(x), std::span<const T>(h), Mode::full);
        for (const bool zero_latency : {false, true})
            for (const auto& [partition, largest] : std::vector<std::pair<std::size_t, std::size_t>>{
                     {0, 0}, {64, 0}, {1000, 0}, {4096, 0}, {16, 1024}, {100, 6400}, {64, 100000}}) {
                CAPTURE(taps);
                CAPTURE(zero_latency);
                CAPTURE(partition);
                CAPTURE(largest);  // above partition: non-uniform partitions
                StreamConvolver<T> s(std::span<const T>(h),
                                     {.partition = partition, .max_partition = largest, .zero_latency = zero_latency});
                if (partition) CHECK(s.partition() == partition);
                CHECK(s.latency() == (zero_latency ? 0 : s.partition()));
                CHECK(s.taps() == taps);
                const std::vector<T> got = streamed(s, x, 2048, rng);
                REQUIRE(got.size() == s.latency() + want.size());
                for (std::size_t i = 0; i < s.latency(); ++i) REQUIRE(got[i] == T{});
                const std::vector<T> shifted(got.begin() + static_cast<std::ptrdiff_t>(s.latency()), got.end());
                CHECK(error(shifted, want, abs_sum(h)) < tolerance);
                CHECK(s.samples() == 0);  // flush started a new stream
            }
    }
}

TEST_CASE(
    "the partition the cost model picks: a power of two, larger for longer responses, smaller with zero "
    "latency") {
    const std::vector<float> short_h(100, 0.5f), long_h(100000, 0.5f);
    const StreamConvolver<float> a(short_h), b(long_h), c(long_h, {.zero_latency = true});
    for (const auto* s : {&a, &b, &c}) CHECK(std::has_single_bit(s->partition()));
    CHECK(a.partition() < b.partition());
    CHECK(c.partition() <= b.partition());
    MESSAGE("partitions: 100 taps " << a.partition() << ", 100,000 taps " << b.partition() << ", zero latency "
                                    << c.partition());
}

TEST_CASE_TEMPLATE(
    "impulses: a unit impulse gives the input back and δ[n − d] delays it by d, exactly where the "
    "direct head carries them",
    T, float, double) {
    std::mt19937_64 rng(1402);
    const std::vector<T> x = noise<T>(5000, rng);
    for (const std::size_t d : {0u, 1u, 37u, 63u}) {
        std::vector<T> h(d + 1, T{});
        h[d] = T(1);
        StreamConvolver<T> s(std::span<const T>(h), {.partition = 64, .zero_latency = true});
        const std::vector<T> got = streamed(s, x, 300, rng);
        REQUIRE(got.size() == x.size() + d);
        for (std::size_t i = 0; i < d; ++i) CHECK(got[i] == T{});
        CHECK(std::equal(x.begin(), x.end(), got.begin() + static_cast<std::ptrdiff_t>(d)));  // bit for bit
    }
    // Past the head (and without one), through the transforms: the delay within rounding.
    for (const bool zero_latency : {false, true}) {
        std::vector<T> h(1001, T{});
        h[1000] = T(1);
        StreamConvolver<T> s(std::span<const T>(h), {.partition = 64, .zero_latency = zero_latency});
        const std::vector<T> got = streamed(s, x, 300, rng);
        const std::size_t lead = s.latency() + 1000;
        REQUIRE(got.size() == s.latency() + x.size() + 1000);
        double worst = 0, before = 0;
        for (std::size_t i = 0; i < lead; ++i) before = std::max(before, std::abs(static_cast<double>(got[i])));
        for (std::size_t i = 0; i < x.size(); ++i)
            worst = std::max(worst, std::abs(static_cast<double>(got[lead + i] - x[i])));
        CHECK(before < (std::is_same_v<T, float> ? 1e-6 : 1e-15));
        CHECK(worst < (std::is_same_v<T, float> ? 1e-6 : 1e-15));
    }
}

TEST_CASE("several channels: 2 inputs × 2 outputs (true stereo) equal the offline convolutions summed per output") {
    std::mt19937_64 rng(1403);
    const std::size_t frames = 20000, taps = 700;
    Array<double> x(Extents{2, static_cast<std::ptrdiff_t>(frames)});
    Array<double> h(Extents{2, 2, static_cast<std::ptrdiff_t>(taps)});
    std::uniform_real_distribution<double> u(-1, 1);
    for (double& v : x.values()) v = u(rng);
    for (double& v : h.values()) v = u(rng);
    for (const bool zero_latency : {false, true}) {
        StreamConvolver<double> s(h.view(), {.partition = 32, .max_partition = 512, .zero_latency = zero_latency});
        CHECK(s.inputs() == 2);
        CHECK(s.outputs() == 2);
        const std::size_t total = s.latency() + frames + taps - 1;
        Array<double> y(Extents{2, static_cast<std::ptrdiff_t>(total)});
        std::size_t at = 0;
        std::uniform_int_distribution<std::size_t> len(1, 1500);
        while (at < frames) {
            const auto n = static_cast<std::ptrdiff_t>(std::min(len(rng), frames - at));
            const auto a = static_cast<std::ptrdiff_t>(at);
            // Strided views into the whole arrays: any strides are taken.
            const View<const double> in(x.data() + a, Extents{2, n}, Extents{x.shape()[1], 1});
            const View<double> out(y.data() + a, Extents{2, n}, Extents{y.shape()[1], 1});
            s.process(in, out);
            at += static_cast<std::size_t>(n);
        }
        const Array<double> tail = s.flush_channels();
        REQUIRE(tail.shape() == Extents{2, static_cast<std::ptrdiff_t>(total - frames)});
        for (int o = 0; o < 2; ++o) {
            std::vector<double> got(y.data() + o * y.shape()[1], y.data() + o * y.shape()[1] + frames);
            got.insert(got.end(), tail.data() + o * tail.shape()[1], tail.data() + (o + 1) * tail.shape()[1]);
            std::vector<double> want(frames + taps - 1, 0.0);
            for (int i = 0; i < 2; ++i) {
                const std::span<const double> xi(x.data() + i * x.shape()[1], frames);
                const std::span<const double> hio(h.data() + (i * 2 + o) * static_cast<std::ptrdiff_t>(taps), taps);
                const std::vector<double> part = convolve(xi, hio, Mode::full);
                for (std::size_t k = 0; k < want.size(); ++k) want[k] += part[k];
            }
            const std::vector<double> shifted(got.begin() + static_cast<std::ptrdiff_t>(s.latency()), got.end());
            CHECK(error(shifted, want, 2 * static_cast<double>(taps)) < 1e-14);
        }
    }
}

TEST_CASE("bad arguments are refused with the sizes named; reset starts a new stream") {
    const std::vector<float> h{1, 2, 3};
    CHECK_THROWS_WITH_AS(StreamConvolver<float>(std::span<const float>()),
                         "StreamConvolver: the responses are empty (1x1x0)", InvalidArgument);
    const std::vector<float> bad{1, NAN, 3};
    CHECK_THROWS_WITH_AS(StreamConvolver<float>(std::span<const float>(bad)),
                         "StreamConvolver: response (0, 0) holds a non-finite tap at 1", InvalidArgument);
    StreamConvolver<float> s(h, {.partition = 4});
    std::vector<float> in(5, 1.0f), out(4);
    CHECK_THROWS_WITH_AS(s.process(in, out), "StreamConvolver::process: in has 5 samples and out 4; they must be equal",
                         InvalidArgument);
    std::vector<float> buffer(10, 1.0f);
    CHECK_THROWS_WITH_AS(
        s.process(View<const float>(buffer.data(), Extents{1, 6}), View<float>(buffer.data() + 4, Extents{1, 6})),
        "StreamConvolver::process: out overlaps in; give the output its own memory", InvalidArgument);
    const Array<float> two(Extents{2, 1, 3}, 1.0f);
    StreamConvolver<float> stereo_in(two.view());
    CHECK_THROWS_WITH_AS(stereo_in.process(in, in), doctest::Contains("this convolver has 2 inputs and 1 outputs"),
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(
        stereo_in.process(View<const float>(in.data(), Extents{1, 5}), View<float>(out.data(), Extents{1, 4})),
        "StreamConvolver::process: in is 1x5 and out 1x4; they must be {2, frames} and {1, frames}", InvalidArgument);
    // reset: the same input gives the same output again.
    std::vector<float> first(5), second(5);
    s.process(in, first);
    CHECK(s.samples() == 5);
    s.reset();
    CHECK(s.samples() == 0);
    s.process(in, second);
    CHECK(first == second);
}
