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
std::atomic<PlannerEffort> default_effort{PlannerEffort::estimate};
}  // namespace

void set_threads(int n) {
    if (n < 0)
        throw InvalidArgument("set_threads: thread count must be 0 (all cores) or more, got " + std::to_string(n));
    if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    thread_count.store(n);
}

int threads() {
    return thread_count.load();
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
    c.threads = thread_count.load();
    c.effort = default_effort.load();
    c.memory = MemoryBudget::current();
    return c;
}

const char* simd_instruction_set() {
    return detail::kernels_isa();
}

}  // namespace fftconv
