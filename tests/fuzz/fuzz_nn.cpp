// fuzz_nn: the layers of nn.hpp on parameters decoded from the input — conv, conv_transpose,
// max_pool and avg_pool at 1 to 3 spatial axes, float or double, batched or not, with strides,
// paddings (per side, 'same', 'valid', negative), dilations, groups, output paddings and padding
// modes in and past their valid ranges. The shape function must agree with the layer: both
// refuse (fftconv::InvalidArgument) or both give one shape. A computed conv or transpose must
// give the same values by the direct and the FFT methods within a rounding bound; values stay
// finite. Anything else aborts with the case, which libFuzzer records as a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

namespace {

namespace F = fftconv::nn;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_nn: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

F::PerAxis per_axis(FuzzedDataProvider& in, int rank, int lo, int hi) {
    const int count = in.ConsumeIntegralInRange(0, 3) == 0 ? 1 : rank;
    std::vector<std::ptrdiff_t> v;
    for (int a = 0; a < count; ++a) v.push_back(in.ConsumeIntegralInRange(lo, hi));
    return F::PerAxis(std::span<const std::ptrdiff_t>(v));
}

template <class T>
fftconv::Array<T> values(FuzzedDataProvider& in, const fftconv::Extents& shape) {
    fftconv::Array<T> a(shape);
    for (T& v : a.values()) v = static_cast<T>(in.ConsumeIntegralInRange(-8, 8)) / T(4);
    return a;
}

template <class T>
void check_close(const fftconv::Array<T>& d, const fftconv::Array<T>& f, double fan_in, const std::string& what) {
    if (!(d.shape() == f.shape())) fail(what + ": direct and FFT shapes differ");
    // Values are multiples of 1/4 up to 2 in magnitude: sums up to 4·fan_in, exact in the direct
    // sum; the FFT's error stays far below this bound.
    const double bound = (std::is_same_v<T, float> ? 1e-4 : 1e-11) * 4 * (fan_in + 1) + 1e-30;
    for (std::ptrdiff_t i = 0; i < d.size(); ++i) {
        const double a = d.data()[i], b = f.data()[i];
        if (!std::isfinite(a) || !std::isfinite(b) || std::abs(a - b) > bound)
            fail(what + ": direct " + std::to_string(a) + ", FFT " + std::to_string(b) + " at " + std::to_string(i));
    }
}

template <class T>
void run(FuzzedDataProvider& in) {
    const int kind = in.ConsumeIntegralInRange(0, 3);
    const int rank = in.ConsumeIntegralInRange(1, 3);
    const bool batched = in.ConsumeBool();
    const std::ptrdiff_t batch = in.ConsumeIntegralInRange(0, 2);
    const std::ptrdiff_t groups = in.ConsumeIntegralInRange(0, 3);
    const std::ptrdiff_t cg = in.ConsumeIntegralInRange(1, 3), og = in.ConsumeIntegralInRange(1, 3);
    const std::ptrdiff_t channels = groups * cg + (in.ConsumeIntegralInRange(0, 7) == 0 ? 1 : 0);
    const int big = rank == 1 ? 24 : rank == 2 ? 10 : 6;
    std::vector<std::ptrdiff_t> xs, ws;
    if (batched) xs.push_back(batch);
    xs.push_back(kind >= 2 ? std::max<std::ptrdiff_t>(channels, 1) : channels);
    if (kind == 1) {
        ws = {channels, og};
    } else {
        ws = {std::max<std::ptrdiff_t>(groups, 1) * og, cg};
    }
    for (int a = 0; a < rank; ++a) {
        xs.push_back(in.ConsumeIntegralInRange(0, big));
        ws.push_back(in.ConsumeIntegralInRange(0, 5));
    }
    const fftconv::Extents xshape{std::span<const std::ptrdiff_t>(xs)}, wshape{std::span<const std::ptrdiff_t>(ws)};
    const std::string what =
        "kind " + std::to_string(kind) + " x " + fftconv::to_string(xshape) + " w " + fftconv::to_string(wshape);
    const auto x = values<T>(in, xshape);
    if (kind >= 2) {
        F::PoolOptions o;
        o.kernel = per_axis(in, rank, 0, 5);
        if (in.ConsumeBool()) o.stride = per_axis(in, rank, 0, 4);
        o.padding = per_axis(in, rank, -1, 3);
        o.dilation = per_axis(in, rank, kind == 2 ? 0 : 1, 3);
        o.ceil_mode = in.ConsumeBool();
        o.count_include_pad = in.ConsumeBool();
        o.divisor_override = in.ConsumeIntegralInRange(-1, 5);
        bool shape_ok = true;
        fftconv::Extents want;
        try {
            want = F::pool_output_shape(xshape, rank, o);
        } catch (const fftconv::InvalidArgument&) {
            shape_ok = false;
        }
        try {
            const auto y = kind == 2 ? F::max_pool(x, rank, o) : F::avg_pool(x, rank, o);
            if (!shape_ok && kind == 2) fail(what + ": pool_output_shape refused what max_pool computed");
            if (shape_ok && !(y.shape() == want)) fail(what + ": the pool's shape is not pool_output_shape's");
        } catch (const fftconv::InvalidArgument&) {
            if (shape_ok && kind == 2) fail(what + ": max_pool refused what pool_output_shape accepted");
        }
        return;
    }
    const auto w = values<T>(in, wshape);
    std::vector<T> bias;
    if (in.ConsumeBool())
        for (std::ptrdiff_t o = 0; o < ws[kind == 1 ? 1 : 0] * (kind == 1 ? std::max<std::ptrdiff_t>(groups, 1) : 1);
             ++o)
            bias.push_back(T(0.5));
    double fan_in = 1;
    for (int a = 0; a < rank; ++a) fan_in *= static_cast<double>(ws[static_cast<std::size_t>(2 + a)]);
    fan_in *= static_cast<double>(kind == 1 ? channels : cg);
    if (kind == 0) {
        F::ConvOptions o;
        o.stride = per_axis(in, rank, 0, 3);
        o.dilation = per_axis(in, rank, 0, 3);
        o.groups = groups;
        o.padding_mode = static_cast<F::PaddingMode>(in.ConsumeIntegralInRange(0, 3));
        switch (in.ConsumeIntegralInRange(0, 3)) {
            case 0: o.padding = F::Padding::same(); break;
            case 1: o.padding = F::Padding::valid(); break;
            case 2: o.padding = F::Padding::sides(per_axis(in, rank, -1, 4), per_axis(in, rank, -1, 4)); break;
            default: o.padding = F::Padding(in.ConsumeIntegralInRange(-1, 4)); break;
        }
        bool shape_ok = true;
        fftconv::Extents want;
        try {
            want = F::conv_output_shape(xshape, wshape, o);
        } catch (const fftconv::InvalidArgument&) {
            shape_ok = false;
        }
        try {
            o.method = fftconv::Method::direct;
            const auto d = F::conv(x, w, bias, o);
            if (!shape_ok && bias.empty()) fail(what + ": conv_output_shape refused what conv computed");
            if (shape_ok && !(d.shape() == want)) fail(what + ": conv's shape is not conv_output_shape's");
            o.method = fftconv::Method::fft;
            check_close(d, F::conv(x, w, bias, o), fan_in, what);
        } catch (const fftconv::InvalidArgument&) {
            if (shape_ok && bias.empty()) fail(what + ": conv refused what conv_output_shape accepted");
        }
        return;
    }
    F::ConvTransposeOptions o;
    o.stride = per_axis(in, rank, 0, 3);
    o.dilation = per_axis(in, rank, 0, 3);
    o.padding = per_axis(in, rank, -1, 3);
    o.output_padding = per_axis(in, rank, -1, 2);
    o.groups = groups;
    bool shape_ok = true;
    fftconv::Extents want;
    try {
        want = F::conv_transpose_output_shape(xshape, wshape, o);
    } catch (const fftconv::InvalidArgument&) {
        shape_ok = false;
    }
    try {
        o.method = fftconv::Method::direct;
        const auto d = F::conv_transpose(x, w, bias, o);
        if (!shape_ok && bias.empty()) fail(what + ": conv_transpose_output_shape refused what the layer computed");
        if (shape_ok && !(d.shape() == want)) fail(what + ": conv_transpose's shape is not its shape function's");
        o.method = fftconv::Method::fft;
        check_close(d, F::conv_transpose(x, w, bias, o), fan_in, what);
    } catch (const fftconv::InvalidArgument&) {
        if (shape_ok && bias.empty()) fail(what + ": conv_transpose refused what its shape function accepted");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool limited = [] {
        fftconv::set_memory_limit(std::size_t{256} << 20);
        return true;
    }();
    (void)limited;
    FuzzedDataProvider in(data, size);
    if (in.ConsumeBool())
        run<float>(in);
    else
        run<double>(in);
    return 0;
}
