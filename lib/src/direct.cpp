#include "direct.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "instantiate.hpp"
#include "isa.hpp"

namespace fftconv::detail {

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
    std::vector<T> acc(static_cast<std::size_t>(std::min(direct_block, cols.size)));
    const DirectJob<T> job{x.data,      x.row_stride, x.rows,         x.cols,         taps.data(),
                           taps.rows(), taps.cols(),  rows.offset,    rows.size,      cols.offset,
                           cols.size,   out.data,     out.row_stride, out.col_stride, acc.data()};
    kernels<T>().direct(job, 0, rows.size);
}

#define INSTANTIATE(T) \
    template void direct_convolve<T>(ImageView<const T>, ImageView<const T>, Window, Window, ImageView<T>);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
