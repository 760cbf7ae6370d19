// What calibrate() times its calls with, shared with tests/bench/calibrate's sweep: the median of
// repeated calls, and random operands of any element type.
#pragma once

#include <functional>
#include <random>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// Median seconds of fn() over runs filling `fill` seconds (3 to 200 runs), after one warm-up.
double median_seconds(const std::function<void()>& fn, double fill);

// An image of values uniform in [-1, 1) (both parts, for complex T) from rng.
template <class T>
Image<T> random_image(Shape s, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    Image<T> img(s);
    for (T& v : img.values()) {
        if constexpr (is_complex_v<T>)
            v = T(static_cast<real_t<T>>(u(rng)), static_cast<real_t<T>>(u(rng)));
        else
            v = static_cast<T>(u(rng));
    }
    return img;
}

}  // namespace fftconv::detail
