// Reading a box of an out-of-core array that may reach past its edges: the border applies only
// there. Shared by the tiles of convolve_out_of_core and the slabs of the distributed FFT.
#pragma once

#include <optional>

#include "fftconv/array.hpp"
#include "fftconv/out_of_core.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// dst = the input's box of dst.shape from `first` (which may reach past the array), the values
// outside from `border` (none: 0). The part inside is read in one call; what the border maps
// onto it is copied from there; anything else (a wrapped border's far side) is read per
// rectangle of the source indices it needs. dst is row-major and contiguous.
template <Scalar T>
void read_box(ArrayReader<T>& reader, const Extents& shape, const Extents& first, const View<T>& dst,
              const std::optional<Border>& border, T cval);

}  // namespace fftconv::detail
