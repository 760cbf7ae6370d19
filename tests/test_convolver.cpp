// convolver.hpp: a plan applied many times equals one-shot calls; threads; bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "reference.hpp"

using namespace fftconv;
using cf = std::complex<float>;
using cd = std::complex<double>;

static_assert(std::is_nothrow_move_constructible_v<Convolver<float>>);
static_assert(!std::is_copy_constructible_v<Convolver<float>> && !std::is_copy_assignable_v<Convolver<double>>);

TEST_CASE_TEMPLATE("a Convolver applied to many inputs equals one-shot calls", T, float, double, cf, cd) {
    std::mt19937_64 rng(31);
    const double tol = ref::tolerance<T>();
    for (auto [shape, kshape] :
         {std::pair{Shape{40, 33}, Shape{5, 4}}, {Shape{1, 500}, Shape{1, 31}}, {Shape{6, 7}, Shape{9, 9}}})
        for (Mode mode : ref::all_modes)
            for (Method method : {Method::direct, Method::fft, Method::automatic})
                for (bool corr : {false, true}) {
                    if (mode == Mode::valid && kshape.rows > shape.rows) continue;  // 6x7 vs 9x9 is no valid pair
                    CAPTURE(shape);
                    CAPTURE(kshape);
                    CAPTURE(mode);
                    CAPTURE(method);
                    CAPTURE(corr);
                    const auto kernel = ref::random_image<T>(kshape.rows, kshape.cols, rng);
                    Convolver<T> plan(shape, kernel, mode, {.method = method, .correlate = corr});
                    CHECK(plan.input_shape() == shape);
                    CHECK(plan.kernel_shape() == kshape);
                    CHECK(plan.method() != Method::automatic);
                    Image<T> out(plan.output_shape());
                    for (int i = 0; i < 4; ++i) {
                        const auto x = ref::random_image<T>(shape.rows, shape.cols, rng);
                        const Image<T> once =
                            corr ? correlate(x, kernel, mode, plan.method()) : convolve(x, kernel, mode, plan.method());
                        CHECK(ref::rel_err(plan.apply(x), once) <= tol);
                        plan.apply(x, out.view());
                        CHECK(ref::rel_err(out, once) <= tol);
                    }
                }
}

TEST_CASE_TEMPLATE("a 1D Convolver on a long input runs overlap-save and equals direct", T, float, double, cd) {
    // 60000 samples against 37 taps: tests/test_internals.cpp checks that the cost model cuts
    // this shape into blocks. Each apply must match the direct sum in every mode.
    std::mt19937_64 rng(37);
    const auto kernel = ref::random_image<T>(1, 37, rng);
    const auto x = ref::random_image<T>(1, 60000, rng);
    for (Mode mode : ref::all_modes)
        for (bool corr : {false, true}) {
            CAPTURE(mode);
            CAPTURE(corr);
            Convolver<T> plan(x.shape(), kernel, mode, {.method = Method::fft, .correlate = corr});
            const Image<T> want =
                corr ? correlate(x, kernel, mode, Method::direct) : convolve(x, kernel, mode, Method::direct);
            Image<T> out(plan.output_shape());
            for (int i = 0; i < 2; ++i) {  // twice: the block buffers are reused
                plan.apply(x, out.view());
                CHECK(ref::rel_err(out, want) <= ref::tolerance<T>());
            }
        }
}

TEST_CASE("a Convolver keeps its own copy of the kernel") {
    std::vector<double> kernel{1, 2, 3};
    Convolver<double> direct(5, kernel, Mode::full, {.method = Method::direct});
    Convolver<double> fft(5, kernel, Mode::full, {.method = Method::fft});
    kernel.assign(3, 0.0);
    const std::vector<double> x{1, 0, 0, 0, 1};
    CHECK(direct.apply(x) == std::vector<double>{1, 2, 3, 0, 1, 2, 3});
    CHECK(ref::rel_err(fft.apply(x), std::vector<double>{1, 2, 3, 0, 1, 2, 3}) < 1e-15);
}

TEST_CASE("Convolver with measured plans agrees with the estimated ones") {
    std::mt19937_64 rng(4);
    const auto kernel = ref::random_image<float>(7, 7, rng), x = ref::random_image<float>(60, 50, rng);
    Convolver<float> measured(x.shape(), kernel, Mode::same, {.method = Method::fft, .effort = PlannerEffort::measure});
    CHECK(ref::rel_err(measured.apply(x), convolve(x, kernel, Mode::same, Method::direct)) <= 1e-5);
}

TEST_CASE("a moved-from Convolver refuses to apply; the moved-to one works") {
    const std::vector<float> k{1, 1};
    Convolver<float> a(4, k);
    Convolver<float> b = std::move(a);
    const std::vector<float> x{1, 2, 3, 4};
    CHECK(b.apply(x) == std::vector<float>{1, 3, 5, 7, 4});
    CHECK_THROWS_WITH_AS(a.apply(x), "Convolver::apply: this Convolver was moved from", Error);
    a = std::move(b);
    CHECK(a.apply(x).size() == 5);
}

TEST_CASE("Convolver: bad input names the argument and the sizes") {
    const Image<double> k(3, 3);
    CHECK_THROWS_WITH_AS(Convolver<double>(Shape{0, 5}, k), "Convolver: argument 'input_shape' is empty (0x5)", Error);
    CHECK_THROWS_WITH_AS(Convolver<double>(Shape{2, 5}, k, Mode::valid),
                         "Convolver: Mode::valid needs one input at least as large as the other in every dimension; "
                         "got 'input_shape' 2x5 and 'kernel' 3x3",
                         Error);
    CHECK_THROWS_WITH_AS(Convolver<double>(7, std::vector<double>{}),
                         "Convolver: argument 'kernel' is empty (length 0)", Error);

    Convolver<double> plan(Shape{8, 8}, k, Mode::same);
    Image<double> x(8, 9), out(8, 8);
    CHECK_THROWS_WITH_AS(plan.apply(x), "Convolver::apply: argument 'input' is 8x9, this Convolver was built for 8x8",
                         Error);
    Image<double> good(8, 8), small(7, 8);
    CHECK_THROWS_WITH_AS(plan.apply(good, small.view()), "Convolver::apply: argument 'out' is 7x8, the output is 8x8",
                         Error);
    CHECK_THROWS_WITH_AS(plan.apply(good, good.view()),
                         "Convolver::apply: argument 'out' shares memory with 'input'; the result needs its own",
                         Error);
    CHECK_NOTHROW(plan.apply(good, out.view()));

    Convolver<float> line(10, std::vector<float>{1, 2});
    std::vector<float> in(9), res(11);
    CHECK_THROWS_WITH_AS(line.apply(in),
                         "Convolver::apply: argument 'input' is length 9, this Convolver was built for length 10",
                         Error);
}

TEST_CASE("concurrent calls from 4 threads agree with single-threaded results") {
    // Each thread plans shapes no other thread has planned yet, and shares some with the others,
    // so planning, cache eviction and execution all overlap.
    std::mt19937_64 rng(99);
    struct Job {
        Image<double> a, b;
        Image<cd> ca, cb;
        Image<double> want;
        Image<cd> cwant;
    };
    std::vector<Job> jobs;
    for (int i = 0; i < 48; ++i) {
        const long n = 20 + 7 * i, k = 3 + i % 13;
        Job j{ref::random_image<double>(n % 50 + 1, n, rng),
              ref::random_image<double>(k, k + 1, rng),
              ref::random_image<cd>(9, n, rng),
              ref::random_image<cd>(2, k, rng),
              {},
              {}};
        j.want = convolve(j.a, j.b, Mode::same, Method::direct);
        j.cwant = correlate(j.ca, j.cb, Mode::full, Method::direct);
        jobs.push_back(std::move(j));
    }
    std::vector<std::vector<double>> errors(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 3; ++round)
                for (std::size_t i = (t + round) % 4; i < jobs.size(); i += 2) {
                    const Job& j = jobs[i];
                    errors[t].push_back(ref::rel_err(convolve(j.a, j.b, Mode::same, Method::fft), j.want));
                    errors[t].push_back(ref::rel_err(correlate(j.ca, j.cb, Mode::full, Method::fft), j.cwant));
                    Convolver<double> plan(j.a.shape(), j.b, Mode::same, {.method = Method::fft});
                    errors[t].push_back(ref::rel_err(plan.apply(j.a), j.want));
                }
        });
    for (auto& th : threads) th.join();
    for (const auto& per_thread : errors) {
        CHECK(per_thread.size() > 100);
        for (double e : per_thread) CHECK(e <= 1e-12);
    }
}

TEST_CASE_TEMPLATE("Options::clamp_nonnegative: no output below 0 when no input value is", T, float, double) {
    Image<T> x(64, 64), k(9, 9);
    x(5, 5) = 1;
    x(40, 20) = 2;
    for (T& v : k.values()) v = T(0.01);
    const auto min_of = [](const Image<T>& im) { return *std::min_element(im.values().begin(), im.values().end()); };
    Convolver<T> plain(x.shape(), k, Mode::same, {.method = Method::fft});
    Convolver<T> clamped(x.shape(), k, Mode::same, {.method = Method::fft, .clamp_nonnegative = true});
    REQUIRE(min_of(plain.apply(x)) < 0);  // FFT round-off below zero, which the option removes
    const Image<T> got = clamped.apply(x);
    CHECK(min_of(got) == 0);
    CHECK(ref::rel_err(got, plain.apply(x)) < ref::tolerance<T>());
    // An input with a negative value is left as computed: its negative outputs are real.
    x(30, 30) = -1;
    CHECK(min_of(clamped.apply(x)) < -0.005);
}

TEST_CASE("Options::tolerance: automatic runs direct when the FFT cannot promise the accuracy asked") {
    // Values near 1e-4 next to values near 1e4 in float: the FFT's error is absolute, about
    // ε·log2(N)·max|a|·max|b|·K, and swamps the small outputs; the direct sum keeps them.
    const Shape shape{200, 200};
    Image<float> x(shape), k(21, 21);
    for (std::ptrdiff_t r = 0; r < shape.rows; ++r)
        for (std::ptrdiff_t c = 0; c < shape.cols; ++c) x(r, c) = c < 100 ? 1e4f : 1e-4f;
    for (float& v : k.values()) v = 1.0f / 441;
    const double bound = fft_error_bound(shape, k.shape(), Mode::same, ElementType::float32);
    CHECK(bound > 1e-6);
    CHECK(bound < 1e-5);
    Convolver<float> fast(shape, k, Mode::same);
    REQUIRE(fast.method() == Method::fft);
    Convolver<float> strict(shape, k, Mode::same, {.tolerance = 1e-7});
    CHECK(strict.method() == Method::direct);
    Convolver<float> loose(shape, k, Mode::same, {.tolerance = 1e-3});
    CHECK(loose.method() == Method::fft);
    // Why it matters: far from the bright half, the exact result is 1e-4; the FFT's is off by far
    // more than that, the direct sum's by float rounding only.
    const Image<float> via_fft = fast.apply(x), via_direct = strict.apply(x);
    CHECK(std::abs(via_direct(100, 150) - 1e-4f) < 1e-9f);
    CHECK(std::abs(via_fft(100, 150) - 1e-4f) > 1e-5f);
    // And the bound holds on what the FFT did.
    double err = 0;
    for (std::ptrdiff_t i = 0; i < x.size(); ++i)
        err = std::max(err, std::abs(static_cast<double>(via_fft.values()[i]) - via_direct.values()[i]));
    CHECK(err <= bound * 1e4);  // max|x| · max|k| · K = 1e4 · (1/441) · 441
}

TEST_CASE_TEMPLATE("a Convolver scales its kernel once and each input as it comes: huge and tiny inputs", T, float,
                   double) {
    // The kernel is transformed once, times a power of two; each apply brings its own input to
    // magnitudes near 1 and the result back, so one plan serves inputs near the type's largest
    // value, ordinary ones and ones near its smallest.
    const bool single = std::is_same_v<T, float>;
    std::mt19937_64 rng(81);
    for (auto [input, kernel] : {std::pair{Shape{256, 256}, Shape{5, 5}}, {Shape{1, 60000}, Shape{1, 37}}}) {
        Image<T> k = ref::random_image<T>(kernel.rows, kernel.cols, rng);
        for (T& v : k.values()) v = std::abs(v) * T(1e-3);
        Convolver<T> plan(input, k, Mode::same, {.method = Method::fft});
        for (double scale : {single ? 1e34 : 1e306, 1.0, single ? 1e-36 : 1e-305}) {
            Image<T> x = ref::random_image<T>(input.rows, input.cols, rng);
            for (T& v : x.values()) v = std::abs(v) * static_cast<T>(scale);
            const Image<T> got = plan.apply(x), want = convolve(x, k, Mode::same, Method::direct);
            const ref::RangeCheck check = ref::range_check(got.view(), want.view());
            const double bound = fft_error_bound(input, kernel, Mode::same, element_type_v<T>) *
                                 static_cast<double>(ref::max_abs(x) * ref::max_abs(k)) *
                                 static_cast<double>(kernel.size());
            CAPTURE(input);
            CAPTURE(scale);
            CAPTURE(check.err);
            CAPTURE(bound);
            CHECK(check.nonfinite == 0);
            CHECK(check.misplaced == 0);
            CHECK(check.err <= bound + kernel.size() * std::numeric_limits<T>::denorm_min());
        }
    }
}
