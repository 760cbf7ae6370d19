// fftconv-mpi: conv across the ranks of an MPI job. `mpirun -np N fftconv-mpi conv IN KERNEL OUT`
// splits the array's rows into N slabs: each rank reads its own slab of IN (.npy or TIFF), gets
// the halo rows it needs from the ranks that hold them, and writes its slab of OUT (.npy) into
// the one file, which appears under its name only when every rank has finished. Rank 0 speaks:
// the plan, the halo exchanged, the result, or the one error of the lowest failing rank.
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

const CommandSpec& conv_spec() {
    static const CommandSpec spec{
        "conv",
        "IN KERNEL OUT [--mode full|same|valid] [--border B] [--correlate] [--method auto]",
        "convolve across the ranks of an MPI job",
        "Under mpirun: the rows of IN (an .npy array of any rank, or a TIFF image) are split into one slab per\n"
        "rank; each rank reads its slab, receives the rows its outputs need from the ranks that hold them (the\n"
        "kernel's halo), and writes its slab of OUT (.npy). No rank holds the whole array. The result equals\n"
        "fftconv conv's (bit for bit by the direct method); scipy.signal's modes, or with --border scipy.ndimage's\n"
        "same-size filter.",
        {{"mode", "M", "full (default), same or valid"},
         {"correlate", "", "cross-correlate instead of convolve"},
         border_option("none: scipy.signal's zeros outside; with a border the result has the input's size"),
         {"cval", "V", "with --border constant: the value outside the input; default 0"},
         method_option(),
         {"memory", "SIZE", "the most memory each rank's convolution holds (2G, 512M); default this machine's"},
         kernel_normalize_option()},
        kernel_help,
        "  mpirun -np 4 fftconv-mpi conv big.npy gaussian:8 out.npy --mode same --border reflect",
    };
    return spec;
}

// The step's outcome on every rank: the lowest failing rank's message, thrown everywhere.
void agree(int, int, const std::string& failure) {
    fftconv::mpi::agree(MPI_COMM_WORLD, failure);
}

template <class F>
std::string attempt(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

struct Run {
    int rank = 0, size = 1;
    fftconv::OutOfCoreOptions options;
    std::string in, out, temporary;
    std::string input_text;
};

// The distributed run of one element type: the writer made (rank 0) or opened (the others),
// the convolution, the file closed and renamed into place.
template <fftconv::Scalar T>
std::string run_typed(Run& r, fftconv::ArrayReader<T>& reader, const fftconv::Array<double>& kernel_values) {
    fftconv::Array<T> kernel(kernel_values.shape());
    for (std::ptrdiff_t i = 0; i < kernel.size(); ++i)
        kernel.values()[static_cast<std::size_t>(i)] = T(kernel_values.values()[static_cast<std::size_t>(i)]);
    fftconv::Extents out_shape;
    agree(r.rank, r.size,
          attempt([&] { out_shape = fftconv::plan_out_of_core<T>(reader.shape(), kernel.view(), r.options).output; }));
    // Rank 0 makes the file at a new hidden name beside OUT, then the others open it.
    std::optional<npy::BoxWriter<T>> writer;
    agree(r.rank, r.size, attempt([&] {
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
    const auto remove_temporary = [&] {
        if (r.rank == 0) std::remove(r.temporary.c_str());
    };
    try {
        agree(r.rank, r.size, attempt([&] {
                  if (r.rank != 0) writer.emplace(r.temporary, out_shape, false);
              }));
        const auto start = std::chrono::steady_clock::now();
        const fftconv::mpi::DistributedPlan d =
            fftconv::mpi::convolve_distributed<T>(MPI_COMM_WORLD, reader, kernel.view(), *writer, r.options);
        // A test's way to kill one rank mid-run (after the exchange, before the file is complete).
        if (const char* die = std::getenv("FFTCONV_MPI_DIE_RANK"); die && std::atoi(die) == r.rank) std::abort();
        agree(r.rank, r.size, attempt([&] { writer->close(); }));
        double halo[2] = {static_cast<double>(d.halo_rows), d.halo_bytes}, total[2] = {0, 0};
        MPI_Reduce(halo, total, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
        agree(r.rank, r.size, attempt([&] {
                  if (r.rank != 0) return;
                  struct stat old {};
                  if (::stat(r.out.c_str(), &old) == 0) ::chmod(r.temporary.c_str(), old.st_mode & 07777);
                  fs::rename(r.temporary, r.out);
              }));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char line[512];
        std::snprintf(line, sizeof line,
                      "%d rank%s: slabs of %lld to %lld rows, %.0f halo rows (%s) exchanged in all, by the %s method\n"
                      "wrote %s (shape %s, %s .npy, values unscaled) in %s",
                      r.size, r.size == 1 ? "" : "s",
                      static_cast<long long>(fftconv::mpi::slab_of(out_shape[0], r.size, r.size - 1).count),
                      static_cast<long long>(fftconv::mpi::slab_of(out_shape[0], r.size, 0).count), total[0],
                      bytes_text(total[1]).c_str(), d.local.method == fftconv::Method::fft ? "FFT" : "direct",
                      r.out.c_str(),
                      npy::shape_text(std::vector<std::int64_t>(out_shape.begin(), out_shape.end())).c_str(),
                      std::string(npy::dtype_name(npy::dtype_of<T>())).c_str(), seconds_text(seconds).c_str());
        return line;
    } catch (...) {
        writer.reset();
        remove_temporary();
        throw;
    }
}

int run(Run& r, const std::vector<std::string>& argv) {
    if (argv.empty() || argv.front() != "conv")
        throw UsageError("fftconv-mpi runs one command, conv: mpirun -np N fftconv-mpi conv IN KERNEL OUT [options]");
    const Args args(conv_spec(), std::vector<std::string>(argv.begin() + 1, argv.end()));
    if (args.help()) {
        if (r.rank == 0) std::printf("%s", help_text(conv_spec()).c_str());
        return 0;
    }
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
            std::fprintf(stderr, "%s\n", app::error_line("conv", failure).c_str());
        }
    }
    std::fflush(stdout);
    MPI_Finalize();
    return status;
}
