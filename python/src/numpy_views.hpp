// numpy arrays as fftconv's views, and fftconv's results as numpy arrays, without copies; the
// settings every call of the module shares (the worker count, the element type it computes in).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

namespace fftconv_python {

namespace py = pybind11;

// The element type of a numpy dtype that fftconv computes in; the package converts every other.
inline fftconv::ElementType element_type(const py::dtype& d) {
    if (d.is(py::dtype::of<float>())) return fftconv::ElementType::float32;
    if (d.is(py::dtype::of<double>())) return fftconv::ElementType::float64;
    if (d.is(py::dtype::of<std::complex<float>>())) return fftconv::ElementType::complex64;
    if (d.is(py::dtype::of<std::complex<double>>())) return fftconv::ElementType::complex128;
    throw fftconv::InvalidArgument("fftconv computes in float32, float64, complex64 or complex128, not " +
                                   py::cast<std::string>(d.attr("name")));
}

// The one element type of several arrays (the package has converted them to one).
inline fftconv::ElementType common_type(const py::array& a, const py::array& b, const char* names) {
    const fftconv::ElementType type = element_type(a.dtype());
    if (element_type(b.dtype()) != type) throw fftconv::InvalidArgument(std::string(names) + " have different dtypes");
    return type;
}

// The same for the real types only (the image filters): complex is refused by name.
template <class F>
auto with_real_type(fftconv::ElementType type, const char* what, F&& f) {
    if (type == fftconv::ElementType::float32) return f(float{});
    if (type == fftconv::ElementType::float64) return f(double{});
    throw fftconv::InvalidArgument(std::string(what) + " takes float32 or float64 arrays, not " +
                                   fftconv::to_string(type));
}

inline fftconv::Extents extents_of(const std::vector<std::ptrdiff_t>& shape) {
    if (shape.size() > static_cast<std::size_t>(fftconv::max_rank))
        throw fftconv::InvalidArgument("a shape of " + std::to_string(shape.size()) +
                                       " dimensions; fftconv takes at most " + std::to_string(fftconv::max_rank));
    return fftconv::Extents(std::span(shape));
}

// The array where it lies: numpy's byte strides as element strides. The package has made every
// stride a whole number of elements (np.ascontiguousarray otherwise).
template <class T>
fftconv::View<const T> view_of(const py::array& a, const char* name) {
    const fftconv::Extents shape = extents_of(std::vector<std::ptrdiff_t>(a.shape(), a.shape() + a.ndim()));
    fftconv::Extents strides = shape;
    for (int i = 0; i < a.ndim(); ++i) {
        if (a.strides(i) % static_cast<py::ssize_t>(sizeof(T)) != 0)
            throw fftconv::InvalidArgument(std::string(name) + ": stride " + std::to_string(a.strides(i)) +
                                           " bytes is not a whole number of elements");
        strides[i] = a.strides(i) / static_cast<py::ssize_t>(sizeof(T));
    }
    return {static_cast<const T*>(a.data()), shape, strides};
}

// A caller's output array (out=), written where it lies.
template <class T>
fftconv::View<T> mutable_view_of(const py::array& a, const char* name) {
    if (!a.writeable()) throw fftconv::InvalidArgument(std::string(name) + " is read-only");
    if (element_type(a.dtype()) != fftconv::element_type_v<T>)
        throw fftconv::InvalidArgument(std::string(name) + " has dtype " +
                                       py::cast<std::string>(a.dtype().attr("name")) + "; the result is " +
                                       fftconv::to_string(fftconv::element_type_v<T>));
    const fftconv::View<const T> v = view_of<T>(a, name);
    return {const_cast<T*>(v.data), v.shape, v.strides};
}

// A contiguous 1D array as a span (the 1D calls: separable taps, signals); the package makes it so.
template <class T>
std::span<const T> span_of(const py::array& a, const char* name) {
    if (a.ndim() != 1 || (a.shape(0) > 1 && a.strides(0) != static_cast<py::ssize_t>(sizeof(T))))
        throw fftconv::InvalidArgument(std::string(name) + " must be a contiguous 1D array");
    return {static_cast<const T*>(a.data()), static_cast<std::size_t>(a.shape(0))};
}

// A 2D array as an image view (rows down axis 0).
template <class T>
fftconv::ImageView<const T> image_of(const py::array& a, const char* name) {
    if (a.ndim() != 2)
        throw fftconv::InvalidArgument(std::string(name) + " has " + std::to_string(a.ndim()) +
                                       " dimensions; one image channel has 2");
    const fftconv::View<const T> v = view_of<T>(a, name);
    return {v.data, v.shape[0], v.shape[1], v.strides[0], v.strides[1]};
}

template <class T>
fftconv::ImageView<T> mutable_image_of(const py::array& a, const char* name) {
    const fftconv::View<T> v = mutable_view_of<T>(a, name);
    if (a.ndim() != 2)
        throw fftconv::InvalidArgument(std::string(name) + " has " + std::to_string(a.ndim()) +
                                       " dimensions; one image channel has 2");
    return {v.data, v.shape[0], v.shape[1], v.strides[0], v.strides[1]};
}

// The library's result as a numpy array that owns it: no copy. `Owner` is Array<T> or Image<T>.
template <class Owner>
py::array to_numpy(Owner&& result, std::vector<py::ssize_t> shape) {
    using T = std::remove_cvref_t<decltype(*result.data())>;
    auto* owned = new Owner(std::move(result));
    py::capsule keep(owned, [](void* p) { delete static_cast<Owner*>(p); });
    return py::array_t<T>(std::move(shape), owned->data(), keep);
}

template <class T>
py::array to_numpy(fftconv::Array<T>&& result) {
    std::vector<py::ssize_t> shape(result.shape().begin(), result.shape().end());
    return to_numpy(std::move(result), std::move(shape));
}

template <class T>
py::array to_numpy(fftconv::Image<T>&& result) {
    std::vector<py::ssize_t> shape{result.rows(), result.cols()};
    return to_numpy(std::move(result), std::move(shape));
}

// None: every axis (scipy's axes=None).
inline fftconv::Axes axes_of(const std::optional<std::vector<int>>& axes) {
    return axes ? fftconv::Axes(std::span<const int>(*axes)) : fftconv::Axes::all();
}

// The workers= of one call (scipy.fft's): None keeps set_threads' count. Held while the call runs
// on this thread, GIL released or not.
class Workers {
public:
    explicit Workers(std::optional<int> n) {
        if (n) scope_.emplace(*n);
    }

private:
    std::optional<fftconv::ScopedThreads> scope_;
};

template <class T>
T scalar_of(std::complex<double> value) {
    if constexpr (fftconv::Real<T>)
        return static_cast<T>(value.real());
    else
        return T(value);
}

void bind_signal(py::module_& m);
void bind_filters(py::module_& m);
void bind_images(py::module_& m);
void bind_convolver(py::module_& m);
void bind_stream(py::module_& m);
void bind_nn(py::module_& m);
void bind_settings(py::module_& m);

}  // namespace fftconv_python
