#include "fftconv/filters.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "border.hpp"
#include "cost_model.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "separable.hpp"
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

template <Real T>
void copy_into(const Image<T>& from, ImageView<T> to) {
    for (std::ptrdiff_t r = 0; r < to.rows; ++r)
        for (std::ptrdiff_t c = 0; c < to.cols; ++c) to(r, c) = from(r, c);
}

// The filters' valid correlation of an image already extended by its border: out(r, c) =
// Σ kernel(i, j) · padded(r + i, c + j) over the taps that are not 0, by `method`. Skipping zero
// taps matters only for NaN and ±Inf (0 · NaN is NaN): they reach exactly the outputs a nonzero
// tap carries them to, as in cv::filter2D and cv::Sobel and the separable passes (which drop zero
// taps). The correlation runs on copies with those values set to 0; then each output one of them
// reaches is summed again over the nonzero taps, in the same order whatever the method.
template <Real T>
void filter_correlate(ImageView<const T> padded, ImageView<const T> kernel, Method method, ImageView<T> out) {
    const bool bad_kernel = detail::has_nonfinite(kernel);
    if (!bad_kernel && !detail::has_nonfinite(padded)) {
        copy_into(correlate<T>(padded, kernel, Mode::valid, method), out);
        return;
    }
    const auto cleaned = [](ImageView<const T> v) {
        Image<T> c(v);
        for (T& x : c.values())
            if (!detail::is_finite(x)) x = T(0);
        return c;
    };
    const Image<T> clean = cleaned(padded), clean_kernel = cleaned(kernel);
    copy_into(correlate<T>(clean.view(), clean_kernel.view(), Mode::valid, method), out);

    struct Tap {
        std::ptrdiff_t i, j;
        T k;
    };
    std::vector<Tap> taps;
    for (std::ptrdiff_t i = 0; i < kernel.rows; ++i)
        for (std::ptrdiff_t j = 0; j < kernel.cols; ++j)
            if (kernel(i, j) != T(0)) taps.push_back({i, j, kernel(i, j)});
    // Which outputs to sum again: all of them for a non-finite tap (every output's window covers
    // every tap), else those a nonzero tap carries a non-finite value to.
    std::vector<unsigned char> reached(static_cast<std::size_t>(out.rows * out.cols), bad_kernel ? 1 : 0);
    if (!bad_kernel)
        for (std::ptrdiff_t r = 0; r < padded.rows; ++r)
            for (std::ptrdiff_t c = 0; c < padded.cols; ++c) {
                if (detail::is_finite(padded(r, c))) continue;
                for (const Tap& t : taps) {
                    const std::ptrdiff_t orow = r - t.i, ocol = c - t.j;
                    if (orow >= 0 && orow < out.rows && ocol >= 0 && ocol < out.cols)
                        reached[static_cast<std::size_t>(orow * out.cols + ocol)] = 1;
                }
            }
    for (std::ptrdiff_t r = 0; r < out.rows; ++r)
        for (std::ptrdiff_t c = 0; c < out.cols; ++c) {
            if (!reached[static_cast<std::size_t>(r * out.cols + c)]) continue;
            T sum(0);
            for (const Tap& t : taps) sum += t.k * padded(r + t.i, c + t.j);
            out(r, c) = sum;
        }
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
                    estimate_seconds(padded, kernel.shape(), Mode::valid, element_type_v<T>, Method::fft)) {
                detail::separable_correlate(image, kx, ky, -ar, -ac, border, out, threads());
                return;
            }
            method = Method::fft;
        }
    }
    const Image<T> padded = extend_border(image, ar, kernel.rows - 1 - ar, ac, kernel.cols - 1 - ac, border);
    filter_correlate<T>(padded.view(), kernel, method, out);
    // Non-negative data through a non-negative kernel (blur, box, any average) stays >= 0.
    if (detail::nonnegative(kernel) && detail::nonnegative(image)) detail::clamp_negatives(out);
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
        const double fft = estimate_seconds(padded_shape, {kr, kc}, Mode::valid, element_type_v<T>, Method::fft);
        method = separable_seconds(image.shape(), kx, ky) <= fft ? Method::direct : Method::fft;
    }
    if (method == Method::direct && finite_kernel) {
        detail::separable_correlate(image, kx, ky, -(kr / 2), -(kc / 2), border, out, threads());
        return;
    }
    const Image<T> padded = extend_border(image, kr / 2, kr - 1 - kr / 2, kc / 2, kc - 1 - kc / 2, border);
    Image<T> k2(kr, kc);
    // A zero factor makes a zero tap, also against a NaN or Inf in the other factor.
    for (std::ptrdiff_t i = 0; i < kr; ++i)
        for (std::ptrdiff_t j = 0; j < kc; ++j) {
            const T y = ky[static_cast<std::size_t>(i)], x = kx[static_cast<std::size_t>(j)];
            k2(i, j) = y == T(0) || x == T(0) ? T(0) : y * x;
        }
    filter_correlate<T>(padded.view(), k2.view(), method, out);
    // Non-negative data through a non-negative kernel (gaussian_blur, box) stays >= 0.
    if (detail::nonnegative(ImageView<const T>(k2.view())) && detail::nonnegative(image)) detail::clamp_negatives(out);
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

}  // namespace fftconv
