// The C++ side of python_peers.py's G3: a fftconv::Convolver<double> built once for a 1D input of
// `length` samples and a `taps`-tap kernel (mode full, default options: method by the cost model,
// estimate plans, one thread), applied `repeats` times into a std::vector kept between calls.
// The first apply is a warm-up (it touches the Convolver's work buffers for the first time) and
// is reported apart. Random data from a fixed seed, uniform in [-1, 1). One line:
//
//   convolver_apply length 4194304 taps 513 repeats 7 method fft build_seconds 0.0123
//   first_seconds 0.0301 median_seconds 0.0201 min_seconds 0.0198 max_seconds 0.0230
//   minflt_per_apply 0.0
//
//   convolver_apply [length [taps [repeats]]]     (defaults 4194304 513 7)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "one_call.hpp"

namespace {

long positive_arg(int argc, char** argv, int i, long fallback) {
    if (argc <= i) return fallback;
    char* end = nullptr;
    const long v = std::strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || v < 1) {
        std::fprintf(stderr, "convolver_apply: argument %d must be a positive integer, not '%s'\n", i, argv[i]);
        std::exit(2);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 4) {
        std::fprintf(stderr, "usage: convolver_apply [length [taps [repeats]]]\n");
        return 2;
    }
    const long length = positive_arg(argc, argv, 1, 4194304);
    const long taps = positive_arg(argc, argv, 2, 513);
    const long repeats = positive_arg(argc, argv, 3, 7);
    fftconv::set_threads(1);

    const auto xi = random_image<double>(1, length, 4);
    const auto hi = random_image<double>(1, taps, 5);
    const std::span<const double> x = xi.values(), h = hi.values();

    const auto t0 = std::chrono::steady_clock::now();
    fftconv::Convolver<double> conv(static_cast<std::size_t>(length), h, fftconv::Mode::full);
    const double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<double> out(static_cast<std::size_t>(length + taps - 1));
    std::fill(out.begin(), out.end(), 0.0);  // resident before the clock, as a kept numpy array is
    const CallSample first = measure_call([&] { conv.apply(x, std::span<double>(out)); });

    std::vector<double> seconds;
    long faults = 0;
    for (long r = 0; r < repeats; ++r) {
        const CallSample s = measure_call([&] { conv.apply(x, std::span<double>(out)); });
        seconds.push_back(s.seconds);
        faults += s.minflt;
    }
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);

    std::printf(
        "convolver_apply length %ld taps %ld repeats %ld method %s build_seconds %.6f first_seconds %.6f "
        "median_seconds %.6f min_seconds %.6f max_seconds %.6f minflt_per_apply %.1f checksum %.6g\n",
        length, taps, repeats, conv.method() == fftconv::Method::fft ? "fft" : "direct", build, first.seconds, median,
        sorted.front(), sorted.back(), static_cast<double>(faults) / static_cast<double>(repeats),
        out[static_cast<std::size_t>(length / 2)]);
    return 0;
}
