// fftconv._fftconv: the library's calls on numpy arrays. The Python package (python/fftconv) is
// the front door: it names modes, methods, borders and axes as scipy and OpenCV do, chooses the
// element type as they do and hands this module arrays of one of the four types fftconv computes
// in. The module reads them where they lie (any strides that are whole elements), computes with
// the GIL released, and returns the library's result arrays themselves, without a copy.
//
//     signal.cpp     convolve / correlate at any rank, the cost model's answers; delays and snippets
//     filters.cpp    same-size filters at any rank, with borders (scipy.ndimage)
//     images.cpp     the 2D image filters and template matching (OpenCV)
//     convolver.cpp  the Convolver class: planned once, applied many times
//     stream.cpp     the StreamConvolver class: a stream convolved block by block
//     nn.cpp         torch.nn.functional's layers: conv, conv_transpose, the pools
#include "numpy_views.hpp"

PYBIND11_MODULE(_fftconv, m) {
    namespace py = pybind11;
    m.doc() = "fftconv's compiled core; use the fftconv package, which names things as scipy and OpenCV do.";
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
    fftconv_python::bind_signal(m);
    fftconv_python::bind_filters(m);
    fftconv_python::bind_images(m);
    fftconv_python::bind_convolver(m);
    fftconv_python::bind_stream(m);
    fftconv_python::bind_nn(m);
    fftconv_python::bind_settings(m);
}
