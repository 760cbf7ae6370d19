// Overlap-save at any rank: the output window cut into tiles, each computed by one transform of
// the tile plus the kernel's halo against kernel spectra made once. For long signals and large
// arrays with small kernels this is cheaper than one transform of everything, and it bounds the
// memory a transform needs whatever the array's size.
#pragma once

#include <span>

#include "fft_core.hpp"
#include "fftconv/array.hpp"
#include "geometry.hpp"
#include "source.hpp"

namespace fftconv::detail {

// The core geometry of one tile of `core` with `tile` outputs per axis: the tile's part of the
// source (tile + k - 1 along each axis) convolved with the kernel, keeping its valid part.
Geometry tile_geometry(const Geometry& core, const Extents& tile);

// How many tiles of `tile` cover core's window: the product of ceil(out / tile) per axis.
double tile_count(const Geometry& core, const Extents& tile);

template <Scalar T>
class Tiles {
public:
    // Plans and transforms `kernels` (extents core.b, finite values) once, for tiles of `tile`
    // outputs per axis (at most the window's size along each).
    Tiles(const Geometry& core, const Extents& tile, std::span<const View<const T>> kernels, const Context& context);

    // out = the window of (source ⊛ kernels[kernel]), as FftCore::apply, tile by tile. Every tile
    // is scaled by the whole source's power of two (`source_exponent`).
    void apply(const Source<T>& source, const View<T>& out, int source_exponent, std::size_t kernel = 0);

private:
    Geometry core_;
    Extents tile_;
    FftCore<T> fft_;
};

}  // namespace fftconv::detail
