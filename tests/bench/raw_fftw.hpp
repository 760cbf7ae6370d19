// Raw FFTW written straight against its API, the bound every FFT convolution is measured against:
// a typed face over FFTW's double and float interfaces, and one r2c/c2r buffer pair. bench.cpp
// and once.cpp build their bounds from these.
#pragma once

#include <fftw3.h>

#include <algorithm>
#include <complex>
#include <cstddef>

#include "fftconv/image.hpp"
#include "spectrum_product.hpp"

template <class R>
struct Raw;
template <>
struct Raw<double> {
    using plan = fftw_plan;
    using cpx = fftw_complex;
    static void* alloc(std::size_t bytes) { return fftw_malloc(bytes); }
    static void free(void* p) { fftw_free(p); }
    static plan r2c(int rank, const int* n, double* i, cpx* o, unsigned f) {
        return fftw_plan_dft_r2c(rank, n, i, o, f);
    }
    static plan c2r(int rank, const int* n, cpx* i, double* o, unsigned f) {
        return fftw_plan_dft_c2r(rank, n, i, o, f);
    }
    static void run(plan p) { fftw_execute(p); }
    static void destroy(plan p) { fftw_destroy_plan(p); }
    static void forget() { fftw_forget_wisdom(); }
};
template <>
struct Raw<float> {
    using plan = fftwf_plan;
    using cpx = fftwf_complex;
    static void* alloc(std::size_t bytes) { return fftwf_malloc(bytes); }
    static void free(void* p) { fftwf_free(p); }
    static plan r2c(int rank, const int* n, float* i, cpx* o, unsigned f) {
        return fftwf_plan_dft_r2c(rank, n, i, o, f);
    }
    static plan c2r(int rank, const int* n, cpx* i, float* o, unsigned f) {
        return fftwf_plan_dft_c2r(rank, n, i, o, f);
    }
    static void run(plan p) { fftwf_execute(p); }
    static void destroy(plan p) { fftwf_destroy_plan(p); }
    static void forget() { fftwf_forget_wisdom(); }
};

// r2c → (optional product with a fixed spectrum) → c2r on a rows x cols real array, in place in
// one FFTW buffer pair. `load` fills the real array before each run.
template <class R>
class RawFft {
public:
    using F = Raw<R>;
    RawFft(std::ptrdiff_t rows, std::ptrdiff_t cols, unsigned flags) : rows_(rows), cols_(cols) {
        half_ = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols / 2 + 1);
        real_ = static_cast<R*>(F::alloc(sizeof(R) * static_cast<std::size_t>(rows * cols)));
        spec_ = static_cast<typename F::cpx*>(F::alloc(sizeof(typename F::cpx) * half_));
        int dims[2] = {static_cast<int>(rows), static_cast<int>(cols)};
        const int rank = rows > 1 ? 2 : 1;
        const int* d = rows > 1 ? dims : dims + 1;
        fwd_ = F::r2c(rank, d, real_, spec_, flags | FFTW_DESTROY_INPUT);
        inv_ = F::c2r(rank, d, spec_, real_, flags | FFTW_DESTROY_INPUT);
        std::fill_n(real_, rows * cols, R(0));
    }
    RawFft(const RawFft&) = delete;
    RawFft& operator=(const RawFft&) = delete;
    ~RawFft() {
        F::destroy(fwd_);
        F::destroy(inv_);
        F::free(real_);
        F::free(spec_);
    }
    R* real() { return real_; }
    std::complex<R>* spectrum() { return reinterpret_cast<std::complex<R>*>(spec_); }
    std::size_t half() const { return half_; }
    std::ptrdiff_t rows() const { return rows_; }
    std::ptrdiff_t cols() const { return cols_; }
    void forward() { F::run(fwd_); }
    void inverse() { F::run(inv_); }

    // Zero-padded copy of `src` into the top-left corner (the padding stays zero between runs
    // only if nothing else is written there; c2r overwrites it, so re-zero).
    void load(fftconv::ImageView<const R> src) {
        for (std::ptrdiff_t r = 0; r < rows_; ++r) {
            R* row = real_ + r * cols_;
            if (r < src.rows) {
                std::copy_n(&src(r, 0), src.cols, row);
                std::fill(row + src.cols, row + cols_, R(0));
            } else {
                std::fill_n(row, cols_, R(0));
            }
        }
    }
    void multiply(const std::complex<R>* k) {
        multiply_spectrum(reinterpret_cast<R*>(spec_), reinterpret_cast<const R*>(k), half_);
    }

private:
    std::ptrdiff_t rows_, cols_;
    std::size_t half_ = 0;
    R* real_ = nullptr;
    typename F::cpx* spec_ = nullptr;
    typename F::plan fwd_{}, inv_{};
};
