#include "fftconv/convolve.hpp"

#include <type_traits>

#include "engine.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "instantiate.hpp"
#include "strategy.hpp"

namespace fftconv {

namespace {

// Every one-shot entry, 1D, 2D or N-D, convolve or correlate: the strategy, an Engine built for
// it, applied once (what a Convolver does, with the operands' roles the strategy picked).
// Out is std::vector<T>, Image<T> or Array<T>.
template <class Out, Scalar T>
Out one_shot(const detail::Names& names, View<const T> a, View<const T> b, Mode mode, Method method, Axes axes,
             bool correlate) {
    detail::check_view(names, names.a, a.data, a.shape);
    detail::check_view(names, names.b, b.data, b.shape);
    const detail::Geometry g = detail::make_geometry(names, a.shape, b.shape, mode, axes);
    const detail::Context context = detail::Context::current();
    const detail::Strategy s = detail::make_strategy(names, g, element_type_v<T>, {method, context, true, 0, true});
    Array<T> storage;
    const View<const T> kernel = correlate ? detail::correlation_kernel(b, g, storage) : b;
    Out out;
    View<T> out_view;
    if constexpr (std::is_same_v<Out, std::vector<T>>) {
        out = detail::output_vector<T>(names.fn, g.out.size(), context.memory);
        out_view = View<T>(out.data(), g.out);
    } else if constexpr (std::is_same_v<Out, Image<T>>) {
        out = Image<T>(g.out.shape2d());
        out_view = View<T>(out.view());
    } else {
        out = Array<T>::uninitialized(g.out);  // every path writes every output
        out_view = out.view();
    }
    detail::EngineOptions<T> options;
    options.automatic = method == Method::automatic;
    options.borrow_kernel = true;  // the operands outlive the call and the output is new
    detail::Engine<T> engine(s, s.swap ? a : kernel, context, options);
    engine.apply(s.swap ? kernel : a, out_view);
    return out;
}

}  // namespace

template <Scalar T>
std::vector<T> convolve(std::span<const T> a, std::span<const T> b, Mode mode, Method method) {
    return one_shot<std::vector<T>>({"convolve", "a", "b", true}, View<const T>(a), View<const T>(b), mode, method, {},
                                    false);
}

template <Scalar T>
Image<T> convolve(ImageView<const T> a, ImageView<const T> b, Mode mode, Method method) {
    return one_shot<Image<T>>({"convolve", "a", "b", false}, View<const T>(a), View<const T>(b), mode, method, {},
                              false);
}

template <Scalar T>
Array<T> convolve(View<const T> a, View<const T> b, Mode mode, Method method, Axes axes) {
    return one_shot<Array<T>>({"convolve", "a", "b", false}, a, b, mode, method, axes, false);
}

template <Scalar T>
std::vector<T> correlate(std::span<const T> a, std::span<const T> b, Mode mode, Method method) {
    return one_shot<std::vector<T>>({"correlate", "a", "b", true}, View<const T>(a), View<const T>(b), mode, method, {},
                                    true);
}

template <Scalar T>
Image<T> correlate(ImageView<const T> a, ImageView<const T> b, Mode mode, Method method) {
    return one_shot<Image<T>>({"correlate", "a", "b", false}, View<const T>(a), View<const T>(b), mode, method, {},
                              true);
}

template <Scalar T>
Array<T> correlate(View<const T> a, View<const T> b, Mode mode, Method method, Axes axes) {
    return one_shot<Array<T>>({"correlate", "a", "b", false}, a, b, mode, method, axes, true);
}

Method choose_method(const Extents& a, const Extents& b, Mode mode, ElementType type, const Axes& axes) {
    const detail::Names names{"choose_method", "a", "b", false};
    const detail::Geometry g = detail::make_geometry(names, a, b, mode, axes);
    return detail::make_strategy(names, g, type, {Method::automatic, detail::Context::current(), true, 0, false, false})
        .method;
}

double estimate_seconds(const Extents& a, const Extents& b, Mode mode, ElementType type, Method method,
                        const Axes& axes) {
    const detail::Geometry g = detail::make_geometry({"estimate_seconds", "a", "b", false}, a, b, mode, axes);
    if (method != Method::direct && method != Method::fft)
        throw InvalidArgument("estimate_seconds: method must be Method::direct or Method::fft, got " +
                              std::string(to_string(method)));
    return detail::estimate(g, type, method, {method, detail::Context::current(), true, 0, false, false});
}

double fft_error_bound(const Extents& a, const Extents& b, Mode mode, ElementType type, const Axes& axes) {
    const detail::Names names{"fft_error_bound", "a", "b", false};
    const detail::Geometry g = detail::make_geometry(names, a, b, mode, axes);
    const detail::Context context = detail::Context::current();
    const detail::Strategy s = detail::make_strategy(names, g, type, {Method::fft, context, true, 0, false, false});
    return detail::fft_bound(s, type, context.effort);
}

#define INSTANTIATE(T)                                                                          \
    template std::vector<T> convolve<T>(std::span<const T>, std::span<const T>, Mode, Method);  \
    template Image<T> convolve<T>(ImageView<const T>, ImageView<const T>, Mode, Method);        \
    template Array<T> convolve<T>(View<const T>, View<const T>, Mode, Method, Axes);            \
    template std::vector<T> correlate<T>(std::span<const T>, std::span<const T>, Mode, Method); \
    template Image<T> correlate<T>(ImageView<const T>, ImageView<const T>, Mode, Method);       \
    template Array<T> correlate<T>(View<const T>, View<const T>, Mode, Method, Axes);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv
