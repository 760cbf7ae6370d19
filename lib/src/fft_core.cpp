#include "fft_core.hpp"

#include <algorithm>
#include <climits>
#include <string>

#include "instantiate.hpp"

namespace fftconv::detail {

std::ptrdiff_t next_fast_length(std::ptrdiff_t n) {
    if (n <= 1) return 1;
    std::ptrdiff_t best = 1;
    while (best < n) best *= 2;
    for (std::ptrdiff_t p7 = 1; p7 < best; p7 *= 7)
        for (std::ptrdiff_t p5 = p7; p5 < best; p5 *= 5)
            for (std::ptrdiff_t p3 = p5; p3 < best; p3 *= 3) {
                std::ptrdiff_t p = p3;
                while (p < n) p *= 2;
                best = std::min(best, p);
            }
    return best;
}

std::ptrdiff_t next_fast_even_length(std::ptrdiff_t n) {
    return n <= 1 ? 1 : 2 * next_fast_length((n + 1) / 2);
}

Shape fft_shape(const Geometry& g, bool real) {
    // Holding both operands matters only when the kernel outgrows the window's needs (a short
    // input in Mode::same with a long kernel); it keeps the padding a plain copy.
    const auto need = [](std::ptrdiff_t full, Window w, std::ptrdiff_t n, std::ptrdiff_t k) {
        return std::max({wrap_free_length(full, w), n, k});
    };
    const std::ptrdiff_t rows = need(g.full.rows, g.rows, g.a.rows, g.b.rows);
    const std::ptrdiff_t cols = need(g.full.cols, g.cols, g.a.cols, g.b.cols);
    // A real transform halves along its last dimension (FFTW's: the columns, or the rows of an
    // Nx1 array), and FFTW does that step as a half-length complex transform only for even
    // lengths: odd ones measured ~2x slower (2187 = 3^7 against 2240, float r2c).
    if (real && cols > 1) return {next_fast_length(rows), next_fast_even_length(cols)};
    if (real) return {next_fast_even_length(rows), 1};
    return {next_fast_length(rows), next_fast_length(cols)};
}

std::vector<int> fft_dims(Shape padded) {
    if (padded.rows > INT_MAX || padded.cols > INT_MAX)
        throw Error("fft: transform size " + to_string(padded) + " exceeds FFTW's int dimensions");
    std::vector<int> dims;
    if (padded.rows > 1) dims.push_back(static_cast<int>(padded.rows));
    if (padded.cols > 1 || dims.empty()) dims.push_back(static_cast<int>(padded.cols));
    return dims;
}

std::size_t half_spectrum_size(const std::vector<int>& dims) {
    std::size_t n = 1;
    for (std::size_t i = 0; i + 1 < dims.size(); ++i) n *= static_cast<std::size_t>(dims[i]);
    return n * static_cast<std::size_t>(dims.back() / 2 + 1);
}

template <Scalar T>
FftCore<T>::FftCore(const Geometry& g, ImageView<const T> kernel, PlannerEffort effort)
    : g_(g), padded_(fft_shape(g, !is_complex_v<T>)), dims_(fft_dims(padded_)) {
    const auto n = static_cast<std::size_t>(padded_.size());
    spectrum_size_ = is_complex_v<T> ? n : half_spectrum_size(dims_);

    forward_plan_ = get_plan<R>(is_complex_v<T> ? Transform::c2c_forward : Transform::r2c, dims_, effort);
    inverse_plan_ = get_plan<R>(is_complex_v<T> ? Transform::c2c_backward : Transform::c2r, dims_, effort);
    buf_ = FftwBuffer<T>(n);
    spectrum_ = FftwBuffer<C>(spectrum_size_);
    kernel_spectrum_ = FftwBuffer<C>(spectrum_size_);

    forward(kernel, kernel_spectrum_.get());
    // FFTW's inverse is unnormalised; folding 1/N into the kernel spectrum saves a pass per apply.
    const R scale = R(1) / static_cast<R>(n);
    C* k = kernel_spectrum_.get();
    for (std::size_t i = 0; i < spectrum_size_; ++i) k[i] *= scale;
}

template <Scalar T>
void FftCore<T>::forward(ImageView<const T> src, C* spectrum) {
    using F = Fftw<R>;
    T* b = buf_.get();
    const std::ptrdiff_t pc = padded_.cols;
    for (std::ptrdiff_t r = 0; r < src.rows; ++r) {
        T* row = b + r * pc;
        if (src.col_stride == 1)
            std::copy_n(&src(r, 0), src.cols, row);
        else
            for (std::ptrdiff_t c = 0; c < src.cols; ++c) row[c] = src(r, c);
        std::fill(row + src.cols, row + pc, T{});
    }
    std::fill(b + src.rows * pc, b + padded_.size(), T{});
    auto* out = reinterpret_cast<typename F::complex*>(spectrum);
    if constexpr (is_complex_v<T>)
        F::execute_c2c(forward_plan_->get(), reinterpret_cast<typename F::complex*>(b), out);
    else
        F::execute_r2c(forward_plan_->get(), b, out);
}

template <Scalar T>
void FftCore<T>::apply(ImageView<const T> input, ImageView<T> out) {
    using F = Fftw<R>;
    forward(input, spectrum_.get());

    // The textbook complex product, written out so it vectorizes (std::complex's operator*
    // calls a NaN-recovery routine).
    R* __restrict s = reinterpret_cast<R*>(spectrum_.get());
    const R* __restrict k = reinterpret_cast<const R*>(kernel_spectrum_.get());
    for (std::size_t i = 0; i < spectrum_size_; ++i) {
        const R sr = s[2 * i], si = s[2 * i + 1], kr = k[2 * i], ki = k[2 * i + 1];
        s[2 * i] = sr * kr - si * ki;
        s[2 * i + 1] = sr * ki + si * kr;
    }

    T* b = buf_.get();
    auto* spectrum = reinterpret_cast<typename F::complex*>(spectrum_.get());
    if constexpr (is_complex_v<T>)
        F::execute_c2c(inverse_plan_->get(), spectrum, reinterpret_cast<typename F::complex*>(b));
    else
        F::execute_c2r(inverse_plan_->get(), spectrum, b);

    const T* origin = b + g_.rows.offset * padded_.cols + g_.cols.offset;
    for (std::ptrdiff_t r = 0; r < out.rows; ++r) {
        const T* row = origin + r * padded_.cols;
        if (out.col_stride == 1)
            std::copy_n(row, out.cols, &out(r, 0));
        else
            for (std::ptrdiff_t c = 0; c < out.cols; ++c) out(r, c) = row[c];
    }
}

template <Scalar T>
void fft_convolve_1d(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, std::ptrdiff_t block,
                     PlannerEffort effort, ImageView<T> out) {
    if (block == 0) {
        FftCore<T>(g, kernel, effort).apply(a, out);
        return;
    }
    // Convolution commutes: the long operand is cut into blocks, the short one is the kernel.
    ImageView<const T> x = a, h = kernel;
    if (h.cols > x.cols) std::swap(x, h);
    const std::ptrdiff_t n = x.cols, k = h.cols, step = block - k + 1;
    // One block: the valid part of a `block`-point segment, which starts k − 1 before its outputs.
    const Geometry bg = make_geometry({"convolve", "a", "b", true}, {1, block}, {1, k}, Mode::valid);
    FftCore<T> core(bg, h, effort);
    Image<T> segment(1, block), tail(1, step);
    for (std::ptrdiff_t s = g.cols.offset; s < g.cols.offset + g.cols.size; s += step) {
        const std::ptrdiff_t first = s - (k - 1);  // input index of segment[0]
        ImageView<const T> in;
        if (first >= 0 && first + block <= n) {
            in = x.subview(0, first, 1, block);  // inside the input: no copy
        } else {
            for (std::ptrdiff_t i = 0; i < block; ++i)
                segment(0, i) = (first + i >= 0 && first + i < n) ? x(0, first + i) : T{};
            in = segment.view();
        }
        const std::ptrdiff_t len = std::min(step, g.cols.offset + g.cols.size - s);
        ImageView<T> dst = out.subview(0, s - g.cols.offset, 1, len);
        if (len == step) {
            core.apply(in, dst);
        } else {
            core.apply(in, tail.view());
            for (std::ptrdiff_t i = 0; i < len; ++i) dst(0, i) = tail(0, i);
        }
    }
}

#define INSTANTIATE(T)                                                                                        \
    template class FftCore<T>;                                                                                \
    template void fft_convolve_1d<T>(const Geometry&, ImageView<const T>, ImageView<const T>, std::ptrdiff_t, \
                                     PlannerEffort, ImageView<T>);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
