// fftconv lowpass: frequency-domain low-pass (or high-pass) filtering.
#include "commands.hpp"
#include "jobs.hpp"

namespace app {

namespace {

int run(const Args& args) {
    if (!args.has("cutoff")) throw UsageError("--cutoff is required (a fraction of the Nyquist frequency, e.g. 0.1)");
    const double cutoff = args.number("cutoff", 0, 1e-6, 2);
    using fftconv::FilterShape;
    const FilterShape shape = args.choice<FilterShape>(
        "shape",
        {{"ideal", FilterShape::ideal}, {"gaussian", FilterShape::gaussian}, {"butterworth", FilterShape::butterworth}},
        FilterShape::ideal);
    const int order = static_cast<int>(args.integer("order", 2, 1, 100));
    const bool high = args.has("highpass");
    const fftconv::Border border = border_of(args, fftconv::Border::reflect);
    const fftconv::Method method = method_of(args);
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 0, "IN OUT", extra);
    const std::string spectrum = args.text("spectrum");
    if (!spectrum.empty()) {
        if (jobs.size() > 1) throw UsageError("--spectrum goes with a single input");
        if (same_file(spectrum, jobs.front().output))
            throw UsageError("--spectrum '" + spectrum + "' and OUT '" + jobs.front().output + "' are the same file");
        check_output(spectrum, {jobs.front().input}, false);
    }
    const auto filter = [&](const fftconv::Image<float>& p) {
        return high ? fftconv::highpass(p, cutoff, shape, order, border, method)
                    : fftconv::lowpass(p, cutoff, shape, order, border, method);
    };
    fftconv::Image<float> spectrum_image;
    const int status =
        run_jobs(args, jobs, high ? Scaling::signed_around_zero : Scaling::keep, [&](const Picture& in, int threads) {
            if (!spectrum.empty()) {
                // The input's log spectrum, dimmed to a third where the filter removes everything.
                spectrum_image = fftconv::log_spectrum(gray_of(in));
                const fftconv::Image<float> h =
                    fftconv::transfer_function<float>(spectrum_image.shape(), cutoff, shape, order, high);
                for (std::ptrdiff_t i = 0; i < h.size(); ++i)
                    spectrum_image.values()[i] *= 0.35f + 0.65f * h.values()[i];
            }
            return map_planes(in.planes, threads, filter);
        });
    if (status == 0 && !spectrum.empty()) {
        const std::string mapping = write_picture(spectrum, {spectrum_image}, {false, 0.0, 1.0, false, Scaling::keep});
        std::printf("wrote %s (log spectrum, zero frequency at the centre, bright where the filter passes; %s)\n",
                    spectrum.c_str(), mapping.c_str());
    }
    return status;
}

}  // namespace

Command lowpass_command() {
    CommandSpec spec{
        "lowpass",
        "IN OUT --cutoff C [--shape ideal|gaussian|butterworth] [--order 2] [--highpass] [--spectrum SPEC.png]",
        "frequency-domain low-pass / high-pass filtering",
        "Low-pass filtering in the frequency domain: FFT, product with the transfer function H, inverse FFT.\n"
        "With rho the radial frequency as a fraction of Nyquist (0..1 on each axis) and C the cutoff:\n"
        "  ideal        H = 1 where rho <= C, else 0\n"
        "  gaussian     H = exp(-rho^2 / (2 C^2))\n"
        "  butterworth  H = 1 / (1 + (rho / C)^(2 order))\n"
        "--highpass uses 1 - H. Colour images are filtered per channel.",
        {{"cutoff", "C", "cutoff as a fraction of the Nyquist frequency (required), e.g. 0.1"},
         {"shape", "S", "ideal (default), gaussian or butterworth"},
         {"order", "N", "Butterworth order; default 2"},
         {"highpass", "", "keep the high frequencies instead (1 - H)"},
         {"spectrum", "SPEC", "also write the input's log spectrum, bright where the filter passes"},
         border_option("reflect: pad by half the image first so edges do not wrap; wrap: no padding"),
         method_option()},
        "The FFT treats an image as periodic, so a bright left edge would bleed into a dark right edge;\n"
        "unless --border is wrap the image is first extended by half its size on every side, then cropped.\n"
        "--method direct sums the same circular convolution with the spatial kernel: exact, but O(N^2).",
        "  fftconv lowpass samples/camera.png smooth.png --cutoff 0.1 --shape butterworth --spectrum spectrum.png",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
