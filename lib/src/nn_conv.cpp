// The layer convolutions of nn.hpp: conv, conv_transpose and the separable forms.
//
// One pipeline, two cores: (1) check the geometry (nn_geometry.cpp); (2) lay the input out padded
// and contiguous, N x C x padded..., the padding mode applied once (conv_transpose spreads its
// input by the stride and pads it here too, which makes it a plain conv); (3) copy the weight to
// O x C/groups x k...; (4) run the direct core or the FFT core on that; both write N x O x out...
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "border.hpp"
#include "context.hpp"
#include "cost_constants.hpp"
#include "fftconv/nn.hpp"
#include "fftw.hpp"
#include "isa.hpp"
#include "memory.hpp"
#include "nn_geometry.hpp"
#include "parallel.hpp"
#include "transform_size.hpp"

namespace fftconv {

namespace {

using detail::LayerGeometry;
using Sizes = LayerGeometry::Sizes;

std::size_t idx(int a) {
    return static_cast<std::size_t>(a);
}

// Elements every buffer the direct core reads keeps readable past its end (isa.hpp's layer_sum).
template <class T>
constexpr std::ptrdiff_t slack = detail::layer_slack_bytes / static_cast<std::ptrdiff_t>(sizeof(T));

// Buffers each thread keeps between calls, so that a layer called in a loop reuses memory it
// has touched: a first touch costs about 4.5 ms per MiB here, and glibc, mapping buffers of this
// size afresh on every call, made the ResNet 3x3 layer of tests/bench/nn_peers.py 2.4x slower
// (8.4 ms against 3.5 ms). A buffer above keep_bytes is given back after the call.
enum class Kept { input, weight, packed, gathered, count };
constexpr std::size_t keep_bytes = std::size_t{32} << 20;

template <class T>
std::vector<T>& kept(Kept slot) {
    thread_local std::array<std::vector<T>, static_cast<std::size_t>(Kept::count)> buffers;
    return buffers[static_cast<std::size_t>(slot)];
}

// n elements of the thread's `slot` buffer (their values left as they were).
// @throws OutOfMemory  more than the context's memory budget allows.
template <class T>
std::span<T> kept_buffer(Kept slot, std::ptrdiff_t n, const detail::MemoryBudget& memory, const std::string& what) {
    auto& v = kept<T>(slot);
    const auto size = static_cast<std::size_t>(n);
    if (v.size() < size) {
        memory.check(what, detail::Bytes::of({n}, sizeof(T)));
        std::vector<T>().swap(v);  // the old block goes before the new one is touched
        v.resize(size);
    }
    return {v.data(), size};
}

template <class T>
void give_back_large(Kept slot) {
    auto& v = kept<T>(slot);
    if (v.capacity() * sizeof(T) > keep_bytes) std::vector<T>().swap(v);
}

// Gives the calling thread's large buffers back when a layer call ends, however it ends.
template <class T>
struct GiveBackLarge {
    GiveBackLarge() = default;
    GiveBackLarge(const GiveBackLarge&) = delete;
    GiveBackLarge& operator=(const GiveBackLarge&) = delete;
    ~GiveBackLarge() {
        for (auto slot : {Kept::input, Kept::weight, Kept::packed, Kept::gathered}) give_back_large<T>(slot);
    }
};

// The input as the cores read it: N x C x size..., row-major, `slack` elements after the end.
template <class T>
struct Prepared {
    std::span<T> data;
    int rank = 0;
    Sizes size{};
    std::ptrdiff_t channel = 0;  // elements per (n, c) plane
    const T* plane(std::ptrdiff_t n, std::ptrdiff_t c, std::ptrdiff_t channels) const {
        return data.data() + (n * channels + c) * channel;
    }
};

// Where each position of a prepared axis reads along the input's axis of length n: spread by
// `spread` (conv_transpose's stride: spread − 1 zeros between samples), `before` positions ahead
// (negative: cropped), the padding mode outside; −1 is a zero.
std::vector<std::ptrdiff_t> axis_map(std::ptrdiff_t n, std::ptrdiff_t spread, std::ptrdiff_t before,
                                     std::ptrdiff_t length, nn::PaddingMode mode) {
    std::vector<std::ptrdiff_t> map(static_cast<std::size_t>(length));
    const std::ptrdiff_t spread_n = (n - 1) * spread + 1;
    for (std::ptrdiff_t q = 0; q < length; ++q) {
        std::ptrdiff_t u = q - before;
        if (u < 0 || u >= spread_n) {
            switch (mode) {
                case nn::PaddingMode::zeros: u = -1; break;
                case nn::PaddingMode::reflect: u = detail::border_index(u, n, Border::reflect101); break;
                case nn::PaddingMode::replicate: u = detail::border_index(u, n, Border::replicate); break;
                case nn::PaddingMode::circular: u = detail::border_index(u, n, Border::wrap); break;
            }
        } else if (u % spread != 0) {
            u = -1;
        } else {
            u /= spread;
        }
        map[static_cast<std::size_t>(q)] = u;
    }
    return map;
}

// Step (2): the input of g (N x C x in...) read through `x`'s strides into a prepared buffer of
// `size` per axis, each axis mapped by axis_map with the given spread and lead.
template <class T>
Prepared<T> prepare(const LayerGeometry& g, View<const T> x, const Sizes& spread, const Sizes& before,
                    const Sizes& size) {
    Prepared<T> p;
    p.rank = g.rank;
    p.size = size;
    p.channel = LayerGeometry::volume(size, g.rank);
    p.data = kept_buffer<T>(Kept::input, g.batch * g.channels * p.channel + slack<T>, detail::MemoryBudget::current(),
                            std::string(g.fn) + ": the padded input");
    std::fill(p.data.data() + g.batch * g.channels * p.channel, p.data.data() + p.data.size(), T(0));
    std::vector<std::vector<std::ptrdiff_t>> maps;
    for (int a = 0; a < g.rank; ++a)
        maps.push_back(axis_map(g.in[idx(a)], spread[idx(a)], before[idx(a)], size[idx(a)], g.mode));
    const int first = g.batched ? 2 : 1;  // x's first spatial axis
    const std::ptrdiff_t xs_n = g.batched ? x.strides[0] : 0, xs_c = x.strides[first - 1];
    const std::ptrdiff_t last_stride = x.strides[first + g.rank - 1];
    const auto& last_map = maps.back();
    const std::ptrdiff_t width = size[idx(g.rank - 1)];
    const std::ptrdiff_t rows = p.channel / width;
    for (std::ptrdiff_t n = 0; n < g.batch; ++n)
        for (std::ptrdiff_t c = 0; c < g.channels; ++c) {
            T* dst = p.data.data() + (n * g.channels + c) * p.channel;
            const T* plane = x.data + n * xs_n + c * xs_c;
            for (std::ptrdiff_t r = 0; r < rows; ++r, dst += width) {
                // The outer axes' positions of row r, and the input row they read (or none).
                std::ptrdiff_t rest = r, offset = 0;
                bool zero = false;
                for (int a = g.rank - 2; a >= 0; --a) {
                    const std::ptrdiff_t q = rest % size[idx(a)];
                    rest /= size[idx(a)];
                    const std::ptrdiff_t u = maps[idx(a)][static_cast<std::size_t>(q)];
                    if (u < 0) zero = true;
                    offset += u * x.strides[first + a];
                }
                if (zero) {
                    std::fill(dst, dst + width, T(0));
                    continue;
                }
                const T* src = plane + offset;
                for (std::ptrdiff_t q = 0; q < width; ++q) {
                    const std::ptrdiff_t u = last_map[static_cast<std::size_t>(q)];
                    dst[q] = u < 0 ? T(0) : src[u * last_stride];
                }
            }
        }
    return p;
}

// Step (3): the weight as O x C/groups x k..., contiguous. For conv_transpose (C x O/groups x k…)
// `transpose` swaps its first two axes within each group and flips the kernel.
template <class T>
std::span<T> conv_weight(const LayerGeometry& g, View<const T> w, bool transpose) {
    const std::ptrdiff_t cg = g.in_per_group(), og = g.out_per_group();
    const std::ptrdiff_t k = LayerGeometry::volume(g.kernel, g.rank);
    const std::span<T> out = kept_buffer<T>(Kept::weight, g.outputs * cg * k, detail::MemoryBudget::current(),
                                            std::string(g.fn) + ": the weight");
    std::array<std::ptrdiff_t, max_rank> index{};
    for (std::ptrdiff_t o = 0; o < g.outputs; ++o)
        for (std::ptrdiff_t c = 0; c < cg; ++c)
            for (std::ptrdiff_t j = 0; j < k; ++j) {
                std::ptrdiff_t rest = j;
                for (int a = g.rank - 1; a >= 0; --a) {
                    const std::ptrdiff_t kj = rest % g.kernel[idx(a)];
                    rest /= g.kernel[idx(a)];
                    index[idx(2 + a)] = transpose ? g.kernel[idx(a)] - 1 - kj : kj;
                }
                if (transpose) {
                    const std::ptrdiff_t group = o / og;
                    index[0] = group * cg + c;
                    index[1] = o % og;
                } else {
                    index[0] = o;
                    index[1] = c;
                }
                out[static_cast<std::size_t>((o * cg + c) * k + j)] = w.at(index.data());
            }
    return out;
}

// The geometry the cores see: the prepared input is the whole input, padded already.
struct CoreShape {
    int rank = 0;
    std::ptrdiff_t batch = 1, channels = 0, outputs = 0, groups = 1;
    Sizes size{}, kernel{}, stride{}, dilation{}, out{};
    std::ptrdiff_t in_per_group() const { return channels / groups; }
    std::ptrdiff_t out_per_group() const { return outputs / groups; }
    std::ptrdiff_t taps() const { return LayerGeometry::volume(kernel, rank); }
    std::ptrdiff_t out_volume() const { return LayerGeometry::volume(out, rank); }
    double macs() const {
        return static_cast<double>(batch) * static_cast<double>(outputs) * static_cast<double>(out_volume()) *
               static_cast<double>(in_per_group()) * static_cast<double>(taps());
    }
};

// ---- The direct core: per output line (the last axis), layer_sum over every (channel, tap) of
// the group for up to layer_outs output channels at a time.
template <class T>
void direct_core(const CoreShape& s, const Prepared<T>& in, const T* weight, const T* bias, T* out, int threads) {
    const int r = s.rank;
    const std::ptrdiff_t cg = s.in_per_group(), og = s.out_per_group(), k = s.taps();
    const std::ptrdiff_t terms = cg * k;
    // Strides of the prepared plane, and each term's offset in it: channel, then the taps.
    Sizes pst{};
    pst[idx(r - 1)] = 1;
    for (int a = r - 2; a >= 0; --a) pst[idx(a)] = pst[idx(a + 1)] * in.size[idx(a + 1)];
    std::vector<std::ptrdiff_t> tap_offset(static_cast<std::size_t>(terms));
    for (std::ptrdiff_t c = 0; c < cg; ++c)
        for (std::ptrdiff_t j = 0; j < k; ++j) {
            std::ptrdiff_t rest = j, off = c * in.channel;
            for (int a = r - 1; a >= 0; --a) {
                off += (rest % s.kernel[idx(a)]) * s.dilation[idx(a)] * pst[idx(a)];
                rest /= s.kernel[idx(a)];
            }
            tap_offset[static_cast<std::size_t>(c * k + j)] = off;
        }
    // The weights packed per block of output channels: term-major, the block's channels inner.
    const std::span<T> packed =
        kept_buffer<T>(Kept::packed, s.outputs * terms, detail::MemoryBudget::current(), "conv: the packed weight");
    for (std::ptrdiff_t g = 0; g < s.groups; ++g)
        for (std::ptrdiff_t o0 = 0; o0 < og; o0 += detail::layer_outs) {
            const std::ptrdiff_t outs = std::min(detail::layer_outs, og - o0);
            const std::ptrdiff_t first = g * og + o0;
            for (std::ptrdiff_t t = 0; t < terms; ++t)
                for (std::ptrdiff_t o = 0; o < outs; ++o)
                    packed[static_cast<std::size_t>(first * terms + t * outs + o)] = weight[(first + o) * terms + t];
        }
    const std::ptrdiff_t width = s.out[idx(r - 1)], last_stride = s.stride[idx(r - 1)];
    const std::ptrdiff_t lines = s.out_volume() / width;
    // Long lines are cut so that threads share them and a gathered chunk stays in cache.
    constexpr std::ptrdiff_t chunk = 1024;
    const std::ptrdiff_t chunks = (width + chunk - 1) / chunk;
    const std::ptrdiff_t jobs = s.batch * s.groups * lines * chunks;
    const auto& sum = detail::kernels<T>().layer_sum;
    const std::ptrdiff_t out_plane = s.out_volume();
    const double work_per_job =
        static_cast<double>(terms) * static_cast<double>(og) * static_cast<double>(std::min(width, chunk));
    const auto min_jobs = static_cast<std::ptrdiff_t>(std::max(1.0, 2e5 / std::max(1.0, work_per_job)));
    detail::parallel_for(jobs, threads, min_jobs, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        std::vector<const T*> src(static_cast<std::size_t>(terms));
        const std::ptrdiff_t gathered_width = std::min(width, chunk) + slack<T>;
        const std::span<T> gathered = last_stride > 1
                                          ? kept_buffer<T>(Kept::gathered, terms * gathered_width,
                                                           detail::MemoryBudget::current(), "conv: the gathered lines")
                                          : std::span<T>();
        T* dst[detail::layer_outs];
        for (std::ptrdiff_t job = begin; job < end; ++job) {
            std::ptrdiff_t rest = job;
            const std::ptrdiff_t piece = rest % chunks;
            rest /= chunks;
            const std::ptrdiff_t line = rest % lines;
            rest /= lines;
            const std::ptrdiff_t g = rest % s.groups;
            const std::ptrdiff_t n = rest / s.groups;
            const std::ptrdiff_t x0 = piece * chunk, count = std::min(chunk, width - x0);
            // The line's outer positions: where its windows start in the prepared plane.
            std::ptrdiff_t base = x0 * last_stride, lr = line;
            for (int a = r - 2; a >= 0; --a) {
                base += (lr % s.out[idx(a)]) * s.stride[idx(a)] * pst[idx(a)];
                lr /= s.out[idx(a)];
            }
            const T* plane = in.plane(n, g * cg, s.channels) + base;
            for (std::ptrdiff_t t = 0; t < terms; ++t) {
                const T* p = plane + tap_offset[static_cast<std::size_t>(t)];
                if (last_stride == 1) {
                    src[static_cast<std::size_t>(t)] = p;
                } else {
                    T* q = gathered.data() + t * gathered_width;
                    for (std::ptrdiff_t i = 0; i < count; ++i) q[i] = p[i * last_stride];
                    src[static_cast<std::size_t>(t)] = q;
                }
            }
            for (std::ptrdiff_t o0 = 0; o0 < og; o0 += detail::layer_outs) {
                const std::ptrdiff_t outs = std::min(detail::layer_outs, og - o0);
                const std::ptrdiff_t first = g * og + o0;
                for (std::ptrdiff_t o = 0; o < outs; ++o)
                    dst[o] = out + (n * s.outputs + first + o) * out_plane + line * width + x0;
                sum(src.data(), packed.data() + first * terms, terms, outs, dst, bias ? bias + first : nullptr, count);
            }
        }
        give_back_large<T>(Kept::gathered);
    });
}

// ---- The FFT core: every prepared input plane transformed once at a size that holds it (a
// correlation's valid part never wraps then), the kernel of each (output, input) channel pair
// transformed once, the products summed over the group's channels on the spectra, one inverse per
// output plane, the strided outputs read off it.
template <class T>
struct FftPlan {
    std::vector<int> dims;
    Sizes length{};
    std::ptrdiff_t real = 0, half = 0;
};

template <class T>
FftPlan<T> fft_plan(const CoreShape& s) {
    FftPlan<T> p;
    p.real = 1;
    for (int a = 0; a < s.rank; ++a) {
        p.length[idx(a)] = detail::next_fast_length(s.size[idx(a)]);
        p.dims.push_back(static_cast<int>(p.length[idx(a)]));
        p.real *= p.length[idx(a)];
    }
    p.half = p.real / p.length[idx(s.rank - 1)] * (p.length[idx(s.rank - 1)] / 2 + 1);
    return p;
}

template <class T>
detail::Bytes fft_bytes(const CoreShape& s, const FftPlan<T>& p) {
    using C = std::complex<T>;
    const auto spectra = static_cast<std::size_t>(s.batch * s.in_per_group() + s.batch + 1);
    return detail::Bytes::of({p.half}, sizeof(C)) * spectra + detail::Bytes::of({p.real}, sizeof(T));
}

// x's largest magnitude's power of two: x · 2^-e lies in (−1, 1).
template <class T>
int magnitude_exponent(const T* x, std::ptrdiff_t n) {
    T m = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) m = std::max(m, std::abs(x[i]));
    int e = 0;
    if (m > 0) std::frexp(m, &e);
    return e;
}

template <class T>
void fft_core(const CoreShape& s, const Prepared<T>& in, const T* weight, const T* bias, T* out,
              const detail::Context& context) {
    using C = std::complex<T>;
    using F = detail::Fftw<T>;
    using FC = typename F::complex;
    const FftPlan<T> p = fft_plan<T>(s);
    context.memory.check(std::string("conv (FFT): the spectra of ") +
                             std::to_string(s.batch * s.in_per_group() + s.batch + 1) + " planes",
                         fft_bytes(s, p));
    const auto forward = detail::get_plan<T>(detail::Transform::r2c, p.dims, context);
    const auto inverse = detail::get_plan<T>(detail::Transform::c2r, p.dims, context);
    const std::ptrdiff_t cg = s.in_per_group(), og = s.out_per_group(), k = s.taps();
    detail::FftwBuffer<T> real(static_cast<std::size_t>(p.real), context.memory);
    detail::FftwBuffer<C> kernel(static_cast<std::size_t>(p.half), context.memory);
    std::vector<detail::FftwBuffer<C>> x, y;
    for (std::ptrdiff_t i = 0; i < s.batch * cg; ++i) x.emplace_back(static_cast<std::size_t>(p.half), context.memory);
    for (std::ptrdiff_t i = 0; i < s.batch; ++i) y.emplace_back(static_cast<std::size_t>(p.half), context.memory);
    // Operands scaled by powers of two to magnitudes below 1, so no sum overflows or sinks into
    // subnormal numbers; the result scaled back exactly.
    const int ex = magnitude_exponent(in.data.data(), static_cast<std::ptrdiff_t>(in.data.size()));
    const int ew = magnitude_exponent(weight, s.outputs * cg * k);
    const T unscale = std::ldexp(T(1), ex + ew) / static_cast<T>(p.real);
    // Row-major strides of the transform box and of the prepared plane.
    Sizes lst{}, pst{};
    lst[idx(s.rank - 1)] = pst[idx(s.rank - 1)] = 1;
    for (int a = s.rank - 2; a >= 0; --a) {
        lst[idx(a)] = lst[idx(a + 1)] * p.length[idx(a + 1)];
        pst[idx(a)] = pst[idx(a + 1)] * in.size[idx(a + 1)];
    }
    const std::ptrdiff_t width = in.size[idx(s.rank - 1)], rows = in.channel / width;
    for (std::ptrdiff_t g = 0; g < s.groups; ++g) {
        for (std::ptrdiff_t n = 0; n < s.batch; ++n)
            for (std::ptrdiff_t c = 0; c < cg; ++c) {
                std::fill(real.get(), real.get() + p.real, T(0));
                const T* plane = in.plane(n, g * cg + c, s.channels);
                for (std::ptrdiff_t row = 0; row < rows; ++row) {
                    std::ptrdiff_t rest = row, at = 0;
                    for (int a = s.rank - 2; a >= 0; --a) {
                        at += (rest % in.size[idx(a)]) * lst[idx(a)];
                        rest /= in.size[idx(a)];
                    }
                    for (std::ptrdiff_t i = 0; i < width; ++i)
                        real.get()[at + i] = std::ldexp(plane[row * width + i], -ex);
                }
                F::execute_r2c(forward->get(), real.get(),
                               reinterpret_cast<FC*>(x[static_cast<std::size_t>(n * cg + c)].get()));
            }
        for (std::ptrdiff_t o = g * og; o < (g + 1) * og; ++o) {
            for (std::ptrdiff_t c = 0; c < cg; ++c) {
                std::fill(real.get(), real.get() + p.real, T(0));
                const T* w = weight + (o * cg + c) * k;
                for (std::ptrdiff_t j = 0; j < k; ++j) {
                    std::ptrdiff_t rest = j, at = 0;
                    for (int a = s.rank - 1; a >= 0; --a) {
                        at += (rest % s.kernel[idx(a)]) * s.dilation[idx(a)] * lst[idx(a)];
                        rest /= s.kernel[idx(a)];
                    }
                    real.get()[at] = std::ldexp(w[j], -ew);
                }
                F::execute_r2c(forward->get(), real.get(), reinterpret_cast<FC*>(kernel.get()));
                const C* kv = kernel.get();
                for (std::ptrdiff_t n = 0; n < s.batch; ++n) {
                    const C* xv = x[static_cast<std::size_t>(n * cg + c)].get();
                    C* yv = y[static_cast<std::size_t>(n)].get();
                    // Correlation: X · conj(K). Written out, as std::complex's operator* checks
                    // for NaN on every product (the inputs here are finite).
                    if (c == 0) {
                        for (std::ptrdiff_t i = 0; i < p.half; ++i)
                            yv[i] = C(xv[i].real() * kv[i].real() + xv[i].imag() * kv[i].imag(),
                                      xv[i].imag() * kv[i].real() - xv[i].real() * kv[i].imag());
                    } else {
                        for (std::ptrdiff_t i = 0; i < p.half; ++i)
                            yv[i] += C(xv[i].real() * kv[i].real() + xv[i].imag() * kv[i].imag(),
                                       xv[i].imag() * kv[i].real() - xv[i].real() * kv[i].imag());
                    }
                }
            }
            const T b = bias ? bias[o] : T(0);
            for (std::ptrdiff_t n = 0; n < s.batch; ++n) {
                F::execute_c2r(inverse->get(), reinterpret_cast<FC*>(y[static_cast<std::size_t>(n)].get()), real.get());
                T* dst = out + (n * s.outputs + o) * s.out_volume();
                const std::ptrdiff_t ow = s.out[idx(s.rank - 1)], olines = s.out_volume() / ow;
                const std::ptrdiff_t step = s.stride[idx(s.rank - 1)];
                for (std::ptrdiff_t line = 0; line < olines; ++line) {
                    std::ptrdiff_t rest = line, at = 0;
                    for (int a = s.rank - 2; a >= 0; --a) {
                        at += (rest % s.out[idx(a)]) * s.stride[idx(a)] * lst[idx(a)];
                        rest /= s.out[idx(a)];
                    }
                    const T* src = real.get() + at;
                    for (std::ptrdiff_t i = 0; i < ow; ++i) dst[line * ow + i] = src[i * step] * unscale + b;
                }
            }
        }
    }
}

// ---- Choosing: estimated seconds of each core, from the cost model's constants.
template <class T>
double direct_seconds(const CoreShape& s) {
    const auto& c = detail::cost_constants(element_type_v<T>);
    // layer_sum feeds each load to up to four output channels: with four, about a third of the
    // direct sum's time per multiply-add (the ResNet 3x3 layer: 2.8 ms estimated, 3.5 ms
    // measured); with fewer, each load serves fewer (depthwise: one). Each job sets up one
    // pointer per term, as a call of the direct sum's inner loop costs.
    const double outs = static_cast<double>(std::min(detail::layer_outs, s.out_per_group()));
    const double width = static_cast<double>(s.out[idx(s.rank - 1)]);
    const double jobs =
        static_cast<double>(s.batch * s.groups) * static_cast<double>(s.out_volume()) / width * std::ceil(width / 1024);
    const double terms = static_cast<double>(s.in_per_group() * s.taps());
    return c.direct_fixed + s.macs() * c.mac / 3 * (static_cast<double>(detail::layer_outs) / outs) +
           jobs * terms * c.call;
}

template <class T>
double fft_seconds(const CoreShape& s) {
    const auto& c = detail::cost_constants(element_type_v<T>);
    const FftPlan<T> p = fft_plan<T>(s);
    const double n = static_cast<double>(p.real);
    const double transforms =
        static_cast<double>(s.batch * s.channels + s.outputs * s.in_per_group() + s.batch * s.outputs);
    const double products = static_cast<double>(s.batch * s.outputs * s.in_per_group()) * static_cast<double>(p.half);
    const double per = s.rank == 1 ? c.fft_nlogn : c.fft_nlogn_2d;
    // Each transform's plane is zero-filled and copied into first: a quarter of fft_tile per
    // element, fitted by hand to four layers timed on 2 Dec (depthwise 7x7 and 15x15 on
    // 64x56², dense 9x9 and 15x15 on 32x64²), where the transforms alone put the crossover
    // at kernels 2x too small.
    const double fill = c.fft_tile / 4;
    return transforms * (c.fft_fixed + n * std::log2(std::max(2.0, n)) * per + n * fill) + products * 4 * c.mac;
}

template <class T>
bool all_finite(const T* x, std::ptrdiff_t n) {
    T acc = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) acc += x[i] * T(0);  // NaN for NaN and ±Inf only
    return acc == acc;
}

// Step (4): the core for `method`, run.
template <class T>
Array<T> run_layer(const LayerGeometry& g, const CoreShape& s, const Prepared<T>& in, std::span<const T> weight,
                   std::span<const T> bias, Method method) {
    const detail::Context context = detail::Context::current();
    Array<T> out = Array<T>::uninitialized(g.output_shape());
    if (out.empty()) return out;
    // NaN and ±Inf go through the direct sum, which puts them where PyTorch does.
    const bool finite = all_finite(in.data.data(), static_cast<std::ptrdiff_t>(in.data.size())) &&
                        all_finite(weight.data(), static_cast<std::ptrdiff_t>(weight.size()));
    Method m = method;
    if (!finite) m = Method::direct;
    if (m == Method::automatic) {
        const FftPlan<T> p = fft_plan<T>(s);
        m = context.memory.fits(fft_bytes(s, p)) && fft_seconds<T>(s) < direct_seconds<T>(s) ? Method::fft
                                                                                             : Method::direct;
    }
    const T* b = bias.empty() ? nullptr : bias.data();
    if (m == Method::fft)
        fft_core(s, in, weight.data(), b, out.data(), context);
    else
        direct_core(s, in, weight.data(), b, out.data(), context.threads);
    return out;
}

template <class T>
Array<T> conv_impl(View<const T> input, View<const T> weight, std::span<const T> bias, const nn::ConvOptions& options,
                   int want_rank) {
    if (want_rank != 0 && weight.rank() != want_rank + 2)
        throw InvalidArgument(std::string("conv") + std::to_string(want_rank) + "d: the weight " +
                              to_string(weight.shape) + " has rank " + std::to_string(weight.rank()) + "; conv" +
                              std::to_string(want_rank) + "d takes O x C/groups x k... of rank " +
                              std::to_string(want_rank + 2));
    const LayerGeometry g = detail::conv_geometry(input.shape, weight.shape, options, bias.size());
    Sizes ones{}, size{};
    for (int a = 0; a < g.rank; ++a) {
        ones[idx(a)] = 1;
        size[idx(a)] = g.padded(a);
    }
    CoreShape s{g.rank, g.batch, g.channels, g.outputs, g.groups, size, g.kernel, g.stride, g.dilation, g.out};
    if (g.batch == 0) return Array<T>(g.output_shape());
    const GiveBackLarge<T> give_back;
    const Prepared<T> in = prepare(g, input, ones, g.before, size);
    return run_layer<T>(g, s, in, conv_weight(g, weight, false), bias, options.method);
}

template <class T>
Array<T> conv_transpose_impl(View<const T> input, View<const T> weight, std::span<const T> bias,
                             const nn::ConvTransposeOptions& options) {
    LayerGeometry g = detail::transpose_geometry(input.shape, weight.shape, options, bias.size());
    if (g.batch == 0) return Array<T>(g.output_shape());
    // The input spread by the stride and padded by d·(k − 1) − p (cropped where negative), plus
    // output_padding after: a stride-1 conv of that with the flipped kernel is the transpose.
    Sizes before{}, size{}, ones{};
    for (int a = 0; a < g.rank; ++a) {
        const auto i = idx(a);
        const std::ptrdiff_t reach = g.dilation[i] * (g.kernel[i] - 1);
        before[i] = reach - g.before[i];
        size[i] = g.out[i] + reach;
        ones[i] = 1;
    }
    g.mode = nn::PaddingMode::zeros;
    const GiveBackLarge<T> give_back;
    const Prepared<T> in = prepare(g, input, g.stride, before, size);
    // The transposed weight's channels: the conv sees C in, O out, grouped the same way.
    const std::span<T> w = conv_weight(g, weight, true);
    CoreShape s{g.rank, g.batch, g.channels, g.outputs, g.groups, size, g.kernel, ones, g.dilation, g.out};
    return run_layer<T>(g, s, in, w, bias, options.method);
}

template <class T>
Array<T> separable_impl(View<const T> input, View<const T> depthwise, View<const T> pointwise, std::span<const T> bias,
                        nn::ConvOptions options) {
    const int rank = depthwise.rank() - 2;
    const std::ptrdiff_t channels = input.rank() >= 2 ? input.shape[input.rank() - rank - 1] : 0;
    options.groups = channels;
    if (pointwise.rank() != depthwise.rank())
        throw InvalidArgument("separable_conv: the pointwise weight " + to_string(pointwise.shape) +
                              " has another rank than the depthwise one " + to_string(depthwise.shape));
    for (int a = 2; a < pointwise.rank(); ++a)
        if (pointwise.shape[a] != 1)
            throw InvalidArgument("separable_conv: the pointwise weight " + to_string(pointwise.shape) +
                                  " is O x C x 1..., 1 along every spatial axis");
    const Array<T> mid = conv_impl<T>(input, depthwise, {}, options, 0);
    nn::ConvOptions point;
    point.method = options.method;
    return conv_impl<T>(mid.view(), pointwise, bias, point, 0);
}

void check_spatially_separable(const char* fn, const Extents& column, const Extents& row) {
    if (column.rank() != 4 || row.rank() != 4 || column[3] != 1 || row[1] != 1 || row[2] != 1 || row[0] != column[0])
        throw InvalidArgument(std::string(fn) + ": the weights are O x C/groups x k_h x 1 and O x 1 x 1 x k_w, got " +
                              to_string(column) + " and " + to_string(row));
}

// The two steps of a spatially separable conv: options acting along H with the column, then
// along W with the row (groups = O). Padding is resolved against the whole k_h x k_w kernel, so
// 'same' pads as one conv would.
std::pair<nn::ConvOptions, nn::ConvOptions> separable_steps(const Extents& input, const Extents& column,
                                                            const Extents& row, const nn::ConvOptions& options) {
    const Extents whole{column[0], column[1], column[2], row[3]};
    const LayerGeometry g = detail::conv_geometry(input, whole, options, 0);
    nn::ConvOptions first = options, second = options;
    first.stride = nn::PerAxis({g.stride[0], 1});
    first.dilation = nn::PerAxis({g.dilation[0], 1});
    first.padding = nn::Padding::sides(nn::PerAxis({g.before[0], 0}), nn::PerAxis({g.after[0], 0}));
    second.stride = nn::PerAxis({1, g.stride[1]});
    second.dilation = nn::PerAxis({1, g.dilation[1]});
    second.padding = nn::Padding::sides(nn::PerAxis({0, g.before[1]}), nn::PerAxis({0, g.after[1]}));
    second.groups = row[0];
    return {first, second};
}

template <class T>
Array<T> spatially_separable_impl(View<const T> input, View<const T> column, View<const T> row, std::span<const T> bias,
                                  const nn::ConvOptions& options) {
    check_spatially_separable("spatially_separable_conv", column.shape, row.shape);
    const auto [first, second] = separable_steps(input.shape, column.shape, row.shape, options);
    const Array<T> mid = conv_impl<T>(input, column, {}, first, 2);
    return conv_impl<T>(mid.view(), row, bias, second, 2);
}

}  // namespace

namespace nn {

#define FFTCONV_NN_LAYERS(T)                                                                                          \
    Array<T> conv(View<const T> input, View<const T> weight, std::span<const T> bias, const ConvOptions& options) {   \
        return conv_impl<T>(input, weight, bias, options, 0);                                                         \
    }                                                                                                                 \
    Array<T> conv1d(View<const T> input, View<const T> weight, std::span<const T> bias, const ConvOptions& options) { \
        return conv_impl<T>(input, weight, bias, options, 1);                                                         \
    }                                                                                                                 \
    Array<T> conv2d(View<const T> input, View<const T> weight, std::span<const T> bias, const ConvOptions& options) { \
        return conv_impl<T>(input, weight, bias, options, 2);                                                         \
    }                                                                                                                 \
    Array<T> conv3d(View<const T> input, View<const T> weight, std::span<const T> bias, const ConvOptions& options) { \
        return conv_impl<T>(input, weight, bias, options, 3);                                                         \
    }                                                                                                                 \
    Array<T> conv_transpose(View<const T> input, View<const T> weight, std::span<const T> bias,                       \
                            const ConvTransposeOptions& options) {                                                    \
        return conv_transpose_impl<T>(input, weight, bias, options);                                                  \
    }                                                                                                                 \
    Array<T> separable_conv(View<const T> input, View<const T> depthwise, View<const T> pointwise,                    \
                            std::span<const T> pointwise_bias, ConvOptions options) {                                 \
        return separable_impl<T>(input, depthwise, pointwise, pointwise_bias, options);                               \
    }                                                                                                                 \
    Array<T> spatially_separable_conv(View<const T> input, View<const T> column, View<const T> row,                   \
                                      std::span<const T> bias, const ConvOptions& options) {                          \
        return spatially_separable_impl<T>(input, column, row, bias, options);                                        \
    }

FFTCONV_NN_LAYERS(float)
FFTCONV_NN_LAYERS(double)
#undef FFTCONV_NN_LAYERS

LayerCost conv_cost(const Extents& input, const Extents& weight, const ConvOptions& options, bool bias) {
    const LayerGeometry g = detail::conv_geometry(input, weight, options, 0);
    LayerCost c;
    const std::ptrdiff_t k = LayerGeometry::volume(g.kernel, g.rank);
    c.parameters = g.outputs * g.in_per_group() * k + (bias ? g.outputs : 0);
    c.multiplications = g.batch * g.outputs * LayerGeometry::volume(g.out, g.rank) * g.in_per_group() * k;
    return c;
}

LayerCost separable_conv_cost(const Extents& input, const Extents& depthwise, const Extents& pointwise,
                              const ConvOptions& options) {
    ConvOptions o = options;
    const int rank = depthwise.rank() - 2;
    o.groups = input.rank() > rank ? input[input.rank() - rank - 1] : 1;
    const Extents mid = conv_output_shape(input, depthwise, o);
    const LayerCost a = conv_cost(input, depthwise, o);
    const LayerCost b = conv_cost(mid, pointwise, ConvOptions{});
    return {a.parameters + b.parameters, a.multiplications + b.multiplications};
}

LayerCost spatially_separable_conv_cost(const Extents& input, const Extents& column, const Extents& row,
                                        const ConvOptions& options) {
    check_spatially_separable("spatially_separable_conv_cost", column, row);
    const auto [first, second] = separable_steps(input, column, row, options);
    const LayerCost a = conv_cost(input, column, first);
    const LayerCost b = conv_cost(conv_output_shape(input, column, first), row, second);
    return {a.parameters + b.parameters, a.multiplications + b.multiplications};
}

}  // namespace nn

}  // namespace fftconv
