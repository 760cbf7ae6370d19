// The pointwise product of two half spectra: the one loop the raw FFTW bounds of bench.cpp and
// volume_once.cpp run between their transforms, written once.
#pragma once

#include <cstddef>

// s[i] *= k[i] for n complex values stored interleaved (real, imaginary), as FFTW lays them out.
template <class R>
inline void multiply_spectrum(R* __restrict s, const R* __restrict k, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const R sr = s[2 * i], si = s[2 * i + 1];
        s[2 * i] = sr * k[2 * i] - si * k[2 * i + 1];
        s[2 * i + 1] = sr * k[2 * i + 1] + si * k[2 * i];
    }
}
