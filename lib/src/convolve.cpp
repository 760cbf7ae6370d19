#include "fftconv/convolve.hpp"

#include <type_traits>

#include "instantiate.hpp"
#include "pipeline.hpp"

namespace fftconv {

namespace {

// Every one-shot entry, 1D or 2D, convolve or correlate: Out is std::vector<T> or Image<T>.
template <class Out, Scalar T>
Out one_shot(const detail::Names& names, ImageView<const T> a, ImageView<const T> b, Mode mode, Method method,
             bool correlate) {
    const detail::Geometry g = detail::checked_geometry(names, a, b, mode);
    const Method requested = method;
    method = detail::resolve_method(names, method, g, element_type_v<T>, 3);
    detail::check_call_memory(names, g, element_type_v<T>, method, true, planner_effort());
    Image<T> storage;
    const ImageView<const T> kernel = detail::core_kernel(b, correlate, storage);
    Out out;
    ImageView<T> out_view;
    if constexpr (std::is_same_v<Out, std::vector<T>>) {
        out = detail::output_vector<T>(names.fn, g.out().size());
        out_view = ImageView<T>(out.data(), g.out().rows, g.out().cols);
    } else {
        out = Image<T>(g.out());
        out_view = out.view();
    }
    detail::run_checked(g, a, kernel, requested, method, out_view);
    return out;
}

}  // namespace

template <Scalar T>
std::vector<T> convolve(std::span<const T> a, std::span<const T> b, Mode mode, Method method) {
    return one_shot<std::vector<T>>({"convolve", "a", "b", true}, ImageView<const T>(a), ImageView<const T>(b), mode,
                                    method, false);
}

template <Scalar T>
Image<T> convolve(ImageView<const T> a, ImageView<const T> b, Mode mode, Method method) {
    return one_shot<Image<T>>({"convolve", "a", "b", false}, a, b, mode, method, false);
}

template <Scalar T>
std::vector<T> correlate(std::span<const T> a, std::span<const T> b, Mode mode, Method method) {
    return one_shot<std::vector<T>>({"correlate", "a", "b", true}, ImageView<const T>(a), ImageView<const T>(b), mode,
                                    method, true);
}

template <Scalar T>
Image<T> correlate(ImageView<const T> a, ImageView<const T> b, Mode mode, Method method) {
    return one_shot<Image<T>>({"correlate", "a", "b", false}, a, b, mode, method, true);
}

#define INSTANTIATE(T)                                                                          \
    template std::vector<T> convolve<T>(std::span<const T>, std::span<const T>, Mode, Method);  \
    template Image<T> convolve<T>(ImageView<const T>, ImageView<const T>, Mode, Method);        \
    template std::vector<T> correlate<T>(std::span<const T>, std::span<const T>, Mode, Method); \
    template Image<T> correlate<T>(ImageView<const T>, ImageView<const T>, Mode, Method);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv
