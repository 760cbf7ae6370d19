// torch.nn.functional's layers (nn.hpp) on numpy arrays: conv, conv_transpose and the pools.
// The package (fftconv/nn.py) spells PyTorch's arguments out into per-axis lists.
#include <pybind11/stl.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

namespace F = fftconv::nn;
using Ints = std::vector<std::ptrdiff_t>;

F::PerAxis per_axis(const Ints& v) {
    return v.empty() ? F::PerAxis() : F::PerAxis(std::span<const std::ptrdiff_t>(v));
}

template <class T>
std::span<const T> bias_of(const std::optional<py::array>& bias) {
    return bias ? span_of<T>(*bias, "bias") : std::span<const T>();
}

py::array conv(const py::array& x, const py::array& w, const std::optional<py::array>& bias, const Ints& stride,
               const std::string& padding, const Ints& before, const Ints& after, const Ints& dilation,
               std::ptrdiff_t groups, int padding_mode, int method, std::optional<int> workers) {
    F::ConvOptions o;
    o.stride = per_axis(stride);
    o.padding = padding == "same"    ? F::Padding::same()
                : padding == "valid" ? F::Padding::valid()
                                     : F::Padding::sides(per_axis(before), per_axis(after));
    o.dilation = per_axis(dilation);
    o.groups = groups;
    o.padding_mode = static_cast<F::PaddingMode>(padding_mode);
    o.method = static_cast<fftconv::Method>(method);
    return with_real_type(common_type(x, w, "input and weight"), "conv", [&](auto zero) -> py::array {
        using T = decltype(zero);
        const auto vx = view_of<T>(x, "input"), vw = view_of<T>(w, "weight");
        const auto b = bias_of<T>(bias);
        fftconv::Array<T> out;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            out = F::conv(vx, vw, b, o);
        }
        return to_numpy(std::move(out));
    });
}

py::array conv_transpose(const py::array& x, const py::array& w, const std::optional<py::array>& bias,
                         const Ints& stride, const Ints& padding, const Ints& output_padding, const Ints& dilation,
                         std::ptrdiff_t groups, int method, std::optional<int> workers) {
    F::ConvTransposeOptions o;
    o.stride = per_axis(stride);
    o.padding = per_axis(padding);
    o.output_padding = per_axis(output_padding);
    o.dilation = per_axis(dilation);
    o.groups = groups;
    o.method = static_cast<fftconv::Method>(method);
    return with_real_type(common_type(x, w, "input and weight"), "conv_transpose", [&](auto zero) -> py::array {
        using T = decltype(zero);
        const auto vx = view_of<T>(x, "input"), vw = view_of<T>(w, "weight");
        const auto b = bias_of<T>(bias);
        fftconv::Array<T> out;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            out = F::conv_transpose(vx, vw, b, o);
        }
        return to_numpy(std::move(out));
    });
}

py::array pool(const py::array& x, int rank, bool max, const Ints& kernel, const Ints& stride, const Ints& padding,
               const Ints& dilation, bool ceil_mode, bool count_include_pad, std::ptrdiff_t divisor,
               std::optional<int> workers) {
    F::PoolOptions o;
    o.kernel = per_axis(kernel);
    o.stride = per_axis(stride);
    o.padding = per_axis(padding);
    o.dilation = per_axis(dilation);
    o.ceil_mode = ceil_mode;
    o.count_include_pad = count_include_pad;
    o.divisor_override = divisor;
    return with_real_type(element_type(x.dtype()), max ? "max_pool" : "avg_pool", [&](auto zero) -> py::array {
        using T = decltype(zero);
        const auto vx = view_of<T>(x, "input");
        fftconv::Array<T> out;
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            out = max ? F::max_pool(vx, rank, o) : F::avg_pool(vx, rank, o);
        }
        return to_numpy(std::move(out));
    });
}

}  // namespace

void bind_nn(py::module_& m) {
    m.def("nn_conv", &conv, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
          py::arg("before"), py::arg("after"), py::arg("dilation"), py::arg("groups"), py::arg("padding_mode"),
          py::arg("method"), py::arg("workers"));
    m.def("nn_conv_transpose", &conv_transpose, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"),
          py::arg("padding"), py::arg("output_padding"), py::arg("dilation"), py::arg("groups"), py::arg("method"),
          py::arg("workers"));
    m.def("nn_pool", &pool, py::arg("input"), py::arg("rank"), py::arg("max"), py::arg("kernel"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"), py::arg("count_include_pad"),
          py::arg("divisor"), py::arg("workers"));
    m.def("conv_output_size", &F::conv_output_size, py::arg("n"), py::arg("k"), py::arg("stride"), py::arg("padding"),
          py::arg("dilation"));
    m.def("conv_transpose_output_size", &F::conv_transpose_output_size, py::arg("n"), py::arg("k"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("output_padding"));
    m.def("pool_output_size", &F::pool_output_size, py::arg("n"), py::arg("k"), py::arg("stride"), py::arg("padding"),
          py::arg("dilation"), py::arg("ceil_mode"));
}

}  // namespace fftconv_python
