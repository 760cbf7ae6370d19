// How one convolution runs, decided once from its shapes, axes, element type and options: the
// method, the transform (one, or tiles), the operand roles, and the bytes it needs. One-shot
// calls, Convolver, choose_method and estimate_seconds all read this, so what is estimated is
// what runs.
#pragma once

#include <array>
#include <cstddef>

#include "context.hpp"
#include "fftconv/array.hpp"
#include "fftconv/types.hpp"
#include "geometry.hpp"
#include "memory.hpp"

namespace fftconv::detail {

struct Strategy {
    Geometry g;                              // the call's geometry, every axis
    Geometry core;                           // the core axes alone (see below), rank >= 1
    std::array<int, max_rank> core_axes{};   // g's axes that the cores convolve along: convolved,
    int core_rank = 0;                       // and longer than 1 in an operand
    std::array<int, max_rank> batch_axes{};  // the others: broadcast, or 1 in both operands
    int batch_rank = 0;
    std::ptrdiff_t slices = 1;       // batch slices of the output: the product of its batch extents
    std::ptrdiff_t kernels = 1;      // distinct kernel slices: the product of the kernel's batch extents
    Method method = Method::direct;  // direct or fft, never automatic
    Extents tile;                    // fft: outputs per tile along each core axis; rank 0: one transform
    bool swap = false;               // one-shot: `b` is transformed per slice and `a` is the kernel
    double seconds = 0;              // the estimate for the whole call
    Bytes bytes;                     // what the FFT path allocates (spectra and buffers)
};

struct StrategyOptions {
    Method method = Method::automatic;
    Context context;           // effort (transform sizes) and memory budget; threads are not used here
    bool one_shot = true;      // the kernel is transformed per call (and the operands may swap roles)
    double tolerance = 0;      // automatic: the FFT's error bound must not exceed it (0: any)
    bool output = true;        // the call allocates its output (one-shot): counted in the memory check
    bool check_memory = true;  // refuse what would not fit (off for estimates that allocate nothing)
};

// The strategy for geometry g. Method::fft whose one transform would not fit the context's memory
// budget runs in tiles that do.
// @throws InvalidArgument  a method outside the enum.
// @throws OutOfMemory  when the output, or the FFT path's buffers even in tiles, would not fit.
Strategy make_strategy(const Names& names, const Geometry& g, ElementType type, const StrategyOptions& options);

// The FFT's error bound for a strategy's transform (see fft_error_bound in convolve.hpp).
double fft_bound(const Strategy& s, ElementType type, PlannerEffort effort);

// The direct and FFT paths' estimated seconds for geometry g, whatever the strategy picks.
double estimate(const Geometry& g, ElementType type, Method method, const StrategyOptions& options);

}  // namespace fftconv::detail
