// The stages every entry point shares, in order: check the views, work out the geometry, resolve
// the method, shape the kernel (correlate), then hand over to one of the two cores.
#pragma once

#include <string>

#include "cost_model.hpp"
#include "direct.hpp"
#include "fft_core.hpp"
#include "fftconv/image.hpp"
#include "fftconv/settings.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"

namespace fftconv::detail {

// Stages 1-2: both views checked, the geometry of the call.
template <Scalar T>
Geometry checked_geometry(const Names& names, ImageView<const T> a, ImageView<const T> b, Mode mode) {
    check_view(names, names.a, a.data, a.shape());
    check_view(names, names.b, b.data, b.shape());
    return make_geometry(names, a.shape(), b.shape(), mode);
}

// Stage 3: automatic becomes direct or fft; anything else outside the enum is an Error.
inline Method resolve_method(const Names& names, Method method, const Geometry& g, ElementType type, int transforms) {
    switch (method) {
        case Method::automatic: return cheaper_method(g, type, transforms);
        case Method::direct:
        case Method::fft: return method;
    }
    throw Error(std::string(names.fn) + ": method " + std::to_string(static_cast<int>(method)) +
                " is not one of automatic, direct, fft");
}

// Stage 4: the kernel the convolution core sees. correlate(a, b) == convolve(a, conj(reverse(b))):
// for real data the reversal is a view with negated strides; complex data needs a conjugated
// copy, kept in `storage`.
template <Scalar T>
ImageView<const T> core_kernel(ImageView<const T> b, bool correlate, Image<T>& storage) {
    if (!correlate) return b;
    if constexpr (is_complex_v<T>) {
        storage = Image<T>(b.flipped());
        for (T& v : storage.values()) v = std::conj(v);
        return storage.view();
    } else {
        return b.flipped();
    }
}

// Stage 5, one-shot: out = the window of a ⊛ kernel by the chosen core.
template <Scalar T>
void run_core(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, Method method, ImageView<T> out) {
    if (method == Method::direct)
        direct_convolve(a, kernel, g.rows, g.cols, out);
    else if (g.a.rows == 1 && g.b.rows == 1)
        fft_convolve_1d(g, a, kernel, overlap_save_block(g, element_type_v<T>), planner_effort(), out);
    else
        FftCore<T>(g, kernel, planner_effort()).apply(a, out);
}

}  // namespace fftconv::detail
