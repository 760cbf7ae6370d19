// fftconv blur: Gaussian blur, scipy.ndimage.gaussian_filter's kernel.
#include <cmath>

#include "commands.hpp"
#include "fftconv/filters.hpp"
#include "jobs.hpp"

namespace app {

namespace {

int run(const Args& args) {
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 0, "IN OUT", extra);
    if (!args.has("sigma")) throw UsageError("--sigma is required (the Gaussian's standard deviation in pixels)");
    const double sigma = args.number("sigma", 0, 1e-3, 1000);
    const double truncate = args.number("truncate", 4.0, 0.1, 100);
    const fftconv::Border border = border_of(args, fftconv::Border::reflect);
    const fftconv::Method method = method_of(args);
    const auto taps = static_cast<std::ptrdiff_t>(fftconv::gaussian_kernel<float>(sigma, truncate).size());
    // The image itself, blurred: alpha carried through.
    return run_jobs(
        args, jobs,
        per_plane(
            Scaling::keep, true, [&](const PageHeader& page) { return filter_cost(page, taps, taps, true, method); },
            [&](const fftconv::Image<float>& p) {
                return fftconv::gaussian_blur(p, sigma, border, method, truncate);
            }));
}

}  // namespace

Command blur_command() {
    CommandSpec spec{
        "blur",
        "IN OUT --sigma S [--border reflect] [--method auto]",
        "Gaussian blur (scipy.ndimage.gaussian_filter, cv::GaussianBlur)",
        "Gaussian blur: the sampled Gaussian of standard deviation S, radius int(4*S + 0.5), normalised to sum 1 —\n"
        "scipy.ndimage.gaussian_filter(img, S, mode='reflect'), and cv::GaussianBlur with ksize 2*radius+1.\n"
        "Colour images are filtered per channel; an alpha channel is carried through unchanged.",
        {{"sigma", "S", "standard deviation in pixels (required)"},
         {"truncate", "T", "radius in standard deviations, as scipy's truncate; default 4"},
         border_option("reflect (scipy's mode='reflect')"),
         method_option()},
        "Several inputs: fftconv blur IN... --outdir DIR --sigma S.",
        "  fftconv blur samples/camera.png blurred.png --sigma 2.5\n"
        "  fftconv blur a.png b.png c.png --outdir soft --sigma 2",
    };
    for (const OptionSpec& o : output_options()) spec.options.push_back(o);
    return {spec, run};
}

}  // namespace app
