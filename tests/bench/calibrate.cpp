// Measures the constants of the cost model behind Method::automatic on this machine
// (fftconv::calibrate, printed for lib/src/cost_constants.cpp), then checks the model on a sweep: same-mode 1D and 2D
// convolutions, inputs 64 to 4096 (1D also 16384 and 65536), kernels 1 to 257, the time of a Method::automatic call
// against the faster of Method::direct and Method::fft, all three measured in this run. `calibrate --help` lists the
// modes; `--sweep --csv DIR` writes what scripts/plot_benchmarks.py draws for docs/benchmarks.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cost_model.hpp"
#include "fftconv/fftconv.hpp"
#include "strategy.hpp"
#include "timed_calls.hpp"

using namespace fftconv;
using namespace fftconv::detail;

namespace {

using fftconv::detail::median_seconds;
using fftconv::detail::random_image;

// The sweep's shapes, the one grid behind --check and --sweep (and so behind the numbers
// docs/benchmarks.md quotes): same-mode convolutions of a 1xn signal or an nxn image with a 1xk or
// kxk kernel, k <= n. Kernel sizes 1 to 257: the odd pairs 2^m ± 1 (filters are mostly odd) and
// a few others (2, 5, 8); the long 1D inputs reach the overlap-save path. --quick keeps a few of each.
struct SweepShape {
    int dims;
    std::ptrdiff_t n, k;
    Shape a() const { return dims == 1 ? Shape{1, n} : Shape{n, n}; }
    Shape b() const { return dims == 1 ? Shape{1, k} : Shape{k, k}; }
};

std::vector<SweepShape> sweep_grid(bool quick) {
    using sizes = std::vector<std::ptrdiff_t>;
    const sizes kernels =
        quick ? sizes{1, 3, 9, 33, 129, 257} : sizes{1, 2, 3, 5, 8, 9, 15, 17, 31, 33, 63, 65, 127, 129, 255, 257};
    const sizes inputs_1d =
        quick ? sizes{64, 512, 4096, 65536} : sizes{64, 128, 256, 512, 1024, 2048, 4096, 16384, 65536};
    const sizes inputs_2d = quick ? sizes{64, 256, 1024} : sizes{64, 128, 256, 512, 1024, 2048, 4096};
    std::vector<SweepShape> grid;
    for (int dims : {1, 2})
        for (std::ptrdiff_t n : dims == 1 ? inputs_1d : inputs_2d)
            for (std::ptrdiff_t k : kernels)
                if (k <= n) grid.push_back({dims, n, k});
    return grid;
}

// How long each timing runs, and which calls are too slow to time at all.
struct SweepSettings {
    bool quick;   // the thinner grid of sweep_grid
    double fill;  // seconds of repeats per timing (median_seconds)
    double skip;  // a method the model predicts slower than this may go untimed (see skip_margin)
};
constexpr SweepSettings full_sweep{false, 0.3, 2.0}, quick_sweep{true, 0.05, 0.5};

// A method is left untimed only when the model predicts it at least this many times slower than the
// other, and the point then counts with the other as the best only while the other's measured time
// keeps that margin: the model would have to be off by this factor for the best to be the one not
// timed. Direct at 4096² with a 257² kernel is 1e12 multiply-adds (a minute or more), the FFT about
// a second.
constexpr double skip_margin = 10;

struct SweepRow {
    ElementType type = ElementType::float32;
    SweepShape shape{};
    double direct = std::nan(""), fft = std::nan(""), automatic = std::nan("");  // medians; NaN: not timed
    double direct_est = 0, fft_est = 0;                                          // estimate_seconds
    Method picked = Method::automatic, best = Method::automatic;
    std::optional<Method> skipped;
    double ratio = 0;  // automatic / best
};

// The run's duration by the cost model: what median_seconds spends on a call predicted at t seconds
// (a warm-up, then at least 3 runs or `fill` seconds of them), for each method timed at each point.
double predicted_sweep_seconds(const std::vector<SweepShape>& grid, const std::vector<ElementType>& types,
                               const SweepSettings& settings) {
    const auto timing = [&](double t) { return t + std::max(3 * t, settings.fill); };
    double total = 0;
    for (ElementType type : types)
        for (const SweepShape& s : grid) {
            const double d = estimate_seconds(s.a(), s.b(), Mode::same, type, Method::direct);
            const double f = estimate_seconds(s.a(), s.b(), Mode::same, type, Method::fft);
            const bool skip_d = d > settings.skip && d >= skip_margin * f;
            const bool skip_f = f > settings.skip && f >= skip_margin * d;
            total += (skip_d ? 0 : timing(d)) + (skip_f ? 0 : timing(f)) + timing(std::min(d, f));
        }
    return total;
}

template <class T>
SweepRow sweep_point(const SweepShape& s, const SweepSettings& settings, std::mt19937_64& rng) {
    SweepRow r;
    r.type = element_type_v<T>;
    r.shape = s;
    const Shape sa = s.a(), sb = s.b();
    r.direct_est = estimate_seconds(sa, sb, Mode::same, r.type, Method::direct);
    r.fft_est = estimate_seconds(sa, sb, Mode::same, r.type, Method::fft);
    r.picked = choose_method(sa, sb, Mode::same, r.type);
    const auto a = random_image<T>(sa, rng), b = random_image<T>(sb, rng);
    const auto time = [&](Method m) {
        return median_seconds([&] { (void)convolve(a, b, Mode::same, m); }, settings.fill);
    };
    const auto too_slow = [&](double est, double other) { return est > settings.skip && est >= skip_margin * other; };
    // The method automatic picks is always timed: were it the one far slower, that misprediction is
    // what the sweep is for.
    if (r.picked != Method::direct && too_slow(r.direct_est, r.fft_est))
        r.skipped = Method::direct;
    else if (r.picked != Method::fft && too_slow(r.fft_est, r.direct_est))
        r.skipped = Method::fft;
    if (r.skipped != Method::direct) r.direct = time(Method::direct);
    if (r.skipped != Method::fft) r.fft = time(Method::fft);
    // The margin is judged again on the measured time: if the model underestimated the timed
    // method enough to close it, the skipped one might be the faster, so it is timed after all.
    if (r.skipped == Method::direct && r.direct_est < skip_margin * r.fft) {
        r.direct = time(Method::direct);
        r.skipped.reset();
    } else if (r.skipped == Method::fft && r.fft_est < skip_margin * r.direct) {
        r.fft = time(Method::fft);
        r.skipped.reset();
    }
    r.automatic = time(Method::automatic);
    if (r.skipped)
        r.best = *r.skipped == Method::direct ? Method::fft : Method::direct;
    else
        r.best = r.direct <= r.fft ? Method::direct : Method::fft;
    r.ratio = r.automatic / (r.best == Method::direct ? r.direct : r.fft);
    return r;
}

std::string seconds_text(double t, double estimate) {
    char text[48];
    if (std::isnan(t))
        std::snprintf(text, sizeof text, "(model %.3g s)", estimate);
    else
        std::snprintf(text, sizeof text, "%.3g s", t);
    return text;
}

void print_row(const SweepRow& r) {
    std::printf("  %-10s %dD n %-6td k %-4td direct %-16s fft %-16s automatic %-10s picks %-6s %.2fx the best\n",
                to_string(r.type), r.shape.dims, r.shape.n, r.shape.k, seconds_text(r.direct, r.direct_est).c_str(),
                seconds_text(r.fft, r.fft_est).c_str(), seconds_text(r.automatic, 0).c_str(), to_string(r.picked),
                r.ratio);
}

template <class T>
void sweep(const std::vector<SweepShape>& grid, const SweepSettings& settings, bool every_point, std::mt19937_64& rng,
           std::vector<SweepRow>& rows) {
    for (const SweepShape& s : grid) {
        rows.push_back(sweep_point<T>(s, settings, rng));
        if (every_point || rows.back().ratio > 1.2) print_row(rows.back());
        std::fflush(stdout);
    }
}

struct Stats {
    std::size_t points = 0, within = 0, skipped = 0;
    double worst = 0, median = 0;
};

Stats stats_of(std::vector<const SweepRow*> rows) {
    Stats s;
    if (rows.empty()) return s;
    std::sort(rows.begin(), rows.end(), [](const SweepRow* x, const SweepRow* y) { return x->ratio < y->ratio; });
    s.points = rows.size();
    for (const SweepRow* r : rows) {
        s.within += r->ratio <= 1.2;
        s.skipped += r->skipped.has_value();
    }
    s.worst = rows.back()->ratio;
    s.median = rows[rows.size() / 2]->ratio;
    return s;
}

double percent(std::size_t part, std::size_t whole) {
    return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// The smallest kernel size from which fft is the faster (or, with `picked`, automatic's pick) for
// this and every larger kernel of the same input; 0 when direct stays ahead up to the largest.
std::ptrdiff_t crossover(const std::vector<const SweepRow*>& rows, bool picked) {
    std::ptrdiff_t from = 0;
    for (const SweepRow* r : rows) {  // in increasing kernel size
        const Method m = picked ? r->picked : r->best;
        if (m == Method::direct)
            from = 0;
        else if (from == 0)
            from = r->shape.k;
    }
    return from;
}

void print_crossovers(const std::vector<SweepRow>& rows) {
    std::printf(
        "Crossover: the kernel size from which fft is the faster (measured) and from which automatic\n"
        "picks fft, per input; '-' where direct stays ahead up to the largest kernel:\n");
    for (std::size_t i = 0; i < rows.size();) {
        std::vector<const SweepRow*> same_input;
        for (std::size_t j = i; j < rows.size() && rows[j].type == rows[i].type &&
                                rows[j].shape.dims == rows[i].shape.dims && rows[j].shape.n == rows[i].shape.n;
             ++j)
            same_input.push_back(&rows[j]);
        const auto text = [](std::ptrdiff_t k) { return k ? std::to_string(k) : std::string("-"); };
        std::printf("  %-10s %dD n %-6td measured k >= %-5s automatic k >= %s\n", to_string(rows[i].type),
                    rows[i].shape.dims, rows[i].shape.n, text(crossover(same_input, false)).c_str(),
                    text(crossover(same_input, true)).c_str());
        i += same_input.size();
    }
}

void write_sweep_csv(const std::vector<SweepRow>& rows, const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/sweep.csv";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("calibrate: cannot write " + path);
    const auto seconds = [](double t) {
        char text[32] = "";
        if (!std::isnan(t)) std::snprintf(text, sizeof text, "%.4g", t);
        return std::string(text);
    };
    std::fprintf(f, "dims,type,n,k,direct_s,fft_s,automatic_s,direct_est_s,fft_est_s,picked,best,ratio,skipped\n");
    for (const SweepRow& r : rows)
        std::fprintf(f, "%d,%s,%td,%td,%s,%s,%s,%.4g,%.4g,%s,%s,%.4f,%s\n", r.shape.dims, to_string(r.type), r.shape.n,
                     r.shape.k, seconds(r.direct).c_str(), seconds(r.fft).c_str(), seconds(r.automatic).c_str(),
                     r.direct_est, r.fft_est, to_string(r.picked), to_string(r.best), r.ratio,
                     r.skipped ? to_string(*r.skipped) : "none");
    std::fclose(f);
    std::printf("wrote %s\n", path.c_str());
}

// Per part (dimensions and type), then the whole sweep and the goal line.
void print_summary(const std::vector<SweepRow>& rows, const SweepSettings& settings) {
    std::printf("Summary, ratio = automatic's time / the faster method's:\n");
    std::vector<const SweepRow*> all;
    for (int dims : {1, 2})
        for (ElementType type :
             {ElementType::float32, ElementType::float64, ElementType::complex64, ElementType::complex128}) {
            std::vector<const SweepRow*> part;
            for (const SweepRow& r : rows)
                if (r.shape.dims == dims && r.type == type) part.push_back(&r);
            if (part.empty()) continue;
            all.insert(all.end(), part.begin(), part.end());
            const Stats s = stats_of(part);
            std::printf(
                "  %dD %-10s %3zu points, %3.0f%% within 1.2x, worst %.2fx, median %.2fx, %zu with a method not "
                "timed\n",
                dims, to_string(type), s.points, percent(s.within, s.points), s.worst, s.median, s.skipped);
        }
    const Stats s = stats_of(all);
    if (s.points == 0) return;
    std::printf(
        "Not timed: a method predicted over %.3g s and at least %.0fx slower than the other. Such a point\n"
        "counts with the timed method as the best (automatic never picks the untimed one) only while the\n"
        "prediction stays %.0fx the timed method's measured time; otherwise both are timed. %zu of %zu points.\n",
        settings.skip, skip_margin, skip_margin, s.skipped, s.points);
    std::printf("%zu points: %.0f%% within 1.2x of the best, worst %.2fx, median %.2fx\n", s.points,
                percent(s.within, s.points), s.worst, s.median);
    const bool met = percent(s.within, s.points) >= 95 && s.worst <= 1.5;
    std::printf("automatic within 1.2x of best on %.0f%% (goal 95%%), worst %.2fx (goal <=1.5x): %s\n",
                percent(s.within, s.points), s.worst, met ? "met" : "NOT MET");
}

constexpr const char* usage =
    "usage: calibrate [--check | --sweep] [--csv DIR] [--quick] [--complex] [--verbose]\n"
    "  (no mode)  fit the cost model's constants (fftconv::calibrate) and print them as C++, then\n"
    "             run the sweep with them\n"
    "  --check    the sweep only: the points beyond 1.2x, a summary and the goal line\n"
    "  --sweep    the sweep only, every point and the crossover per input\n"
    "  --csv DIR  also write DIR/sweep.csv (scripts/plot_benchmarks.py draws it)\n"
    "  --quick    a smoke run: a few shapes, shorter timings\n"
    "  --complex  complex64 and complex128 as well as float32 and float64\n"
    "  --verbose  with the fit, print every point of the sweep\n";

}  // namespace

int main(int argc, char** argv) {
    bool fit_constants = true, every_point = false, complex_types = false;
    SweepSettings settings = full_sweep;
    std::string csv_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--check")
            fit_constants = false;
        else if (arg == "--sweep")
            fit_constants = false, every_point = true;
        else if (arg == "--verbose")
            every_point = true;
        else if (arg == "--quick")
            settings = quick_sweep;
        else if (arg == "--complex")
            complex_types = true;
        else if (arg == "--csv" && i + 1 < argc)
            csv_dir = argv[++i];
        else if (arg == "--help") {
            std::printf("%s", usage);
            return 0;
        } else {
            std::fprintf(stderr, "calibrate: unknown argument '%s'\n%s", arg.c_str(), usage);
            return 2;
        }
    }
    try {
        std::mt19937_64 rng(42);
        if (fit_constants) {
            // fftconv::calibrate's fit, printed for cost_constants.cpp's built-in table; the sweep
            // below then runs with it installed.
            const Calibration c = fftconv::calibrate();
            std::printf("Fitted in %.0f s on %s; fresh memory %.3g s per byte.\n", c.seconds, c.model.machine.c_str(),
                        c.model.fresh_byte);
            std::printf(
                "  //  mac       call      fft_fixed  fft_nlogn  fft_nlogn_2d  fft_spill  fft_tile  direct_fixed\n");
            for (const CostModel::Type& t : c.model.types)
                std::printf("  {%.3g, %.3g, %.3g, %.3g, %.3g, %.3g, %.3g, %.3g},\n", t.mac, t.call, t.fft_fixed,
                            t.fft_nlogn, t.fft_nlogn_2d, t.fft_spill, t.fft_tile, t.direct_fixed);
            std::printf("Checked on %zu other calls: estimate / measured median %.2f, worst %.2fx.\n", c.checks.size(),
                        c.median_ratio, c.worst_ratio);
        }
        const std::vector<SweepShape> grid = sweep_grid(settings.quick);
        std::vector<ElementType> types{ElementType::float32, ElementType::float64};
        if (complex_types) types.insert(types.end(), {ElementType::complex64, ElementType::complex128});
        const double predicted = predicted_sweep_seconds(grid, types, settings);
        std::printf(
            "Method::automatic against the faster of direct and fft, all timed in this run: same mode, %zu "
            "shapes x %zu types, about %.0f %s by the cost model's estimates; %s.\n",
            grid.size(), types.size(), predicted < 120 ? predicted : predicted / 60, predicted < 120 ? "s" : "min",
            every_point ? "every point" : "the points beyond 1.2x");
        std::vector<SweepRow> rows;
        sweep<float>(grid, settings, every_point, rng, rows);
        sweep<double>(grid, settings, every_point, rng, rows);
        if (complex_types) {
            sweep<std::complex<float>>(grid, settings, every_point, rng, rows);
            sweep<std::complex<double>>(grid, settings, every_point, rng, rows);
        }
        if (every_point) print_crossovers(rows);
        print_summary(rows, settings);
        if (!csv_dir.empty()) write_sweep_csv(rows, csv_dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "calibrate: %s\n", e.what());
        return 1;
    }
    return 0;
}
