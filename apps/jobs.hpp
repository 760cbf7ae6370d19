// Running an image-in, image-out subcommand over one file or a batch: IN OUT, or IN... --outdir
// DIR; outputs checked before any work, each input's cost checked from its header before it is
// decoded, every page of a multi-page TIFF processed, alpha carried through or dropped by the
// command's rule, a progress line on a terminal, files or channels in parallel with --threads,
// one error line per failed file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "budget.hpp"
#include "cli.hpp"
#include "image_io.hpp"

namespace app {

/// The options every image-in, image-out subcommand has.
std::vector<OptionSpec> output_options();

struct Job {
    std::string input;
    std::string output;  // "-": standard output
    std::string format;  // the output's extension, which picks its format (".png")
};

/// The jobs on the command line, and the `extra` positional arguments that sit between the
/// inputs and OUT (conv's KERNEL): IN EXTRA... OUT, or IN... EXTRA... with --outdir DIR (created
/// when missing). IN may be "-" (standard input) and OUT "-" (standard output, in the format of
/// --ext, else the input's, else PNG). Outputs are checked (format, directory, name length, not
/// an input) before returning.
/// @throws UsageError
std::vector<Job> jobs_of(const Args& args, std::size_t extra, const std::string& synopsis,
                         std::vector<std::string>& extra_args);

/// f applied to each plane, up to `threads` planes at once.
Planes map_planes(const Planes& planes, int threads,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& f);

/// What a subcommand does to each input, for run_jobs.
struct Work {
    /// What the results are (an image, a signed response, a magnitude); --scale overrides it.
    Scaling scaling = Scaling::keep;
    /// Whether the input's alpha channel is carried through unchanged (results that are the
    /// image itself, filtered, at its size); otherwise it is dropped.
    bool keeps_alpha = true;
    /// The estimated cost of one page, from its header (before decoding).
    std::function<Cost(const PageHeader&)> cost;
    /// The results for one page's colour (or gray) planes.
    std::function<Planes(const Picture&, int threads)> process;
    /// For a filter applied to each plane whose output keeps the input's size and whose output
    /// row r reads input rows r - reach .. r + reach only: `reach`, and the filter itself. Then
    /// an integer image is converted to float a strip of rows at a time (with `reach` rows of
    /// context on each side, whose own outputs are dropped), never whole.
    std::optional<int> reach;
    std::function<fftconv::Image<float>(const fftconv::Image<float>&)> filter;
    /// The results of an integer image stay within its range widened by 2% (an averaging
    /// kernel): Scaling::automatic then keeps the range, and is known to before any result.
    bool within_range = false;
};

/// Writes result pages: through write_picture, or for an .npy path (or options.format ".npy")
/// as one float32 array, unscaled, in numpy's layout for an image: (rows, columns) for gray,
/// (rows, columns, channels) for colour in R, G, B order with alpha (0..1) last, and the pages
/// first, (pages, rows, columns[, channels]), when there are several.
/// @throws ProcessError  when writing fails; nothing is left at `path` then.
Written write_result(const std::string& path, const std::vector<OutputPage>& pages, const WriteOptions& options);

/// Runs `work` on every job: open, check the budget, read each page (turned gray with --gray),
/// process, write (the write reporting its value mapping), printing one line per file written.
/// Returns the exit status: 0, or 1 if any file failed.
int run_jobs(const Args& args, const std::vector<Job>& jobs, const Work& work);

/// A Work whose `process` applies `filter` to every channel; with `reach` (see Work::reach),
/// run in strips of rows.
Work per_plane(Scaling scaling, bool keeps_alpha, std::function<Cost(const PageHeader&)> cost,
               std::function<fftconv::Image<float>(const fftconv::Image<float>&)> filter,
               std::optional<int> reach = std::nullopt);

/// --scale auto|keep|signed|stretch, or `fallback` without it.
Scaling scaling_of(const Args& args, Scaling fallback);

/// The channels that reach a command: the colour planes, or one gray plane with --gray.
Picture with_gray(Picture p, bool gray);

}  // namespace app
