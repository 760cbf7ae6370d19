// fftconv-mpi: conv and lowpass across the ranks of an MPI job. `mpirun -np N fftconv-mpi conv IN
// KERNEL OUT` splits the array's rows over N ranks, by halo exchange (each rank its slab and the
// rows beyond it its outputs read) or by one distributed FFT, whichever the cost model prices
// lower; `lowpass` is always the distributed FFT. Each rank reads only its rows of IN (.npy or
// TIFF) and writes its rows of OUT (.npy) into the one file, which appears under its name only
// when every rank has finished. Rank 0 speaks: the choice, the result, or the one error of the
// lowest failing rank.
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "budget.hpp"
#include "cli.hpp"
#include "fftconv/mpi.hpp"
#include "image_io.hpp"
#include "kernels.hpp"
#include "npy.hpp"
#ifdef FFTCONV_HAVE_TIFF
#include "tiff_io.hpp"
#endif

namespace app {

namespace {

namespace fs = std::filesystem;

const OptionSpec network_option{
    "network", "NET",
    "what joins the ranks, for the cost model: shm (one machine), 10gbe, ib100 (100 Gb InfiniBand);\n"
    "default shm when every rank is on one machine, else 10gbe"};

const CommandSpec& conv_spec() {
    static const CommandSpec spec{
        "conv",
        "IN KERNEL OUT [--mode full|same|valid] [--border B] [--correlate] [--distribute auto|halo|fft] [--explain]",
        "convolve across the ranks of an MPI job",
        "Under mpirun: the rows of IN (an .npy array of any rank, or a TIFF image) are split over the ranks, and\n"
        "each rank writes its rows of OUT (.npy). No rank holds the whole array. Two ways: halo, where each rank\n"
        "reads a slab of rows and receives from the ranks that hold them the rows its outputs read beyond it\n"
        "(the kernel's height less one), which moves little for a small kernel; and fft, one distributed FFT of\n"
        "the whole padded array (FFTW-MPI), in which every rank sends nearly all its share three times, which\n"
        "pays for kernels as tall as a slab. --distribute auto takes the one the cost model prices lower (the\n"
        "halo for the direct method, complex or 1D arrays, or NaN or Inf in IN); --explain prints both prices.\n"
        "The result equals fftconv conv's: bit for bit by the halo and the direct method, within the FFT's\n"
        "bound otherwise; scipy.signal's modes, or with --border scipy.ndimage's same-size filter.",
        {{"mode", "M", "full (default), same or valid"},
         {"correlate", "", "cross-correlate instead of convolve"},
         border_option("none: scipy.signal's zeros outside; with a border the result has the input's size"),
         {"cval", "V", "with --border constant: the value outside the input; default 0"},
         method_option(),
         {"distribute", "WAY", "auto (default), halo or fft: how the ranks share the work"},
         {"explain", "", "print the cost model's estimate of both ways, and why it chose"},
         network_option,
         {"memory", "SIZE", "the most memory each rank's convolution holds (2G, 512M); default this machine's"},
         kernel_normalize_option()},
        kernel_help,
        "  mpirun -np 4 fftconv-mpi conv big.npy gaussian:8 out.npy --mode same --border reflect --explain",
    };
    return spec;
}

const CommandSpec& lowpass_spec() {
    static const CommandSpec spec{
        "lowpass",
        "IN OUT --cutoff C [--shape gaussian|butterworth|ideal] [--order 2] [--highpass] [--border B]",
        "frequency-domain low-pass (or high-pass) across the ranks of an MPI job",
        "fftconv lowpass on one image across the ranks: the image (a 2D float .npy, or a one-channel TIFF) is\n"
        "padded with the border by at least half its size on each side (wrap: not padded), transformed by one\n"
        "distributed FFT (FFTW-MPI), multiplied by the filter's gain H and transformed back; each rank reads and\n"
        "writes its own rows of OUT (.npy, values unscaled). H as fftconv lowpass --help defines it.",
        {{"cutoff", "C", "the cutoff, a fraction of the Nyquist frequency (required)"},
         {"shape", "S", "gaussian (default), butterworth or ideal"},
         {"order", "N", "the Butterworth order; default 2"},
         {"highpass", "", "keep the high frequencies instead (1 - H)"},
         border_option("reflect"),
         {"memory", "SIZE", "the most spectrum each rank holds (2G, 512M); default this machine's"}},
        "",
        "  mpirun -np 4 fftconv-mpi lowpass big.tif smooth.npy --cutoff 0.05 --shape butterworth",
    };
    return spec;
}

// The step's outcome on every rank: the lowest failing rank's message, thrown everywhere.
void agree(int, int, const std::string& failure) {
    fftconv::mpi::agree(MPI_COMM_WORLD, failure);
}

struct Run {
    int rank = 0, size = 1;
    fftconv::OutOfCoreOptions options;
    fftconv::mpi::Distribution distribution = fftconv::mpi::Distribution::automatic;
    fftconv::mpi::Network network;
    bool explain = false;
    std::string in, out, temporary;
};

const char* way_text(const fftconv::mpi::DistributedPlan& d) {
    return d.distribution == fftconv::mpi::Distribution::fft ? "distributed FFT" : "halo exchange";
}

// Makes OUT's one file (rank 0 at a new hidden name beside it, then the others open it), runs
// `compute` with the writer on every rank, closes and renames it into place. Returns what this
// rank's compute returned, and the seconds.
template <fftconv::Scalar T, class Compute>
std::pair<fftconv::mpi::DistributedPlan, double> write_distributed(Run& r, const fftconv::Extents& out_shape,
                                                                   Compute&& compute) {
    std::optional<npy::BoxWriter<T>> writer;
    agree(r.rank, r.size, fftconv::mpi::failure_of([&] {
              if (r.rank != 0) return;
              const fs::path target(r.out);
              std::random_device rd;
              for (int i = 0; i < 100; ++i) {
                  const fs::path candidate = target.parent_path() / ("." + target.filename().string() + ".mpi" +
                                                                     std::to_string(rd() % 1000000));
                  if (!fs::exists(candidate)) {
                      r.temporary = candidate.string();
                      break;
                  }
              }
              writer.emplace(r.temporary, out_shape, true);
          }));
    int length = static_cast<int>(r.temporary.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    r.temporary.resize(static_cast<std::size_t>(length));
    MPI_Bcast(r.temporary.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    try {
        agree(r.rank, r.size, fftconv::mpi::failure_of([&] {
                  if (r.rank != 0) writer.emplace(r.temporary, out_shape, false);
              }));
        const auto start = std::chrono::steady_clock::now();
        const fftconv::mpi::DistributedPlan d = compute(*writer);
        // A test's way to kill one rank mid-run (after the exchange, before the file is complete).
        if (const char* die = std::getenv("FFTCONV_MPI_DIE_RANK"); die && std::atoi(die) == r.rank) std::abort();
        agree(r.rank, r.size, fftconv::mpi::failure_of([&] { writer->close(); }));
        agree(r.rank, r.size, fftconv::mpi::failure_of([&] {
                  if (r.rank != 0) return;
                  struct stat old {};
                  if (::stat(r.out.c_str(), &old) == 0) ::chmod(r.temporary.c_str(), old.st_mode & 07777);
                  fs::rename(r.temporary, r.out);
              }));
        return {d, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    } catch (...) {
        writer.reset();
        if (r.rank == 0) std::remove(r.temporary.c_str());
        throw;
    }
}

// "wrote OUT (shape ..., float32 .npy, values unscaled) in 1.2 s"
template <fftconv::Scalar T>
std::string wrote_text(const Run& r, const fftconv::Extents& shape, double seconds) {
    return "wrote " + r.out + " (shape " + npy::shape_text(std::vector<std::int64_t>(shape.begin(), shape.end())) +
           ", " + std::string(npy::dtype_name(npy::dtype_of<T>())) + " .npy, values unscaled) in " +
           seconds_text(seconds);
}

// The distributed convolution of one element type.
template <fftconv::Scalar T>
std::string run_typed(Run& r, fftconv::ArrayReader<T>& reader, const fftconv::Array<double>& kernel_values) {
    fftconv::Array<T> kernel(kernel_values.shape());
    for (std::ptrdiff_t i = 0; i < kernel.size(); ++i)
        kernel.values()[static_cast<std::size_t>(i)] = T(kernel_values.values()[static_cast<std::size_t>(i)]);
    fftconv::Extents out_shape;
    agree(r.rank, r.size, fftconv::mpi::failure_of([&] {
              out_shape = fftconv::plan_out_of_core<T>(reader.shape(), kernel.view(), r.options).output;
              if (r.explain && r.rank == 0) {
                  const fftconv::mpi::Estimate e =
                      fftconv::mpi::estimate<T>(reader.shape(), kernel.view(), r.options, r.size, r.network);
                  std::printf("cost model, %d rank%s (%s): %s\n", r.size, r.size == 1 ? "" : "s", r.network.name,
                              e.why.c_str());
                  std::fflush(stdout);
              }
          }));
    const auto [d, seconds] = write_distributed<T>(r, out_shape, [&](npy::BoxWriter<T>& writer) {
        return fftconv::mpi::convolve_distributed<T>(MPI_COMM_WORLD, reader, kernel.view(), writer, r.options,
                                                     r.distribution, r.network);
    });
    double moved[2] = {static_cast<double>(d.halo_rows), d.halo_bytes}, total[2] = {0, 0};
    MPI_Reduce(moved, total, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    std::string how;
    if (d.distribution == fftconv::mpi::Distribution::fft)
        how = "one transform of " + npy::shape_text(std::vector<std::int64_t>(d.transform.begin(), d.transform.end())) +
              ", " + bytes_text(d.spectrum_bytes) + " of spectra a rank";
    else
        how = "slabs of " + std::to_string(fftconv::mpi::slab_of(out_shape[0], r.size, r.size - 1).count) + " to " +
              std::to_string(fftconv::mpi::slab_of(out_shape[0], r.size, 0).count) + " rows, " +
              std::to_string(static_cast<long long>(total[0])) + " halo rows (" + bytes_text(total[1]) +
              ") exchanged in all, by the " + (d.local.method == fftconv::Method::fft ? "FFT" : "direct") + " method";
    return std::to_string(r.size) + " rank" + (r.size == 1 ? "" : "s") + ", " + way_text(d) + ": " + how + "\n" +
           wrote_text<T>(r, out_shape, seconds);
}

// The distributed low-pass of one real type.
template <fftconv::Real T>
std::string run_lowpass(Run& r, fftconv::ArrayReader<T>& reader, const FrequencyFilter& f) {
    const fftconv::Extents out_shape = reader.shape();
    const auto [d, seconds] = write_distributed<T>(r, out_shape, [&](npy::BoxWriter<T>& writer) {
        return fftconv::mpi::frequency_filter_distributed<T>(MPI_COMM_WORLD, reader, writer, f.cutoff, f.shape, f.order,
                                                             f.border, f.high, r.options.memory);
    });
    return std::to_string(r.size) + " rank" + (r.size == 1 ? "" : "s") + ", distributed FFT: one transform of " +
           npy::shape_text(std::vector<std::int64_t>(d.transform.begin(), d.transform.end())) + ", " +
           bytes_text(d.spectrum_bytes) + " of spectrum a rank\n" + wrote_text<T>(r, out_shape, seconds);
}

// Every rank on one machine: the ranks of the shared-memory communicator are all of them.
bool one_machine() {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int here = 0, all = 0;
    MPI_Comm_size(node, &here);
    MPI_Comm_size(MPI_COMM_WORLD, &all);
    MPI_Comm_free(&node);
    return here == all;
}

int lowpass(Run& r, const Args& args) {
    args.expect_positional(2, 2, "IN OUT");
    const auto& p = args.positional();
    r.in = p[0];
    r.out = p[1];
    if (lower_extension(r.out) != ".npy")
        throw UsageError("fftconv-mpi writes an .npy OUT (each rank its rows of the one file); got '" + r.out + "'");
    const FrequencyFilter f = frequency_filter_of(args);
    r.options.memory = static_cast<std::size_t>(memory_of(args).value_or(static_cast<double>(fftconv::memory_limit())));
    std::string line;
    if (npy::is_npy(r.in)) {
        const npy::Header h = npy::read_header(r.in);
        if (h.shape.size() != 2)
            throw UsageError("'" + r.in + "': fftconv-mpi lowpass takes a 2D .npy image; this has shape " +
                             npy::shape_text(h.shape));
        npy::visit_compute_type(h, [&](auto t) {
            using T = decltype(t);
            if constexpr (fftconv::is_complex_v<T>) {
                throw UsageError("'" + r.in + "': lowpass takes a real image; this is complex");
            } else {
                npy::BoxReader<T> reader(r.in, h);
                line = run_lowpass<T>(r, reader, f);
            }
        });
    } else {
#ifdef FFTCONV_HAVE_TIFF
        const tiff::Info info = tiff::read_info(r.in);
        if (info.pages > 1 || info.samples != 1)
            throw ProcessError("'" + r.in + "': fftconv-mpi lowpass reads one page of one channel; this has " +
                               std::to_string(info.pages) + " pages of " + std::to_string(info.samples) + " samples");
        if (info.wide()) {
            tiff::Reader<double> reader(r.in);
            line = run_lowpass<double>(r, reader, f);
        } else {
            tiff::Reader<float> reader(r.in);
            line = run_lowpass<float>(r, reader, f);
        }
#else
        throw ProcessError("'" + r.in + "': fftconv-mpi reads .npy here (built without libtiff)");
#endif
    }
    if (r.rank == 0) std::printf("%s\n", line.c_str());
    return 0;
}

int run(Run& r, const std::vector<std::string>& argv) {
    if (argv.empty() || (argv.front() != "conv" && argv.front() != "lowpass"))
        throw UsageError(
            "fftconv-mpi runs conv or lowpass: mpirun -np N fftconv-mpi conv IN KERNEL OUT [options], "
            "mpirun -np N fftconv-mpi lowpass IN OUT --cutoff C [options]");
    const CommandSpec& spec = argv.front() == "conv" ? conv_spec() : lowpass_spec();
    const Args args(spec, std::vector<std::string>(argv.begin() + 1, argv.end()));
    if (args.help()) {
        if (r.rank == 0) std::printf("%s", help_text(spec).c_str());
        return 0;
    }
    if (spec.name == "conv") {
        const std::string net = args.text("network");
        if (net.empty())
            r.network = one_machine() ? fftconv::mpi::shared_memory : fftconv::mpi::ethernet_10g;
        else if (net == "shm")
            r.network = fftconv::mpi::shared_memory;
        else if (net == "10gbe")
            r.network = fftconv::mpi::ethernet_10g;
        else if (net == "ib100")
            r.network = fftconv::mpi::infiniband_100g;
        else
            throw UsageError("--network must be shm, 10gbe or ib100; got '" + net + "'");
    }
    if (spec.name == "lowpass") return lowpass(r, args);
    using fftconv::mpi::Distribution;
    r.distribution = args.choice<Distribution>(
        "distribute", {{"auto", Distribution::automatic}, {"halo", Distribution::halo}, {"fft", Distribution::fft}},
        Distribution::automatic);
    r.explain = args.has("explain");
    args.expect_positional(3, 3, "IN KERNEL OUT");
    const auto& p = args.positional();
    r.in = p[0];
    r.out = p[2];
    if (lower_extension(r.out) != ".npy")
        throw UsageError("fftconv-mpi writes an .npy OUT (each rank its slab of the one file); got '" + r.out + "'");
    if (args.has("border")) {
        r.options.border = border_of(args, fftconv::Border::reflect);
        if (args.has("mode") && mode_of(args, fftconv::Mode::same) != fftconv::Mode::same)
            throw UsageError("--border filters to the input's size; --mode must be same or left out");
    }
    r.options.cval = args.number("cval", 0, -1e300, 1e300);
    r.options.mode = mode_of(args, fftconv::Mode::full);
    r.options.correlate = args.has("correlate");
    r.options.method = method_of(args);
    // Each rank's convolution within three quarters of --memory; the rest for its rows and halo.
    r.options.memory =
        static_cast<std::size_t>(memory_of(args).value_or(static_cast<double>(fftconv::memory_limit())) * 0.75);
    if (r.distribution == Distribution::fft && r.options.method == fftconv::Method::direct)
        throw UsageError("--distribute fft is the FFT method; --method direct goes with --distribute halo or auto");
    std::string line;
    if (npy::is_npy(r.in)) {
        const npy::Header h = npy::read_header(r.in);
        const KernelND k = parse_kernel_nd(p[1], static_cast<int>(h.shape.size()), kernel_options_of(args));
        if (r.rank == 0)
            std::printf("kernel %s, %s, %s\n", k.description.c_str(),
                        r.options.correlate ? "correlation" : "convolution",
                        r.options.border ? (std::string("border ") + fftconv::to_string(*r.options.border)).c_str()
                                         : (std::string("mode ") + fftconv::to_string(r.options.mode)).c_str());
        npy::visit_compute_type(h, [&](auto t) {
            using T = decltype(t);
            npy::BoxReader<T> reader(r.in, h);
            line = run_typed<T>(r, reader, k.values);
        });
    } else {
#ifdef FFTCONV_HAVE_TIFF
        const tiff::Info info = tiff::read_info(r.in);
        if (info.pages > 1 || info.extra_samples > 0)
            throw ProcessError("'" + r.in + "': fftconv-mpi reads one page without alpha; this has " +
                               std::to_string(info.pages) + " pages and " + std::to_string(info.extra_samples) +
                               " extra samples");
        const KernelND k = image_kernel_nd(p[1], info.samples, kernel_options_of(args));
        // In double where the samples need it, as fftconv conv reads them.
        if (info.wide()) {
            tiff::Reader<double> reader(r.in);
            line = run_typed<double>(r, reader, k.values);
        } else {
            tiff::Reader<float> reader(r.in);
            line = run_typed<float>(r, reader, k.values);
        }
#else
        throw ProcessError("'" + r.in + "': fftconv-mpi reads .npy here (built without libtiff)");
#endif
    }
    if (r.rank == 0) std::printf("%s\n", line.c_str());
    return 0;
}

}  // namespace

}  // namespace app

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    app::Run r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &r.size);
    int status = 0;
    const std::vector<std::string> args(argv + 1, argv + argc);
    // Every step that may fail on one rank alone is agreed on by all, so each rank ends here with
    // the same outcome; rank 0 prints it.
    std::string failure;
    bool usage = false;
    try {
        status = app::run(r, args);
    } catch (const app::UsageError& e) {
        failure = e.what();
        usage = true;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    // A failure before any agreement (the command line, opening IN) is one rank's as much as all.
    int failed = failure.empty() ? 0 : 1, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any) {
        status = usage ? 2 : 1;
        int is_usage = usage ? 1 : 0, any_usage = 0;
        MPI_Allreduce(&is_usage, &any_usage, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        status = any_usage ? 2 : 1;
        if (r.rank == 0) {
            if (failure.empty()) failure = "another rank failed";
            std::fprintf(
                stderr, "%s\n",
                app::error_line(!args.empty() && args.front() == "lowpass" ? "lowpass" : "conv", failure).c_str());
        }
    }
    std::fflush(stdout);
    MPI_Finalize();
    return status;
}
