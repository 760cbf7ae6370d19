// The FFT core: cyclic convolution by FFTW at a padded size where nothing wraps into the kept window.
#pragma once

#include <complex>
#include <memory>
#include <vector>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"
#include "fftw.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// Smallest 2^a·3^b·5^c·7^d >= n. FFTW has hard-coded codelets for these radices, so such a size
// transforms at close to power-of-two speed while padding far less than the next power of two
// (2100 instead of 4096).
std::ptrdiff_t next_fast_length(std::ptrdiff_t n);

// The smallest even fast length >= n (1 for n <= 1).
std::ptrdiff_t next_fast_even_length(std::ptrdiff_t n);

// The transform size for a call: per dimension the smallest fast length that holds both operands
// and lets nothing wrap into the kept window (wrap_free_length); for a real transform (`real`)
// the last dimension's length is even.
Shape fft_shape(const Geometry& g, bool real);

// FFTW's rank and sizes for a row-major transform of `padded`: unit dimensions dropped, so a
// 1xN or Nx1 array is a rank-1 transform.  @throws Error  a size beyond FFTW's int.
std::vector<int> fft_dims(Shape padded);

// Elements in the r2c half-spectrum of a real transform with these dims.
std::size_t half_spectrum_size(const std::vector<int>& dims);

// Holds the kernel's spectrum for inputs of shape g.a and applies it: pad, forward FFT, multiply,
// inverse FFT, read the window. Real T uses r2c/c2r (half the work), complex T uses c2c.
template <Scalar T>
class FftCore {
public:
    // Plans (through the cache) and transforms `kernel` (shape g.b) once.
    FftCore(const Geometry& g, ImageView<const T> kernel, PlannerEffort effort);

    // out = window of (input ⊛ kernel); input has shape g.a, out has g.out(), any strides.
    void apply(ImageView<const T> input, ImageView<T> out);

    Shape padded() const { return padded_; }

private:
    using R = real_t<T>;
    using C = std::complex<R>;

    // Zero-pads src into buf_ and transforms it into `spectrum`.
    void forward(ImageView<const T> src, C* spectrum);

    Geometry g_;
    Shape padded_;
    std::vector<int> dims_;  // padded_ with unit dimensions dropped: FFTW's rank and sizes
    std::size_t spectrum_size_ = 0;
    std::shared_ptr<const Plan<R>> forward_plan_, inverse_plan_;
    FftwBuffer<T> buf_;
    FftwBuffer<C> spectrum_, kernel_spectrum_;
};

// The 1D FFT path: overlap-save in blocks of `block` points (the cost model's overlap_save_block),
// each giving block − k + 1 outputs with the kernel transformed once; or FftCore when block is 0.
template <Scalar T>
void fft_convolve_1d(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, std::ptrdiff_t block,
                     PlannerEffort effort, ImageView<T> out);

}  // namespace fftconv::detail
