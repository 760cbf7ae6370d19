// fftconv lowpass: frequency-domain low-pass (or high-pass) filtering.
#include <cstdio>

#include "commands.hpp"
#include "fftconv/filters.hpp"
#include "jobs.hpp"

namespace app {

namespace {

// The padded size the library transforms: the image and half of it on every side, to a length
// FFTW transforms fast (wrap: no padding). A close estimate is enough here.
fftconv::Shape padded_shape(const PageHeader& page, fftconv::Border border) {
    if (border == fftconv::Border::wrap) return {page.height, page.width};
    return {page.height + 2 * (page.height / 2), page.width + 2 * (page.width / 2)};
}

Cost frequency_filter_cost(const PageHeader& page, fftconv::Border border, fftconv::Method method,
                           fftconv::FilterShape shape) {
    using fftconv::Method;
    const fftconv::Shape p = padded_shape(page, border);
    const double pixels = static_cast<double>(p.rows) * static_cast<double>(p.cols);
    // FFT: one forward and one inverse transform of the padded size, about what the cost model
    // charges a same-size convolution with a 1x1 kernel. Direct: the circular convolution with a
    // kernel as large as the padded image, pixels² multiply-adds; the Gaussian's kernel is
    // separable (exp(-(u² + v²)) = exp(-u²)·exp(-v²)), and runs as two 1D passes.
    const auto type = fftconv::ElementType::float32;
    const auto valid = fftconv::Mode::valid;
    const double fft = convolution_seconds(p, {1, 1}, fftconv::Mode::same, type, Method::fft).seconds;
    const double direct =
        shape == fftconv::FilterShape::gaussian
            ? convolution_seconds({p.rows, 2 * p.cols - 1}, {1, p.cols}, valid, type, Method::direct).seconds +
                  convolution_seconds({2 * p.rows - 1, p.cols}, {p.rows, 1}, valid, type, Method::direct).seconds
            : convolution_seconds({2 * p.rows - 1, 2 * p.cols - 1}, p, valid, type, Method::direct).seconds;
    const Method chosen = method == Method::automatic ? (fft <= direct ? Method::fft : Method::direct) : method;
    Cost c;
    c.seconds = (chosen == Method::fft ? fft : direct) * colour_channels(page) +
                pipeline_seconds(page, static_cast<double>(page.pixels()));
    c.bytes = pipeline_bytes(page, static_cast<double>(page.pixels())) +
              (chosen == Method::fft ? fft_work_bytes(pixels) : pixels * 4 * 3);
    c.what = "by " + method_text(chosen);
    return c;
}

int run(const Args& args) {
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 0, "IN OUT", extra);
    const FrequencyFilter f = frequency_filter_of(args);
    const double cutoff = f.cutoff;
    const fftconv::FilterShape shape = f.shape;
    const int order = f.order;
    const bool high = f.high;
    const fftconv::Border border = f.border;
    const fftconv::Method method = method_of(args);
    const std::string spectrum = args.text("spectrum");
    if (!spectrum.empty()) {
        if (jobs.size() > 1) throw UsageError("--spectrum goes with a single input");
        if (same_file(spectrum, jobs.front().output))
            throw UsageError("--spectrum '" + spectrum + "' and OUT '" + jobs.front().output + "' are the same file");
        if (spectrum == "-" && jobs.front().output == "-")
            throw UsageError("--spectrum and OUT cannot both go to standard output");
        check_output(spectrum, {jobs.front().input}, false, spectrum == "-" ? ".png" : "");
    }
    const auto filter = [&](const fftconv::Image<float>& p) {
        return high ? fftconv::highpass(p, cutoff, shape, order, border, method)
                    : fftconv::lowpass(p, cutoff, shape, order, border, method);
    };
    fftconv::Image<float> spectrum_image;
    // The low-passed image is the image: alpha carried through. The high-pass result is a
    // response around 0, like a derivative: alpha dropped.
    Work work = per_plane(
        high ? Scaling::signed_around_zero : Scaling::keep, !high,
        [&](const PageHeader& page) { return frequency_filter_cost(page, border, method, shape); }, filter);
    const auto planes = work.process;
    work.process = [&, planes](const Picture& in, int threads) {
        if (!spectrum.empty() && spectrum_image.empty()) {
            // The input's log spectrum (of its first page), dimmed to a third where the filter removes everything.
            spectrum_image = fftconv::log_spectrum(gray_of(in));
            const fftconv::Image<float> h =
                fftconv::transfer_function<float>(spectrum_image.shape(), cutoff, shape, order, high);
            for (std::ptrdiff_t i = 0; i < h.size(); ++i) spectrum_image.values()[i] *= 0.35f + 0.65f * h.values()[i];
        }
        return planes(in, threads);
    };
    const int status = run_jobs(args, jobs, work);
    if (status == 0 && !spectrum.empty()) {
        WriteOptions o;
        o.low = 0;
        o.high = 1;
        o.white = 1;
        o.scaling = Scaling::keep;
        o.format = spectrum == "-" ? ".png" : "";
        const Written w = write_result(spectrum, {page_of({spectrum_image})}, o);
        std::fprintf(info_stream(),
                     "wrote %s (log spectrum, zero frequency at the centre, bright where the filter passes; %s)\n",
                     spectrum == "-" ? "standard output" : spectrum.c_str(), w.mapping.c_str());
    }
    return status;
}

}  // namespace

Command lowpass_command() {
    CommandSpec spec{
        "lowpass",
        "IN OUT --cutoff C [--shape gaussian|butterworth|ideal] [--order 2] [--highpass] [--spectrum SPEC.png]",
        "frequency-domain low-pass / high-pass filtering",
        "Low-pass filtering in the frequency domain: FFT, product with the transfer function H, inverse FFT.\n"
        "With rho the radial frequency as a fraction of Nyquist (0..1 on each axis) and C the cutoff:\n"
        "  ideal        H = 1 where rho <= C, else 0\n"
        "  gaussian     H = exp(-rho^2 / (2 C^2))\n"
        "  butterworth  H = 1 / (1 + (rho / C)^(2 order))\n"
        "--highpass uses 1 - H. Colour images are filtered per channel; an alpha channel is carried through by the\n"
        "low-pass filter and dropped by the high-pass one (its result is a response around 0, not the image).",
        {{"cutoff", "C", "cutoff as a fraction of the Nyquist frequency (required), e.g. 0.1"},
         {"shape", "S",
          "gaussian (default: no ringing), butterworth, or ideal (a sharp cutoff, which rings visibly around edges)"},
         {"order", "N", "Butterworth order; default 2"},
         {"highpass", "", "keep the high frequencies instead (1 - H)"},
         {"spectrum", "SPEC", "also write the input's log spectrum, bright where the filter passes"},
         border_option("reflect: pad by half the image first so edges do not wrap; wrap: no padding"),
         method_option()},
        "The FFT treats an image as periodic, so a bright left edge would bleed into a dark right edge;\n"
        "unless --border is wrap the image is first extended by at least half its size on every side (to a\n"
        "length FFTW transforms fast), then cropped.\n"
        "--method direct sums the same circular convolution with the spatial kernel: exact, but O(N^2).",
        "  fftconv lowpass samples/camera.png smooth.png --cutoff 0.1 --shape butterworth --spectrum spectrum.png",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
