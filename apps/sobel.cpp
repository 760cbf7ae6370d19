// fftconv sobel: image derivatives (cv::Sobel) or the gradient magnitude.
#include "commands.hpp"
#include "fftconv/filters.hpp"
#include "jobs.hpp"

namespace app {

namespace {

int run(const Args& args) {
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 0, "IN OUT", extra);
    const bool magnitude = args.has("magnitude");
    if (magnitude && (args.has("dx") || args.has("dy"))) throw UsageError("--magnitude takes no --dx or --dy");
    const int dx = static_cast<int>(args.integer("dx", magnitude ? 1 : (args.has("dy") ? 0 : 1), 0, 30));
    const int dy = static_cast<int>(args.integer("dy", 0, 0, 30));
    const int ksize = static_cast<int>(args.integer("ksize", 3, -1, 31));
    try {
        (void)fftconv::sobel_kernels(magnitude ? 1 : dx, magnitude ? 0 : dy, ksize);
        if (magnitude) (void)fftconv::sobel_kernels(0, 1, ksize);
    } catch (const fftconv::Error& e) {
        throw UsageError(e.what());
    }
    const fftconv::Border border = border_of(args, fftconv::Border::reflect101);
    const fftconv::Method method = method_of(args);
    const std::ptrdiff_t taps = ksize == -1 ? 3 : ksize == 1 ? 3 : ksize;
    // Derivatives are not the image: their outputs are opaque, and the input's alpha is dropped.
    return run_jobs(
        args, jobs,
        per_plane(
            magnitude ? Scaling::stretch : Scaling::signed_around_zero, false,
            [&](const PageHeader& page) { return filter_cost(page, taps, taps, true, method, magnitude ? 2 : 1); },
            [&](const fftconv::Image<float>& p) {
                return magnitude ? fftconv::sobel_magnitude(p, ksize, border, method)
                                 : fftconv::sobel(p, dx, dy, ksize, border, method);
            },
            static_cast<int>(taps / 2)));
}

}  // namespace

Command sobel_command() {
    CommandSpec spec{
        "sobel",
        "IN OUT [--dx 1 --dy 0 | --magnitude] [--ksize 3] [--border reflect101] [--method auto]",
        "image derivatives and gradient magnitude (cv::Sobel)",
        "Image derivatives by the Sobel operator, equal to cv::Sobel(src, dst, CV_32F, dx, dy, ksize, 1, 0, border);\n"
        "or the gradient magnitude sqrt(gx^2 + gy^2). Colour images are filtered per channel; an alpha channel is\n"
        "dropped (a derivative is not the image, and a half-transparent edge map would hide its edges).",
        {{"dx", "N", "derivative order along x (to the right); default 1"},
         {"dy", "N", "derivative order along y (downwards); default 0"},
         {"magnitude", "", "write sqrt(gx^2 + gy^2) of the first derivatives instead"},
         {"ksize", "K", "kernel size: 1, 3 (default), 5, ..., 31, or -1 for the 3x3 Scharr operator"},
         border_option("reflect101"),
         method_option()},
        "Derivatives are signed: in 8-bit outputs 0 maps to mid-gray (the mapping is printed).\n"
        "Several inputs: fftconv sobel IN... --outdir DIR [options].",
        "  fftconv sobel samples/camera.png edges.png --magnitude\n"
        "  fftconv sobel samples/camera.png dx.tif --dx 1 --dy 0 --raw",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
