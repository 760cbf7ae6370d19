// What the benchmarks that time single calls share: one call's time with the page faults it
// took (getrusage: a minor fault is one first-touched 4 KiB page), and random operands from a
// fixed seed (uniform in [-1, 1)).
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <random>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"

struct CallSample {
    double seconds;
    long minflt, majflt;
};

template <class F>
CallSample measure_call(F&& fn) {
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    getrusage(RUSAGE_SELF, &after);
    return {s, after.ru_minflt - before.ru_minflt, after.ru_majflt - before.ru_majflt};
}

template <class T>
fftconv::Image<T> random_image(std::ptrdiff_t rows, std::ptrdiff_t cols, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    fftconv::Image<T> img(rows, cols);
    for (T& v : img.values()) v = static_cast<T>(u(rng));
    return img;
}

template <class T>
fftconv::Array<T> random_array(const fftconv::Extents& shape, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    fftconv::Array<T> a(shape);
    for (T& v : a.values()) v = static_cast<T>(u(rng));
    return a;
}
