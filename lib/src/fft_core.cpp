#include "fft_core.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "fftconv/settings.hpp"
#include "instantiate.hpp"
#include "parallel.hpp"
#include "transform_size.hpp"

namespace fftconv::detail {

namespace {

// Lines handed to FFTW one at a time must all have the alignment the plan was made with (FFTW's
// new-array rule); fftw_malloc'ed buffers with pitches of whole cache lines do.
constexpr std::size_t line_bytes = 64;

template <class E>
std::ptrdiff_t pitch(std::ptrdiff_t n) {
    const auto per_line = static_cast<std::ptrdiff_t>(line_bytes / sizeof(E));
    return (n + per_line - 1) / per_line * per_line;
}

// Lines per block of an axis pass other than the last: one cache line of each (8 complex
// doubles, 8 complex floats twice), so the gather reads whole lines; a block of 2240-point lines
// is ~300 KB, in L2 with its kernel spectrum.
template <class C>
constexpr std::ptrdiff_t block_lines = std::is_same_v<C, std::complex<float>> ? 16 : 8;

// Items of work per thread below which another thread does not pay for its start.
constexpr std::ptrdiff_t min_lines_per_thread = 64;

// One execution of a forward plan (r2c for real T, c2c for complex T) on T data into a spectrum,
// and of an inverse plan (c2r, c2c) back.
template <class T, class Plan, class C>
void execute_forward(const Plan& plan, T* in, C* out) {
    using F = Fftw<real_t<T>>;
    auto* o = reinterpret_cast<typename F::complex*>(out);
    if constexpr (is_complex_v<T>)
        F::execute_c2c(plan.get(), reinterpret_cast<typename F::complex*>(in), o);
    else
        F::execute_r2c(plan.get(), in, o);
}

template <class T, class Plan, class C>
void execute_inverse(const Plan& plan, C* in, T* out) {
    using F = Fftw<real_t<T>>;
    auto* i = reinterpret_cast<typename F::complex*>(in);
    if constexpr (is_complex_v<T>)
        F::execute_c2c(plan.get(), i, reinterpret_cast<typename F::complex*>(out));
    else
        F::execute_c2r(plan.get(), i, out);
}

// s[i] *= k[i] for n complex values: the textbook product written out so it vectorizes
// (std::complex's operator* calls a NaN-recovery routine).
template <class R>
void multiply_spectra(std::complex<R>* spectrum, const std::complex<R>* kernel, std::size_t n) {
    R* __restrict s = reinterpret_cast<R*>(spectrum);
    const R* __restrict k = reinterpret_cast<const R*>(kernel);
    for (std::size_t i = 0; i < n; ++i) {
        const R sr = s[2 * i], si = s[2 * i + 1], kr = k[2 * i], ki = k[2 * i + 1];
        s[2 * i] = sr * kr - si * ki;
        s[2 * i + 1] = sr * ki + si * kr;
    }
}

// Writes from[0 .. n) times 2^e (`unscale`) to out[i * stride].
template <class T>
void store_line(const T* from, T* out, std::ptrdiff_t n, std::ptrdiff_t stride, const PowerOfTwo<real_t<T>>& unscale) {
    if (unscale.plain() && stride == 1) {
        const real_t<T> f = unscale.factor();
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = from[i] * f;
    } else {
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i * stride] = unscale(from[i]);
    }
}

}  // namespace

// Per axis 0 .. rank - 2, the index range [first, last) a pass covers.
template <Scalar T>
struct FftCore<T>::Ranges {
    std::array<std::ptrdiff_t, max_rank> first{}, last{};
    std::ptrdiff_t count(int axis) const {
        return last[static_cast<std::size_t>(axis)] - first[static_cast<std::size_t>(axis)];
    }
};

template <Scalar T>
void FftCore<T>::prepare(const std::vector<int>& dims) {
    const Transform line_forward = is_complex_v<T> ? Transform::c2c_forward : Transform::r2c;
    const Transform line_inverse = is_complex_v<T> ? Transform::c2c_backward : Transform::c2r;
    const int last = rank_ - 1;
    half_ = is_complex_v<T> ? padded_[last] : padded_[last] / 2 + 1;
    last_forward_ = get_plan<R>(line_forward, {dims.back()}, context_);
    last_inverse_ = get_plan<R>(line_inverse, {dims.back()}, context_);
    if (rank_ == 1) {
        buf_ = FftwBuffer<T>(static_cast<std::size_t>(padded_[0]), context_.memory);
        spectrum_ = FftwBuffer<C>(static_cast<std::size_t>(half_), context_.memory);
        return;
    }
    for (int t = 0; t < last; ++t) {
        axis_forward_.push_back(get_plan<R>(Transform::c2c_forward, {dims[static_cast<std::size_t>(t)]}, context_));
        axis_inverse_.push_back(get_plan<R>(Transform::c2c_backward, {dims[static_cast<std::size_t>(t)]}, context_));
    }
    row_pitch_ = pitch<C>(half_);
    first_pitch_ = pitch<C>(padded_[0]);
    // spectrum_ holds, along axis 0, the lines the source or the kernel fill and those the window
    // reads back; along every other axis, the whole transform.
    spectrum_first_ = std::max({g_.a[0], g_.b[0], g_.win(0).offset + g_.win(0).size});
    line_strides_ = Extents(std::span<const std::ptrdiff_t>(padded_.begin(), static_cast<std::size_t>(last)));
    std::ptrdiff_t stride = row_pitch_;
    for (int u = last - 1; u >= 0; --u) {
        line_strides_[u] = stride;
        stride *= u == 0 ? spectrum_first_ : padded_[u];
    }
    spectrum_ = FftwBuffer<C>(static_cast<std::size_t>(stride), context_.memory);
}

template <Scalar T>
FftCore<T>::FftCore(const Geometry& g, const Context& context)
    : g_(g), context_(context), padded_(g.a), rank_(g.rank()) {
    prepare(fft_dims(padded_));
}

template <Scalar T>
FftCore<T>::FftCore(const Geometry& g, std::span<const View<const T>> kernels, const Context& context)
    : g_(g), context_(context), padded_(fft_shape(g, !is_complex_v<T>, context.effort)), rank_(g.rank()) {
    prepare(fft_dims(padded_));
    const int last = rank_ - 1;
    // FFTW's inverse is unnormalised; folding 1/N into the kernel spectrum saves a pass per apply.
    const R scale = R(1) / static_cast<R>(padded_.size());
    for (const View<const T>& k : kernels) kernel_exponents_.push_back(magnitude_exponent<R>(scan_values(k).max_abs));

    if (rank_ == 1) {
        for (std::size_t k = 0; k < kernels.size(); ++k) {
            kernel_spectra_.emplace_back(static_cast<std::size_t>(half_), context_.memory);
            const std::array<std::ptrdiff_t, 1> lead{};
            Source<T>::whole(kernels[k])
                .load_line(lead.data(), buf_.get(), padded_[0], std::ldexp(R(1), -kernel_exponents_[k]));
            C* spectrum = kernel_spectra_.back().get();
            execute_forward(*last_forward_, buf_.get(), spectrum);
            for (std::ptrdiff_t i = 0; i < half_; ++i) spectrum[i] *= scale;
        }
        return;
    }
    std::ptrdiff_t first_lines = half_;
    for (int u = 1; u < last; ++u) first_lines *= padded_[u];

    // Each kernel: the last axis, the middle axes, then axis 0 straight into its place, scaled.
    for (std::size_t k = 0; k < kernels.size(); ++k) {
        const Source<T> source = Source<T>::whole(kernels[k]);
        Ranges r;
        for (int u = 0; u < last; ++u) r.last[static_cast<std::size_t>(u)] = g.b[u];
        forward_last(source, r, std::ldexp(R(1), -kernel_exponents_[k]));
        for (int t = last - 1; t >= 1; --t) {
            forward_middle(t, r);
            r.last[static_cast<std::size_t>(t)] = padded_[t];
        }
        kernel_spectra_.emplace_back(static_cast<std::size_t>(first_lines * first_pitch_), context_.memory);
        forward_first(r, kernel_spectra_.back().get());
        C* spectrum = kernel_spectra_.back().get();
        for (std::ptrdiff_t i = 0; i < first_lines * first_pitch_; ++i) spectrum[i] *= scale;
    }
}

template <Scalar T>
void FftCore<T>::forward_last(const Source<T>& source, const Ranges& ranges, R scale) {
    const int last = rank_ - 1;
    std::ptrdiff_t lines = 1;
    for (int u = 0; u < last; ++u) lines *= ranges.count(u);
    const std::ptrdiff_t n = padded_[last];
    parallel_for(lines, context_.threads, min_lines_per_thread, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        FftwBuffer<T> line(static_cast<std::size_t>(pitch<T>(n)), context_.memory);
        std::array<std::ptrdiff_t, max_rank> lead{};
        for (std::ptrdiff_t l = first; l < end; ++l) {
            std::ptrdiff_t rest = l, offset = 0;
            for (int u = last - 1; u >= 0; --u) {
                const auto i = static_cast<std::size_t>(u);
                lead[i] = ranges.first[i] + rest % ranges.count(u);
                rest /= ranges.count(u);
                offset += lead[i] * line_strides_[u];
            }
            source.load_line(lead.data(), line.get(), n, scale);
            execute_forward(*last_forward_, line.get(), spectrum_.get() + offset);
        }
    });
}

namespace {

// The lines along axis `t` of a spectrum of rank + 1 axes (the last one, `half` long, split into
// blocks of `block`): every combination of the other axes' ranges, decoded from a flat index
// into the offset of the block's first element.
struct AxisLines {
    int t, axes;
    std::array<std::ptrdiff_t, max_rank> first{}, count{}, stride{};
    std::ptrdiff_t half, block, blocks, total;

    template <class Ranges>
    AxisLines(int t_, int axes_, const Ranges& r, const Extents& strides, std::ptrdiff_t half_, std::ptrdiff_t block_)
        : t(t_), axes(axes_), half(half_), block(block_), blocks((half_ + block_ - 1) / block_), total(blocks) {
        for (int u = 0; u < axes; ++u) {
            const auto i = static_cast<std::size_t>(u);
            first[i] = r.first[i];
            count[i] = u == t ? 1 : r.last[i] - r.first[i];
            stride[i] = strides[u];
            total *= count[i];
        }
    }
    // Item `item` as (offset of its block's first element with axis t at 0, first h, width).
    std::array<std::ptrdiff_t, 3> at(std::ptrdiff_t item) const {
        const std::ptrdiff_t b = item % blocks;
        std::ptrdiff_t rest = item / blocks, offset = 0;
        for (int u = axes - 1; u >= 0; --u) {
            const auto i = static_cast<std::size_t>(u);
            if (u == t) continue;
            offset += (first[i] + rest % count[i]) * stride[i];
            rest /= count[i];
        }
        const std::ptrdiff_t h0 = b * block;
        return {offset + h0, h0, std::min(block, half - h0)};
    }
};

}  // namespace

template <Scalar T>
void FftCore<T>::forward_middle(int t, const Ranges& ranges) {
    const AxisLines lines(t, rank_ - 1, ranges, line_strides_, half_, block_lines<C>);
    const std::ptrdiff_t n = padded_[t], step = line_strides_[t], cp = pitch<C>(n);
    const std::ptrdiff_t lo = ranges.first[static_cast<std::size_t>(t)], hi = ranges.last[static_cast<std::size_t>(t)];
    const Plan<R>& plan = *axis_forward_[static_cast<std::size_t>(t)];
    parallel_for(lines.total, context_.threads, 4, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        FftwBuffer<C> a(static_cast<std::size_t>(lines.block * cp), context_.memory),
            b(static_cast<std::size_t>(lines.block * cp), context_.memory);
        for (std::ptrdiff_t item = first; item < end; ++item) {
            const auto [offset, h0, width] = lines.at(item);
            C* s = spectrum_.get() + offset;
            for (std::ptrdiff_t i = lo; i < hi; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) a.get()[j * cp + i] = s[i * step + j];
            for (std::ptrdiff_t j = 0; j < width; ++j) {
                C* col = a.get() + j * cp;
                std::fill(col, col + lo, C{});
                std::fill(col + hi, col + n, C{});
                execute_forward(plan, col, b.get() + j * cp);
            }
            for (std::ptrdiff_t i = 0; i < n; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) s[i * step + j] = b.get()[j * cp + i];
        }
    });
}

template <Scalar T>
void FftCore<T>::forward_first(const Ranges& ranges, C* kernel_spectrum) {
    const AxisLines lines(0, rank_ - 1, ranges, line_strides_, half_, block_lines<C>);
    const std::ptrdiff_t n = padded_[0], step = line_strides_[0];
    const std::ptrdiff_t lo = ranges.first[0], hi = ranges.last[0];
    const Plan<R>& plan = *axis_forward_[0];
    parallel_for(lines.total, context_.threads, 4, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        FftwBuffer<C> a(static_cast<std::size_t>(lines.block * first_pitch_), context_.memory);
        for (std::ptrdiff_t item = first; item < end; ++item) {
            const auto [offset, h0, width] = lines.at(item);
            (void)h0;
            const C* s = spectrum_.get() + offset;
            for (std::ptrdiff_t i = lo; i < hi; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) a.get()[j * first_pitch_ + i] = s[i * step + j];
            // Kernel lines are numbered as the spectrum's lines along axis 0 are laid out: this
            // block's first line is the offset divided by the axis-0 stride... of a spectrum
            // without axis 0, i.e. the offset itself, counted in rows of half_ instead of row_pitch_.
            const std::ptrdiff_t line = offset / row_pitch_ * half_ + offset % row_pitch_;
            for (std::ptrdiff_t j = 0; j < width; ++j) {
                C* col = a.get() + j * first_pitch_;
                std::fill(col, col + lo, C{});
                std::fill(col + hi, col + n, C{});
                execute_forward(plan, col, kernel_spectrum + (line + j) * first_pitch_);
            }
        }
    });
}

template <Scalar T>
template <class Product>
void FftCore<T>::convolve_first(const Ranges& ranges, const Product& product, const Ranges& keep) {
    const AxisLines lines(0, rank_ - 1, ranges, line_strides_, half_, block_lines<C>);
    const std::ptrdiff_t n = padded_[0], step = line_strides_[0];
    const std::ptrdiff_t lo = ranges.first[0], hi = ranges.last[0];
    const std::ptrdiff_t keep_lo = keep.first[0], keep_hi = keep.last[0];
    const Plan<R>& forward = *axis_forward_[0];
    const Plan<R>& inverse = *axis_inverse_[0];
    parallel_for(lines.total, context_.threads, 4, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        const auto size = static_cast<std::size_t>(lines.block * first_pitch_);
        FftwBuffer<C> a(size, context_.memory), b(size, context_.memory);
        for (std::ptrdiff_t item = first; item < end; ++item) {
            const auto [offset, h0, width] = lines.at(item);
            (void)h0;
            C* s = spectrum_.get() + offset;
            for (std::ptrdiff_t i = lo; i < hi; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) a.get()[j * first_pitch_ + i] = s[i * step + j];
            const std::ptrdiff_t line = offset / row_pitch_ * half_ + offset % row_pitch_;
            for (std::ptrdiff_t j = 0; j < width; ++j) {
                C* col = a.get() + j * first_pitch_;
                std::fill(col, col + lo, C{});
                std::fill(col + hi, col + n, C{});
                C* spec = b.get() + j * first_pitch_;
                execute_forward(forward, col, spec);
                product(line + j, spec, n);
                execute_inverse(inverse, spec, col);
            }
            for (std::ptrdiff_t i = keep_lo; i < keep_hi; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) s[i * step + j] = a.get()[j * first_pitch_ + i];
        }
    });
}

template <Scalar T>
void FftCore<T>::inverse_middle(int t, const Ranges& keep) {
    const AxisLines lines(t, rank_ - 1, keep, line_strides_, half_, block_lines<C>);
    const std::ptrdiff_t n = padded_[t], step = line_strides_[t], cp = pitch<C>(n);
    const std::ptrdiff_t keep_lo = keep.first[static_cast<std::size_t>(t)];
    const std::ptrdiff_t keep_hi = keep.last[static_cast<std::size_t>(t)];
    const Plan<R>& plan = *axis_inverse_[static_cast<std::size_t>(t)];
    parallel_for(lines.total, context_.threads, 4, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        FftwBuffer<C> a(static_cast<std::size_t>(lines.block * cp), context_.memory),
            b(static_cast<std::size_t>(lines.block * cp), context_.memory);
        for (std::ptrdiff_t item = first; item < end; ++item) {
            const auto [offset, h0, width] = lines.at(item);
            (void)h0;
            C* s = spectrum_.get() + offset;
            for (std::ptrdiff_t i = 0; i < n; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) a.get()[j * cp + i] = s[i * step + j];
            for (std::ptrdiff_t j = 0; j < width; ++j) execute_inverse(plan, a.get() + j * cp, b.get() + j * cp);
            for (std::ptrdiff_t i = keep_lo; i < keep_hi; ++i)
                for (std::ptrdiff_t j = 0; j < width; ++j) s[i * step + j] = b.get()[j * cp + i];
        }
    });
}

template <Scalar T>
void FftCore<T>::inverse_last(const Ranges& keep, const View<T>& out, const PowerOfTwo<R>& unscale) {
    const int last = rank_ - 1;
    std::ptrdiff_t lines = 1;
    for (int u = 0; u < last; ++u) lines *= keep.count(u);
    const std::ptrdiff_t n = padded_[last], from = g_.win(last).offset, length = out.shape[last];
    parallel_for(lines, context_.threads, min_lines_per_thread, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
        FftwBuffer<T> line(static_cast<std::size_t>(pitch<T>(n)), context_.memory);
        for (std::ptrdiff_t l = first; l < end; ++l) {
            std::ptrdiff_t rest = l, offset = 0, out_offset = 0;
            for (int u = last - 1; u >= 0; --u) {
                const auto i = static_cast<std::size_t>(u);
                const std::ptrdiff_t k = rest % keep.count(u);
                rest /= keep.count(u);
                offset += (keep.first[i] + k) * line_strides_[u];
                out_offset += k * out.strides[u];
            }
            execute_inverse(*last_inverse_, spectrum_.get() + offset, line.get());
            store_line(line.get() + from, out.data + out_offset, length, out.strides[last], unscale);
        }
    });
}

template <Scalar T>
template <class Product>
void FftCore<T>::run(const Source<T>& source, const View<T>& out, R scale, const PowerOfTwo<R>& unscale,
                     const Product& product) {
    if (rank_ == 1) {
        const std::array<std::ptrdiff_t, 1> lead{};
        source.load_line(lead.data(), buf_.get(), padded_[0], scale);
        execute_forward(*last_forward_, buf_.get(), spectrum_.get());
        product(0, spectrum_.get(), half_);
        execute_inverse(*last_inverse_, spectrum_.get(), buf_.get());
        store_line(buf_.get() + g_.win(0).offset, out.data, out.shape[0], out.strides[0], unscale);
        return;
    }
    const int last = rank_ - 1;
    Ranges r, keep;
    for (int u = 0; u < last; ++u) {
        const auto i = static_cast<std::size_t>(u);
        std::tie(r.first[i], r.last[i]) = source.nonzero(u);
        keep.first[i] = g_.win(u).offset;
        keep.last[i] = keep.first[i] + out.shape[u];
    }
    forward_last(source, r, scale);
    for (int t = last - 1; t >= 1; --t) {
        forward_middle(t, r);
        const auto i = static_cast<std::size_t>(t);
        r.first[i] = 0;
        r.last[i] = padded_[t];
    }
    // Axis 0, then each middle axis back, on the kept lines of the axes before it and every line
    // of the axes after it (still in the frequency domain).
    Ranges k = r;
    convolve_first(r, product, keep);
    k.first[0] = keep.first[0];
    k.last[0] = keep.last[0];
    for (int t = 1; t < last; ++t) {
        const auto i = static_cast<std::size_t>(t);
        k.first[i] = keep.first[i];
        k.last[i] = keep.last[i];
        inverse_middle(t, k);
    }
    inverse_last(keep, out, unscale);
}

template <Scalar T>
void FftCore<T>::apply(const Source<T>& source, const View<T>& out, int source_exponent, std::size_t kernel) {
    const C* spectra = kernel_spectra_[kernel].get();
    // Kernel lines along axis 0 are first_pitch_ apart (rank 1: one line).
    run(source, out, std::ldexp(R(1), -source_exponent), PowerOfTwo<R>(source_exponent + kernel_exponents_[kernel]),
        [&](std::ptrdiff_t line, C* spectrum, std::ptrdiff_t n) {
            multiply_spectra(spectrum, spectra + line * first_pitch_, static_cast<std::size_t>(n));
        });
}

template <Scalar T>
void FftCore<T>::apply_gain(const Source<T>& source, const View<T>& out, int source_exponent,
                            const SpectralGain<real_t<T>>& gain) {
    const R scale = R(1) / static_cast<R>(padded_.size());
    run(source, out, std::ldexp(R(1), -source_exponent), PowerOfTwo<R>(source_exponent),
        [&](std::ptrdiff_t line, C* spectrum, std::ptrdiff_t n) { gain.multiply(line, scale, spectrum, n); });
}

Bytes fft_core_bytes(const Geometry& g, ElementType type, PlannerEffort effort, std::size_t kernels) {
    const bool complex = type == ElementType::complex64 || type == ElementType::complex128;
    const std::size_t element = element_size(type), spectrum_element = complex ? element : 2 * element;
    const Extents padded = fft_shape(g, !complex, effort);
    (void)fft_dims(padded);  // FFTW's sizes are ints: beyond them, an Error here
    const int last = g.rank() - 1;
    const std::ptrdiff_t half = complex ? padded[last] : padded[last] / 2 + 1;
    if (g.rank() == 1) return Bytes::of({padded[0]}, element) + Bytes::of({half}, spectrum_element) * (kernels + 1);
    // As the constructor lays them out (pitches in whole cache lines).
    const auto line = static_cast<std::ptrdiff_t>(line_bytes / spectrum_element);
    const auto round_up = [line](std::ptrdiff_t n) { return (n + line - 1) / line * line; };
    Extents spectrum = padded, kernel = padded;
    spectrum[0] = std::max({g.a[0], g.b[0], g.win(0).offset + g.win(0).size});
    spectrum[last] = round_up(half);
    kernel[last] = half;
    kernel[0] = round_up(padded[0]);
    return Bytes::of(spectrum, spectrum_element) + Bytes::of(kernel, spectrum_element) * kernels;
}

#define INSTANTIATE(T) template class FftCore<T>;
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
