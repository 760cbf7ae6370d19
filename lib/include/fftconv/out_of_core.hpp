// Out of core: convolutions of arrays larger than memory, read and written a box at a time.
//
// The output is cut into tiles. Each tile's part of the input is read with its halo (the
// kernel's extent minus 1 along each axis), with the border applied only where the halo reaches
// past the array's true edges, convolved by the in-memory core, and its outputs written. The
// kernel's spectrum is made once. The call holds at most OutOfCorePlan::bytes, whatever the size
// of the array: one box of input, one tile of output and the transforms of one box (a reader's
// and a writer's own buffers are theirs to bound).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// Where an out-of-core input comes from: an array of shape() read a box at a time. Implement it
/// for a file format (the tool's readers are TIFF strips and tiles, and .npy files through a
/// memory map), a generator, or ViewReader for an array in memory.
template <class T>
class ArrayReader {
public:
    virtual ~ArrayReader() = default;
    /// The whole array's shape.
    virtual Extents shape() const = 0;
    /// Fills dst with the elements at first + i for every index i of dst.shape. The box lies
    /// within shape(); dst is row-major and contiguous.
    virtual void read(const Extents& first, const View<T>& dst) = 0;
};

/// Where an out-of-core result goes, a box at a time.
template <class T>
class ArrayWriter {
public:
    virtual ~ArrayWriter() = default;
    /// Stores src at first + i for every index i of src.shape. Each element of the result is
    /// written exactly once, in boxes of the plan's tile (smaller at the far ends), the tiles in
    /// row-major order of their first element. src is row-major and contiguous.
    virtual void write(const Extents& first, const View<const T>& src) = 0;
    /// The tile extents the writer stores best (a TIFF's tiles or strips): the plan cuts no tile
    /// below them, and every tile but the last along an axis is a multiple of alignment()[axis]
    /// (or the whole region), unless OutOfCoreOptions::tile says otherwise. Rank 0 (the
    /// default): any.
    virtual Extents alignment() const { return {}; }
};

/// An ArrayReader of an array in memory.
template <class T>
class ViewReader final : public ArrayReader<T> {
public:
    explicit ViewReader(View<const T> x) : x_(x) {}
    Extents shape() const override { return x_.shape; }
    void read(const Extents& first, const View<T>& dst) override;

private:
    View<const T> x_;
};

/// An ArrayWriter into an array in memory.
template <class T>
class ViewWriter final : public ArrayWriter<T> {
public:
    explicit ViewWriter(View<T> out, Extents alignment = {}) : out_(out), alignment_(alignment) {}
    void write(const Extents& first, const View<const T>& src) override;
    Extents alignment() const override { return alignment_; }

private:
    View<T> out_;
    Extents alignment_;
};

/// What an out-of-core convolution computes and within what memory.
struct OutOfCoreOptions {
    /// scipy.signal's modes, zeros outside the array (ignored when `border` is set).
    Mode mode = Mode::full;
    /// correlate instead of convolve (scipy.signal.correlate; with a border scipy.ndimage.correlate).
    bool correlate = false;
    /// Set: a same-size filter with this border, as filter_convolve (or filter, with `correlate`)
    /// computes it: scipy.ndimage's anchors; values past the true edges from the border
    /// (Border::constant: cval).
    std::optional<Border> border = std::nullopt;
    double cval = 0;
    /// What each tile runs; automatic picks, per plan, the method with the lower estimated total.
    Method method = Method::automatic;
    /// The bound on the bytes the call holds (buffers and transforms); 0: memory_limit().
    std::size_t memory = 0;
    /// Outputs per tile along each axis (rank 0: the plan picks the cheapest that fits `memory`).
    Extents tile = {};
    /// The part of the output computed and written: `region_extent` outputs from `region_first`
    /// along each axis (rank 0: all of it). A distributed run gives each process its slab; the
    /// reader is then asked only for the boxes that part reads.
    Extents region_first = {}, region_extent = {};
    /// Called after each tile with the output elements written so far and their total.
    std::function<void(std::ptrdiff_t done, std::ptrdiff_t total)> progress = {};
};

/// How an out-of-core convolution runs.
struct OutOfCorePlan {
    Extents input, kernel, output;   // the shapes
    Extents region_first, region;    // the part of the output computed (all of it by default)
    Extents tile;                    // outputs per tile (the last along an axis may be fewer)
    Extents box;                     // inputs read per tile: the tile plus the kernel's halo
    Extents lead;                    // a tile of outputs from o reads the input from o - lead
    std::ptrdiff_t tiles = 0;        // how many, over the region
    Method method = Method::direct;  // direct or fft: what each tile runs
    /// The bound on what the call holds: the box, the tile's output, and the method's work (the
    /// direct sum's copy of the box for a same-size filter; the FFT's spectra of the box and of
    /// the kernel, and its buffers).
    double bytes = 0;
    /// The estimated arithmetic, every tile, one core (reading and writing not included).
    double seconds = 0;
};

/// The plan convolve_out_of_core would run for an input of shape `input` and a writer whose
/// alignment() is `alignment`.
/// @throws InvalidArgument  empty shapes, ranks that differ, shapes `mode` refuses (scipy's rules),
///                          a tile of another rank or outside 1..output, an unknown border.
/// @throws OutOfMemory  when not even a tile of one element fits `memory`, naming the bytes.
template <class T>
[[nodiscard]] OutOfCorePlan plan_out_of_core(const Extents& input, View<const T> kernel,
                                             const OutOfCoreOptions& options = {}, const Extents& alignment = {});

/// Convolves (or correlates) the array `input` reads with `kernel`, writing the result through
/// `output` tile by tile: equal to convolve / correlate / filter_convolve / filter on the whole
/// array bit for bit by the direct method, and within fft_error_bound of the box by the FFT. (One
/// exception to the bits: a kernel with more elements than the array under scipy.signal's modes,
/// where the whole-array call swaps the operands and sums in another order; it agrees to rounding.)
/// Returns the plan it ran. Exceptions from the reader or the writer pass through; tiles written
/// before then stay written (a writer that makes files keeps them out of sight until complete).
/// @throws as plan_out_of_core.
template <class T>
OutOfCorePlan convolve_out_of_core(ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                                   const OutOfCoreOptions& options = {});

}  // namespace fftconv
