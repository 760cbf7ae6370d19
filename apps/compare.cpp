// fftconv compare: the same convolution both ways — how far apart, how fast each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "budget.hpp"
#include "commands.hpp"
#include "fftconv/opencv.hpp"
#include "image_io.hpp"
#include "jobs.hpp"
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
    double max_seconds;  // 0: no limit
};

template <class T>
int compare(const Options& o, const Picture& in, const Kernel& kernel) {
    const auto [mode, correlate, repeat, diff_path, max_seconds] = o;
    const fftconv::Image<T> k = fftconv::image_cast<T>(kernel.values);
    std::vector<fftconv::Image<T>> planes;
    for (const auto& p : in.planes) planes.push_back(fftconv::image_cast<T>(p));
    const auto run_all = [&](fftconv::Method m) {
        std::vector<fftconv::Image<T>> out;
        for (const auto& p : planes)
            out.push_back(correlate ? fftconv::correlate(p, k, mode, m) : fftconv::convolve(p, k, mode, m));
        return out;
    };
    const fftconv::ElementType type = fftconv::element_type_v<T>;
    const fftconv::Shape is = in.shape(), ks = k.shape();
    const double channels = static_cast<double>(planes.size());
    const fftconv::Method pick = fftconv::choose_method(is, ks, mode, type);
    const double ed = fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::direct);
    const double ef = fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::fft);
    FILE* info = info_stream();
    std::fprintf(info, "estimate    direct %s, fft %s per run (the cost model, %s)\n",
                 seconds_text(ed * channels).c_str(), seconds_text(ef * channels).c_str(),
                 planes.size() == 1 ? "one channel" : (std::to_string(planes.size()) + " channels").c_str());
    flush_stdout();
    // One run of each method, then as many more (up to --repeat) as fit in --max-seconds by the
    // first runs' measured times, alternating so that both get the same number of runs.
    Timed td, tf;
    std::vector<fftconv::Image<T>> direct, fft;
    const auto timed = [&](fftconv::Method m, std::vector<fftconv::Image<T>>& result, Timed& t) {
        const auto t0 = std::chrono::steady_clock::now();
        result = run_all(m);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        t.seconds.push_back(s);
        return s;
    };
    const auto start = std::chrono::steady_clock::now();
    const double pair = timed(fftconv::Method::direct, direct, td) + timed(fftconv::Method::fft, fft, tf);
    while (static_cast<long>(td.seconds.size()) < repeat) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (max_seconds > 0 && elapsed + pair > max_seconds) break;
        timed(fftconv::Method::direct, direct, td);
        timed(fftconv::Method::fft, fft, tf);
    }
    const long runs = static_cast<long>(td.seconds.size());

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
    double max_in = 0, max_k = 0;
    for (const auto& p : planes)
        for (T v : p.values()) max_in = std::max(max_in, std::abs(static_cast<double>(v)));
    for (T v : k.values()) max_k = std::max(max_k, std::abs(static_cast<double>(v)));
    const double bound = fftconv::fft_error_bound(is, ks, mode, type) * max_in * max_k *
                         static_cast<double>(std::min(is.size(), ks.size()));
    const double md = td.median(), mf = tf.median();

    std::fprintf(info, "input       %s (%s), computed in %s\n", in.path.c_str(), in.describe().c_str(),
                 fftconv::to_string(type));
    std::fprintf(info, "kernel      %s, %s\n", kernel.description.c_str(), correlate ? "correlation" : "convolution");
    std::fprintf(info, "output      %s, mode %s%s\n", size_text(diff.shape()).c_str(), fftconv::to_string(mode),
                 in.channels() > 1 ? (", " + std::to_string(in.channels()) + " channels").c_str() : "");
    std::fprintf(info, "max |fft - direct|          %.3g\n", max_abs);
    std::fprintf(info, "max error / max |out|       %.3g   (max |out| = %.6g)\n", max_out > 0 ? max_abs / max_out : 0.0,
                 max_out);
    std::fprintf(info, "RMS error                   %.3g\n", std::sqrt(sum_sq / static_cast<double>(count)));
    std::fprintf(info, "FFT error bound             %.3g   (fft_error_bound · max|in| · max|kernel| · kernel size)\n",
                 bound);
    if (distorted > 0)
        std::fprintf(info,
                     "distorted   %zu of %zu nonzero outputs are smaller than max |fft - direct|: the fft's "
                     "values there are mostly rounding error; use the direct method for them\n",
                     distorted, nonzero);
    const std::string capped =
        runs < repeat ? " (not " + std::to_string(repeat) + ": --max-seconds " + seconds_text(max_seconds) + ")" : "";
    std::fprintf(info, "direct      median %10.3f ms over %ld run%s%s\n", md * 1e3, runs, runs == 1 ? "" : "s",
                 capped.c_str());
    std::fprintf(info, "fft         median %10.3f ms over %ld run%s%s\n", mf * 1e3, runs, runs == 1 ? "" : "s",
                 capped.c_str());
    std::fprintf(info, "speed-up    %s is %.2fx faster\n", mf < md ? "fft" : "direct", mf < md ? md / mf : mf / md);
    std::fprintf(info, "automatic   would choose %s (estimated: direct %.3f ms, fft %.3f ms per channel)\n",
                 fftconv::to_string(pick), ed * 1e3, ef * 1e3);

    if (!diff_path.empty()) {
        cv::Mat m = fftconv::to_mat(diff), u8, heat;
        m.convertTo(u8, CV_8U, max_abs > 0 ? 255.0 / max_abs : 0.0);
        cv::applyColorMap(u8, heat, cv::COLORMAP_INFERNO);
        write_atomically(
            diff_path, [&](const std::string& tmp) { return cv::imwrite(tmp, heat); }, diff_path == "-" ? ".png" : "");
        std::fprintf(info, "wrote %s (|fft - direct|, max over channels: black 0 to yellow %.3g, inferno colour map)\n",
                     diff_path == "-" ? "standard output" : diff_path.c_str(), max_abs);
    }
    return 0;
}

int run(const Args& args) {
    args.expect_positional(2, 2, "IN KERNEL");
    // Every option is read, and a bad one refused, before any work.
    const Limits limits = limits_of(args);
    const Options o{mode_of(args, fftconv::Mode::full), args.has("correlate"), args.integer("repeat", 5, 1, 100000),
                    args.text("diff"), limits.max_seconds};
    const std::string& input = args.positional()[0];
    if (args.has("diff"))
        check_output(o.diff_path, {input, args.positional()[1]}, false, o.diff_path == "-" ? ".png" : "");
    const bool dbl = args.choice<bool>("precision", {{"single", false}, {"double", true}}, false);
    const Kernel kernel = parse_kernel(args.positional()[1], kernel_options_of(args));
    const ImageFile file = open_image(input);
    if (file.pages() > 1)
        throw ProcessError(display_name(input) + " has " + std::to_string(file.pages()) +
                           " pages; compare takes one image");
    if (file.header) {
        // One run of each method must fit the limits; more runs are fitted to the time left.
        PageHeader page = file.header->pages.front();
        if (args.has("gray") && page.channels >= 3) page.channels = 1;
        const fftconv::Shape ks = kernel.values.shape();
        const auto type = dbl ? fftconv::ElementType::float64 : fftconv::ElementType::float32;
        const fftconv::Shape is{page.height, page.width};
        Cost cost = convolution_cost(page, ks, o.mode, fftconv::Method::fft);
        cost.bytes += convolution_cost(page, ks, o.mode, fftconv::Method::direct).bytes * (dbl ? 2 : 1);
        cost.seconds = (convolution_seconds(is, ks, o.mode, type, fftconv::Method::direct).seconds +
                        convolution_seconds(is, ks, o.mode, type, fftconv::Method::fft).seconds) *
                       colour_channels(page);
        cost.what = "with one run of each method";
        check_budget("compare", input, {page}, cost, limits);
    }
    const Picture in = with_gray(read_page(file, 0), args.has("gray"));
    return dbl ? compare<double>(o, in, kernel) : compare<float>(o, in, kernel);
}

}  // namespace

Command compare_command() {
    return {
        {"compare",
         "IN KERNEL [--mode full|same|valid] [--correlate] [--diff DIFF.png] [--repeat N] [--precision single]",
         "direct vs FFT on your data: errors and timings",
         "Runs the same convolution directly and by FFT and prints the cost model's estimate first, then how far\n"
         "apart the results are (max absolute error, max error relative to max |out|, RMS), the FFT's error bound,\n"
         "how many outputs are smaller than the FFT's error (if any), each method's median time, the speed-up,\n"
         "and what Method::automatic would choose. Times are for one core. The runs stop early when another\n"
         "would pass --max-seconds (the output says how many were made); work estimated past it is refused.\n"
         "Colour images are compared per colour channel (alpha is not).",
         {{"mode", "M", "full (default), same or valid"},
          {"correlate", "", "cross-correlate instead of convolve"},
          {"diff", "DIFF", "write |fft - direct| as a heat map (inferno colour map, black = 0)"},
          {"repeat", "N",
           "time each method over up to N runs (fewer when --max-seconds would be passed) and report the "
           "median; default 5"},
          {"precision", "P", "single (default, float32) or double (float64)"},
          {"gray", "", "convert colour input to gray first (0.299 R + 0.587 G + 0.114 B)"},
          kernel_normalize_option(),
          limit_options()[0],
          limit_options()[1]},
         kernel_help,
         "  fftconv compare samples/camera.png gaussian:4 --mode same --diff diff.png\n"
         "  fftconv compare samples/camera.png random:15x15 --repeat 20 --precision double"},
        run};
}

}  // namespace app
