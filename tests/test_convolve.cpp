// convolve.hpp: known answers, scipy's semantics, properties and bad input, for both cores.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "reference.hpp"

using namespace fftconv;
using cf = std::complex<float>;
using cd = std::complex<double>;

#define ALL_TYPES float, double, cf, cd

namespace {

constexpr Method both_methods[] = {Method::direct, Method::fft};

template <class T>
Image<T> as(const Image<double>& src) {
    Image<T> out(src.rows(), src.cols());
    for (long r = 0; r < src.rows(); ++r)
        for (long c = 0; c < src.cols(); ++c) out(r, c) = static_cast<T>(src(r, c));
    return out;
}

template <class T>
std::vector<T> as_vec(const std::vector<double>& src) {
    return std::vector<T>(src.begin(), src.end());
}

// Exact for direct; FFT round-off stays far below 1e-4 on these small integers in any type.
template <class T>
void check_equal(const Image<T>& got, const Image<double>& want, Method method) {
    REQUIRE(got.shape() == want.shape());
    const double tol = method == Method::direct ? 0.0 : 1e-4;
    for (long r = 0; r < want.rows(); ++r)
        for (long c = 0; c < want.cols(); ++c) {
            CAPTURE(r);
            CAPTURE(c);
            CHECK(std::abs(got(r, c) - static_cast<T>(want(r, c))) <= tol);
        }
}

template <class T>
void check_equal(const std::vector<T>& got, const std::vector<double>& want, Method method) {
    check_equal(Image<T>(ImageView<const T>(std::span<const T>(got))),
                Image<double>(ImageView<const double>(std::span<const double>(want))), method);
}

}  // namespace

TEST_CASE_TEMPLATE("known answers: 2D, every mode, both methods", T, ALL_TYPES) {
    const Image<double> a{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, b{{1, 2}, {3, 4}};
    const auto at = as<T>(a), bt = as<T>(b);
    for (Method m : both_methods) {
        CAPTURE(m);
        check_equal(convolve(at, bt, Mode::full, m),
                    {{1, 4, 7, 6}, {7, 23, 33, 24}, {19, 53, 63, 42}, {21, 52, 59, 36}}, m);
        check_equal(convolve(at, bt, Mode::same, m), {{1, 4, 7}, {7, 23, 33}, {19, 53, 63}}, m);
        check_equal(convolve(at, bt, Mode::valid, m), {{23, 33}, {53, 63}}, m);
        check_equal(correlate(at, bt, Mode::full, m),
                    {{4, 11, 18, 9}, {18, 37, 47, 21}, {36, 67, 77, 33}, {14, 23, 26, 9}}, m);
        check_equal(correlate(at, bt, Mode::same, m), {{4, 11, 18}, {18, 37, 47}, {36, 67, 77}}, m);
        check_equal(correlate(at, bt, Mode::valid, m), {{37, 47}, {67, 77}}, m);
        // b larger than a: convolve commutes, correlate comes out reversed (scipy's values).
        check_equal(convolve(bt, at, Mode::valid, m), {{23, 33}, {53, 63}}, m);
        check_equal(correlate(bt, at, Mode::valid, m), {{77, 67}, {47, 37}}, m);
        check_equal(correlate(bt, at, Mode::same, m), {{77, 67}, {47, 37}}, m);
    }
}

TEST_CASE_TEMPLATE("known answers: 1D, every mode, both methods", T, ALL_TYPES) {
    const auto f = as_vec<T>({0, 1, 2, -1, 3}), g = as_vec<T>({1, 1, 0});
    for (Method m : both_methods) {
        CAPTURE(m);
        check_equal(convolve<T>(f, g, Mode::valid, m), {3, 1, 2}, m);
        check_equal(convolve<T>(f, g, Mode::full, m), {0, 1, 3, 1, 2, 3, 0}, m);
        check_equal(convolve<T>(f, g, Mode::same, m), {1, 3, 1, 2, 3}, m);
        check_equal(correlate<T>(f, g, Mode::full, m), {0, 0, 1, 3, 1, 2, 3}, m);
        check_equal(correlate<T>(f, g, Mode::same, m), {0, 1, 3, 1, 2}, m);
        check_equal(correlate<T>(f, g, Mode::valid, m), {1, 3, 1}, m);
        // The kernel larger than the input.
        const auto s = as_vec<T>({1, 2}), l = as_vec<T>({1, 2, 3, 4});
        check_equal(correlate<T>(s, l, Mode::valid, m), {11, 8, 5}, m);
        check_equal(correlate<T>(s, l, Mode::same, m), {11, 8}, m);
        check_equal(convolve<T>(s, l, Mode::same, m), {4, 7}, m);
        check_equal(convolve<T>(s, l, Mode::full, m), {1, 4, 7, 10, 8}, m);
        check_equal(convolve<T>(s, l, Mode::valid, m), {4, 7, 10}, m);
    }
}

TEST_CASE("known answers: complex correlation conjugates the kernel (scipy's values)") {
    const std::vector<cd> z{{1, 2}, {3, -1}, {0, 2}}, w{{1, -1}, {2, 0.5}};
    for (Method m : both_methods) {
        CAPTURE(m);
        const std::vector<cd> want_corr{{3, 3.5}, {4.5, -0.5}, {5, 6}, {-2, 2}};
        const std::vector<cd> want_conv{{3, 1}, {3, 0.5}, {8.5, 1.5}, {-1, 4}};
        CHECK(ref::rel_err(correlate(z, w, Mode::full, m), want_corr) < 1e-15);
        CHECK(ref::rel_err(convolve(z, w, Mode::full, m), want_conv) < 1e-15);
        CHECK(ref::rel_err(correlate(z, w, Mode::valid, m), std::vector<cd>{{4.5, -0.5}, {5, 6}}) < 1e-15);
    }
}

TEST_CASE("same mode centres like scipy, not like MATLAB, for even kernels") {
    // full = [1, 3, 6, 10, 9, 7, 4]; scipy keeps offset (4-1)/2 = 1, MATLAB would keep offset 2.
    const std::vector<double> x{1, 2, 3, 4}, h{1, 1, 1, 1};
    for (Method m : both_methods) check_equal(convolve(x, h, Mode::same, m), {3, 6, 10, 9}, m);
}

TEST_CASE("the call forms in the README compile and agree") {
    const std::vector<double> x{0, 1, 2, -1, 3}, h{1, 1, 0};
    const std::vector<double> y = fftconv::convolve<double>(x, h, fftconv::Mode::same);
    CHECK(y == convolve(x, h, Mode::same));  // deduced from std::vector
    const std::array<double, 3> ha{1, 1, 0};
    CHECK(convolve(x, ha, Mode::same) == y);  // any contiguous range

    Image<float> img{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, tpl{{1, 2}, {3, 4}};
    const Image<float> r = fftconv::correlate<float>(img.view(), tpl.view(), Mode::valid, Method::fft);
    CHECK(r.shape() == Shape{2, 2});
    CHECK(correlate(img, tpl, Mode::valid, Method::direct) == Image<float>{{37, 47}, {67, 77}});
    const Image<float>& cimg = img;
    CHECK(correlate(cimg.view(), tpl.view(), Mode::valid, Method::direct) ==
          correlate(img, tpl, Mode::valid, Method::direct));
}

TEST_CASE_TEMPLATE("direct results on small integers are exact", T, ALL_TYPES) {
    std::mt19937_64 rng(7);
    const auto a = ref::integer_image<T>(23, 41, rng), b = ref::integer_image<T>(9, 6, rng);
    for (Mode mode : ref::all_modes)
        for (bool corr : {false, true}) {
            CAPTURE(mode);
            CAPTURE(corr);
            const Image<T> got = corr ? correlate(a, b, mode, Method::direct) : convolve(a, b, mode, Method::direct);
            CHECK(got == *ref::scipy(a, b, mode, corr));
        }
}

TEST_CASE_TEMPLATE("properties", T, ALL_TYPES) {
    std::mt19937_64 rng(11);
    const double tol = ref::tolerance<T>();
    const auto a = ref::random_image<T>(17, 30, rng), b = ref::random_image<T>(6, 5, rng);

    SUBCASE("a delta kernel is the identity in same mode") {
        for (auto [kr, kc] : {std::pair{1, 1}, {3, 3}, {5, 7}}) {
            Image<T> delta(kr, kc);
            delta((kr - 1) / 2, (kc - 1) / 2) = T(1);
            for (Method m : both_methods) {
                CHECK(ref::rel_err(convolve(a, delta, Mode::same, m), a) <= tol);
                CHECK(ref::rel_err(correlate(a, delta, Mode::same, m), a) <= tol);
            }
        }
    }
    SUBCASE("convolve commutes in full mode") {
        for (Method m : both_methods)
            CHECK(ref::rel_err(convolve(a, b, Mode::full, m), convolve(b, a, Mode::full, m)) <= tol);
    }
    SUBCASE("a shifted delta shifts the input") {
        // delta at (dr, dc) in full mode: out(r + dr, c + dc) == a(r, c), zero elsewhere.
        const long dr = 2, dc = 3;
        Image<T> delta(4, 5);
        delta(dr, dc) = T(1);
        for (Method m : both_methods) {
            const Image<T> out = convolve(a, delta, Mode::full, m);
            Image<T> want(out.rows(), out.cols());
            for (long r = 0; r < a.rows(); ++r)
                for (long c = 0; c < a.cols(); ++c) want(r + dr, c + dc) = a(r, c);
            CHECK(ref::rel_err(out, want) <= tol);
        }
    }
    SUBCASE("correlate == convolve with the reversed, conjugated kernel") {
        Image<T> rc(b.view().flipped());
        for (T& v : rc.values()) v = ref::conj_if_complex(v);
        for (Mode mode : ref::all_modes)
            for (Method m : both_methods)
                CHECK(ref::rel_err(correlate(a, b, mode, m), convolve(a, rc, mode, m)) <= tol);
    }
    SUBCASE("linearity: convolve(a, 2b + c) == 2 convolve(a, b) + convolve(a, c)") {
        const auto c = ref::random_image<T>(6, 5, rng);
        Image<T> mix(6, 5);
        for (long i = 0; i < mix.size(); ++i) mix.values()[i] = T(2) * b.values()[i] + c.values()[i];
        for (Method m : both_methods) {
            const auto lhs = convolve(a, mix, Mode::same, m);
            const auto pb = convolve(a, b, Mode::same, m), pc = convolve(a, c, Mode::same, m);
            Image<T> rhs(lhs.rows(), lhs.cols());
            for (long i = 0; i < rhs.size(); ++i) rhs.values()[i] = T(2) * pb.values()[i] + pc.values()[i];
            CHECK(ref::rel_err(lhs, rhs) <= 4 * tol);
        }
    }
}

TEST_CASE_TEMPLATE("strided views: flipped, transposed and sub-images read correctly", T, ALL_TYPES) {
    std::mt19937_64 rng(5);
    const auto big = ref::random_image<T>(20, 24, rng), k = ref::random_image<T>(4, 3, rng);
    const ImageView<const T> sub = big.view().subview(3, 5, 11, 13);
    const ImageView<const T> views[] = {sub, sub.flipped(), sub.transposed(), big.view().transposed().flipped()};
    for (const auto& v : views) {
        const Image<T> dense(v);
        for (Method m : both_methods)
            for (Mode mode : ref::all_modes) {
                CHECK(ref::rel_err(convolve<T>(v, k.view(), mode, m), *ref::scipy(dense, k, mode, false)) <=
                      ref::tolerance<T>());
                CHECK(ref::rel_err(correlate<T>(k.view(), v, mode, m), *ref::scipy(k, dense, mode, true)) <=
                      ref::tolerance<T>());
            }
    }
}

TEST_CASE("inputs are never modified") {
    std::mt19937_64 rng(3);
    const auto a = ref::random_image<cd>(9, 8, rng), b = ref::random_image<cd>(3, 4, rng);
    Image<cd> a2 = a, b2 = b;
    for (Method m : both_methods)
        for (Mode mode : ref::all_modes) {
            (void)convolve(a2, b2, mode, m);
            (void)correlate(a2, b2, mode, m);
        }
    CHECK(a2 == a);
    CHECK(b2 == b);
}

TEST_CASE("bad input throws Error naming the argument and the sizes") {
    const std::vector<double> empty, x{1, 2, 3};
    CHECK_THROWS_WITH_AS(convolve(empty, x), "convolve: argument 'a' is empty (length 0)", Error);
    CHECK_THROWS_WITH_AS(correlate(x, empty, Mode::same, Method::fft), "correlate: argument 'b' is empty (length 0)",
                         Error);

    const Image<float> wide(2, 5), tall(5, 2), none(0, 3);
    CHECK_THROWS_WITH_AS(convolve(wide, tall, Mode::valid),
                         "convolve: Mode::valid needs one input at least as large as the other in every "
                         "dimension; got 'a' 2x5 and 'b' 5x2",
                         Error);
    CHECK_THROWS_WITH_AS(correlate(none, wide), "correlate: argument 'a' is empty (0x3)", Error);
    CHECK_NOTHROW(convolve(wide, tall, Mode::full));
    CHECK_NOTHROW(convolve(wide, tall, Mode::same));

    const ImageView<const float> negative(wide.data(), -1, 3), null_view(nullptr, 2, 2);
    CHECK_THROWS_WITH_AS(convolve<float>(negative, wide.view()), "convolve: argument 'a' has a negative size (-1x3)",
                         Error);
    CHECK_THROWS_WITH_AS(convolve<float>(wide.view(), null_view),
                         "convolve: argument 'b' is a 2x2 view with no data (null pointer)", Error);
    CHECK_THROWS_WITH_AS(convolve(x, x, static_cast<Mode>(9)), "convolve: mode 9 is not one of full, same, valid",
                         Error);
    CHECK_THROWS_WITH_AS(convolve(x, x, Mode::full, static_cast<Method>(9)),
                         "convolve: method 9 is not one of automatic, direct, fft", Error);
    CHECK_THROWS_AS((void)choose_method({2, 5}, {5, 2}, Mode::valid, ElementType::float64), Error);
}

TEST_CASE("length-1 inputs, 1xN and Nx1 images") {
    const std::vector<double> one{2.5}, x{1, -2, 3};
    for (Method m : both_methods) {
        check_equal(convolve(one, one, Mode::full, m), {6.25}, m);
        check_equal(convolve(x, one, Mode::valid, m), {2.5, -5, 7.5}, m);
        check_equal(convolve(one, x, Mode::same, m), {-5}, m);
        check_equal(convolve(one, x, Mode::valid, m), {2.5, -5, 7.5}, m);
        // A row times a column is their outer product.
        const Image<double> row{{1, 2, 3}}, col{{1}, {10}};
        check_equal(convolve(row, col, Mode::full, m), {{1, 2, 3}, {10, 20, 30}}, m);
        check_equal(correlate(col, row, Mode::full, m), {{3, 2, 1}, {30, 20, 10}}, m);
    }
}

TEST_CASE("choose_method picks direct for small kernels and FFT for large ones") {
    for (ElementType t :
         {ElementType::float32, ElementType::float64, ElementType::complex64, ElementType::complex128}) {
        CAPTURE(t);
        CHECK(choose_method({512, 512}, {3, 3}, Mode::same, t) == Method::direct);
        CHECK(choose_method({512, 512}, {63, 63}, Mode::same, t) == Method::fft);
        CHECK(choose_method({1, 100000}, {1, 5}, Mode::full, t) == Method::direct);
        CHECK(choose_method({1, 100000}, {1, 1000}, Mode::full, t) == Method::fft);
        CHECK(choose_method({1, 1}, {1, 1}, Mode::full, t) == Method::direct);
        CHECK(choose_method<double>({1, 8}, {1, 8}, Mode::valid) == Method::direct);
        // The estimates it compares are public too, and grow with the work.
        CHECK(estimate_seconds({256, 256}, {9, 9}, Mode::same, t, Method::direct) <
              estimate_seconds({256, 256}, {17, 17}, Mode::same, t, Method::direct));
        CHECK(estimate_seconds({256, 256}, {9, 9}, Mode::same, t, Method::fft) <
              estimate_seconds({1024, 1024}, {9, 9}, Mode::same, t, Method::fft));
    }
    CHECK_THROWS_AS((void)estimate_seconds({4, 4}, {2, 2}, Mode::full, ElementType::float32, Method::automatic), Error);
}

TEST_CASE("automatic returns what the method it chooses returns") {
    std::mt19937_64 rng(1);
    const auto a = ref::random_image<double>(64, 64, rng);
    for (long k : {3L, 41L}) {
        const auto b = ref::random_image<double>(k, k, rng);
        const Method chosen = choose_method<double>(a.shape(), b.shape(), Mode::same);
        CHECK(convolve(a, b, Mode::same) == convolve(a, b, Mode::same, chosen));
    }
}

TEST_CASE("the README's example runs and gives what its comments say") {
    std::vector<double> x = {0, 1, 2, -1, 3}, h = {1, 1, 0};
    std::vector<double> y = fftconv::convolve(x, h, fftconv::Mode::same);  // {1, 3, 1, 2, 3}

    fftconv::Image<float> img(480, 640), tpl(32, 32);                             // 64-byte aligned
    fftconv::Image<float> r = fftconv::correlate(img, tpl, fftconv::Mode::valid,  // 449x609
                                                 fftconv::Method::fft);

    fftconv::Convolver<float> blur(img.shape(), tpl, fftconv::Mode::same);  // plan once...
    fftconv::Image<float> out(img.shape());
    for (int i = 0; i < 100; ++i) blur.apply(img, out.view());  // ...apply often

    CHECK(y == std::vector<double>{1, 3, 1, 2, 3});
    CHECK(r.shape() == Shape{449, 609});
    CHECK(out.shape() == img.shape());
}

// ---- The ends of the range: the FFT's sums reach N·max|x| (past FLT_MAX for 1e34 on 256x256), and
// the spectra of tiny operands multiply into subnormal numbers; the bound must hold all the same.

namespace {

// Values u·scale with u uniform in [-1, 1] (|u| for `positive`: sums that grow with every term),
// or, for `mixed`, u·scale·10^-k with k uniform in [0, 30]: huge and tiny values in one operand.
template <class T>
Image<T> scaled_image(long rows, long cols, double scale, bool mixed, bool positive, std::mt19937_64& rng) {
    Image<T> img = ref::random_image<T>(rows, cols, rng);
    std::uniform_int_distribution<int> k(0, 30);
    for (T& v : img.values()) {
        if (positive) v = T(std::abs(v));
        const double f = scale * (mixed ? std::pow(10.0, -k(rng)) : 1.0);
        if constexpr (is_complex_v<T>)
            v = T(static_cast<real_t<T>>(v.real() * f), static_cast<real_t<T>>(v.imag() * f));
        else
            v = static_cast<T>(v * f);
    }
    return img;
}

}  // namespace

TEST_CASE_TEMPLATE("huge, tiny and mixed magnitudes: the FFT's error stays within fft_error_bound", T, ALL_TYPES) {
    using R = real_t<T>;
    const bool single = std::is_same_v<R, float>;
    struct Magnitudes {
        double a, b;
        bool mixed, positive;
    };
    // Positive huge values: the transforms' sums grow with every term (N·max|a|).
    const std::vector<Magnitudes> cases =
        single ? std::vector<Magnitudes>{{1e34, 1, false, true},      {1e34, 1, false, false},
                                         {1, 3e33, false, true},      {1e34, 1e3, true, false},
                                         {1e-30, 1e-8, false, false}, {1e-40, 1, false, false},
                                         {1e-30, 1e-30, false, true}, {1, 1, true, false}}
               : std::vector<Magnitudes>{{1e306, 1, false, true},       {1e300, 1, false, false},
                                         {1, 1e306, false, true},       {1e300, 1e6, true, false},
                                         {1e-300, 1e-8, false, false},  {1e-310, 1, false, false},
                                         {1e-160, 1e-160, false, true}, {1, 1, true, false}};
    // Small shapes against the exact sums (long double), large ones against the direct sum: the
    // 2D rows-and-columns path, the rank-1 path, and overlap-save.
    struct Shapes {
        Shape a, b;
        bool exact;
    };
    const Shapes shapes[] = {{{37, 41}, {5, 4}, true},
                             {{1, 3000}, {1, 33}, true},
                             {{256, 256}, {5, 5}, false},
                             {{1, 60000}, {1, 37}, false}};
    std::mt19937_64 rng(71);
    double worst = 0;  // the largest error seen, as a fraction of the bound
    for (const Magnitudes& m : cases)
        for (const Shapes& sh : shapes)
            for (bool corr : {false, true}) {
                const auto a = scaled_image<T>(sh.a.rows, sh.a.cols, m.a, m.mixed, m.positive, rng);
                const auto b = scaled_image<T>(sh.b.rows, sh.b.cols, m.b, false, m.positive, rng);
                const Mode mode = corr ? Mode::same : Mode::full;
                const auto run = [&](Method method) {
                    return corr ? correlate(a, b, mode, method) : convolve(a, b, mode, method);
                };
                const Image<T> fft = run(Method::fft);
                const Image<T> want = sh.exact ? *ref::scipy(a, b, mode, corr) : run(Method::direct);
                const long double scale =
                    ref::max_abs(a) * ref::max_abs(b) * static_cast<long double>(std::min(sh.a.size(), sh.b.size()));
                // Subnormal results round to multiples of the smallest one: once (exact) or once
                // per term (the direct sum).
                const double slack =
                    std::numeric_limits<R>::denorm_min() * (sh.exact ? 1.0 : static_cast<double>(sh.b.size() + 1));
                const double bound = fft_error_bound(sh.a, sh.b, mode, element_type_v<T>) * static_cast<double>(scale);
                const ref::RangeCheck got = ref::range_check(fft.view(), want.view());
                CAPTURE(m.a);
                CAPTURE(m.b);
                CAPTURE(m.mixed);
                CAPTURE(m.positive);
                CAPTURE(sh.a);
                CAPTURE(corr);
                CAPTURE(got.err);
                CAPTURE(bound);
                CHECK(got.nonfinite == 0);
                CHECK(got.misplaced == 0);
                CHECK(got.err <= bound + slack);
                // Where the subnormal spacing is most of the allowance, the bound itself says little.
                if (slack < 0.01 * bound) worst = std::max(worst, got.err / bound);
            }
    MESSAGE(ref::type_name<T>() << ": largest FFT error at the ends of the range " << worst
                                << " of fft_error_bound (cases whose bound is above 100 subnormal spacings)");
}

TEST_CASE_TEMPLATE("results past the largest value are ±Inf on the FFT path where the direct sum's are", T, float,
                   double, cf, cd) {
    // 256x256 of 1e34 (1e306 in double) under a 5x5 box of ±1e4: 25 terms of 1e38 (1e310) per
    // output in the middle, overflowing; 1 to 3 terms at the corners of the full result, which fit.
    using R = real_t<T>;
    const R big = std::is_same_v<R, float> ? R(1e34) : R(1e306);
    Image<T> a(256, 256), b(5, 5);
    for (T& v : a.values()) v = T(big);
    for (R sign : {R(1), R(-1)}) {
        for (T& v : b.values()) v = T(sign * R(1e4));
        const Image<T> direct = convolve(a, b, Mode::full, Method::direct);
        const double bound =
            fft_error_bound(a.shape(), b.shape(), Mode::full, element_type_v<T>) * double(big) * 1e4 * 25;
        Convolver<T> plan(a.shape(), b, Mode::full, {.method = Method::fft});
        for (const Image<T>& fft : {convolve(a, b, Mode::full, Method::fft), plan.apply(a)}) {
            const ref::RangeCheck got = ref::range_check(fft.view(), direct.view());
            CAPTURE(sign);
            CHECK(got.nonfinite > 60000);
            CHECK(got.misplaced == 0);
            CHECK(got.err <= bound);
        }
    }
}

// ---- NaN and Inf: the FFT must not spread them (a transform mixes every value into every output).

namespace {

template <class T>
bool finite_value(T x) {
    if constexpr (is_complex_v<T>)
        return std::isfinite(x.real()) && std::isfinite(x.imag());
    else
        return std::isfinite(x);
}

// The FFT result has NaN and Inf exactly where the direct one does (same class: NaN, +Inf, -Inf,
// per part), and the finite outputs agree to the FFT's round-off.
template <class T>
void check_same_nonfinite(const Image<T>& fft, const Image<T>& direct) {
    REQUIRE(fft.shape() == direct.shape());
    const auto cls = [](real_t<T> v) { return std::isnan(v) ? 2 : std::isinf(v) ? (v > 0 ? 3 : 4) : 0; };
    double scale = 0;
    for (T v : direct.values())
        if (finite_value(v)) scale = std::max(scale, static_cast<double>(std::abs(v)));
    std::ptrdiff_t nonfinite = 0, mismatches = 0;
    for (std::ptrdiff_t i = 0; i < direct.size(); ++i) {
        const T f = fft.values()[i], d = direct.values()[i];
        nonfinite += !finite_value(d);
        if constexpr (is_complex_v<T>)
            mismatches += cls(f.real()) != cls(d.real()) || cls(f.imag()) != cls(d.imag());
        else
            mismatches += cls(f) != cls(d);
        if (finite_value(d) && finite_value(f))
            mismatches += std::abs(f - d) > ref::tolerance<T>() * std::max(scale, 1.0);
    }
    CHECK(nonfinite > 0);  // the case does test something
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE_TEMPLATE("NaN and Inf: Method::fft puts them exactly where direct does, in every mode", T, ALL_TYPES) {
    using R = real_t<T>;
    std::mt19937_64 rng(51);
    const R nan = std::numeric_limits<R>::quiet_NaN(), inf = std::numeric_limits<R>::infinity();
    for (auto [as, bs] : {std::pair{Shape{40, 37}, Shape{5, 4}},
                          {Shape{1, 3000}, Shape{1, 33}},
                          {Shape{1, 60000}, Shape{1, 37}},
                          {Shape{12, 9}, Shape{15, 11}}}) {
        auto a = ref::random_image<T>(as.rows, as.cols, rng);
        const auto b = ref::random_image<T>(bs.rows, bs.cols, rng);
        a(0, as.cols / 2) = T(nan);
        a(as.rows - 1, as.cols - 1) = T(inf);
        a(as.rows / 2, 0) = T(-inf);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                if (mode == Mode::valid && (bs.rows > as.rows) != (bs.cols > as.cols)) continue;
                CAPTURE(as);
                CAPTURE(bs);
                CAPTURE(mode);
                CAPTURE(corr);
                const auto run = [&](Method m) { return corr ? correlate(a, b, mode, m) : convolve(a, b, mode, m); };
                check_same_nonfinite(run(Method::fft), run(Method::direct));
                Convolver<T> plan(as, b, mode, {.method = Method::fft, .correlate = corr});
                check_same_nonfinite(plan.apply(a), run(Method::direct));
            }
    }
}

TEST_CASE_TEMPLATE("a NaN in the kernel reaches every output it overlaps, as in the direct sum", T, float, cd) {
    std::mt19937_64 rng(52);
    const auto a = ref::random_image<T>(30, 30, rng);
    auto b = ref::random_image<T>(6, 6, rng);
    b(2, 3) = T(std::numeric_limits<real_t<T>>::quiet_NaN());
    for (Mode mode : ref::all_modes) {
        CAPTURE(mode);
        const Image<T> fft = convolve(a, b, mode, Method::fft), direct = convolve(a, b, mode, Method::direct);
        for (std::ptrdiff_t i = 0; i < direct.size(); ++i)
            REQUIRE(finite_value(fft.values()[i]) == finite_value(direct.values()[i]));
    }
}

TEST_CASE_TEMPLATE("NaN and Inf behind a zero tap: convolve and correlate multiply it, as scipy.signal does", T,
                   ALL_TYPES) {
    // IEEE arithmetic: 0 · NaN and 0 · Inf are NaN, and scipy.signal's direct sum includes them.
    // (The image filters skip zero taps instead, as OpenCV's do: see filters.hpp.)
    using R = real_t<T>;
    const Image<T> k{{T(1), T(0), T(1)}, {T(2), T(0), T(2)}, {T(1), T(0), T(1)}};  // rank 1, zero column
    for (R bad : {std::numeric_limits<R>::quiet_NaN(), std::numeric_limits<R>::infinity()}) {
        Image<T> a(5, 5);
        for (T& v : a.values()) v = T(1);
        a(2, 2) = T(bad);
        const Image<T> direct = correlate(a, k, Mode::same, Method::direct);
        CAPTURE(bad);
        CHECK(!finite_value(direct(2, 2)));  // through the zero tap
        for (Method m : {Method::fft, Method::automatic}) {
            CAPTURE(m);
            check_same_nonfinite(correlate(a, k, Mode::same, m), direct);
            check_same_nonfinite(convolve(a, k, Mode::same, m), convolve(a, k, Mode::same, Method::direct));
            Convolver<T> plan(a.shape(), k, Mode::same, {.method = m, .correlate = true});
            check_same_nonfinite(plan.apply(a), direct);
        }
        // 1D, long enough for overlap-save on the FFT path.
        std::vector<T> x(60000, T(1));
        x[30000] = T(bad);
        const std::vector<T> h{T(1), T(0), T(-1)};
        const auto as_image = [](const std::vector<T>& v) {
            return Image<T>(ImageView<const T>(std::span<const T>(v)));
        };
        const std::vector<T> line = convolve(x, h, Mode::same, Method::direct);
        CHECK(!finite_value(line[30000]));
        for (Method m : {Method::fft, Method::automatic}) {
            check_same_nonfinite(as_image(convolve(x, h, Mode::same, m)), as_image(line));
            Convolver<T> plan(x.size(), std::span<const T>(h), Mode::same, {.method = m});
            check_same_nonfinite(as_image(plan.apply(std::span<const T>(x))), as_image(line));
        }
    }
}

TEST_CASE("Method::automatic never runs the FFT on NaN or Inf") {
    // A shape the cost model sends to the FFT: with one NaN the call is the direct sum, bit for bit.
    std::mt19937_64 rng(53);
    auto a = ref::random_image<double>(300, 300, rng);
    const auto b = ref::random_image<double>(41, 41, rng);
    REQUIRE(choose_method<double>(a.shape(), b.shape(), Mode::same) == Method::fft);
    a(150, 7) = std::numeric_limits<double>::quiet_NaN();
    const Image<double> got = convolve(a, b, Mode::same), direct = convolve(a, b, Mode::same, Method::direct);
    CHECK(std::memcmp(got.values().data(), direct.values().data(), sizeof(double) * direct.values().size()) == 0);
    Convolver<double> plan(a.shape(), b, Mode::same);
    REQUIRE(plan.method() == Method::fft);
    const Image<double> applied = plan.apply(a);
    CHECK(std::memcmp(applied.values().data(), direct.values().data(), sizeof(double) * direct.values().size()) == 0);
    // Finite data still takes the FFT: the result differs from direct by round-off only.
    a(150, 7) = 0.5;
    CHECK(ref::rel_err(convolve(a, b, Mode::same), convolve(a, b, Mode::same, Method::direct)) < 1e-12);
}

TEST_CASE("template matching and frequency-domain filters refuse NaN and Inf, saying how many") {
    Image<float> img(32, 32), templ(4, 4);
    for (float& v : img.values()) v = 0.25f;
    for (float& v : templ.values()) v = 0.5f;
    img(3, 3) = std::numeric_limits<float>::quiet_NaN();
    img(5, 9) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS((void)match_template(img, templ, MatchMethod::ccoeff_normed),
                         "match_template: argument 'image' holds 2 non-finite values (NaN or Inf) among 32x32; its "
                         "window sums would carry them into every later score",
                         Error);
    CHECK_THROWS_WITH_AS((void)lowpass(img, 0.2), doctest::Contains("argument 'image' holds 2 non-finite values"),
                         Error);
    Image<float> clean(32, 32);
    templ(1, 1) = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS((void)match_template(clean, templ, MatchMethod::sqdiff),
                         doctest::Contains("argument 'templ' holds 1 non-finite value (NaN or Inf)"), Error);
}
