// Frequency-domain filters: low-pass, high-pass, the transfer functions, the log spectrum.
#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "fft_core.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/filters.hpp"
#include "fftconv/settings.hpp"
#include "fftw.hpp"
#include "frequency_gain.hpp"
#include "geometry.hpp"
#include "source.hpp"
#include "transform_size.hpp"
#include "values.hpp"

namespace fftconv {

namespace {

using detail::check_filter;
using detail::Gain;
using detail::nyquist_fraction;
using detail::squared_fractions;

// The row-major index of half-spectrum entry (r, c): FFTW squeezes unit dimensions, and an Nx1
// transform is a 1D transform along the rows, so its half spectrum runs down the rows.
struct HalfSpectrum {
    Shape shape;  // the transform's real shape
    std::ptrdiff_t rows() const { return shape.cols == 1 ? shape.rows / 2 + 1 : shape.rows; }
    std::ptrdiff_t cols() const { return shape.cols == 1 ? 1 : shape.cols / 2 + 1; }
};

// spectrum(r, c) *= scale · H over the half spectrum.
template <Real T>
void multiply_by_gain(std::complex<T>* spectrum, const HalfSpectrum& half, double cutoff, FilterShape shape, int order,
                      bool high, double scale) {
    const Gain gain(squared_fractions(half.cols(), half.shape.cols), cutoff, shape, order, high);
    const std::vector<double> u2 = squared_fractions(half.rows(), half.shape.rows);
    std::vector<T> row_gain(static_cast<std::size_t>(half.cols()));
    for (std::ptrdiff_t r = 0; r < half.rows(); ++r) {
        gain.row(u2[static_cast<std::size_t>(r)], scale, row_gain.data());
        std::complex<T>* row = spectrum + r * half.cols();
        for (std::size_t c = 0; c < row_gain.size(); ++c) row[c] *= row_gain[c];
    }
}

// The gains the FFT core multiplies each column of a half spectrum by: line h is column
// frequency h of a transform of shape s, its entries the row frequencies in FFTW's order.
template <Real T>
class ColumnGains final : public detail::SpectralGain<T> {
public:
    ColumnGains(Shape s, double cutoff, FilterShape shape, int order, bool high)
        : rows_(squared_fractions(s.rows, s.rows), cutoff, shape, order, high), cols_(s.cols) {}
    void multiply(std::ptrdiff_t line, T scale, std::complex<T>* spectrum, std::ptrdiff_t n) const override {
        (void)n;  // s.rows, the Gain's length
        rows_.multiply(std::pow(nyquist_fraction(line, cols_), 2), scale, spectrum);
    }

private:
    Gain rows_;
    std::ptrdiff_t cols_;
};

// The spatial kernel of H on a transform of shape s, laid out for filter2d with a wrap border:
// K(i, j) = h((a_r - i) mod rows, (a_c - j) mod cols), h = inverse DFT of H, a = the anchor (s/2).
template <Real T>
Image<T> spatial_kernel(Shape s, double cutoff, FilterShape shape, int order, bool high) {
    detail::RealFft<T> t(s, detail::Context::current());
    const HalfSpectrum half{s};
    std::fill_n(t.spectrum(), half.rows() * half.cols(), std::complex<T>(1));
    multiply_by_gain(t.spectrum(), half, cutoff, shape, order, high, 1.0 / static_cast<double>(s.size()));
    t.inverse();
    Image<T> k(s);
    const std::ptrdiff_t ar = s.rows / 2, ac = s.cols / 2;
    for (std::ptrdiff_t i = 0; i < s.rows; ++i)
        for (std::ptrdiff_t j = 0; j < s.cols; ++j)
            k(i, j) =
                t.real()[(((ar - i) % s.rows + s.rows) % s.rows) * s.cols + ((ac - j) % s.cols + s.cols) % s.cols];
    return k;
}

template <Real T>
Image<T> frequency_filter(const char* fn, ImageView<const T> image, double cutoff, FilterShape shape, int order,
                          Border border, Method method, bool high) {
    detail::check_image(fn, "image", image.data, image.shape());
    // Sizes before any pass over the image: the result, and the padding (n + 2·(n/2) per dimension).
    detail::check_result_memory(fn, image.shape(), element_type_v<T>, detail::MemoryBudget::current());
    if (border != Border::wrap)
        (void)detail::padded_shape(fn, image.shape(), image.rows / 2, image.rows / 2, image.cols / 2, image.cols / 2);
    const detail::ValueScan values = detail::scan_values(image);
    if (values.nonfinite)
        detail::require_finite(fn, "image", image, "a frequency-domain filter would spread them over the whole image");
    check_filter(fn, cutoff, shape, order);
    // Padded by at least half the image on each side (frequency_filter_padding); wrap: none.
    const PlannerEffort effort = detail::Context::current().effort;
    const std::ptrdiff_t pr = detail::frequency_filter_padding(image.rows, false, border, effort),
                         pc = detail::frequency_filter_padding(image.cols, true, border, effort);
    const Shape padded_shape{image.rows + pr, image.cols + pc};
    if (method == Method::automatic)
        method = choose_method({2 * padded_shape.rows - 1, 2 * padded_shape.cols - 1}, padded_shape, Mode::valid,
                               element_type_v<T>);
    if (method == Method::direct) {
        // The same circular convolution, summed directly: the reference for the FFT path.
        const Image<T> padded = extend_border(image, pr / 2, pr - pr / 2, pc / 2, pc - pc / 2, border);
        const Image<T> k = spatial_kernel<T>(padded.shape(), cutoff, shape, order, high);
        const Image<T> filtered = filter2d<T>(padded.view(), k.view(), Border::wrap, Method::direct);
        return Image<T>(filtered.view().subview(pr / 2, pc / 2, image.rows, image.cols));
    }
    // The FFT core's cyclic form at exactly the padded shape: the image (its border read in
    // place, never copied) transformed row by row and then in blocks of columns, each column's
    // spectrum multiplied by its gains while in cache, and only the rows and columns of the image
    // transformed back, straight into the result (see fft_core.hpp).
    const Extents transform{padded_shape.rows, padded_shape.cols};
    std::array<detail::Window, max_rank> window{};
    window[0] = {pr / 2, image.rows};
    window[1] = {pc / 2, image.cols};
    const detail::Geometry g = detail::window_geometry(transform, Extents{1, 1}, window);
    detail::FftCore<T> core(g, detail::Context::current());
    const detail::Source<T> source{View<const T>(image), Extents{-(pr / 2), -(pc / 2)}, transform, border, T(0)};
    Image<T> out(image.shape());
    core.apply_gain(source, View<T>(out.view()), detail::magnitude_exponent<T>(values.max_abs),
                    ColumnGains<T>(padded_shape, cutoff, shape, order, high));
    return out;
}

}  // namespace

template <Real T>
Image<T> lowpass(ImageView<const T> image, double cutoff, FilterShape shape, int order, Border border, Method method) {
    return frequency_filter("lowpass", image, cutoff, shape, order, border, method, false);
}

template <Real T>
Image<T> highpass(ImageView<const T> image, double cutoff, FilterShape shape, int order, Border border, Method method) {
    return frequency_filter("highpass", image, cutoff, shape, order, border, method, true);
}

template <Real T>
Image<T> transfer_function(Shape s, double cutoff, FilterShape shape, int order, bool high) {
    if (s.empty()) throw InvalidArgument("transfer_function: shape " + to_string(s) + " is empty");
    check_filter("transfer_function", cutoff, shape, order);
    detail::check_result_memory("transfer_function", s, element_type_v<T>, detail::MemoryBudget::current());
    // Display order: row r shows frequency index r - rows/2, column c index c - cols/2.
    const auto squares = [](std::ptrdiff_t n) {
        std::vector<double> out(static_cast<std::size_t>(n));
        for (std::ptrdiff_t i = 0; i < n; ++i)
            out[static_cast<std::size_t>(i)] =
                n < 2 ? 0.0 : std::pow(static_cast<double>(i - n / 2) / (static_cast<double>(n) / 2), 2);
        return out;
    };
    const Gain gain(squares(s.cols), cutoff, shape, order, high);
    const std::vector<double> u2 = squares(s.rows);
    Image<T> out(s);
    for (std::ptrdiff_t r = 0; r < s.rows; ++r) gain.row(u2[static_cast<std::size_t>(r)], 1.0, &out(r, 0));
    return out;
}

template <Real T>
Image<T> log_spectrum(ImageView<const T> image) {
    detail::check_image("log_spectrum", "image", image.data, image.shape());
    const Shape s = image.shape();
    // Transformed times 2^-e (see magnitude_exponent): |F| itself can pass the type's largest
    // value (a 256x256 float image of 1e34: 6.6e38 at zero frequency), its logarithm cannot.
    const int e = detail::magnitude_exponent<T>(detail::scan_values(image).max_abs);
    const T scale = std::ldexp(T(1), -e);
    detail::RealFft<T> t(s, detail::Context::current());
    for (std::ptrdiff_t r = 0; r < s.rows; ++r)
        for (std::ptrdiff_t c = 0; c < s.cols; ++c) t.real()[r * s.cols + c] = image(r, c) * scale;
    t.forward();
    // log(1 + m·2^e) for a scaled magnitude m, in double: log(m) + e·ln 2 where m·2^e overflows.
    const auto log1p_unscaled = [e](T m) {
        const double v = std::ldexp(static_cast<double>(m), e);
        return static_cast<T>(std::isfinite(v) ? std::log1p(v)
                                               : std::log(static_cast<double>(m)) + e * std::numbers::ln2);
    };
    const HalfSpectrum half{s};
    // |F(k1, k2)| for the whole grid: the half spectrum, and Hermitian symmetry for the rest.
    const auto magnitude = [&](std::ptrdiff_t k1, std::ptrdiff_t k2) {
        if (s.cols == 1) {
            const std::ptrdiff_t k = k1 < half.rows() ? k1 : s.rows - k1;
            return std::abs(t.spectrum()[k]);
        }
        if (k2 < half.cols()) return std::abs(t.spectrum()[k1 * half.cols() + k2]);
        return std::abs(t.spectrum()[((s.rows - k1) % s.rows) * half.cols() + (s.cols - k2)]);
    };
    Image<T> out(s);
    for (std::ptrdiff_t k1 = 0; k1 < s.rows; ++k1)
        for (std::ptrdiff_t k2 = 0; k2 < s.cols; ++k2)
            out((k1 + s.rows / 2) % s.rows, (k2 + s.cols / 2) % s.cols) = log1p_unscaled(magnitude(k1, k2));
    // Stretch min..max to 0..1, the max taken away from zero frequency: the mean's term is usually
    // far above everything else and would leave the rest of the picture black. It is clipped at 1.
    const std::ptrdiff_t centre = (s.rows / 2) * s.cols + s.cols / 2;
    T lo = out.values()[0], hi = out.size() > 1 ? T(0) : out.values()[0];
    for (std::ptrdiff_t i = 0; i < out.size(); ++i) {
        lo = std::min(lo, out.values()[i]);
        if (i != centre) hi = std::max(hi, out.values()[i]);
    }
    for (T& v : out.values()) v = hi > lo ? std::min(T(1), (v - lo) / (hi - lo)) : T(0);
    return out;
}

#define INSTANTIATE(T)                                                                           \
    template Image<T> lowpass<T>(ImageView<const T>, double, FilterShape, int, Border, Method);  \
    template Image<T> highpass<T>(ImageView<const T>, double, FilterShape, int, Border, Method); \
    template Image<T> transfer_function<T>(Shape, double, FilterShape, int, bool);               \
    template Image<T> log_spectrum<T>(ImageView<const T>);
INSTANTIATE(float)
INSTANTIATE(double)

}  // namespace fftconv
