#include "fft_core.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <string>

#include "cost_model.hpp"
#include "fftconv/settings.hpp"
#include "instantiate.hpp"
#include "parallel.hpp"

namespace fftconv::detail {

namespace {

// n <= max_fast_length: the power of two at or above it is at most 2^60, so the searches' products
// (a 7-smooth number below that, times 2, 3, 5 or 7) stay below 2^63.
void check_fast_length(std::ptrdiff_t n) {
    if (n > max_fast_length)
        throw Error("fft: a transform of " + std::to_string(n) + " points is longer than the longest fftconv sizes (" +
                    std::to_string(max_fast_length) + ")");
}

}  // namespace

std::ptrdiff_t next_fast_length(std::ptrdiff_t n) {
    if (n <= 1) return 1;
    check_fast_length(n);
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
    if (n <= 1) return 1;
    check_fast_length(n);
    return 2 * next_fast_length((n + 1) / 2);
}

double length_weight(std::ptrdiff_t n, PlannerEffort effort) {
    int twos = 0;
    for (; n > 1 && n % 2 == 0; n /= 2) ++twos;
    const bool estimate = effort == PlannerEffort::estimate;
    if (twos == 0) return estimate ? 1.2 : 2.0;
    if (twos <= 2) return estimate ? 1.1 : 1.6;
    return 1.0;
}

namespace {

std::ptrdiff_t search_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort) {
    std::ptrdiff_t limit = 1;
    while (limit < n) limit *= 2;
    // Every 7-smooth length in [n, limit] in one pass: odd parts 3^b·5^c·7^d, each times the
    // powers of two that land in the range. (This runs on every call's cost estimate, so it
    // stays one pass, not a search over next_fast_length.)
    std::ptrdiff_t best = limit;
    double best_cost = 0;
    const auto consider = [&](std::ptrdiff_t m) {
        const double x = static_cast<double>(m);
        const double c = x * std::log2(x) * length_weight(m, effort);
        if (best_cost == 0 || c < best_cost || (c == best_cost && m < best)) best = m, best_cost = c;
    };
    for (std::ptrdiff_t p7 = 1; p7 <= limit; p7 *= 7)
        for (std::ptrdiff_t p5 = p7; p5 <= limit; p5 *= 5)
            for (std::ptrdiff_t p3 = p5; p3 <= limit; p3 *= 3) {
                std::ptrdiff_t m = p3;
                while (m < n) m *= 2;
                for (; m <= limit; m *= 2)
                    if (!even || m % 2 == 0) consider(m);
            }
    return best;
}

}  // namespace

std::ptrdiff_t best_fast_length(std::ptrdiff_t n, bool even, PlannerEffort effort) {
    check_fast_length(n);
    if (n <= 16) return even ? next_fast_even_length(n) : next_fast_length(n);  // nothing to choose
    // The search takes ~1 µs, and Method::automatic sizes the transform on every call: the last
    // few answers are kept per thread (a program convolves the same shapes again and again).
    struct Entry {
        std::ptrdiff_t n = 0, length = 0;
        bool even = false;
        PlannerEffort effort{};
    };
    thread_local std::array<Entry, 16> recent;
    Entry& e = recent[static_cast<std::size_t>(n * 2 + even) % recent.size()];
    if (e.n != n || e.even != even || e.effort != effort) e = {n, search_fast_length(n, even, effort), even, effort};
    return e.length;
}

Shape fft_shape(const Geometry& g, bool real, PlannerEffort effort) {
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
    const auto best = [&](std::ptrdiff_t n, bool even) { return best_fast_length(n, even, effort); };
    if (real && cols > 1) return {best(rows, false), best(cols, true)};
    if (real) return {best(rows, true), 1};
    return {best(rows, false), best(cols, false)};
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

namespace {

// Rows and columns handed to FFTW one at a time must all have the alignment the plan was made
// with (FFTW's new-array rule); fftw_malloc'ed buffers with pitches of whole cache lines do.
constexpr std::size_t line_bytes = 64;

template <class E>
std::ptrdiff_t pitch(std::ptrdiff_t n) {
    const auto per_line = static_cast<std::ptrdiff_t>(line_bytes / sizeof(E));
    return (n + per_line - 1) / per_line * per_line;
}

// Columns per block of the column pass: one cache line of each row (8 complex doubles, 8 complex
// floats twice), so the gather reads whole lines; a block of 2240-point columns is ~300 KB,
// in L2 with its kernel spectrum.
template <class C>
constexpr std::ptrdiff_t column_block = std::is_same_v<C, std::complex<float>> ? 16 : 8;

// Items of work per thread below which another thread does not pay for its start.
constexpr std::ptrdiff_t min_rows_per_thread = 64;

// Copies row r of src times `scale` (a power of two) into dst (length n, zero-padded past src.cols).
template <class T>
void load_row(ImageView<const T> src, std::ptrdiff_t r, T* dst, std::ptrdiff_t n, real_t<T> scale) {
    if (src.col_stride == 1) {
        const T* s = &src(r, 0);
        for (std::ptrdiff_t c = 0; c < src.cols; ++c) dst[c] = s[c] * scale;
    } else {
        for (std::ptrdiff_t c = 0; c < src.cols; ++c) dst[c] = src(r, c) * scale;
    }
    std::fill(dst + src.cols, dst + n, T{});
}

// Writes from[0 .. out.cols) times 2^e (`unscale`) into row r of out (any column stride):
// load_row's way back.
template <class T>
void store_row(const T* from, ImageView<T> out, std::ptrdiff_t r, const PowerOfTwo<real_t<T>>& unscale) {
    if (unscale.plain() && out.col_stride == 1) {
        T* o = &out(r, 0);
        const real_t<T> f = unscale.factor();
        for (std::ptrdiff_t c = 0; c < out.cols; ++c) o[c] = from[c] * f;
    } else {
        for (std::ptrdiff_t c = 0; c < out.cols; ++c) out(r, c) = unscale(from[c]);
    }
}

// One execution of a forward plan (r2c for real T, c2c for complex T: rows of either, and the
// columns, which are complex) on T data into a spectrum, and of an inverse plan (c2r, c2c) back.
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

}  // namespace

template <Scalar T>
FftCore<T>::FftCore(const Geometry& g, ImageView<const T> kernel, PlannerEffort effort)
    : g_(g),
      padded_(fft_shape(g, !is_complex_v<T>, effort)),
      dims_(fft_dims(padded_)),
      kernel_exponent_(magnitude_exponent<R>(scan_values(kernel).max_abs)) {
    const auto n = static_cast<std::size_t>(padded_.size());
    const R kernel_scale = std::ldexp(R(1), -kernel_exponent_);
    // FFTW's inverse is unnormalised; folding 1/N into the kernel spectrum saves a pass per apply.
    const R scale = R(1) / static_cast<R>(n);
    const Transform row_forward = is_complex_v<T> ? Transform::c2c_forward : Transform::r2c;
    const Transform row_inverse = is_complex_v<T> ? Transform::c2c_backward : Transform::c2r;

    if (dims_.size() == 1) {
        spectrum_size_ = is_complex_v<T> ? n : half_spectrum_size(dims_);
        forward_plan_ = get_plan<R>(row_forward, dims_, effort);
        inverse_plan_ = get_plan<R>(row_inverse, dims_, effort);
        buf_ = FftwBuffer<T>(n);
        spectrum_ = FftwBuffer<C>(spectrum_size_);
        kernel_spectrum_ = FftwBuffer<C>(spectrum_size_);
        forward_rank1(kernel, kernel_spectrum_.get(), kernel_scale);
        C* k = kernel_spectrum_.get();
        for (std::size_t i = 0; i < spectrum_size_; ++i) k[i] *= scale;
        return;
    }

    const std::ptrdiff_t rows = padded_.rows, cols = padded_.cols;
    half_cols_ = is_complex_v<T> ? cols : cols / 2 + 1;
    row_pitch_ = pitch<C>(half_cols_);
    column_pitch_ = pitch<C>(rows);
    forward_plan_ = get_plan<R>(row_forward, {static_cast<int>(cols)}, effort);
    inverse_plan_ = get_plan<R>(row_inverse, {static_cast<int>(cols)}, effort);
    column_forward_ = get_plan<R>(Transform::c2c_forward, {static_cast<int>(rows)}, effort);
    column_inverse_ = get_plan<R>(Transform::c2c_backward, {static_cast<int>(rows)}, effort);
    // The spectrum's rows: those the input or the kernel fill, and those the window reads back.
    const std::ptrdiff_t spectrum_rows = std::max({g.a.rows, g.b.rows, g.rows.offset + g.rows.size});
    spectrum_ = FftwBuffer<C>(static_cast<std::size_t>(spectrum_rows * row_pitch_));
    kernel_spectrum_ = FftwBuffer<C>(static_cast<std::size_t>(half_cols_ * column_pitch_));

    // The kernel: its rows, then each column transformed straight into its place, scaled.
    forward_rows(kernel, kernel_scale);
    parallel_for(half_cols_, threads(), min_rows_per_thread, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        FftwBuffer<C> column(static_cast<std::size_t>(column_pitch_));
        for (std::ptrdiff_t c = first; c < last; ++c) {
            C* col = column.get();
            for (std::ptrdiff_t r = 0; r < kernel.rows; ++r) col[r] = spectrum_.get()[r * row_pitch_ + c];
            std::fill(col + kernel.rows, col + rows, C{});
            C* dst = kernel_spectrum_.get() + c * column_pitch_;
            execute_forward(*column_forward_, col, dst);
            for (std::ptrdiff_t r = 0; r < rows; ++r) dst[r] *= scale;
        }
    });
}

template <Scalar T>
void FftCore<T>::forward_rank1(ImageView<const T> src, C* spectrum, R scale) {
    T* b = buf_.get();
    const std::ptrdiff_t pc = padded_.cols;
    for (std::ptrdiff_t r = 0; r < src.rows; ++r) load_row(src, r, b + r * pc, pc, scale);
    std::fill(b + src.rows * pc, b + padded_.size(), T{});
    execute_forward(*forward_plan_, b, spectrum);
}

template <Scalar T>
void FftCore<T>::apply_rank1(ImageView<const T> input, ImageView<T> out, R scale, const PowerOfTwo<R>& unscale) {
    forward_rank1(input, spectrum_.get(), scale);
    multiply_spectra(spectrum_.get(), kernel_spectrum_.get(), spectrum_size_);
    T* b = buf_.get();
    execute_inverse(*inverse_plan_, spectrum_.get(), b);
    const T* origin = b + g_.rows.offset * padded_.cols + g_.cols.offset;
    for (std::ptrdiff_t r = 0; r < out.rows; ++r) store_row(origin + r * padded_.cols, out, r, unscale);
}

template <Scalar T>
void FftCore<T>::forward_rows(ImageView<const T> src, R scale) {
    const std::ptrdiff_t cols = padded_.cols;
    parallel_for(src.rows, threads(), min_rows_per_thread, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        FftwBuffer<T> row(static_cast<std::size_t>(pitch<T>(cols)));
        for (std::ptrdiff_t r = first; r < last; ++r) {
            load_row(src, r, row.get(), cols, scale);
            execute_forward(*forward_plan_, row.get(), spectrum_.get() + r * row_pitch_);
        }
    });
}

template <Scalar T>
void FftCore<T>::apply_rank2(ImageView<const T> input, ImageView<T> out, R scale, const PowerOfTwo<R>& unscale) {
    const std::ptrdiff_t rows = padded_.rows, cols = padded_.cols, block = column_block<C>;
    const std::ptrdiff_t keep_first = g_.rows.offset, keep_last = g_.rows.offset + g_.rows.size;
    C* spectrum = spectrum_.get();

    forward_rows(input, scale);

    // Columns in blocks: gather (rows past the input are zero), forward, multiply, inverse, and
    // scatter back only the rows the window keeps.
    const std::ptrdiff_t blocks = (half_cols_ + block - 1) / block;
    parallel_for(blocks, threads(), 4, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        const auto size = static_cast<std::size_t>(block * column_pitch_);
        FftwBuffer<C> a(size), b(size);
        for (std::ptrdiff_t blk = first; blk < last; ++blk) {
            const std::ptrdiff_t c0 = blk * block, width = std::min(block, half_cols_ - c0);
            for (std::ptrdiff_t r = 0; r < input.rows; ++r) {
                const C* src = spectrum + r * row_pitch_ + c0;
                for (std::ptrdiff_t j = 0; j < width; ++j) a.get()[j * column_pitch_ + r] = src[j];
            }
            for (std::ptrdiff_t j = 0; j < width; ++j) {
                C* col = a.get() + j * column_pitch_;
                std::fill(col + input.rows, col + rows, C{});
                C* spec = b.get() + j * column_pitch_;
                execute_forward(*column_forward_, col, spec);
                multiply_spectra(spec, kernel_spectrum_.get() + (c0 + j) * column_pitch_,
                                 static_cast<std::size_t>(rows));
                execute_inverse(*column_inverse_, spec, col);
            }
            for (std::ptrdiff_t r = keep_first; r < keep_last; ++r) {
                C* dst = spectrum + r * row_pitch_ + c0;
                for (std::ptrdiff_t j = 0; j < width; ++j) dst[j] = a.get()[j * column_pitch_ + r];
            }
        }
    });

    // The kept rows back to the signal domain, and their kept columns out.
    parallel_for(out.rows, threads(), min_rows_per_thread, [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        FftwBuffer<T> row(static_cast<std::size_t>(pitch<T>(cols)));
        for (std::ptrdiff_t r = first; r < last; ++r) {
            execute_inverse(*inverse_plan_, spectrum + (keep_first + r) * row_pitch_, row.get());
            store_row(row.get() + g_.cols.offset, out, r, unscale);
        }
    });
}

template <Scalar T>
void FftCore<T>::apply(ImageView<const T> input, ImageView<T> out) {
    apply(input, out, magnitude_exponent<R>(scan_values(input).max_abs));
}

template <Scalar T>
void FftCore<T>::apply(ImageView<const T> input, ImageView<T> out, int input_exponent) {
    const R scale = std::ldexp(R(1), -input_exponent);
    const PowerOfTwo<R> unscale(input_exponent + kernel_exponent_);
    if (dims_.size() == 1)
        apply_rank1(input, out, scale, unscale);
    else
        apply_rank2(input, out, scale, unscale);
}

namespace {

// One block: the valid part of a `block`-point segment, which starts k − 1 before its outputs.
Geometry block_geometry(std::ptrdiff_t block, std::ptrdiff_t k) {
    return make_geometry({"convolve", "a", "b", true}, {1, block}, {1, k}, Mode::valid);
}

}  // namespace

template <Scalar T>
OverlapSave<T>::OverlapSave(const Geometry& g, ImageView<const T> kernel, std::ptrdiff_t block, PlannerEffort effort)
    : g_(g),
      k_(kernel.cols),
      block_(block),
      step_(block - kernel.cols + 1),
      core_(block_geometry(block, kernel.cols), kernel, effort),
      segment_(1, block),
      tail_(1, block - kernel.cols + 1) {}

template <Scalar T>
void OverlapSave<T>::apply(ImageView<const T> x, ImageView<T> out) {
    apply(x, out, magnitude_exponent<real_t<T>>(scan_values(x).max_abs));
}

template <Scalar T>
void OverlapSave<T>::apply(ImageView<const T> x, ImageView<T> out, int input_exponent) {
    const std::ptrdiff_t n = x.cols, end = g_.cols.offset + g_.cols.size;
    for (std::ptrdiff_t s = g_.cols.offset; s < end; s += step_) {
        const std::ptrdiff_t first = s - (k_ - 1);  // input index of the segment's first point
        ImageView<const T> in;
        if (first >= 0 && first + block_ <= n) {
            in = x.subview(0, first, 1, block_);  // inside the input: no copy
        } else {
            for (std::ptrdiff_t i = 0; i < block_; ++i)
                segment_(0, i) = (first + i >= 0 && first + i < n) ? x(0, first + i) : T{};
            in = segment_.view();
        }
        const std::ptrdiff_t len = std::min(step_, end - s);
        ImageView<T> dst = out.subview(0, s - g_.cols.offset, 1, len);
        if (len == step_) {
            core_.apply(in, dst, input_exponent);
        } else {
            core_.apply(in, tail_.view(), input_exponent);
            for (std::ptrdiff_t i = 0; i < len; ++i) dst(0, i) = tail_(0, i);
        }
    }
}

template <Scalar T>
void fft_convolve_1d(const Geometry& g, ImageView<const T> a, ImageView<const T> kernel, std::ptrdiff_t block,
                     PlannerEffort effort, ImageView<T> out, int a_exponent) {
    if (block == 0) {
        FftCore<T>(g, kernel, effort).apply(a, out, a_exponent);
        return;
    }
    if (kernel.cols > a.cols) {  // the kernel is the one cut into blocks
        std::swap(a, kernel);
        a_exponent = magnitude_exponent<real_t<T>>(scan_values(a).max_abs);
    }
    OverlapSave<T>(g, kernel, block, effort).apply(a, out, a_exponent);
}

Bytes fft_core_bytes(const Geometry& g, ElementType type, PlannerEffort effort) {
    const bool complex = type == ElementType::complex64 || type == ElementType::complex128;
    const std::size_t element = element_size(type), spectrum_element = complex ? element : 2 * element;
    const Shape padded = fft_shape(g, !complex, effort);
    const std::vector<int> dims = fft_dims(padded);  // FFTW's sizes are ints: beyond them, an Error here
    if (dims.size() == 1) {
        const auto spectrum = static_cast<std::ptrdiff_t>(complex ? padded.size() : half_spectrum_size(dims));
        return Bytes::of(padded, element) + Bytes::of({2, spectrum}, spectrum_element);
    }
    // As FftCore's constructor lays them out (pitches in whole cache lines).
    const std::ptrdiff_t half_cols = complex ? padded.cols : padded.cols / 2 + 1;
    const auto line = static_cast<std::ptrdiff_t>(line_bytes / spectrum_element);
    const auto round_up = [line](std::ptrdiff_t n) { return (n + line - 1) / line * line; };
    const std::ptrdiff_t spectrum_rows = std::max({g.a.rows, g.b.rows, g.rows.offset + g.rows.size});
    return Bytes::of({spectrum_rows, round_up(half_cols)}, spectrum_element) +
           Bytes::of({half_cols, round_up(padded.rows)}, spectrum_element);
}

void check_call_memory(const Names& names, const Geometry& g, ElementType type, Method method, bool output,
                       PlannerEffort effort) {
    const Bytes out = output ? Bytes::of(g.out(), element_size(type)) : Bytes{};
    const auto out_text = [&] { return "the output (" + describe_elements(names, g.out(), type) + ")"; };
    if (output && !fits_memory(out)) check_memory(names.fn + (": " + out_text()), out);
    if (method != Method::fft) return;
    // A bound first, cheap enough for every call: a padded length is below twice the full
    // result's (the next power of two), and the buffers hold about three arrays of the padded
    // size, pitches included. Only calls near the limit size their transform here.
    const double bound = 16.0 * static_cast<double>(g.full.rows + 8) * static_cast<double>(g.full.cols + 8) *
                         static_cast<double>(element_size(type));
    if (out.approx + bound <= static_cast<double>(memory_limit())) return;
    // The FFT path's buffers: overlap-save's for one block where the call cuts a long 1D input
    // into blocks (as run_core and Convolver decide), else FftCore's for the whole transform.
    std::ptrdiff_t block = g.a.rows == 1 && g.b.rows == 1 ? overlap_save_block(g, type) : 0;
    if (!output && g.b.cols > g.a.cols) block = 0;  // a Convolver cuts only an input longer than its kernel
    Bytes fft;
    std::string fft_text;
    if (block > 0) {
        const std::ptrdiff_t k = std::min(g.a.cols, g.b.cols);
        fft = fft_core_bytes(block_geometry(block, k), type, effort) + Bytes::of({2, block}, element_size(type));
        fft_text = "the buffers of " + std::to_string(block) + "-point FFT blocks";
    } else {
        fft = fft_core_bytes(g, type, effort);
        const Shape padded = fft_shape(g, type == ElementType::float32 || type == ElementType::float64, effort);
        fft_text =
            "the buffers of a " + (names.one_d ? std::to_string(padded.cols) + "-point" : to_string(padded)) + " FFT";
    }
    const Bytes total = out + fft;
    if (!fits_memory(total)) check_memory(names.fn + (": " + (output ? out_text() + " and " : "")) + fft_text, total);
}

#define INSTANTIATE(T)                                                                                        \
    template class FftCore<T>;                                                                                \
    template class OverlapSave<T>;                                                                            \
    template void fft_convolve_1d<T>(const Geometry&, ImageView<const T>, ImageView<const T>, std::ptrdiff_t, \
                                     PlannerEffort, ImageView<T>, int);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::detail
