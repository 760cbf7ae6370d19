// fftconv._fftconv: the library's calls on numpy arrays. The Python package (fftconv/__init__.py)
// is the front door: it names modes, methods and axes as scipy does, chooses the element type as
// scipy does and hands this module two arrays of one of the four types fftconv computes in. This
// module reads them where they lie (any strides that are whole elements), computes with the GIL
// released, and returns the library's result array itself, without a copy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <complex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

namespace py = pybind11;

namespace {

using fftconv::Array;
using fftconv::Axes;
using fftconv::ElementType;
using fftconv::Extents;
using fftconv::View;

// The element type of a numpy dtype that fftconv computes in; the package converts every other.
ElementType element_type(const py::dtype& d) {
    if (d.is(py::dtype::of<float>())) return ElementType::float32;
    if (d.is(py::dtype::of<double>())) return ElementType::float64;
    if (d.is(py::dtype::of<std::complex<float>>())) return ElementType::complex64;
    if (d.is(py::dtype::of<std::complex<double>>())) return ElementType::complex128;
    throw fftconv::InvalidArgument("fftconv computes in float32, float64, complex64 or complex128, not " +
                                   py::cast<std::string>(d.attr("name")));
}

// f(T{}) for the element type `type`.
template <class F>
auto with_type(ElementType type, F&& f) {
    switch (type) {
        case ElementType::float32: return f(float{});
        case ElementType::float64: return f(double{});
        case ElementType::complex64: return f(std::complex<float>{});
        case ElementType::complex128: break;
    }
    return f(std::complex<double>{});
}

Extents extents_of(const py::array& a, const char* name) {
    if (a.ndim() > fftconv::max_rank)
        throw fftconv::InvalidArgument(std::string(name) + " has " + std::to_string(a.ndim()) +
                                       " dimensions; fftconv takes at most " + std::to_string(fftconv::max_rank));
    std::vector<std::ptrdiff_t> n(a.shape(), a.shape() + a.ndim());
    return Extents(std::span<const std::ptrdiff_t>(n));
}

Extents extents_of(const std::vector<std::ptrdiff_t>& shape) {
    return Extents(std::span(shape));
}

// The array where it lies: numpy's byte strides as element strides. The package has made every
// stride a whole number of elements (np.ascontiguousarray otherwise).
template <class T>
View<const T> view_of(const py::array& a, const char* name) {
    const Extents shape = extents_of(a, name);
    Extents strides = shape;
    for (int i = 0; i < a.ndim(); ++i) {
        if (a.strides(i) % static_cast<py::ssize_t>(sizeof(T)) != 0)
            throw fftconv::InvalidArgument(std::string(name) + ": stride " + std::to_string(a.strides(i)) +
                                           " bytes is not a whole number of elements");
        strides[i] = a.strides(i) / static_cast<py::ssize_t>(sizeof(T));
    }
    return {static_cast<const T*>(a.data()), shape, strides};
}

template <class T>
View<T> mutable_view_of(py::array& a, const char* name) {
    if (!a.writeable()) throw fftconv::InvalidArgument(std::string(name) + " is read-only");
    const View<const T> v = view_of<T>(a, name);
    return {const_cast<T*>(v.data), v.shape, v.strides};
}

// The library's result as a numpy array that owns it: no copy.
template <class T>
py::array to_numpy(Array<T>&& result) {
    auto* owned = new Array<T>(std::move(result));
    py::capsule keep(owned, [](void* p) { delete static_cast<Array<T>*>(p); });
    std::vector<py::ssize_t> shape(owned->shape().begin(), owned->shape().end());
    return py::array_t<T>(shape, owned->data(), keep);
}

// None: every axis (scipy's axes=None).
Axes axes_of(const std::optional<std::vector<int>>& axes) {
    return axes ? Axes(std::span<const int>(*axes)) : Axes::all();
}

py::array convolve(const py::array& a, const py::array& b, int mode, int method, std::optional<std::vector<int>> axes,
                   bool correlate) {
    const ElementType type = element_type(a.dtype());
    if (element_type(b.dtype()) != type) throw fftconv::InvalidArgument("in1 and in2 have different dtypes");
    const Axes ax = axes_of(axes);
    return with_type(type, [&](auto zero) -> py::array {
        using T = decltype(zero);
        const View<const T> va = view_of<T>(a, "in1"), vb = view_of<T>(b, "in2");
        Array<T> out;
        {
            py::gil_scoped_release unlocked;
            const auto m = static_cast<fftconv::Mode>(mode);
            const auto how = static_cast<fftconv::Method>(method);
            out = correlate ? fftconv::correlate<T>(va, vb, m, how, ax) : fftconv::convolve<T>(va, vb, m, how, ax);
        }
        return to_numpy(std::move(out));
    });
}

ElementType type_named(const std::string& name) {
    if (name == "float32") return ElementType::float32;
    if (name == "float64") return ElementType::float64;
    if (name == "complex64") return ElementType::complex64;
    if (name == "complex128") return ElementType::complex128;
    throw fftconv::InvalidArgument("dtype " + name + ": fftconv computes in float32, float64, complex64 or complex128");
}

}  // namespace

PYBIND11_MODULE(_fftconv, m) {
    m.doc() = "fftconv's compiled core; use the fftconv package, which names things as scipy does.";
    // fftconv's three error kinds (types.hpp); every one carries the library's message.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const fftconv::OutOfMemory& e) {
            PyErr_SetString(PyExc_MemoryError, e.what());
        } catch (const fftconv::BackendError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const fftconv::Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    m.def("convolve", &convolve, py::arg("in1"), py::arg("in2"), py::arg("mode"), py::arg("method"), py::arg("axes"),
          py::arg("correlate"));
    m.def(
        "choose_method",
        [](const std::vector<std::ptrdiff_t>& a, const std::vector<std::ptrdiff_t>& b, int mode,
           const std::string& dtype, std::optional<std::vector<int>> axes) {
            return static_cast<int>(fftconv::choose_method(
                extents_of(a), extents_of(b), static_cast<fftconv::Mode>(mode), type_named(dtype), axes_of(axes)));
        },
        py::arg("shape1"), py::arg("shape2"), py::arg("mode"), py::arg("dtype"), py::arg("axes"));
    m.def(
        "estimate_seconds",
        [](const std::vector<std::ptrdiff_t>& a, const std::vector<std::ptrdiff_t>& b, int mode,
           const std::string& dtype, int method, std::optional<std::vector<int>> axes) {
            return fftconv::estimate_seconds(extents_of(a), extents_of(b), static_cast<fftconv::Mode>(mode),
                                             type_named(dtype), static_cast<fftconv::Method>(method), axes_of(axes));
        },
        py::arg("shape1"), py::arg("shape2"), py::arg("mode"), py::arg("dtype"), py::arg("method"), py::arg("axes"));
    m.def(
        "fft_error_bound",
        [](const std::vector<std::ptrdiff_t>& a, const std::vector<std::ptrdiff_t>& b, int mode,
           const std::string& dtype, std::optional<std::vector<int>> axes) {
            return fftconv::fft_error_bound(extents_of(a), extents_of(b), static_cast<fftconv::Mode>(mode),
                                            type_named(dtype), axes_of(axes));
        },
        py::arg("shape1"), py::arg("shape2"), py::arg("mode"), py::arg("dtype"), py::arg("axes"));
    m.def("set_threads", &fftconv::set_threads, py::arg("n"));
    m.def("threads", &fftconv::threads);
    m.def("set_memory_limit", &fftconv::set_memory_limit, py::arg("bytes"));
    m.def("memory_limit", &fftconv::memory_limit);
}
