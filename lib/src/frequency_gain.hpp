// The frequency-domain filters' gains H (FilterShape) and the padding they transform at: one
// definition for lowpass / highpass in memory, their spatial-kernel reference, transfer_function
// and the distributed filter, so that all agree to the last bit on which frequencies an ideal
// filter keeps.
#pragma once

#include <cmath>
#include <complex>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "fftconv/filters.hpp"
#include "fftconv/types.hpp"
#include "transform_size.hpp"

namespace fftconv::detail {

// Frequency index i of an n-point DFT as a fraction of the Nyquist frequency: i/(n/2) for the
// non-negative half, (i - n)/(n/2) for the negative half; 0 for n == 1.
inline double nyquist_fraction(std::ptrdiff_t i, std::ptrdiff_t n) {
    if (n < 2) return 0.0;
    const std::ptrdiff_t k = i <= n / 2 ? i : i - n;
    return static_cast<double>(k) / (static_cast<double>(n) / 2.0);
}

// H over a grid of frequencies, one row at a time. The gain depends on ρ² = u² + v² only, so a
// row costs a few multiplies per entry: per-entry hypot and exp cost more than the FFTs of a
// 2048x2048 image. The FFT path, its spatial-kernel reference and transfer_function all use this
// one definition, so they agree to the last bit on which frequencies an ideal filter keeps.
class Gain {
public:
    // v2: v² for each column of the grid.
    Gain(std::vector<double> v2, double cutoff, FilterShape shape, int order, bool high)
        : v2_(std::move(v2)), c2_(cutoff * cutoff), shape_(shape), order_(order), high_(high) {
        if (shape_ == FilterShape::gaussian)  // exp(-ρ²/2ρ0²) = exp(-u²/2ρ0²)·exp(-v²/2ρ0²)
            for (double v2c : v2_) ev_.push_back(std::exp(-v2c / (2 * c2_)));
    }

    // out[c] = scale · H(u², v2[c]) for every column.
    template <class T>
    void row(double u2, double scale, T* out) const {
        const double eu = shape_ == FilterShape::gaussian ? std::exp(-u2 / (2 * c2_)) : 0.0;
        for (std::size_t c = 0; c < v2_.size(); ++c) out[c] = static_cast<T>(scale * h(u2, eu, c));
    }

    // s[c] *= scale · H(u², v2[c]) for every column: the same gains, multiplied in place. H
    // depends on u² + v² alone, so a Gain made with the rows' squares gives a column's gains.
    template <class T>
    void multiply(double u2, double scale, std::complex<T>* s) const {
        const double eu = shape_ == FilterShape::gaussian ? std::exp(-u2 / (2 * c2_)) : 0.0;
        for (std::size_t c = 0; c < v2_.size(); ++c) s[c] *= static_cast<T>(scale * h(u2, eu, c));
    }

private:
    // H at (u², v2[c]), eu = exp(-u²/2ρ0²) for the Gaussian.
    double h(double u2, double eu, std::size_t c) const {
        const double rho2 = u2 + v2_[c];
        double g = 0;
        switch (shape_) {
            case FilterShape::ideal: g = rho2 <= c2_ ? 1.0 : 0.0; break;
            case FilterShape::gaussian: g = eu * ev_[c]; break;
            case FilterShape::butterworth: {
                const double q = rho2 / c2_;  // (ρ/ρ0)^(2·order) = q^order
                double p = 1;
                for (int i = 0; i < order_; ++i) p *= q;
                g = 1.0 / (1.0 + p);
                break;
            }
        }
        return high_ ? 1.0 - g : g;
    }

    std::vector<double> v2_, ev_;
    double c2_;
    FilterShape shape_;
    int order_;
    bool high_;
};

inline void check_filter(const char* fn, double cutoff, FilterShape shape, int order) {
    if (!(cutoff > 0) || !std::isfinite(cutoff))
        throw InvalidArgument(std::string(fn) +
                              ": cutoff must be positive (a fraction of the Nyquist frequency), got " +
                              std::to_string(cutoff));
    if (shape != FilterShape::ideal && shape != FilterShape::gaussian && shape != FilterShape::butterworth)
        throw InvalidArgument(std::string(fn) + ": shape " + std::to_string(static_cast<int>(shape)) +
                              " is not one of ideal, gaussian, butterworth");
    if (order < 1) throw InvalidArgument(std::string(fn) + ": order must be at least 1, got " + std::to_string(order));
}

// The half spectrum's squared frequencies (fractions of Nyquist): u² per row, v² per column.
inline std::vector<double> squared_fractions(std::ptrdiff_t count, std::ptrdiff_t n) {
    std::vector<double> out(static_cast<std::size_t>(count));
    for (std::ptrdiff_t i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = std::pow(nyquist_fraction(i, n), 2);
    return out;
}

// The padding of a frequency-domain filter along an axis of n samples: at least half the image
// on each side, to the length FFTW transforms fastest (best_fast_length; `even` for the real
// transform's last axis), so that the periodic transform does not bleed one edge into the other;
// none for a wrap border (the plain periodic filter).
inline std::ptrdiff_t frequency_filter_padding(std::ptrdiff_t n, bool even, Border border, PlannerEffort effort) {
    return border == Border::wrap ? 0 : best_fast_length(n + 2 * (n / 2), even, effort) - n;
}

}  // namespace fftconv::detail
