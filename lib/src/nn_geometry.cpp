// The layers' sizes and every refusal: nn.hpp's output-size formulas and the checks PyTorch makes.
#include "nn_geometry.hpp"

#include <sstream>
#include <string>

#include "fftconv/nn.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

namespace {

template <class... A>
[[noreturn]] void refuse(const char* fn, const A&... parts) {
    std::ostringstream s;
    s << fn << ": ";
    (s << ... << parts);
    throw InvalidArgument(s.str());
}

// ⌊a / b⌋ for b > 0, toward −∞ (PyTorch's div_rtn).
std::ptrdiff_t floor_div(std::ptrdiff_t a, std::ptrdiff_t b) {
    const std::ptrdiff_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

// "3x4" of the first `rank` values.
std::string sizes_string(const detail::LayerGeometry::Sizes& s, int rank) {
    std::ostringstream out;
    for (int a = 0; a < rank; ++a) out << (a ? "x" : "") << s[static_cast<std::size_t>(a)];
    return out.str();
}

// The per-axis values of `p` for `rank` axes, `fallback` when it holds none.
// @throws InvalidArgument  a count other than 1 or rank.
detail::LayerGeometry::Sizes per_axis(const char* fn, const char* name, const nn::PerAxis& p, int rank,
                                      std::ptrdiff_t fallback) {
    detail::LayerGeometry::Sizes v{};
    if (p.count() != 0 && p.count() != 1 && p.count() != rank)
        refuse(fn, name, " has ", p.count(), " values (", nn::to_string(p), ") for ", rank, " spatial axes");
    for (int a = 0; a < rank; ++a) v[static_cast<std::size_t>(a)] = p.count() == 0 ? fallback : p.at(a);
    return v;
}

void check_positive(const char* fn, const char* name, const detail::LayerGeometry::Sizes& v, int rank) {
    for (int a = 0; a < rank; ++a)
        if (v[static_cast<std::size_t>(a)] < 1)
            refuse(fn, name, " must be at least 1 along every axis, got ", sizes_string(v, rank));
}

void check_not_negative(const char* fn, const char* name, const detail::LayerGeometry::Sizes& v, int rank) {
    for (int a = 0; a < rank; ++a)
        if (v[static_cast<std::size_t>(a)] < 0) refuse(fn, name, " must not be negative, got ", sizes_string(v, rank));
}

// Sizes past 2^53 elements cannot be allocated and would overflow the index arithmetic below;
// they are refused here, counted in double, before anything multiplies them as integers.
void check_elements(const char* fn, const char* what, double batch, double channels,
                    const detail::LayerGeometry::Sizes& sizes, int rank) {
    double n = batch * channels;
    for (int a = 0; a < rank; ++a) n *= static_cast<double>(sizes[static_cast<std::size_t>(a)]);
    if (n > 9007199254740992.0)
        refuse(fn, what, " would hold ", n, " elements (", sizes_string(sizes, rank), " per channel), past 2^53");
}

// One axis's padded (or spread) length and the kernel's reach d·(k − 1), in double: past 2^53
// the integer arithmetic that follows could overflow.
void check_extent(const char* fn, double length, double reach, int axis) {
    constexpr double most = 9007199254740992.0;
    if (length > most || reach > most || length + reach > most)
        refuse(fn, "along spatial axis ", axis, " the padded length ", length, " or the kernel's reach ", reach,
               " passes 2^53");
}

const char* layer_name(const char* base, int rank) {
    static const char* conv[] = {"conv1d", "conv2d", "conv3d"};
    static const char* transpose[] = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};
    static const char* max_pool[] = {"max_pool1d", "max_pool2d", "max_pool3d"};
    static const char* avg_pool[] = {"avg_pool1d", "avg_pool2d", "avg_pool3d"};
    if (rank < 1 || rank > nn::max_spatial_rank) return base;
    const auto i = static_cast<std::size_t>(rank - 1);
    const std::string b = base;
    return b == "conv" ? conv[i] : b == "conv_transpose" ? transpose[i] : b == "max_pool" ? max_pool[i] : avg_pool[i];
}

// Batch, channels and spatial sizes of an input of rank rank + 1 (unbatched) or rank + 2.
void read_input(const char* fn, const Extents& input, int rank, detail::LayerGeometry& g) {
    if (input.rank() != rank + 1 && input.rank() != rank + 2)
        refuse(fn, "expected an input of rank ", rank + 1, " (C x spatial) or ", rank + 2, " (N x C x spatial), got ",
               to_string(input));
    g.batched = input.rank() == rank + 2;
    const int first = g.batched ? 1 : 0;
    g.batch = g.batched ? input[0] : 1;
    g.channels = input[first];
    for (int a = 0; a < rank; ++a) g.in[static_cast<std::size_t>(a)] = input[first + 1 + a];
    for (int a = 0; a < input.rank(); ++a)
        if (input[a] < 0) refuse(fn, "the input's size ", to_string(input), " is negative");
    for (int a = first; a < input.rank(); ++a)
        if (input[a] == 0) refuse(fn, "the input ", to_string(input), " is empty along an axis other than the batch");
}

void read_weight(const char* fn, const Extents& weight, detail::LayerGeometry& g) {
    for (int a = 0; a < weight.rank(); ++a)
        if (weight[a] < 1) refuse(fn, "the weight ", to_string(weight), " is empty");
    for (int a = 0; a < g.rank; ++a) g.kernel[static_cast<std::size_t>(a)] = weight[2 + a];
}

}  // namespace

nn::PerAxis::PerAxis(std::span<const std::ptrdiff_t> values) {
    if (values.size() > static_cast<std::size_t>(max_spatial_rank))
        throw InvalidArgument("PerAxis: " + std::to_string(values.size()) + " values, at most " +
                              std::to_string(max_spatial_rank) + " (one per spatial axis)");
    count_ = static_cast<int>(values.size());
    std::copy(values.begin(), values.end(), v_.begin());
}

std::string nn::to_string(const PerAxis& p) {
    if (p.count() == 0) return "none";
    if (p.count() == 1) return std::to_string(p.at(0));
    std::ostringstream s;
    s << "(";
    for (int a = 0; a < p.count(); ++a) s << (a ? ", " : "") << p.at(a);
    s << ")";
    return s.str();
}

const char* nn::to_string(PaddingMode mode) {
    switch (mode) {
        case PaddingMode::zeros: return "zeros";
        case PaddingMode::reflect: return "reflect";
        case PaddingMode::replicate: return "replicate";
        case PaddingMode::circular: return "circular";
    }
    return "unknown";
}

std::ptrdiff_t nn::conv_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride, std::ptrdiff_t padding,
                                    std::ptrdiff_t dilation) {
    if (stride < 1) throw InvalidArgument("conv_output_size: stride must be at least 1, got " + std::to_string(stride));
    return floor_div(n + 2 * padding - dilation * (k - 1) - 1, stride) + 1;
}

std::ptrdiff_t nn::conv_transpose_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride,
                                              std::ptrdiff_t padding, std::ptrdiff_t dilation,
                                              std::ptrdiff_t output_padding) {
    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1;
}

std::ptrdiff_t nn::pool_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride, std::ptrdiff_t padding,
                                    std::ptrdiff_t dilation, bool ceil_mode) {
    if (stride < 1) throw InvalidArgument("pool_output_size: stride must be at least 1, got " + std::to_string(stride));
    const std::ptrdiff_t span = n + 2 * padding - dilation * (k - 1) - 1;
    std::ptrdiff_t out = floor_div(span + (ceil_mode ? stride - 1 : 0), stride) + 1;
    // A window that would start in the right padding is dropped.
    if (ceil_mode && (out - 1) * stride >= n + padding) --out;
    return out;
}

namespace detail {

std::ptrdiff_t LayerGeometry::volume(const Sizes& s, int rank) {
    std::ptrdiff_t v = 1;
    for (int a = 0; a < rank; ++a) v *= s[static_cast<std::size_t>(a)];
    return v;
}

Extents LayerGeometry::output_shape() const {
    std::array<std::ptrdiff_t, max_rank> e{};
    int r = 0;
    if (batched) e[static_cast<std::size_t>(r++)] = batch;
    e[static_cast<std::size_t>(r++)] = outputs;
    for (int a = 0; a < rank; ++a) e[static_cast<std::size_t>(r++)] = out[static_cast<std::size_t>(a)];
    return Extents(std::span<const std::ptrdiff_t>(e.data(), static_cast<std::size_t>(r)));
}

LayerGeometry conv_geometry(const Extents& input, const Extents& weight, const nn::ConvOptions& options,
                            std::size_t bias_size) {
    LayerGeometry g;
    g.rank = weight.rank() - 2;
    g.fn = layer_name("conv", g.rank);
    const char* fn = g.fn;
    if (g.rank < 1 || g.rank > nn::max_spatial_rank)
        refuse(fn, "the weight has rank ", weight.rank(), " (", to_string(weight),
               "); it is O x C/groups x k... with 1 to 3 spatial axes (rank 3 to 5)");
    read_input(fn, input, g.rank, g);
    read_weight(fn, weight, g);
    g.groups = options.groups;
    g.outputs = weight[0];
    g.mode = options.padding_mode;
    if (g.groups < 1) refuse(fn, "groups must be at least 1, got ", g.groups);
    if (g.outputs % g.groups != 0)
        refuse(fn, "groups=", g.groups, " must divide the weight's ", g.outputs, " output channels (weight ",
               to_string(weight), ")");
    if (g.channels != g.groups * weight[1])
        refuse(fn, "the input ", to_string(input), " has ", g.channels, " channels; groups=", g.groups, " with weight ",
               to_string(weight), " expects ", g.groups * weight[1]);
    if (bias_size != 0 && bias_size != static_cast<std::size_t>(g.outputs))
        refuse(fn, "the bias has ", bias_size, " values for ", g.outputs, " output channels");
    g.stride = per_axis(fn, "stride", options.stride, g.rank, 1);
    g.dilation = per_axis(fn, "dilation", options.dilation, g.rank, 1);
    check_positive(fn, "stride", g.stride, g.rank);
    check_positive(fn, "dilation", g.dilation, g.rank);
    switch (options.padding.kind()) {
        case nn::Padding::Kind::valid: break;
        case nn::Padding::Kind::same:
            for (int a = 0; a < g.rank; ++a) {
                const auto i = static_cast<std::size_t>(a);
                if (g.stride[i] != 1)
                    refuse(fn, "padding 'same' needs stride 1, got stride ", sizes_string(g.stride, g.rank));
                const std::ptrdiff_t total = g.dilation[i] * (g.kernel[i] - 1);
                g.before[i] = total / 2;
                g.after[i] = total - total / 2;
            }
            break;
        case nn::Padding::Kind::explicit_sizes:
            g.before = per_axis(fn, "padding", options.padding.before(), g.rank, 0);
            g.after = per_axis(fn, "padding", options.padding.after(), g.rank, 0);
            check_not_negative(fn, "padding", g.before, g.rank);
            check_not_negative(fn, "padding", g.after, g.rank);
            break;
    }
    switch (g.mode) {
        case nn::PaddingMode::zeros:
        case nn::PaddingMode::replicate: break;
        case nn::PaddingMode::reflect:
            for (int a = 0; a < g.rank; ++a) {
                const auto i = static_cast<std::size_t>(a);
                if (g.before[i] >= g.in[i] || g.after[i] >= g.in[i])
                    refuse(fn, "reflect padding (", g.before[i], ", ", g.after[i], ") along spatial axis ", a,
                           " must be smaller than the input's ", g.in[i]);
            }
            break;
        case nn::PaddingMode::circular:
            for (int a = 0; a < g.rank; ++a) {
                const auto i = static_cast<std::size_t>(a);
                if (g.before[i] > g.in[i] || g.after[i] > g.in[i])
                    refuse(fn, "circular padding (", g.before[i], ", ", g.after[i], ") along spatial axis ", a,
                           " must be at most the input's ", g.in[i], " (it would wrap more than once)");
            }
            break;
        default: refuse(fn, "padding_mode ", static_cast<int>(g.mode), " is not zeros, reflect, replicate or circular");
    }
    for (int a = 0; a < g.rank; ++a) {
        const auto i = static_cast<std::size_t>(a);
        check_extent(fn,
                     static_cast<double>(g.in[i]) + static_cast<double>(g.before[i]) + static_cast<double>(g.after[i]),
                     static_cast<double>(g.dilation[i]) * static_cast<double>(g.kernel[i] - 1), a);
        const std::ptrdiff_t span = g.dilation[i] * (g.kernel[i] - 1) + 1;
        if (span > g.padded(a))
            refuse(fn, "the kernel spans ", span, " along spatial axis ", a, " (size ", g.kernel[i], ", dilation ",
                   g.dilation[i], "), more than the padded input's ", g.padded(a), " (input ", to_string(input), ")");
        g.out[i] = floor_div(g.padded(a) - span, g.stride[i]) + 1;
    }
    LayerGeometry::Sizes padded{};
    for (int a = 0; a < g.rank; ++a) padded[static_cast<std::size_t>(a)] = g.padded(a);
    check_elements(fn, "the padded input", static_cast<double>(g.batch), static_cast<double>(g.channels), padded,
                   g.rank);
    return g;
}

LayerGeometry transpose_geometry(const Extents& input, const Extents& weight, const nn::ConvTransposeOptions& options,
                                 std::size_t bias_size) {
    LayerGeometry g;
    g.rank = weight.rank() - 2;
    g.fn = layer_name("conv_transpose", g.rank);
    const char* fn = g.fn;
    if (g.rank < 1 || g.rank > nn::max_spatial_rank)
        refuse(fn, "the weight has rank ", weight.rank(), " (", to_string(weight),
               "); it is C x O/groups x k... with 1 to 3 spatial axes (rank 3 to 5)");
    read_input(fn, input, g.rank, g);
    read_weight(fn, weight, g);
    g.groups = options.groups;
    if (g.groups < 1) refuse(fn, "groups must be at least 1, got ", g.groups);
    if (weight[0] % g.groups != 0)
        refuse(fn, "groups=", g.groups, " must divide the weight's ", weight[0], " input channels (weight ",
               to_string(weight), ")");
    if (g.channels != weight[0])
        refuse(fn, "the input ", to_string(input), " has ", g.channels, " channels; the weight ", to_string(weight),
               " expects ", weight[0]);
    g.outputs = weight[1] * g.groups;
    if (bias_size != 0 && bias_size != static_cast<std::size_t>(g.outputs))
        refuse(fn, "the bias has ", bias_size, " values for ", g.outputs, " output channels");
    g.stride = per_axis(fn, "stride", options.stride, g.rank, 1);
    g.dilation = per_axis(fn, "dilation", options.dilation, g.rank, 1);
    g.before = per_axis(fn, "padding", options.padding, g.rank, 0);
    g.after = per_axis(fn, "output_padding", options.output_padding, g.rank, 0);
    check_positive(fn, "stride", g.stride, g.rank);
    check_positive(fn, "dilation", g.dilation, g.rank);
    check_not_negative(fn, "padding", g.before, g.rank);
    check_not_negative(fn, "output_padding", g.after, g.rank);
    for (int a = 0; a < g.rank; ++a) {
        const auto i = static_cast<std::size_t>(a);
        if (g.after[i] >= g.stride[i] && g.after[i] >= g.dilation[i])
            refuse(fn, "output_padding ", sizes_string(g.after, g.rank),
                   " must be smaller than the stride or the dilation along each axis (stride ",
                   sizes_string(g.stride, g.rank), ", dilation ", sizes_string(g.dilation, g.rank), ")");
        check_extent(
            fn,
            static_cast<double>(g.in[i] - 1) * static_cast<double>(g.stride[i]) + static_cast<double>(g.after[i]) + 1,
            static_cast<double>(g.dilation[i]) * static_cast<double>(g.kernel[i] - 1), a);
        g.out[i] =
            nn::conv_transpose_output_size(g.in[i], g.kernel[i], g.stride[i], g.before[i], g.dilation[i], g.after[i]);
        if (g.out[i] < 1)
            refuse(fn, "the output would be ", g.out[i], " long along spatial axis ", a, " (input ", to_string(input),
                   ", weight ", to_string(weight), ", stride ", g.stride[i], ", padding ", g.before[i], ")");
    }
    // The output, and the input spread by the stride that the transpose convolves.
    LayerGeometry::Sizes spread{};
    for (int a = 0; a < g.rank; ++a) {
        const auto i = static_cast<std::size_t>(a);
        spread[i] = g.out[i] + g.dilation[i] * (g.kernel[i] - 1);
    }
    check_elements(fn, "the output", static_cast<double>(g.batch), static_cast<double>(g.outputs), g.out, g.rank);
    check_elements(fn, "the input spread by the stride", static_cast<double>(g.batch), static_cast<double>(g.channels),
                   spread, g.rank);
    return g;
}

LayerGeometry pool_geometry(const Extents& input, int spatial_rank, const nn::PoolOptions& options, bool max) {
    LayerGeometry g;
    g.rank = spatial_rank;
    g.fn = layer_name(max ? "max_pool" : "avg_pool", spatial_rank);
    const char* fn = g.fn;
    if (spatial_rank < 1 || spatial_rank > nn::max_spatial_rank)
        refuse(fn, "spatial_rank must be 1, 2 or 3, got ", spatial_rank);
    read_input(fn, input, g.rank, g);
    g.outputs = g.channels;
    if (options.kernel.count() == 0) refuse(fn, "no kernel size given");
    g.kernel = per_axis(fn, "kernel", options.kernel, g.rank, 1);
    g.stride = options.stride.count() == 0 ? g.kernel : per_axis(fn, "stride", options.stride, g.rank, 1);
    g.dilation = per_axis(fn, "dilation", options.dilation, g.rank, 1);
    g.before = g.after = per_axis(fn, "padding", options.padding, g.rank, 0);
    check_positive(fn, "kernel", g.kernel, g.rank);
    check_positive(fn, "stride", g.stride, g.rank);
    check_positive(fn, "dilation", g.dilation, g.rank);
    check_not_negative(fn, "padding", g.before, g.rank);
    if (!max) {
        for (int a = 0; a < g.rank; ++a)
            if (g.dilation[static_cast<std::size_t>(a)] != 1)
                refuse(fn, "avg_pool has no dilation; got ", sizes_string(g.dilation, g.rank));
        if (options.divisor_override < 0)
            refuse(fn, "divisor_override must be positive (or 0: none), got ", options.divisor_override);
    }
    // PyTorch's avg_pool3d alone wants the input at least as large as the kernel, padding aside.
    if (!max && g.rank == 3)
        for (int a = 0; a < g.rank; ++a)
            if (g.in[static_cast<std::size_t>(a)] < g.kernel[static_cast<std::size_t>(a)])
                refuse(fn, "the input ", sizes_string(g.in, g.rank), " is smaller than the kernel ",
                       sizes_string(g.kernel, g.rank), " (avg_pool3d takes no window larger than the input)");
    for (int a = 0; a < g.rank; ++a) {
        const auto i = static_cast<std::size_t>(a);
        check_extent(fn, static_cast<double>(g.in[i]) + 2 * static_cast<double>(g.before[i]),
                     static_cast<double>(g.dilation[i]) * static_cast<double>(g.kernel[i] - 1), a);
        if (2 * g.before[i] > g.kernel[i])
            refuse(fn, "padding ", sizes_string(g.before, g.rank), " must be at most half the kernel ",
                   sizes_string(g.kernel, g.rank));
        g.out[i] =
            nn::pool_output_size(g.in[i], g.kernel[i], g.stride[i], g.before[i], g.dilation[i], options.ceil_mode);
        if (g.out[i] < 1)
            refuse(fn, "the output would be ", g.out[i], " long along spatial axis ", a, " (input ", to_string(input),
                   ", kernel ", sizes_string(g.kernel, g.rank), ", stride ", sizes_string(g.stride, g.rank),
                   ", padding ", sizes_string(g.before, g.rank), ", dilation ", sizes_string(g.dilation, g.rank), ")");
    }
    return g;
}

}  // namespace detail

Extents nn::conv_output_shape(const Extents& input, const Extents& weight, const ConvOptions& options) {
    return detail::conv_geometry(input, weight, options, 0).output_shape();
}

Extents nn::conv_transpose_output_shape(const Extents& input, const Extents& weight,
                                        const ConvTransposeOptions& options) {
    return detail::transpose_geometry(input, weight, options, 0).output_shape();
}

Extents nn::pool_output_shape(const Extents& input, int spatial_rank, const PoolOptions& options) {
    return detail::pool_geometry(input, spatial_rank, options, true).output_shape();
}

}  // namespace fftconv
