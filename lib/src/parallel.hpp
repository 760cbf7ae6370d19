// Splitting independent work across threads: one pool of worker threads for the process, kept
// between calls (starting a thread costs tens of microseconds, more than many calls' work), used
// by fftconv's own loops and by FFTW's threaded plans alike.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <vector>

namespace fftconv::detail {

// Calls task(i) for every i in [0, count), on the calling thread and up to `helpers` pool
// workers at once, and returns when all have returned. The caller takes indices too, so the
// calls finish even when every worker is busy elsewhere (a task may itself call run_parallel).
// Workers are started the first time they are wanted and live until the process exits; a child
// made by fork() starts with none. `task` must not throw (see parallel_for).
void run_parallel(std::ptrdiff_t count, int helpers, void (*task)(void* context, std::ptrdiff_t i), void* context);

// Workers the pool holds now, for tests.
int pool_workers();

// Calls fn(first, last) on contiguous ranges covering [0, n): on up to `threads` threads, and on
// fewer when a range would fall below `min_per_thread` items. The caller's thread takes part.
// The first exception thrown by any range is rethrown here, after every range has finished.
template <class Fn>
void parallel_for(std::ptrdiff_t n, int threads, std::ptrdiff_t min_per_thread, Fn&& fn) {
    const std::ptrdiff_t useful = std::max<std::ptrdiff_t>(1, n / std::max<std::ptrdiff_t>(1, min_per_thread));
    const auto t = static_cast<std::ptrdiff_t>(std::clamp<std::ptrdiff_t>(threads, 1, useful));
    if (t <= 1) {
        fn(std::ptrdiff_t{0}, n);
        return;
    }
    struct Work {
        Fn& fn;
        std::ptrdiff_t n, t;
        std::vector<std::exception_ptr> errors;
    } work{fn, n, t, std::vector<std::exception_ptr>(static_cast<std::size_t>(t))};
    run_parallel(
        t, static_cast<int>(t - 1),
        [](void* context, std::ptrdiff_t i) {
            auto& w = *static_cast<Work*>(context);
            try {
                w.fn(w.n * i / w.t, w.n * (i + 1) / w.t);
            } catch (...) {
                w.errors[static_cast<std::size_t>(i)] = std::current_exception();
            }
        },
        &work);
    for (const auto& e : work.errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace fftconv::detail
