// Runs nn.hpp's layers on cases read from stdin, for tests/torch_check.py to compare with PyTorch.
// Input, per case, one header line of whitespace-separated tokens:
//   conv      DTYPE METHOD X W NBIAS STRIDE PADKIND [BEFORE AFTER] DILATION GROUPS PADMODE
//   transpose DTYPE METHOD X W NBIAS STRIDE PADDING OUTPUT_PADDING DILATION GROUPS
//   max_pool / avg_pool  DTYPE X R KERNEL STRIDE PADDING DILATION CEIL COUNT_PAD DIVISOR
// where X and W are a rank then that many sizes, each per-axis value is a count then the values
// (count 0: not given), PADKIND is explicit, same or valid, METHOD direct, fft or automatic,
// DTYPE float32 or float64; then X's, W's and the bias's values in row-major order.
// Output, one line per case: "ok RANK SHAPE... values..." or "error MESSAGE".
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;
namespace F = fftconv::nn;

namespace {

Extents read_shape() {
    int rank = 0;
    std::cin >> rank;
    std::vector<std::ptrdiff_t> n(static_cast<std::size_t>(rank));
    for (auto& v : n) std::cin >> v;
    return Extents(std::span<const std::ptrdiff_t>(n));
}

F::PerAxis read_per_axis() {
    int count = 0;
    std::cin >> count;
    std::vector<std::ptrdiff_t> v(static_cast<std::size_t>(count));
    for (auto& x : v) std::cin >> x;
    return count == 0 ? F::PerAxis() : F::PerAxis(std::span<const std::ptrdiff_t>(v));
}

Method read_method() {
    std::string m;
    std::cin >> m;
    return m == "direct" ? Method::direct : m == "fft" ? Method::fft : Method::automatic;
}

template <class T>
Array<T> read_values(const Extents& shape) {
    Array<T> a(shape);
    std::string token;  // strtod reads "nan" and "inf", which operator>> refuses
    for (T& v : a.values()) {
        std::cin >> token;
        v = static_cast<T>(std::strtod(token.c_str(), nullptr));
    }
    return a;
}

template <class T>
void print(const Array<T>& a) {
    std::printf("ok %d", a.rank());
    for (int i = 0; i < a.rank(); ++i) std::printf(" %td", a.shape()[i]);
    for (const T& v : a.values()) std::printf(" %.17g", static_cast<double>(v));
    std::printf("\n");
}

template <class T>
void run_conv(bool transpose) {
    const Method method = read_method();
    const Extents xs = read_shape(), ws = read_shape();
    std::size_t nbias = 0;
    std::cin >> nbias;
    F::ConvOptions c;
    F::ConvTransposeOptions t;
    if (transpose) {
        t.stride = read_per_axis();
        t.padding = read_per_axis();
        t.output_padding = read_per_axis();
        t.dilation = read_per_axis();
        std::cin >> t.groups;
        t.method = method;
    } else {
        c.stride = read_per_axis();
        std::string kind;
        std::cin >> kind;
        if (kind == "same") {
            c.padding = F::Padding::same();
        } else if (kind == "valid") {
            c.padding = F::Padding::valid();
        } else {
            const F::PerAxis before = read_per_axis();
            const F::PerAxis after = read_per_axis();
            c.padding = F::Padding::sides(before, after);
        }
        c.dilation = read_per_axis();
        std::cin >> c.groups;
        std::string mode;
        std::cin >> mode;
        c.padding_mode = mode == "reflect"     ? F::PaddingMode::reflect
                         : mode == "replicate" ? F::PaddingMode::replicate
                         : mode == "circular"  ? F::PaddingMode::circular
                                               : F::PaddingMode::zeros;
        c.method = method;
    }
    const Array<T> x = read_values<T>(xs), w = read_values<T>(ws);
    const Array<T> b = read_values<T>({static_cast<std::ptrdiff_t>(nbias)});
    const std::span<const T> bias = b.values();
    try {
        print(transpose ? F::conv_transpose(x, w, bias, t) : F::conv(x, w, bias, c));
    } catch (const Error& e) {
        std::printf("error %s\n", e.what());
    }
}

template <class T>
void run_pool(bool max) {
    const Extents xs = read_shape();
    int rank = 0;
    std::cin >> rank;
    F::PoolOptions o;
    o.kernel = read_per_axis();
    o.stride = read_per_axis();
    o.padding = read_per_axis();
    o.dilation = read_per_axis();
    int ceil = 0, count_pad = 1;
    std::cin >> ceil >> count_pad >> o.divisor_override;
    o.ceil_mode = ceil != 0;
    o.count_include_pad = count_pad != 0;
    const Array<T> x = read_values<T>(xs);
    try {
        print(max ? F::max_pool(x, rank, o) : F::avg_pool(x, rank, o));
    } catch (const Error& e) {
        std::printf("error %s\n", e.what());
    }
}

}  // namespace

int main() {
    std::string op, dtype;
    while (std::cin >> op >> dtype) {
        const bool f32 = dtype == "float32";
        if (op == "conv" || op == "transpose") {
            f32 ? run_conv<float>(op == "transpose") : run_conv<double>(op == "transpose");
        } else if (op == "max_pool" || op == "avg_pool") {
            f32 ? run_pool<float>(op == "max_pool") : run_pool<double>(op == "max_pool");
        } else {
            std::fprintf(stderr, "torch_driver: unknown operation %s\n", op.c_str());
            return 2;
        }
        std::fflush(stdout);
    }
    return 0;
}
