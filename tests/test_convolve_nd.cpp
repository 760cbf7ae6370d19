// N-dimensional convolve and correlate against a brute-force oracle written from the definitions
// (long double sums, any rank, any axes, broadcasting): ranks 1 to 4, every mode, both
// operations, all four element types, direct and FFT; known answers; the errors' messages; tiles
// forced small; a volume past a lowered memory limit; Convolver with axes; thread counts; NaN
// and Inf; and a sweep of the FFT against the direct sum within fft_error_bound.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine.hpp"
#include "fft_core.hpp"
#include "fftconv/fftconv.hpp"
#include "geometry.hpp"
#include "memory.hpp"
#include "reference.hpp"
#include "strategy.hpp"
#include "tiles.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define FFTCONV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FFTCONV_ASAN 1
#endif
#endif

namespace doctest {
template <>
struct StringMaker<fftconv::Extents> {
    static String convert(const fftconv::Extents& v) { return fftconv::to_string(v).c_str(); }
};
}  // namespace doctest

using namespace fftconv;
using cf = std::complex<float>;
using cd = std::complex<double>;
using Index = std::vector<std::ptrdiff_t>;

namespace {

// The axes a call names (nullopt: every axis), as a plain list, so that the oracle resolves them
// on its own.
using AxisList = std::optional<std::vector<int>>;

// Axes is built from braces only; the lists here have at most four axes.
Axes to_axes(const AxisList& list) {
    if (!list) return Axes::all();
    const std::vector<int>& v = *list;
    switch (v.size()) {
        case 0: return Axes(std::initializer_list<int>{});
        case 1: return {v[0]};
        case 2: return {v[0], v[1]};
        case 3: return {v[0], v[1], v[2]};
        default: return {v[0], v[1], v[2], v[3]};
    }
}

std::string axes_text(const AxisList& list) {
    if (!list) return "all";
    std::string s = "{";
    for (std::size_t i = 0; i < list->size(); ++i) s += (i ? ", " : "") + std::to_string((*list)[i]);
    return s + "}";
}

// ---- The oracle: shares no code with the library.

// f(index) for every index of `shape`, the last axis fastest.
template <class F>
void for_each_index(const Index& shape, F&& f) {
    for (std::ptrdiff_t n : shape)
        if (n <= 0) return;
    Index i(shape.size(), 0);
    for (;;) {
        f(static_cast<const Index&>(i));
        int a = static_cast<int>(shape.size()) - 1;
        while (a >= 0 && ++i[static_cast<std::size_t>(a)] == shape[static_cast<std::size_t>(a)])
            i[static_cast<std::size_t>(a--)] = 0;
        if (a < 0) return;
    }
}

Index extents_of(const Extents& e) {
    return Index(e.begin(), e.end());
}

// The element of a row-major array at `i`.
template <class T>
T element(const Array<T>& x, const Index& i) {
    std::ptrdiff_t offset = 0;
    for (std::size_t a = 0; a < i.size(); ++a) offset = offset * x.shape()[static_cast<int>(a)] + i[a];
    return x.data()[offset];
}

template <class W>
W conj(W x) {
    if constexpr (std::is_floating_point_v<W>)
        return x;
    else
        return std::conj(x);
}

template <class W>
W times(W x, W y) {
    // Written out, as the direct sum is: std::complex's operator* turns some Inf · 0 products into
    // Inf instead of NaN (C's Annex G), which would move where NaN lands.
    if constexpr (!std::is_floating_point_v<W>)
        return W(x.real() * y.real() - x.imag() * y.imag(), x.real() * y.imag() + x.imag() * y.real());
    else
        return x * y;
}

// convolve / correlate(a, b, mode) along `axes`, from the definitions, or nullopt where the call
// must be refused. Along a convolved axis, with a of n and b of k elements:
//   convolve   full[f] = Σ_p a[p] · b[f - p]
//   correlate  full[f] = Σ_p a[p] · conj(b[p - f + k - 1])
// over every p with both indices in range, f in [0, n + k - 1); same keeps the middle n, valid
// the middle |n - k| + 1 (scipy's _centered: the start is (full - kept) / 2, rounded down), and
// valid needs one operand at least as large as the other along every convolved axis. Along any
// other axis the operands are equal or one of them is 1, which is read at every output index
// (broadcast), and the result has the larger extent.
template <class T>
std::optional<Array<T>> oracle(const Array<T>& a, const Array<T>& b, Mode mode, bool correlate, const AxisList& axes) {
    using W = ref::wide_t<T>;
    const int rank = a.rank();
    if (b.rank() != rank) return std::nullopt;
    const auto r = static_cast<std::size_t>(rank);
    std::vector<bool> conv(r, !axes);
    if (axes) {
        if (axes->empty()) return std::nullopt;
        for (int given : *axes) {
            const int i = given < 0 ? given + rank : given;
            if (i < 0 || i >= rank || conv[static_cast<std::size_t>(i)]) return std::nullopt;
            conv[static_cast<std::size_t>(i)] = true;
        }
    }
    const Index n = extents_of(a.shape()), k = extents_of(b.shape());
    Index full(r), kept(r), start(r), box(r);
    bool a_inside = true, b_inside = true;
    for (std::size_t i = 0; i < r; ++i) {
        if (conv[i]) {
            full[i] = n[i] + k[i] - 1;
            kept[i] = mode == Mode::full ? full[i] : mode == Mode::same ? n[i] : std::abs(n[i] - k[i]) + 1;
            a_inside = a_inside && n[i] <= k[i];
            b_inside = b_inside && k[i] <= n[i];
            box[i] = n[i];
        } else {
            if (n[i] != k[i] && n[i] != 1 && k[i] != 1) return std::nullopt;
            full[i] = kept[i] = std::max(n[i], k[i]);
            box[i] = 1;
        }
        start[i] = (full[i] - kept[i]) / 2;
    }
    if (mode == Mode::valid && !a_inside && !b_inside) return std::nullopt;

    Array<T> out{Extents(std::span<const std::ptrdiff_t>(kept))};
    T* dst = out.data();
    Index f(r), p(r), q(r);
    for_each_index(kept, [&](const Index& o) {
        for (std::size_t i = 0; i < r; ++i) f[i] = o[i] + start[i];
        W sum{};
        for_each_index(box, [&](const Index& j) {
            for (std::size_t i = 0; i < r; ++i) {
                if (conv[i]) {
                    p[i] = j[i];
                    q[i] = correlate ? j[i] - f[i] + k[i] - 1 : f[i] - j[i];
                    if (q[i] < 0 || q[i] >= k[i]) return;
                } else {
                    p[i] = n[i] == 1 ? 0 : f[i];
                    q[i] = k[i] == 1 ? 0 : f[i];
                }
            }
            sum += times(W(element(a, p)), correlate ? conj(W(element(b, q))) : W(element(b, q)));
        });
        if constexpr (is_complex_v<T>)
            *dst++ = T(static_cast<real_t<T>>(sum.real()), static_cast<real_t<T>>(sum.imag()));
        else
            *dst++ = static_cast<T>(sum);
    });
    return out;
}

// ---- Helpers

template <class T>
Array<T> random_array(const Extents& shape, std::mt19937_64& rng) {
    Array<T> x(shape);
    for (T& v : x.values()) v = ref::random_value<T>(rng);
    return x;
}

// max |x - y| / max |y| (absolute when y is all zeros); +inf for another shape.
template <class T>
double rel_err(const Array<T>& x, const Array<T>& y) {
    if (x.shape() != y.shape()) return INFINITY;
    double diff = 0, scale = 0;
    for (std::ptrdiff_t i = 0; i < x.size(); ++i) {
        diff = std::max(diff, static_cast<double>(std::abs(x.data()[i] - y.data()[i])));
        scale = std::max(scale, static_cast<double>(std::abs(y.data()[i])));
    }
    return scale > 0 ? diff / scale : diff;
}

template <class T>
double max_abs(const Array<T>& x) {
    double m = 0;
    for (const T& v : x.values()) m = std::max(m, static_cast<double>(std::abs(v)));
    return m;
}

template <class T>
bool same_bits(const Array<T>& x, const Array<T>& y) {
    return x.shape() == y.shape() &&
           std::memcmp(x.data(), y.data(), sizeof(T) * static_cast<std::size_t>(x.size())) == 0;
}

template <class T>
Array<T> run(const Array<T>& a, const Array<T>& b, Mode mode, bool corr, Method method, const AxisList& axes = {}) {
    const Axes ax = to_axes(axes);
    return corr ? correlate(a.view(), b.view(), mode, method, ax) : convolve(a.view(), b.view(), mode, method, ax);
}

struct Worst {
    double direct = 0, fft = 0;
    int cases = 0, refused = 0;
};

template <class T>
void report(const char* what, const Worst& w) {
    char line[240];
    std::snprintf(line, sizeof line,
                  "%-10s %s: %4d cases (%d refused); max error against the oracle: "
                  "direct %.2e of max|out|, fft %.2e of max(max|out|, max|a|·max|b|)",
                  ref::type_name<T>().c_str(), what, w.cases, w.refused, w.direct, w.fft);
    MESSAGE(std::string(line));  // the text, not the whole buffer (valgrind: its unset tail)
}

// One pair of operands, every mode, both operations, both methods, against the oracle.
template <class T>
void check_against_oracle(const Array<T>& a, const Array<T>& b, const AxisList& axes, Worst& worst) {
    const double tol = ref::tolerance<T>();
    const std::string ax = axes_text(axes);
    for (Mode mode : ref::all_modes)
        for (bool corr : {false, true}) {
            CAPTURE(a.shape());
            CAPTURE(b.shape());
            CAPTURE(ax);
            CAPTURE(mode);
            CAPTURE(corr);
            const std::optional<Array<T>> want = oracle(a, b, mode, corr, axes);
            if (!want) {
                CHECK_THROWS_AS((void)run(a, b, mode, corr, Method::direct, axes), InvalidArgument);
                CHECK_THROWS_AS((void)run(a, b, mode, corr, Method::fft, axes), InvalidArgument);
                ++worst.refused;
                continue;
            }
            const double e_direct = rel_err(run(a, b, mode, corr, Method::direct, axes), *want);
            // The FFT's rounding scales with the largest term a·b, whatever the window keeps: in
            // same mode an operand of extent 1 along a convolved axis keeps one kernel tap there,
            // and a tap of 0.003 next to taps of 0.9 gives outputs 300 times below that scale
            // (documented with fft_error_bound). So its error is relative to the larger of
            // max|out| and max|a|·max|b|.
            const double out_scale = max_abs(*want), term_scale = max_abs(a) * max_abs(b);
            const double e_fft =
                rel_err(run(a, b, mode, corr, Method::fft, axes), *want) * out_scale / std::max(out_scale, term_scale);
            CHECK(e_direct <= tol);
            CHECK(e_fft <= tol);
            worst.direct = std::max(worst.direct, e_direct);
            worst.fft = std::max(worst.fft, e_fft);
            ++worst.cases;
        }
}

struct Pair {
    Extents a, b;
    AxisList axes;
};

// Random extents of rank 1 to 4 from `sizes` for each convolved axis (smaller ones at higher
// ranks), and 1 to 4 along broadcast axes, equal in both or 1 in one of them.
Pair random_pair(std::mt19937_64& rng, int rank, bool with_axes) {
    static const std::vector<std::ptrdiff_t> sizes[] = {
        {}, {1, 2, 3, 4, 5, 7, 8, 16, 31, 64}, {1, 2, 3, 4, 5, 7, 8, 13}, {1, 2, 3, 4, 5, 7}, {1, 2, 3, 4, 5}};
    const auto& s = sizes[rank];
    std::uniform_int_distribution<std::size_t> pick(0, s.size() - 1);
    std::uniform_int_distribution<int> small(1, 4), coin(0, 2);
    std::vector<int> axes;
    std::vector<bool> conv(static_cast<std::size_t>(rank), true);
    if (with_axes) {
        for (int i = 0; i < rank; ++i) conv[static_cast<std::size_t>(i)] = coin(rng) != 0;
        if (std::none_of(conv.begin(), conv.end(), [](bool c) { return c; })) conv[0] = true;
        for (int i = 0; i < rank; ++i)
            if (conv[static_cast<std::size_t>(i)]) axes.push_back(coin(rng) == 0 ? i - rank : i);
        std::shuffle(axes.begin(), axes.end(), rng);
    }
    Pair p;
    std::vector<std::ptrdiff_t> a(static_cast<std::size_t>(rank)), b(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (conv[i]) {
            a[i] = s[pick(rng)];
            b[i] = s[pick(rng)];
        } else {
            const int n = small(rng), kind = coin(rng);
            a[i] = kind == 1 ? 1 : n;
            b[i] = kind == 2 ? 1 : n;
        }
    }
    p.a = Extents(std::span<const std::ptrdiff_t>(a));
    p.b = Extents(std::span<const std::ptrdiff_t>(b));
    if (with_axes) p.axes = axes;
    return p;
}

// The oracle's work for a pair, bounded so that every case stays quick.
double oracle_work(const Pair& p) {
    return static_cast<double>(p.a.size()) * static_cast<double>(p.b.size());
}

}  // namespace

TEST_CASE("the oracle: scipy's answers by hand") {
    // 1D: [1, 2, 3] ⊛ [0, 1, 0.5] = [0, 1, 2.5, 4, 1.5]; correlate([1, 2, 3], [0, 1, 0.5]) full =
    // [0.5, 2, 3.5, 3, 0] (numpy.correlate's mode='full'); same and valid are their middles.
    Array<double> a({3}), b({3});
    a(0) = 1, a(1) = 2, a(2) = 3;
    b(0) = 0, b(1) = 1, b(2) = 0.5;
    const auto values = [](const Array<double>& x) {
        return std::vector<double>(x.values().begin(), x.values().end());
    };
    CHECK(values(*oracle(a, b, Mode::full, false, {})) == std::vector<double>{0, 1, 2.5, 4, 1.5});
    CHECK(values(*oracle(a, b, Mode::same, false, {})) == std::vector<double>{1, 2.5, 4});
    CHECK(values(*oracle(a, b, Mode::valid, false, {})) == std::vector<double>{2.5});
    CHECK(values(*oracle(a, b, Mode::full, true, {})) == std::vector<double>{0.5, 2, 3.5, 3, 0});
    // Even kernel, same mode: the window starts (k - 1) / 2 = 0 into [1, 3, 5, 3].
    Array<double> two({2}, 1.0);
    CHECK(values(*oracle(a, two, Mode::same, false, {})) == std::vector<double>{1, 3, 5});
    // Valid with the larger operand second: correlate([1, 2], [1, 2, 3, 4]) == [11, 8, 5].
    Array<double> x({2}), y({4});
    x(0) = 1, x(1) = 2;
    for (int i = 0; i < 4; ++i) y(i) = i + 1;
    CHECK(values(*oracle(x, y, Mode::valid, true, {})) == std::vector<double>{11, 8, 5});
    // Broadcast: rows [1, 2, 3] and [4, 5, 6] each convolved with one kernel row [1, 1].
    Array<double> rows({2, 3}), ones({1, 2}, 1.0);
    for (int i = 0; i < 6; ++i) rows.data()[i] = i + 1;
    CHECK(values(*oracle(rows, ones, Mode::full, false, std::vector<int>{1})) ==
          std::vector<double>{1, 3, 5, 3, 4, 9, 11, 6});
    CHECK_FALSE(oracle(rows, Array<double>({3, 2}, 1.0), Mode::full, false, std::vector<int>{1}));
    CHECK_FALSE(oracle(rows, ones, Mode::full, false, std::vector<int>{1, -1}));
    CHECK_FALSE(oracle(rows, ones, Mode::full, false, std::vector<int>{2}));
    CHECK_FALSE(oracle(rows, Array<double>({4}, 1.0), Mode::full, false, {}));
}

TEST_CASE_TEMPLATE("ranks 1 to 4: direct and fft equal the oracle on awkward shapes, every mode, both operations", T,
                   float, double, cf, cd) {
    std::mt19937_64 rng(4321);
    // Extents of 1, primes, even kernels, the kernel larger along some axes (valid refuses
    // those), larger along all (valid swaps), and equal shapes.
    std::vector<Pair> pairs = {
        {{1}, {1}, {}},
        {{1}, {5}, {}},
        {{7}, {1}, {}},
        {{13}, {4}, {}},
        {{4}, {13}, {}},
        {{97}, {8}, {}},
        {{31}, {31}, {}},
        {{1, 1}, {1, 1}, {}},
        {{1, 9}, {3, 1}, {}},
        {{7, 5}, {2, 2}, {}},
        {{5, 7}, {8, 3}, {}},
        {{3, 4}, {6, 9}, {}},
        {{11, 13}, {4, 6}, {}},
        {{6, 1}, {9, 1}, {}},
        {{1, 1, 1}, {1, 1, 1}, {}},
        {{5, 4, 3}, {2, 2, 2}, {}},
        {{7, 1, 5}, {2, 3, 2}, {}},
        {{2, 3, 2}, {5, 4, 7}, {}},
        {{1, 6, 1}, {1, 2, 1}, {}},
        {{9, 8, 7}, {3, 2, 4}, {}},
        {{4, 5, 6}, {4, 5, 6}, {}},
        {{1, 1, 1, 1}, {1, 1, 1, 1}, {}},
        {{3, 4, 2, 5}, {2, 2, 1, 3}, {}},
        {{2, 2, 2, 2}, {3, 3, 3, 3}, {}},
        {{5, 1, 3, 2}, {2, 2, 2, 2}, {}},
        {{1, 3, 1, 4}, {2, 1, 2, 1}, {}},
        {{4, 3, 5, 3}, {3, 2, 2, 2}, {}},
    };
    while (pairs.size() < 160) {
        const Pair p = random_pair(rng, static_cast<int>(pairs.size() % 4) + 1, false);
        if (oracle_work(p) <= 40'000) pairs.push_back(p);
    }
    Worst worst;
    for (const Pair& p : pairs)
        check_against_oracle(random_array<T>(p.a, rng), random_array<T>(p.b, rng), p.axes, worst);
    report<T>("every axis, ranks 1-4", worst);
}

TEST_CASE_TEMPLATE("axes and broadcasting: direct and fft equal the oracle, every mode, both operations", T, float,
                   double, cf, cd) {
    std::mt19937_64 rng(8765);
    using L = std::vector<int>;
    std::vector<Pair> pairs = {
        {{6, 50}, {1, 7}, L{-1}},                 // a batch of signals, one kernel
        {{6, 50}, {6, 7}, L{1}},                  // a batch of signals, per-item kernels
        {{1, 40}, {4, 6}, L{-1}},                 // one signal, a batch of kernels
        {{4, 12, 9}, {1, 3, 4}, L{1, 2}},         // a stack of images, one kernel
        {{4, 12, 9}, {1, 4, 3}, L{-1, -2}},       // the same, axes reversed and negative
        {{4, 12, 9}, {4, 5, 2}, L{-2, -1}},       // per-item kernels
        {{1, 12, 9}, {3, 3, 3}, L{1, 2}},         // one image, a stack of kernels
        {{3, 4, 5}, {3, 9, 7}, L{1, 2}},          // kernels larger than the images
        {{2, 3, 10, 11}, {1, 3, 4, 3}, L{2, 3}},  // N x C x H x W, a kernel per channel
        {{2, 3, 10, 11}, {2, 1, 3, 3}, L{-1, -2}},
        {{9, 2, 7, 3}, {4, 1, 2, 3}, L{0, 2}},
        {{3, 6, 5, 4}, {1, 2, 3, 2}, L{-3, -2, -1}},
        {{17, 2, 3}, {4, 2, 1}, L{0}},
        {{31}, {6}, L{0}},
        {{8}, {13}, L{-1}},
        {{7, 5, 3}, {2, 3, 3}, L{2, 0, 1}},
        {{1, 9, 1}, {4, 1, 1}, L{0, 1, 2}},
        // Refused: a broadcast axis that differs, axes out of range, repeated, empty; ranks.
        {{3, 10}, {2, 4}, L{1}},
        {{3, 4}, {2, 2}, L{2}},
        {{3, 4}, {2, 2}, L{-3}},
        {{3, 4}, {2, 2}, L{1, -1}},
        {{3, 4}, {2, 2}, L{}},
        {{2, 3, 4}, {3, 4}, L{-1}},
        {{2, 5, 3}, {2, 3, 5}, L{1, 2}},  // valid: neither inside the other along the axes
    };
    while (pairs.size() < 160) {
        const Pair p = random_pair(rng, static_cast<int>(pairs.size() % 4) + 1, true);
        if (oracle_work(p) <= 40'000) pairs.push_back(p);
    }
    Worst worst;
    for (const Pair& p : pairs)
        check_against_oracle(random_array<T>(p.a, rng), random_array<T>(p.b, rng), p.axes, worst);
    report<T>("axes, ranks 1-4", worst);
}

TEST_CASE("known answers: numpy's arange volume with a cube of ones, and fftconvolve along one axis") {
    // scipy.signal.convolve(np.arange(27).reshape(3, 3, 3), np.ones((2, 2, 2)), 'valid')
    Array<double> volume({3, 3, 3}), cube({2, 2, 2}, 1.0);
    for (int i = 0; i < 27; ++i) volume.data()[i] = i;
    const std::vector<double> sums{52, 60, 76, 84, 124, 132, 148, 156};
    // scipy.signal.fftconvolve([[0, 1, 2], [3, 4, 5]], [[1, 1]], axes=1)
    Array<double> rows({2, 3}), pair({1, 2}, 1.0);
    for (int i = 0; i < 6; ++i) rows.data()[i] = i;
    const std::vector<double> along{0, 1, 3, 2, 3, 7, 9, 5};
    for (Method method : {Method::direct, Method::fft, Method::automatic}) {
        CAPTURE(method);
        const Array<double> v = convolve(volume.view(), cube.view(), Mode::valid, method);
        CHECK(v.shape() == Extents{2, 2, 2});
        const Array<double> r = convolve(rows.view(), pair.view(), Mode::full, method, {1});
        CHECK(r.shape() == Extents{2, 4});
        for (std::size_t i = 0; i < 8; ++i) {
            CAPTURE(i);
            CHECK(v.data()[i] == doctest::Approx(sums[i]).epsilon(1e-14));
            CHECK(r.data()[i] == doctest::Approx(along[i]).epsilon(1e-14));
        }
        // Small integers: the direct sum is exact.
        if (method == Method::direct) {
            CHECK(std::equal(v.values().begin(), v.values().end(), sums.begin()));
            CHECK(std::equal(r.values().begin(), r.values().end(), along.begin()));
        }
    }
    for (Method method : {Method::direct, Method::fft}) {
        const Array<double> v = convolve(volume.view(), cube.view(), Mode::valid, method);
        const Array<double> w = *oracle(volume, cube, Mode::valid, false, {});
        CHECK(rel_err(v, w) < 1e-15);
    }
}

TEST_CASE("errors name the call, the shapes and the axes: ranks, axes out of range or repeated, broadcasting") {
    const Array<double> a({3, 10}, 1.0), b({2, 4}, 1.0), line({4}, 1.0), cube({2, 3, 4}, 1.0);
    const auto conv = [](const Array<double>& x, const Array<double>& y, Axes axes, Mode mode = Mode::full) {
        return [&x, &y, axes, mode] { (void)convolve(x.view(), y.view(), mode, Method::automatic, axes); };
    };
    CHECK_THROWS_WITH_AS(conv(a, line, {})(),
                         "convolve: 'a' (3x10) and 'b' (4) have different ranks (2 and 1); give both the same number "
                         "of axes",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(cube, b, {-1})(),
                         "convolve: 'a' (2x3x4) and 'b' (2x4) have different ranks (3 and 2); give both the same "
                         "number of axes",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, {2})(), "convolve: axis 2 is out of range for arrays of rank 2 (axes -2 to 1)",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, {0, -3})(), "convolve: axis -3 is out of range for arrays of rank 2 (axes -2 to 1)",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, {1, 1})(), "convolve: axis 1 is given twice in axes", InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, {-1, 1})(), "convolve: axis 1 is given twice in axes", InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, Axes(std::initializer_list<int>{}))(),
                         "convolve: axes is empty; give at least one axis to convolve along", InvalidArgument);
    CHECK_THROWS_WITH_AS(conv(a, b, {1})(),
                         "convolve: axis 0 is not convolved, so 'a' (3x10) and 'b' (2x4) must have the same length "
                         "along it or 1 in one of them; got 3 and 2",
                         InvalidArgument);
    const Array<double> stack({2, 3, 5, 5}, 1.0), kernels({2, 4, 2, 2}, 1.0);
    CHECK_THROWS_WITH_AS(conv(stack, kernels, {2, 3})(),
                         "convolve: axis 1 is not convolved, so 'a' (2x3x5x5) and 'b' (2x4x2x2) must have the same "
                         "length along it or 1 in one of them; got 3 and 4",
                         InvalidArgument);
    const Array<double> p({2, 5, 3}, 1.0), q({2, 3, 5}, 1.0);
    CHECK_THROWS_WITH_AS(conv(p, q, {1, 2}, Mode::valid)(),
                         "convolve: Mode::valid needs one input at least as large as the other in every dimension; "
                         "got 'a' 2x5x3 and 'b' 2x3x5",
                         InvalidArgument);
    // The same words from correlate, the estimates and Convolver, each naming itself.
    CHECK_THROWS_WITH_AS((void)correlate(a.view(), b.view(), Mode::full, Method::fft, {1}),
                         doctest::Contains("correlate: axis 0 is not convolved, so 'a' (3x10) and 'b' (2x4)"),
                         InvalidArgument);
    CHECK_THROWS_WITH_AS((void)choose_method(a.shape(), b.shape(), Mode::full, ElementType::float32, {5}),
                         "choose_method: axis 5 is out of range for arrays of rank 2 (axes -2 to 1)", InvalidArgument);
    CHECK_THROWS_WITH_AS((void)estimate_seconds(cube.shape(), b.shape(), Mode::full, ElementType::float64, Method::fft),
                         doctest::Contains("estimate_seconds: 'a' (2x3x4) and 'b' (2x4) have different ranks"),
                         InvalidArgument);
    CHECK_THROWS_WITH_AS((void)fft_error_bound(a.shape(), b.shape(), Mode::full, ElementType::float64, {0, 0}),
                         "fft_error_bound: axis 0 is given twice in axes", InvalidArgument);
    CHECK_THROWS_WITH_AS(Convolver<double>(a.shape(), b.view(), Mode::full, {.axes = {1}}),
                         "Convolver: axis 0 is not convolved, so 'input_shape' (3x10) and 'kernel' (2x4) must have "
                         "the same length along it or 1 in one of them; got 3 and 2",
                         InvalidArgument);
    CHECK_THROWS_WITH_AS(Convolver<double>(cube.shape(), b.view()),
                         doctest::Contains("'input_shape' (2x3x4) and 'kernel' (2x4) have different ranks (3 and 2)"),
                         InvalidArgument);
    // A Convolver built for one shape names both when applied to another.
    Convolver<double> c(Extents{2, 3, 4}, cube.view(), Mode::same, {.axes = {-1}});
    const Array<double> other({2, 3, 5}, 1.0);
    CHECK_THROWS_WITH_AS((void)c.apply(other.view()),
                         "Convolver::apply: argument 'input' is 2x3x5, this Convolver was built for 2x3x4",
                         InvalidArgument);
}

namespace {

using namespace fftconv::detail;

// Tile extents along one core axis with `out` outputs that do not divide it where that is
// possible (a last, partial tile); `smallest` asks for tiles of one output.
std::ptrdiff_t awkward_tile(std::ptrdiff_t out, bool smallest) {
    if (smallest || out <= 2) return 1;
    std::ptrdiff_t t = std::max<std::ptrdiff_t>(2, out / 3);
    while (out % t == 0) ++t;
    return t;
}

// The one-shot call's path through Strategy and Engine, with the FFT method and the strategy's
// tile replaced: `tile` of the core's rank, or rank 0 for one transform.
template <class T>
Array<T> engine_fft(const Array<T>& a, const Array<T>& b, Mode mode, bool corr, const AxisList& axes,
                    const std::optional<bool>& smallest_tiles) {
    const Names names{corr ? "correlate" : "convolve", "a", "b", false};
    const Geometry g = make_geometry(names, a.shape(), b.shape(), mode, to_axes(axes));
    Strategy s = make_strategy(names, g, element_type_v<T>, {Method::fft, Context::current()});
    REQUIRE(s.method == Method::fft);
    s.tile = Extents{};
    if (smallest_tiles) {
        std::vector<std::ptrdiff_t> tile;
        for (int c = 0; c < s.core_rank; ++c) tile.push_back(awkward_tile(s.core.out[c], *smallest_tiles));
        s.tile = Extents(std::span<const std::ptrdiff_t>(tile));
    }
    Array<T> storage;
    const View<const T> kernel = corr ? correlation_kernel(b.view(), g, storage) : b.view();
    Array<T> out(g.out);
    Engine<T> engine(s, s.swap ? a.view() : kernel, Context::current());
    REQUIRE(engine.strategy().tile.rank() == (smallest_tiles ? s.core_rank : 0));
    engine.apply(s.swap ? kernel : a.view(), out.view());
    return out;
}

}  // namespace

TEST_CASE_TEMPLATE("tiles forced small equal one transform, the direct sum and the oracle: 1D, 2D, 3D, every mode", T,
                   float, double, cf, cd) {
    std::mt19937_64 rng(99);
    using L = std::vector<int>;
    const std::vector<Pair> pairs = {
        {{100}, {7}, {}},
        {{61}, {10}, {}},
        {{9}, {40}, {}},  // the operands swap roles: b is cut into tiles
        {{23, 19}, {4, 5}, {}},
        {{29, 7}, {2, 6}, {}},  // kernel wider than the input along one axis
        {{5, 6}, {17, 15}, {}},
        {{13, 11, 9}, {3, 2, 4}, {}},
        {{8, 9, 10}, {5, 5, 1}, {}},
        {{3, 12, 11}, {1, 4, 3}, L{1, 2}},  // a stack of images, tiles in each slice
        {{4, 17, 3}, {4, 6, 1}, L{-2}},     // per-item kernels along one axis
    };
    double worst = 0;
    int cases = 0;
    for (const Pair& p : pairs) {
        const Array<T> a = random_array<T>(p.a, rng), b = random_array<T>(p.b, rng);
        const std::string ax = axes_text(p.axes);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                const auto want = oracle(a, b, mode, corr, p.axes);
                if (!want) continue;
                CAPTURE(p.a);
                CAPTURE(p.b);
                CAPTURE(ax);
                CAPTURE(mode);
                CAPTURE(corr);
                const Array<T> whole = engine_fft(a, b, mode, corr, p.axes, std::nullopt);
                const Array<T> direct = run(a, b, mode, corr, Method::direct, p.axes);
                for (bool smallest : {false, true}) {
                    CAPTURE(smallest);
                    const Array<T> tiled = engine_fft(a, b, mode, corr, p.axes, smallest);
                    const double e = std::max({rel_err(tiled, whole), rel_err(tiled, direct), rel_err(tiled, *want)});
                    CHECK(e <= ref::tolerance<T>());
                    worst = std::max(worst, e);
                    ++cases;
                }
            }
    }
    char line[160];
    std::snprintf(line, sizeof line,
                  "%-10s tiles: %d cases, max error / max|out| against one transform, direct and "
                  "the oracle: %.2e",
                  ref::type_name<T>().c_str(), cases, worst);
    MESSAGE(std::string(line));  // the text, not the whole buffer (valgrind: its unset tail)
}

namespace {

// set_memory_limit for one scope; the machine's memory again after it.
struct MemoryLimit {
    explicit MemoryLimit(std::size_t bytes) { set_memory_limit(bytes); }
    ~MemoryLimit() { set_memory_limit(0); }
    MemoryLimit(const MemoryLimit&) = delete;
    MemoryLimit& operator=(const MemoryLimit&) = delete;
};

// A line of /proc/self/status in bytes ("VmRSS", "VmHWM"); 0 where there is none.
std::size_t status_bytes(const std::string& key) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
    return 0;
}

// The process's peak resident memory from now on, above what is resident now: Linux resets the
// peak (VmHWM) to the current resident size when "5" is written to clear_refs.
class PeakGrowth {
public:
    PeakGrowth() {
#ifdef __GLIBC__
        malloc_trim(0);  // memory freed earlier is given back, not reused unseen
#endif
        std::ofstream("/proc/self/clear_refs") << "5";
        start_ = status_bytes("VmRSS");
        measurable_ = start_ > 0 && status_bytes("VmHWM") <= start_ + (1 << 20);
    }
    // Whether the reset took (VmHWM fell to VmRSS); without it the growth cannot be measured.
    bool measurable() const {
        return measurable_;
    }
    std::size_t bytes() const {
        const std::size_t peak = status_bytes("VmHWM");
        return peak > start_ ? peak - start_ : 0;
    }

private:
    std::size_t start_ = 0;
    bool measurable_ = false;
};

}  // namespace

TEST_CASE("a 3D volume past a lowered memory limit runs in tiles that fit, equal to one transform") {
    std::mt19937_64 rng(5);
    const Array<double> a = random_array<double>({128, 128, 128}, rng), b = random_array<double>({7, 7, 7}, rng);
    const Names names{"convolve", "a", "b", false};
    const Geometry g = make_geometry(names, a.shape(), b.shape(), Mode::full);
    const StrategyOptions fft{Method::fft, Context::current()};
    const Strategy whole = make_strategy(names, g, ElementType::float64, fft);
    const Bytes out = Bytes::of(g.out, sizeof(double));
    const Bytes one = fft_core_bytes(whole.core, ElementType::float64, PlannerEffort::estimate);
    // Room for the output and half of one transform's buffers.
    const std::size_t limit = out.exact + one.exact / 2;
    // What the process may grow by beyond the limit: FFTW's plans and code, the allocator's slack.
    [[maybe_unused]] const std::size_t margin = 8u << 20;
    MESSAGE("output " << format_bytes(out.approx) << ", one transform's buffers " << format_bytes(one.approx)
                      << ", limit " << format_bytes(static_cast<double>(limit)));

    Array<double> tiled;
    {
        const MemoryLimit lowered(limit);
        const Strategy s = make_strategy(names, g, ElementType::float64, {Method::fft, Context::current()});
        CHECK(s.tile.rank() == 3);
        CHECK(out.exact + s.bytes.exact <= limit);
        // Automatic takes the tiles too rather than refusing.
        CHECK(choose_method(a.shape(), b.shape(), Mode::full, ElementType::float64) == Method::fft);
        const PeakGrowth growth;
        tiled = convolve(a.view(), b.view(), Mode::full, Method::fft);
#ifndef FFTCONV_ASAN
        if (growth.measurable()) {
            MESSAGE("tiled under the limit: peak resident memory grew by " << format_bytes(double(growth.bytes())));
            CHECK(growth.bytes() <= limit + margin);
        }
#endif
    }
    const PeakGrowth growth;
    const Array<double> untiled = engine_fft(a, b, Mode::full, false, {}, std::nullopt);
#ifndef FFTCONV_ASAN
    if (growth.measurable()) {
        MESSAGE("one transform: peak resident memory grew by " << format_bytes(double(growth.bytes())));
        // The measurement sees what one transform takes: without the limit it is past it.
        CHECK(growth.bytes() > limit + margin);
    }
#endif
    CHECK(rel_err(tiled, untiled) <= 1e-13);
    // A corner of the result against the oracle (the whole would take minutes).
    Array<double> corner({9, 9, 9});
    for (int i = 0; i < 9; ++i)
        for (int j = 0; j < 9; ++j)
            for (int k = 0; k < 9; ++k) corner(i, j, k) = a(i, j, k);
    const Array<double> want = *oracle(corner, b, Mode::full, false, {});
    double diff = 0;
    for (int i = 0; i < 9; ++i)
        for (int j = 0; j < 9; ++j)
            for (int k = 0; k < 9; ++k) diff = std::max(diff, std::abs(tiled(i, j, k) - want(i, j, k)));
    CHECK(diff <= 1e-12 * max_abs(want));
}

// Under a memory limit the fallback to tiles must count the output beside the tiles' buffers:
// tiles that fit on their own (134x134x58, 22.6 MB) do not fit next to the 19.2 MB output, and
// smaller ones (58x58x58, 4.5 MB) do.
TEST_CASE("tiles under a memory limit leave room for the output") {
    std::mt19937_64 rng(6);
    const Array<double> a = random_array<double>({128, 128, 128}, rng), b = random_array<double>({7, 7, 7}, rng);
    const Names names{"convolve", "a", "b", false};
    const Geometry g = make_geometry(names, a.shape(), b.shape(), Mode::full);
    const Strategy whole = make_strategy(names, g, ElementType::float64, {Method::fft, Context::current()});
    const Bytes out = Bytes::of(g.out, sizeof(double));
    const Bytes small =
        fft_core_bytes(tile_geometry(whole.core, {58, 58, 58}), ElementType::float64, PlannerEffort::estimate);
    const Bytes one = fft_core_bytes(whole.core, ElementType::float64, PlannerEffort::estimate);
    const std::size_t limit = out.exact + one.exact / 4;
    REQUIRE(out.exact + small.exact <= limit);  // such tiles fit
    const MemoryLimit lowered(limit);
    CHECK_NOTHROW((void)convolve(a.view(), b.view(), Mode::full, Method::fft));
}

// The same choice counts every kernel spectrum: with three per-item kernels one transform does
// not fit, and 60x60x60 tiles with all three spectra (4.55 MB) do.
TEST_CASE("tiles under a memory limit hold every per-item kernel's spectrum") {
    std::mt19937_64 rng(7);
    const Array<float> kernels = random_array<float>({3, 5, 5, 5}, rng);
    const Names names{"Convolver", "input_shape", "kernel", false};
    const Geometry g = make_geometry(names, {3, 64, 64, 64}, kernels.shape(), Mode::same, {1, 2, 3});
    const Strategy whole =
        make_strategy(names, g, ElementType::float32, {Method::fft, Context::current(), false, 0, false});
    REQUIRE(whole.kernels == 3);
    const Bytes one = fft_core_bytes(whole.core, ElementType::float32, PlannerEffort::estimate, 3);
    const Bytes tiles =
        fft_core_bytes(tile_geometry(whole.core, {60, 60, 60}), ElementType::float32, PlannerEffort::estimate, 3);
    const std::size_t limit = 5'000'000;
    REQUIRE(tiles.exact <= limit);  // such tiles fit
    REQUIRE(one.exact > limit);     // one transform does not
    const MemoryLimit lowered(limit);
    CHECK_NOTHROW(Convolver<float>(g.a, kernels.view(), Mode::same, {.method = Method::fft, .axes = {1, 2, 3}}));
}

TEST_CASE_TEMPLATE("Convolver with axes equals the one-shot calls and the oracle", T, float, double, cf, cd) {
    std::mt19937_64 rng(12);
    using L = std::vector<int>;
    const std::vector<Pair> pairs = {
        {{4, 12, 9}, {1, 3, 4}, L{1, 2}},
        {{6, 50}, {6, 7}, L{-1}},
        {{6, 50}, {1, 7}, L{1}},
        {{2, 3, 10, 11}, {1, 3, 4, 3}, L{2, 3}},
        // Kernels larger than the input: valid swaps.
        {{3, 4, 5}, {3, 9, 7}, L{-2, -1}},
        {{9, 2, 7}, {4, 2, 3}, L{2, 0}},
        {{5, 6, 7}, {2, 3, 2}, {}},
    };
    for (const Pair& p : pairs) {
        const Array<T> a = random_array<T>(p.a, rng), b = random_array<T>(p.b, rng);
        const Array<T> a2 = random_array<T>(p.a, rng);
        const std::string ax = axes_text(p.axes);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true})
                for (Method method : {Method::direct, Method::fft, Method::automatic}) {
                    CAPTURE(p.a);
                    CAPTURE(p.b);
                    CAPTURE(ax);
                    CAPTURE(mode);
                    CAPTURE(corr);
                    CAPTURE(method);
                    const auto want = oracle(a, b, mode, corr, p.axes);
                    REQUIRE(want);
                    Convolver<T> c(a.shape(), b.view(), mode,
                                   {.method = method, .correlate = corr, .axes = to_axes(p.axes)});
                    CHECK(c.input_extents() == a.shape());
                    CHECK(c.kernel_extents() == b.shape());
                    CHECK(c.output_extents() == want->shape());
                    // Twice with other inputs: the plan is kept, the results stay each input's.
                    for (const Array<T>* x : {&a, &a2, &a}) {
                        const Array<T> got = c.apply(x->view());
                        const Array<T> once = run(*x, b, mode, corr, method, p.axes);
                        if (method == Method::direct)
                            CHECK(same_bits(got, once));
                        else
                            CHECK(rel_err(got, once) <= ref::tolerance<T>());
                        if (x == &a) CHECK(rel_err(got, *want) <= ref::tolerance<T>());
                    }
                    // Into a strided output: every other element of a larger array.
                    Extents wide = want->shape();
                    wide[wide.rank() - 1] *= 2;
                    Array<T> big(wide);
                    View<T> every_other = big.view();
                    every_other.shape = want->shape();
                    every_other.strides[every_other.rank() - 1] = 2;
                    c.apply(a.view(), every_other);
                    CHECK(rel_err(Array<T>(View<const T>(every_other)), *want) <= ref::tolerance<T>());
                }
    }
}

TEST_CASE_TEMPLATE("direct at rank 3: the same bits with 1 and 3 threads", T, float, double, cf, cd) {
    std::mt19937_64 rng(3);
    using L = std::vector<int>;
    for (const Pair& p : {Pair{{17, 13, 11}, {3, 4, 2}, {}}, Pair{{6, 40, 9}, {1, 5, 9}, L{1, 2}},
                          Pair{{5, 9, 70}, {5, 1, 4}, L{0, -1}}, Pair{{3, 5, 7}, {9, 8, 10}, {}}}) {
        const Array<T> a = random_array<T>(p.a, rng), b = random_array<T>(p.b, rng);
        const std::string ax = axes_text(p.axes);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                CAPTURE(p.a);
                CAPTURE(p.b);
                CAPTURE(ax);
                CAPTURE(mode);
                CAPTURE(corr);
                set_threads(1);
                const Array<T> one = run(a, b, mode, corr, Method::direct, p.axes);
                set_threads(3);
                const Array<T> three = run(a, b, mode, corr, Method::direct, p.axes);
                set_threads(1);
                CHECK(same_bits(one, three));
                CHECK(rel_err(one, *oracle(a, b, mode, corr, p.axes)) <= ref::tolerance<T>());
            }
    }
}

namespace {

// 0 finite, 1 NaN, 2 +Inf, 3 -Inf, per real and imaginary part.
template <class T>
std::vector<int> classes(const Array<T>& x) {
    const auto one = [](real_t<T> v) { return std::isnan(v) ? 1 : std::isinf(v) ? (v > 0 ? 2 : 3) : 0; };
    std::vector<int> out;
    for (const T& v : x.values()) {
        if constexpr (is_complex_v<T>) {
            out.push_back(one(v.real()));
            out.push_back(one(v.imag()));
        } else {
            out.push_back(one(v));
        }
    }
    return out;
}

// The largest |x - y| over the outputs finite in both, relative to max |y| there.
template <class T>
double finite_err(const Array<T>& x, const Array<T>& y) {
    double diff = 0, scale = 0;
    for (std::ptrdiff_t i = 0; i < x.size(); ++i) {
        const T u = x.data()[i], v = y.data()[i];
        if (!std::isfinite(std::abs(u)) || !std::isfinite(std::abs(v))) continue;
        diff = std::max(diff, static_cast<double>(std::abs(u - v)));
        scale = std::max(scale, static_cast<double>(std::abs(v)));
    }
    return scale > 0 ? diff / scale : diff;
}

template <class T>
T with_part(real_t<T> special, real_t<T> other) {
    if constexpr (is_complex_v<T>)
        return T(special, other);
    else
        return special;
}

}  // namespace

TEST_CASE_TEMPLATE("NaN and Inf at rank 3: Method::fft puts them where the direct sum does", T, float, double, cf, cd) {
    using R = real_t<T>;
    const R nan = std::numeric_limits<R>::quiet_NaN(), inf = std::numeric_limits<R>::infinity();
    std::mt19937_64 rng(17);
    using L = std::vector<int>;
    struct Bad {
        Pair p;
        std::vector<std::array<std::ptrdiff_t, 3>> at;  // where a gets NaN, +Inf, -Inf, +Inf, ...
    };
    const std::vector<Bad> cases = {
        // +Inf and -Inf close enough that some outputs see both (NaN there).
        {{{9, 8, 7}, {3, 2, 4}, {}}, {{1, 2, 3}, {7, 0, 6}, {4, 5, 0}, {4, 6, 1}}},
        {{{12, 11, 10}, {2, 3, 2}, {}}, {{0, 0, 0}, {11, 10, 9}}},
        // A stack: only the slice holding the bad values may hold non-finite outputs.
        {{{5, 8, 7}, {1, 3, 4}, L{1, 2}}, {{2, 3, 3}, {2, 7, 6}, {2, 0, 0}}},
        {{{5, 8, 7}, {5, 3, 4}, L{-2, -1}}, {{4, 4, 4}}},
    };
    for (const Bad& c : cases) {
        Array<T> a = random_array<T>(c.p.a, rng);
        const Array<T> b = random_array<T>(c.p.b, rng);
        const R values[] = {nan, inf, -inf, inf};
        for (std::size_t i = 0; i < c.at.size(); ++i)
            a(c.at[i][0], c.at[i][1], c.at[i][2]) = with_part<T>(values[i % 4], R(0.25));
        const std::string ax = axes_text(c.p.axes);
        for (Mode mode : ref::all_modes)
            for (bool corr : {false, true}) {
                CAPTURE(c.p.a);
                CAPTURE(c.p.b);
                CAPTURE(ax);
                CAPTURE(mode);
                CAPTURE(corr);
                const Array<T> fft = run(a, b, mode, corr, Method::fft, c.p.axes);
                const Array<T> direct = run(a, b, mode, corr, Method::direct, c.p.axes);
                const Array<T> want = *oracle(a, b, mode, corr, c.p.axes);
                const std::vector<int> pattern = classes(want);
                const auto bad = std::count_if(pattern.begin(), pattern.end(), [](int k) { return k != 0; });
                CHECK(bad > 0);
                CHECK(bad < static_cast<std::ptrdiff_t>(pattern.size()) / 2);  // not spread everywhere
                CHECK(classes(direct) == pattern);
                CHECK(classes(fft) == pattern);
                CHECK(finite_err(fft, want) <= ref::tolerance<T>());
                CHECK(finite_err(direct, want) <= ref::tolerance<T>());
            }
    }
    // A non-finite kernel value reaches every output its window covers, on both methods.
    const Array<T> a = random_array<T>({6, 5, 4}, rng);
    Array<T> b = random_array<T>({2, 3, 2}, rng);
    b(1, 1, 0) = with_part<T>(nan, R(1));
    for (Mode mode : ref::all_modes) {
        CAPTURE(mode);
        const std::vector<int> pattern = classes(*oracle(a, b, mode, false, {}));
        CHECK(classes(run(a, b, mode, false, Method::fft)) == pattern);
        CHECK(classes(run(a, b, mode, false, Method::direct)) == pattern);
    }
}

TEST_CASE_TEMPLATE("sweep: fft and direct agree within fft_error_bound · max|a| · max|b| · K at ranks 1 to 4", T, float,
                   double, cf, cd) {
    // K: the terms one output sums, at most the product over the convolved axes of the smaller
    // extent (no more than the smaller operand's element count, which fft_error_bound's
    // documentation names). Operands of magnitudes from 1e-8 to 1e8 check its claim for any
    // magnitude.
    std::mt19937_64 rng(2718);
    std::uniform_int_distribution<int> rank_of(1, 4), mode_of(0, 2), coin(0, 1);
    std::uniform_real_distribution<double> exponent(-8, 8);
    double worst = 0;
    int cases = 0;
    while (cases < 250) {
        const int rank = rank_of(rng);
        const Pair p = random_pair(rng, rank, coin(rng) == 1);
        if (oracle_work(p) > 200'000) continue;
        const Mode mode = ref::all_modes[mode_of(rng)];
        const bool corr = coin(rng) == 1;
        Array<T> a = random_array<T>(p.a, rng), b = random_array<T>(p.b, rng);
        // Values spread over four decades within a, and each operand scaled by 1e-8 to 1e8.
        for (T& v : a.values()) v *= static_cast<real_t<T>>(std::pow(10.0, exponent(rng) / 4));
        for (Array<T>* x : {&a, &b}) {
            const auto scale = static_cast<real_t<T>>(std::pow(10.0, exponent(rng)));
            for (T& v : x->values()) v *= scale;
        }
        const Axes axes = to_axes(p.axes);
        Array<T> direct, fft;
        try {
            direct = run(a, b, mode, corr, Method::direct, p.axes);
        } catch (const InvalidArgument&) {
            CHECK_FALSE(oracle(a, b, mode, corr, p.axes));  // only what the oracle refuses
            continue;
        }
        fft = run(a, b, mode, corr, Method::fft, p.axes);
        double terms = 1;
        for (int i = 0; i < rank; ++i) {
            const bool convolved = !p.axes || std::any_of(p.axes->begin(), p.axes->end(),
                                                          [&](int x) { return (x < 0 ? x + rank : x) == i; });
            if (convolved) terms *= static_cast<double>(std::min(p.a[i], p.b[i]));
        }
        const double bound = fft_error_bound(p.a, p.b, mode, element_type_v<T>, axes) * max_abs(a) * max_abs(b) * terms;
        double err = 0;
        for (std::ptrdiff_t i = 0; i < fft.size(); ++i)
            err = std::max(err, static_cast<double>(std::abs(fft.data()[i] - direct.data()[i])));
        const std::string ax = axes_text(p.axes);
        CAPTURE(p.a);
        CAPTURE(p.b);
        CAPTURE(ax);
        CAPTURE(mode);
        CAPTURE(corr);
        CHECK(err <= bound);
        worst = std::max(worst, err / bound);
        ++cases;
    }
    char line[160];
    std::snprintf(line, sizeof line, "%-10s sweep: %d cases, largest |fft - direct| / bound: %.3f",
                  ref::type_name<T>().c_str(), cases, worst);
    MESSAGE(std::string(line));  // the text, not the whole buffer (valgrind: its unset tail)
}
