// filter, filter_convolve and gaussian_filter: scipy.ndimage's same-size correlation and
// convolution with a border, at any rank. Known answers computed with scipy.ndimage 1.10, and a
// brute-force oracle written from the definitions (its own border rules, long double sums) on
// every border, cval, odd and even kernel, kernel larger than the array, rank 1 to 3, each method.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

const Border all_borders[] = {Border::constant, Border::replicate, Border::reflect, Border::reflect101, Border::wrap};
const Method all_methods[] = {Method::direct, Method::fft, Method::automatic};

Array<double> array_of(Extents shape, std::initializer_list<double> values) {
    Array<double> a(shape);
    std::copy(values.begin(), values.end(), a.values().begin());
    return a;
}

std::vector<double> values_of(const Array<double>& a) {
    return {a.values().begin(), a.values().end()};
}

// Equal to `want` within 1e-12 of its largest value (the FFT's round-off; direct is exact here).
bool near(const Array<double>& got, const std::vector<double>& want) {
    if (static_cast<std::size_t>(got.size()) != want.size()) return false;
    double top = 1;
    for (double w : want) top = std::max(top, std::abs(w));
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!(std::abs(got.values()[i] - want[i]) <= 1e-12 * top)) return false;
    return true;
}

// Where position p of an axis of n elements reads from; -1: the constant. Written from
// scipy.ndimage's pictures of its modes, separately from the library's border_index.
std::ptrdiff_t oracle_index(std::ptrdiff_t p, std::ptrdiff_t n, Border border) {
    if (p >= 0 && p < n) return p;
    switch (border) {
        case Border::constant: return -1;
        case Border::replicate: return p < 0 ? 0 : n - 1;
        case Border::wrap: return ((p % n) + n) % n;
        case Border::reflect: {  // d c b a | a b c d | d c b a: period 2n
            std::ptrdiff_t q = ((p % (2 * n)) + 2 * n) % (2 * n);
            return q < n ? q : 2 * n - 1 - q;
        }
        case Border::reflect101: {  // d c b | a b c d | c b a: period 2n - 2
            if (n == 1) return 0;
            std::ptrdiff_t q = ((p % (2 * n - 2)) + 2 * n - 2) % (2 * n - 2);
            return q < n ? q : 2 * n - 2 - q;
        }
    }
    return -1;
}

// out(i) = Σ_j w(j) · ext(i + j − c), c = size // 2 (correlate: w = conj(kernel)) or, for
// convolve, w = kernel reversed and c = (size − 1) // 2; zero taps skipped.
template <class T>
Array<T> oracle(const Array<T>& a, const Array<T>& k, Border border, T cval, bool convolve) {
    const int rank = a.rank();
    Array<T> out(a.shape());
    Array<T>::for_each_index(a.shape(), [&](const std::ptrdiff_t* i) {
        std::complex<long double> sum = 0;
        Array<T>::for_each_index(k.shape(), [&](const std::ptrdiff_t* j) {
            std::ptrdiff_t kj[max_rank], src[max_rank];
            bool constant = false;
            for (int ax = 0; ax < rank; ++ax) {
                const std::ptrdiff_t size = k.shape()[ax];
                kj[ax] = convolve ? size - 1 - j[ax] : j[ax];
                const std::ptrdiff_t c = convolve ? (size - 1) / 2 : size / 2;
                src[ax] = oracle_index(i[ax] + j[ax] - c, a.shape()[ax], border);
                constant = constant || src[ax] < 0;
            }
            T w = k.view().at(kj);
            if constexpr (is_complex_v<T>)
                if (!convolve) w = std::conj(w);
            if (w == T(0)) return;
            const T x = constant ? cval : a.view().at(src);
            sum += std::complex<long double>(w) * std::complex<long double>(x);
        });
        if constexpr (is_complex_v<T>)
            out.view().at(i) = T(static_cast<real_t<T>>(sum.real()), static_cast<real_t<T>>(sum.imag()));
        else
            out.view().at(i) = static_cast<T>(sum.real());
    });
    return out;
}

template <class T>
Array<T> random_array(Extents shape, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    Array<T> a(shape);
    for (T& v : a.values()) {
        if constexpr (is_complex_v<T>)
            v = T(static_cast<real_t<T>>(u(rng)), static_cast<real_t<T>>(u(rng)));
        else
            v = static_cast<T>(u(rng));
    }
    return a;
}

template <class T>
double max_rel_diff(const Array<T>& a, const Array<T>& b) {
    REQUIRE(a.shape() == b.shape());
    double d = 0, m = 1e-300;
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) {
        d = std::max(d, static_cast<double>(std::abs(a.values()[static_cast<std::size_t>(i)] -
                                                     b.values()[static_cast<std::size_t>(i)])));
        m = std::max(m, static_cast<double>(std::abs(b.values()[static_cast<std::size_t>(i)])));
    }
    return d / m;
}

template <class T>
double tolerance() {
    return std::is_same_v<real_t<T>, float> ? 2e-5 : 1e-12;
}

}  // namespace

TEST_CASE("known answers from scipy.ndimage") {
    const Array<double> squares = array_of({8}, {0, 1, 4, 9, 16, 25, 36, 49});
    const Array<double> w = array_of({4}, {1, 2, 3, 4});
    for (Method m : all_methods) {
        CAPTURE(m);
        // An even kernel: correlate anchors at 2, convolve (reversed) at 1.
        CHECK(near(filter(squares, w, Border::constant, 0.0, m),
                   std::vector<double>{4, 19, 50, 100, 170, 260, 370, 244}));
        CHECK(near(filter_convolve(squares, w, Border::constant, 0.0, m),
                   std::vector<double>{6, 20, 50, 100, 170, 260, 306, 291}));
        // Borders wider than the array keep folding or repeating.
        const Array<double> ramp = array_of({5}, {0, 1, 2, 3, 4});
        const Array<double> ones(Extents{9}, 1.0);
        CHECK(near(filter(ramp, ones, Border::wrap, 0.0, m), std::vector<double>{20, 19, 18, 17, 16}));
        CHECK(near(filter(ramp, ones, Border::reflect, 0.0, m), std::vector<double>{16, 17, 18, 19, 20}));
        CHECK(near(filter(ramp, ones, Border::mirror, 0.0, m), std::vector<double>{20, 19, 18, 17, 16}));
        CHECK(near(filter(ramp, ones, Border::nearest, 0.0, m), std::vector<double>{10, 14, 18, 22, 26}));
        CHECK(near(filter(array_of({1}, {3}), Array<double>(Extents{4}, 1.0), Border::mirror, 0.0, m),
                   std::vector<double>{12}));
        // A zero tap does not carry NaN: [2, 2, nan, 2, nan, 2, 2].
        Array<double> x(Extents{7}, 1.0);
        x(3) = std::numeric_limits<double>::quiet_NaN();
        const std::vector<double> got = values_of(filter(x, array_of({3}, {1, 0, 1}), Border::reflect, 0.0, m));
        for (std::size_t i : {0, 1, 3, 5, 6}) CHECK(got[i] == 2);
        CHECK(std::isnan(got[2]));
        CHECK(std::isnan(got[4]));
    }
    // Complex: correlate conjugates the kernel, convolve does not.
    using C = std::complex<double>;
    Array<C> xc(Extents{5}), wc(Extents{3});
    for (int i = 0; i < 5; ++i) xc(i) = C(i, 4 - i);
    wc(0) = C(1, 2);
    wc(1) = C(3, -1);
    wc(2) = C(2, 0);
    const std::vector<C> correlated{{-2, 18}, {12, 18}, {17, 11}, {22, 4}, {17, -1}};
    const std::vector<C> convolved{{-1, 17}, {4, 22}, {11, 17}, {18, 12}, {18, -2}};
    for (Method m : all_methods) {
        const Array<C> c = filter(xc, wc, Border::constant, C(0), m),
                       v = filter_convolve(xc, wc, Border::constant, C(0), m);
        for (std::size_t i = 0; i < 5; ++i) {
            CHECK(std::abs(c.values()[i] - correlated[i]) < 1e-12);
            CHECK(std::abs(v.values()[i] - convolved[i]) < 1e-12);
        }
    }
}

TEST_CASE_TEMPLATE("every border, cval and kernel shape against the oracle, ranks 1 to 3", T, float, double,
                   std::complex<float>, std::complex<double>) {
    std::mt19937_64 rng(7);
    const std::vector<std::pair<Extents, Extents>> shapes = {
        {{1}, {1}},
        {{13}, {4}},
        {{5}, {9}},
        {{2}, {7}},
        {{7, 9}, {3, 4}},
        {{6, 5}, {2, 7}},
        {{1, 8}, {1, 3}},
        {{4, 3}, {5, 5}},
        {{5, 6, 7}, {2, 3, 4}},
        {{3, 4, 2}, {3, 1, 2}},
        {{2, 2, 9}, {4, 4, 1}},
    };
    int checked = 0;
    for (const auto& [as, ks] : shapes) {
        const Array<T> a = random_array<T>(as, rng), k = random_array<T>(ks, rng);
        for (Border b : all_borders)
            for (bool convolve : {false, true}) {
                const T cval = b == Border::constant ? T(0.75f) : T(0);
                const Array<T> want = oracle(a, k, b, cval, convolve);
                for (Method m : all_methods) {
                    CAPTURE(to_string(as));
                    CAPTURE(to_string(ks));
                    CAPTURE(b);
                    CAPTURE(convolve);
                    CAPTURE(m);
                    const Array<T> got = convolve ? filter_convolve(a, k, b, cval, m) : filter(a, k, b, cval, m);
                    CHECK(max_rel_diff(got, want) < tolerance<T>());
                    ++checked;
                }
            }
    }
    CHECK(checked == static_cast<int>(shapes.size()) * 5 * 2 * 3);
}

TEST_CASE("separable kernels and gaussian_filter: the passes equal the whole kernel, at rank 3") {
    std::mt19937_64 rng(11);
    const Array<double> a = random_array<double>({9, 10, 11}, rng);
    // An outer product: the passes run for direct (and automatic, by cost).
    Array<double> k(Extents{3, 4, 5});
    Array<double>::for_each_index(k.shape(), [&](const std::ptrdiff_t* i) {
        k.view().at(i) = (1.0 + static_cast<double>(i[0])) * (2.0 - 0.5 * static_cast<double>(i[1])) *
                         (0.3 + static_cast<double>(i[2] * i[2]));
    });
    for (Border b : all_borders) {
        const double cval = b == Border::constant ? -1.5 : 0.0;
        const Array<double> want = oracle(a, k, b, cval, false);
        for (Method m : all_methods) {
            CAPTURE(b);
            CAPTURE(m);
            CHECK(max_rel_diff(filter(a, k, b, cval, m), want) < 1e-12);
        }
        // gaussian_filter: scipy's kernel per axis; one sigma per axis, 0 leaving an axis alone.
        const std::vector<double> g1 = gaussian_kernel<double>(1.2), g2 = gaussian_kernel<double>(0.7);
        Array<double> gk(Extents{static_cast<std::ptrdiff_t>(g1.size()), 1, static_cast<std::ptrdiff_t>(g2.size())});
        Array<double>::for_each_index(gk.shape(), [&](const std::ptrdiff_t* i) {
            gk.view().at(i) = g1[static_cast<std::size_t>(i[0])] * g2[static_cast<std::size_t>(i[2])];
        });
        const std::vector<double> sigmas{1.2, 0, 0.7};
        for (Method m : all_methods) {
            CAPTURE(m);
            CHECK(max_rel_diff(gaussian_filter<double>(a.view(), sigmas, b, m), oracle(a, gk, b, 0.0, false)) < 1e-12);
        }
    }
    CHECK_THROWS_WITH_AS((void)gaussian_filter<double>(a.view(), std::vector<double>{1, 2}),
                         "gaussian_filter: 2 sigmas for an array of rank 3; give one, or one per axis",
                         InvalidArgument);
}

TEST_CASE("the 2D filters are filter() on rank-2 views") {
    std::mt19937_64 rng(5);
    const Array<float> a = random_array<float>({33, 40}, rng), k = random_array<float>({5, 6}, rng);
    const Image<float> ai = a.image(), ki = k.image();
    for (Border b : all_borders)
        for (Method m : all_methods) {
            CAPTURE(b);
            CAPTURE(m);
            const Image<float> two_d = filter2d(ai, ki, b, m);
            CHECK(max_rel_diff(Array<float>(two_d.view()), filter(a, k, b, 0.0f, m)) < 2e-5);
            const Image<float> blur = gaussian_blur(ai, 1.5, b, m);
            CHECK(max_rel_diff(Array<float>(blur.view()), gaussian_filter(a, 1.5, b, m)) < 2e-5);
        }
}

TEST_CASE("filter errors name the arguments and sizes") {
    const Array<double> a(Extents{4, 4}), k3(Extents{3, 3, 3}), empty(Extents{0, 3});
    CHECK_THROWS_WITH_AS((void)filter(a, k3),
                         doctest::Contains("filter: the kernel (3x3x3) and the image (4x4) have "
                                           "different ranks"),
                         InvalidArgument);
    CHECK_THROWS_WITH_AS((void)filter(empty, a), "filter: argument 'a' is empty (0x3)", InvalidArgument);
    Array<double> out(Extents{4, 5});
    CHECK_THROWS_WITH_AS(filter<double>(a.view(), out.view(), a.view()),
                         "filter: argument 'out' is 4x5, the image is 4x4", InvalidArgument);
    CHECK_THROWS_AS((void)filter(a, a, static_cast<Border>(9)), InvalidArgument);
}

TEST_CASE("estimate_filter_seconds and choose_filter_method: the separable passes count as direct") {
    // A 17x17x17 Gaussian over 20x24x28: 3 · 17 taps per element by passes, 4913 by the direct sum.
    const std::vector<double> g = gaussian_kernel<double>(2.0);
    REQUIRE(g.size() == 17);
    Array<double> gauss(Extents{17, 17, 17}), random(Extents{17, 17, 17});
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0.1, 1);
    Array<double>::for_each_index(gauss.shape(), [&](const std::ptrdiff_t* i) {
        gauss.view().at(i) =
            g[static_cast<std::size_t>(i[0])] * g[static_cast<std::size_t>(i[1])] * g[static_cast<std::size_t>(i[2])];
    });
    for (double& v : random.values()) v = u(rng);
    const Extents shape{20, 24, 28};
    const View<const double> gv = gauss.view(), rv = random.view();
    const double passes = estimate_filter_seconds<double>(shape, gv, Method::direct);
    const double sum = estimate_filter_seconds<double>(shape, rv, Method::direct);
    // The direct sum is about 4913 / 51 times the passes' multiply-adds (plus its loop costs).
    CHECK(sum / passes > 90);
    CHECK(estimate_filter_seconds<double>(shape, gv, Method::fft) ==
          estimate_filter_seconds<double>(shape, rv, Method::fft));
    CHECK(choose_filter_method<double>(shape, gv) == Method::direct);
    CHECK(choose_filter_method<double>(shape, rv) == Method::fft);
    // A non-finite tap is not separable: the passes would skip the border's products with it.
    gauss.values()[5] = std::numeric_limits<double>::infinity();
    CHECK(estimate_filter_seconds<double>(shape, View<const double>(gauss.view()), Method::direct) == sum);
    CHECK_THROWS_WITH_AS((void)estimate_filter_seconds<double>(shape, rv, Method::automatic),
                         "estimate_filter_seconds: method 0 has no estimate of its own; give direct or fft",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS((void)choose_filter_method<double>(Extents{20, 24}, rv),
                         "choose_filter_method: the kernel (17x17x17) and the array (20x24) have different ranks",
                         InvalidArgument);
}

TEST_CASE("a 3D filter whose one transform would not fit memory runs in tiles, and equals the untiled one") {
    std::mt19937_64 rng(3);
    const Array<float> a = random_array<float>({40, 48, 56}, rng), k = random_array<float>({5, 5, 5}, rng);
    const Array<float> whole = filter(a, k, Border::reflect, 0.0f, Method::fft);
    // The array and the result fit (430 kB each); one transform's spectra (1.3 MB) do not.
    set_memory_limit(1'000'000);
    const Array<float> tiled = filter(a, k, Border::reflect, 0.0f, Method::fft);
    set_memory_limit(0);
    CHECK(max_rel_diff(tiled, whole) < 2e-5);
    CHECK(max_rel_diff(tiled, oracle(a, k, Border::reflect, 0.0f, false)) < 2e-5);
}

TEST_CASE("a Convolver with a border is filter / filter_convolve, planned once") {
    std::mt19937_64 rng(9);
    const Array<double> a = random_array<double>({12, 10, 9}, rng), b = random_array<double>({12, 10, 9}, rng);
    const Array<double> k = random_array<double>({3, 4, 2}, rng);
    for (Border border : all_borders)
        for (bool correlate : {false, true})
            for (Method m : all_methods) {
                CAPTURE(border);
                CAPTURE(correlate);
                CAPTURE(m);
                Convolver<double>::Options o;
                o.method = m;
                o.correlate = correlate;
                o.border = border;
                o.cval = 0.25;
                Convolver<double> c(a.shape(), k.view(), Mode::same, o);
                CHECK(c.output_extents() == a.shape());
                for (const Array<double>* x : {&a, &b}) {
                    const Array<double> want =
                        correlate ? filter(*x, k, border, 0.25, m) : filter_convolve(*x, k, border, 0.25, m);
                    CHECK(max_rel_diff(c.apply(x->view()), want) < 1e-12);
                }
            }
    Convolver<double>::Options o;
    o.border = Border::reflect;
    CHECK_THROWS_WITH_AS(Convolver<double>(a.shape(), k.view(), Mode::full, o),
                         "Convolver: a border (Options::border) gives a same-size result; the mode must be "
                         "Mode::same, got full",
                         InvalidArgument);
}
