// scipy.signal's calls: convolve and correlate at any rank, and the cost model's answers.
#include <pybind11/stl.h>

#include <span>
#include <utility>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

py::array convolve(const py::array& a, const py::array& b, int mode, int method, std::optional<std::vector<int>> axes,
                   bool correlate, std::optional<int> workers) {
    const fftconv::Axes ax = axes_of(axes);
    return fftconv::visit_element_type(common_type(a, b, "in1 and in2"), [&](auto zero) -> py::array {
        using T = decltype(zero);
        const fftconv::View<const T> va = view_of<T>(a, "in1"), vb = view_of<T>(b, "in2");
        fftconv::Array<T> out;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            const auto m = static_cast<fftconv::Mode>(mode);
            const auto how = static_cast<fftconv::Method>(method);
            out = correlate ? fftconv::correlate<T>(va, vb, m, how, ax) : fftconv::convolve<T>(va, vb, m, how, ax);
        }
        return to_numpy(std::move(out));
    });
}

fftconv::ElementType type_named(const std::string& name) {
    if (name == "float32") return fftconv::ElementType::float32;
    if (name == "float64") return fftconv::ElementType::float64;
    if (name == "complex64") return fftconv::ElementType::complex64;
    if (name == "complex128") return fftconv::ElementType::complex128;
    throw fftconv::InvalidArgument("dtype " + name + ": fftconv computes in float32, float64, complex64 or complex128");
}

py::tuple find_delay(const py::array& x, const py::array& y, std::ptrdiff_t max_lag, int method) {
    return with_real_type(common_type(x, y, "x and y"), "find_delay", [&](auto zero) {
        using T = decltype(zero);
        const auto sx = span_of<T>(x, "x"), sy = span_of<T>(y, "y");
        fftconv::Delay d;
        {
            py::gil_scoped_release unlocked;
            d = fftconv::find_delay<T>(sx, sy, max_lag, static_cast<fftconv::DelayMethod>(method));
        }
        return py::make_tuple(d.lag, d.samples, d.score);
    });
}

std::vector<std::pair<std::ptrdiff_t, double>> find_snippet(const py::array& recording, const py::array& snippet,
                                                            std::size_t count, std::ptrdiff_t min_distance) {
    return with_real_type(common_type(recording, snippet, "recording and snippet"), "find_snippet", [&](auto zero) {
        using T = decltype(zero);
        const auto r = span_of<T>(recording, "recording"), s = span_of<T>(snippet, "snippet");
        std::vector<fftconv::SnippetMatch> found;
        {
            py::gil_scoped_release unlocked;
            found = fftconv::find_snippet<T>(r, s, count, min_distance);
        }
        std::vector<std::pair<std::ptrdiff_t, double>> out;
        for (const auto& f : found) out.emplace_back(f.position, f.score);
        return out;
    });
}

}  // namespace

void bind_signal(py::module_& m) {
    m.def("find_delay", &find_delay, py::arg("x"), py::arg("y"), py::arg("max_lag"), py::arg("method"));
    m.def("find_snippet", &find_snippet, py::arg("recording"), py::arg("snippet"), py::arg("count"),
          py::arg("min_distance"));
    m.def("convolve", &convolve, py::arg("in1"), py::arg("in2"), py::arg("mode"), py::arg("method"), py::arg("axes"),
          py::arg("correlate"), py::arg("workers"));
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
}

void bind_settings(py::module_& m) {
    m.def("set_threads", &fftconv::set_threads, py::arg("n"));
    m.def("threads", &fftconv::threads);
    m.def("set_memory_limit", &fftconv::set_memory_limit, py::arg("bytes"));
    m.def("memory_limit", &fftconv::memory_limit);
    m.def(
        "set_planner_effort",
        [](int effort) { fftconv::set_planner_effort(static_cast<fftconv::PlannerEffort>(effort)); },
        py::arg("effort"));
    m.def("planner_effort", [] { return static_cast<int>(fftconv::planner_effort()); });
    m.def("load_wisdom", &fftconv::load_wisdom, py::arg("path"), py::call_guard<py::gil_scoped_release>());
    m.def("save_wisdom", &fftconv::save_wisdom, py::arg("path"), py::call_guard<py::gil_scoped_release>());
    m.def("simd_instruction_set", &fftconv::simd_instruction_set);
}

}  // namespace fftconv_python
