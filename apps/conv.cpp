// fftconv conv: convolve (or correlate) an image with a kernel, scipy.signal's modes.
#include <cstdio>

#include "commands.hpp"
#include "jobs.hpp"
#include "kernels.hpp"

namespace app {

namespace {

int run(const Args& args) {
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 1, "IN KERNEL OUT", extra);
    const fftconv::Mode mode = mode_of(args, fftconv::Mode::full);
    const bool correlate = args.has("correlate");
    const fftconv::Method method = method_of(args);
    const Kernel kernel = parse_kernel(extra.front(), kernel_options_of(args));
    const fftconv::Image<float> kf = fftconv::image_cast<float>(kernel.values);
    std::fprintf(info_stream(), "kernel %s, %s, mode %s\n", kernel.description.c_str(),
                 correlate ? "correlation" : "convolution", fftconv::to_string(mode));
    // Same mode keeps the image's size, so its alpha channel still fits it and is carried
    // through; full and valid results are another size, and drop it.
    Work work = per_plane(
        Scaling::automatic, mode == fftconv::Mode::same,
        [&](const PageHeader& page) {
            const fftconv::Shape ks = kf.shape();
            if (mode == fftconv::Mode::valid && (ks.rows > page.height || ks.cols > page.width) &&
                (ks.rows < page.height || ks.cols < page.width))
                throw ProcessError(
                    "--mode valid needs the image at least as large as the kernel in both directions "
                    "(or the kernel as large as the image); the image is " +
                    size_text(page.width, page.height) + " and the kernel " + size_text(ks));
            return convolution_cost(page, ks, mode, method);
        },
        [&](const fftconv::Image<float>& p) {
            return correlate ? fftconv::correlate(p, kf, mode, method) : fftconv::convolve(p, kf, mode, method);
        });
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
        "channel is carried through with --mode same, and dropped by full and valid (another size).",
        {{"mode", "M", "full (default), same or valid"},
         {"correlate", "", "cross-correlate instead of convolve"},
         method_option(),
         kernel_normalize_option()},
        std::string(kernel_help) + "\nSeveral inputs: fftconv conv IN... KERNEL --outdir DIR.",
        "  fftconv conv samples/camera.png gaussian:3 blurred.png --mode same\n"
        "  fftconv conv samples/camera.png \"1,2,1;0,0,0;-1,-2,-1\" edges.png --mode same --correlate",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
