// A layer's sizes, checked once: what conv, conv_transpose and the pools read after their
// arguments were found valid (nn.hpp). One place says what PyTorch refuses.
#pragma once

#include <array>
#include <cstddef>

#include "fftconv/array.hpp"
#include "fftconv/nn.hpp"

namespace fftconv::detail {

struct LayerGeometry {
    using Sizes = std::array<std::ptrdiff_t, nn::max_spatial_rank>;
    const char* fn = "conv";  // conv1d, conv2d, ... for messages
    int rank = 0;             // spatial axes: 1, 2 or 3
    bool batched = true;      // the input had its N axis (the result keeps the same form)
    std::ptrdiff_t batch = 1, channels = 0, outputs = 0, groups = 1;
    Sizes in{}, kernel{}, stride{}, dilation{}, before{}, after{}, out{};
    nn::PaddingMode mode = nn::PaddingMode::zeros;

    std::ptrdiff_t in_per_group() const { return channels / groups; }
    std::ptrdiff_t out_per_group() const { return outputs / groups; }
    // Product of the spatial sizes.
    static std::ptrdiff_t volume(const Sizes& s, int rank);
    // The padded input's size along `axis`.
    std::ptrdiff_t padded(int axis) const { return in[axis] + before[axis] + after[axis]; }
    // N x O x out... (O x out... unbatched).
    Extents output_shape() const;
};

// The checked geometry of conv(input, weight, bias of `bias_size` values (0: none)).
// @throws InvalidArgument  every refusal nn::conv documents, naming the values.
LayerGeometry conv_geometry(const Extents& input, const Extents& weight, const nn::ConvOptions& options,
                            std::size_t bias_size);

// The same for conv_transpose: `in` the input's, `kernel` the weight's, `out` the result's sizes,
// `before` the padding and `after` the output_padding; `outputs` is O.
LayerGeometry transpose_geometry(const Extents& input, const Extents& weight, const nn::ConvTransposeOptions& options,
                                 std::size_t bias_size);

// The same for a pool over the last `spatial_rank` axes (channels: the product of the axes before
// them past the batch; outputs == channels). `max`: max_pool (dilation allowed), else avg_pool.
LayerGeometry pool_geometry(const Extents& input, int spatial_rank, const nn::PoolOptions& options, bool max);

}  // namespace fftconv::detail
