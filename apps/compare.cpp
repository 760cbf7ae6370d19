// fftconv compare: the same convolution both ways — how far apart, how fast each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "fftconv/opencv.hpp"
#include "image_io.hpp"
#include "kernels.hpp"

namespace app {

namespace {

struct Timed {
    std::vector<double> seconds;
    double median() const {
        std::vector<double> s = seconds;
        std::sort(s.begin(), s.end());
        return s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
    }
};

struct Options {
    fftconv::Mode mode;
    bool correlate;
    long repeat;
    std::string diff_path;
};

template <class T>
int compare(const Options& o, const Picture& in, const Kernel& kernel) {
    const auto [mode, correlate, repeat, diff_path] = o;
    const fftconv::Image<T> k = fftconv::image_cast<T>(kernel.values);
    std::vector<fftconv::Image<T>> planes;
    for (const auto& p : in.planes) planes.push_back(fftconv::image_cast<T>(p));
    const auto run_all = [&](fftconv::Method m) {
        std::vector<fftconv::Image<T>> out;
        for (const auto& p : planes)
            out.push_back(correlate ? fftconv::correlate(p, k, mode, m) : fftconv::convolve(p, k, mode, m));
        return out;
    };
    const auto time = [&](fftconv::Method m, std::vector<fftconv::Image<T>>& result) {
        Timed t;
        for (long r = 0; r < repeat; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            result = run_all(m);
            t.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return t;
    };
    std::vector<fftconv::Image<T>> direct, fft;
    const Timed td = time(fftconv::Method::direct, direct), tf = time(fftconv::Method::fft, fft);

    double max_abs = 0, max_out = 0, sum_sq = 0;
    std::size_t count = 0, distorted = 0, nonzero = 0;
    fftconv::Image<float> diff(direct.front().rows(), direct.front().cols());
    for (std::size_t c = 0; c < direct.size(); ++c)
        for (std::ptrdiff_t i = 0; i < diff.size(); ++i) {
            const double d =
                std::abs(static_cast<double>(fft[c].values()[i]) - static_cast<double>(direct[c].values()[i]));
            max_abs = std::max(max_abs, d);
            max_out = std::max(max_out, std::abs(static_cast<double>(direct[c].values()[i])));
            sum_sq += d * d;
            ++count;
            diff.values()[i] = std::max(diff.values()[i], static_cast<float>(d));
        }
    // Outputs smaller than the FFT's largest error: its values there are mostly rounding noise
    // (large dynamic range: values near 1e-8 next to values near 1e8).
    for (const auto& plane : direct)
        for (T v : plane.values()) {
            const double a = std::abs(static_cast<double>(v));
            nonzero += a > 0;
            distorted += a > 0 && a < max_abs;
        }
    const fftconv::ElementType type = fftconv::element_type_v<T>;
    const fftconv::Shape is = in.shape(), ks = k.shape();
    double max_in = 0, max_k = 0;
    for (const auto& p : planes)
        for (T v : p.values()) max_in = std::max(max_in, std::abs(static_cast<double>(v)));
    for (T v : k.values()) max_k = std::max(max_k, std::abs(static_cast<double>(v)));
    const double bound = fftconv::fft_error_bound(is, ks, mode, type) * max_in * max_k *
                         static_cast<double>(std::min(is.size(), ks.size()));
    const fftconv::Method pick = fftconv::choose_method(is, ks, mode, type);
    const double ed = fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::direct);
    const double ef = fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::fft);
    const double md = td.median(), mf = tf.median();

    std::printf("input       %s (%s), computed in %s\n", in.path.c_str(), in.describe().c_str(),
                fftconv::to_string(type));
    std::printf("kernel      %s, %s\n", kernel.description.c_str(), correlate ? "correlation" : "convolution");
    std::printf("output      %s, mode %s%s\n", fftconv::to_string(diff.shape()).c_str(), fftconv::to_string(mode),
                in.channels() > 1 ? (", " + std::to_string(in.channels()) + " channels").c_str() : "");
    std::printf("max |fft - direct|          %.3g\n", max_abs);
    std::printf("max error / max |out|       %.3g   (max |out| = %.6g)\n", max_out > 0 ? max_abs / max_out : 0.0,
                max_out);
    std::printf("RMS error                   %.3g\n", std::sqrt(sum_sq / static_cast<double>(count)));
    std::printf("FFT error bound             %.3g   (fft_error_bound · max|in| · max|kernel| · kernel size)\n", bound);
    if (distorted > 0)
        std::printf(
            "distorted   %zu of %zu nonzero outputs are smaller than max |fft - direct|: the fft's "
            "values there are mostly rounding error; use the direct method for them\n",
            distorted, nonzero);
    std::printf("direct      median %10.3f ms over %ld run%s\n", md * 1e3, repeat, repeat == 1 ? "" : "s");
    std::printf("fft         median %10.3f ms over %ld run%s\n", mf * 1e3, repeat, repeat == 1 ? "" : "s");
    std::printf("speed-up    %s is %.2fx faster\n", mf < md ? "fft" : "direct", mf < md ? md / mf : mf / md);
    std::printf("automatic   would choose %s (estimated: direct %.3f ms, fft %.3f ms per channel)\n",
                fftconv::to_string(pick), ed * 1e3, ef * 1e3);

    if (!diff_path.empty()) {
        cv::Mat m = fftconv::to_mat(diff), u8, heat;
        m.convertTo(u8, CV_8U, max_abs > 0 ? 255.0 / max_abs : 0.0);
        cv::applyColorMap(u8, heat, cv::COLORMAP_INFERNO);
        write_atomically(diff_path, [&](const std::string& tmp) { return cv::imwrite(tmp, heat); });
        std::printf("wrote %s (|fft - direct|, max over channels: black 0 to yellow %.3g, inferno colour map)\n",
                    diff_path.c_str(), max_abs);
    }
    return 0;
}

int run(const Args& args) {
    args.expect_positional(2, 2, "IN KERNEL");
    // Every option is read, and a bad one refused, before any work.
    const Options o{mode_of(args, fftconv::Mode::full), args.has("correlate"), args.integer("repeat", 5, 1, 100000),
                    args.text("diff")};
    if (args.has("diff")) check_output(o.diff_path, {args.positional()[0], args.positional()[1]}, false);
    const bool dbl = args.choice<bool>("precision", {{"single", false}, {"double", true}}, false);
    const Kernel kernel = parse_kernel(args.positional()[1]);
    const Picture in = read_picture(args.positional()[0]);
    return dbl ? compare<double>(o, in, kernel) : compare<float>(o, in, kernel);
}

}  // namespace

Command compare_command() {
    return {{"compare",
             "IN KERNEL [--mode full|same|valid] [--correlate] [--diff DIFF.png] [--repeat N] [--precision single]",
             "direct vs FFT on your data: errors and timings",
             "Runs the same convolution directly and by FFT and prints how far apart the results are (max absolute\n"
             "error, max error relative to max |out|, RMS), the FFT's error bound, how many outputs are smaller\n"
             "than the FFT's error (if any), each method's median time, the speed-up, and what\n"
             "Method::automatic would choose. Times are for one core.",
             {{"mode", "M", "full (default), same or valid"},
              {"correlate", "", "cross-correlate instead of convolve"},
              {"diff", "DIFF", "write |fft - direct| as a heat map (inferno colour map, black = 0)"},
              {"repeat", "N", "time each method over N runs and report the median; default 5"},
              {"precision", "P", "single (default, float32) or double (float64)"}},
             kernel_help,
             "  fftconv compare samples/camera.png gaussian:4 --mode same --diff diff.png\n"
             "  fftconv compare samples/camera.png random:15x15 --repeat 20 --precision double"},
            run};
}

}  // namespace app
