// FFTW behind one door: precision traits, RAII plans and buffers, the planner lock, the plan cache.
// Private to lib/src: this is the only header that includes <fftw3.h>.
#pragma once

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "context.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// FFTW's planner (plan creation and destruction, wisdom) is not thread-safe; fftw_execute* on
// distinct arrays is. Every planner call in fftconv holds this one lock, so threads may convolve
// concurrently while sharing cached plans.
std::mutex& planner_mutex();

// fftw_ / fftwf_ in one place, so the FFT code is written once for both precisions.
template <class R>
struct Fftw;

template <>
struct Fftw<double> {
    using plan = fftw_plan;
    using complex = fftw_complex;
    static plan r2c(int rank, const int* n, double* in, complex* out, unsigned flags) {
        return fftw_plan_dft_r2c(rank, n, in, out, flags);
    }
    static plan c2r(int rank, const int* n, complex* in, double* out, unsigned flags) {
        return fftw_plan_dft_c2r(rank, n, in, out, flags);
    }
    static plan c2c(int rank, const int* n, complex* in, complex* out, int sign, unsigned flags) {
        return fftw_plan_dft(rank, n, in, out, sign, flags);
    }
    static void execute_r2c(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
    static void execute_c2r(plan p, complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
    static void execute_c2c(plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
    static void destroy(plan p) { fftw_destroy_plan(p); }
};

template <>
struct Fftw<float> {
    using plan = fftwf_plan;
    using complex = fftwf_complex;
    static plan r2c(int rank, const int* n, float* in, complex* out, unsigned flags) {
        return fftwf_plan_dft_r2c(rank, n, in, out, flags);
    }
    static plan c2r(int rank, const int* n, complex* in, float* out, unsigned flags) {
        return fftwf_plan_dft_c2r(rank, n, in, out, flags);
    }
    static plan c2c(int rank, const int* n, complex* in, complex* out, int sign, unsigned flags) {
        return fftwf_plan_dft(rank, n, in, out, sign, flags);
    }
    static void execute_r2c(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
    static void execute_c2r(plan p, complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
    static void execute_c2c(plan p, complex* in, complex* out) { fftwf_execute_dft(p, in, out); }
    static void destroy(plan p) { fftwf_destroy_plan(p); }
};

// An fftw_malloc'ed array of n elements: SIMD-aligned as the new-array execute functions require
// (every buffer fftconv hands to FFTW comes from here, so all have the same alignment).
template <class E>
class FftwBuffer {
public:
    FftwBuffer() = default;
    // @throws OutOfMemory  more than `memory` allows, or fftw_malloc failing.
    FftwBuffer(std::size_t n, const MemoryBudget& memory);
    E* get() const { return p_.get(); }
    std::size_t size() const { return n_; }

private:
    struct Free {
        void operator()(E* p) const { fftw_free(p); }
    };
    std::unique_ptr<E, Free> p_;
    std::size_t n_ = 0;
};

// What a plan transforms: real-to-complex forward, complex-to-real inverse, or complex both ways.
enum class Transform { r2c, c2r, c2c_forward, c2c_backward };

// A cached FFTW plan, out-of-place, for arrays from FftwBuffer. Destroyed under the planner lock.
template <class R>
class Plan {
public:
    using fftw_plan_t = typename Fftw<R>::plan;
    explicit Plan(fftw_plan_t p) : p_(p) {}
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;
    ~Plan();
    fftw_plan_t get() const { return p_; }

private:
    fftw_plan_t p_;
};

// The plan for `transform` over the row-major array with dimensions `dims` (rank 1 or 2), from the
// process-wide cache; planned on a miss, with scratch arrays so that measuring never touches
// caller data. A plan made with more effort than asked is reused. The cache keeps the most
// recently used plans; a plan evicted while in use lives on until its last user drops it. The
// context gives the effort, the threads (FFTW's own, for transforms large enough) and the
// memory budget of the scratch arrays.
template <class R>
std::shared_ptr<const Plan<R>> get_plan(Transform transform, const std::vector<int>& dims, const Context& context);

// Whether FFTW's wisdom already holds the plan get_plan would make for these arguments (FFTW_WISDOM_ONLY:
// nothing is measured), for tests of load_wisdom.
template <class R>
bool plan_in_wisdom(Transform transform, const std::vector<int>& dims, const Context& context);

// Number of plans in the cache (both precisions), for tests.
std::size_t cached_plan_count();

// FFTW's sizes for a row-major real transform of `shape` with unit dimensions dropped (a 1xN or
// Nx1 array is a rank-1 transform), and the element count of its r2c half spectrum.
// @throws InvalidArgument  a size beyond FFTW's int.
std::vector<int> squeezed_dims(Shape shape);
std::size_t half_spectrum_size(const std::vector<int>& dims);

// A whole real 2D transform of one fixed shape, forward into the half spectrum and back, with
// FFTW's multi-dimensional plans (the frequency-domain filters and spectra, which need the whole
// spectrum at once; convolutions go through FftCore instead). Plans with the context's effort.
template <class R>
class RealFft {
public:
    using C = std::complex<R>;
    RealFft(Shape shape, const Context& context);
    R* real() { return real_.get(); }
    C* spectrum() { return spectrum_.get(); }
    void forward();
    void inverse();

private:
    std::vector<int> dims_;
    std::shared_ptr<const Plan<R>> forward_, inverse_;
    FftwBuffer<R> real_;
    FftwBuffer<C> spectrum_;
};

}  // namespace fftconv::detail
