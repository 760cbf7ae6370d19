#include "memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "fftconv/settings.hpp"

#ifdef __linux__
#include <sys/sysinfo.h>
#endif

namespace fftconv {

namespace {

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
    return detail::MemoryBudget::current().limit;
}

namespace detail {

Bytes Bytes::of(const Extents& shape, std::size_t element_size) {
    Bytes b;
    b.approx = static_cast<double>(element_size);
    std::size_t elements = 1;
    bool overflow = false;
    for (std::ptrdiff_t n : shape) {
        b.approx *= static_cast<double>(n);
        overflow = overflow || n < 0 || __builtin_mul_overflow(elements, static_cast<std::size_t>(n), &elements);
    }
    b.overflow = overflow || elements > static_cast<std::size_t>(max_size) ||
                 __builtin_mul_overflow(elements, element_size, &b.exact);
    return b;
}

Bytes Bytes::operator*(std::size_t count) const {
    Bytes b;
    b.approx = approx * static_cast<double>(count);
    b.overflow = overflow || __builtin_mul_overflow(exact, count, &b.exact);
    return b;
}

Bytes Bytes::operator+(const Bytes& other) const {
    Bytes b;
    b.approx = approx + other.approx;
    b.overflow = overflow || other.overflow || __builtin_add_overflow(exact, other.exact, &b.exact);
    return b;
}

std::size_t element_size(ElementType type) {
    switch (type) {
        case ElementType::float32: return 4;
        case ElementType::float64:
        case ElementType::complex64: return 8;
        case ElementType::complex128: break;
    }
    return 16;
}

std::string format_bytes(double bytes) {
    static const char* const units[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    char text[64];
    if (bytes < 1000) {
        std::snprintf(text, sizeof text, "%.0f bytes", bytes);
        return text;
    }
    std::size_t unit = 0;
    for (bytes /= 1000; bytes >= 999.95 && unit + 1 < std::size(units); ++unit) bytes /= 1000;
    if (bytes >= 999.95)  // beyond the largest unit: a number of bytes in scientific notation
        std::snprintf(text, sizeof text, "%.3g bytes", bytes * 1e24);
    else
        std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
    return text;
}

MemoryBudget MemoryBudget::current() {
    static const std::size_t machine = machine_memory();  // read once: it does not change
    MemoryBudget b;
    const std::size_t set = memory_limit_set.load();
    b.set = set != 0;
    b.limit = b.set ? set : machine;
    return b;
}

bool MemoryBudget::fits(Bytes need) const {
    return !need.overflow && need.exact <= limit;
}

void MemoryBudget::check(const std::string& subject, Bytes need) const {
    if (need.overflow)
        throw OutOfMemory(subject + " would need " + format_bytes(need.approx) + ", which overflows a 64-bit size");
    if (need.exact > limit)
        throw OutOfMemory(subject + " would need " + format_bytes(need.approx) + ", more than " +
                          (set ? "the memory limit (" : "this machine's memory (") +
                          format_bytes(static_cast<double>(limit)) + ")");
}

void allocation_failed(const std::string& fn, const std::string& what, Bytes need) {
    throw OutOfMemory(fn + ": could not allocate " + what + " (" + format_bytes(need.approx) + "): out of memory");
}

}  // namespace detail

}  // namespace fftconv
