// The cost model of the two distributed ways, for the busiest rank: arithmetic from the
// single-core cost model (the same constants Method::automatic uses), communication as bytes over
// the network's bandwidth plus a latency per message, memory as what the rank holds at its peak.
//
// Halo: the first slab (the largest) computed in tiles as convolve_out_of_core plans them; it
// receives and sends the kernel's height less one in rows (fewer where the other slabs hold fewer
// rows), in three all-to-alls (counts, row numbers, rows) of ranks - 1 messages each.
// FFT: three distributed transforms (the kernel's, the input's, the inverse), each one global
// transpose in which a rank sends (ranks - 1) / ranks of its share of the spectrum, and three
// passes over its share (loading, the product, storing).
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <string>

#include "context.hpp"
#include "cost_model.hpp"
#include "fftconv/settings.hpp"
#include "memory.hpp"
#include "mpi_detail.hpp"

namespace fftconv::mpi {

const char* to_string(Distribution d) {
    switch (d) {
        case Distribution::automatic: return "automatic";
        case Distribution::halo: return "halo";
        case Distribution::fft: return "fft";
    }
    return "unknown";
}

namespace {

std::string seconds_text(double s) {
    char b[32];
    if (s < 1e-3)
        std::snprintf(b, sizeof b, "%.0f µs", s * 1e6);
    else if (s < 1)
        std::snprintf(b, sizeof b, "%.1f ms", s * 1e3);
    else
        std::snprintf(b, sizeof b, "%.2f s", s);
    return b;
}

std::string cost_text(const char* name, const Cost& c) {
    return std::string(name) + " " + seconds_text(c.seconds()) + " (compute " + seconds_text(c.compute) + ", network " +
           seconds_text(c.communicate) + ": " + fftconv::detail::format_bytes(c.bytes_sent) + " sent a rank; " +
           fftconv::detail::format_bytes(c.memory) + " held)";
}

}  // namespace

template <class T>
Estimate estimate(const Extents& input, View<const T> kernel, const OutOfCoreOptions& options, int ranks,
                  const Network& network, int cores) {
    if (ranks < 1 || cores < 1)
        throw InvalidArgument("mpi::estimate: ranks and cores must be at least 1; got " + std::to_string(ranks) +
                              " and " + std::to_string(cores));
    OutOfCoreOptions o = options;
    o.progress = {};
    o.tile = {};
    o.region_first = o.region_extent = {};
    const OutOfCorePlan whole = plan_out_of_core<T>(input, kernel, o);
    const double s = sizeof(T), p = ranks, lat = network.latency, bw = network.bytes_per_second;
    const int rank = input.rank();
    double row_bytes = s;
    for (int a = 1; a < rank; ++a) row_bytes *= static_cast<double>(input[a]);
    const double memory = options.memory ? static_cast<double>(options.memory) : static_cast<double>(memory_limit());
    Estimate e;

    // Halo: the first slab, the largest.
    {
        const Slab out = slab_of(whole.output[0], ranks, 0), in = slab_of(input[0], ranks, 0);
        o.region_first = o.region_extent = whole.output;
        for (int a = 0; a < rank; ++a) o.region_first[a] = 0;
        o.region_first[0] = out.first;
        o.region_extent[0] = out.count;
        const OutOfCorePlan local = plan_out_of_core<T>(input, kernel, o);
        const double rows =
            ranks == 1 ? 0.0 : static_cast<double>(std::min<std::ptrdiff_t>(whole.kernel[0] - 1, input[0] - in.count));
        e.halo.compute = local.seconds / cores;
        e.halo.bytes_sent = rows * row_bytes;
        e.halo.communicate = ranks == 1 ? 0.0 : e.halo.bytes_sent / bw + 3 * (p - 1) * lat;
        e.halo.memory = (static_cast<double>(in.count) + 2 * rows) * row_bytes + local.bytes;
    }

    // The distributed FFT.
    e.fft_possible = !is_complex_v<T> && rank >= 2;
    e.transform = detail::fft_transform_shape(whole.output, whole.kernel, fftconv::detail::Context::current().effort);
    double spectra = 0;  // the two spectra a rank holds
    {
        const double n = static_cast<double>(e.transform.size()), share = n / p;
        const detail::FftShare busiest = detail::fft_share(e.transform, ranks, 0);
        const ElementType type = element_type_v<T>;
        // A rank's share of each transform: n/p · log2 n at the multi-axis rate, its cache
        // spills those of its share.
        const double transform = fftconv::detail::transform_seconds(share, type, true) * std::log2(std::max(n, 2.0)) /
                                 std::log2(std::max(share, 2.0));
        e.fft.compute = (3 * transform + 3 * share * fftconv::detail::tile_element_seconds(type)) / cores;
        const double spectrum_bytes = busiest.complex_elements * 2 * s;
        e.fft.bytes_sent = ranks == 1 ? 0.0 : 3 * spectrum_bytes * (p - 1) / p;
        e.fft.communicate = ranks == 1 ? 0.0 : e.fft.bytes_sent / bw + 3 * (p - 1) * lat;
        spectra = 2 * spectrum_bytes;
        // And the rows read or written at a time: at most 64 MB, at most the rank's share.
        double rows = static_cast<double>(busiest.rows.count) * s;
        for (int a = 1; a < rank; ++a) rows *= static_cast<double>(e.transform[a]);
        e.fft.memory = spectra + std::min(rows, std::clamp(memory - spectra, 1e6, 64e6));
    }

    const std::string both = cost_text("halo", e.halo) + "; " + cost_text("FFT", e.fft);
    if (!e.fft_possible) {
        e.choice = Distribution::halo;
        e.why = "halo: the distributed FFT takes real arrays of 2 or more axes. " + both;
    } else if (options.method == Method::direct) {
        e.choice = Distribution::halo;
        e.why = "halo: the direct method was asked for. " + both;
    } else if (spectra > memory) {
        e.choice = Distribution::halo;
        e.why = "halo: the FFT's spectra (" + fftconv::detail::format_bytes(spectra) +
                " a rank) exceed the memory bound (" + fftconv::detail::format_bytes(memory) + "). " + both;
    } else {
        const bool fft = e.fft.seconds() < e.halo.seconds();
        e.choice = fft ? Distribution::fft : Distribution::halo;
        const double ratio = fft ? e.halo.seconds() / e.fft.seconds() : e.fft.seconds() / e.halo.seconds();
        char r[32];
        std::snprintf(r, sizeof r, "%.1fx", ratio);
        e.why = std::string(fft ? "FFT" : "halo") + ", " + r + " cheaper: " + both;
    }
    return e;
}

#define INSTANTIATE(T) \
    template Estimate estimate<T>(const Extents&, View<const T>, const OutOfCoreOptions&, int, const Network&, int);
INSTANTIATE(float)
INSTANTIATE(double)
INSTANTIATE(std::complex<float>)
INSTANTIATE(std::complex<double>)
#undef INSTANTIATE

}  // namespace fftconv::mpi
