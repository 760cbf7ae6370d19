// What a Convolver holds and what a one-shot call builds and runs once, so that the two can
// never disagree: a strategy, the kernel, and the direct core or the FFT core (whole, or tiles)
// with the kernel's spectra, applied slice by slice along the batch axes.
#pragma once

#include <memory>
#include <optional>

#include "fftconv/array.hpp"
#include "fftconv/types.hpp"
#include "source.hpp"
#include "strategy.hpp"

namespace fftconv::detail {

// A same-size filter's input: the array extended by `before` elements along each axis (after:
// the kernel's extent minus 1 minus before) with values from `border`, read as it is loaded
// (never a padded copy on the FFT path).
template <Scalar T>
struct Extension {
    Border border = Border::constant;
    T cval{};
    Extents before;  // per axis of the call's geometry
};

template <Scalar T>
struct EngineOptions {
    // Inputs holding NaN or Inf run the direct sum (Method::automatic's rule); otherwise the FFT
    // path runs around them.
    bool automatic = false;
    // Real T: outputs below 0 set to 0 when the input has no negative value (only for a kernel
    // without negative values).
    bool clamp = false;
    // A kernel value of 0 adds nothing, not 0 · NaN (the filters' rule; see direct_convolve).
    bool skip_zero_taps = false;
    std::optional<Extension<T>> extension;
    // The caller keeps the kernel alive and unchanged while the engine lives (a one-shot call):
    // it is read in place, not copied.
    bool borrow_kernel = false;
};

template <Scalar T>
class Engine {
public:
    // `kernel` has the kernel operand's full shape (g.b, or g.a when the strategy swapped the
    // roles) and is read here only: the direct path keeps a copy, the FFT path its spectra. Every
    // apply runs with `context` (its threads, effort and memory budget).
    Engine(const Strategy& strategy, View<const T> kernel, const Context& context,
           const EngineOptions<T>& options = {});
    Engine(Engine&&) noexcept;
    Engine& operator=(Engine&&) noexcept;
    ~Engine();

    const Strategy& strategy() const;

    // out = the strategy's window of input ⊛ kernel, slice by slice; input has the input
    // operand's full shape, out g.out; no overlap (checked by the callers).
    void apply(const View<const T>& input, const View<T>& out);

private:
    // The FFT core or its tiles, holding the kernel's spectra (fft_core.hpp and tiles.hpp stay
    // out of this header).
    struct Fft;

    Source<T> source(const View<const T>& x) const;
    void direct(const View<const T>& x, const View<const T>& k, const View<T>& out, const Geometry& g) const;
    void transform(const Source<T>& src, const View<T>& out, int exponent, std::size_t k);
    void around_nonfinite(const View<const T>& x, const View<const T>& kernel, std::size_t k, const View<T>& out);
    void run(const View<const T>& x, const View<const T>& kernel, std::size_t k, const View<T>& out);

    // Held by value, so that a one-shot direct call allocates nothing here (a heap block this
    // size cost about a third of a small call's time).
    Strategy s_;
    Context context_;
    EngineOptions<T> options_;
    Extents before_;             // the extension's, along the core axes
    bool kernel_finite_ = true;  // the FFT path: the kernel holds no NaN or Inf (not read by the direct path)
    Array<T> owned_;             // the kernel's copy, unless borrowed
    View<const T> kernel_;       // the kernel operand: owned_'s view or the caller's
    std::unique_ptr<Fft> fft_;
};

// correlate(a, b) == convolve(a, conj(reverse(b))): b reversed along the convolved axes (a view
// with negated strides for real T; complex T gets a conjugated copy, kept in `storage`).
template <Scalar T>
View<const T> correlation_kernel(const View<const T>& b, const Geometry& g, Array<T>& storage);

}  // namespace fftconv::detail
