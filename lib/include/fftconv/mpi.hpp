// Across processes: an array's rows split over the ranks of an MPI communicator, convolved in one
// of two ways. Halo exchange: each rank convolves its slab of rows after receiving the rows
// beyond it that its outputs read (communication grows with the kernel's height and the row's
// length, not the array's area). Distributed FFT: FFTW-MPI transforms the whole bordered and
// zero-padded array across the ranks (every rank sends nearly all its data, three times), which
// suits global filters and kernels as tall as a slab. estimate() prices both; convolve_distributed
// picks by it. Built with -Dmpi (libfftconv_mpi over OpenMPI and FFTW-MPI); the core library
// depends on neither.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <exception>
#include <string>

#include "fftconv/filters.hpp"
#include "fftconv/out_of_core.hpp"

namespace fftconv::mpi {

/// Rows [first, first + count) of an axis of `rows`: what rank `rank` of `ranks` holds. As even as
/// possible: the first rows % ranks ranks hold one row more (103 rows on 4 ranks: 26, 26, 26, 25).
struct Slab {
    std::ptrdiff_t first = 0;
    std::ptrdiff_t count = 0;
};
Slab slab_of(std::ptrdiff_t rows, int ranks, int rank);

/// Runs f and returns what it threw as text ("" when it returned): the failure agree() takes,
/// as in agree(comm, failure_of([&] { file.open(path); })).
template <class F>
std::string failure_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

/// Collective over `comm`: after a step that may fail on some ranks alone, `failure` is this
/// rank's error text ("" when it succeeded). Returns when every rank succeeded; otherwise throws
/// Error on every rank with the lowest failing rank's text, prefixed "rank R: " when there are
/// several ranks. So no rank waits in a later collective for one that has given up.
void agree(MPI_Comm comm, const std::string& failure);

/// How a distributed convolution divides the work.
enum class Distribution {
    automatic,  ///< the one estimate() prices lower; halo for an input holding NaN or Inf, a complex
                ///< type, a 1D array, or a transform that does not fit options.memory on a rank
    halo,       ///< slabs of rows (slab_of); each rank receives the rows beyond its slab that its
                ///< outputs read and convolves its slab in tiles (convolve_out_of_core)
    fft,        ///< FFTW-MPI's distributed real FFT of the whole array, bordered and zero-padded to
                ///< out + kernel - 1 along each axis (fast lengths): slabs of rows of FFTW's choosing
                ///< in, the spectrum transposed out (no transpose back), the kernel's spectrum alike
};
const char* to_string(Distribution d);

/// A network between ranks, as the cost model sees it: sustained bytes per second a rank sends
/// in a large all-to-all, and seconds per message.
struct Network {
    const char* name = "shared memory";
    double bytes_per_second = 0.6e9;
    double latency = 1e-6;
};
/// Ranks on one machine, OpenMPI's shared-memory transport, as measured on the 2-core test
/// machine: 0.57-0.63 GB/s a rank in a 64-256 MB all-to-all between 2 ranks, 0.8 µs a small one.
inline constexpr Network shared_memory{"shared memory", 0.6e9, 1e-6};
/// 10 Gb Ethernet, TCP: 90% of the line rate, 30 µs a message.
inline constexpr Network ethernet_10g{"10 GbE", 1.125e9, 30e-6};
/// 100 Gb InfiniBand (EDR), RDMA: 90% of the line rate, 2 µs a message.
inline constexpr Network infiniband_100g{"100 Gb InfiniBand", 11.25e9, 2e-6};

/// One way's estimated cost for the busiest rank.
struct Cost {
    double compute = 0;      // seconds of arithmetic (the single-core cost model, divided by `cores`)
    double communicate = 0;  // seconds sending: bytes / bandwidth + messages x latency
    double bytes_sent = 0;   // what the rank sends
    double memory = 0;       // the bytes it holds at its peak
    double seconds() const { return compute + communicate; }
};

/// Both ways priced, the one convolve_distributed would take, and why, in one line.
struct Estimate {
    Cost halo, fft;
    bool fft_possible = true;  // false: a complex type or a 1D array (FFTW-MPI's real transforms need 2D+)
    Extents transform;         // the distributed FFT's real shape
    Distribution choice = Distribution::halo;
    std::string why;
};

/// The cost model for convolving an array of shape `input` with `kernel` on `ranks` ranks joined
/// by `network`, each rank computing on `cores` cores (the single-core estimate divided by them).
/// Pure arithmetic: no MPI call, so it prices clusters this machine is not part of.
/// @throws as plan_out_of_core; InvalidArgument for ranks or cores below 1.
template <class T>
[[nodiscard]] Estimate estimate(const Extents& input, View<const T> kernel, const OutOfCoreOptions& options, int ranks,
                                const Network& network = shared_memory, int cores = 1);

/// What one rank of a distributed call did.
struct DistributedPlan {
    Distribution distribution = Distribution::halo;  // halo or fft: what ran
    Slab input;                    // the input rows this rank read (fft: of the bordered, padded array)
    Slab output;                   // the output rows it computed and wrote
    std::ptrdiff_t halo_rows = 0;  // halo: rows it received from other ranks
    double halo_bytes = 0;         // halo: their bytes
    OutOfCorePlan local;           // halo: the tiles of its own slab
    Extents transform;             // fft: the distributed transform's real shape
    double spectrum_bytes = 0;     // fft: the bytes of its share of the two spectra
};

/// convolve_out_of_core across the ranks of `comm` (collective: every rank calls it with the same
/// shapes, kernel, options and distribution). Each rank reads only the rows it is given through
/// `input` and writes only its own output rows through `output`; the border applies at the
/// array's true edges only.
///
/// Distribution::halo: the input and the output are split into slabs of rows (the first axis;
/// slab_of). Each rank receives from the ranks that hold them the rows its outputs need beyond
/// its slab (the kernel's halo from its neighbours; farther rows for a wrapped border or a kernel
/// taller than a slab) and writes its output slab in tiles within options.memory. The result
/// equals convolve_out_of_core on one process: bit for bit by the direct method.
///
/// Distribution::fft: one distributed real transform of the array (see Distribution), its
/// product with the kernel's, and the inverse; each rank holds its share of the two spectra,
/// which must fit options.memory. Within fft_error_bound of the one-process result; with a
/// border, no negative output from a non-negative kernel and input (as the filters). Real types
/// and arrays of 2 or more axes only; an input holding NaN or Inf is refused (automatic takes
/// the halo instead).
///
/// Distribution::automatic: the lower of estimate(…, network).
/// @throws Error  on every rank when any rank fails (reading, the arguments, memory): the message
///                of the lowest failing rank, prefixed "rank R: " when there are several ranks.
template <class T>
DistributedPlan convolve_distributed(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                                     const OutOfCoreOptions& options = {},
                                     Distribution distribution = Distribution::automatic,
                                     const Network& network = shared_memory);

/// lowpass (or, with `high`, highpass) of a 2D image across the ranks of `comm` (collective): the
/// image bordered and padded as lowpass pads it (frequency_filter_padding; wrap: none), one
/// distributed real transform, the gains, the inverse; each rank reads and writes its own rows.
/// Within fft_error_bound of lowpass / highpass on one process. `memory`: the bound on each
/// rank's share of the spectrum (0: memory_limit()).
/// @throws Error  as convolve_distributed; a rank other than 2, a cutoff or order lowpass refuses,
///                NaN or Inf in the image.
template <Real T>
DistributedPlan frequency_filter_distributed(MPI_Comm comm, ArrayReader<T>& input, ArrayWriter<T>& output,
                                             double cutoff, FilterShape shape = FilterShape::ideal, int order = 2,
                                             Border border = Border::reflect, bool high = false,
                                             std::size_t memory = 0);

}  // namespace fftconv::mpi
