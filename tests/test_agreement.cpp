// Both cores against the brute-force oracle and against each other, on hundreds of awkward shapes
// (1, primes, 1xN, Nx1, even and odd kernels, kernels larger than the input), all four types,
// every mode, convolve and correlate.
#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "reference.hpp"

using namespace fftconv;
using cf = std::complex<float>;
using cd = std::complex<double>;

namespace {

struct Worst {
    double direct = 0, fft = 0, between = 0;
    int cases = 0;
};

// One case, every mode and both operations; folds the errors into `worst`.
template <class T>
void check_case(const Image<T>& a, const Image<T>& b, Worst& worst) {
    const double tol = ref::tolerance<T>();
    for (Mode mode : ref::all_modes)
        for (bool corr : {false, true}) {
            CAPTURE(a.shape());
            CAPTURE(b.shape());
            CAPTURE(mode);
            CAPTURE(corr);
            const auto want = ref::scipy(a, b, mode, corr);
            const auto run = [&](Method m) { return corr ? correlate(a, b, mode, m) : convolve(a, b, mode, m); };
            if (!want) {
                CHECK_THROWS_AS(run(Method::direct), Error);
                CHECK_THROWS_AS(run(Method::fft), Error);
                continue;
            }
            const Image<T> direct = run(Method::direct), fft = run(Method::fft);
            const double e_direct = ref::rel_err(direct, *want), e_fft = ref::rel_err(fft, *want);
            const double e_between = ref::rel_err(direct, fft);
            CHECK(e_direct <= tol);
            CHECK(e_fft <= tol);
            CHECK(e_between <= tol);
            worst.direct = std::max(worst.direct, e_direct);
            worst.fft = std::max(worst.fft, e_fft);
            worst.between = std::max(worst.between, e_between);
            ++worst.cases;
        }
}

// The measured accuracy, printed with every run.
template <class T>
void report(const char* what, const Worst& w, bool against_oracle = true) {
    char line[200];
    if (against_oracle)
        std::snprintf(line, sizeof line,
                      "%-10s %s: %4d cases, max error / max|out|: direct %.2e, fft %.2e, direct-fft %.2e",
                      ref::type_name<T>().c_str(), what, w.cases, w.direct, w.fft, w.between);
    else
        std::snprintf(line, sizeof line, "%-10s %s: %4d cases, max error / max|out|: direct-fft %.2e",
                      ref::type_name<T>().c_str(), what, w.cases, w.between);
    MESSAGE(std::string(line));  // the text, not the whole buffer (valgrind: its unset tail)
}

}  // namespace

TEST_CASE_TEMPLATE("1D: direct == fft == oracle over a grid of lengths", T, float, double, cf, cd) {
    std::mt19937_64 rng(2024);
    Worst worst;
    const long lengths[] = {1, 2, 3, 5, 8, 16, 97, 211, 1021};
    for (long n : lengths)
        for (long k : {1L, 2L, 3L, 4L, 7L, 16L, 33L, 97L, 211L}) {
            const auto a = ref::random_image<T>(1, n, rng), b = ref::random_image<T>(1, k, rng);
            check_case(a, b, worst);
        }
    report<T>("1D", worst);
}

TEST_CASE_TEMPLATE("2D: direct == fft == oracle on random awkward shapes", T, float, double, cf, cd) {
    std::mt19937_64 rng(77);
    const long sizes[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 97};
    const long ksizes[] = {1, 2, 3, 4, 5, 6, 8, 11, 17, 32};
    std::uniform_int_distribution<std::size_t> pick_n(0, std::size(sizes) - 1), pick_k(0, std::size(ksizes) - 1);
    Worst worst;
    // Fixed shapes that must always be covered, then random ones.
    std::vector<std::array<long, 4>> shapes = {
        {1, 1, 1, 1},  {1, 97, 1, 5},  {97, 1, 5, 1},  {1, 64, 3, 1}, {31, 1, 1, 4},   {3, 3, 7, 7},
        {2, 5, 8, 11}, {17, 13, 4, 6}, {64, 64, 3, 3}, {5, 7, 5, 7},  {97, 31, 11, 2}, {1, 1, 6, 9},
    };
    while (shapes.size() < 60) {
        std::array<long, 4> s{sizes[pick_n(rng)], sizes[pick_n(rng)], ksizes[pick_k(rng)], ksizes[pick_k(rng)]};
        if (s[0] * s[1] * s[2] * s[3] <= 400'000) shapes.push_back(s);  // keeps the oracle quick
    }
    for (auto [ar, ac, br, bc] : shapes) {
        const auto a = ref::random_image<T>(ar, ac, rng), b = ref::random_image<T>(br, bc, rng);
        check_case(a, b, worst);
    }
    report<T>("2D", worst);
}

TEST_CASE_TEMPLATE("large transforms keep the stated accuracy", T, float, double, cf, cd) {
    // Sizes where FFT round-off is largest among those tested; the reference is the direct core,
    // itself checked against the oracle above.
    std::mt19937_64 rng(9);
    Worst worst;
    for (auto [n, k] : {std::pair{100'000L, 1001L}, {65'537L, 4'099L}}) {
        const auto a = ref::random_image<T>(1, n, rng), b = ref::random_image<T>(1, k, rng);
        const double e =
            ref::rel_err(convolve(a, b, Mode::full, Method::fft), convolve(a, b, Mode::full, Method::direct));
        CAPTURE(n);
        CHECK(e <= ref::tolerance<T>());
        worst.between = std::max(worst.between, e);
        ++worst.cases;
    }
    const auto a = ref::random_image<T>(300, 257, rng), b = ref::random_image<T>(41, 40, rng);
    const double e = ref::rel_err(convolve(a, b, Mode::same, Method::fft), convolve(a, b, Mode::same, Method::direct));
    CHECK(e <= ref::tolerance<T>());
    worst.between = std::max(worst.between, e);
    ++worst.cases;
    report<T>("large", worst, false);
}
