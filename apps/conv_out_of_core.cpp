#include "conv_out_of_core.hpp"

#include <cmath>
#include <complex>
#include <cstdio>
#include <functional>
#include <type_traits>

#include "budget.hpp"
#include "image_io.hpp"
#include "kernels.hpp"
#include "npy.hpp"
#include "progress.hpp"
#include "volume.hpp"
#ifdef FFTCONV_HAVE_TIFF
#include "tiff_io.hpp"
#endif

namespace app {

namespace {

// What the run holds besides the library's plan: the reader's decoded strips or tiles and the
// mapped pages of a box, the process's own code and libraries. The plan gets three quarters of
// --memory, less the TIFF reader's cache.
constexpr double plan_share = 0.75;

// The TIFF reader's cache of decoded strips or tiles: an eighth of the bound, at most 64 MiB.
std::size_t cache_bytes(double bound) {
    return static_cast<std::size_t>(std::min(bound / 8, 64.0 * 1024 * 1024));
}

// Whether `kernel` averages: no negative value and a sum of at most 1.02, so that every result of
// an integer image stays within its range widened by 2% (conv's rule for keeping the range).
bool averaging(const fftconv::Array<double>& kernel) {
    double sum = 0;
    for (const double v : kernel.values()) {
        if (v < 0) return false;
        sum += v;
    }
    return sum <= 1.02;
}

// One out-of-core job: the input opened, its reader, the kernel in T, the plan, the writer.
template <fftconv::Scalar T>
std::string run_job(const Args& args, const Job& job, fftconv::ArrayReader<T>& reader,
                    const fftconv::Array<double>& kernel_values, const std::string& input_text,
                    fftconv::OutOfCoreOptions options, double bound, double library_bytes, int integer_bits) {
    const fftconv::Extents shape = reader.shape();
    fftconv::Array<T> kernel(kernel_values.shape());
    for (std::ptrdiff_t i = 0; i < kernel.size(); ++i)
        kernel.values()[static_cast<std::size_t>(i)] = T(kernel_values.values()[static_cast<std::size_t>(i)]);
    options.memory = static_cast<std::size_t>(std::max(library_bytes, 0.0));
    const std::string ext = job.output == "-" ? job.format : lower_extension(job.output);
    const bool to_tiff = ext == ".tif" || ext == ".tiff";
    if (job.output == "-")
        throw UsageError("out of core, OUT is a file (.npy or .tif); standard output would need the result whole");
    if (ext != ".npy" && !to_tiff)
        throw UsageError("out of core, OUT is .npy or .tif (a '" + ext +
                         "' file would need the whole result in memory); got '" + job.output + "'");
    // A TIFF holds a real image: rows, columns and, from a TIFF input, samples (a volume's pages
    // would become samples: .npy keeps its axes). integer_bits is -1 for an .npy input.
    if (to_tiff && (!std::is_floating_point_v<T> || shape.rank() < 2 || shape.rank() > (integer_bits >= 0 ? 3 : 2)))
        throw UsageError(
            "out of core, a .tif OUT holds a real 2D image (with its samples, from a TIFF input); the "
            "result is " +
            shape_text(shape) + (std::is_floating_point_v<T> ? "" : " complex") + ": write it as .npy");
    // The TIFF's samples: the input's 8 or 16 bits where the kernel averages and no scaling or
    // --raw asks otherwise; float otherwise (out of core the range is not known before the end).
    const Scaling scaling = scaling_of(args, Scaling::automatic);
    if (scaling != Scaling::automatic && scaling != Scaling::keep)
        throw UsageError(
            "out of core, --scale signed and stretch need the whole result's range; the result is "
            "written unscaled (float) or with its values kept");
    const bool keep_bits = to_tiff && integer_bits > 0 && averaging(kernel_values) && !args.has("raw");
    std::string mapping;
    Progress progress("conv " + display_name(job.input), args.has("progress"));
    options.progress = [&](std::ptrdiff_t done, std::ptrdiff_t total) { progress.update(done, total); };
    const auto announce = [&](const fftconv::OutOfCorePlan& p) {
        std::fprintf(info_stream(),
                     "out of core: %s in %lld tile%s of %s (boxes of %s) by the %s method, at most %s held by "
                     "the convolution (--memory %s); estimated %s of arithmetic\n",
                     input_text.c_str(), static_cast<long long>(p.tiles), p.tiles == 1 ? "" : "s",
                     shape_text(p.tile).c_str(), shape_text(p.box).c_str(),
                     p.method == fftconv::Method::fft ? "FFT" : "direct", bytes_text(p.bytes).c_str(),
                     bytes_text(bound).c_str(), seconds_text(p.seconds).c_str());
        std::fflush(info_stream());
    };
    const Limits limits = limits_of(args);
    const auto check_limits = [&](const fftconv::OutOfCorePlan& p) {
        // Memory is bounded here; what a huge file costs is time, and disk for the result.
        if (args.has("max-seconds") && limits.max_seconds > 0 && p.seconds > limits.max_seconds)
            throw ProcessError(display_name(job.input) + ": conv out of core is estimated at " +
                               seconds_text(p.seconds) + ", more than --max-seconds " +
                               seconds_text(limits.max_seconds) + "; nothing was written");
        if (args.has("max-pixels") && static_cast<double>(shape.size()) > static_cast<double>(limits.max_pixels))
            throw ProcessError(display_name(job.input) + " holds " + std::to_string(shape.size()) +
                               " elements, more than --max-pixels " + std::to_string(limits.max_pixels));
    };
    fftconv::OutOfCorePlan ran;
    const auto convolve = [&](fftconv::ArrayWriter<T>& writer) {
        fftconv::OutOfCorePlan p = fftconv::plan_out_of_core<T>(shape, kernel.view(), options, writer.alignment());
        check_limits(p);
        announce(p);
        ran = fftconv::convolve_out_of_core<T>(reader, kernel.view(), writer, options);
        progress.finish();
    };
    const fftconv::OutOfCorePlan first = fftconv::plan_out_of_core<T>(shape, kernel.view(), options);
    if (ext == ".npy") {
        write_atomically(
            job.output,
            [&](const std::string& temporary) {
                npy::BoxWriter<T> writer(temporary, first.output);
                convolve(writer);
                writer.close();
                return true;
            },
            ".npy", false);
        mapping = std::string(npy::dtype_name(npy::dtype_of<T>())) + " .npy, values unscaled";
    } else {
#ifdef FFTCONV_HAVE_TIFF
        if constexpr (std::is_floating_point_v<T>) {
            const tiff::SampleType type = keep_bits
                                              ? (integer_bits == 8 ? tiff::SampleType::uint8 : tiff::SampleType::uint16)
                                          : std::is_same_v<T, double> ? tiff::SampleType::float64
                                                                      : tiff::SampleType::float32;
            // The file's tiles: 256x256, or smaller under a small bound, so that a tile of the
            // convolution (never cut below them) and its halo fit it with room to spare.
            tiff::WriterOptions wo;
            const double samples = first.output.rank() == 3 ? static_cast<double>(first.output[2]) : 1;
            wo.tile_rows = wo.tile_cols = std::clamp<std::int64_t>(
                static_cast<std::int64_t>(std::sqrt(bound / (64 * samples * sizeof(T)))) / 16 * 16, 16, 256);
            tiff::Writer<T> writer(job.output, first.output, type, wo);
            convolve(writer);
            writer.close();
            mapping = keep_bits ? std::string(integer_bits == 8 ? "8-bit" : "16-bit") + ", values kept (0.." +
                                      (integer_bits == 8 ? "255" : "65535") + ")"
                                : std::string(tiff::type_name(type)) + ", values unscaled";
            mapping += writer.big_tiff() ? ", BigTIFF" : "";
        }
#else
        throw UsageError("this fftconv was built without libtiff: out of core, OUT is .npy");
#endif
    }
    // Images are width x height everywhere in the tool; arrays their numpy shape.
    const fftconv::Extents& out = ran.output;
    const std::string size = to_tiff ? std::to_string(out[1]) + "x" + std::to_string(out[0]) +
                                           (out.rank() == 3 ? ", " + std::to_string(out[2]) + " samples" : "")
                                     : "shape " + shape_text(out);
    return "wrote " + job.output + " (" + size + ", " + mapping + ") in " + seconds_text(progress.elapsed());
}

}  // namespace

OptionSpec memory_option() {
    return {"memory", "SIZE",
            "the most memory conv may hold (2G, 512M; powers of 1024); a file whose whole-array run needs more (.npy, "
            "or TIFF) is convolved out of core, tile by tile from disk, into an .npy or a tiled TIFF. Default: this "
            "machine's memory"};
}

OptionSpec progress_option() {
    return {"progress", "", "out of core: a progress line per tenth of the work even when stderr is not a terminal"};
}

bool runs_out_of_core(const Job& job, double bound, const std::function<double(const PageHeader&)>& image_bytes) {
    if (job.input == "-") return false;
    try {
        if (npy::is_npy(job.input)) {
            const npy::Header h = npy::read_header(job.input);
            if (h.shape.empty() || h.shape.size() > static_cast<std::size_t>(fftconv::max_rank)) return false;
            double element = 0;
            npy::visit_compute_type(h, [&](auto t) {
                element = sizeof(t);
                return std::string();
            });
            // The file's elements, their values in T, the result computed and converted.
            return static_cast<double>(h.elements()) * (static_cast<double>(npy::item_size(h.dtype)) + 3 * element) >
                   bound;
        }
#ifdef FFTCONV_HAVE_TIFF
        if (tiff::is_tiff(job.input)) {
            (void)tiff::read_info(job.input);  // one libtiff reads a box at a time
            // What the in-memory run would be refused by: its own estimate, page by page.
            const std::optional<ImageHeader> h = read_header(job.input);
            double most = 0;
            if (h)
                for (const PageHeader& page : h->pages) most = std::max(most, image_bytes(page));
            return most > bound;
        }
#endif
    } catch (const std::exception&) {
        // The in-memory path opens it again and reports what is wrong in its own words.
    }
    return false;
}

int run_out_of_core(const Args& args, const std::vector<Job>& jobs, const std::string& kernel_spec,
                    const fftconv::OutOfCoreOptions& options, double bound) {
    int failures = 0;
    // The line conv prints in memory, once per kernel.
    auto describe_kernel = [&, said = false](const KernelND& k) mutable {
        if (said) return;
        said = true;
        std::fprintf(info_stream(), "kernel %s, %s, %s\n", k.description.c_str(),
                     options.correlate ? "correlation" : "convolution",
                     options.border ? (std::string("border ") + fftconv::to_string(*options.border)).c_str()
                                    : (std::string("mode ") + fftconv::to_string(options.mode)).c_str());
    };
    for (const Job& job : jobs) {
        try {
            if (args.has("gray"))
                throw UsageError("out of core, --gray is not applied: the samples are convolved as they are");
            std::string line;
            if (npy::is_npy(job.input)) {
                const npy::Header h = npy::read_header(job.input);
                const KernelND k =
                    parse_kernel_nd(kernel_spec, static_cast<int>(h.shape.size()), kernel_options_of(args));
                describe_kernel(k);
                const std::string text = display_name(job.input) + " " + npy::shape_text(h.shape) + " " +
                                         std::string(npy::dtype_name(h.dtype));
                line = npy::visit_compute_type(h, [&](auto t) {
                    using T = decltype(t);
                    npy::BoxReader<T> reader(job.input, h);
                    return run_job<T>(args, job, reader, k.values, text, options, bound, bound * plan_share, -1);
                });
            } else {
#ifdef FFTCONV_HAVE_TIFF
                const tiff::Info info = tiff::read_info(job.input);
                const std::string who = display_name(job.input);
                if (info.pages > 1)
                    throw ProcessError(who + " has " + std::to_string(info.pages) +
                                       " pages; out of core conv reads one page: split the file (tiffsplit) or "
                                       "give --memory enough to run it in memory");
                if (info.extra_samples > 0)
                    throw ProcessError(who +
                                       " has an alpha (extra) sample; out of core conv does not carry it "
                                       "through: remove it, or give --memory enough to run it in memory");
                // 2D kernels; a colour image's samples are a third axis the kernel does not mix.
                const KernelND k = image_kernel_nd(kernel_spec, info.samples, kernel_options_of(args));
                describe_kernel(k);
                const int integer_bits =
                    info.format == tiff::SampleFormat::unsigned_integer && info.bits <= 16 ? info.bits : 0;
                // The reader's cache, and one strip or tile decoded beyond it.
                const std::size_t cache = cache_bytes(bound);
                const double block = static_cast<double>(info.tiled ? info.tile_rows * info.tile_cols
                                                                    : info.rows_per_strip * info.cols) *
                                     (info.planar_separate ? 1 : info.samples) * info.bits / 8.0;
                const double library = bound * plan_share - static_cast<double>(cache) - block;
                const std::string text = who + " (" + info.describe() + ")";
                if (info.wide()) {
                    tiff::Reader<double> reader(job.input, 0, cache);
                    line = run_job<double>(args, job, reader, k.values, text, options, bound, library, integer_bits);
                } else {
                    tiff::Reader<float> reader(job.input, 0, cache);
                    line = run_job<float>(args, job, reader, k.values, text, options, bound, library, integer_bits);
                }
#else
                throw ProcessError(display_name(job.input) +
                                   ": out of core, inputs are .npy files here (this "
                                   "fftconv was built without libtiff)");
#endif
            }
            std::fprintf(info_stream(), "%s\n", line.c_str());
        } catch (const UsageError&) {
            throw;
        } catch (const std::exception& e) {
            ++failures;
            std::fprintf(stderr, "%s\n",
                         error_line("conv", (jobs.size() > 1 ? job.input + ": " : "") + e.what()).c_str());
        }
    }
    flush_stdout();
    return failures ? 1 : 0;
}

}  // namespace app
