// The Convolver class: a convolution planned once for an input shape and a kernel (the method
// chosen, the FFT plans made, the kernel transformed), then applied to many inputs.
#include <pybind11/stl.h>

#include <mutex>
#include <variant>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

// fftconv::Convolver<T> for whichever T the kernel has.
class AnyConvolver {
public:
    AnyConvolver(const std::vector<std::ptrdiff_t>& shape, const py::array& kernel, int mode, int method,
                 std::optional<std::vector<int>> axes, bool correlate, std::optional<int> border,
                 std::complex<double> cval, int effort, std::optional<int> workers)
        : c_(make(shape, kernel, mode, method, axes, correlate, border, cval, effort, workers)) {}

    // apply(x) or apply(x, out). One Convolver owns its work buffers, so calls from two Python
    // threads take turns (the lock is taken after the GIL is released, never while holding it).
    py::array apply(const py::array& x, std::optional<py::array> out) {
        return std::visit(
            [&](auto& c) -> py::array {
                using T = typename std::remove_reference_t<decltype(c)>::value_type;
                if (element_type(x.dtype()) != fftconv::element_type_v<T>)
                    throw fftconv::InvalidArgument("x has dtype " + py::cast<std::string>(x.dtype().attr("name")) +
                                                   "; this Convolver takes " +
                                                   fftconv::to_string(fftconv::element_type_v<T>));
                const fftconv::View<const T> vx = view_of<T>(x, "x");
                if (out) {
                    const fftconv::View<T> vo = mutable_view_of<T>(*out, "out");
                    {
                        py::gil_scoped_release unlocked;
                        const std::lock_guard<std::mutex> turn(busy_);
                        c.convolver.apply(vx, vo);
                    }
                    return *out;
                }
                fftconv::Array<T> result;
                {
                    py::gil_scoped_release unlocked;
                    const std::lock_guard<std::mutex> turn(busy_);
                    result = c.convolver.apply(vx);
                }
                return to_numpy(std::move(result));
            },
            c_);
    }

    std::vector<std::ptrdiff_t> input_shape() const {
        return shape_of([](const auto& c) { return c.input_extents(); });
    }
    std::vector<std::ptrdiff_t> kernel_shape() const {
        return shape_of([](const auto& c) { return c.kernel_extents(); });
    }
    std::vector<std::ptrdiff_t> output_shape() const {
        return shape_of([](const auto& c) { return c.output_extents(); });
    }
    int method() const {
        return std::visit([](const auto& c) { return static_cast<int>(c.convolver.method()); }, c_);
    }
    std::string dtype() const {
        return std::visit(
            [](const auto& c) {
                using T = typename std::remove_cvref_t<decltype(c)>::value_type;
                return std::string(fftconv::to_string(fftconv::element_type_v<T>));
            },
            c_);
    }

private:
    template <class T>
    struct Typed {
        using value_type = T;
        fftconv::Convolver<T> convolver;
    };
    using Any = std::variant<Typed<float>, Typed<double>, Typed<std::complex<float>>, Typed<std::complex<double>>>;

    static Any make(const std::vector<std::ptrdiff_t>& shape, const py::array& kernel, int mode, int method,
                    const std::optional<std::vector<int>>& axes, bool correlate, std::optional<int> border,
                    std::complex<double> cval, int effort, std::optional<int> workers) {
        return fftconv::visit_element_type(element_type(kernel.dtype()), [&](auto zero) -> Any {
            using T = decltype(zero);
            const fftconv::View<const T> k = view_of<T>(kernel, "kernel");
            typename fftconv::Convolver<T>::Options options;
            options.method = static_cast<fftconv::Method>(method);
            options.effort = static_cast<fftconv::PlannerEffort>(effort);
            options.correlate = correlate;
            options.axes = axes_of(axes);
            if (border) options.border = static_cast<fftconv::Border>(*border);
            options.cval = scalar_of<T>(cval);
            const fftconv::Extents input = extents_of(shape);
            py::gil_scoped_release unlocked;  // planning may measure for seconds
            const Workers scope(workers);
            return Typed<T>{fftconv::Convolver<T>(input, k, static_cast<fftconv::Mode>(mode), options)};
        });
    }

    template <class F>
    std::vector<std::ptrdiff_t> shape_of(F f) const {
        const fftconv::Extents e = std::visit([&](const auto& c) { return f(c.convolver); }, c_);
        return {e.begin(), e.end()};
    }

    Any c_;
    std::mutex busy_;
};

}  // namespace

void bind_convolver(py::module_& m) {
    py::class_<AnyConvolver>(m, "Convolver")
        .def(py::init<const std::vector<std::ptrdiff_t>&, const py::array&, int, int, std::optional<std::vector<int>>,
                      bool, std::optional<int>, std::complex<double>, int, std::optional<int>>(),
             py::arg("shape"), py::arg("kernel"), py::arg("mode"), py::arg("method"), py::arg("axes"),
             py::arg("correlate"), py::arg("border"), py::arg("cval"), py::arg("effort"), py::arg("workers"))
        .def("apply", &AnyConvolver::apply, py::arg("x"), py::arg("out"))
        .def_property_readonly("input_shape", &AnyConvolver::input_shape)
        .def_property_readonly("kernel_shape", &AnyConvolver::kernel_shape)
        .def_property_readonly("output_shape", &AnyConvolver::output_shape)
        .def_property_readonly("method", &AnyConvolver::method)
        .def_property_readonly("dtype", &AnyConvolver::dtype);
}

}  // namespace fftconv_python
