// StreamConvolver<T>: convolution of an unbounded input, block by block, with fixed responses
// (audio reverb, sensor pipelines): uniformly partitioned overlap-save with a frequency-domain
// delay line, in bounded memory whatever the input's length.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// Convolution of a stream with fixed impulse responses, N inputs × M outputs (mono: 1 × 1; stereo
/// through two responses: 2 × 2 with zeros off the diagonal; "true stereo": 2 × 2), one plan:
///     out_o(n) = Σ_i (x_i ⊛ h_io)(n − latency())
/// `process` takes blocks of any length from 1 up and returns as many samples per output as it
/// was given; its outputs, in order, followed by `flush()`'s, are latency() zeros and then exactly
/// convolve(x_i, h_io, Mode::full) summed over the inputs, up to rounding (the FFT's: within
/// fft_error_bound of the offline call).
///
/// How: the response is cut into partitions of P samples (Options::partition, or the one the
/// cost model finds cheapest per sample); each partition's 2P-point spectrum is made once. Every
/// P input samples, the last 2P are transformed into a ring of spectra (the frequency-domain
/// delay line), the ring is multiplied with the partitions' spectra and summed, and one inverse
/// transform gives the next P outputs. Without Options::zero_latency that is latency() = P
/// samples; with it, the response's first P taps run as a direct sum on each sample as it
/// arrives and the partitions cover the rest, so latency() = 0 (at P multiply-adds more per
/// sample and output). Options::max_partition makes later partitions larger (non-uniform), for
/// long responses at small P. Memory: the partitions' spectra and the rings, about
/// (inputs · outputs + inputs) · response length · 2 values, however long the stream.
///
/// T is float or double. One object is one stream and is not safe to use from two threads at
/// once; it runs on the caller's thread (set_threads does not apply). Movable, not copyable.
///
///     fftconv::StreamConvolver<float> reverb(impulse_response);       // mono, latency P
///     for (auto& block : audio) reverb.process(block, out_block);     // any block length
///     std::vector<float> tail = reverb.flush();                       // the response's ring-out
template <Real T>
class StreamConvolver {
public:
    struct Options {
        /// Samples per partition (the transform is twice as long); 0: the cheapest per sample by
        /// the cost model for this response (a power of two from 16 to 65,536). Any count from 1.
        std::size_t partition = 0;
        /// Above `partition`: non-uniform partitions for long responses. After the first three
        /// partitions (or two and the direct head) come three of 4x the size, then three of 16x,
        /// …, up to this size, whose stage takes the rest of the response. Each transform then
        /// covers many samples (a 5 s response at 44.1 kHz in blocks of 128: see
        /// docs/benchmarks.md); the larger stages' work falls on the blocks where their
        /// partitions end. 0 (or `partition` or less): uniform partitions.
        std::size_t max_partition = 0;
        /// Latency 0: the first partition as a direct sum, sample by sample.
        bool zero_latency = false;
        /// FFTW planner effort for the two transforms (made once).
        PlannerEffort effort = PlannerEffort::estimate;
    };

    /// One input, one output.  @throws InvalidArgument  an empty response, or a non-finite tap;
    /// OutOfMemory  spectra past memory_limit().
    explicit StreamConvolver(std::span<const T> response, Options options = {});
    /// `responses` shaped {inputs, outputs, taps}: responses(i, o, ·) is the response from input i
    /// to output o (all of one length; pad shorter ones with zeros).
    explicit StreamConvolver(View<const T> responses, Options options = {});

    StreamConvolver(StreamConvolver&&) noexcept;
    StreamConvolver& operator=(StreamConvolver&&) noexcept;
    StreamConvolver(const StreamConvolver&) = delete;
    StreamConvolver& operator=(const StreamConvolver&) = delete;
    ~StreamConvolver();

    /// The next in.size() samples of the one input into `out` (as many; not overlapping `in`).
    /// @throws InvalidArgument  sizes that differ, or a convolver with several inputs or outputs.
    void process(std::span<const T> in, std::span<T> out);
    /// Several channels: `in` shaped {inputs, frames}, `out` {outputs, frames} (any strides).
    /// @throws InvalidArgument  other shapes, or out overlapping in.
    void process(View<const T> in, View<T> out);

    /// Ends the stream: the latency() + taps − 1 samples per output still owed (the convolution's
    /// tail), then starts a new stream (as reset()).
    [[nodiscard]] std::vector<T> flush();
    /// The same for several outputs: shaped {outputs, latency() + taps − 1}.
    [[nodiscard]] Array<T> flush_channels();
    /// Forgets the stream so far (the next sample is the first of a new stream).
    void reset();

    std::size_t latency() const;
    std::size_t partition() const;
    std::size_t taps() const;
    int inputs() const;
    int outputs() const;
    /// Samples taken by process since the start or the last flush or reset.
    std::size_t samples() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fftconv
