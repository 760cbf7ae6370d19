// Running an image-in, image-out subcommand over one file or a batch: IN OUT, or IN... --outdir
// DIR; outputs checked before any work, a progress line on a terminal, files or channels in
// parallel with --threads, one error line per failed file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "image_io.hpp"

namespace app {

/// The options every image-in, image-out subcommand has.
std::vector<OptionSpec> output_options();

struct Job {
    std::string input;
    std::string output;
};

/// The jobs on the command line, and the `extra` positional arguments that sit between the
/// inputs and OUT (conv's KERNEL): IN EXTRA... OUT, or IN... EXTRA... with --outdir DIR.
/// Outputs are checked (format, directory, not an input) before returning.
/// @throws UsageError
std::vector<Job> jobs_of(const Args& args, std::size_t extra, const std::string& synopsis,
                         std::vector<std::string>& extra_args);

/// f applied to each plane, up to `threads` planes at once.
Planes map_planes(const Planes& planes, int threads,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& f);

/// Runs `process` on every job: read, process, write (the write reporting its value mapping),
/// printing one line per file written. Returns the exit status: 0, or 1 if any file failed.
/// `scaling` says what the results are (an image, a signed response, a magnitude); --scale
/// overrides it.
int run_jobs(const Args& args, const std::vector<Job>& jobs, Scaling scaling,
             const std::function<Planes(const Picture&, int threads)>& process);

/// run_jobs for the common case: `filter` applied to every channel of every input.
int run_per_plane(const Args& args, const std::vector<Job>& jobs, Scaling scaling,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& filter);

/// --scale auto|keep|signed|stretch, or `fallback` without it.
Scaling scaling_of(const Args& args, Scaling fallback);

}  // namespace app
