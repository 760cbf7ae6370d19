// Measures the constants of the cost model behind Method::automatic (lib/src/cost_model.cpp) on
// this machine, then checks the model: for a sweep of 1D and 2D shapes, the time of the method
// `automatic` picks against the faster of the two, both measured in this run.
//
//   calibrate            fit and print the constants (as C++), then run the check
//   calibrate --check    run the check only, with the constants compiled into the library
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "cost_model.hpp"
#include "fftconv/fftconv.hpp"

using namespace fftconv;
using namespace fftconv::detail;

namespace {

// Median seconds of fn() over enough runs to fill ~0.3 s (at least 3), after one warm-up run.
double median_seconds(const std::function<void()>& fn) {
    using clock = std::chrono::steady_clock;
    fn();
    std::vector<double> times;
    const auto start = clock::now();
    while (times.size() < 3 ||
           (std::chrono::duration<double>(clock::now() - start).count() < 0.3 && times.size() < 200)) {
        const auto t0 = clock::now();
        fn();
        times.push_back(std::chrono::duration<double>(clock::now() - t0).count());
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    return times[times.size() / 2];
}

template <class T>
Image<T> random_image(Shape s, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    Image<T> img(s);
    for (T& v : img.values()) {
        if constexpr (is_complex_v<T>)
            v = T(static_cast<real_t<T>>(u(rng)), static_cast<real_t<T>>(u(rng)));
        else
            v = static_cast<T>(u(rng));
    }
    return img;
}

struct Point {
    Shape a, b;
    Mode mode;
};

// Least squares for y ≈ X·c with X's columns the features, by the normal equations (at most 3 unknowns).
std::vector<double> fit(const std::vector<std::vector<double>>& X, const std::vector<double>& y) {
    const std::size_t k = X[0].size();
    // Weight each point by 1/y so that small and large cases count alike (relative error).
    std::vector<std::vector<double>> A(k, std::vector<double>(k + 1, 0));
    for (std::size_t i = 0; i < X.size(); ++i)
        for (std::size_t r = 0; r < k; ++r) {
            for (std::size_t c = 0; c < k; ++c) A[r][c] += X[i][r] * X[i][c] / (y[i] * y[i]);
            A[r][k] += X[i][r] / y[i];
        }
    for (std::size_t p = 0; p < k; ++p)
        for (std::size_t r = 0; r < k; ++r)
            if (r != p) {
                const double f = A[r][p] / A[p][p];
                for (std::size_t c = p; c <= k; ++c) A[r][c] -= f * A[p][c];
            }
    std::vector<double> coef(k);
    for (std::size_t r = 0; r < k; ++r) coef[r] = std::max(A[r][k] / A[r][r], 0.0);
    return coef;
}

// The fitting grid: same-mode convolutions around the crossover, deliberately not the points the
// check below times, so the check tests the model on shapes it was not fitted to.
std::vector<Point> fitting_grid() {
    std::vector<Point> grid;
    for (std::ptrdiff_t n : {100, 500, 3000, 20000, 100000})
        for (std::ptrdiff_t k : {5, 15, 40, 100, 300})
            if (k <= n) grid.push_back({{1, n}, {1, k}, Mode::same});
    for (std::ptrdiff_t n : {50, 100, 200, 400, 800})
        for (std::ptrdiff_t k : {1, 3, 7, 13, 25})
            if (n * n * k * k <= 800 * 800 * 13 * 13) grid.push_back({{n, n}, {k, k}, Mode::same});
    for (std::ptrdiff_t n : {16384, 262144, 1048576}) grid.push_back({{1, n}, {1, 1}, Mode::valid});
    for (std::ptrdiff_t n : {1024, 2048}) grid.push_back({{n, n}, {1, 1}, Mode::valid});
    return grid;
}

template <class T>
void calibrate(std::mt19937_64& rng) {
    const ElementType type = element_type_v<T>;
    std::vector<std::vector<double>> Xd, Xf;
    std::vector<double> yd, yf;
    for (const Point& p : fitting_grid()) {
        const auto a = random_image<T>(p.a, rng), b = random_image<T>(p.b, rng);
        const Geometry g = make_geometry({"calibrate", "a", "b", false}, p.a, p.b, p.mode);
        const DirectWork d = direct_work(g);
        if (d.macs < 2e8) {  // a fraction of a second
            yd.push_back(median_seconds([&] { (void)convolve(a, b, p.mode, Method::direct); }));
            Xd.push_back({d.macs, d.calls});
        }
        const FftWork f = fft_work(g, type);
        const double nlogn = 3 * f.n * std::log2(std::max(f.n, 2.0));
        yf.push_back(median_seconds([&] { (void)convolve(a, b, p.mode, Method::fft); }));
        Xf.push_back({1, nlogn, nlogn * f.spill});
    }
    const auto direct = fit(Xd, yd), fft = fit(Xf, yf);
    std::printf("    // %s: %zu direct and %zu FFT timings\n    {%.3g, %.3g, %.3g, %.3g, %.3g},\n", to_string(type),
                yd.size(), yf.size(), direct[0], direct[1], fft[0], fft[1], fft[2]);
}

// For each sweep point: time both methods, and report how much slower automatic's pick is than
// the faster one. Returns the ratios.
template <class T>
std::vector<double> check(std::mt19937_64& rng, bool verbose) {
    std::vector<Point> sweep;
    for (std::ptrdiff_t n : {64, 256, 1024, 4096, 16384, 65536})
        for (std::ptrdiff_t k : {1, 3, 9, 17, 33, 65, 129, 257})
            if (k <= n) sweep.push_back({{1, n}, {1, k}, Mode::same});
    for (std::ptrdiff_t n : {64, 128, 256, 512, 1024})
        for (std::ptrdiff_t k : {1, 3, 5, 9, 17, 33, 65})
            if (k <= n / 2) sweep.push_back({{n, n}, {k, k}, Mode::same});
    std::vector<double> ratios;
    for (const Point& p : sweep) {
        const auto a = random_image<T>(p.a, rng), b = random_image<T>(p.b, rng);
        const double td = median_seconds([&] { (void)convolve(a, b, p.mode, Method::direct); });
        const double tf = median_seconds([&] { (void)convolve(a, b, p.mode, Method::fft); });
        const Method pick = choose_method(p.a, p.b, p.mode, element_type_v<T>);
        const double ratio = (pick == Method::direct ? td : tf) / std::min(td, tf);
        ratios.push_back(ratio);
        if (verbose || ratio > 1.2)
            std::printf("  %-10s a %-9s b %-7s direct %9.3g s  fft %9.3g s  picks %-6s  %.2fx the best\n",
                        to_string(element_type_v<T>), to_string(p.a).c_str(), to_string(p.b).c_str(), td, tf,
                        to_string(pick), ratio);
    }
    return ratios;
}

}  // namespace

int main(int argc, char** argv) {
    const bool check_only = argc > 1 && std::strcmp(argv[1], "--check") == 0;
    const bool verbose = argc > 1 && std::strcmp(argv[argc - 1], "--verbose") == 0;
    std::mt19937_64 rng(42);
    if (!check_only) {
        std::printf("Fitted constants {mac, call, fft_fixed, fft_nlogn, fft_spill} (seconds):\n");
        calibrate<float>(rng);
        calibrate<double>(rng);
        calibrate<std::complex<float>>(rng);
        calibrate<std::complex<double>>(rng);
    }
    std::printf("Method::automatic against the faster method, both timed in this run:\n");
    std::vector<double> all;
    for (auto part : {check<float>(rng, verbose), check<double>(rng, verbose), check<std::complex<float>>(rng, verbose),
                      check<std::complex<double>>(rng, verbose)})
        all.insert(all.end(), part.begin(), part.end());
    std::sort(all.begin(), all.end());
    const auto within = std::count_if(all.begin(), all.end(), [](double r) { return r <= 1.2; });
    std::printf("%zu points: %.0f%% within 1.2x of the best, worst %.2fx, median %.2fx\n", all.size(),
                100.0 * static_cast<double>(within) / static_cast<double>(all.size()), all.back(), all[all.size() / 2]);
    return 0;
}
