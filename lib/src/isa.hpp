// The inner loops, compiled once per instruction set, and the table that picks one set for this
// CPU. isa_kernels.cpp is built twice: for baseline x86-64 (or whatever the target is) and, on
// x86-64, for AVX2+FMA. Only raw pointers and sizes cross this boundary: every inline template a
// kernel file instantiated would be emitted once per instruction set under one symbol, and the
// linker could keep the AVX2 copy for a CPU without AVX2.
#pragma once

#include <cstddef>

namespace fftconv::detail {

// One output plane of the direct core after its setup: planes of x slide under planes of taps
// and their sums add up, output window [row_offset, row_offset + row_count) x [col_offset,
// col_offset + col_count) of the plane's full result. A 2D convolution has one pair of planes;
// a 3D one, for each output plane, the pairs of input and kernel planes that overlap there.
template <class T>
struct DirectJob {
    const T* const* x;  // `planes` planes of x_rows x x_cols, unit column stride, rows x_row_stride apart
    std::ptrdiff_t x_row_stride, x_rows, x_cols;
    const T* const* taps;  // `planes` contiguous k_rows x k_cols planes, paired with x's in order
    std::ptrdiff_t planes;
    std::ptrdiff_t k_rows, k_cols;
    std::ptrdiff_t row_offset, row_count, col_offset, col_count;
    T* out;
    std::ptrdiff_t out_row_stride, out_col_stride;
    T* acc;               // scratch: min(direct_block, col_count) elements
    bool skip_zero_taps;  // a tap of 0 adds nothing, not 0 · x (NaN for a NaN x): the filters' rule
};

template <class T>
struct Kernels {
    // The direct core's loops; out rows [first_row, last_row) of the window only, so threads can
    // share a job (each with its own acc). Each output is the sum over the plane pairs in order,
    // then over kernel rows, then columns: the same order whatever the split.
    void (*direct)(const DirectJob<T>& job, std::ptrdiff_t first_row, std::ptrdiff_t last_row);
    // dst[c] = Σ_t coef[t] · src[t][c] for 0 <= c < n, terms >= 1; the same sum in the same order
    // for every c. `streaming`: dst will not be read again soon, so it is written past the caches
    // (non-temporal stores, no read-for-ownership: W1 in tests/bench ran 1.36 ms against 1.55).
    // Real T only (null for complex T).
    void (*weighted_sum)(const T* const* src, const T* coef, std::ptrdiff_t terms, T* dst, std::ptrdiff_t n,
                         bool streaming);
    // Two such sums over one source list shifted by one (src has terms + 1 entries):
    // dst0 = Σ coef[t]·src[t], dst1 = Σ coef[t]·src[t + 1]; each equal to weighted_sum's.
    void (*weighted_sum_pair)(const T* const* src, const T* coef, std::ptrdiff_t terms, T* dst0, T* dst1,
                              std::ptrdiff_t n);
    // dst[c] = Σ_j coef[j]·b[c + j], j < k, for a symmetric kernel (coef[j] == coef[k-1-j]):
    // mirrored taps added first, half the multiply-adds.
    void (*symmetric_sum)(const T* b, const T* coef, std::ptrdiff_t k, T* dst, std::ptrdiff_t n, bool streaming);
    // The layer conv's block (nn.hpp): for the `outs` (1 to layer_outs) output channels o,
    // dst[o][c] = init[o] + Σ_t w[t · outs + o] · src[t][c], 0 <= c < n, terms >= 1, the terms
    // added in order; init null means 0. Each src[t] must stay readable up to c < n + layer_slack
    // (the block computes whole vectors and stores only the n values): one load feeds `outs`
    // multiply-adds. Real T only (null for complex T).
    void (*layer_sum)(const T* const* src, const T* w, std::ptrdiff_t terms, std::ptrdiff_t outs, T* const* dst,
                      const T* init, std::ptrdiff_t n);
};

// layer_sum's largest `outs`, and the elements past n it may read (one vector of the widest set).
inline constexpr std::ptrdiff_t layer_outs = 4;
inline constexpr std::ptrdiff_t layer_slack_bytes = 32;

// The kernels for this CPU: AVX2+FMA where the CPU has both and the build made them, else the
// baseline build. FFTCONV_ISA=generic in the environment forces the baseline (for tests).
template <class T>
const Kernels<T>& kernels();

// "avx2+fma" or "generic": which set kernels() chose.
const char* kernels_isa();

namespace isa_generic {
template <class T>
Kernels<T> table();
}
namespace isa_avx2 {
template <class T>
Kernels<T> table();
}

}  // namespace fftconv::detail
