#include "tiles.hpp"

#include <cmath>

#include "instantiate.hpp"

namespace fftconv::detail {

Geometry tile_geometry(const Geometry& core, const Extents& tile) {
    Extents source = tile;
    std::array<Window, max_rank> window{};
    for (int a = 0; a < core.rank(); ++a) {
        source[a] = tile[a] + core.b[a] - 1;
        window[static_cast<std::size_t>(a)] = {core.b[a] - 1, tile[a]};
    }
    return window_geometry(source, core.b, window);
}

double tile_count(const Geometry& core, const Extents& tile) {
    double n = 1;
    for (int a = 0; a < core.rank(); ++a)
        n *= std::ceil(static_cast<double>(core.out[a]) / static_cast<double>(tile[a]));
    return n;
}

template <Scalar T>
Tiles<T>::Tiles(const Geometry& core, const Extents& tile, std::span<const View<const T>> kernels,
                const Context& context)
    : core_(core), tile_(tile), fft_(tile_geometry(core, tile), kernels, context) {}

template <Scalar T>
void Tiles<T>::apply(const Source<T>& source, const View<T>& out, int source_exponent, std::size_t kernel) {
    const int rank = core_.rank();
    std::array<std::ptrdiff_t, max_rank> count{};
    std::ptrdiff_t tiles = 1;
    for (int a = 0; a < rank; ++a) {
        count[static_cast<std::size_t>(a)] = (out.shape[a] + tile_[a] - 1) / tile_[a];
        tiles *= count[static_cast<std::size_t>(a)];
    }
    for (std::ptrdiff_t t = 0; t < tiles; ++t) {
        // The tile's first output along each axis, its part of out, and its part of the source:
        // from k - 1 before its first full-result index.
        Source<T> part = source;
        View<T> dst = out;
        std::ptrdiff_t rest = t;
        for (int a = rank - 1; a >= 0; --a) {
            const std::ptrdiff_t i = rest % count[static_cast<std::size_t>(a)];
            rest /= count[static_cast<std::size_t>(a)];
            const std::ptrdiff_t first = i * tile_[a];
            dst.data += first * out.strides[a];
            dst.shape[a] = std::min(tile_[a], out.shape[a] - first);
            part.origin[a] = source.origin[a] + core_.win(a).offset + first - (core_.b[a] - 1);
            part.extent[a] = tile_[a] + core_.b[a] - 1;
        }
        fft_.apply(part, dst, source_exponent, kernel);
    }
}

#define INSTANTIATE(T) template class Tiles<T>;
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
