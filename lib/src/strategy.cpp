#include "strategy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "cost_model.hpp"
#include "fft_core.hpp"
#include "fftconv/settings.hpp"
#include "tiles.hpp"
#include "transform_size.hpp"

namespace fftconv::detail {

namespace {

// g's axes split into the cores' axes (convolved, and longer than 1 in an operand) and the batch
// (broadcast axes, and axes of 1 in both, which convolve trivially).
void split_axes(Strategy& s) {
    const Geometry& g = s.g;
    for (int i = 0; i < g.rank(); ++i) {
        if (g.conv(i) && (g.a[i] > 1 || g.b[i] > 1))
            s.core_axes[static_cast<std::size_t>(s.core_rank++)] = i;
        else
            s.batch_axes[static_cast<std::size_t>(s.batch_rank++)] = i;
    }
    if (s.core_rank == 0) {  // 1 ⊛ 1 along every convolved axis: the last one is the core
        int last = g.rank() - 1;
        while (!g.conv(last)) --last;
        s.core_axes[0] = last;
        s.core_rank = 1;
        s.batch_rank = 0;
        for (int i = 0; i < g.rank(); ++i)
            if (i != last) s.batch_axes[static_cast<std::size_t>(s.batch_rank++)] = i;
    }
    std::array<std::ptrdiff_t, max_rank> a{}, b{};
    std::array<Window, max_rank> window{};
    for (int c = 0; c < s.core_rank; ++c) {
        const int i = s.core_axes[static_cast<std::size_t>(c)];
        a[static_cast<std::size_t>(c)] = g.a[i];
        b[static_cast<std::size_t>(c)] = g.b[i];
        window[static_cast<std::size_t>(c)] = g.win(i);
    }
    const auto n = static_cast<std::size_t>(s.core_rank);
    s.core = window_geometry(Extents(std::span<const std::ptrdiff_t>(a.data(), n)),
                             Extents(std::span<const std::ptrdiff_t>(b.data(), n)), window);
    for (int c = 0; c < s.batch_rank; ++c) {
        const int i = s.batch_axes[static_cast<std::size_t>(c)];
        s.slices *= g.out[i];
        s.kernels *= g.b[i];
    }
}

bool real_type(ElementType type) {
    return type == ElementType::float32 || type == ElementType::float64;
}

// The FFT path's seconds for the whole call, with `run`'s transform: each slice's forward and
// inverse transforms, and (one-shot) each kernel slice's transform.
double fft_total(const Strategy& s, ElementType type, const FftRun& run, const StrategyOptions& o) {
    const Geometry& t = run.tile.rank() ? tile_geometry(s.core, run.tile) : s.core;
    double padded = 1;
    for (std::ptrdiff_t p : fft_shape(t, real_type(type), o.context.effort)) padded *= static_cast<double>(p);
    const double kernel = o.one_shot ? transform_seconds(padded, type, s.core_rank > 1) : 0;
    return static_cast<double>(s.slices) * fft_seconds(s.core, type, 2, o.context.effort, run.tile) +
           static_cast<double>(s.kernels) * kernel;
}

std::string fft_text(const Strategy& s, ElementType type, const Names& names, PlannerEffort effort) {
    if (s.tile.rank()) {
        const Extents padded = fft_shape(tile_geometry(s.core, s.tile), real_type(type), effort);
        return "the buffers of " +
               (names.one_d ? std::to_string(padded[0]) + "-point FFT blocks" : to_string(padded) + " FFT tiles");
    }
    const Extents padded = fft_shape(s.core, real_type(type), effort);
    return "the buffers of a " + (names.one_d ? std::to_string(padded[0]) + "-point" : to_string(padded)) + " FFT";
}

}  // namespace

double fft_bound(const Strategy& s, ElementType type, PlannerEffort effort) {
    double n = 1;
    const Geometry& t = s.tile.rank() ? tile_geometry(s.core, s.tile) : s.core;
    for (std::ptrdiff_t p : fft_shape(t, real_type(type), effort)) n *= static_cast<double>(p);
    const bool single = type == ElementType::float32 || type == ElementType::complex64;
    const double eps = single ? std::numeric_limits<float>::epsilon() : std::numeric_limits<double>::epsilon();
    // 4x what a step edge reached (the worst case measured: half an image at 1e4, half at 1e-4,
    // under a box kernel: 1.0 ε·log2 N); random data stayed under 0.08.
    return 4 * eps * std::log2(std::max(n, 2.0));
}

double estimate(const Geometry& g, ElementType type, Method method, const StrategyOptions& options) {
    Strategy s;
    s.g = g;
    split_axes(s);
    if (method == Method::direct) return static_cast<double>(s.slices) * direct_seconds(s.core, type);
    return fft_total(s, type,
                     choose_fft_run(s.core, type, 2, options.context.effort, std::nullopt, options.one_shot,
                                    static_cast<std::size_t>(s.kernels)),
                     options);
}

Strategy make_strategy(const Names& names, const Geometry& g, ElementType type, const StrategyOptions& o) {
    if (o.method != Method::automatic && o.method != Method::direct && o.method != Method::fft)
        throw InvalidArgument(std::string(names.fn) + ": method " + std::to_string(static_cast<int>(o.method)) +
                              " is not one of automatic, direct, fft");
    Strategy s;
    s.g = g;
    split_axes(s);
    // One-shot: the longer operand is the one transformed per slice (and cut into tiles), the
    // shorter one the kernel; convolution commutes, and the window stays the call's.
    if (o.one_shot && s.core.b.size() > s.core.a.size()) {
        s.swap = true;
        std::swap(s.core.a, s.core.b);
        s.kernels = 1;
        for (int c = 0; c < s.batch_rank; ++c) s.kernels *= g.a[s.batch_axes[static_cast<std::size_t>(c)]];
    }
    const double direct = static_cast<double>(s.slices) * direct_seconds(s.core, type);
    s.method = o.method;
    FftRun run;
    if (s.method != Method::direct) {
        // Cheaper than any FFT run could be: direct, without sizing a transform (for calls of
        // microseconds, working out the FFT's sizes and tiles would cost as much as the call).
        if (s.method == Method::automatic &&
            direct <= static_cast<double>(s.slices) * fft_floor_seconds(s.core, type)) {
            s.method = Method::direct;
        } else {
            run = choose_fft_run(s.core, type, 2, o.context.effort, std::nullopt, o.one_shot,
                                 static_cast<std::size_t>(s.kernels));
            const double fft = fft_total(s, type, run, o);
            if (s.method == Method::automatic) {
                s.method = direct <= fft ? Method::direct : Method::fft;
                // The accuracy asked for first: an FFT that cannot promise it is never the cheaper method.
                Strategy t = s;
                t.tile = run.tile;
                if (o.tolerance > 0 && fft_bound(t, type, o.context.effort) > o.tolerance) s.method = Method::direct;
            }
        }
    }
    s.tile = s.method == Method::fft ? run.tile : Extents{};
    s.seconds = s.method == Method::fft ? fft_total(s, type, run, o) : direct;

    if (!o.check_memory) return s;
    // Memory, before anything is allocated: the output (one-shot) and the FFT path's buffers.
    const Bytes out = o.output ? Bytes::of(g.out, element_size(type)) : Bytes{};
    const auto out_text = [&] { return "the output (" + describe_elements(names, g.out, type) + ")"; };
    const MemoryBudget& memory = o.context.memory;
    if (o.output && !memory.fits(out)) memory.check(names.fn + (": " + out_text()), out);
    if (s.method != Method::fft) return s;
    // A bound first, cheap enough for every call: a padded length is below twice the full
    // result's (the next power of two), and the buffers hold about three arrays of the padded
    // size, pitches included. Only calls near the limit size their buffers here.
    double bound = 16.0 * static_cast<double>(element_size(type)) * static_cast<double>(s.kernels + 1);
    for (int c = 0; c < s.core.rank(); ++c) bound *= static_cast<double>(s.core.full[c] + 8);
    if (out.approx + bound <= static_cast<double>(memory.limit)) return s;
    const auto buffers = [&](const Strategy& t) {
        return fft_core_bytes(t.tile.rank() ? tile_geometry(t.core, t.tile) : t.core, type, o.context.effort,
                              static_cast<std::size_t>(t.kernels));
    };
    s.bytes = buffers(s);
    if (memory.fits(out + s.bytes)) return s;
    // Too large for one transform: tiles that fit, if there are any.
    const FftRun fitted =
        choose_fft_run(s.core, type, 2, o.context.effort, MemoryFit{out, static_cast<std::size_t>(s.kernels), memory},
                       o.one_shot, static_cast<std::size_t>(s.kernels));
    if (fitted.tile.rank()) {
        Strategy t = s;
        t.tile = fitted.tile;
        t.bytes = buffers(t);
        if (memory.fits(out + t.bytes)) {
            t.seconds = fft_total(t, type, fitted, o);
            return t;
        }
    }
    memory.check(
        names.fn + (": " + (o.output ? out_text() + " and " : "")) + fft_text(s, type, names, o.context.effort),
        out + s.bytes);
    return s;
}

}  // namespace fftconv::detail
