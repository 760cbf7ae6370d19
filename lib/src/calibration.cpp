// calibrate(): this machine's cost-model constants, fitted to timed calls of both methods.
#include "fftconv/calibration.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cost_model.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/settings.hpp"
#include "strategy.hpp"
#include "tiles.hpp"
#include "timed_calls.hpp"

namespace fftconv {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

namespace detail {

double median_seconds(const std::function<void()>& fn, double fill) {
    fn();
    std::vector<double> times;
    const auto start = clock_type::now();
    while (times.size() < 3 || (since(start) < fill && times.size() < 200)) {
        const auto t0 = clock_type::now();
        fn();
        times.push_back(since(t0));
    }
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    return times[times.size() / 2];
}

}  // namespace detail

namespace {

using detail::median_seconds;
using detail::random_image;

// Least squares for y ≈ X·c, each point weighted by 1/y (relative error: small and large calls
// count alike), by the normal equations (five unknowns at most); coefficients kept non-negative.
std::vector<double> fit(const std::vector<std::vector<double>>& X, const std::vector<double>& y) {
    const std::size_t k = X[0].size();
    std::vector<std::vector<double>> A(k, std::vector<double>(k + 1, 0));
    for (std::size_t i = 0; i < X.size(); ++i)
        for (std::size_t r = 0; r < k; ++r) {
            for (std::size_t c = 0; c < k; ++c) A[r][c] += X[i][r] * X[i][c] / (y[i] * y[i]);
            A[r][k] += X[i][r] / y[i];
        }
    for (std::size_t p = 0; p < k; ++p)
        for (std::size_t r = 0; r < k; ++r)
            if (r != p && A[p][p] != 0) {
                const double f = A[r][p] / A[p][p];
                for (std::size_t c = p; c <= k; ++c) A[r][c] -= f * A[p][c];
            }
    std::vector<double> coef(k);
    for (std::size_t r = 0; r < k; ++r) coef[r] = A[r][r] != 0 ? std::max(A[r][k] / A[r][r], 0.0) : 0.0;
    return coef;
}

struct Point {
    Shape a, b;
    Mode mode;
};

// Same-mode convolutions around the crossover, the FFT's fixed cost (1x1 kernels, valid) and
// large 2D transforms whose data outgrow the cache; `quick` keeps every third.
std::vector<Point> fitting_grid(bool quick) {
    std::vector<Point> grid;
    for (std::ptrdiff_t n : {500, 3000, 20000, 100000})
        for (std::ptrdiff_t k : {5, 9, 15, 40, 100, 300})
            if (k <= n) grid.push_back({{1, n}, {1, k}, Mode::same});
    for (std::ptrdiff_t n : {50, 100, 200, 400, 800})
        for (std::ptrdiff_t k : {1, 3, 7, 13, 25})
            if (n * n * k * k <= 800 * 800 * 13 * 13) grid.push_back({{n, n}, {k, k}, Mode::same});
    for (std::ptrdiff_t n : {16384, 262144, 1048576}) grid.push_back({{1, n}, {1, 1}, Mode::valid});
    for (std::ptrdiff_t n : {1024, 2048}) grid.push_back({{n, n}, {1, 1}, Mode::valid});
    for (std::ptrdiff_t n : {1024, 2048})
        for (std::ptrdiff_t k : {17, 65}) grid.push_back({{n, n}, {k, k}, Mode::same});
    if (!quick) return grid;
    std::vector<Point> some;
    for (std::size_t i = 0; i < grid.size(); i += 3) some.push_back(grid[i]);
    return some;
}

// Other shapes than the fit's, to check it: 1D and 2D, kernels on both sides of the crossover.
std::vector<Point> check_grid(bool quick) {
    std::vector<Point> grid;
    for (std::ptrdiff_t n : {4096, 65536})
        for (std::ptrdiff_t k : {9, 33, 129}) grid.push_back({{1, n}, {1, k}, Mode::same});
    for (std::ptrdiff_t n : {256, 1024})
        for (std::ptrdiff_t k : {5, 17, 31}) grid.push_back({{n, n}, {k, k}, Mode::same});
    if (quick) grid = {grid[1], grid[4], grid[7], grid[10]};
    return grid;
}

// The constants of one element type: the direct sum's three and the FFT's five, each fitted to
// that method's timings.
template <class T>
CostModel::Type measure_type(bool quick, double fill, std::mt19937_64& rng) {
    const ElementType type = element_type_v<T>;
    std::vector<std::vector<double>> Xd, Xf;
    std::vector<double> yd, yf;
    for (const Point& p : fitting_grid(quick)) {
        const auto a = random_image<T>(p.a, rng), b = random_image<T>(p.b, rng);
        const detail::Names names{"calibrate", "a", "b", false};
        const detail::Geometry geometry = detail::make_geometry(names, p.a, p.b, p.mode);
        const detail::Geometry g =
            detail::make_strategy(names, geometry, type, {Method::direct, detail::Context::current()}).core;
        const detail::DirectWork d = detail::direct_work(g);
        if (d.macs < 2e8) {  // a fraction of a second
            yd.push_back(median_seconds([&] { (void)convolve(a, b, p.mode, Method::direct); }, fill));
            Xd.push_back({d.macs, d.calls, 1});
        }
        // The FFT's features as the strategy runs it: one transform of everything (the input's,
        // the kernel's and the inverse), or tiles (two transforms and a fixed cost each, the
        // kernel's transform once, and in 2D their handling per element of each block).
        const detail::Strategy s =
            detail::make_strategy(names, geometry, type, {Method::fft, detail::Context::current()});
        const bool tiled = s.tile.rank() > 0;
        const detail::FftWork f =
            detail::fft_work(tiled ? detail::tile_geometry(s.core, s.tile) : s.core, type, planner_effort());
        const double count = tiled ? detail::tile_count(s.core, s.tile) : 1;
        const double nlogn = (tiled ? 2 * count + 1 : 3) * f.n * std::log2(std::max(f.n, 2.0));
        const double tile_elements = tiled && s.core.rank() == 2 ? count * f.n : 0.0;
        yf.push_back(median_seconds([&] { (void)convolve(a, b, p.mode, Method::fft); }, fill));
        // 1D and 2D transforms apart: per n·log n, a 2D one costs several times a 1D one.
        Xf.push_back({1 + (tiled ? count : 0), f.multi_axis ? 0 : nlogn, f.multi_axis ? nlogn : 0, nlogn * f.spill,
                      tile_elements});
    }
    const auto direct = fit(Xd, yd), fft = fit(Xf, yf);
    return {direct[0], direct[1], fft[0], fft[1], fft[2], fft[3], fft[4], direct[2]};
}

// Seconds per byte of first-touched memory: 64 MiB mapped afresh and written one byte per page,
// the median of three.
double measure_fresh_bytes() {
    const std::size_t bytes = std::size_t{64} << 20, page = 4096;
    std::vector<double> runs;
    for (int i = 0; i < 3; ++i) {
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return detail::builtin_cost_model().fresh_byte;
        auto* c = static_cast<volatile char*>(p);
        const auto t0 = clock_type::now();
        for (std::size_t o = 0; o < bytes; o += page) c[o] = 1;
        runs.push_back(since(t0) / static_cast<double>(bytes));
        munmap(p, bytes);
    }
    std::sort(runs.begin(), runs.end());
    return runs[1];
}

// The check calls of one type, each with the estimate of the constants in force now (before
// the new ones are installed): those estimated at half a second or less. `listed` gets one flag
// per (check point, method), in check_grid's order, for time_checks.
template <class T>
void list_checks(bool quick, std::vector<Calibration::Check>& checks, std::vector<char>& listed) {
    const ElementType type = element_type_v<T>;
    listed.clear();
    for (const Point& p : check_grid(quick))
        for (Method m : {Method::direct, Method::fft}) {
            const double before = estimate_seconds(p.a, p.b, p.mode, type, m);
            listed.push_back(before <= 0.5);  // else the slow side of the crossover: not worth the wait
            if (!listed.back()) continue;
            checks.push_back({std::string(to_string(type)) + " " + to_string(p.a) + " * " + to_string(p.b) + " " +
                                  to_string(p.mode) + ", " + to_string(m),
                              0, 0, before});
        }
}

// Times the check calls list_checks listed of one type, in its order from checks[next], with the
// estimate of the constants in force.
template <class T>
void time_checks(bool quick, double fill, std::mt19937_64& rng, const std::vector<char>& listed,
                 std::vector<Calibration::Check>& checks, std::size_t& next) {
    const ElementType type = element_type_v<T>;
    std::size_t flag = 0;
    for (const Point& p : check_grid(quick)) {
        const auto a = random_image<T>(p.a, rng), b = random_image<T>(p.b, rng);
        for (Method m : {Method::direct, Method::fft}) {
            if (!listed[flag++]) continue;
            Calibration::Check& k = checks[next++];
            k.estimate = estimate_seconds(p.a, p.b, p.mode, type, m);
            k.measured = median_seconds([&] { (void)convolve(a, b, p.mode, m); }, fill);
        }
    }
}

}  // namespace

Calibration calibrate(bool quick) {
    const ScopedThreads one(1);  // timed on one core; the caller's count untouched
    const auto start = clock_type::now();
    const double fill = quick ? 0.01 : 0.08;
    std::mt19937_64 rng(20261201);
    Calibration c;
    c.model.machine = detail::machine_name();
    c.model.fresh_byte = measure_fresh_bytes();
    c.model.types[0] = measure_type<float>(quick, fill, rng);
    c.model.types[1] = measure_type<double>(quick, fill, rng);
    if (quick) {
        // The complex types scaled from the real ones as the built-in constants relate them.
        const CostModel& b = detail::builtin_cost_model();
        for (std::size_t i : {2, 3}) {
            const CostModel::Type &real = c.model.types[i - 2], &was = b.types[i - 2], &other = b.types[i];
            const auto scaled = [](double measured, double from, double to) {
                return from > 0 ? measured * to / from : to;
            };
            c.model.types[i] = {scaled(real.mac, was.mac, other.mac),
                                scaled(real.call, was.call, other.call),
                                scaled(real.fft_fixed, was.fft_fixed, other.fft_fixed),
                                scaled(real.fft_nlogn, was.fft_nlogn, other.fft_nlogn),
                                scaled(real.fft_nlogn_2d, was.fft_nlogn_2d, other.fft_nlogn_2d),
                                scaled(real.fft_spill, was.fft_spill, other.fft_spill),
                                scaled(real.fft_tile, was.fft_tile, other.fft_tile),
                                real.direct_fixed};
        }
    } else {
        c.model.types[2] = measure_type<std::complex<float>>(quick, fill, rng);
        c.model.types[3] = measure_type<std::complex<double>>(quick, fill, rng);
    }
    c.seconds = since(start);
    std::array<std::vector<char>, 4> listed;
    list_checks<float>(quick, c.checks, listed[0]);
    list_checks<double>(quick, c.checks, listed[1]);
    if (!quick) {
        list_checks<std::complex<float>>(quick, c.checks, listed[2]);
        list_checks<std::complex<double>>(quick, c.checks, listed[3]);
    }
    detail::install_cost_model(c.model);
    std::size_t next = 0;
    time_checks<float>(quick, fill, rng, listed[0], c.checks, next);
    time_checks<double>(quick, fill, rng, listed[1], c.checks, next);
    if (!quick) {
        time_checks<std::complex<float>>(quick, fill, rng, listed[2], c.checks, next);
        time_checks<std::complex<double>>(quick, fill, rng, listed[3], c.checks, next);
    }
    // Median and worst of estimate / measured, with the new constants and with those before.
    const auto summary = [&](auto estimate, double& median, double& worst) {
        std::vector<double> ratios;
        for (const Calibration::Check& k : c.checks) ratios.push_back(estimate(k) / k.measured);
        if (ratios.empty()) return;
        for (double r : ratios) worst = std::max(worst, std::max(r, 1 / r));
        std::sort(ratios.begin(), ratios.end());
        median = ratios[ratios.size() / 2];
    };
    summary([](const Calibration::Check& k) { return k.estimate; }, c.median_ratio, c.worst_ratio);
    summary([](const Calibration::Check& k) { return k.before; }, c.before_median_ratio, c.before_worst_ratio);
    return c;
}

}  // namespace fftconv
