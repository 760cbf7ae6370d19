// The FFT core: cyclic convolution by FFTW at a padded size where nothing wraps into the kept window.
#pragma once

#include <complex>
#include <memory>
#include <vector>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"
#include "fftw.hpp"
#include "geometry.hpp"
#include "values.hpp"

namespace fftconv::detail {

// The longest length next_fast_length and best_fast_length size (2^60): far past any transform
// that fits in memory, and low enough that their searches never overflow.
inline constexpr std::ptrdiff_t max_fast_length = std::ptrdiff_t{1} << 60;

// Smallest 2^a·3^b·5^c·7^d >= n. FFTW has hard-coded codelets for these radices, so such a size
// transforms at close to power-of-two speed while padding far less than the next power of two
// (2100 instead of 4096).  @throws Error  n > max_fast_length (as best_fast_length).
std::ptrdiff_t next_fast_length(std::ptrdiff_t n);

// The smallest even fast length >= n (1 for n <= 1).
std::ptrdiff_t next_fast_even_length(std::ptrdiff_t n);

// FFTW's relative cost per n·log2(n) for a transform of length n planned with `effort`, by the
// power of two in n: its radix-2^k codelets are what FFTW_MEASURE plans are fastest with. Measured
// here on the column pass of 2D transforms (the strided one, ~5x the cost of the row pass per
// element), float, lengths 500-4800: with FFTW_MEASURE an odd length ran ~2x and one with 2^1 or
// 2^2 ~1.6x slower than one with 2^3 or more (2187 = 3^7: 1.21 ns per n·log2 n; 2240 = 2^6·35:
// 0.57); with FFTW_ESTIMATE the spread is smaller (1.2x, 1.1x).
double length_weight(std::ptrdiff_t n, PlannerEffort effort);

// The fast length >= n that FFTW transforms fastest by length_weight: the smallest 7-smooth
// length is not always it (2187 against 2240). Candidates run up to the next power of two; `even`
// keeps to even lengths (the last dimension of a real transform).
// @throws Error  "fft: a transform of N points is longer than ..." for n > max_fast_length.
std::ptrdiff_t best_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort);

// The transform size for a call: per dimension the fastest length (best_fast_length) that holds
// both operands and lets nothing wrap into the kept window (wrap_free_length); for a real
// transform (`real`) the last dimension's length is even.
Shape fft_shape(const Geometry& g, bool real, PlannerEffort effort);

// FFTW's rank and sizes for a row-major transform of `padded`: unit dimensions dropped, so a
// 1xN or Nx1 array is a rank-1 transform.  @throws Error  a size beyond FFTW's int.
std::vector<int> fft_dims(Shape padded);

// Elements in the r2c half-spectrum of a real transform with these dims (at most 2: the product
// of two ints cannot overflow).
std::size_t half_spectrum_size(const std::vector<int>& dims);

// The bytes FftCore<T> (`type`) allocates for g: rank 1, the padded signal and two spectra; rank 2,
// the spectrum's rows and the kernel's spectrum by columns.  @throws Error  as fft_dims.
Bytes fft_core_bytes(const Geometry& g, ElementType type, PlannerEffort effort);

// The check a call makes before it allocates anything: its output (when `output`: one-shot calls;
// a Convolver's comes with apply) and, for Method::fft, the FFT's buffers (FftCore's, or
// overlap-save's blocks where the call would use them) must fit memory_limit() together.
// @throws Error  "convolve: the output (100000x100000 float64) would need 80.0 GB, more than this
//                machine's memory (25.2 GB)", or naming the output and the FFT's size.
void check_call_memory(const Names& names, const Geometry& g, ElementType type, Method method, bool output,
                       PlannerEffort effort);

// Holds the kernel's spectrum for inputs of shape g.a and applies it: pad, forward FFT, multiply,
// inverse FFT, read the window. Real T uses r2c/c2r (half the work), complex T uses c2c. Both
// operands are scaled by powers of two on the way in and the result on the way out (see
// magnitude_exponent), so sums past the type's range or below its smallest numbers do not occur.
//
// 2D transforms run as rows, then columns, with FFTW doing one row or one column per call rather
// than FFTW's own 2D plans. FFTW_ESTIMATE's 2D plans run the column pass as strided 1D
// transforms, one cache line per element: 1.0 ns per n·log2 n against 0.2 for contiguous
// columns (float, 2240). Here a block of columns is gathered into contiguous memory, transformed,
// multiplied by the kernel's spectrum, transformed back and scattered, while in cache; rows that
// are zero (padding) are never transformed and rows outside the kept window never inverted.
// Measured on a 2240² float r2c+c2r: FFTW's 2D plans 89 ms (estimate), 49 ms (measure).
template <Scalar T>
class FftCore {
public:
    // Plans (through the cache) and transforms `kernel` (shape g.b, finite values) once.
    FftCore(const Geometry& g, ImageView<const T> kernel, PlannerEffort effort);

    // out = window of (input ⊛ kernel); input has shape g.a and finite values, out has g.out(), any
    // strides. `input_exponent` is magnitude_exponent of the input's largest magnitude, for
    // callers that scanned it already; the first form scans it.
    void apply(ImageView<const T> input, ImageView<T> out);
    void apply(ImageView<const T> input, ImageView<T> out, int input_exponent);

    Shape padded() const { return padded_; }

private:
    using R = real_t<T>;
    using C = std::complex<R>;

    // Rank 1 (a 1xN, Nx1 or 1x1 transform): one FFTW call each way on buf_. `scale` multiplies
    // src on its way into the transform.
    void forward_rank1(ImageView<const T> src, C* spectrum, R scale);
    void apply_rank1(ImageView<const T> input, ImageView<T> out, R scale, const PowerOfTwo<R>& unscale);

    // Rank 2: rows then column blocks (see above).
    void forward_rows(ImageView<const T> src, R scale);
    void apply_rank2(ImageView<const T> input, ImageView<T> out, R scale, const PowerOfTwo<R>& unscale);

    Geometry g_;
    Shape padded_;
    std::vector<int> dims_;  // padded_ with unit dimensions dropped: FFTW's rank and sizes
    std::size_t spectrum_size_ = 0;
    int kernel_exponent_ = 0;                                         // the kernel went in times 2^-kernel_exponent_
    std::shared_ptr<const Plan<R>> forward_plan_, inverse_plan_;      // rank 1: whole; rank 2: one row
    std::shared_ptr<const Plan<R>> column_forward_, column_inverse_;  // rank 2: one column
    FftwBuffer<T> buf_;
    FftwBuffer<C> spectrum_, kernel_spectrum_;
    // Rank 2: spectrum_ holds rows of row_pitch_ elements; kernel_spectrum_ holds columns of
    // column_pitch_ (the kernel's spectrum, column by column, as the column blocks read it).
    std::ptrdiff_t half_cols_ = 0, row_pitch_ = 0, column_pitch_ = 0;
};

// Overlap-save for a 1xN by 1xK call with K <= N: the input is cut into blocks of `block` points
// (the cost model's overlap_save_block), each giving block − K + 1 outputs, against the kernel
// spectrum made once here. The blocks overlap by K − 1 input points, so nothing wraps.
template <Scalar T>
class OverlapSave {
public:
    OverlapSave(const Geometry& g, ImageView<const T> kernel, std::ptrdiff_t block, PlannerEffort effort);

    // out = window g.cols of (input ⊛ kernel); input has g's longer length and finite values.
    // Every block is scaled by the whole input's power of two (`input_exponent` as FftCore's).
    void apply(ImageView<const T> input, ImageView<T> out);
    void apply(ImageView<const T> input, ImageView<T> out, int input_exponent);

private:
    Geometry g_;
    std::ptrdiff_t k_, block_, step_;
    FftCore<T> core_;
    Image<T> segment_, tail_;  // a block at the input's ends (zero-padded), the last short output
};

// The 1D FFT path: OverlapSave when block > 0 (the long operand cut into blocks, the short one the
// kernel: convolution commutes), else FftCore. `a_exponent`: magnitude_exponent of a's values.
template <Scalar T>
void fft_convolve_1d(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, std::ptrdiff_t block,
                     PlannerEffort effort, ImageView<T> out, int a_exponent);

}  // namespace fftconv::detail
