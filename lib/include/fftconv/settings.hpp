// Process-wide settings: threads per call, and what FFTW's planner may spend on one-shot calls.
#pragma once

#include <cstddef>
#include <string>

#include "fftconv/types.hpp"

namespace fftconv {

/// Threads one fftconv call may use: the caller's and up to n - 1 workers of one pool kept for the
/// process (started when first wanted, never per call), which split the lines of the FFT passes
/// and the rows of the direct and separable paths, and run FFTW's own parallel loops (fftconv
/// routes FFTW's threads into the pool with fftw_threads_set_callback, so a program that also uses
/// FFTW's threads directly gets the pool too). 1 (the default) keeps every call on the caller's
/// thread; 0 means std::thread::hardware_concurrency(). Each call reads the count once, when it
/// starts (a Convolver when it is built). Results do not depend on it:
/// the direct and separable paths give bit-identical output for any count; FFT results may differ
/// by rounding (FFTW may pick another algorithm). Safe to call at any time; calls already running
/// keep the count they started with.  @throws Error  n < 0.
void set_threads(int n);
/// The count calls started on this thread use: the innermost ScopedThreads' on this thread, else
/// the one set_threads chose (hardware_concurrency() already substituted for 0).
[[nodiscard]] int threads();

/// A thread count for the calls one thread starts while the object lives, whatever set_threads
/// says; calls on other threads keep set_threads' count. 0 means all cores. Scopes nest: the outer
/// count returns when the inner scope ends. This is a per-call count without a global write
/// (scipy.fft's workers=): a Convolver built inside the scope keeps its count afterwards.
///     { fftconv::ScopedThreads four(4); out = fftconv::convolve(a, k); }
/// @throws Error  n < 0.
class ScopedThreads {
public:
    explicit ScopedThreads(int n);
    ~ScopedThreads();
    ScopedThreads(const ScopedThreads&) = delete;
    ScopedThreads& operator=(const ScopedThreads&) = delete;

private:
    int previous_;
};

/// The planner effort of calls that do not take one (convolve, correlate, the filters, matching),
/// read once when a call starts; Convolver takes its own in Options. The default, estimate, plans instantly. measure
/// plans run ~1.5x faster at sizes FFTW has no hard-coded algorithm for, but planning a large transform takes seconds
/// (a 2240x2240 float transform: ~2 s) — worth it for programs that convolve the same shapes many times, or with a
/// wisdom file that keeps the plans.
void set_planner_effort(PlannerEffort effort);
[[nodiscard]] PlannerEffort planner_effort();

/// The most memory one request may need, in bytes. A call whose output and FFT buffers together
/// would need more, or an Image or FFT buffer larger than this, throws Error naming the sizes and
/// the bytes before anything is allocated. 0 (the default) means this machine's memory: RAM plus
/// swap, or the memory limit of the process's control group (a container's) where that is lower.
/// Sizes whose byte count overflows are refused whatever the limit; an allocation that fails
/// all the same (an address-space limit, memory in use elsewhere) throws Error too. Each call
/// reads the limit once, when it starts (a Convolver when it is built; an Array or Image when it
/// is made).
void set_memory_limit(std::size_t bytes);
/// The limit in force, in bytes: set_memory_limit's, or this machine's memory.
[[nodiscard]] std::size_t memory_limit();

/// FFTW wisdom: what measure/patient planning learned, saved to a file and loaded by later runs so
/// they skip the measuring (FFTW's fftw_export_wisdom_to_filename, for both precisions in one
/// file). A file save_wisdom wrote loads in any later process, also as its first fftconv call
/// (FFTW's threads, which FFTW's check of the file depends on, are set up before any import or
/// export). load_wisdom returns false when the file does not exist; both throw Error for a file
/// that cannot be read, parsed or written. save_wisdom writes a temporary file and renames it.
bool load_wisdom(const std::string& path);
void save_wisdom(const std::string& path);

/// The instruction set the direct and separable inner loops run with: "avx2+fma" or "generic".
[[nodiscard]] const char* simd_instruction_set();

}  // namespace fftconv
