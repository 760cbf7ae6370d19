// White-box checks of lib/src: transform sizes, wrap-free lengths, the work count behind the cost
// model, and the plan cache.
#include <doctest/doctest.h>

#include <random>

#include "cost_model.hpp"
#include "engine.hpp"
#include "fft_core.hpp"
#include "fftw.hpp"
#include "geometry.hpp"
#include "reference.hpp"
#include "strategy.hpp"
#include "tiles.hpp"
#include "transform_size.hpp"

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
                const Geometry g = make_geometry({"t", "a", "b", true}, {n}, {k}, mode);
                double count = 0;
                for (std::ptrdiff_t x = g.win(0).offset; x < g.win(0).offset + g.win(0).size; ++x)
                    for (std::ptrdiff_t j = 0; j < k; ++j) count += (x - j >= 0 && x - j < n);
                CAPTURE(n);
                CAPTURE(k);
                CAPTURE(mode);
                CHECK(overlap_count(n, k, g.win(0)) == count);
            }
}

TEST_CASE("FFT sizes: same and valid need less padding than full") {
    const Names names{"t", "a", "b", false};
    const auto size = [&](Mode mode) {
        return fft_shape(make_geometry(names, {1000}, {201}, mode), false, PlannerEffort::estimate)[0];
    };
    CHECK(size(Mode::full) == 1200);
    CHECK(size(Mode::valid) == 1000);  // wrap-around lands in the discarded part
    CHECK(size(Mode::same) == 1120);
    // The kernel larger than what the window needs: the buffer still holds it.
    CHECK(fft_shape(make_geometry(names, {1}, {10}, Mode::same), false, PlannerEffort::estimate)[0] == 10);
    // 2174 rounds up to 2240 = 2^6·35, not to 2187 = 3^7, the smallest smooth length: FFTW
    // transforms an odd length of this size ~2x slower with measured plans.
    const Geometry big = make_geometry(names, {2048, 2048}, {127, 127}, Mode::full);
    for (PlannerEffort effort : {PlannerEffort::estimate, PlannerEffort::measure}) {
        CHECK(fft_shape(big, false, effort) == Extents{2240, 2240});
        CHECK(fft_shape(big, true, effort) == Extents{2240, 2240});
    }
    // An Nx1 image's core is its one long axis, the last of a real transform: even.
    const Strategy column = make_strategy(names, make_geometry(names, {2048, 1}, {127, 1}, Mode::full),
                                          ElementType::float32, {Method::fft, Context::current()});
    CHECK(column.core_rank == 1);
    CHECK(fft_shape(column.core, true, PlannerEffort::estimate) == Extents{2240});
}

TEST_CASE("best_fast_length: the cheapest smooth length up to the next power of two, by brute force") {
    for (PlannerEffort effort : {PlannerEffort::estimate, PlannerEffort::measure})
        for (bool even : {false, true})
            for (std::ptrdiff_t n = 2; n < 3000; ++n) {
                std::ptrdiff_t pow2 = 1;
                while (pow2 < n) pow2 *= 2;
                std::ptrdiff_t want = 0;
                double want_cost = 0;
                for (std::ptrdiff_t m = n; m <= pow2; ++m) {
                    if (!smooth7(m) || (even && m % 2)) continue;
                    const double c =
                        static_cast<double>(m) * std::log2(static_cast<double>(m)) * length_weight(m, effort);
                    if (want == 0 || c < want_cost) want = m, want_cost = c;
                }
                if (want <= 16) want = even ? next_fast_even_length(n) : next_fast_length(n);
                CAPTURE(n);
                CAPTURE(even);
                REQUIRE(best_fast_length(n, even, effort) == want);
            }
    // Measured plans favour many factors of two more strongly than estimated ones.
    CHECK(length_weight(2187, PlannerEffort::measure) > length_weight(2187, PlannerEffort::estimate));
    CHECK(length_weight(2240, PlannerEffort::measure) == length_weight(2240, PlannerEffort::estimate));
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
    const auto tile = [&](std::ptrdiff_t n, std::ptrdiff_t k) {
        const Strategy s = make_strategy(names, make_geometry(names, {n}, {k}, Mode::full), element_type_v<T>,
                                         {Method::fft, Context::current()});
        return s.tile;
    };
    // The workload it exists for: millions of points, hundreds of taps.
    CHECK(tile(4194304, 513).rank() == 1);
    CHECK(tile(513, 4194304).rank() == 1);  // one-shot calls cut the longer operand, whichever it is
    CHECK(tile(1000, 900).rank() == 0);
    std::mt19937_64 rng(31);
    for (auto [n, k] : {std::pair{60000, 37}, {60000, 400}, {300, 60000}, {50001, 2}}) {
        const auto a = ref::random_image<T>(1, n, rng), b = ref::random_image<T>(1, k, rng);
        // Blocks of the smallest power of two >= 4 taps, whatever the cost model would pick.
        std::ptrdiff_t block = 64;
        while (block < 4 * std::min(n, k)) block *= 2;
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                CAPTURE(n);
                CAPTURE(k);
                CAPTURE(mode);
                CAPTURE(corr);
                const View<const T> va(std::span<const T>(a.values())), vb(std::span<const T>(b.values()));
                const Geometry g = make_geometry(names, va.shape, vb.shape, mode);
                Array<T> storage;
                const View<const T> kernel = corr ? correlation_kernel(vb, g, storage) : vb;
                // The longer operand is cut into blocks, the shorter one is the kernel.
                const bool swap = kernel.size() > va.size();
                const View<const T> x = swap ? kernel : va, h = swap ? va : kernel;
                const Geometry core = window_geometry(x.shape, h.shape, g.window);
                Tiles<T> tiles(core, {block - std::min(n, k) + 1}, std::span<const View<const T>>(&h, 1),
                               Context::current());
                Array<T> fast(g.out);
                tiles.apply(Source<T>::whole(x), fast.view(), magnitude_exponent<real_t<T>>(scan_values(x).max_abs));
                const auto fa = std::span<const T>(a.values()), fb = std::span<const T>(b.values());
                const auto slow =
                    corr ? correlate(fa, fb, mode, Method::direct) : convolve(fa, fb, mode, Method::direct);
                CHECK(ref::rel_err(std::vector<T>(fast.values().begin(), fast.values().end()), slow) <
                      ref::tolerance<T>());
            }
    }
}

TEST_CASE_TEMPLATE("2D FFT by rows and column blocks: equal to direct, the same bits on any thread count", T, float,
                   double, std::complex<float>, std::complex<double>) {
    // Shapes around the column blocks (16 complex floats, 8 complex doubles: 17 columns leave a
    // partial block), a kernel taller than the input (its rows fill more of the spectrum than the
    // input's), one-row and one-column kernels, and windows that keep only some rows.
    std::mt19937_64 rng(41);
    for (auto [as, bs] : {std::pair{Shape{40, 33}, Shape{5, 4}},
                          {Shape{9, 70}, Shape{23, 3}},
                          {Shape{31, 2}, Shape{1, 7}},
                          {Shape{64, 64}, Shape{17, 1}},
                          {Shape{3, 100}, Shape{2, 2}}}) {
        const auto a = ref::random_image<T>(as.rows, as.cols, rng), b = ref::random_image<T>(bs.rows, bs.cols, rng);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                if (mode == Mode::valid && (bs.rows > as.rows) != (bs.cols > as.cols)) continue;
                CAPTURE(as);
                CAPTURE(bs);
                CAPTURE(mode);
                CAPTURE(corr);
                const Names names{"t", "a", "b", false};
                REQUIRE(make_strategy(names, make_geometry(names, as, bs, mode), element_type_v<T>,
                                      {Method::fft, Context::current()})
                            .core_rank == 2);
                const auto run = [&](Method m) { return corr ? correlate(a, b, mode, m) : convolve(a, b, mode, m); };
                const Image<T> fast = run(Method::fft);
                CHECK(ref::rel_err(fast, run(Method::direct)) < ref::tolerance<T>());
                set_threads(3);
                const Image<T> threaded = run(Method::fft);
                set_threads(1);
                CHECK(std::equal(fast.values().begin(), fast.values().end(), threaded.values().begin()));
            }
    }
}
