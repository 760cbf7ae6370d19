#include "engine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "direct.hpp"
#include "fft_core.hpp"
#include "fftconv/settings.hpp"
#include "instantiate.hpp"
#include "lines.hpp"
#include "source.hpp"
#include "tiles.hpp"
#include "values.hpp"

namespace fftconv::detail {

namespace {

// The core-rank part of a full-rank view at one batch slice: `index` holds the output's index
// along each batch axis; an operand of extent 1 there is broadcast (index 0).
template <class T>
View<T> slice(const View<T>& v, const Strategy& s, const std::ptrdiff_t* index) {
    T* data = v.data;
    for (int c = 0; c < s.batch_rank; ++c) {
        const int i = s.batch_axes[static_cast<std::size_t>(c)];
        if (v.shape[i] > 1) data += index[c] * v.strides[i];
    }
    // Extents of the core's rank, overwritten axis by axis (cheaper than building them from a
    // span: this runs three times per slice, and a small call has one slice of a microsecond).
    Extents shape = s.core.a, strides = s.core.a;
    for (int c = 0; c < s.core_rank; ++c) {
        const int i = s.core_axes[static_cast<std::size_t>(c)];
        shape[c] = v.shape[i];
        strides[c] = v.strides[i];
    }
    return View<T>(data, shape, strides);
}

// Which kernel slice a batch slice uses: its index in row-major order over the kernel's batch extents.
std::size_t kernel_index(const Extents& kernel_shape, const Strategy& s, const std::ptrdiff_t* index) {
    std::size_t k = 0;
    for (int c = 0; c < s.batch_rank; ++c) {
        const std::ptrdiff_t n = kernel_shape[s.batch_axes[static_cast<std::size_t>(c)]];
        k = k * static_cast<std::size_t>(n) + static_cast<std::size_t>(n > 1 ? index[c] : 0);
    }
    return k;
}

// The sub-view of v starting at `first` with extents `shape`.
template <class T>
View<T> subview(const View<T>& v, const std::ptrdiff_t* first, const Extents& shape) {
    View<T> out = v;
    out.shape = shape;
    for (int a = 0; a < v.rank(); ++a) out.data += first[a] * v.strides[a];
    return out;
}

// No value below zero (NaN is not below zero).
template <class T>
bool nonnegative(const View<const T>& v) {
    if constexpr (is_complex_v<T>) {
        return false;
    } else {
        bool ok = true;
        const int last = v.rank() - 1;
        for_each_line(v, [&](const T* line, const std::ptrdiff_t*) {
            for (std::ptrdiff_t i = 0; i < v.shape[last]; ++i) ok &= !(line[i * v.strides[last]] < 0);
        });
        return ok;
    }
}

template <class T>
void clamp_negatives(const View<T>& v) {
    if constexpr (!is_complex_v<T>) {
        const int last = v.rank() - 1;
        for_each_line(v, [&](T* line, const std::ptrdiff_t*) {
            for (std::ptrdiff_t i = 0; i < v.shape[last]; ++i) {
                T& x = line[i * v.strides[last]];
                x = std::max(x, T(0));
            }
        });
    }
}

}  // namespace

template <Scalar T>
struct Engine<T>::Fft {
    std::optional<FftCore<T>> whole;
    std::optional<Tiles<T>> tiles;
};

// The source a slice of the input is read through: itself, or extended by the border.
template <Scalar T>
Source<T> Engine<T>::source(const View<const T>& x) const {
    if (!options_.extension) return Source<T>::whole(x);
    Source<T> src{x, before_, s_.core.a, options_.extension->border, options_.extension->cval};
    for (std::ptrdiff_t& o : src.origin) o = -o;
    return src;
}

namespace {

template <Scalar T>
Array<T> materialize(const Source<T>& src) {
    Array<T> a(src.extent);
    const int last = src.rank() - 1;
    const std::ptrdiff_t n = src.extent[last];
    for_each_line(a.view(), [&](T* line, const std::ptrdiff_t* lead) { src.load_line(lead, line, n, real_t<T>(1)); });
    return a;
}

}  // namespace

// The direct sum for one slice: a padded copy of the source when there is a border (the direct
// core reads arrays; its work is O(N·K) against the copy's O(N)).
template <Scalar T>
void Engine<T>::direct(const View<const T>& x, const View<const T>& k, const View<T>& out, const Geometry& g) const {
    if (!options_.extension) {
        direct_convolve(g, x, k, out, context_.threads, options_.skip_zero_taps);
        return;
    }
    const Array<T> padded = materialize(source(x));
    direct_convolve(g, padded.view(), k, out, context_.threads, options_.skip_zero_taps);
}

template <Scalar T>
void Engine<T>::transform(const Source<T>& src, const View<T>& out, int exponent, std::size_t k) {
    if (fft_->tiles)
        fft_->tiles->apply(src, out, exponent, k);
    else
        fft_->whole->apply(src, out, exponent, k);
}

// The FFT path for an input holding NaN or Inf. A transform spreads one such value over every
// frequency and so over the whole result; the direct sum puts it only in the outputs its window
// reaches. So the FFT runs on a copy with those values set to 0, and each output a non-finite
// value reaches is then summed directly: NaN and Inf land exactly where the direct method puts
// them, and nowhere else. A non-finite kernel value reaches every output, as do enough bad input
// values: then the whole slice is the direct sum.
template <Scalar T>
void Engine<T>::around_nonfinite(const View<const T>& x, const View<const T>& kv, std::size_t k, const View<T>& out) {
    const Source<T> src = source(x);
    Array<T> padded;
    View<const T> full = x;  // the values the direct sum reads: x, or x extended by the border
    if (options_.extension) {
        padded = materialize(src);
        full = padded.view();
    }
    const std::ptrdiff_t bad = count_nonfinite(full);
    if (!kernel_finite_ ||
        static_cast<double>(bad) * static_cast<double>(kv.size()) >= static_cast<double>(out.size())) {
        direct_convolve(s_.core, full, kv, out, context_.threads, options_.skip_zero_taps);
        return;
    }
    Array<T> clean(full);
    for (T& v : clean.values())
        if (!is_finite(v)) v = T{};
    transform(Source<T>::whole(clean.view()), out,
              magnitude_exponent<real_t<T>>(scan_values(View<const T>(clean.view())).max_abs), k);
    const int rank = s_.core.rank();
    const int last = rank - 1;
    for_each_line(full, [&](const T* line, const std::ptrdiff_t* lead) {
        for (std::ptrdiff_t i = 0; i < full.shape[last]; ++i) {
            if (is_finite(line[i * full.strides[last]])) continue;
            // The full result's entries this value enters: [p, p + k) along each axis.
            std::array<Window, max_rank> w{};
            std::array<std::ptrdiff_t, max_rank> first{};
            Extents shape = out.shape;
            bool empty = false;
            for (int a = 0; a < rank; ++a) {
                const std::ptrdiff_t p = a == last ? i : lead[a];
                const Window& win = s_.core.win(a);
                const std::ptrdiff_t lo = std::max(p, win.offset);
                const std::ptrdiff_t hi = std::min(p + kv.shape[a], win.offset + out.shape[a]);
                empty = empty || lo >= hi;
                w[static_cast<std::size_t>(a)] = {lo, hi - lo};
                first[static_cast<std::size_t>(a)] = lo - win.offset;
                shape[a] = hi - lo;
            }
            if (empty) continue;
            direct_convolve(window_geometry(full.shape, kv.shape, w), full, kv, subview(out, first.data(), shape), 1,
                            options_.skip_zero_taps);
        }
    });
}

// One slice: x and out are the slice's core views, kernel its kernel slice (number k).
template <Scalar T>
void Engine<T>::run(const View<const T>& x, const View<const T>& kernel, std::size_t k, const View<T>& out) {
    if (s_.method == Method::direct) {
        direct(x, kernel, out, s_.core);
        return;
    }
    // One pass over the input for NaN and Inf and for the FFT's scaling (the kernel's is made).
    const ValueScan values = kernel_finite_ ? scan_values(x) : ValueScan{true, 0};
    if (!values.nonfinite) {
        // A border's values come from x, so x's largest magnitude holds, but for a constant.
        double max_abs = values.max_abs;
        if (options_.extension && options_.extension->border == Border::constant) {
            const T c = options_.extension->cval;
            if constexpr (is_complex_v<T>)
                max_abs = std::max(
                    {max_abs, static_cast<double>(std::abs(c.real())), static_cast<double>(std::abs(c.imag()))});
            else
                max_abs = std::max(max_abs, static_cast<double>(std::abs(c)));
        }
        transform(source(x), out, magnitude_exponent<real_t<T>>(max_abs), k);
        if (options_.clamp && nonnegative(x)) clamp_negatives(out);
    } else if (options_.automatic) {
        direct(x, kernel, out, s_.core);
    } else {
        around_nonfinite(x, kernel, k, out);
    }
}

template <Scalar T>
Engine<T>::Engine(const Strategy& strategy, View<const T> kernel, const Context& context,
                  const EngineOptions<T>& options)
    : s_(strategy), context_(context), options_(options) {
    const Strategy& s = s_;
    if (options_.extension) {
        std::array<std::ptrdiff_t, max_rank> before{};
        for (int c = 0; c < s.core_rank; ++c)
            before[static_cast<std::size_t>(c)] = options_.extension->before[s.core_axes[static_cast<std::size_t>(c)]];
        before_ = Extents(std::span<const std::ptrdiff_t>(before.data(), static_cast<std::size_t>(s.core_rank)));
    }
    if (options_.borrow_kernel) {
        kernel_ = kernel;
    } else {
        owned_ = Array<T>(kernel);
        kernel_ = owned_.view();
    }
    if (s.method != Method::fft) return;  // the direct sum reads the kernel as it is
    kernel_finite_ = !has_nonfinite(kernel_);
    if (!kernel_finite_) return;
    // The kernel's slices, in row-major order over its batch extents.
    std::vector<View<const T>> slices;
    slices.reserve(static_cast<std::size_t>(s.kernels));
    std::array<std::ptrdiff_t, max_rank> index{}, extent{};
    for (int c = 0; c < s.batch_rank; ++c)
        extent[static_cast<std::size_t>(c)] = kernel_.shape[s.batch_axes[static_cast<std::size_t>(c)]];
    for (std::ptrdiff_t k = 0; k < s.kernels; ++k) {
        std::ptrdiff_t rest = k;
        for (int c = s.batch_rank - 1; c >= 0; --c) {
            index[static_cast<std::size_t>(c)] = rest % extent[static_cast<std::size_t>(c)];
            rest /= extent[static_cast<std::size_t>(c)];
        }
        slices.push_back(slice(kernel_, s, index.data()));
    }
    fft_ = std::make_unique<Fft>();
    if (s.tile.rank())
        fft_->tiles.emplace(s.core, s.tile, std::span<const View<const T>>(slices), context);
    else
        fft_->whole.emplace(s.core, std::span<const View<const T>>(slices), context);
}

template <Scalar T>
Engine<T>::Engine(Engine&&) noexcept = default;
template <Scalar T>
Engine<T>& Engine<T>::operator=(Engine&&) noexcept = default;
template <Scalar T>
Engine<T>::~Engine() = default;

template <Scalar T>
const Strategy& Engine<T>::strategy() const {
    return s_;
}

template <Scalar T>
void Engine<T>::apply(const View<const T>& input, const View<T>& out) {
    const Strategy& s = s_;
    if (s.batch_rank == 0) {  // every axis a core axis, in order: the views are the slice
        run(input, kernel_, 0, out);
        return;
    }
    std::array<std::ptrdiff_t, max_rank> index{};
    for (std::ptrdiff_t slice_number = 0; slice_number < s.slices; ++slice_number) {
        std::ptrdiff_t rest = slice_number;
        for (int c = s.batch_rank - 1; c >= 0; --c) {
            const std::ptrdiff_t n = s.g.out[s.batch_axes[static_cast<std::size_t>(c)]];
            index[static_cast<std::size_t>(c)] = rest % n;
            rest /= n;
        }
        run(slice(input, s, index.data()), slice(kernel_, s, index.data()),
            kernel_index(kernel_.shape, s, index.data()), slice(out, s, index.data()));
    }
}

template <Scalar T>
View<const T> correlation_kernel(const View<const T>& b, const Geometry& g, Array<T>& storage) {
    View<const T> r = b;
    for (int a = 0; a < g.rank(); ++a)
        if (g.conv(a)) r = r.flipped(a);
    if constexpr (is_complex_v<T>) {
        storage = Array<T>(r);
        for (T& v : storage.values()) v = std::conj(v);
        return storage.view();
    } else {
        (void)storage;
        return r;
    }
}

#define INSTANTIATE(T)        \
    template class Engine<T>; \
    template View<const T> correlation_kernel<T>(const View<const T>&, const Geometry&, Array<T>&);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
