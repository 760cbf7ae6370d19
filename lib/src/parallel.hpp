// Splitting independent rows of work across threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace fftconv::detail {

// Calls fn(first, last) on contiguous ranges covering [0, n): on up to `threads` threads, and on
// fewer when a range would fall below `min_per_thread` items (a thread costs tens of
// microseconds to start). The caller's thread takes the first range. The first exception thrown
// by any range is rethrown here, after every thread has finished.
template <class Fn>
void parallel_for(std::ptrdiff_t n, int threads, std::ptrdiff_t min_per_thread, Fn&& fn) {
    const std::ptrdiff_t useful = std::max<std::ptrdiff_t>(1, n / std::max<std::ptrdiff_t>(1, min_per_thread));
    const auto t = static_cast<std::ptrdiff_t>(std::clamp<std::ptrdiff_t>(threads, 1, useful));
    if (t <= 1) {
        fn(std::ptrdiff_t{0}, n);
        return;
    }
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(t));
    const auto run = [&](std::ptrdiff_t i) {
        try {
            fn(n * i / t, n * (i + 1) / t);
        } catch (...) {
            errors[static_cast<std::size_t>(i)] = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> pool;
        pool.reserve(static_cast<std::size_t>(t - 1));
        for (std::ptrdiff_t i = 1; i < t; ++i) pool.emplace_back(run, i);
        run(0);
    }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace fftconv::detail
