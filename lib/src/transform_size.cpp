#include "transform_size.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

namespace fftconv::detail {

namespace {

// n <= max_fast_length: the power of two at or above it is at most 2^60, so the searches' products
// (a 7-smooth number below that, times 2, 3, 5 or 7) stay below 2^63.
void check_fast_length(std::ptrdiff_t n) {
    if (n > max_fast_length)
        throw InvalidArgument("fft: a transform of " + std::to_string(n) +
                              " points is longer than the longest fftconv sizes (" + std::to_string(max_fast_length) +
                              ")");
}

}  // namespace

std::ptrdiff_t next_fast_length(std::ptrdiff_t n) {
    if (n <= 1) return 1;
    check_fast_length(n);
    std::ptrdiff_t best = 1;
    while (best < n) best *= 2;
    for (std::ptrdiff_t p7 = 1; p7 < best; p7 *= 7)
        for (std::ptrdiff_t p5 = p7; p5 < best; p5 *= 5)
            for (std::ptrdiff_t p3 = p5; p3 < best; p3 *= 3) {
                std::ptrdiff_t p = p3;
                while (p < n) p *= 2;
                best = std::min(best, p);
            }
    return best;
}

std::ptrdiff_t next_fast_even_length(std::ptrdiff_t n) {
    if (n <= 1) return 1;
    check_fast_length(n);
    return 2 * next_fast_length((n + 1) / 2);
}

double length_weight(std::ptrdiff_t n, PlannerEffort effort) {
    int twos = 0;
    for (; n > 1 && n % 2 == 0; n /= 2) ++twos;
    const bool estimate = effort == PlannerEffort::estimate;
    if (twos == 0) return estimate ? 1.2 : 2.0;
    if (twos <= 2) return estimate ? 1.1 : 1.6;
    return 1.0;
}

namespace {

std::ptrdiff_t search_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort) {
    std::ptrdiff_t limit = 1;
    while (limit < n) limit *= 2;
    // Every 7-smooth length in [n, limit] in one pass: odd parts 3^b·5^c·7^d, each times the
    // powers of two that land in the range. (This runs on every call's cost estimate, so it
    // stays one pass, not a search over next_fast_length.)
    std::ptrdiff_t best = limit;
    double best_cost = 0;
    const auto consider = [&](std::ptrdiff_t m) {
        const double x = static_cast<double>(m);
        const double c = x * std::log2(x) * length_weight(m, effort);
        if (best_cost == 0 || c < best_cost || (c == best_cost && m < best)) best = m, best_cost = c;
    };
    for (std::ptrdiff_t p7 = 1; p7 <= limit; p7 *= 7)
        for (std::ptrdiff_t p5 = p7; p5 <= limit; p5 *= 5)
            for (std::ptrdiff_t p3 = p5; p3 <= limit; p3 *= 3) {
                std::ptrdiff_t m = p3;
                while (m < n) m *= 2;
                for (; m <= limit; m *= 2)
                    if (!even || m % 2 == 0) consider(m);
            }
    return best;
}

}  // namespace

std::ptrdiff_t best_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort) {
    check_fast_length(n);
    if (n <= 16) return even ? next_fast_even_length(n) : next_fast_length(n);  // nothing to choose
    if ((n & (n - 1)) == 0) return n;  // the search's range [n, next power of two] holds n alone
    // The search takes ~1 µs, and Method::automatic sizes the transform on every call: the last
    // few answers are kept per thread (a program convolves the same shapes again and again).
    struct Entry {
        std::ptrdiff_t n = 0, length = 0;
        bool even = false;
        PlannerEffort effort{};
    };
    thread_local std::array<Entry, 16> recent;
    // Slots by a multiplicative hash: n itself would put every power-of-two multiple in one slot.
    const std::size_t slot =
        static_cast<std::size_t>((static_cast<std::uint64_t>(n) * 2 + even) * 0x9E3779B97F4A7C15ull >> 60);
    Entry& e = recent[slot];
    if (e.n != n || e.even != even || e.effort != effort) e = {n, search_fast_length(n, even, effort), even, effort};
    return e.length;
}

Extents fft_shape(const Geometry& g, bool real, PlannerEffort effort) {
    // Holding both operands matters only when the kernel outgrows the window's needs (a short
    // input in Mode::same with a long kernel); it keeps the padding a plain copy.
    Extents padded = g.a;
    const int last = g.rank() - 1;
    for (int a = 0; a <= last; ++a) {
        const std::ptrdiff_t need = std::max({wrap_free_length(g.full[a], g.win(a)), g.a[a], g.b[a]});
        // A real transform halves along its last axis, and FFTW does that step as a half-length
        // complex transform only for even lengths: odd ones measured ~2x slower (2187 = 3^7
        // against 2240, float r2c). An axis of 1 stays 1.
        padded[a] = need == 1 ? 1 : best_fast_length(need, real && a == last, effort);
    }
    return padded;
}

std::vector<int> fft_dims(const Extents& padded) {
    std::vector<int> dims;
    for (std::ptrdiff_t n : padded) {
        if (n > INT_MAX)
            throw InvalidArgument("fft: transform size " + to_string(padded) + " exceeds FFTW's int dimensions");
        dims.push_back(static_cast<int>(n));
    }
    return dims;
}

}  // namespace fftconv::detail
