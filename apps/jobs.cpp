#include "jobs.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <opencv2/core.hpp>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace app {

std::vector<OptionSpec> output_options() {
    return {
        {"raw", "", "write float samples unscaled (output must be .tif, .tiff, .exr or .pfm)"},
        {"scale", "S",
         "8/16-bit outputs: keep (the input's range, clipped), signed (0 at mid-gray), stretch (0..max), "
         "or auto (by the data); the default suits the command"},
        {"outdir", "DIR",
         "process several inputs: IN... --outdir DIR writes DIR/<input name>; a file that fails is reported "
         "and the others are still processed (exit status 1)"},
        {"ext", "EXT", "with --outdir: the outputs' extension (default: each input's own)"},
        threads_option(),
    };
}

std::vector<Job> jobs_of(const Args& args, std::size_t extra, const std::string& synopsis,
                         std::vector<std::string>& extra_args) {
    const auto& p = args.positional();
    std::vector<Job> jobs;
    if (args.has("outdir")) {
        if (p.size() < 1 + extra) throw UsageError("expected " + synopsis + " with --outdir: at least one input");
        const fs::path dir = args.text("outdir");
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) throw UsageError("--outdir '" + dir.string() + "' is not a directory");
        extra_args.assign(p.end() - static_cast<std::ptrdiff_t>(extra), p.end());
        std::set<std::string> seen;
        for (std::size_t i = 0; i + extra < p.size(); ++i) {
            fs::path name = fs::path(p[i]).filename();
            if (args.has("ext")) {
                std::string ext = args.text("ext");
                name.replace_extension(ext.starts_with(".") ? ext : "." + ext);
            }
            const std::string out = (dir / name).string();
            if (!seen.insert(out).second) throw UsageError("two inputs would both be written to '" + out + "'");
            jobs.push_back({p[i], out});
        }
    } else {
        if (args.has("ext")) throw UsageError("--ext goes with --outdir");
        args.expect_positional(2 + extra, 2 + extra, synopsis);
        extra_args.assign(p.begin() + 1, p.end() - 1);
        jobs.push_back({p.front(), p.back()});
    }
    std::vector<std::string> inputs;
    for (const Job& j : jobs) inputs.push_back(j.input);
    inputs.insert(inputs.end(), extra_args.begin(), extra_args.end());
    for (const Job& j : jobs) check_output(j.output, inputs, args.has("raw"));
    return jobs;
}

Planes map_planes(const Planes& planes, int threads,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& f) {
    Planes out(planes.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex m;
    const auto work = [&] {
        for (std::size_t k; (k = next++) < planes.size();) {
            try {
                out[k] = f(planes[k]);
            } catch (...) {
                std::scoped_lock lock(m);
                if (!failure) failure = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(threads, static_cast<int>(planes.size())); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    return out;
}

Scaling scaling_of(const Args& args, Scaling fallback) {
    return args.choice<Scaling>("scale",
                                {{"auto", Scaling::automatic},
                                 {"keep", Scaling::keep},
                                 {"signed", Scaling::signed_around_zero},
                                 {"stretch", Scaling::stretch}},
                                fallback);
}

int run_jobs(const Args& args, const std::vector<Job>& jobs, Scaling scaling,
             const std::function<Planes(const Picture&, int threads)>& process) {
    scaling = scaling_of(args, scaling);
    const int threads = threads_of(args);
    const bool progress = jobs.size() > 1 && isatty(STDERR_FILENO);
    // Several files: one per thread; one file: its channels share the threads.
    const int file_threads = std::min<int>(threads, static_cast<int>(jobs.size()));
    const int plane_threads = jobs.size() == 1 ? threads : 1;
    std::atomic<std::size_t> next{0}, done{0};
    std::atomic<int> failures{0};
    const auto work = [&] {
        for (std::size_t i; (i = next++) < jobs.size();) {
            const Job& job = jobs[i];
            std::string line;
            bool ok = true;
            try {
                const Picture in = read_picture(job.input);
                const Planes out = process(in, plane_threads);
                const std::string mapping =
                    write_picture(job.output, out, {args.has("raw"), in.low, in.high, in.depth == CV_16U, scaling});
                line = "wrote " + job.output + " (" + fftconv::to_string(out.front().shape()) + ", " + mapping + ")";
            } catch (const std::exception& e) {
                ok = false;
                // In a batch, say which file failed unless the message already does.
                const auto* cv_error = dynamic_cast<const cv::Exception*>(&e);
                const std::string what = dynamic_cast<const std::bad_alloc*>(&e) ? std::string("out of memory")
                                         : cv_error                              ? "OpenCV: " + cv_error->err
                                                                                 : std::string(e.what());
                const bool named = what.find(job.input) != std::string::npos;
                line = "fftconv " + args.spec().name +
                       ": error: " + (jobs.size() > 1 && !named ? job.input + ": " : "") + what;
            }
            std::scoped_lock lock(console_mutex());
            if (progress) std::fprintf(stderr, "\r\033[K");
            std::fprintf(ok ? stdout : stderr, "%s\n", line.c_str());
            std::fflush(stdout);
            if (!ok) ++failures;
            if (progress) std::fprintf(stderr, "[%zu/%zu] %s", ++done, jobs.size(), job.input.c_str());
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < file_threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (progress) std::fprintf(stderr, "\r\033[K");
    return failures > 0 ? 1 : 0;
}

int run_per_plane(const Args& args, const std::vector<Job>& jobs, Scaling scaling,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& filter) {
    return run_jobs(args, jobs, scaling,
                    [&](const Picture& in, int threads) { return map_planes(in.planes, threads, filter); });
}

}  // namespace app
