// Across processes: an array's rows split into slabs over the ranks of an MPI communicator, each
// rank convolving its slab after exchanging halos with the ranks that hold the rows it needs.
// Built with -Dmpi (libfftconv_mpi, OpenMPI); the core library does not depend on MPI.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

#include "fftconv/out_of_core.hpp"

namespace fftconv::mpi {

/// Rows [first, first + count) of an axis of `rows`: what rank `rank` of `ranks` holds. As even as
/// possible: the first rows % ranks ranks hold one row more (103 rows on 4 ranks: 26, 26, 26, 25).
struct Slab {
    std::ptrdiff_t first = 0;
    std::ptrdiff_t count = 0;
};
Slab slab_of(std::ptrdiff_t rows, int ranks, int rank);

/// Collective over `comm`: after a step that may fail on some ranks alone, `failure` is this
/// rank's error text ("" when it succeeded). Returns when every rank succeeded; otherwise throws
/// Error on every rank with the lowest failing rank's text, prefixed "rank R: " when there are
/// several ranks. So no rank waits in a later collective for one that has given up.
void agree(MPI_Comm comm, const std::string& failure);

/// What one rank of convolve_distributed did.
struct DistributedPlan {
    Slab input;                    // the input rows this rank read
    Slab output;                   // the output rows it computed and wrote
    std::ptrdiff_t halo_rows = 0;  // rows it received from other ranks
    double halo_bytes = 0;         // their bytes
    OutOfCorePlan local;           // the tiles of its own slab
};

/// convolve_out_of_core across the ranks of `comm` (collective: every rank calls it with the same
/// shapes, kernel and options). The input and the output are split into slabs of rows (the first
/// axis; slab_of). Each rank reads only its own input slab through `input`, receives from the
/// ranks that hold them the rows its outputs need beyond it (the kernel's halo from its
/// neighbours; farther rows for a wrapped border or a kernel taller than a slab), and writes its
/// own output slab through `output` in tiles within options.memory. Communication is the halo
/// rows, not the slabs. The border applies at the array's true edges only. The result equals
/// convolve_out_of_core on one process: bit for bit by the direct method.
/// @throws Error  on every rank when any rank fails (reading, the arguments, memory): the message
///                of the lowest failing rank, prefixed "rank R: " when there are several ranks.
template <class T>
DistributedPlan convolve_distributed(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                                     const OutOfCoreOptions& options = {});

}  // namespace fftconv::mpi
