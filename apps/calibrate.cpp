// fftconv calibrate: the cost model's constants measured on this machine, kept for later runs.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fftconv/calibration.hpp"

namespace app {

namespace {

void print_model(const fftconv::CostModel& m) {
    const char* names[4] = {"float32", "float64", "complex64", "complex128"};
    std::printf("measured on: %s\n", m.machine.c_str());
    std::printf("first touch of fresh memory: %.2f ms per MiB\n", m.fresh_byte * 1024 * 1024 * 1e3);
    std::printf("%-11s %10s %10s %12s %10s %10s %12s %10s %10s   (seconds)\n", "", "mac", "call", "direct_fixed",
                "fft_fixed", "fft_nlogn", "fft_nlogn_2d", "fft_spill", "fft_tile");
    for (std::size_t i = 0; i < 4; ++i) {
        const fftconv::CostModel::Type& t = m.types[i];
        std::printf("%-11s %10.3g %10.3g %12.3g %10.3g %10.3g %12.3g %10.3g %10.3g\n", names[i], t.mac, t.call,
                    t.direct_fixed, t.fft_fixed, t.fft_nlogn, t.fft_nlogn_2d, t.fft_spill, t.fft_tile);
    }
}

int run(const Args& args) {
    args.expect_positional(0, 0, "");
    std::string path = args.text("out", fftconv::calibration_path());
    if (args.has("show")) {
        if (args.has("out") || args.has("quick")) throw UsageError("--show takes no other option");
        const fftconv::CostModel m = fftconv::cost_model();
        std::printf("in force: %s\n",
                    m.machine == "built in" ? "the built-in constants" : ("the calibration in " + path).c_str());
        print_model(m);
        return 0;
    }
    if (path.empty())
        throw UsageError(
            "no place for the calibration file (FFTCONV_CALIBRATION is none, or it, XDG_CACHE_HOME and HOME are "
            "unset): give --out FILE");
    std::fprintf(stderr, "calibrate: timing direct and FFT convolutions on one core (%s)...\n",
                 args.has("quick") ? "a few seconds" : "about 40 seconds");
    const fftconv::Calibration c = fftconv::calibrate(args.has("quick"));
    print_model(c.model);
    std::printf(
        "measured in %.1f s; on %zu other calls the estimates were %.2fx the measured time (median), "
        "%.2fx at worst\n",
        c.seconds, c.checks.size(), c.median_ratio, c.worst_ratio);
    std::printf("(with the constants in force before: %.2fx, %.2fx at worst)\n", c.before_median_ratio,
                c.before_worst_ratio);
    // The checks furthest off, so that a poor fit shows where.
    std::vector<fftconv::Calibration::Check> worst = c.checks;
    const auto off = [](const fftconv::Calibration::Check& k) {
        const double r = k.estimate / k.measured;
        return std::max(r, 1 / r);
    };
    std::sort(worst.begin(), worst.end(), [&](const auto& x, const auto& y) { return off(x) > off(y); });
    for (std::size_t i = 0; i < std::min<std::size_t>(3, worst.size()); ++i)
        std::printf("  %-48s estimate %.3g s, measured %.3g s\n", worst[i].what.c_str(), worst[i].estimate,
                    worst[i].measured);
    fftconv::save_calibration(c.model, path);
    std::printf("wrote %s\n", path.c_str());
    return 0;
}

}  // namespace

Command calibrate_command() {
    return {{"calibrate",
             "[--out FILE] [--quick] | --show",
             "measure this machine's cost model for Method::automatic",
             "Times direct and FFT convolutions of every element type on one core, fits the cost model's\n"
             "constants (the seconds per multiply-add, per FFT point and so on that Method::automatic and\n"
             "`compare`'s estimates use), checks them on other calls, and writes them to a per-user file. Every\n"
             "later fftconv process of this user, the tool's and any program linked with the library, loads that\n"
             "file the first time it needs the cost model (if it was measured on a CPU of the same name with the\n"
             "same SIMD loops; otherwise the built-in constants stay). The trade-off: the built-in constants were\n"
             "measured on one 2-core Xeon and can be 4-10x off elsewhere; a calibrated machine picks its methods\n"
             "by its own speed, at the cost of results that depend on a file outside the program (the methods\n"
             "differ only by rounding). FFTCONV_CALIBRATION=none ignores the file; FFTCONV_CALIBRATION=FILE uses\n"
             "another one.",
             {{"out", "FILE",
               "where to write the constants; default $FFTCONV_CALIBRATION, else $XDG_CACHE_HOME/fftconv/"
               "calibration.txt, else ~/.cache/fftconv/calibration.txt"},
              {"quick", "", "a few seconds and a rougher fit (complex types scaled from the real ones)"},
              {"show", "", "print the constants in force and where they come from; measure nothing"}},
             "",
             "  fftconv calibrate\n"
             "  fftconv calibrate --show"},
            run};
}

}  // namespace app
