// The StreamConvolver class: a stream convolved block by block with fixed responses.
#include <pybind11/stl.h>

#include <mutex>
#include <variant>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

// fftconv::StreamConvolver<T> for whichever real T the responses have. One stream's calls from
// two Python threads take turns (the lock is taken after the GIL is released).
class AnyStream {
public:
    AnyStream(const py::array& responses, std::size_t partition, std::size_t max_partition, bool zero_latency)
        : s_(make(responses, partition, max_partition, zero_latency)) {}

    // `in` shaped {inputs, frames} into `out` {outputs, frames}.
    void process(const py::array& in, const py::array& out) {
        std::visit(
            [&](auto& s) {
                using T = typename std::remove_reference_t<decltype(s)>::value_type;
                if (element_type(in.dtype()) != fftconv::element_type_v<T>)
                    throw fftconv::InvalidArgument(
                        "the block has dtype " + py::cast<std::string>(in.dtype().attr("name")) +
                        "; this StreamConvolver takes " + fftconv::to_string(fftconv::element_type_v<T>));
                const fftconv::View<const T> vi = view_of<T>(in, "block");
                const fftconv::View<T> vo = mutable_view_of<T>(out, "out");
                py::gil_scoped_release unlocked;
                const std::lock_guard<std::mutex> turn(busy_);
                s.stream.process(vi, vo);
            },
            s_);
    }

    py::array flush() {
        return std::visit(
            [&](auto& s) -> py::array {
                using T = typename std::remove_reference_t<decltype(s)>::value_type;
                fftconv::Array<T> tail;
                {
                    py::gil_scoped_release unlocked;
                    const std::lock_guard<std::mutex> turn(busy_);
                    tail = s.stream.flush_channels();
                }
                return to_numpy(std::move(tail));
            },
            s_);
    }

    void reset() {
        std::visit([&](auto& s) { s.stream.reset(); }, s_);
    }
    std::size_t latency() const {
        return std::visit([](const auto& s) { return s.stream.latency(); }, s_);
    }
    std::size_t partition() const {
        return std::visit([](const auto& s) { return s.stream.partition(); }, s_);
    }
    std::size_t samples() const {
        return std::visit([](const auto& s) { return s.stream.samples(); }, s_);
    }
    int inputs() const {
        return std::visit([](const auto& s) { return s.stream.inputs(); }, s_);
    }
    int outputs() const {
        return std::visit([](const auto& s) { return s.stream.outputs(); }, s_);
    }

private:
    template <class T>
    struct Typed {
        using value_type = T;
        fftconv::StreamConvolver<T> stream;
    };
    using Any = std::variant<Typed<float>, Typed<double>>;

    static Any make(const py::array& responses, std::size_t partition, std::size_t max_partition, bool zero_latency) {
        return with_real_type(element_type(responses.dtype()), "StreamConvolver", [&](auto zero) -> Any {
            using T = decltype(zero);
            const fftconv::View<const T> h = view_of<T>(responses, "responses");
            py::gil_scoped_release unlocked;
            return Typed<T>{fftconv::StreamConvolver<T>(
                h, {.partition = partition, .max_partition = max_partition, .zero_latency = zero_latency})};
        });
    }

    Any s_;
    std::mutex busy_;
};

}  // namespace

void bind_stream(py::module_& m) {
    py::class_<AnyStream>(m, "StreamConvolver")
        .def(py::init<const py::array&, std::size_t, std::size_t, bool>(), py::arg("responses"), py::arg("partition"),
             py::arg("max_partition"), py::arg("zero_latency"))
        .def("process", &AnyStream::process, py::arg("block"), py::arg("out"))
        .def("flush", &AnyStream::flush)
        .def("reset", &AnyStream::reset)
        .def_property_readonly("latency", &AnyStream::latency)
        .def_property_readonly("partition", &AnyStream::partition)
        .def_property_readonly("samples", &AnyStream::samples)
        .def_property_readonly("inputs", &AnyStream::inputs)
        .def_property_readonly("outputs", &AnyStream::outputs);
}

}  // namespace fftconv_python
