#include "fftconv/settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "context.hpp"
#include "isa.hpp"

namespace fftconv {

namespace {
std::atomic<int> thread_count{1};
// A ScopedThreads on this thread: its count, or 0 for none.
thread_local int scoped_thread_count = 0;

int checked_count(int n, const char* who) {
    if (n < 0)
        throw InvalidArgument(std::string(who) + ": thread count must be 0 (all cores) or more, got " +
                              std::to_string(n));
    return n == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : n;
}
std::atomic<PlannerEffort> default_effort{PlannerEffort::estimate};
}  // namespace

void set_threads(int n) {
    thread_count.store(checked_count(n, "set_threads"));
}

ScopedThreads::ScopedThreads(int n) : previous_(scoped_thread_count) {
    scoped_thread_count = checked_count(n, "ScopedThreads");
}

ScopedThreads::~ScopedThreads() {
    scoped_thread_count = previous_;
}

int threads() {
    return scoped_thread_count > 0 ? scoped_thread_count : thread_count.load();
}

void set_planner_effort(PlannerEffort effort) {
    if (effort != PlannerEffort::estimate && effort != PlannerEffort::measure && effort != PlannerEffort::patient)
        throw InvalidArgument("set_planner_effort: effort " + std::to_string(static_cast<int>(effort)) +
                              " is not one of estimate, measure, patient");
    default_effort.store(effort);
}

PlannerEffort planner_effort() {
    return default_effort.load();
}

detail::Context detail::Context::current() {
    Context c;
    c.threads = fftconv::threads();
    c.effort = default_effort.load();
    c.memory = MemoryBudget::current();
    return c;
}

const char* simd_instruction_set() {
    return detail::kernels_isa();
}

}  // namespace fftconv
