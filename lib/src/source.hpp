// The input a transform or a sum reads: an array seen through a window that may reach past its
// edges, where the values come from a Border. A one-shot convolution reads the array itself; a
// tile reads a region of it with the kernel's halo; a same-size filter reads the array extended
// by its border. Each line is filled as it is loaded, so no padded copy is ever made.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "border.hpp"
#include "fftconv/array.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

template <Scalar T>
struct Source {
    View<const T> x;  // the values
    Extents origin;   // x's index of the source's index 0 along each axis (negative: before x)
    Extents extent;   // the source's extents
    Border border = Border::constant;
    T cval{};  // the constant border's value

    // x itself.
    static Source whole(const View<const T>& x) {
        Extents zero = x.shape;
        for (std::ptrdiff_t& n : zero) n = 0;
        return {x, zero, x.shape, Border::constant, T{}};
    }

    int rank() const { return extent.rank(); }

    // x's index of source index i along `axis`, or -1 for the constant.
    std::ptrdiff_t map(int axis, std::ptrdiff_t i) const {
        return border_index(origin[axis] + i, x.shape[axis], border);
    }

    // Whether everything outside x reads as 0.
    bool zero_outside() const { return border == Border::constant && cval == T{}; }

    // The source indices [first, last) along `axis` whose values may differ from 0: those inside
    // x when the outside reads as 0, else all.
    std::pair<std::ptrdiff_t, std::ptrdiff_t> nonzero(int axis) const {
        if (!zero_outside()) return {0, extent[axis]};
        const std::ptrdiff_t first = std::clamp<std::ptrdiff_t>(-origin[axis], 0, extent[axis]);
        const std::ptrdiff_t last = std::clamp<std::ptrdiff_t>(x.shape[axis] - origin[axis], first, extent[axis]);
        return {first, last};
    }

    // The source line at leading indices `lead` (rank - 1 values), along the last axis, into
    // dst[0, extent.last) times `scale`, and zeros on to dst[n).
    void load_line(const std::ptrdiff_t* lead, T* dst, std::ptrdiff_t n, real_t<T> scale) const {
        const int last = rank() - 1;
        const std::ptrdiff_t length = extent[last];
        std::ptrdiff_t offset = 0;
        bool constant_line = false;
        for (int a = 0; a < last; ++a) {
            const std::ptrdiff_t p = map(a, lead[a]);
            if (p < 0) {
                constant_line = true;
                break;
            }
            offset += p * x.strides[a];
        }
        if (constant_line) {
            std::fill(dst, dst + length, cval * scale);
        } else {
            const T* row = x.data + offset;
            const std::ptrdiff_t stride = x.strides[last], nx = x.shape[last], o = origin[last];
            const std::ptrdiff_t first = std::clamp<std::ptrdiff_t>(-o, 0, length);
            const std::ptrdiff_t end = std::clamp<std::ptrdiff_t>(nx - o, first, length);
            const auto outside = [&](std::ptrdiff_t i) {
                const std::ptrdiff_t q = border_index(o + i, nx, border);
                dst[i] = q < 0 ? cval * scale : row[q * stride] * scale;
            };
            for (std::ptrdiff_t i = 0; i < first; ++i) outside(i);
            if (stride == 1) {
                const T* s = row + o;
                for (std::ptrdiff_t i = first; i < end; ++i) dst[i] = s[i] * scale;
            } else {
                for (std::ptrdiff_t i = first; i < end; ++i) dst[i] = row[(o + i) * stride] * scale;
            }
            for (std::ptrdiff_t i = end; i < length; ++i) outside(i);
        }
        std::fill(dst + length, dst + n, T{});
    }
};

}  // namespace fftconv::detail
