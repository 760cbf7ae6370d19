#include "fftconv/settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "geometry.hpp"
#include "isa.hpp"

#ifdef __linux__
#include <sys/sysinfo.h>
#endif

namespace fftconv {

namespace {
std::atomic<int> thread_count{1};
std::atomic<PlannerEffort> default_effort{PlannerEffort::estimate};
std::atomic<std::size_t> memory_limit_set{0};

// The number a cgroup memory file holds; SIZE_MAX for "max", or a file that is missing or unreadable.
std::size_t cgroup_limit(const std::string& path) {
    std::ifstream in(path);
    unsigned long long n = 0;
    if (in >> n) return static_cast<std::size_t>(n);
    return SIZE_MAX;
}

// The lowest memory limit on the cgroup at `path` or any cgroup above it (a container's limit
// may be set on a parent); `root` is where the hierarchy is mounted, `file` the limit's name.
std::size_t cgroup_path_limit(const std::string& root, std::string path, const char* file) {
    std::size_t limit = SIZE_MAX;
    for (;;) {
        limit = std::min(limit, cgroup_limit(root + path + "/" + file));
        const std::size_t slash = path.rfind('/');
        if (path.empty() || path == "/" || slash == std::string::npos) return limit;
        path.erase(slash);
    }
}

// RAM plus swap, or the process's cgroup's memory limit plus swap where that is lower.
std::size_t machine_memory() {
#ifdef __linux__
    struct sysinfo info {};
    if (sysinfo(&info) != 0) return SIZE_MAX;
    const auto unit = static_cast<std::size_t>(std::max(info.mem_unit, 1u));
    const std::size_t swap = info.totalswap * unit;
    std::size_t total = info.totalram * unit + swap;
    // /proc/self/cgroup: "0::/path" for the unified (v2) hierarchy, "N:memory:/path" for v1's.
    std::ifstream groups("/proc/self/cgroup");
    for (std::string line; std::getline(groups, line);) {
        std::size_t limit = SIZE_MAX;
        if (line.rfind("0::", 0) == 0)
            limit = cgroup_path_limit("/sys/fs/cgroup", line.substr(3), "memory.max");
        else if (const std::size_t at = line.find(":memory:"); at != std::string::npos)
            limit = cgroup_path_limit("/sys/fs/cgroup/memory", line.substr(at + 8), "memory.limit_in_bytes");
        if (limit < total - swap) total = limit + swap;
    }
    return total;
#else
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : SIZE_MAX;
#endif
}
}  // namespace

void set_memory_limit(std::size_t bytes) {
    memory_limit_set.store(bytes);
}

std::size_t memory_limit() {
    if (const std::size_t set = memory_limit_set.load()) return set;
    static const std::size_t machine = machine_memory();  // read once: it does not change
    return machine;
}

namespace detail {
bool memory_limit_is_machine() {
    return memory_limit_set.load() == 0;
}
}  // namespace detail

void set_threads(int n) {
    if (n < 0) throw Error("set_threads: thread count must be 0 (all cores) or more, got " + std::to_string(n));
    if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    thread_count.store(n);
}

int threads() {
    return thread_count.load();
}

void set_planner_effort(PlannerEffort effort) {
    if (effort != PlannerEffort::estimate && effort != PlannerEffort::measure && effort != PlannerEffort::patient)
        throw Error("set_planner_effort: effort " + std::to_string(static_cast<int>(effort)) +
                    " is not one of estimate, measure, patient");
    default_effort.store(effort);
}

PlannerEffort planner_effort() {
    return default_effort.load();
}

const char* simd_instruction_set() {
    return detail::kernels_isa();
}

}  // namespace fftconv
