// The FFT core: cyclic convolution by FFTW at a padded size where nothing wraps into the kept
// window, at any rank, transforming one axis at a time.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"
#include "fftw.hpp"
#include "geometry.hpp"
#include "memory.hpp"
#include "source.hpp"
#include "values.hpp"

namespace fftconv::detail {

// A filter given by its frequency response rather than by a kernel (a low-pass, say), for an
// FftCore's cyclic form: it multiplies the spectrum's lines along axis 0 in place, each while
// the core holds it in cache, so no spectrum-sized array of gains is ever made.
template <class R>
class SpectralGain {
public:
    virtual ~SpectralGain() = default;
    // spectrum[i] *= scale · H for the n frequencies i of axis 0 (FFTW's order: 0, 1, ...,
    // then the negative ones) on line `line`: at rank 2 the last axis's frequency index (0 to
    // n_last / 2 for a real transform); at rank 3 and up the middle axes' frequency indices and
    // that, flattened in row-major order (last axis fastest); at rank 1 (line 0) the whole half
    // spectrum along the axis.
    virtual void multiply(std::ptrdiff_t line, R scale, std::complex<R>* spectrum, std::ptrdiff_t n) const = 0;
};

// The bytes an FftCore of `type` for g allocates, with `kernels` kernel spectra.
// @throws InvalidArgument  as fft_dims.
Bytes fft_core_bytes(const Geometry& g, ElementType type, PlannerEffort effort, std::size_t kernels = 1);

// Holds the spectra of one or more kernels for a core geometry (every axis convolved: source
// extents g.a, kernel extents g.b, a window of the full result) and applies them: load, forward
// transform, multiply, inverse transform, read the window. Real T uses r2c/c2r along the last
// axis (half the work), complex T c2c. Both operands are scaled by powers of two on the way in
// and the result on the way out (see magnitude_exponent), so sums past the type's range or
// below its smallest numbers do not occur.
//
// The transform runs axis by axis, with FFTW doing one line per call rather than FFTW's own
// multi-dimensional plans: FFTW_ESTIMATE's 2D plans run the column pass as strided 1D
// transforms, one cache line per element: 1.0 ns per n·log2 n against 0.2 for contiguous columns
// (float, 2240). So: the last axis line by line; each other axis in blocks of lines gathered into
// contiguous memory, transformed and scattered back; the first axis, last, is transformed,
// multiplied by the kernel's spectrum and transformed back while the block is in cache. Lines the
// source leaves zero are never transformed (padding), and lines outside the kept window never
// transformed back. Measured on a 2240² float r2c+c2r: FFTW's 2D plans 89 ms (estimate), 49 ms
// (measure); this way 37 ms (estimate).
template <Scalar T>
class FftCore {
public:
    // Plans (through the cache) and transforms each of `kernels` (extents g.b, finite values) once.
    // The context's threads split the lines of every pass; its memory budget bounds the buffers.
    FftCore(const Geometry& g, std::span<const View<const T>> kernels, const Context& context);
    FftCore(const Geometry& g, const View<const T>& kernel, const Context& context)
        : FftCore(g, std::span<const View<const T>>(&kernel, 1), context) {}

    // The cyclic form, for filters given by their frequency response: the transform has exactly
    // g.a's extents, with no padding (what runs past an edge wraps around, as it is meant to);
    // g.b is all ones and g's window is the part of the result kept. apply_gain runs it.
    FftCore(const Geometry& g, const Context& context);

    // out = the window of (source ⊛ kernels[kernel]); the source has extents g.a and finite values;
    // out's extents are the window's, or fewer (a partial tile keeps the window's first values),
    // any strides. `source_exponent` is magnitude_exponent of the source's largest magnitude.
    void apply(const Source<T>& source, const View<T>& out, int source_exponent, std::size_t kernel = 0);

    // The cyclic form's call: out = the window of the inverse transform of (gain · the source's
    // transform), the source with extents g.a and finite values.
    void apply_gain(const Source<T>& source, const View<T>& out, int source_exponent,
                    const SpectralGain<real_t<T>>& gain);

    const Extents& padded() const { return padded_; }

private:
    using R = real_t<T>;
    using C = std::complex<R>;
    struct Ranges;

    // The transform along the last axis of every line `ranges` holds, into spectrum_.
    void forward_last(const Source<T>& source, const Ranges& ranges, R scale);
    // Axis t (0 < t < rank - 1) forward on the lines `ranges` holds, in place.
    void forward_middle(int t, const Ranges& ranges);
    // Axis 0, forward only, into a kernel spectrum (construction).
    void forward_first(const Ranges& ranges, C* kernel_spectrum);
    // Plans for the transform shape padded_, and (rank > 1) lays out spectrum_ for g_.
    void prepare(const std::vector<int>& dims);
    // Every pass of one call, with `product(line, spectrum, n)` multiplying each line along axis 0.
    template <class Product>
    void run(const Source<T>& source, const View<T>& out, R scale, const PowerOfTwo<R>& unscale,
             const Product& product);
    // Axis 0: forward, `product`, inverse; keeps `keep` along axis 0.
    template <class Product>
    void convolve_first(const Ranges& ranges, const Product& product, const Ranges& keep);
    // Axis t (0 < t < rank - 1) inverse on the kept lines, in place.
    void inverse_middle(int t, const Ranges& keep);
    // The last axis back, into out.
    void inverse_last(const Ranges& keep, const View<T>& out, const PowerOfTwo<R>& unscale);

    Geometry g_;
    Context context_;
    Extents padded_;
    int rank_ = 0;
    std::vector<int> kernel_exponents_;                           // kernel k went in times 2^-kernel_exponents_[k]
    std::shared_ptr<const Plan<R>> last_forward_, last_inverse_;  // along the last axis
    std::vector<std::shared_ptr<const Plan<R>>> axis_forward_, axis_inverse_;  // c2c along each other axis
    FftwBuffer<T> buf_;                                                        // rank 1: the padded line
    FftwBuffer<C> spectrum_;                     // rank 1: one spectrum; else the lines along the last axis
    std::vector<FftwBuffer<C>> kernel_spectra_;  // rank 1: whole; else by lines along axis 0
    std::ptrdiff_t half_ = 0;                    // spectrum elements along the last axis
    std::ptrdiff_t row_pitch_ = 0;               // complex elements between lines along the last axis in spectrum_
    std::ptrdiff_t first_pitch_ = 0;             // complex elements between kernel lines along axis 0
    std::ptrdiff_t spectrum_first_ = 0;          // spectrum_'s extent along axis 0
    Extents line_strides_;                       // spectrum_'s strides (complex elements) along axes 0 .. rank - 2
};

}  // namespace fftconv::detail
