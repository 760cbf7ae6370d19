#include "fftconv/convolver.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "fftconv/convolve.hpp"
#include "instantiate.hpp"
#include "pipeline.hpp"

namespace fftconv {

template <class T>
struct Convolver<T>::Impl {
    detail::Geometry g;
    Mode mode;
    Method method;
    bool one_d;
    Image<T> kernel;                        // the core kernel, owned (fft: for the outputs that NaN or Inf reach)
    bool kernel_finite = true;              // no NaN or Inf in the kernel
    bool automatic = false;                 // built with Method::automatic: inputs with NaN or Inf go direct
    bool clamp = false;                     // Options::clamp_nonnegative with a kernel with no negative value
    std::optional<detail::FftCore<T>> fft;  // fft: plans and the scaled kernel spectrum
    std::optional<detail::OverlapSave<T>> blocks;  // fft on a long 1D input: overlap-save instead
};

template <class T>
Convolver<T>::Convolver(Shape input_shape, ImageView<const T> kernel, Mode mode, Options options, bool one_d)
    : impl_(std::make_unique<Impl>()) {
    const detail::Names names{"Convolver", "input_shape", "kernel", one_d};
    detail::check_view(names, "kernel", kernel.data, kernel.shape());
    Impl& s = *impl_;
    s.g = detail::make_geometry(names, input_shape, kernel.shape(), mode);
    s.mode = mode;
    s.one_d = one_d;
    // The kernel transform is paid here, once: per apply, the FFT path costs two transforms.
    s.method = detail::resolve_method(names, options.method, s.g, element_type_v<T>, 2);
    // The accuracy asked for first: an FFT that cannot promise it is never the cheaper method.
    if (options.method == Method::automatic && options.tolerance > 0 &&
        fft_error_bound(input_shape, kernel.shape(), mode, element_type_v<T>) > options.tolerance)
        s.method = Method::direct;
    Image<T> storage;
    const ImageView<const T> k = detail::core_kernel(kernel, options.correlate, storage);
    s.kernel = storage.empty() ? Image<T>(k) : std::move(storage);
    s.kernel_finite = !detail::has_nonfinite(k);
    s.automatic = options.method == Method::automatic;
    if constexpr (!is_complex_v<T>) s.clamp = options.clamp_nonnegative && detail::nonnegative(k);
    // Automatic never picks the FFT for a kernel holding NaN or Inf (it would reach every output).
    if (!s.kernel_finite && options.method == Method::automatic) s.method = Method::direct;
    if (s.method == Method::direct) return;
    detail::check_call_memory(names, s.g, element_type_v<T>, s.method, false, options.effort);
    // Overlap-save cuts the input, so it needs the kernel to be the shorter operand.
    const std::ptrdiff_t block = detail::overlap_save_block(s.g, element_type_v<T>);
    if (block > 0 && s.g.b.cols <= s.g.a.cols)
        s.blocks.emplace(s.g, k, block, options.effort);
    else
        s.fft.emplace(s.g, k, options.effort);
}

template <class T>
Convolver<T>::Convolver(Shape input_shape, ImageView<const T> kernel, Mode mode, Options options)
    : Convolver(input_shape, kernel, mode, options, false) {}

template <class T>
Convolver<T>::Convolver(std::size_t input_length, std::span<const T> kernel, Mode mode, Options options)
    : Convolver(Shape{1, detail::length_size("Convolver", "input_length", input_length)}, ImageView<const T>(kernel),
                mode, options, true) {}

template <class T>
Convolver<T>::Convolver(Convolver&&) noexcept = default;
template <class T>
Convolver<T>& Convolver<T>::operator=(Convolver&&) noexcept = default;
template <class T>
Convolver<T>::~Convolver() = default;

template <class T>
Shape Convolver<T>::input_shape() const {
    return impl_ ? impl_->g.a : Shape{};
}
template <class T>
Shape Convolver<T>::kernel_shape() const {
    return impl_ ? impl_->g.b : Shape{};
}
template <class T>
Shape Convolver<T>::output_shape() const {
    return impl_ ? impl_->g.out() : Shape{};
}
template <class T>
Mode Convolver<T>::mode() const {
    return impl_ ? impl_->mode : Mode::full;
}
template <class T>
Method Convolver<T>::method() const {
    return impl_ ? impl_->method : Method::automatic;
}

template <class T>
void Convolver<T>::apply(ImageView<const T> input, ImageView<T> out) {
    if (!impl_) throw Error("Convolver::apply: this Convolver was moved from");
    const Impl& s = *impl_;
    const detail::Names names{"Convolver::apply", "input", "out", s.one_d};
    detail::check_view(names, "input", input.data, input.shape());
    detail::check_view(names, "out", out.data, out.shape());
    if (input.shape() != s.g.a)
        throw Error("Convolver::apply: argument 'input' is " + detail::describe(names, input.shape()) +
                    ", this Convolver was built for " + detail::describe(names, s.g.a));
    if (out.shape() != s.g.out())
        throw Error("Convolver::apply: argument 'out' is " + detail::describe(names, out.shape()) + ", the output is " +
                    detail::describe(names, s.g.out()));
    if (detail::views_overlap(input, out))
        throw Error("Convolver::apply: argument 'out' shares memory with 'input'; the result needs its own");
    if (s.method == Method::direct) {
        detail::direct_convolve(input, s.kernel.view(), s.g.rows, s.g.cols, out);
        return;
    }
    // One pass over the input for NaN and Inf and for the FFT's scaling (the kernel's is made).
    const detail::ValueScan values = s.kernel_finite ? detail::scan_values(input) : detail::ValueScan{true, 0};
    if (!values.nonfinite) {
        const int exponent = detail::magnitude_exponent<real_t<T>>(values.max_abs);
        if (impl_->blocks)
            impl_->blocks->apply(input, out, exponent);
        else
            impl_->fft->apply(input, out, exponent);
        if constexpr (!is_complex_v<T>)
            if (s.clamp && detail::nonnegative(input)) detail::clamp_negatives(out);
    } else if (s.automatic) {
        detail::direct_convolve(input, s.kernel.view(), s.g.rows, s.g.cols, out);
    } else {
        detail::fft_around_nonfinite(s.g, input, s.kernel.view(), out, [&](ImageView<const T> x, ImageView<T> o) {
            if (impl_->blocks)
                impl_->blocks->apply(x, o);
            else
                impl_->fft->apply(x, o);
        });
    }
}

template <class T>
Image<T> Convolver<T>::apply(ImageView<const T> input) {
    Image<T> out(output_shape());
    apply(input, out.view());
    return out;
}

template <class T>
void Convolver<T>::apply(std::span<const T> input, std::span<T> out) {
    apply(ImageView<const T>(input), ImageView<T>(out));
}

template <class T>
std::vector<T> Convolver<T>::apply(std::span<const T> input) {
    std::vector<T> out = detail::output_vector<T>("Convolver::apply", output_shape().size());
    apply(input, std::span<T>(out));
    return out;
}

#define INSTANTIATE(T) template class Convolver<T>;
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv
