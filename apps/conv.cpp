// fftconv conv: convolve (or correlate) an image with a kernel, scipy.signal's modes.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "commands.hpp"
#include "conv_out_of_core.hpp"
#include "conv_signal.hpp"
#include "fftconv/filters.hpp"
#include "jobs.hpp"
#include "kernels.hpp"
#include "plot.hpp"
#include "signal_io.hpp"
#include "volume.hpp"

namespace app {

namespace {

// What conv computes, read from the command line once.
struct Conv {
    fftconv::Mode mode;
    bool correlate;
    fftconv::Method method;
    std::optional<fftconv::Border> border;  // set: a same-size filter (scipy.ndimage's), not scipy.signal's modes
    double cval;
};

// The result of one operand pair, whatever the rank: scipy.signal's modes with zeros outside, or
// with --border scipy.ndimage's same-size filter.
template <fftconv::Scalar T>
fftconv::Array<T> compute(const Conv& c, const fftconv::View<const T>& a, const fftconv::View<const T>& k) {
    if (c.border)
        return c.correlate ? fftconv::filter<T>(a, k, *c.border, T(c.cval), c.method)
                           : fftconv::filter_convolve<T>(a, k, *c.border, T(c.cval), c.method);
    return c.correlate ? fftconv::correlate<T>(a, k, c.mode, c.method) : fftconv::convolve<T>(a, k, c.mode, c.method);
}

// The output shape of c on these shapes (what convolve would make), checked as convolve checks.
fftconv::Extents output_shape(const Conv& c, const fftconv::Extents& a, const fftconv::Extents& k) {
    if (c.border) return a;
    fftconv::Extents out = a;
    bool a_contains = true, k_contains = true;
    for (int i = 0; i < a.rank(); ++i) {
        a_contains = a_contains && a[i] >= k[i];
        k_contains = k_contains && k[i] >= a[i];
        out[i] = c.mode == fftconv::Mode::full   ? a[i] + k[i] - 1
                 : c.mode == fftconv::Mode::same ? a[i]
                                                 : std::max(a[i], k[i]) - std::min(a[i], k[i]) + 1;
    }
    if (c.mode == fftconv::Mode::valid && !a_contains && !k_contains)
        throw ProcessError(
            "--mode valid needs the array at least as large as the kernel along every axis (or the "
            "kernel as large as the array); the array is " +
            shape_text(a) + " and the kernel " + shape_text(k));
    return out;
}

// conv on arrays: .npy inputs, and image files read as arrays with --volume (a multi-page TIFF is
// a 3D volume). Computed in the data's own precision, written as .npy (lossless) or an image or
// TIFF stack (ranks 2 and 3).
int run_arrays(const Args& args, const std::vector<Job>& jobs, const std::string& kernel_spec, const Conv& c) {
    std::optional<KernelND> kernel;
    return run_array_jobs(
        args, jobs, "conv",
        [&](const VolumeFile& file) {
            kernel = parse_kernel_nd(kernel_spec, file.shape.rank(), kernel_options_of(args));
            const fftconv::Extents& ks = kernel->values.shape();
            ArrayPlan p{array_type(file, false), output_shape(c, file.shape, ks), {}};
            // The cost: the file, its values in T, the result twice (computed and converted for
            // writing) and, for the FFT, about three padded arrays.
            const fftconv::Mode mode = c.border ? fftconv::Mode::same : c.mode;
            // With a border, the filter's model (a separable kernel runs one pass per axis).
            const fftconv::View<const double> kv = kernel->values.view();
            const fftconv::Method m = c.method != fftconv::Method::automatic ? c.method
                                      : c.border ? fftconv::choose_filter_method<double>(file.shape, kv)
                                                 : fftconv::choose_method(file.shape, ks, mode, p.type);
            const double element = element_bytes(p.type);
            double padded = 1;
            for (int i = 0; i < file.shape.rank(); ++i) padded *= static_cast<double>(file.shape[i] + ks[i]);
            p.cost.seconds = c.border ? fftconv::estimate_filter_seconds<double>(file.shape, kv, m)
                                      : fftconv::estimate_seconds(file.shape, ks, mode, p.type, m);
            p.cost.bytes = static_cast<double>(file.shape.size()) * (static_cast<double>(file.file_bytes) + element) +
                           static_cast<double>(p.out.size()) * element * 2 +
                           (m == fftconv::Method::fft ? padded * element * 3 : 0);
            p.cost.what = "by " + method_text(m);
            std::fprintf(info_stream(), "kernel %s, %s, %s\n", kernel->description.c_str(),
                         c.correlate ? "correlation" : "convolution",
                         c.border ? (std::string("border ") + fftconv::to_string(*c.border)).c_str()
                                  : (std::string("mode ") + fftconv::to_string(c.mode)).c_str());
            return p;
        },
        [&](const auto& a, const VolumeFile&) {
            using T = typename std::decay_t<decltype(a)>::value_type;
            fftconv::Array<T> k(kernel->values.shape());
            for (std::ptrdiff_t i = 0; i < k.size(); ++i)
                k.values()[static_cast<std::size_t>(i)] = T(kernel->values.values()[static_cast<std::size_t>(i)]);
            return compute<T>(c, a.view(), k.view());
        });
}

int run_in_memory(const Args& args, const std::vector<Job>& jobs, const std::string& kernel_spec, const Conv& c);

int run(const Args& args) {
    // Signals: a signal file in, or out (a 1D .npy convolved into a .csv).
    const auto& p = args.positional();
    if (args.has("stream") || args.has("pcm") || (!p.empty() && is_signal_path(p.front())) ||
        (p.size() == 3 && is_signal_path(p.back()))) {
        for (const char* image_only : {"memory", "progress"})
            if (args.has(image_only))
                throw UsageError(std::string("--") + image_only +
                                 " applies to images and arrays; signals are streamed in bounded memory already");
        return run_signal_conv(args);
    }
    for (const char* signal_only : {"wet", "dry", "normalize", "rate", "plot"})
        if (args.has(signal_only))
            throw UsageError(std::string("--") + signal_only +
                             " applies to signals (audio, .csv, .txt ...), not to images and arrays");
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 1, "IN KERNEL OUT", extra);
    Conv c{};
    if (args.has("border")) {
        c.border = border_of(args, fftconv::Border::reflect);
        if (args.has("mode") && mode_of(args, fftconv::Mode::same) != fftconv::Mode::same)
            throw UsageError(
                "--border filters to the input's size (scipy.ndimage's convolve); --mode must be same "
                "or left out, got " +
                args.text("mode"));
    } else if (args.has("cval")) {
        throw UsageError("--cval goes with --border constant");
    }
    c.cval = args.number("cval", 0, -1e300, 1e300);
    c.mode = mode_of(args, c.border ? fftconv::Mode::same : fftconv::Mode::full);
    c.correlate = args.has("correlate");
    c.method = method_of(args);
    // Files whose whole-array run would not fit --memory (or this machine's memory) run out of
    // core; the rest in memory, within --memory too.
    const std::optional<double> memory = memory_of(args);
    if (memory) fftconv::set_memory_limit(static_cast<std::size_t>(*memory));
    const double bound = memory.value_or(static_cast<double>(fftconv::memory_limit()));
    // An image's in-memory estimate, as the image path makes it (from the 2D kernel's shape).
    std::optional<fftconv::Shape> ks;
    const auto image_bytes = [&](const PageHeader& page) {
        if (!ks) {
            try {
                ks = parse_kernel(extra.front(), kernel_options_of(args)).values.shape();
            } catch (const std::exception&) {
                ks = fftconv::Shape{1, 1};  // the in-memory path reports what is wrong with it
            }
        }
        return convolution_cost(page, *ks, c.border ? fftconv::Mode::same : c.mode, c.method).bytes;
    };
    std::vector<Job> out_of_core, in_memory;
    for (const Job& j : jobs) (runs_out_of_core(j, bound, image_bytes) ? out_of_core : in_memory).push_back(j);
    int status = 0;
    if (!out_of_core.empty()) {
        fftconv::OutOfCoreOptions o;
        o.mode = c.mode;
        o.correlate = c.correlate;
        o.border = c.border;
        o.cval = c.cval;
        o.method = c.method;
        status = run_out_of_core(args, out_of_core, extra.front(), o, bound);
    }
    if (in_memory.empty()) return status;
    return std::max(status, run_in_memory(args, in_memory, extra.front(), c));
}

// conv on images and arrays that fit in memory.
int run_in_memory(const Args& args, const std::vector<Job>& jobs, const std::string& kernel_spec, const Conv& c) {
    bool arrays = args.has("volume");
    for (const Job& j : jobs) arrays = arrays || is_npy_input(j.input);
    if (arrays) return run_arrays(args, jobs, kernel_spec, c);
    const Kernel kernel = parse_kernel(kernel_spec, kernel_options_of(args));
    const fftconv::Image<float> kf = fftconv::image_cast<float>(kernel.values);
    std::fprintf(info_stream(), "kernel %s, %s, %s\n", kernel.description.c_str(),
                 c.correlate ? "correlation" : "convolution",
                 c.border ? (std::string("border ") + fftconv::to_string(*c.border)).c_str()
                          : (std::string("mode ") + fftconv::to_string(c.mode)).c_str());
    // Same-size results keep the image's size, so its alpha channel still fits it and is carried
    // through; full and valid results are another size, and drop it.
    Work work = per_plane(
        Scaling::automatic, c.mode == fftconv::Mode::same,
        [&](const PageHeader& page) {
            const fftconv::Shape ks = kf.shape();
            if (!c.border && c.mode == fftconv::Mode::valid && (ks.rows > page.height || ks.cols > page.width) &&
                (ks.rows < page.height || ks.cols < page.width))
                throw ProcessError(
                    "--mode valid needs the image at least as large as the kernel in both directions "
                    "(or the kernel as large as the image); the image is " +
                    size_text(page.width, page.height) + " and the kernel " + size_text(ks));
            return convolution_cost(page, ks, c.mode, c.method);
        },
        [&](const fftconv::Image<float>& p) {
            return compute<float>(c, fftconv::View<const float>(p.view()), fftconv::View<const float>(kf.view()))
                .image();
        },
        // Same-size results: output row r reads the input rows within half the kernel of r, and
        // near the edges the border's, which a strip starting or ending there holds too; but for
        // wrap, whose rows come from the far edge.
        c.mode == fftconv::Mode::same && c.border != fftconv::Border::wrap
            ? std::optional<int>(static_cast<int>(kf.rows() / 2 + 1))
            : std::nullopt);
    // Non-negative values summing to at most 1.02 average: every result of an integer image lies
    // within its range widened by 2% (zeros outside included), where automatic scaling keeps the
    // range, so the result can be mapped strip by strip.
    double sum = 0;
    bool non_negative = true;
    for (const double v : kernel.values.values()) {
        sum += v;
        non_negative = non_negative && v >= 0;
    }
    work.within_range = non_negative && sum <= 1.02;
    return run_jobs(args, jobs, work);
}

}  // namespace

Command conv_command() {
    CommandSpec spec{
        "conv",
        "IN KERNEL OUT [--mode full|same|valid] [--correlate] [--method auto]",
        "convolve or correlate with a kernel (scipy.signal modes)",
        "Convolution of an image with a kernel, with scipy.signal.convolve's modes: full (default; output\n"
        "(W+kw-1)x(H+kh-1)), same (the input's size, centred as scipy does) or valid. Outside the image the\n"
        "values are 0, as in scipy.signal. --correlate computes the cross-correlation instead\n"
        "(scipy.signal.correlate). cv::filter2D sums the same products inside the image, but extends the\n"
        "border (reflect101 by default) instead of padding with 0, and anchors even kernels one pixel\n"
        "differently, so its results differ near the edges; named derivative kernels have filter2D's sign under\n"
        "--correlate and the opposite sign under convolution. Colour images are processed per channel; an alpha\n"
        "channel is carried through with --mode same, and dropped by full and valid (another size)."
        "\n\nArrays: an .npy input (any rank up to 8; bool, integer, float or complex) or a multi-page TIFF\n"
        "with --volume is processed at its own rank, in double precision for float64, complex128 and 32-\n"
        "and 64-bit integers, else in single (float32, complex64),\n"
        "written as .npy, or for rank 2 and 3 as an image or a TIFF stack. An .npy or TIFF input whose\n"
        "whole-array run would need more than --memory is convolved out of core: a box at a time from disk\n"
        "into an .npy or a tiled TIFF, the border only at its true edges, with a progress bar and the time\n"
        "left."
        "\n\nSignals (convolution reverb, filtering): IN an audio file (WAV, FLAC, OGG, AIFF, ...; any format\n"
        "libsndfile reads), '-' or raw samples (--pcm), or a text (.csv, .tsv, .txt: a column per channel) or\n"
        ".npy signal (a 1D .npy with a text or audio OUT; with an .npy OUT it is an array); KERNEL a signal\n"
        "file of IN's sample rate or 1D taps (\"0.25,0.5,0.25\", gaussian:S, box:N); OUT audio in IN's sample\n"
        "format when the kind allows it, text or .npy. A mono response applies to every channel, a mono input\n"
        "goes through every response channel, equal counts pair up, and 2 channels with a 4-channel\n"
        "response are true stereo (LL, LR, RL, RR). Audio: --mode full\n"
        "(default: the reverb's tail kept) or same (the input's length and timing: the first samples of full,\n"
        "not scipy's centring); audio in and out is streamed block by block in memory bounded by the response\n"
        "unless --normalize or --plot needs the whole result (--threads N: N channel pairs at once; outputs of\n"
        "16 bits or fewer in float32, within a 16-bit step of float64). Text and .npy: scipy.signal's full, same\n"
        "(centred) and valid. Samples past full scale are clipped in integer formats and counted in a\n"
        "warning; --normalize peak scales the result to -0.09 dBFS.",
        {{"mode", "M", "full (default), same or valid"},
         {"correlate", "", "cross-correlate instead of convolve"},
         border_option("none: scipy.signal's zeros outside; with a border the result has the input's size, as "
                       "scipy.ndimage.convolve (or correlate, with --correlate; then reflect101 equals cv::filter2D)"),
         {"cval", "V", "with --border constant: the value outside the input; default 0"},
         {"volume", "", "read a multi-page TIFF as one 3D array (pages along the first axis), not page by page"},
         method_option(),
         memory_option(),
         progress_option(),
         kernel_normalize_option(),
         {"wet", "W", "signals: the convolution's gain; default 1"},
         {"dry", "D", "signals: the input's gain, added to the convolution; default 0"},
         {"normalize", "N", "signals: none (default), peak (the result's peak at -0.09 dBFS) or rms (the input's RMS)"},
         {"stream", "",
          "audio: read, convolve and write block by block in bounded memory (IN and OUT may be -); the default "
          "for audio in and out without --normalize"},
         {"pcm", "F:R:C",
          "audio: IN is headerless samples of format F (s16le, s24le, f32le, ...), rate R, C channels; OUT '-' "
          "gets the same format"},
         rate_option(),
         plot_option("signals: the input and the result, one above the other on one time axis")},
        std::string(kernel_help) + "\nSeveral inputs: fftconv conv IN... KERNEL --outdir DIR.",
        "  fftconv conv samples/camera.png gaussian:3 blurred.png --mode same\n"
        "  fftconv conv samples/camera.png \"1,2,1;0,0,0;-1,-2,-1\" edges.png --mode same --correlate\n"
        "  fftconv conv voice.wav hall.wav wet.wav --wet 0.5 --dry 1 --normalize peak\n"
        "  fftconv conv sensor.csv gaussian:4 smooth.csv --mode same --plot smooth.png",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
