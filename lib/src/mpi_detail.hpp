// What the distributed calls share inside libfftconv_mpi: the distributed FFT's shapes and shares
// (which the cost model prices too) and its entry point, which convolve_distributed dispatches to.
#pragma once

#include <mpi.h>

#include <optional>
#include <string>

#include "fftconv/mpi.hpp"

namespace fftconv::mpi::detail {

// The distributed FFT's transform shape for a convolution whose output is `output`: per axis the
// fastest length that holds out + kernel - 1 (the last even, for the real transform).
Extents fft_transform_shape(const Extents& output, const Extents& kernel, PlannerEffort effort);

// The share of the transform `rank` of `ranks` holds, as FFTW-MPI lays it out (pure arithmetic,
// FFTW-MPI's block rule): rows of the real array, and lines of the transposed spectrum.
struct FftShare {
    Slab rows;                    // of the real array's first axis
    Slab lines;                   // of the spectrum's transposed first axis (the second axis's frequencies)
    double complex_elements = 0;  // the rank's spectrum buffer, in complex values
};
FftShare fft_share(const Extents& transform, int ranks, int rank);

// Distribution::fft of convolve_distributed: collective, real T, rank >= 2. An input holding NaN
// or Inf is refused when `refuse_nonfinite`, else nothing is written and nullopt returned (on
// every rank alike), for the caller to take the halo.
template <class T>
std::optional<DistributedPlan> convolve_fft(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel,
                                            ArrayWriter<T>& output, const OutOfCoreOptions& options,
                                            bool refuse_nonfinite);

}  // namespace fftconv::mpi::detail
