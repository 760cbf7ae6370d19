// The thread pool (lib/src/parallel.*): every index runs once, the workers are kept between calls
// (no thread is started per call), FFTW's threaded plans run on the same workers, nested and
// concurrent calls finish, exceptions come back to the caller, and a child made by fork() runs
// threaded calls too. scripts/test.sh also runs this suite under ThreadSanitizer.
#include <doctest/doctest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "parallel.hpp"  // white-box: parallel_for, pool_workers

#if defined(__SANITIZE_THREAD__)
#define FFTCONV_TSAN 1
#endif

using namespace fftconv;
using detail::parallel_for;

namespace {

long thread_id() {
    return static_cast<long>(syscall(SYS_gettid));
}

// Threads of this process now (each is a directory in /proc/self/task).
int process_threads() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

// The kernel thread ids that ran parts of one parallel_for over n items on `threads` threads.
std::set<long> runners(std::ptrdiff_t n, int threads) {
    std::mutex m;
    std::set<long> ids;
    parallel_for(n, threads, 1, [&](std::ptrdiff_t, std::ptrdiff_t) {
        // Long enough that the workers woken for this call take their part.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::scoped_lock lock(m);
        ids.insert(thread_id());
    });
    return ids;
}

struct Threads {
    explicit Threads(int n) { set_threads(n); }
    ~Threads() { set_threads(1); }
};

}  // namespace

TEST_CASE("parallel_for: each item exactly once, in ranges, for every count and thread count") {
    for (int threads : {1, 2, 3, 8})
        for (std::ptrdiff_t n : {0, 1, 2, 5, 97, 1000}) {
            CAPTURE(threads);
            CAPTURE(n);
            std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
            std::atomic<int> ranges{0};
            parallel_for(n, threads, 1, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
                ++ranges;
                for (std::ptrdiff_t i = first; i < last; ++i) ++hits[static_cast<std::size_t>(i)];
            });
            CHECK(std::all_of(hits.begin(), hits.end(), [](const std::atomic<int>& h) { return h == 1; }));
            CHECK(ranges <= std::max<std::ptrdiff_t>(1, std::min<std::ptrdiff_t>(threads, n)));
        }
}

TEST_CASE("the workers are kept between calls: later calls start no thread") {
    (void)runners(64, 4);  // the pool grows to 3 workers here, if it had fewer
    const int workers = detail::pool_workers();
    CHECK(workers >= 3);
    const int before = process_threads();
    std::set<long> seen = runners(64, 4);
    for (int call = 0; call < 30; ++call) {
        const std::set<long> ids = runners(64, 4);
        seen.insert(ids.begin(), ids.end());
    }
    // Thread ids are handed out in increasing order: threads started per call would bring new ones.
    CHECK(process_threads() == before);
    CHECK(detail::pool_workers() == workers);
    CHECK(static_cast<int>(seen.size()) <= workers + 1);  // the workers and the caller
    CHECK(seen.size() >= 2);                              // and the work was shared
}

TEST_CASE("FFTW's threaded plans run on the pool's workers, not on threads of FFTW's own") {
    const Threads two(2);
    // A 1D convolution of 2^17 points: FFTW plans it with 2 threads (2^15 points and more).
    std::vector<double> x(1 << 17, 1.0), h(4096, 0.5);
    const int before = process_threads(), workers_before = detail::pool_workers();
    const std::vector<double> y = convolve<double>(x, h, Mode::full, Method::fft);
    CHECK(y[100] == doctest::Approx(50.5));
    // Any thread the call left behind is one of the pool's.
    CHECK(process_threads() - before == detail::pool_workers() - workers_before);
    CHECK(detail::pool_workers() >= 1);
}

TEST_CASE("nested and concurrent calls finish; an exception reaches the caller after every range ends") {
    std::atomic<long> sum{0};
    parallel_for(8, 4, 1, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        for (std::ptrdiff_t i = first; i < last; ++i)
            parallel_for(100, 4, 1, [&](std::ptrdiff_t a, std::ptrdiff_t b) {
                for (std::ptrdiff_t j = a; j < b; ++j) sum += j;
            });
    });
    CHECK(sum == 8 * 4950);

    std::vector<std::thread> callers;
    std::atomic<long> total{0};
    for (int t = 0; t < 6; ++t)
        callers.emplace_back([&] {
            for (int r = 0; r < 50; ++r)
                parallel_for(40, 3, 1, [&](std::ptrdiff_t a, std::ptrdiff_t b) { total += b - a; });
        });
    for (auto& c : callers) c.join();
    CHECK(total == 6 * 50 * 40);

    std::atomic<int> finished{0};
    CHECK_THROWS_WITH_AS(parallel_for(4, 4, 1,
                                      [&](std::ptrdiff_t first, std::ptrdiff_t) {
                                          std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                          ++finished;
                                          if (first == 2) throw std::runtime_error("range 2 failed");
                                      }),
                         "range 2 failed", std::runtime_error);
    CHECK(finished == 4);
}

#ifndef FFTCONV_TSAN
// ThreadSanitizer does not follow a multi-threaded process into fork().
TEST_CASE("a child made by fork() runs threaded calls with workers of its own") {
    const Threads three(3);
    (void)runners(32, 3);  // the parent's pool has workers now
    const std::vector<float> x(1 << 16, 1.0f), h(301, 1.0f);
    const std::vector<float> want = convolve<float>(x, h, Mode::same, Method::direct);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The workers did not come along: the calls must run (and share out work) all the same.
        const std::set<long> ids = runners(32, 3);
        const std::vector<float> got = convolve<float>(x, h, Mode::same, Method::direct);
        _exit(got == want && ids.size() >= 2 ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif
