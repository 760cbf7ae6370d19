#include "fftconv/convolver.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "border.hpp"
#include "engine.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "instantiate.hpp"
#include "values.hpp"

namespace fftconv {

namespace {
// How the Convolver was built, for its messages and shape accessors.
enum Form { one_d = 1, image = 2, any_rank = 3 };
}  // namespace

template <class T>
struct Convolver<T>::Impl {
    detail::Geometry g;  // a filter's: the input extended by its border, valid with the kernel
    Extents input;       // the shape apply takes
    Mode mode = Mode::full;
    int form = any_rank;
    std::optional<detail::Engine<T>> engine;

    detail::Names names(const char* fn, const char* a, const char* b) const { return {fn, a, b, form == one_d}; }
};

template <class T>
Convolver<T>::Convolver(const Extents& input_shape, View<const T> kernel, Mode mode, Options options, int form)
    : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.form = form;
    m.mode = mode;
    const detail::Names names = m.names("Convolver", "input_shape", "kernel");
    detail::check_view(names, "kernel", kernel.data, kernel.shape);
    m.input = input_shape;
    detail::EngineOptions<T> engine_options;
    engine_options.automatic = options.method == Method::automatic;
    Array<T> storage;
    View<const T> k = kernel;
    if (options.border) {
        // A same-size filter: the valid convolution of the input extended by its border.
        if (mode != Mode::same)
            throw InvalidArgument(std::string("Convolver: a border (Options::border) gives a same-size result; the "
                                              "mode must be Mode::same, got ") +
                                  to_string(mode));
        if (!options.axes.is_all())
            throw InvalidArgument("Convolver: a border (Options::border) filters along every axis; leave axes unset");
        detail::check_border("Convolver", *options.border);
        if (input_shape.rank() != kernel.shape.rank())
            throw InvalidArgument("Convolver: the kernel (" + to_string(kernel.shape) + ") and the input shape (" +
                                  to_string(input_shape) + ") have different ranks");
        if (input_shape.empty())
            throw InvalidArgument("Convolver: argument 'input_shape' is empty (" + to_string(input_shape) + ")");
        Extents before = kernel.shape, after = kernel.shape;
        for (int a = 0; a < kernel.rank(); ++a) {
            before[a] = options.correlate ? kernel.shape[a] / 2 : (kernel.shape[a] - 1) / 2;
            after[a] = kernel.shape[a] - 1 - before[a];
        }
        const Extents padded = detail::padded_extents("Convolver", input_shape, before, after);
        m.g = detail::make_geometry(names, padded, kernel.shape, Mode::valid);
        if (options.correlate) k = detail::correlation_kernel(kernel, m.g, storage);
        engine_options.skip_zero_taps = true;
        engine_options.extension = detail::Extension<T>{*options.border, options.cval, before};
    } else {
        m.g = detail::make_geometry(names, input_shape, kernel.shape, mode, options.axes);
        if (options.correlate) k = detail::correlation_kernel(kernel, m.g, storage);
    }
    // The kernel transform is paid here, once: per apply, the FFT path costs two transforms.
    // Its context: the settings now, with the effort it was given.
    detail::Context context = detail::Context::current();
    context.effort = options.effort;
    detail::Strategy s = detail::make_strategy(names, m.g, element_type_v<T>,
                                               {options.method, context, false, options.tolerance, false});
    // Automatic never picks the FFT for a kernel holding NaN or Inf (it would reach every output).
    if (options.method == Method::automatic && detail::has_nonfinite(k)) s.method = Method::direct;
    if constexpr (!is_complex_v<T>) {
        if (options.clamp_nonnegative) {
            bool clamp = !(options.border && options.cval < T(0));
            detail::for_each_line(k, [&](const T* line, const std::ptrdiff_t*) {
                for (std::ptrdiff_t i = 0; i < k.shape[k.rank() - 1]; ++i)
                    clamp = clamp && !(line[i * k.strides[k.rank() - 1]] < 0);
            });
            engine_options.clamp = clamp;
        }
    }
    m.engine.emplace(s, k, context, engine_options);
}

template <class T>
Convolver<T>::Convolver(Shape input_shape, ImageView<const T> kernel, Mode mode, Options options)
    : Convolver(Extents(input_shape), View<const T>(kernel), mode, options, image) {}

template <class T>
Convolver<T>::Convolver(std::size_t input_length, std::span<const T> kernel, Mode mode, Options options)
    : Convolver(Extents{detail::length_size("Convolver", "input_length", input_length)}, View<const T>(kernel), mode,
                options, one_d) {}

template <class T>
Convolver<T>::Convolver(const Extents& input_shape, View<const T> kernel, Mode mode, Options options)
    : Convolver(input_shape, kernel, mode, options, any_rank) {}

template <class T>
Convolver<T>::Convolver(Convolver&&) noexcept = default;
template <class T>
Convolver<T>& Convolver<T>::operator=(Convolver&&) noexcept = default;
template <class T>
Convolver<T>::~Convolver() = default;

namespace {
// A 1D or 2D Convolver's shapes as rows x cols (a signal of length n is {1, n}).
Shape as_shape(const Extents& e) {
    return e.rank() == 1 ? Shape{1, e[0]} : e.rank() == 2 ? e.shape2d() : Shape{};
}
}  // namespace

template <class T>
Shape Convolver<T>::input_shape() const {
    return impl_ ? as_shape(impl_->input) : Shape{};
}
template <class T>
Shape Convolver<T>::kernel_shape() const {
    return impl_ ? as_shape(impl_->g.b) : Shape{};
}
template <class T>
Shape Convolver<T>::output_shape() const {
    return impl_ ? as_shape(impl_->g.out) : Shape{};
}
template <class T>
Extents Convolver<T>::input_extents() const {
    return impl_ ? impl_->input : Extents{};
}
template <class T>
Extents Convolver<T>::kernel_extents() const {
    return impl_ ? impl_->g.b : Extents{};
}
template <class T>
Extents Convolver<T>::output_extents() const {
    return impl_ ? impl_->g.out : Extents{};
}
template <class T>
Mode Convolver<T>::mode() const {
    return impl_ ? impl_->mode : Mode::full;
}
template <class T>
Method Convolver<T>::method() const {
    return impl_ ? impl_->engine->strategy().method : Method::automatic;
}

template <class T>
void Convolver<T>::apply(View<const T> input, View<T> out) {
    if (!impl_) throw InvalidArgument("Convolver::apply: this Convolver was moved from");
    Impl& m = *impl_;
    const detail::Names names = m.names("Convolver::apply", "input", "out");
    detail::check_view(names, "input", input.data, input.shape);
    detail::check_view(names, "out", out.data, out.shape);
    if (input.shape != m.input)
        throw InvalidArgument("Convolver::apply: argument 'input' is " + detail::describe(names, input.shape) +
                              ", this Convolver was built for " + detail::describe(names, m.input));
    if (out.shape != m.g.out)
        throw InvalidArgument("Convolver::apply: argument 'out' is " + detail::describe(names, out.shape) +
                              ", the output is " + detail::describe(names, m.g.out));
    if (detail::views_overlap(input, out))
        throw InvalidArgument("Convolver::apply: argument 'out' shares memory with 'input'; the result needs its own");
    m.engine->apply(input, out);
}

template <class T>
Array<T> Convolver<T>::apply(View<const T> input) {
    auto out = Array<T>::uninitialized(output_extents());  // every output is written
    apply(input, out.view());
    return out;
}

template <class T>
void Convolver<T>::apply(ImageView<const T> input, ImageView<T> out) {
    apply(View<const T>(input), View<T>(out));
}

template <class T>
Image<T> Convolver<T>::apply(ImageView<const T> input) {
    Image<T> out(output_shape());
    apply(input, out.view());
    return out;
}

template <class T>
void Convolver<T>::apply(std::span<const T> input, std::span<T> out) {
    apply(View<const T>(input), View<T>(out));
}

template <class T>
std::vector<T> Convolver<T>::apply(std::span<const T> input) {
    std::vector<T> out =
        detail::output_vector<T>("Convolver::apply", output_extents().size(), detail::MemoryBudget::current());
    apply(input, std::span<T>(out));
    return out;
}

#define INSTANTIATE(T) template class Convolver<T>;
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv
