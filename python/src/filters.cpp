// scipy.ndimage's same-size filters at any rank: correlate, convolve and gaussian_filter, with a
// border on every axis.
#include <pybind11/stl.h>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

// filter (correlate) or filter_convolve (convolve) of `a` with `kernel`; into `out` when given.
py::array filter(const py::array& a, const py::array& kernel, int border, std::complex<double> cval, int method,
                 bool convolve, std::optional<py::array> out, std::optional<int> workers) {
    return fftconv::visit_element_type(common_type(a, kernel, "input and weights"), [&](auto zero) -> py::array {
        using T = decltype(zero);
        const fftconv::View<const T> va = view_of<T>(a, "input"), vk = view_of<T>(kernel, "weights");
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        const T c = scalar_of<T>(cval);
        if (out) {
            const fftconv::View<T> vo = mutable_view_of<T>(*out, "output");
            {
                py::gil_scoped_release unlocked;
                const Workers scope(workers);
                if (convolve)
                    fftconv::filter_convolve<T>(va, vo, vk, b, c, how);
                else
                    fftconv::filter<T>(va, vo, vk, b, c, how);
            }
            return *out;
        }
        fftconv::Array<T> result;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            result = convolve ? fftconv::filter_convolve<T>(va, vk, b, c, how) : fftconv::filter<T>(va, vk, b, c, how);
        }
        return to_numpy(std::move(result));
    });
}

py::array gaussian_filter(const py::array& a, const std::vector<double>& sigma, int border, double cval,
                          double truncate, int method, std::optional<int> workers) {
    return with_real_type(element_type(a.dtype()), "gaussian_filter", [&](auto zero) -> py::array {
        using T = decltype(zero);
        const fftconv::View<const T> va = view_of<T>(a, "input");
        fftconv::Array<T> result;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            result =
                fftconv::gaussian_filter<T>(va, std::span<const double>(sigma), static_cast<fftconv::Border>(border),
                                            static_cast<fftconv::Method>(method), truncate, static_cast<T>(cval));
        }
        return to_numpy(std::move(result));
    });
}

}  // namespace

void bind_filters(py::module_& m) {
    m.def("filter", &filter, py::arg("input"), py::arg("weights"), py::arg("border"), py::arg("cval"),
          py::arg("method"), py::arg("convolve"), py::arg("output"), py::arg("workers"));
    m.def("gaussian_filter", &gaussian_filter, py::arg("input"), py::arg("sigma"), py::arg("border"), py::arg("cval"),
          py::arg("truncate"), py::arg("method"), py::arg("workers"));
    m.def(
        "choose_filter_method",
        [](const std::vector<std::ptrdiff_t>& shape, const py::array& kernel) {
            return fftconv::visit_element_type(element_type(kernel.dtype()), [&](auto zero) {
                using T = decltype(zero);
                return static_cast<int>(
                    fftconv::choose_filter_method<T>(extents_of(shape), view_of<T>(kernel, "weights")));
            });
        },
        py::arg("shape"), py::arg("weights"));
}

}  // namespace fftconv_python
