// KERNEL arguments: a file (image or text matrix), an inline matrix, or a named kernel.
#pragma once

#include <string>

#include "fftconv/image.hpp"

namespace app {

/// What a KERNEL argument can be, for help texts.
extern const char* const kernel_help;

struct Kernel {
    fftconv::Image<double> values;
    std::string description;  // "gaussian:2 (17x17)", "3x3 matrix", "psf.png (31x31, normalised)"
};

/// Parses a KERNEL argument: an existing file (a text matrix if it parses as one, else an image
/// whose gray values are normalised to sum 1), an inline matrix "1,2,1;0,0,0;-1,-2,-1" (rows
/// separated by ';', values by ',' or spaces), or a named kernel.
/// @throws UsageError  for anything else; ProcessError for a file that cannot be read.
Kernel parse_kernel(const std::string& spec);

}  // namespace app
