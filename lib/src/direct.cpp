#include "direct.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "instantiate.hpp"

namespace fftconv::detail {

namespace {

// acc[i] += h * x[i]: the one loop the direct core spends its time in. Written so that g++ -O2/-O3
// vectorizes it (no aliasing, unit stride, no reduction across i).
template <class T>
inline void axpy(T* __restrict acc, const T* __restrict x, T h, std::ptrdiff_t n) {
    for (std::ptrdiff_t i = 0; i < n; ++i) acc[i] += h * x[i];
}

// std::complex's operator* guards against NaN/Inf with a library call that blocks vectorization;
// the textbook product is what the FFT path computes too.
template <class R>
inline void axpy(std::complex<R>* __restrict acc, const std::complex<R>* __restrict x, std::complex<R> h,
                 std::ptrdiff_t n) {
    R* __restrict a = reinterpret_cast<R*>(acc);
    const R* __restrict v = reinterpret_cast<const R*>(x);
    const R hr = h.real(), hi = h.imag();
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const R vr = v[2 * i], vi = v[2 * i + 1];
        a[2 * i] += hr * vr - hi * vi;
        a[2 * i + 1] += hr * vi + hi * vr;
    }
}

}  // namespace

template <Scalar T>
void direct_convolve(ImageView<const T> x, ImageView<const T> h, Window rows, Window cols, ImageView<T> out) {
    // Convolution commutes: slide the larger operand under the smaller one, so the inner loops
    // run long and the copied taps stay small.
    if (h.size() > x.size()) std::swap(x, h);
    const Image<T> taps(h);  // contiguous, whatever h's strides
    Image<T> x_copy;
    if (x.col_stride != 1) {
        x_copy = Image<T>(x);
        x = x_copy.view();
    }
    const std::ptrdiff_t n_r = x.rows, n_c = x.cols, k_r = taps.rows(), k_c = taps.cols();
    std::vector<T> acc(static_cast<std::size_t>(std::min(direct_block, cols.size)));

    for (std::ptrdiff_t r = 0; r < rows.size; ++r) {
        const std::ptrdiff_t R = rows.offset + r;  // row in the full result
        const std::ptrdiff_t p_lo = std::max<std::ptrdiff_t>(0, R - (n_r - 1)), p_hi = std::min(k_r - 1, R);
        for (std::ptrdiff_t c0 = 0; c0 < cols.size; c0 += direct_block) {
            const std::ptrdiff_t len = std::min(direct_block, cols.size - c0);
            const std::ptrdiff_t C0 = cols.offset + c0;  // full-result column of acc[0]
            std::fill_n(acc.begin(), len, T{});
            for (std::ptrdiff_t p = p_lo; p <= p_hi; ++p) {
                const T* xrow = x.data + (R - p) * x.row_stride;
                const T* hrow = taps.data() + p * k_c;
                // acc[i] += h[q] * x[C0 + i - q] wherever 0 <= C0 + i - q < n_c.
                const std::ptrdiff_t q_lo = std::max<std::ptrdiff_t>(0, C0 - (n_c - 1));
                const std::ptrdiff_t q_hi = std::min(k_c - 1, C0 + len - 1);
                for (std::ptrdiff_t q = q_lo; q <= q_hi; ++q) {
                    const std::ptrdiff_t i_lo = std::max<std::ptrdiff_t>(0, q - C0);
                    const std::ptrdiff_t i_hi = std::min(len, q - C0 + n_c);
                    axpy(acc.data() + i_lo, xrow + (C0 + i_lo - q), hrow[q], i_hi - i_lo);
                }
            }
            for (std::ptrdiff_t i = 0; i < len; ++i) out(r, c0 + i) = acc[static_cast<std::size_t>(i)];
        }
    }
}

#define INSTANTIATE(T) \
    template void direct_convolve<T>(ImageView<const T>, ImageView<const T>, Window, Window, ImageView<T>);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
