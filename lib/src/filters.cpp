#include "fftconv/filters.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "border.hpp"
#include "cost_model.hpp"
#include "engine.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "instantiate.hpp"
#include "separable.hpp"
#include "strategy.hpp"
#include "values.hpp"

namespace fftconv {

namespace {

using detail::check_border;

template <class T>
void check_image(const char* fn, const char* arg, ImageView<const T> v) {
    detail::check_image(fn, arg, v.data, v.shape());
}

// An `out` argument: the image's shape, and memory of its own.
template <class T>
void check_out(const char* fn, ImageView<const T> image, ImageView<T> out) {
    detail::check_image(fn, "out", out.data, out.shape());
    if (out.shape() != image.shape())
        throw InvalidArgument(std::string(fn) + ": argument 'out' is " + to_string(out.shape()) + ", the image is " +
                              to_string(image.shape()));
    if (detail::views_overlap(image, ImageView<const T>(out)))
        throw InvalidArgument(std::string(fn) +
                              ": argument 'out' shares memory with 'image'; the result needs its own");
}

// The estimated seconds of a valid convolution of `padded` with `kernel` by `method` (direct or
// fft), with the call's context (estimate_seconds reads the settings again).
double valid_seconds(const Extents& padded, const Extents& kernel, ElementType type, Method method,
                     const detail::Context& context) {
    const detail::Geometry g = detail::make_geometry({"filter", "image", "kernel", false}, padded, kernel, Mode::valid);
    return detail::estimate(g, type, method, {method, context, true, 0, false, false});
}

// The filters' general path, any rank: out(i) = Σ_j v[j] · ext(i + j − before) over the
// kernel's taps that are not 0, ext the image extended by `border` (constant: cval) — a valid
// convolution of that extension with `h` (v reversed), which the engine reads while loading
// (the FFT path) or copies once (the direct path), by the strategy's method. Skipping zero taps
// matters only for NaN and ±Inf (0 · NaN is NaN): they reach exactly the outputs a nonzero tap
// carries them to, as in cv::filter2D, scipy.ndimage and the separable passes. `clamp`: real T,
// outputs below 0 set to 0 when the image has no negative value (a non-negative kernel's rule).
template <Scalar T>
void filter_general(const char* fn, const View<const T>& image, const View<T>& out, const View<const T>& h,
                    const Extents& before, Border border, T cval, Method method, bool clamp,
                    const detail::Context& context) {
    const detail::Names names{fn, "image", "kernel", false};
    Extents after = before;
    for (int a = 0; a < image.rank(); ++a) after[a] = h.shape[a] - 1 - before[a];
    const Extents padded = detail::padded_extents(fn, image.shape, before, after);
    const detail::Geometry g = detail::make_geometry(names, padded, h.shape, Mode::valid);
    detail::StrategyOptions o;
    o.method = method;
    o.context = context;
    o.output = false;
    const detail::Strategy s = detail::make_strategy(names, g, element_type_v<T>, o);
    detail::EngineOptions<T> e;
    e.automatic = method == Method::automatic;
    e.clamp = clamp;
    e.skip_zero_taps = true;
    e.extension = detail::Extension<T>{border, cval, before};
    e.borrow_kernel = !detail::views_overlap(h, View<const T>(out));  // h is read while out is written
    detail::Engine<T> engine(s, h, context, e);
    engine.apply(image, out);
}

// Seconds for the separable direct path at any rank: one multiply-add per nonzero tap per
// element and pass.
template <Real T>
double separable_seconds(const Extents& image, const std::vector<std::vector<T>>& factors) {
    double taps = 0;
    for (const auto& k : factors)
        taps += static_cast<double>(std::count_if(k.begin(), k.end(), [](T v) { return v != T(0); }));
    return detail::cost_constants(element_type_v<T>).mac * static_cast<double>(image.size()) * taps;
}

// The estimated seconds of the general path's FFT for a filter of `kernel` over `image`.
template <Scalar T>
double filter_fft_seconds(const Extents& image, const Extents& kernel, const detail::Context& context) {
    Extents padded = image;
    for (int a = 0; a < image.rank(); ++a) padded[a] = image[a] + kernel[a] - 1;
    return valid_seconds(padded, kernel, element_type_v<T>, Method::fft, context);
}

// An `out` argument of any rank: the image's shape, and memory of its own.
template <class T>
void check_out_nd(const char* fn, const View<const T>& image, const View<T>& out) {
    detail::check_array(fn, "out", out.data, out.shape);
    if (out.shape != image.shape)
        throw InvalidArgument(std::string(fn) + ": argument 'out' is " + to_string(out.shape) + ", the image is " +
                              to_string(image.shape));
    if (detail::views_overlap(image, View<const T>(out)))
        throw InvalidArgument(std::string(fn) +
                              ": argument 'out' shares memory with 'image'; the result needs its own");
}

// The separable direct path: for an image (rank 2) the 2D passes tuned for it (a row buffer in
// L1, symmetric kernels folded), which take a zero constant; otherwise one pass per axis.
template <Real T>
void run_separable(const View<const T>& image, const std::vector<std::vector<T>>& f, const Extents& before,
                   Border border, T cval, const View<T>& out, int threads) {
    if (image.rank() == 2 && (border != Border::constant || cval == T(0))) {
        detail::separable_correlate(image.image(), std::span<const T>(f[1]), std::span<const T>(f[0]), -before[0],
                                    -before[1], border, out.image(), threads);
        return;
    }
    detail::separable_filter(image, f, before, border, cval, out, threads);
}

// scipy.ndimage.correlate (`correlate`) or convolve, any rank, into out: a separable real kernel
// by passes along each axis when that is cheaper, else the general path.
template <Scalar T>
void ndimage_filter(const char* fn, const View<const T>& image, const View<T>& out, const View<const T>& kernel,
                    Border border, T cval, Method method, bool correlate) {
    const detail::Context context = detail::Context::current();
    detail::check_array(fn, "image", image.data, image.shape);
    detail::check_array(fn, "kernel", kernel.data, kernel.shape);
    if (kernel.rank() != image.rank())
        throw InvalidArgument(std::string(fn) + ": the kernel (" + to_string(kernel.shape) + ") and the image (" +
                              to_string(image.shape) +
                              ") have different ranks; give the kernel an axis of 1 where "
                              "it has none");
    check_border(fn, border);
    check_out_nd(fn, image, out);
    if (method != Method::automatic && method != Method::direct && method != Method::fft)
        throw InvalidArgument(std::string(fn) + ": method " + std::to_string(static_cast<int>(method)) +
                              " is not one of automatic, direct, fft");
    // ndimage's centre: correlate anchors the kernel at size // 2; convolve reverses it, which
    // puts the anchor of an even size one lower, at (size - 1) // 2. Correlation conjugates a
    // complex kernel (ndimage.correlate does; convolve does not).
    Extents before = kernel.shape;
    for (int a = 0; a < kernel.rank(); ++a) before[a] = correlate ? kernel.shape[a] / 2 : (kernel.shape[a] - 1) / 2;
    if constexpr (!is_complex_v<T>) {
        if (method != Method::fft) {
            const double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-12;
            // The passes correlate: a convolution's factors are reversed.
            const View<const T> v = correlate ? kernel : kernel.flipped();
            if (auto f = detail::separable_factors(v, tolerance)) {
                const bool finite = !detail::has_nonfinite(kernel);
                if (finite &&
                    (method == Method::direct ||
                     separable_seconds(image.shape, *f) <= filter_fft_seconds<T>(image.shape, kernel.shape, context))) {
                    run_separable(image, *f, before, border, cval, out, context.threads);
                    return;
                }
            }
        }
    }
    Array<T> storage;
    const detail::Geometry whole =
        detail::make_geometry({fn, "image", "kernel", false}, kernel.shape, kernel.shape, Mode::full);
    const View<const T> h = correlate ? detail::correlation_kernel(kernel, whole, storage) : kernel;
    bool clamp = false;
    if constexpr (!is_complex_v<T>) clamp = detail::nonnegative(kernel) && !(cval < T(0));
    filter_general(fn, image, out, h, before, border, cval, method, clamp, context);
}

// The separable factors the direct path would run for `kernel` (none: the general path). A
// convolution's factors are the flipped kernel's; the cost is the same either way.
template <Scalar T>
std::optional<std::vector<std::vector<T>>> direct_factors(const View<const T>& kernel) {
    if constexpr (is_complex_v<T>) {
        return std::nullopt;
    } else {
        if (detail::has_nonfinite(kernel)) return std::nullopt;
        return detail::separable_factors(kernel, std::is_same_v<T, float> ? 1e-6 : 1e-12);
    }
}

template <Scalar T>
Extents filter_padded(const char* fn, const Extents& a, const View<const T>& kernel) {
    detail::check_array(fn, "kernel", kernel.data, kernel.shape);
    if (a.rank() == 0 || a.size() == 0)
        throw InvalidArgument(std::string(fn) + ": argument 'a' is empty (" + to_string(a) + ")");
    if (kernel.rank() != a.rank())
        throw InvalidArgument(std::string(fn) + ": the kernel (" + to_string(kernel.shape) + ") and the array (" +
                              to_string(a) + ") have different ranks");
    Extents padded = a;
    for (int ax = 0; ax < a.rank(); ++ax) padded[ax] = a[ax] + kernel.shape[ax] - 1;
    return padded;
}

// Whether ky[i] · kx[j] is 0 exactly where kernel(i, j) is: the separable passes drop the zero
// factors' taps, so NaN and Inf reach the same outputs as through the 2D kernel only then (a
// kernel rank-1 within the tolerance may hold a tiny tap its factors make 0).
template <Real T>
bool same_zero_taps(ImageView<const T> kernel, std::span<const T> kx, std::span<const T> ky) {
    for (std::ptrdiff_t i = 0; i < kernel.rows; ++i)
        for (std::ptrdiff_t j = 0; j < kernel.cols; ++j)
            if ((kernel(i, j) == T(0)) !=
                (ky[static_cast<std::size_t>(i)] == T(0) || kx[static_cast<std::size_t>(j)] == T(0)))
                return false;
    return true;
}

// Seconds for the separable direct path: one multiply-add per non-zero tap per pixel and pass.
template <Real T>
double separable_seconds(Shape image, std::span<const T> kx, std::span<const T> ky) {
    const auto nonzero = [](std::span<const T> k) {
        return static_cast<double>(std::count_if(k.begin(), k.end(), [](T v) { return v != T(0); }));
    };
    return detail::cost_constants(element_type_v<T>).mac * static_cast<double>(image.size()) *
           (nonzero(kx) + nonzero(ky));
}

// The derivative-and-smoothing kernel of getDerivKernels: the binomial smoothing of length
// n - order (coefficients of (1 + z)^(n-1-order)) convolved `order` times with the difference [-1, 1].
std::vector<double> deriv_kernel(int order, int n) {
    std::vector<double> k{1.0};
    const auto times = [&k](double a, double b, int count) {
        for (int i = 0; i < count; ++i) {
            std::vector<double> next(k.size() + 1, 0.0);
            for (std::size_t j = 0; j < k.size(); ++j) {
                next[j] += a * k[j];
                next[j + 1] += b * k[j];
            }
            k = std::move(next);
        }
    };
    times(1, 1, n - 1 - order);
    times(-1, 1, order);
    return k;
}

}  // namespace

template <Real T>
Image<T> extend_border(ImageView<const T> image, std::ptrdiff_t top, std::ptrdiff_t bottom, std::ptrdiff_t left,
                       std::ptrdiff_t right, Border border) {
    check_image("extend_border", "image", image);
    check_border("extend_border", border);
    if (top < 0 || bottom < 0 || left < 0 || right < 0)
        throw InvalidArgument("extend_border: widths must not be negative, got top " + std::to_string(top) +
                              ", bottom " + std::to_string(bottom) + ", left " + std::to_string(left) + ", right " +
                              std::to_string(right));
    Image<T> out(detail::padded_shape("extend_border", image.shape(), top, bottom, left, right));
    std::vector<std::ptrdiff_t> col_from(static_cast<std::size_t>(out.cols()));
    for (std::ptrdiff_t c = 0; c < out.cols(); ++c)
        col_from[static_cast<std::size_t>(c)] = detail::border_index(c - left, image.cols, border);
    for (std::ptrdiff_t r = 0; r < out.rows(); ++r) {
        const std::ptrdiff_t sr = detail::border_index(r - top, image.rows, border);
        if (sr < 0) continue;  // constant: the zeros Image starts with
        T* dst = &out(r, 0);
        for (std::ptrdiff_t c = 0; c < out.cols(); ++c) {
            const std::ptrdiff_t sc = col_from[static_cast<std::size_t>(c)];
            if (sc >= 0) dst[c] = image(sr, sc);
        }
    }
    return out;
}

template <Real T>
void filter2d(ImageView<const T> image, ImageView<T> out, ImageView<const T> kernel, Border border, Method method) {
    check_image("filter2d", "image", image);
    check_image("filter2d", "kernel", kernel);
    check_border("filter2d", border);
    check_out("filter2d", image, out);
    const detail::Context context = detail::Context::current();
    // Anchor at (rows/2, cols/2): for an even kernel it sits right of centre, as in OpenCV.
    const std::ptrdiff_t ar = kernel.rows / 2, ac = kernel.cols / 2;
    // A rank-1 kernel runs as two 1D passes (Sobel, box, Gaussian, any outer product), unless
    // the caller asked for the FFT or one 2D FFT product is cheaper still.
    if (method != Method::fft && kernel.rows > 1 && kernel.cols > 1) {
        const double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-12;
        const auto f = detail::rank_one(kernel, tolerance);
        if (f && same_zero_taps(kernel, std::span<const T>(f->kx), std::span<const T>(f->ky))) {
            const std::span<const T> kx(f->kx), ky(f->ky);
            const Shape padded =
                detail::padded_shape("filter2d", image.shape(), ar, kernel.rows - 1 - ar, ac, kernel.cols - 1 - ac);
            if (method == Method::direct ||
                separable_seconds(image.shape(), kx, ky) <=
                    valid_seconds(padded, kernel.shape(), element_type_v<T>, Method::fft, context)) {
                detail::separable_correlate(image, kx, ky, -ar, -ac, border, out, context.threads);
                return;
            }
            method = Method::fft;
        }
    }
    // Non-negative data through a non-negative kernel (blur, box, any average) stays >= 0.
    filter_general<T>("filter2d", View<const T>(image), View<T>(out), View<const T>(kernel).flipped(), Extents{ar, ac},
                      border, T(0), method, detail::nonnegative(kernel), context);
}

template <Real T>
Image<T> filter2d(ImageView<const T> image, ImageView<const T> kernel, Border border, Method method) {
    Image<T> out(image.shape());
    filter2d(image, out.view(), kernel, border, method);
    return out;
}

template <Real T>
void sep_filter2d(ImageView<const T> image, ImageView<T> out, std::span<const T> kx, std::span<const T> ky,
                  Border border, Method method) {
    check_image("sep_filter2d", "image", image);
    check_border("sep_filter2d", border);
    check_out("sep_filter2d", image, out);
    const detail::Context context = detail::Context::current();
    if (kx.empty() || ky.empty())
        throw InvalidArgument("sep_filter2d: argument '" + std::string(kx.empty() ? "kx" : "ky") +
                              "' is empty (length 0)");
    const auto kr = static_cast<std::ptrdiff_t>(ky.size()), kc = static_cast<std::ptrdiff_t>(kx.size());
    const Shape padded_shape =
        detail::padded_shape("sep_filter2d", image.shape(), kr / 2, kr - 1 - kr / 2, kc / 2, kc - 1 - kc / 2);
    // A NaN or Inf tap multiplies the border's values too, which the separable passes do not read
    // (a constant border's zeros): the 2D path, on the extended image, gives it every output.
    const bool finite_kernel =
        !detail::has_nonfinite(ImageView<const T>(kx)) && !detail::has_nonfinite(ImageView<const T>(ky));
    if (method == Method::automatic) {
        // Two 1D direct passes against one 2D FFT product, whichever the cost model prefers.
        const double fft = valid_seconds(padded_shape, {kr, kc}, element_type_v<T>, Method::fft, context);
        method = separable_seconds(image.shape(), kx, ky) <= fft ? Method::direct : Method::fft;
    }
    if (method == Method::direct && finite_kernel) {
        detail::separable_correlate(image, kx, ky, -(kr / 2), -(kc / 2), border, out, context.threads);
        return;
    }
    Image<T> k2(kr, kc);
    // A zero factor makes a zero tap, also against a NaN or Inf in the other factor.
    for (std::ptrdiff_t i = 0; i < kr; ++i)
        for (std::ptrdiff_t j = 0; j < kc; ++j) {
            const T y = ky[static_cast<std::size_t>(i)], x = kx[static_cast<std::size_t>(j)];
            k2(i, j) = y == T(0) || x == T(0) ? T(0) : y * x;
        }
    // Non-negative data through a non-negative kernel (gaussian_blur, box) stays >= 0.
    filter_general<T>("sep_filter2d", View<const T>(image), View<T>(out), View<const T>(k2.view()).flipped(),
                      Extents{kr / 2, kc / 2}, border, T(0), method, detail::nonnegative(ImageView<const T>(k2.view())),
                      context);
}

template <Real T>
Image<T> sep_filter2d(ImageView<const T> image, std::span<const T> kx, std::span<const T> ky, Border border,
                      Method method) {
    Image<T> out(image.shape());
    sep_filter2d(image, out.view(), kx, ky, border, method);
    return out;
}

template <Real T>
std::vector<T> gaussian_kernel(double sigma, double truncate) {
    if (!(sigma > 0) || !(truncate > 0) || !std::isfinite(sigma * truncate))
        throw InvalidArgument("gaussian_kernel: sigma and truncate must be positive and finite, got sigma " +
                              std::to_string(sigma) + ", truncate " + std::to_string(truncate));
    const double r = std::floor(truncate * sigma + 0.5);  // int(truncate·σ + 0.5), as scipy
    if (r > (1 << 20))
        throw InvalidArgument("gaussian_kernel: radius " + std::to_string(r) + " (sigma " + std::to_string(sigma) +
                              ") is beyond 2^20");
    const auto radius = static_cast<std::ptrdiff_t>(r);
    std::vector<double> w(static_cast<std::size_t>(2 * radius + 1));
    double sum = 0;
    // (x/σ)², not x²/σ²: σ² underflows to 0 for σ below ~1e-162, and the centre tap became 0/0.
    for (std::ptrdiff_t x = -radius; x <= radius; ++x) {
        const double u = static_cast<double>(x) / sigma;
        sum += w[static_cast<std::size_t>(x + radius)] = std::exp(-0.5 * u * u);
    }
    std::vector<T> out(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) out[i] = static_cast<T>(w[i] / sum);
    return out;
}

template <Real T>
void gaussian_blur(ImageView<const T> image, ImageView<T> out, double sigma, Border border, Method method,
                   double truncate) {
    const std::vector<T> g = gaussian_kernel<T>(sigma, truncate);
    sep_filter2d<T>(image, out, g, g, border, method);
}

template <Real T>
Image<T> gaussian_blur(ImageView<const T> image, double sigma, Border border, Method method, double truncate) {
    Image<T> out(image.shape());
    gaussian_blur(image, out.view(), sigma, border, method, truncate);
    return out;
}

SobelKernels sobel_kernels(int dx, int dy, int ksize) {
    const std::string args =
        " (dx " + std::to_string(dx) + ", dy " + std::to_string(dy) + ", ksize " + std::to_string(ksize) + ")";
    if (dx < 0 || dy < 0 || dx + dy == 0)
        throw InvalidArgument("sobel: dx and dy must not be negative and not both 0" + args);
    if (ksize == -1) {  // Scharr: smoothing [3 10 3], difference [-1 0 1]
        if (dx + dy != 1) throw InvalidArgument("sobel: the Scharr operator (ksize -1) takes dx + dy == 1" + args);
        const std::vector<double> smooth{3, 10, 3}, diff{-1, 0, 1};
        return {dx ? diff : smooth, dy ? diff : smooth};
    }
    if (ksize < 1 || ksize > 31 || ksize % 2 == 0)
        throw InvalidArgument("sobel: ksize must be -1 or odd from 1 to 31" + args);
    // ksize 1: no smoothing, and a 3-tap difference on the differentiated axis.
    const int nx = ksize == 1 && dx > 0 ? 3 : ksize, ny = ksize == 1 && dy > 0 ? 3 : ksize;
    if (dx >= nx || dy >= ny)
        throw InvalidArgument("sobel: each derivative order must be below the kernel size" + args);
    return {deriv_kernel(dx, nx), deriv_kernel(dy, ny)};
}

template <Real T>
void sobel(ImageView<const T> image, ImageView<T> out, int dx, int dy, int ksize, Border border, Method method) {
    const SobelKernels k = sobel_kernels(dx, dy, ksize);
    const std::vector<T> kx(k.x.begin(), k.x.end()), ky(k.y.begin(), k.y.end());
    sep_filter2d<T>(image, out, kx, ky, border, method);
}

template <Real T>
Image<T> sobel(ImageView<const T> image, int dx, int dy, int ksize, Border border, Method method) {
    Image<T> out(image.shape());
    sobel(image, out.view(), dx, dy, ksize, border, method);
    return out;
}

template <Real T>
Image<T> sobel_magnitude(ImageView<const T> image, int ksize, Border border, Method method) {
    Image<T> gx = sobel(image, 1, 0, ksize, border, method);
    const Image<T> gy = sobel(image, 0, 1, ksize, border, method);
    // NaN where either derivative is NaN, as sqrt(gx² + gy²) and cv::magnitude give (std::hypot
    // would return Inf for an Inf beside a NaN); hypot otherwise, which does not overflow.
    for (std::ptrdiff_t i = 0; i < gx.size(); ++i) {
        T& g = gx.values()[i];
        const T h = gy.values()[i];
        g = std::isnan(g) || std::isnan(h) ? std::numeric_limits<T>::quiet_NaN() : std::hypot(g, h);
    }
    return gx;
}

template <Scalar T>
void filter(View<const T> a, View<T> out, View<const T> kernel, Border border, T cval, Method method) {
    ndimage_filter("filter", a, out, kernel, border, cval, method, true);
}

template <Scalar T>
Array<T> filter(View<const T> a, View<const T> kernel, Border border, T cval, Method method) {
    detail::check_array("filter", "a", a.data, a.shape);
    auto out = Array<T>::uninitialized(a.shape);  // every output is written
    filter(a, out.view(), kernel, border, cval, method);
    return out;
}

template <Scalar T>
void filter_convolve(View<const T> a, View<T> out, View<const T> kernel, Border border, T cval, Method method) {
    ndimage_filter("filter_convolve", a, out, kernel, border, cval, method, false);
}

template <Scalar T>
Array<T> filter_convolve(View<const T> a, View<const T> kernel, Border border, T cval, Method method) {
    detail::check_array("filter_convolve", "a", a.data, a.shape);
    auto out = Array<T>::uninitialized(a.shape);  // every output is written
    filter_convolve(a, out.view(), kernel, border, cval, method);
    return out;
}

template <Real T>
Array<T> gaussian_filter(View<const T> a, std::span<const double> sigma, Border border, Method method, double truncate,
                         T cval) {
    const char* fn = "gaussian_filter";
    detail::check_array(fn, "a", a.data, a.shape);
    check_border(fn, border);
    const int rank = a.rank();
    if (sigma.size() != 1 && sigma.size() != static_cast<std::size_t>(rank))
        throw InvalidArgument(std::string(fn) + ": " + std::to_string(sigma.size()) + " sigmas for an array of rank " +
                              std::to_string(rank) + "; give one, or one per axis");
    std::vector<std::vector<T>> f(static_cast<std::size_t>(rank));
    Extents before = a.shape, kernel = a.shape;
    for (int ax = 0; ax < rank; ++ax) {
        const double s = sigma[sigma.size() == 1 ? 0 : static_cast<std::size_t>(ax)];
        if (!(s >= 0) || !std::isfinite(s))
            throw InvalidArgument(std::string(fn) + ": sigma must be 0 or more and finite, got " + std::to_string(s));
        auto& k = f[static_cast<std::size_t>(ax)];
        k = s == 0 ? std::vector<T>{T(1)} : gaussian_kernel<T>(s, truncate);
        kernel[ax] = static_cast<std::ptrdiff_t>(k.size());
        before[ax] = kernel[ax] / 2;
    }
    Array<T> out(a.shape);
    const detail::Context context = detail::Context::current();
    if (method != Method::fft && (method == Method::direct ||
                                  separable_seconds(a.shape, f) <= filter_fft_seconds<T>(a.shape, kernel, context))) {
        run_separable(a, f, before, border, cval, out.view(), context.threads);
        return out;
    }
    // One FFT product with the whole kernel: the outer product of the axes' kernels (symmetric, so
    // correlation and convolution agree).
    Array<T> whole(kernel);
    Array<T>::for_each_index(kernel, [&](const std::ptrdiff_t* i) {
        T v(1);
        for (int ax = 0; ax < rank; ++ax) v *= f[static_cast<std::size_t>(ax)][static_cast<std::size_t>(i[ax])];
        whole.view().at(i) = v;
    });
    filter_general<T>(fn, a, out.view(), View<const T>(whole.view()), before, border, cval, method, true, context);
    return out;
}

template <Scalar T>
double estimate_filter_seconds(const Extents& a, View<const T> kernel, Method method) {
    const char* fn = "estimate_filter_seconds";
    const Extents padded = filter_padded(fn, a, kernel);
    const detail::Context context = detail::Context::current();
    if (method == Method::direct) {
        if constexpr (!is_complex_v<T>) {
            if (auto f = direct_factors(kernel)) return separable_seconds(a, *f);
        }
        return valid_seconds(padded, kernel.shape, element_type_v<T>, Method::direct, context);
    }
    if (method == Method::fft) return filter_fft_seconds<T>(a, kernel.shape, context);
    throw InvalidArgument(std::string(fn) + ": method " + std::to_string(static_cast<int>(method)) +
                          " has no estimate of its own; give direct or fft");
}

template <Scalar T>
Method choose_filter_method(const Extents& a, View<const T> kernel) {
    const Extents padded = filter_padded("choose_filter_method", a, kernel);
    const detail::Context context = detail::Context::current();
    if constexpr (!is_complex_v<T>) {
        if (auto f = direct_factors(kernel))
            return separable_seconds(a, *f) <= filter_fft_seconds<T>(a, kernel.shape, context) ? Method::direct
                                                                                               : Method::fft;
    }
    return valid_seconds(padded, kernel.shape, element_type_v<T>, Method::direct, context) <=
                   valid_seconds(padded, kernel.shape, element_type_v<T>, Method::fft, context)
               ? Method::direct
               : Method::fft;
}

#define INSTANTIATE(T)                                                                                              \
    template Image<T> extend_border<T>(ImageView<const T>, std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t,          \
                                       std::ptrdiff_t, Border);                                                     \
    template Image<T> filter2d<T>(ImageView<const T>, ImageView<const T>, Border, Method);                          \
    template void filter2d<T>(ImageView<const T>, ImageView<T>, ImageView<const T>, Border, Method);                \
    template void sep_filter2d<T>(ImageView<const T>, ImageView<T>, std::span<const T>, std::span<const T>, Border, \
                                  Method);                                                                          \
    template void gaussian_blur<T>(ImageView<const T>, ImageView<T>, double, Border, Method, double);               \
    template void sobel<T>(ImageView<const T>, ImageView<T>, int, int, int, Border, Method);                        \
    template Image<T> sep_filter2d<T>(ImageView<const T>, std::span<const T>, std::span<const T>, Border, Method);  \
    template std::vector<T> gaussian_kernel<T>(double, double);                                                     \
    template Image<T> gaussian_blur<T>(ImageView<const T>, double, Border, Method, double);                         \
    template Image<T> sobel<T>(ImageView<const T>, int, int, int, Border, Method);                                  \
    template Image<T> sobel_magnitude<T>(ImageView<const T>, int, Border, Method);
INSTANTIATE(float)
INSTANTIATE(double)

#define INSTANTIATE_REAL(T) \
    template Array<T> gaussian_filter<T>(View<const T>, std::span<const double>, Border, Method, double, T);
INSTANTIATE_REAL(float)
INSTANTIATE_REAL(double)

#define INSTANTIATE_SCALAR(T)                                                                   \
    template Array<T> filter<T>(View<const T>, View<const T>, Border, T, Method);               \
    template void filter<T>(View<const T>, View<T>, View<const T>, Border, T, Method);          \
    template Array<T> filter_convolve<T>(View<const T>, View<const T>, Border, T, Method);      \
    template void filter_convolve<T>(View<const T>, View<T>, View<const T>, Border, T, Method); \
    template double estimate_filter_seconds<T>(const Extents&, View<const T>, Method);          \
    template Method choose_filter_method<T>(const Extents&, View<const T>);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE_SCALAR)

}  // namespace fftconv
