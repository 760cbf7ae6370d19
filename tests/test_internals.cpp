// White-box checks of lib/src: transform sizes, wrap-free lengths, the work count behind the cost
// model, and the plan cache.
#include <doctest/doctest.h>

#include <random>

#include "cost_model.hpp"
#include "fft_core.hpp"
#include "fftw.hpp"
#include "geometry.hpp"
#include "reference.hpp"

using namespace fftconv;
using namespace fftconv::detail;

namespace {
bool smooth7(std::ptrdiff_t n) {
    for (std::ptrdiff_t p : {2, 3, 5, 7})
        while (n % p == 0) n /= p;
    return n == 1;
}
}  // namespace

TEST_CASE("next_fast_length is the smallest 2,3,5,7-smooth length, not the next power of two") {
    for (std::ptrdiff_t n = 1; n <= 5000; ++n) {
        std::ptrdiff_t want = n;
        while (!smooth7(want)) ++want;
        REQUIRE(next_fast_length(n) == want);
    }
    CHECK(next_fast_length(1025) == 1029);  // 3·7³, where a power of two would be 2048
    CHECK(next_fast_length(2049) == 2058);
    for (std::ptrdiff_t n : {4'194'305, 4'194'817, 9'999'991}) {
        const std::ptrdiff_t got = next_fast_length(n);
        CHECK(smooth7(got));
        for (std::ptrdiff_t m = n; m < got; ++m) CHECK_FALSE(smooth7(m));
    }
}

TEST_CASE("overlap_count equals the multiply-adds counted one by one") {
    for (std::ptrdiff_t n : {1, 2, 5, 9})
        for (std::ptrdiff_t k : {1, 3, 4, 12})
            for (Mode mode : ref::all_modes) {
                const Geometry g = make_geometry({"t", "a", "b", true}, {1, n}, {1, k}, mode);
                double count = 0;
                for (std::ptrdiff_t x = g.cols.offset; x < g.cols.offset + g.cols.size; ++x)
                    for (std::ptrdiff_t j = 0; j < k; ++j) count += (x - j >= 0 && x - j < n);
                CAPTURE(n);
                CAPTURE(k);
                CAPTURE(mode);
                CHECK(overlap_count(n, k, g.cols) == count);
            }
}

TEST_CASE("FFT sizes: same and valid need less padding than full") {
    const Names names{"t", "a", "b", false};
    const auto size = [&](Mode mode) { return fft_shape(make_geometry(names, {1, 1000}, {1, 201}, mode), false).cols; };
    CHECK(size(Mode::full) == next_fast_length(1200));
    CHECK(size(Mode::valid) == next_fast_length(1000));  // wrap-around lands in the discarded part
    CHECK(size(Mode::same) == next_fast_length(1100));
    // The kernel larger than what the window needs: the buffer still holds it.
    CHECK(fft_shape(make_geometry(names, {1, 1}, {1, 10}, Mode::same), false).cols == 10);
    // Real transforms: the last dimension even (2187 = 3^7 is odd; 2240 is the next even fast length).
    const Geometry big = make_geometry(names, {2048, 2048}, {140, 140}, Mode::full);
    CHECK(fft_shape(big, false) == Shape{2187, 2187});
    CHECK(fft_shape(big, true) == Shape{2187, 2240});
    CHECK(fft_shape(make_geometry(names, {2048, 1}, {140, 1}, Mode::full), true) == Shape{2240, 1});
    for (std::ptrdiff_t n = 2; n < 3000; ++n) {
        const std::ptrdiff_t e = next_fast_even_length(n);
        REQUIRE((e % 2 == 0 && e >= n && smooth7(e)));
        for (std::ptrdiff_t m = n; m < e; ++m) REQUIRE(!(m % 2 == 0 && smooth7(m)));
    }
}

TEST_CASE("plans are cached per shape and reused") {
    std::mt19937_64 rng(1);
    const auto a = ref::random_image<double>(37, 53, rng), b = ref::random_image<double>(5, 6, rng);
    (void)convolve(a, b, Mode::full, Method::fft);
    const std::size_t after_first = cached_plan_count();
    for (int i = 0; i < 5; ++i) (void)convolve(a, b, Mode::full, Method::fft);
    CHECK(cached_plan_count() == after_first);
    const auto c = ref::random_image<double>(40, 53, rng);  // 44 rows padded to 45, not 42
    (void)convolve(c, b, Mode::full, Method::fft);
    CHECK(cached_plan_count() == after_first + 2);  // a forward and an inverse plan
}

TEST_CASE("the plan cache stays bounded over many shapes") {
    const std::vector<double> k{1, 2, 3};
    for (int n = 100; n < 400; ++n)
        (void)convolve(std::vector<double>(static_cast<std::size_t>(n), 1.0), k, Mode::full, Method::fft);
    CHECK(cached_plan_count() <= 2 * 64);
}

TEST_CASE_TEMPLATE("overlap-save: long 1D inputs with short kernels run in blocks, equal to direct", T, float, double,
                   std::complex<float>, std::complex<double>) {
    const Names names{"convolve", "a", "b", true};
    // The workload it exists for: millions of points, hundreds of taps.
    CHECK(overlap_save_block(make_geometry(names, {1, 4194304}, {1, 513}, Mode::full), element_type_v<T>) > 0);
    CHECK(overlap_save_block(make_geometry(names, {1, 1000}, {1, 900}, Mode::full), element_type_v<T>) == 0);
    std::mt19937_64 rng(31);
    for (auto [n, k] : {std::pair{60000, 37}, {60000, 400}, {300, 60000}, {50001, 2}}) {
        const auto a = ref::random_image<T>(1, n, rng), b = ref::random_image<T>(1, k, rng);
        const Geometry g = make_geometry(names, a.shape(), b.shape(), Mode::full);
        REQUIRE(overlap_save_block(g, element_type_v<T>) > 0);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                CAPTURE(n);
                CAPTURE(k);
                CAPTURE(mode);
                CAPTURE(corr);
                const auto fa = std::span<const T>(a.values()), fb = std::span<const T>(b.values());
                const auto fast = corr ? correlate(fa, fb, mode, Method::fft) : convolve(fa, fb, mode, Method::fft);
                const auto slow =
                    corr ? correlate(fa, fb, mode, Method::direct) : convolve(fa, fb, mode, Method::direct);
                CHECK(ref::rel_err(fast, slow) < ref::tolerance<T>());
            }
    }
}
