// fftconv blur: Gaussian blur, scipy.ndimage.gaussian_filter's kernel.
#include <charconv>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fftconv/filters.hpp"
#include "jobs.hpp"
#include "volume.hpp"

namespace app {

namespace {

// --sigma S, or S1,S2,... one per axis (arrays): each between 0 and 1000 (0 leaves an axis alone).
std::vector<double> sigmas_of(const Args& args) {
    const std::string text = args.text("sigma");
    std::vector<double> s;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = text.find(',', start);
        const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        double v = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (ec != std::errc() || end != part.data() + part.size() || !(v >= 0) || v > 1000)
            throw UsageError("--sigma takes a number from 0 to 1000, or one per axis separated by commas; got '" +
                             text + "'");
        s.push_back(v);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return s;
}

int run(const Args& args) {
    std::vector<std::string> extra;
    const auto jobs = jobs_of(args, 0, "IN OUT", extra);
    if (!args.has("sigma")) throw UsageError("--sigma is required (the Gaussian's standard deviation in pixels)");
    const std::vector<double> sigmas = sigmas_of(args);
    bool arrays = args.has("volume");
    for (const Job& j : jobs) arrays = arrays || is_npy_input(j.input);
    const double truncate = args.number("truncate", 4.0, 0.1, 100);
    const fftconv::Border border = border_of(args, fftconv::Border::reflect);
    const fftconv::Method method = method_of(args);
    if (arrays)
        return run_array_jobs(
            args, jobs, "blur",
            [&](const VolumeFile& file) {
                if (file.complex)
                    throw ProcessError(display_name(file.name) + " holds complex values; blur is for real data");
                if (sigmas.size() != 1 && sigmas.size() != static_cast<std::size_t>(file.shape.rank()))
                    throw UsageError("--sigma gives " + std::to_string(sigmas.size()) +
                                     " values for an array of rank " + std::to_string(file.shape.rank()) +
                                     "; give one, or one per axis");
                ArrayPlan p{array_type(file, false), file.shape, {}};
                // One pass per axis: the taps along each, per element; and the file, the values
                // in T and the result with a pass's scratch.
                double taps = 0;
                for (int a = 0; a < file.shape.rank(); ++a) {
                    const double sigma = sigmas[sigmas.size() == 1 ? 0 : static_cast<std::size_t>(a)];
                    taps += sigma > 0 ? 2 * std::floor(truncate * sigma + 0.5) + 1 : 0;
                }
                const double n = static_cast<double>(file.shape.size()), element = element_bytes(p.type);
                p.cost.seconds = n * taps * 1e-9;
                p.cost.bytes = n * (static_cast<double>(file.file_bytes) + element * 4);
                p.cost.what = "by the separable passes";
                return p;
            },
            [&](const auto& a, const VolumeFile&) {
                using T = typename std::decay_t<decltype(a)>::value_type;
                if constexpr (fftconv::is_complex_v<T>)
                    return fftconv::Array<T>{};  // refused in the plan
                else
                    return fftconv::gaussian_filter<T>(a.view(), std::span<const double>(sigmas), border, method,
                                                       truncate);
            });
    if (sigmas.size() != 1)
        throw UsageError("--sigma gives one value per axis for arrays (.npy, --volume); an image takes one");
    const double sigma = sigmas.front();
    if (!(sigma >= 1e-3)) throw UsageError("--sigma must be between 0.001 and 1000, got " + args.text("sigma"));
    const auto taps = static_cast<std::ptrdiff_t>(fftconv::gaussian_kernel<float>(sigma, truncate).size());
    // The image itself, blurred: alpha carried through.
    return run_jobs(
        args, jobs,
        per_plane(
            Scaling::keep, true, [&](const PageHeader& page) { return filter_cost(page, taps, taps, true, method); },
            [&](const fftconv::Image<float>& p) { return fftconv::gaussian_blur(p, sigma, border, method, truncate); },
            static_cast<int>(taps / 2)));
}

}  // namespace

Command blur_command() {
    CommandSpec spec{
        "blur",
        "IN OUT --sigma S [--border reflect] [--method auto]",
        "Gaussian blur (scipy.ndimage.gaussian_filter, cv::GaussianBlur)",
        "Gaussian blur: the sampled Gaussian of standard deviation S, radius int(4*S + 0.5), normalised to sum 1 —\n"
        "scipy.ndimage.gaussian_filter(img, S, mode='reflect'), and cv::GaussianBlur with ksize 2*radius+1.\n"
        "Colour images are filtered per channel; an alpha channel is carried through unchanged."
        "\n\nArrays: an .npy input (any rank up to 8; bool, integer or float) or a multi-page TIFF\n"
        "with --volume is processed at its own rank, in double precision for float64 and 32- and 64-bit\n"
        "integers, else in single (float32),\n"
        "written as .npy, or for rank 2 and 3 as an image or a TIFF stack.",
        {{"sigma", "S",
          "standard deviation in pixels (required); for arrays also one per axis, S1,S2,... (0: that axis is left "
          "alone)"},
         {"volume", "", "read a multi-page TIFF as one 3D array (pages along the first axis) and blur it in 3D"},
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
