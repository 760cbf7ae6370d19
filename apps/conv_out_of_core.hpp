// conv on files larger than memory: .npy arrays (through a memory map) and TIFF images (strips
// or tiles, through libtiff) read and written a box at a time by fftconv::convolve_out_of_core,
// within --memory, with a progress bar and the time left.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fftconv/out_of_core.hpp"
#include "image_header.hpp"
#include "jobs.hpp"

namespace app {

/// --memory SIZE.
OptionSpec memory_option();
/// --progress.
OptionSpec progress_option();

/// Whether conv runs `job` out of core: its input is an .npy file or (built with libtiff) a TIFF
/// image, and holding it whole, with its result, would need more than `bound` bytes: for an image,
/// `image_bytes` of a page, the in-memory path's own estimate.
bool runs_out_of_core(const Job& job, double bound, const std::function<double(const PageHeader&)>& image_bytes);

/// conv on `jobs` out of core, each within `bound` bytes: the plan printed first (tiles, method,
/// bytes held, estimated time), a progress bar while it runs, then the "wrote" line. The result
/// goes to .npy (the computation's type) or to a tiled TIFF (BigTIFF past 4 GB): float samples,
/// or the input's 8 or 16 bits where the kernel averages (`within_range`: its results stay in
/// the input's range, as conv keeps them in memory). The output appears complete or not at all.
/// Returns the exit status: 0, or 1 when a file failed (one error line each).
int run_out_of_core(const Args& args, const std::vector<Job>& jobs, const std::string& kernel_spec,
                    const fftconv::OutOfCoreOptions& options, double bound);

}  // namespace app
