// Bytes and the memory limit: byte counts that carry overflow along, the check every large
// allocation makes against the memory limit before it happens, and the error when one fails anyway.
#pragma once

#include <cstddef>
#include <string>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// The largest size in one dimension or in elements.
inline constexpr std::ptrdiff_t max_size = PTRDIFF_MAX;

// A byte count that keeps track of overflow: `exact` while it fits std::size_t, `approx` (for
// messages) always.
struct Bytes {
    std::size_t exact = 0;
    double approx = 0;
    bool overflow = false;

    // The elements of `shape` (all extents >= 0), of `element_size` bytes each.
    static Bytes of(const Extents& shape, std::size_t element_size);
    Bytes operator+(const Bytes& other) const;
    Bytes operator*(std::size_t count) const;
};

// Bytes of one element of `type`.
std::size_t element_size(ElementType type);

// "80.0 GB": decimal units, one decimal ("512 bytes" below 1 kB).
std::string format_bytes(double bytes);

// The memory one call may use: memory_limit() (settings.hpp), read once at the call's front
// door. Every large allocation is checked against it before it happens.
struct MemoryBudget {
    std::size_t limit = SIZE_MAX;
    bool set = false;  // set_memory_limit's limit (messages say so), else this machine's memory
    // memory_limit() now.
    static MemoryBudget current();
    // Whether `need` did not overflow and is at most the limit.
    bool fits(Bytes need) const;
    // @throws OutOfMemory  "SUBJECT would need 80.0 GB, more than this machine's memory (25.2
    // GB)" (or "the memory limit") when `need` is more than the limit, or "..., which overflows
    // a 64-bit size" when it overflowed.
    void check(const std::string& subject, Bytes need) const;
};

// "FN: could not allocate WHAT (80.0 GB): out of memory": for std::bad_alloc and fftw_malloc's null.
[[noreturn]] void allocation_failed(const std::string& fn, const std::string& what, Bytes need);

}  // namespace fftconv::detail
