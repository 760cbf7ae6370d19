// Walking an array of any rank line by line: the last axis is the one the inner loops run along
// (contiguous in row-major arrays), every other axis is an index into the lines.
#pragma once

#include <array>
#include <cstddef>

#include "fftconv/array.hpp"

namespace fftconv::detail {

// The number of lines along the last axis of `shape`: the product of the other extents.
inline std::ptrdiff_t line_count(const Extents& shape) {
    std::ptrdiff_t n = 1;
    for (int a = 0; a + 1 < shape.rank(); ++a) n *= shape[a];
    return n;
}

// The leading index (rank - 1 values) of line `line` in row-major order of the leading axes.
inline std::array<std::ptrdiff_t, max_rank> line_index(const Extents& shape, std::ptrdiff_t line) {
    std::array<std::ptrdiff_t, max_rank> index{};
    for (int a = shape.rank() - 2; a >= 0; --a) {
        index[static_cast<std::size_t>(a)] = line % shape[a];
        line /= shape[a];
    }
    return index;
}

// f(pointer to the line's first element, leading index) for every line of v along its last
// axis, in row-major order; the line's elements are v.strides[last] apart.
template <class T, class F>
void for_each_line(const View<T>& v, F&& f) {
    if (v.empty()) return;
    const int rank = v.rank();
    std::array<std::ptrdiff_t, max_rank> index{};
    T* p = v.data;
    for (;;) {
        f(p, static_cast<const std::ptrdiff_t*>(index.data()));
        int a = rank - 2;
        while (a >= 0) {
            const auto i = static_cast<std::size_t>(a);
            p += v.strides[a];
            if (++index[i] < v.shape[a]) break;
            p -= v.strides[a] * v.shape[a];
            index[i] = 0;
            --a;
        }
        if (a < 0) return;
    }
}

}  // namespace fftconv::detail
