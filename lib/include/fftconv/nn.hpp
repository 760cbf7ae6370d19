// Convolution as neural networks use it — strided, padded, dilated, grouped, transposed — and
// pooling, with torch.nn.functional's semantics, computed directly or through the FFT.
//
// Tensors are Views of rank 2 + s for s = 1, 2 or 3 spatial axes: N x C x L, N x C x H x W,
// N x C x D x H x W (batch, channels, then space, row-major as PyTorch's contiguous tensors);
// the batch axis may be left out (C x H x W), as PyTorch allows, and the result then lacks it too.
// Any strides are taken. Weights are O x C/groups x k... for conv, C x O/groups x k... for
// conv_transpose (PyTorch's layouts).
//
// Everything here is a cross-correlation, as in every deep-learning framework: the kernel is not
// flipped. With scipy's names, for one channel and stride 1 and no padding:
//     conv(x, w) == scipy.signal.correlate(x, w, 'valid') == scipy.signal.convolve(x, w[::-1], 'valid')
// and fftconv::correlate(x, w, Mode::valid) gives the same numbers.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"

namespace fftconv::nn {

/// The most spatial axes a layer takes (conv3d's D x H x W).
inline constexpr int max_spatial_rank = 3;

/// A per-axis integer argument, as PyTorch's `int or tuple`: one value for every spatial axis
/// (`stride = 2`), or one per axis, first axis first (`stride = {2, 1}`: 2 along H, 1 along W).
/// Default-constructed it holds no value, which the options below read as "the default".
class PerAxis {
public:
    constexpr PerAxis() = default;
    constexpr PerAxis(std::ptrdiff_t all) : v_{all}, count_(1) {}
    /// @throws InvalidArgument  more than max_spatial_rank values.
    PerAxis(std::initializer_list<std::ptrdiff_t> values) : PerAxis(std::span<const std::ptrdiff_t>(values)) {}
    explicit PerAxis(std::span<const std::ptrdiff_t> values);

    constexpr int count() const { return count_; }
    /// The value along `axis` of `rank` spatial axes (the one value, or the axis's own).
    constexpr std::ptrdiff_t at(int axis) const { return count_ == 1 ? v_[0] : v_[static_cast<std::size_t>(axis)]; }

private:
    std::array<std::ptrdiff_t, max_spatial_rank> v_{};
    int count_ = 0;
};

/// "2" or "(2, 1)"; "none" when empty.
std::string to_string(const PerAxis& p);

/// How a conv pads its input, per spatial axis and side. PyTorch's forms:
///   Padding(1)          padding=1        1 before and 1 after along every axis
///   Padding({1, 2})     padding=(1, 2)   1 on each side of H, 2 on each side of W
///   Padding::same()     padding='same'   the output as large as the input (stride 1 only): the
///                                        total d·(k−1) per axis split with the odd one after, so
///                                        conv1d([1,2,3,4], [1,1,1,1], 'same') == [6,10,9,7] where
///                                        scipy.signal.correlate's 'same' puts it before: [3,6,10,9]
///   Padding::valid()    padding='valid'  none (the default)
/// and one PyTorch reaches only through F.pad: Padding::sides({before, after}), per axis.
class Padding {
public:
    enum class Kind { explicit_sizes, same, valid };
    constexpr Padding() : kind_(Kind::valid) {}
    constexpr Padding(std::ptrdiff_t all) : before_(all), after_(all) {}
    Padding(std::initializer_list<std::ptrdiff_t> per_axis) : before_(per_axis), after_(per_axis) {}
    /// `before[i]` zeros ahead of axis i, `after[i]` behind it.
    static Padding sides(PerAxis before, PerAxis after) {
        Padding p;
        p.kind_ = Kind::explicit_sizes;
        p.before_ = before;
        p.after_ = after;
        return p;
    }
    static constexpr Padding same() { return Padding(Kind::same); }
    static constexpr Padding valid() { return Padding(Kind::valid); }

    constexpr Kind kind() const { return kind_; }
    const PerAxis& before() const { return before_; }
    const PerAxis& after() const { return after_; }

private:
    constexpr explicit Padding(Kind k) : kind_(k) {}
    Kind kind_ = Kind::explicit_sizes;
    PerAxis before_, after_;
};

/// What the padding of a conv holds, for an input `abcdefgh` padded by 3 on each side
/// (PyTorch's padding_mode; the Border that is the same thing in brackets):
///
///     zeros      000|abcdefgh|000   (Border::constant)
///     reflect    dcb|abcdefgh|gfe   (Border::reflect101: the edge sample is not repeated)
///     replicate  aaa|abcdefgh|hhh   (Border::replicate)
///     circular   fgh|abcdefgh|abc   (Border::wrap)
///
/// As in PyTorch, reflect needs a padding smaller than the axis and circular one no larger.
enum class PaddingMode { zeros, reflect, replicate, circular };

/// "zeros", "reflect", "replicate", "circular".
const char* to_string(PaddingMode mode);

/// torch.nn.functional.conv1d/2d/3d's arguments (with nn.Conv*d's padding_mode). Empty PerAxis
/// values mean 1.
struct ConvOptions {
    PerAxis stride = 1;
    Padding padding = 0;
    PerAxis dilation = 1;
    std::ptrdiff_t groups = 1;
    PaddingMode padding_mode = PaddingMode::zeros;
    Method method = Method::automatic;
};

/// torch.nn.functional.conv_transpose1d/2d/3d's arguments. `padding` drops that many outputs from
/// each end of the full result ((n − 1)·s + d·(k − 1) + 1 long) along each axis; output_padding
/// adds that many back after the last, each smaller than the stride or the dilation there.
struct ConvTransposeOptions {
    PerAxis stride = 1;
    PerAxis padding = 0;
    PerAxis output_padding = 0;
    PerAxis dilation = 1;
    std::ptrdiff_t groups = 1;
    Method method = Method::automatic;
};

/// torch.nn.functional.max_pool*d / avg_pool*d's arguments. `kernel` is required; an empty
/// `stride` means the kernel size. Padding is at most half the kernel along each axis (PyTorch's
/// rule); max_pool pads with −∞, so padding never wins a maximum. `dilation` is max_pool's only.
/// ceil_mode rounds the output size up, but a window that would start in the right padding is
/// dropped. avg_pool divides by the window's cells inside the padded input (count_include_pad)
/// or inside the input only; divisor_override > 0 divides by that instead.
struct PoolOptions {
    PerAxis kernel = PerAxis();
    PerAxis stride = PerAxis();
    PerAxis padding = 0;
    PerAxis dilation = 1;
    bool ceil_mode = false;
    bool count_include_pad = true;
    std::ptrdiff_t divisor_override = 0;
};

// ---- Output sizes: the formulas, one axis at a time. A result below 1 is a size the layer refuses.

/// ⌊(n + 2p − d·(k−1) − 1) / s⌋ + 1: a conv's output length for input n, kernel k, stride s,
/// padding p on each side, dilation d (floor toward −∞, as PyTorch's).
/// @throws InvalidArgument  a stride below 1.
std::ptrdiff_t conv_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride = 1,
                                std::ptrdiff_t padding = 0, std::ptrdiff_t dilation = 1);
/// (n − 1)·s − 2p + d·(k−1) + output_padding + 1: a transposed conv's output length.
std::ptrdiff_t conv_transpose_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride = 1,
                                          std::ptrdiff_t padding = 0, std::ptrdiff_t dilation = 1,
                                          std::ptrdiff_t output_padding = 0);
/// A pool's output length: conv_output_size, or with ceil_mode the division rounded up and then
/// one less when the last window would start at or past n + p (inside the right padding).
/// @throws InvalidArgument  a stride below 1.
std::ptrdiff_t pool_output_size(std::ptrdiff_t n, std::ptrdiff_t k, std::ptrdiff_t stride, std::ptrdiff_t padding = 0,
                                std::ptrdiff_t dilation = 1, bool ceil_mode = false);

// ---- Output shapes: the whole tensor, checked as the layer checks it.

/// The shape conv(input, weight, bias, options) returns (N x O x out..., or O x out... for an
/// unbatched input).  @throws InvalidArgument  everything conv refuses.
Extents conv_output_shape(const Extents& input, const Extents& weight, const ConvOptions& options = {});
/// The shape conv_transpose returns.  @throws InvalidArgument  as conv_transpose.
Extents conv_transpose_output_shape(const Extents& input, const Extents& weight,
                                    const ConvTransposeOptions& options = {});
/// The shape max_pool / avg_pool return for `spatial_rank` pooled axes (the last ones; the others
/// are kept).  @throws InvalidArgument  as the pools.
Extents pool_output_shape(const Extents& input, int spatial_rank, const PoolOptions& options);

// ---- The layers.

/// torch.nn.functional.conv{1,2,3}d: the spatial rank is the weight's rank − 2.
///   out[n, o, y] = bias[o] + Σ_{c in o's group} Σ_j w[o, c, j] · xpad[n, c, y·s + j·d]
/// per spatial axis, xpad the input padded as options.padding and padding_mode say; o's group
/// is o / (O / groups), its channels c = group · C/groups + (0 … C/groups − 1). bias is empty or
/// holds O values. NaN and ±Inf in the input or the weight take the direct sum whatever the
/// method, so they land where PyTorch puts them. Method::automatic picks the cheaper of the direct sum and the FFT
/// (each input channel transformed once, the channel sums done on spectra, one inverse per output channel, strided
/// outputs taken from the stride-1 result) by estimate; both agree within rounding.
/// @throws InvalidArgument  naming the values, where PyTorch refuses: an input rank other than
///   the weight's or one less, channels C ≠ groups · weight's second axis, O not divisible by
///   groups, a non-positive stride, dilation, groups or kernel size, a negative padding, 'same'
///   with a stride above 1, reflect padding not smaller than the axis or circular padding larger
///   than it, an output size below 1, a bias of another length than O.
/// @throws OutOfMemory  buffers past memory_limit(), named with their bytes.
/// Memory: the padded input, the weight's copies and the gathered lines stay with the calling
/// thread (and the pool's threads) between calls, so a layer called in a loop touches no fresh
/// pages; each such buffer over 32 MiB is given back when the call ends.
Array<float> conv(View<const float> input, View<const float> weight, std::span<const float> bias = {},
                  const ConvOptions& options = {});
Array<double> conv(View<const double> input, View<const double> weight, std::span<const double> bias = {},
                   const ConvOptions& options = {});

/// conv with the weight's rank checked: 3 (conv1d), 4 (conv2d), 5 (conv3d).
Array<float> conv1d(View<const float> input, View<const float> weight, std::span<const float> bias = {},
                    const ConvOptions& options = {});
Array<double> conv1d(View<const double> input, View<const double> weight, std::span<const double> bias = {},
                     const ConvOptions& options = {});
Array<float> conv2d(View<const float> input, View<const float> weight, std::span<const float> bias = {},
                    const ConvOptions& options = {});
Array<double> conv2d(View<const double> input, View<const double> weight, std::span<const double> bias = {},
                     const ConvOptions& options = {});
Array<float> conv3d(View<const float> input, View<const float> weight, std::span<const float> bias = {},
                    const ConvOptions& options = {});
Array<double> conv3d(View<const double> input, View<const double> weight, std::span<const double> bias = {},
                     const ConvOptions& options = {});

/// torch.nn.functional.conv_transpose{1,2,3}d, the adjoint of conv: for every input position i
/// and tap j, w[c, o, j] · x[n, c, i] is added at output i·s + j·d − p (per axis; outputs outside
/// [0, size) dropped), so ⟨conv(x, w), y⟩ == ⟨x, conv_transpose(y, w)⟩ with the same stride,
/// padding, dilation and groups. The weight is C x O/groups x k... Computed as a conv of the
/// input spread out by the stride (s − 1 zeros between samples) with the kernel flipped.
/// @throws InvalidArgument  as conv, and an output_padding not smaller than either the stride or
///   the dilation, a negative padding or output_padding, an output size below 1.
Array<float> conv_transpose(View<const float> input, View<const float> weight, std::span<const float> bias = {},
                            const ConvTransposeOptions& options = {});
Array<double> conv_transpose(View<const double> input, View<const double> weight, std::span<const double> bias = {},
                             const ConvTransposeOptions& options = {});

/// max_pool{1,2,3}d and avg_pool{1,2,3}d over the last `spatial_rank` axes of an input of rank
/// spatial_rank + 1 or + 2 (C x ... or N x C x ...). max_pool returns NaN for a window holding
/// one, as PyTorch does.
/// @throws InvalidArgument  a non-positive kernel, stride or dilation, a padding above half the
///   kernel, an output size below 1, a rank other than spatial_rank + 1 or + 2, a dilation for
///   avg_pool, a negative divisor_override, and for avg_pool over 3 axes an input smaller than the
///   kernel along an axis (PyTorch's avg_pool3d refuses those whatever the padding).
Array<float> max_pool(View<const float> input, int spatial_rank, const PoolOptions& options);
Array<double> max_pool(View<const double> input, int spatial_rank, const PoolOptions& options);
Array<float> avg_pool(View<const float> input, int spatial_rank, const PoolOptions& options);
Array<double> avg_pool(View<const double> input, int spatial_rank, const PoolOptions& options);

// ---- Costs: what the texts on efficient layers count.

/// Parameters and multiplications of one layer (one multiplication per weight tap and output
/// element; bias adds parameters, no multiplications).
struct LayerCost {
    std::ptrdiff_t parameters = 0;
    std::ptrdiff_t multiplications = 0;
};

/// The cost of conv(input, weight, …) with O·C/groups·k… weights (+ O when `bias`).
/// @throws InvalidArgument  as conv_output_shape.
LayerCost conv_cost(const Extents& input, const Extents& weight, const ConvOptions& options = {}, bool bias = false);

/// A depthwise-separable conv: a depthwise conv (groups = C, weight C x 1 x k...) then a
/// pointwise one (1 x 1..., weight O x C x 1...), in place of one conv with an O x C x k...
/// weight. From 16 to 32 channels with 3 x 3 kernels: 16·9 + 16·32 = 656 parameters against
/// 16·32·9 = 4,608. `options` apply to the depthwise step (its groups are set to C); the
/// pointwise step has stride 1 and no padding.
/// @throws InvalidArgument  as the two convs.
Array<float> separable_conv(View<const float> input, View<const float> depthwise, View<const float> pointwise,
                            std::span<const float> pointwise_bias = {}, ConvOptions options = {});
Array<double> separable_conv(View<const double> input, View<const double> depthwise, View<const double> pointwise,
                             std::span<const double> pointwise_bias = {}, ConvOptions options = {});
/// Its cost: conv_cost of the two steps, added.
LayerCost separable_conv_cost(const Extents& input, const Extents& depthwise, const Extents& pointwise,
                              const ConvOptions& options = {});

/// A spatially separable 2D conv: a k_h x 1 conv (weight `column`, O x C/groups x k_h x 1) then a
/// 1 x k_w one per output channel (weight `row`, O x 1 x 1 x k_w, groups = O): the same as one
/// conv whose kernel is the outer product column[o, c] ⊗ row[o], in (k_h + k_w) multiplications
/// per output and channel pair where that conv needs k_h · k_w. On a 5 x 5 input, 3 x 3 as 3 x 1
/// then 1 x 3 is 45 + 27 = 72 multiplications against 81. `options` act along H in the first step
/// and along W in the second (stride, padding, dilation, padding_mode).
/// @throws InvalidArgument  as the two convs, and weights of other shapes than those above.
Array<float> spatially_separable_conv(View<const float> input, View<const float> column, View<const float> row,
                                      std::span<const float> bias = {}, const ConvOptions& options = {});
Array<double> spatially_separable_conv(View<const double> input, View<const double> column, View<const double> row,
                                       std::span<const double> bias = {}, const ConvOptions& options = {});
/// Its cost: conv_cost of the two steps, added.
LayerCost spatially_separable_conv_cost(const Extents& input, const Extents& column, const Extents& row,
                                        const ConvOptions& options = {});

}  // namespace fftconv::nn
