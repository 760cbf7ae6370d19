// fftconv compare: the same convolution both ways — how far apart, how fast each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "budget.hpp"
#include "commands.hpp"
#include "fftconv/opencv.hpp"
#include "image_io.hpp"
#include "jobs.hpp"
#include "kernels.hpp"
#include "npy.hpp"
#include "plot.hpp"
#include "signal_io.hpp"
#include "volume.hpp"

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
    double max_seconds;                     // 0: no limit
    std::optional<fftconv::Border> border;  // set: the same-size filter (scipy.ndimage's)
    double cval;
};

// What is compared: one or more channels (an image's colour channels, or one array), each of
// any rank, against one kernel.
template <class T>
struct Inputs {
    std::vector<fftconv::Array<T>> channels;
    fftconv::Array<T> kernel;
    std::string input_text;   // "samples/camera.png (512x512 gray 8-bit)"
    std::string kernel_text;  // "gaussian:4 (33x33)"
    std::string output_size;  // "512x512" (an image), "(20, 30, 40)" (an array)
    bool image = true;        // the --diff heat map needs an image
    bool signal = false;      // 1D: --diff draws the result and |fft - direct| instead
    int rate = 0;             // a signal's samples per second; 0: not known
};

template <class T>
int compare(const Options& o, const Inputs<T>& in) {
    const fftconv::Mode mode = o.border ? fftconv::Mode::same : o.mode;
    const fftconv::Array<T>& k = in.kernel;
    const auto run_all = [&](fftconv::Method m) {
        std::vector<fftconv::Array<T>> out;
        for (const auto& p : in.channels) {
            if (o.border)
                out.push_back(o.correlate ? fftconv::filter<T>(p.view(), k.view(), *o.border, T(o.cval), m)
                                          : fftconv::filter_convolve<T>(p.view(), k.view(), *o.border, T(o.cval), m));
            else
                out.push_back(o.correlate ? fftconv::correlate<T>(p.view(), k.view(), mode, m)
                                          : fftconv::convolve<T>(p.view(), k.view(), mode, m));
        }
        return out;
    };
    const fftconv::ElementType type = fftconv::element_type_v<T>;
    const fftconv::Extents is = in.channels.front().shape(), ks = k.shape();
    const double channels = static_cast<double>(in.channels.size());
    // With a border the filter's own model: a separable kernel's direct method is one pass per axis.
    const fftconv::View<const T> kv = k.view();
    const fftconv::Method pick =
        o.border ? fftconv::choose_filter_method<T>(is, kv) : fftconv::choose_method(is, ks, mode, type);
    const auto estimate = [&](fftconv::Method m) {
        return o.border ? fftconv::estimate_filter_seconds<T>(is, kv, m)
                        : fftconv::estimate_seconds(is, ks, mode, type, m);
    };
    const double ed = estimate(fftconv::Method::direct), ef = estimate(fftconv::Method::fft);
    FILE* info = info_stream();
    std::fprintf(info, "estimate    direct %s, fft %s per run (the cost model, %s)\n",
                 seconds_text(ed * channels).c_str(), seconds_text(ef * channels).c_str(),
                 in.channels.size() == 1 ? "one channel" : (std::to_string(in.channels.size()) + " channels").c_str());
    flush_stdout();
    // One run of each method, then as many more (up to --repeat) as fit in --max-seconds by the
    // first runs' measured times, alternating so that both get the same number of runs.
    Timed td, tf;
    std::vector<fftconv::Array<T>> direct, fft;
    const auto timed = [&](fftconv::Method m, std::vector<fftconv::Array<T>>& result, Timed& t) {
        const auto t0 = std::chrono::steady_clock::now();
        result = run_all(m);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        t.seconds.push_back(s);
        return s;
    };
    const auto start = std::chrono::steady_clock::now();
    const double pair = timed(fftconv::Method::direct, direct, td) + timed(fftconv::Method::fft, fft, tf);
    while (static_cast<long>(td.seconds.size()) < o.repeat) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (o.max_seconds > 0 && elapsed + pair > o.max_seconds) break;
        timed(fftconv::Method::direct, direct, td);
        timed(fftconv::Method::fft, fft, tf);
    }
    const long runs = static_cast<long>(td.seconds.size());

    double max_abs = 0, max_out = 0, sum_sq = 0;
    std::size_t count = 0, distorted = 0, nonzero = 0;
    fftconv::Array<float> diff(direct.front().shape());
    for (std::size_t c = 0; c < direct.size(); ++c)
        for (std::ptrdiff_t i = 0; i < diff.size(); ++i) {
            const auto j = static_cast<std::size_t>(i);
            const double d = std::abs(fft[c].values()[j] - direct[c].values()[j]);
            max_abs = std::max(max_abs, d);
            max_out = std::max(max_out, static_cast<double>(std::abs(direct[c].values()[j])));
            sum_sq += d * d;
            ++count;
            diff.values()[j] = std::max(diff.values()[j], static_cast<float>(d));
        }
    // Outputs smaller than the FFT's largest error: its values there are mostly rounding noise
    // (large dynamic range: values near 1e-8 next to values near 1e8).
    for (const auto& plane : direct)
        for (T v : plane.values()) {
            const double a = std::abs(v);
            nonzero += a > 0;
            distorted += a > 0 && a < max_abs;
        }
    double max_in = 0, max_k = 0;
    for (const auto& p : in.channels)
        for (T v : p.values()) max_in = std::max(max_in, static_cast<double>(std::abs(v)));
    for (T v : k.values()) max_k = std::max(max_k, static_cast<double>(std::abs(v)));
    const double bound = fftconv::fft_error_bound(is, ks, mode, type) * max_in * max_k *
                         static_cast<double>(std::min(is.size(), ks.size()));
    const double md = td.median(), mf = tf.median();

    std::fprintf(info, "input       %s, computed in %s\n", in.input_text.c_str(), fftconv::to_string(type));
    std::fprintf(info, "kernel      %s, %s\n", in.kernel_text.c_str(), o.correlate ? "correlation" : "convolution");
    std::fprintf(info, "output      %s, %s%s\n", in.output_size.c_str(),
                 o.border ? (std::string("border ") + fftconv::to_string(*o.border)).c_str()
                          : (std::string("mode ") + fftconv::to_string(mode)).c_str(),
                 in.channels.size() > 1 ? (", " + std::to_string(in.channels.size()) + " channels").c_str() : "");
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
        runs < o.repeat ? " (not " + std::to_string(o.repeat) + ": --max-seconds " + seconds_text(o.max_seconds) + ")"
                        : "";
    std::fprintf(info, "direct      median %10.3f ms over %ld run%s%s\n", md * 1e3, runs, runs == 1 ? "" : "s",
                 capped.c_str());
    std::fprintf(info, "fft         median %10.3f ms over %ld run%s%s\n", mf * 1e3, runs, runs == 1 ? "" : "s",
                 capped.c_str());
    std::fprintf(info, "speed-up    %s is %.2fx faster\n", mf < md ? "fft" : "direct", mf < md ? md / mf : mf / md);
    std::fprintf(info, "automatic   would choose %s (estimated: direct %.3f ms, fft %.3f ms per channel)\n",
                 fftconv::to_string(pick), ed * 1e3, ef * 1e3);

    if (!o.diff_path.empty()) {
        const std::string ext = o.diff_path == "-" ? ".png" : lower_extension(o.diff_path);
        if (in.signal && ext != ".npy") {
            // A picture of the result (direct) and of |fft - direct| on a log scale, per channel.
            // Complex results are drawn as their magnitude.
            constexpr bool complex = fftconv::is_complex_v<T>;
            std::vector<std::vector<double>> results, errors;
            for (std::size_t c = 0; c < direct.size(); ++c) {
                const auto d = direct[c].values(), f = fft[c].values();
                results.emplace_back(d.size());
                errors.emplace_back(d.size());
                for (std::size_t i = 0; i < d.size(); ++i) {
                    if constexpr (complex)
                        results.back()[i] = std::abs(d[i]);
                    else
                        results.back()[i] = static_cast<double>(d[i]);
                    errors.back()[i] = static_cast<double>(std::abs(f[i] - d[i]));
                }
            }
            Plot plot;
            set_time_axis(plot, in.rate);
            Panel result{"the result (direct), " + in.output_size, complex ? "|output|" : "output", {}, {}};
            char most[32];
            std::snprintf(most, sizeof most, "%.3g", max_abs);
            Panel error{std::string("|fft - direct|, at most ") + most, "|fft - direct|", {}, {}, true};
            for (std::size_t c = 0; c < direct.size(); ++c) {
                const std::string label = direct.size() > 1 ? "channel " + std::to_string(c + 1) : "";
                result.traces.push_back({label, results[c], 0});
                error.traces.push_back({label, errors[c], 0});
            }
            plot.panels = {result, error};
            write_plot(o.diff_path, plot);
            std::fprintf(info, "wrote %s (the result and |fft - direct| on a log scale)\n", o.diff_path.c_str());
        } else if (ext == ".npy") {
            const std::vector<std::int64_t> shape(diff.shape().begin(), diff.shape().end());
            npy::write<float>(o.diff_path, shape, diff.data());
            std::fprintf(info, "wrote %s (|fft - direct|, max over channels, float32)\n", o.diff_path.c_str());
        } else {
            cv::Mat m = fftconv::to_mat(diff.image()), u8, heat;
            m.convertTo(u8, CV_8U, max_abs > 0 ? 255.0 / max_abs : 0.0);
            cv::applyColorMap(u8, heat, cv::COLORMAP_INFERNO);
            write_atomically(
                o.diff_path, [&](const std::string& tmp) { return cv::imwrite(tmp, heat); },
                o.diff_path == "-" ? ".png" : "");
            std::fprintf(info,
                         "wrote %s (|fft - direct|, max over channels: black 0 to yellow %.3g, inferno colour map)\n",
                         o.diff_path == "-" ? "standard output" : o.diff_path.c_str(), max_abs);
        }
    }
    return 0;
}

template <class T>
fftconv::Array<T> cast_array(const fftconv::View<const double>& v) {
    fftconv::Array<T> a(v.shape);
    std::ptrdiff_t i = 0;
    fftconv::Array<double>::for_each_index(
        v.shape, [&](const std::ptrdiff_t* index) { a.values()[static_cast<std::size_t>(i++)] = T(v.at(index)); });
    return a;
}

// A signal file (audio, text) with one 1D kernel: a signal file of one channel or taps.
int compare_signals(const Args& args, const Options& o, const Limits& limits, const std::string& input,
                    const std::string& kernel_spec, bool dbl) {
    for (const char* image_only : {"volume", "gray"})
        if (args.has(image_only))
            throw UsageError(std::string("--") + image_only + " applies to images, not to signals");
    const Signal x = read_signal(input, rate_of(args)), h = read_response(kernel_spec, rate_of(args), args);
    if (h.channels.size() != 1)
        throw UsageError("compare takes a kernel of one channel; " + kernel_spec + " has " +
                         std::to_string(h.channels.size()));
    const int rate = common_rate(input, x.rate, kernel_spec, h.rate);
    const fftconv::Mode mode = o.border ? fftconv::Mode::same : o.mode;
    const fftconv::ElementType type = dbl ? fftconv::ElementType::float64 : fftconv::ElementType::float32;
    const fftconv::Extents is{x.frames}, ks{h.frames};
    const double channels = static_cast<double>(x.channels.size());
    Cost cost;
    cost.seconds = (fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::direct) +
                    fftconv::estimate_seconds(is, ks, mode, type, fftconv::Method::fft)) *
                   channels;
    cost.bytes = static_cast<double>(x.frames) * channels * (8 + element_bytes(type) * 6);
    cost.what = "with one run of each method";
    const std::string size = std::to_string(x.frames) + " samples x " + std::to_string(x.channels.size()) + " ch";
    check_array_budget("compare", input, size, static_cast<double>(x.frames) * channels, cost, limits);
    const auto rank1 = [](auto tag, const std::vector<double>& v) {
        using T = decltype(tag);
        fftconv::Array<T> a(fftconv::Extents{static_cast<std::ptrdiff_t>(v.size())});
        std::copy(v.begin(), v.end(), a.values().begin());
        return a;
    };
    const auto inputs = [&](auto tag) {
        using T = decltype(tag);
        Inputs<T> in;
        for (const auto& c : x.channels) in.channels.push_back(rank1(tag, c));
        in.kernel = rank1(tag, h.channels.front());
        in.input_text =
            input + " (" + x.format + ", " + size + (rate > 0 ? ", " + std::to_string(rate) + " Hz" : "") + ")";
        in.kernel_text = kernel_spec + " (" + std::to_string(h.frames) + " samples)";
        const std::ptrdiff_t n = x.frames, k = h.frames;
        const std::ptrdiff_t out = o.border || mode == fftconv::Mode::same ? n
                                   : mode == fftconv::Mode::full           ? n + k - 1
                                                                           : std::abs(n - k) + 1;
        in.output_size = std::to_string(out) + " samples";
        in.image = false;
        in.signal = true;
        in.rate = rate;
        return in;
    };
    return dbl ? compare<double>(o, inputs(double{})) : compare<float>(o, inputs(float{}));
}

int run(const Args& args) {
    args.expect_positional(2, 2, "IN KERNEL");
    // Every option is read, and a bad one refused, before any work.
    const Limits limits = limits_of(args);
    Options o{mode_of(args, fftconv::Mode::full),
              args.has("correlate"),
              args.integer("repeat", 5, 1, 100000),
              args.text("diff"),
              limits.max_seconds,
              std::nullopt,
              args.number("cval", 0, -1e300, 1e300)};
    if (args.has("border")) {
        o.border = border_of(args, fftconv::Border::reflect);
        if (args.has("mode") && o.mode != fftconv::Mode::same)
            throw UsageError(
                "--border filters to the input's size (scipy.ndimage's convolve); --mode must be same "
                "or left out, got " +
                args.text("mode"));
        o.mode = fftconv::Mode::same;
    } else if (args.has("cval")) {
        throw UsageError("--cval goes with --border constant");
    }
    const std::string& input = args.positional()[0];
    const std::string& kernel_spec = args.positional()[1];
    if (args.has("diff")) check_output(o.diff_path, {input, kernel_spec}, false, o.diff_path == "-" ? ".png" : "");
    // Signals (read as double) and arrays keep double precision unless asked otherwise.
    const bool dbl = args.choice<bool>("precision", {{"single", false}, {"double", true}}, is_signal_path(input));
    const bool gray = args.has("gray");

    if (is_signal_path(input)) return compare_signals(args, o, limits, input, kernel_spec, dbl);
    if (args.has("volume") || is_npy_input(input)) {
        // An array of any rank: compared in its own precision (or double when asked).
        const VolumeFile file = open_volume(input, gray);
        const KernelND kernel = parse_kernel_nd(kernel_spec, file.shape.rank(), kernel_options_of(args));
        const fftconv::ElementType type = array_type(file, dbl);
        const fftconv::Mode mode = o.border ? fftconv::Mode::same : o.mode;
        const fftconv::Extents ks = kernel.values.shape();
        Cost cost;
        const auto seconds = [&](fftconv::Method m) {
            return o.border ? fftconv::estimate_filter_seconds<double>(file.shape, kernel.values.view(), m)
                            : fftconv::estimate_seconds(file.shape, ks, mode, type, m);
        };
        cost.seconds = seconds(fftconv::Method::direct) + seconds(fftconv::Method::fft);
        const double n = static_cast<double>(file.shape.size()), element = element_bytes(type);
        cost.bytes = n * (static_cast<double>(file.file_bytes) + element * 6);
        cost.what = "with one run of each method";
        check_array_budget("compare", input, describe(file), n, cost, limits);
        return fftconv::visit_element_type(type, [&](auto tag) {
            using T = decltype(tag);
            Inputs<T> in;
            in.channels.push_back(read_volume<T>(file, gray));
            in.kernel = cast_array<T>(kernel.values.view());
            in.input_text = (input == "-" ? std::string("standard input") : input) + " (" + describe(file) + ")";
            in.kernel_text = kernel.description;
            fftconv::Extents out = file.shape;
            if (!o.border)
                for (int i = 0; i < out.rank(); ++i)
                    out[i] = mode == fftconv::Mode::full   ? file.shape[i] + ks[i] - 1
                             : mode == fftconv::Mode::same ? file.shape[i]
                                                           : std::abs(file.shape[i] - ks[i]) + 1;
            in.output_size = shape_text(out);
            in.image = false;
            in.signal = file.shape.rank() == 1;
            in.rate = rate_of(args);
            if (!o.diff_path.empty() && file.shape.rank() > 2 && lower_extension(o.diff_path) != ".npy")
                throw UsageError("--diff of a rank-" + std::to_string(file.shape.rank()) +
                                 " array goes to an .npy file");
            return compare<T>(o, in);
        });
    }

    const Kernel kernel = parse_kernel(kernel_spec, kernel_options_of(args));
    const ImageFile file = open_image(input);
    if (file.pages() > 1)
        throw ProcessError(display_name(input) + " has " + std::to_string(file.pages()) +
                           " pages; compare takes one image (--volume compares them as one 3D array)");
    if (file.header) {
        // One run of each method must fit the limits; more runs are fitted to the time left.
        PageHeader page = file.header->pages.front();
        if (gray && page.channels >= 3) page.channels = 1;
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
    const Picture picture = with_gray(read_page(file, 0), gray);
    const auto image_inputs = [&](auto tag) {
        using T = decltype(tag);
        Inputs<T> in;
        for (const auto& p : picture.planes) in.channels.push_back(fftconv::Array<T>(fftconv::image_cast<T>(p).view()));
        in.kernel = fftconv::Array<T>(fftconv::image_cast<T>(kernel.values).view());
        in.input_text = picture.path + " (" + picture.describe() + ")";
        in.kernel_text = kernel.description;
        const fftconv::Shape is = picture.shape(), ks = kernel.values.shape();
        const fftconv::Shape out =
            o.border || o.mode == fftconv::Mode::same ? is
            : o.mode == fftconv::Mode::full
                ? fftconv::Shape{is.rows + ks.rows - 1, is.cols + ks.cols - 1}
                : fftconv::Shape{std::abs(is.rows - ks.rows) + 1, std::abs(is.cols - ks.cols) + 1};
        in.output_size = size_text(out);
        return in;
    };
    return dbl ? compare<double>(o, image_inputs(double{})) : compare<float>(o, image_inputs(float{}));
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
         "Colour images are compared per colour channel (alpha is not)."
         "\n\nArrays: an .npy input (any rank up to 8; bool, integer, float or complex) or a multi-page TIFF\n"
         "with --volume is compared at its own rank, in double precision for float64, complex128 and 32-\n"
         "and 64-bit integers, else in single (float32, complex64); --diff of an array is written as .npy."
         "\n\nSignals: an audio file (WAV, FLAC, ...), a text signal (.csv, .tsv, .txt: a column per channel) or a\n"
         "1D .npy with a 1D kernel (a one-channel signal file of the same rate, or taps \"0.25,0.5,0.25\",\n"
         "gaussian:S, box:N), compared per channel in double precision unless --precision single; --diff to an\n"
         "image draws the result and |fft - direct| on a log scale over time (seconds when the rate is known).",
         {{"mode", "M", "full (default), same or valid"},
          {"correlate", "", "cross-correlate instead of convolve"},
          {"diff", "DIFF",
           "write |fft - direct|: images as a heat map (inferno colour map, black = 0), signals as a plot, "
           "either to .npy as numbers"},
          {"repeat", "N",
           "time each method over up to N runs (fewer when --max-seconds would be passed) and report the "
           "median; default 5"},
          {"precision", "P",
           "single (default for images, float32) or double (float64); arrays: their own, or double; signals: "
           "double (default) or single"},
          border_option("none: scipy.signal's zeros outside; with a border, the same-size filter "
                        "(scipy.ndimage.convolve, or correlate with --correlate)"),
          {"cval", "V", "with --border constant: the value outside the input; default 0"},
          {"volume", "", "read a multi-page TIFF as one 3D array (pages along the first axis)"},
          {"gray", "", "convert colour input to gray first (0.299 R + 0.587 G + 0.114 B)"},
          kernel_normalize_option(),
          rate_option(),
          limit_options()[0],
          limit_options()[1]},
         kernel_help,
         "  fftconv compare samples/camera.png gaussian:4 --mode same --diff diff.png\n"
         "  fftconv compare samples/camera.png random:15x15 --repeat 20 --precision double\n"
         "  fftconv compare samples/voice.wav samples/room.wav --diff voice_room_diff.png"},
        run};
}

}  // namespace app
