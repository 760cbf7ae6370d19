#include "direct.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

#include "instantiate.hpp"
#include "isa.hpp"
#include "parallel.hpp"

namespace fftconv::detail {

template <Scalar T>
void direct_convolve(const Geometry& g, View<const T> x, View<const T> h, const View<T>& out, int threads,
                     bool skip_zero_taps) {
    // Convolution commutes: slide the larger operand under the smaller one, so the inner loops
    // run long and the copied taps stay small (the full result, and so the window, is the same).
    // Not when zero taps are skipped: the taps must stay the kernel's.
    if (h.size() > x.size() && !skip_zero_taps) std::swap(x, h);
    // The taps contiguous, whatever h's strides: h itself when it is (no allocation for a small
    // call, whose whole work can cost less than one).
    Array<T> tap_copy;
    View<const T> taps = h;
    if (!(h.strides == row_major_strides(h.shape))) {
        tap_copy = Array<T>(h);
        taps = tap_copy.view();
    }
    const int rank = x.rank(), last = rank - 1;
    Array<T> x_copy;
    if (x.strides[last] != 1) {
        x_copy = Array<T>(x);
        x = x_copy.view();
    }
    // The plane: the last two axes (a 1D call is one row); the outer axes pair planes.
    const int outer = std::max(0, rank - 2);
    const std::ptrdiff_t x_rows = rank >= 2 ? x.shape[last - 1] : 1;
    const std::ptrdiff_t k_rows = rank >= 2 ? taps.shape[last - 1] : 1;
    const std::ptrdiff_t x_row_stride = rank >= 2 ? x.strides[last - 1] : 0;
    const std::ptrdiff_t out_rows = rank >= 2 ? out.shape[last - 1] : 1;
    const std::ptrdiff_t out_row_stride = rank >= 2 ? out.strides[last - 1] : 0;
    const Window rows = rank >= 2 ? Window{g.win(last - 1).offset, out_rows} : Window{0, 1};
    const Window cols{g.win(last).offset, out.shape[last]};
    std::ptrdiff_t planes = 1, kernel_planes = 1;
    for (int u = 0; u < outer; ++u) {
        planes *= out.shape[u];
        kernel_planes *= taps.shape[u];
    }
    const Extents tap_strides = row_major_strides(taps.shape);

    parallel_for(planes * out_rows, threads, 16, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        // The scratch on the stack (at most 8 KiB), left unset: the core zeroes what it uses.
        alignas(T) std::byte acc_bytes[direct_block * sizeof(T)];
        T* const acc = std::launder(reinterpret_cast<T*>(acc_bytes));
        // The plane pairs: on the stack up to a kernel of 64 planes (along the outer axes).
        std::array<const T*, 64> x_small, tap_small;
        std::vector<const T*> x_large, tap_large;
        const T** x_planes = x_small.data();
        const T** tap_planes = tap_small.data();
        if (kernel_planes > 64) {
            x_large.resize(static_cast<std::size_t>(kernel_planes));
            tap_large.resize(static_cast<std::size_t>(kernel_planes));
            x_planes = x_large.data();
            tap_planes = tap_large.data();
        }
        for (std::ptrdiff_t item = first; item < end;) {
            const std::ptrdiff_t plane = item / out_rows, row = item % out_rows;
            const std::ptrdiff_t row_end = std::min(out_rows, row + (end - item));
            // The plane's output index along the outer axes, and the (input, kernel) plane pairs
            // that overlap there: input index = window offset + output index - kernel index.
            std::array<std::ptrdiff_t, max_rank> o{};
            std::ptrdiff_t rest = plane, out_offset = 0;
            for (int u = outer - 1; u >= 0; --u) {
                const auto i = static_cast<std::size_t>(u);
                o[i] = rest % out.shape[u];
                rest /= out.shape[u];
                out_offset += o[i] * out.strides[u];
            }
            std::ptrdiff_t pairs = 0;
            for (std::ptrdiff_t kp = 0; kp < kernel_planes; ++kp) {
                std::ptrdiff_t krest = kp, x_offset = 0, k_offset = 0;
                bool inside = true;
                for (int u = outer - 1; u >= 0; --u) {
                    const std::ptrdiff_t j = krest % taps.shape[u];
                    krest /= taps.shape[u];
                    const std::ptrdiff_t in = g.win(u).offset + o[static_cast<std::size_t>(u)] - j;
                    inside = inside && in >= 0 && in < x.shape[u];
                    x_offset += in * x.strides[u];
                    k_offset += j * tap_strides[u];
                }
                if (!inside) continue;
                x_planes[pairs] = x.data + x_offset;
                tap_planes[pairs++] = taps.data + k_offset;
            }
            T* out_plane = out.data + out_offset;
            if (pairs == 0) {
                for (std::ptrdiff_t r = row; r < row_end; ++r)
                    for (std::ptrdiff_t c = 0; c < cols.size; ++c)
                        out_plane[r * out_row_stride + c * out.strides[last]] = T{};
            } else {
                const DirectJob<T> job{
                    x_planes,        x_row_stride,       x_rows,
                    x.shape[last],   tap_planes,         pairs,
                    k_rows,          taps.shape[last], rows.offset,
                    rows.size,       cols.offset,        cols.size,
                    out_plane,       out_row_stride,     out.strides[last],
                    acc,             skip_zero_taps};
                kernels<T>().direct(job, row, row_end);
            }
            item += row_end - row;
        }
    });
}

#define INSTANTIATE(T) \
    template void direct_convolve<T>(const Geometry&, View<const T>, View<const T>, const View<T>&, int, bool);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
