// fftconv conv: convolve (or correlate) an image with a kernel, scipy.signal's modes.
#include "commands.hpp"
#include "jobs.hpp"
#include "kernels.hpp"

namespace app {

namespace {

int run(const Args& args) {
    const fftconv::Mode mode = mode_of(args, fftconv::Mode::full);
    const bool correlate = args.has("correlate");
    const fftconv::Method method = method_of(args);
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 1, "IN KERNEL OUT", extra);
    const Kernel kernel = parse_kernel(extra.front());
    const fftconv::Image<float> kf = fftconv::image_cast<float>(kernel.values);
    std::printf("kernel %s, %s, mode %s\n", kernel.description.c_str(), correlate ? "correlation" : "convolution",
                fftconv::to_string(mode));
    return run_per_plane(args, jobs, Scaling::automatic, [&](const fftconv::Image<float>& p) {
        return correlate ? fftconv::correlate(p, kf, mode, method) : fftconv::convolve(p, kf, mode, method);
    });
}

}  // namespace

Command conv_command() {
    CommandSpec spec{
        "conv",
        "IN KERNEL OUT [--mode full|same|valid] [--correlate] [--method auto]",
        "convolve or correlate with a kernel (scipy.signal modes)",
        "Convolution of an image with a kernel, with scipy.signal.convolve's modes: full (default; output\n"
        "(H+kh-1)x(W+kw-1)), same (the input's size, centred as scipy does) or valid. --correlate computes\n"
        "the cross-correlation instead (what cv::filter2D computes; named derivative kernels have filter2D's sign\n"
        "under --correlate and the opposite sign under convolution). Colour images are processed per channel.",
        {{"mode", "M", "full (default), same or valid"},
         {"correlate", "", "cross-correlate instead of convolve"},
         method_option()},
        std::string(kernel_help) + "\nSeveral inputs: fftconv conv IN... KERNEL --outdir DIR.",
        "  fftconv conv samples/camera.png gaussian:3 blurred.png --mode same\n"
        "  fftconv conv samples/camera.png \"1,2,1;0,0,0;-1,-2,-1\" edges.png --mode same --correlate",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
