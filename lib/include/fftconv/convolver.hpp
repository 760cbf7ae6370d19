// Convolver<T>: plan once for a kernel and an input shape, of any rank, then apply to many inputs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

/// A convolution (or correlation) with a fixed kernel, input shape and mode, ready to apply to
/// many inputs. Construction does all the one-time work: it validates the shapes, picks the
/// method, gets the FFT plans (planning at the requested effort) and transforms the kernel with
/// the 1/N inverse-FFT scaling folded in; `apply` then costs one forward and one inverse FFT, or
/// the direct sum.  `apply(x)` equals convolve(x, kernel, mode, method()) — or correlate(...) when
/// Options::correlate is set — up to rounding.
///
/// Movable, not copyable. One object is not safe to apply from two threads at once (it owns its
/// work buffers); build one per thread instead: the FFT plans are shared between them. It runs
/// with the settings (threads, memory limit) in force when it was built; set_threads and
/// set_memory_limit afterwards change the Convolvers built afterwards.
///
///     fftconv::Convolver<float> blur({480, 640}, kernel, fftconv::Mode::same);
///     for (auto& frame : frames) blur.apply(frame, out.view());   // no planning, no kernel FFT
/// T is float, double, std::complex<float> or std::complex<double>; another T is a compile-time
/// error saying so in one line (the template is unconstrained for that: a failed constraint
/// printed 22 lines).
template <class T>
class Convolver {
    static_assert(detail::is_scalar_v<T>,
                  "fftconv::Convolver<T> takes T = float, double, std::complex<float> or std::complex<double>; "
                  "convert the kernel and inputs first, e.g. std::vector<double>(v.begin(), v.end())");

public:
    struct Options {
        /// Method::automatic picks by the cost model, counting the kernel transform as paid.
        Method method = Method::automatic;
        /// FFTW planner effort; measure or patient pay off only when apply runs many times.
        PlannerEffort effort = PlannerEffort::estimate;
        /// Apply correlate(x, kernel) instead of convolve(x, kernel).
        bool correlate = false;
        /// Real T: when neither the kernel nor an input holds a negative value, outputs below 0 are
        /// set to 0. The exact result then has none; FFT round-off leaves values like -1e-17 where
        /// it is 0 (a known complaint against every FFT convolution). Costs one pass over each
        /// input. Complex T: ignored.
        bool clamp_nonnegative = false;
        /// With Method::automatic: the largest error accepted, as a fraction of
        /// max|input| · max|kernel| · K (see fft_error_bound). When the FFT's bound exceeds it, the
        /// direct sum runs, whatever its cost. 0: any method's accuracy is accepted.
        double tolerance = 0;
        /// The axes convolved along (every axis by default); the others are broadcast, as in
        /// convolve(View, View, ..., axes).
        Axes axes = {};
        /// Set: a same-size filter with this border, as filter_convolve (or filter, with
        /// `correlate`) computes it — scipy.ndimage's anchors and zero-tap rule, values outside
        /// the input from the border (Border::constant: cval). Needs Mode::same and every axis.
        std::optional<Border> border = std::nullopt;
        T cval = T(0);
    };

    /// @throws Error  empty kernel or input shape, or shapes that `mode` refuses (see Mode).
    Convolver(Shape input_shape, ImageView<const T> kernel, Mode mode = Mode::full, Options options = {});
    Convolver(Shape input_shape, ImageView<const T> kernel, Mode mode, Method method)
        : Convolver(input_shape, kernel, mode, Options{.method = method}) {}
    /// 1D: inputs of `input_length` samples.
    Convolver(std::size_t input_length, std::span<const T> kernel, Mode mode = Mode::full, Options options = {});
    /// Any rank: inputs of `input_shape` (the kernel's rank), convolved along options.axes.
    Convolver(const Extents& input_shape, View<const T> kernel, Mode mode = Mode::full, Options options = {});

    Convolver(Convolver&&) noexcept;
    Convolver& operator=(Convolver&&) noexcept;
    Convolver(const Convolver&) = delete;
    Convolver& operator=(const Convolver&) = delete;
    ~Convolver();

    /// 2D shapes (for a Convolver built on images or 1D signals: {1, n}).
    Shape input_shape() const;
    Shape kernel_shape() const;
    Shape output_shape() const;
    /// The shapes at any rank.
    Extents input_extents() const;
    Extents kernel_extents() const;
    Extents output_extents() const;
    Mode mode() const;
    /// direct or fft: what `apply` runs (never automatic).
    Method method() const;

    /// @throws Error  when input's shape is not input_shape().
    [[nodiscard]] Image<T> apply(ImageView<const T> input);
    /// Writes into `out`, which must have output_shape() and must not overlap `input`.
    /// @throws Error  wrong shapes or overlapping memory.
    void apply(ImageView<const T> input, ImageView<T> out);
    [[nodiscard]] std::vector<T> apply(std::span<const T> input);
    void apply(std::span<const T> input, std::span<T> out);
    [[nodiscard]] Array<T> apply(View<const T> input);
    void apply(View<const T> input, View<T> out);

private:
    Convolver(const Extents& input_shape, View<const T> kernel, Mode mode, Options options, int form);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fftconv
