#include "border.hpp"

#include <string>

namespace fftconv::detail {

std::ptrdiff_t border_index(std::ptrdiff_t p, std::ptrdiff_t n, Border border) {
    if (p >= 0 && p < n) return p;
    switch (border) {
        case Border::constant: return -1;
        case Border::replicate: return p < 0 ? 0 : n - 1;
        case Border::wrap: return ((p % n) + n) % n;
        case Border::reflect:
        case Border::reflect101: {
            if (n == 1) return 0;
            // reflect repeats the edge element (cba|abc), reflect101 does not (cb|abc): a period of
            // 2n or 2n - 2 folded back onto 0..n-1.
            const std::ptrdiff_t edge = border == Border::reflect101 ? 1 : 0;
            const std::ptrdiff_t period = 2 * n - 2 * edge;
            const std::ptrdiff_t q = ((p % period) + period) % period;
            return q < n ? q : period - q - (1 - edge);
        }
    }
    return -1;
}

void check_border(const char* fn, Border border) {
    switch (border) {
        case Border::constant:
        case Border::replicate:
        case Border::reflect:
        case Border::reflect101:
        case Border::wrap: return;
    }
    throw InvalidArgument(std::string(fn) + ": border " + std::to_string(static_cast<int>(border)) +
                          " is not one of constant, replicate, reflect, reflect101, wrap");
}

}  // namespace fftconv::detail
