// max_pool and avg_pool of nn.hpp: one window per output, clipped to the input.
#include <algorithm>
#include <cmath>
#include <limits>

#include "context.hpp"
#include "fftconv/nn.hpp"
#include "nn_geometry.hpp"
#include "parallel.hpp"

namespace fftconv {

namespace {

using detail::LayerGeometry;

// Every layer as three spatial axes: the missing ones leading, of size 1 (one window, one tap).
struct Box {
    std::ptrdiff_t in[3], k[3], s[3], p[3], d[3], out[3];
};

Box box_of(const LayerGeometry& g) {
    Box b{};
    const int lead = 3 - g.rank;
    for (int a = 0; a < 3; ++a) {
        const int src = a - lead;
        const bool real = src >= 0;
        const auto i = static_cast<std::size_t>(real ? src : 0);
        b.in[a] = real ? g.in[i] : 1;
        b.k[a] = real ? g.kernel[i] : 1;
        b.s[a] = real ? g.stride[i] : 1;
        b.p[a] = real ? g.before[i] : 0;
        b.d[a] = real ? g.dilation[i] : 1;
        b.out[a] = real ? g.out[i] : 1;
    }
    return b;
}

template <class T>
Array<T> pool(View<const T> input, int spatial_rank, const nn::PoolOptions& options, bool max) {
    const LayerGeometry g = detail::pool_geometry(input.shape, spatial_rank, options, max);
    Array<T> out = Array<T>::uninitialized(g.output_shape());
    if (out.empty()) return out;
    const Box b = box_of(g);
    const int first = g.batched ? 2 : 1;
    // Input strides per box axis (0 for the missing ones: they have one position).
    std::ptrdiff_t st[3];
    for (int a = 0; a < 3; ++a) {
        const int src = a - (3 - g.rank);
        st[a] = src >= 0 ? input.strides[first + src] : 0;
    }
    const std::ptrdiff_t sn = g.batched ? input.strides[0] : 0, sc = input.strides[first - 1];
    const std::ptrdiff_t plane = b.out[0] * b.out[1] * b.out[2];
    const detail::Context context = detail::Context::current();
    detail::parallel_for(g.batch * g.channels, context.threads, 4, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        for (std::ptrdiff_t nc = begin; nc < end; ++nc) {
            const T* x = input.data + (nc / g.channels) * sn + (nc % g.channels) * sc;
            T* y = out.data() + nc * plane;
            for (std::ptrdiff_t o0 = 0; o0 < b.out[0]; ++o0)
                for (std::ptrdiff_t o1 = 0; o1 < b.out[1]; ++o1)
                    for (std::ptrdiff_t o2 = 0; o2 < b.out[2]; ++o2) {
                        const std::ptrdiff_t o[3] = {o0, o1, o2};
                        if (max) {
                            T m = -std::numeric_limits<T>::infinity();
                            std::ptrdiff_t lo[3], hi[3];  // the taps inside the input
                            for (int a = 0; a < 3; ++a) {
                                const std::ptrdiff_t start = o[a] * b.s[a] - b.p[a];
                                lo[a] = start < 0 ? (-start + b.d[a] - 1) / b.d[a] : 0;
                                hi[a] = std::min(b.k[a], (b.in[a] - start + b.d[a] - 1) / b.d[a]);
                                lo[a] = std::min(lo[a], hi[a]);
                                lo[a] = lo[a] * b.d[a] + start;  // as positions
                                hi[a] = hi[a] * b.d[a] + start;
                            }
                            for (std::ptrdiff_t i0 = lo[0]; i0 < hi[0]; i0 += b.d[0])
                                for (std::ptrdiff_t i1 = lo[1]; i1 < hi[1]; i1 += b.d[1])
                                    for (std::ptrdiff_t i2 = lo[2]; i2 < hi[2]; i2 += b.d[2]) {
                                        const T v = x[i0 * st[0] + i1 * st[1] + i2 * st[2]];
                                        if (v > m || std::isnan(v)) m = v;  // NaN wins, as in PyTorch
                                    }
                            *y++ = m;
                        } else {
                            std::ptrdiff_t lo[3], hi[3], padded = 1, inside = 1;
                            for (int a = 0; a < 3; ++a) {
                                lo[a] = o[a] * b.s[a] - b.p[a];
                                hi[a] = std::min(lo[a] + b.k[a], b.in[a] + b.p[a]);
                                padded *= hi[a] - lo[a];
                                lo[a] = std::max<std::ptrdiff_t>(lo[a], 0);
                                hi[a] = std::min(hi[a], b.in[a]);
                                inside *= std::max<std::ptrdiff_t>(hi[a] - lo[a], 0);
                            }
                            T sum = 0;
                            for (std::ptrdiff_t i0 = lo[0]; i0 < hi[0]; ++i0)
                                for (std::ptrdiff_t i1 = lo[1]; i1 < hi[1]; ++i1)
                                    for (std::ptrdiff_t i2 = lo[2]; i2 < hi[2]; ++i2)
                                        sum += x[i0 * st[0] + i1 * st[1] + i2 * st[2]];
                            const std::ptrdiff_t divisor = options.divisor_override > 0 ? options.divisor_override
                                                           : options.count_include_pad  ? padded
                                                                                        : inside;
                            *y++ = sum / static_cast<T>(divisor);
                        }
                    }
        }
    });
    return out;
}

}  // namespace

namespace nn {

Array<float> max_pool(View<const float> input, int spatial_rank, const PoolOptions& options) {
    return pool<float>(input, spatial_rank, options, true);
}
Array<double> max_pool(View<const double> input, int spatial_rank, const PoolOptions& options) {
    return pool<double>(input, spatial_rank, options, true);
}
Array<float> avg_pool(View<const float> input, int spatial_rank, const PoolOptions& options) {
    return pool<float>(input, spatial_rank, options, false);
}
Array<double> avg_pool(View<const double> input, int spatial_rank, const PoolOptions& options) {
    return pool<double>(input, spatial_rank, options, false);
}

}  // namespace nn

}  // namespace fftconv
