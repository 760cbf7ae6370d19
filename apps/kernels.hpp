// KERNEL arguments: a file (image or text matrix), an inline matrix, or a named kernel.
#pragma once

#include <cstdint>
#include <string>

#include "cli.hpp"
#include "fftconv/array.hpp"
#include "fftconv/image.hpp"

namespace app {

/// What a KERNEL argument can be, for help texts.
extern const char* const kernel_help;

struct Kernel {
    fftconv::Image<double> values;
    std::string description;  // "gaussian:2 (17x17)", "3x2 matrix", "psf.png (31x31 image, normalised to sum 1)"
};

struct KernelOptions {
    bool normalize = true;                // an image file's values scaled to sum 1
    std::int64_t max_pixels = INT64_MAX;  // an image file larger than this is refused from its header
};

/// --no-normalize, for the commands that take a KERNEL.
OptionSpec kernel_normalize_option();
/// --no-normalize and --max-pixels.
KernelOptions kernel_options_of(const Args& args);

/// A kernel of any rank, for arrays (.npy inputs and volumes).
struct KernelND {
    fftconv::Array<double> values;
    std::string description;
};

/// parse_kernel for an array of rank `rank`: gaussian:SIGMA, box:N and random:N[:SEED] are
/// rank-`rank` kernels (gaussian:2 on a volume is 3D: the sampled Gaussian along each axis); an
/// .npy file is the array it holds (real); every other KERNEL is a 2D matrix, given leading axes
/// of 1 for a higher rank (it filters each 2D slice), or its one row for rank 1.
/// @throws UsageError  as parse_kernel; a kernel of a rank higher than the array's.
KernelND parse_kernel_nd(const std::string& spec, int rank, const KernelOptions& options = {});

/// parse_kernel_nd at rank 2 for an image of `samples` per pixel: with more than one, the kernel
/// gets a third axis of 1, so that the samples (a last axis) are filtered apart, not mixed.
KernelND image_kernel_nd(const std::string& spec, int samples, const KernelOptions& options = {});

/// Parses a KERNEL argument: an existing file (an image, recognised by its header, whose gray
/// values are normalised to sum 1 unless options.normalize is off; otherwise a text matrix), an
/// inline matrix "1,2,1;0,0,0;-1,-2,-1" (rows separated by ';' or new lines, values by ',' or
/// spaces), either of them also in numpy/JSON brackets "[[1,2],[3,4]]", or a named kernel.
/// Sizes are width x height, as everywhere in the tool: box:5x3 is 5 wide and 3 high.
/// @throws UsageError  for anything else, naming the row and entry that does not parse (an
///                     empty entry "1,,2" included); ProcessError for a file that cannot be read.
Kernel parse_kernel(const std::string& spec, const KernelOptions& options = {});

}  // namespace app
