// Where a value outside an array comes from: the index each Border maps an out-of-range
// position to (see Border in types.hpp for the pictures).
#pragma once

#include <cstddef>

#include "fftconv/types.hpp"

namespace fftconv::detail {

// Where position p of an axis of length n comes from under `border`; -1 means "the constant".
// Reflections keep folding and wrap keeps repeating for borders wider than the axis, as OpenCV's
// borderInterpolate and scipy.ndimage do.
std::ptrdiff_t border_index(std::ptrdiff_t p, std::ptrdiff_t n, Border border);

// @throws InvalidArgument  a value outside the enum, naming FN.
void check_border(const char* fn, Border border);

}  // namespace fftconv::detail
