// filters.hpp against OpenCV (and scipy's definitions) on the same data, every border, both methods.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"
#include "opencv_reference.hpp"
#include "reference.hpp"

using namespace fftconv;

namespace {

constexpr Method both_methods[] = {Method::direct, Method::fft};
constexpr Border cv_borders[] = {Border::constant, Border::replicate, Border::reflect, Border::reflect101};
constexpr Border all_borders[] = {Border::constant, Border::replicate, Border::reflect, Border::reflect101,
                                  Border::wrap};

int cv_border(Border b) {
    switch (b) {
        case Border::constant: return cv::BORDER_CONSTANT;
        case Border::replicate: return cv::BORDER_REPLICATE;
        case Border::reflect: return cv::BORDER_REFLECT;
        case Border::reflect101: return cv::BORDER_REFLECT_101;
        case Border::wrap: return cv::BORDER_WRAP;
    }
    return -1;
}

std::string name(const char* op, Border b, Method m, const char* type) {
    static const char* borders[] = {"constant", "replicate", "reflect", "reflect101", "wrap"};
    return std::string(op) + " " + borders[static_cast<int>(b)] + " " + to_string(m) + " " + type;
}

template <class T>
constexpr const char* type_name() {
    return std::is_same_v<T, float> ? "f32" : "f64";
}

// cv::filter2D where OpenCV supports the border; for wrap, which filter2D refuses for small
// kernels, copyMakeBorder(WRAP) and a correlation of the interior (a valid correlation).
cv::Mat cv_filter2d(const cv::Mat& src, const cv::Mat& kernel, Border border) {
    cv::Mat out;
    if (border != Border::wrap) {
        cv::filter2D(src, out, -1, kernel, cv::Point(-1, -1), 0, cv_border(border));
        return out;
    }
    const int ar = kernel.rows / 2, ac = kernel.cols / 2;
    cv::Mat padded;
    cv::copyMakeBorder(src, padded, ar, kernel.rows - 1 - ar, ac, kernel.cols - 1 - ac, cv::BORDER_WRAP);
    cv::filter2D(padded, out, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_CONSTANT);
    return out(cv::Rect(ac, ar, src.cols, src.rows)).clone();
}

}  // namespace

TEST_CASE_TEMPLATE("extend_border equals cv::copyMakeBorder, also for borders wider than the image", T, float, double) {
    for (auto [rows, cols] : {std::pair{1, 1}, {3, 2}, {5, 7}, {1, 9}}) {
        const cv::Mat src = cvref::random_mat(rows, cols, CV_MAKETYPE(fftconv::detail::cv_depth<T>(), 1), 3);
        for (Border b : all_borders)
            for (auto [t, bo, l, r] : {std::array{0, 0, 0, 0}, {1, 2, 3, 0}, {7, 9, 11, 8}}) {
                cv::Mat want;
                cv::copyMakeBorder(src, want, t, bo, l, r, cv_border(b), cv::Scalar(0));
                const Image<T> got = extend_border<T>(view_of<T>(src), t, bo, l, r, b);
                CAPTURE(rows);
                CAPTURE(cols);
                CAPTURE(static_cast<int>(b));
                CHECK(cvref::diff(got, want).abs == 0);
            }
    }
    CHECK_THROWS_WITH_AS((void)extend_border<float>(Image<float>(2, 2).view(), -1, 0, 0, 0, Border::wrap),
                         "extend_border: widths must not be negative, got top -1, bottom 0, left 0, right 0", Error);
}

TEST_CASE_TEMPLATE("filter2d equals cv::filter2D: every border, odd and even kernels, both methods", T, float, double) {
    const int depth = fftconv::detail::cv_depth<T>();
    cv::Mat photo;
    cvref::camera(61, 80).convertTo(photo, depth, 1.0 / 255);
    const std::vector<cv::Mat> images = {photo, cvref::random_mat(23, 17, depth, 5), cvref::random_mat(1, 40, depth, 6),
                                         cvref::random_mat(9, 1, depth, 7)};
    for (auto [kr, kc] : {std::pair{3, 3}, {4, 4}, {5, 2}, {1, 7}, {8, 8}, {15, 15}, {31, 30}}) {
        const cv::Mat kernel = cvref::random_mat(kr, kc, depth, 100 + kr * kc);
        for (const cv::Mat& img : images)
            for (Border b : all_borders)
                for (Method m : both_methods) {
                    CAPTURE(kr);
                    CAPTURE(kc);
                    CAPTURE(img.rows);
                    CAPTURE(img.cols);
                    const Image<T> got = filter2d<T>(view_of<T>(img), view_of<T>(kernel), b, m);
                    // OpenCV sums large kernels by DFT in float; its own error sets the tolerance.
                    cvref::check_close(name("filter2d", b, m, type_name<T>()), got, cv_filter2d(img, kernel, b),
                                       std::is_same_v<T, float> ? 2e-5 : 1e-12);
                }
    }
}

TEST_CASE("filter2d: both methods agree at the edges, every border") {
    std::mt19937_64 rng(8);
    const auto img = ref::random_image<double>(37, 29, rng), k = ref::random_image<double>(9, 6, rng);
    for (Border b : all_borders)
        CHECK(ref::rel_err(filter2d(img.view(), k.view(), b, Method::fft),
                           filter2d(img.view(), k.view(), b, Method::direct)) < 1e-13);
}

TEST_CASE("gaussian_kernel is scipy's: radius int(4σ + 0.5), normalised samples of exp(-x²/2σ²)") {
    for (double sigma : {0.3, 1.0, 2.5, 4.0, 7.3}) {
        const std::vector<double> g = gaussian_kernel<double>(sigma);
        const int r = static_cast<int>(4 * sigma + 0.5);
        REQUIRE(g.size() == static_cast<std::size_t>(2 * r + 1));
        double sum = 0;
        for (int x = -r; x <= r; ++x) sum += std::exp(-x * x / (2 * sigma * sigma));
        for (int x = -r; x <= r; ++x)
            CHECK(g[x + r] == doctest::Approx(std::exp(-x * x / (2 * sigma * sigma)) / sum).epsilon(1e-14));
    }
    // A value computed by scipy 1.10: scipy.ndimage._filters._gaussian_kernel1d(1.0, 0, 4)[4]
    CHECK(gaussian_kernel<double>(1.0)[4] == doctest::Approx(0.3989422804014327).epsilon(1e-6));
    CHECK_THROWS_AS((void)gaussian_kernel<float>(0.0), Error);
    // σ so small that σ² underflows: one tap of 1, not NaN (found by fuzz_kernel_parser).
    for (double tiny : {1e-200, 5e-324}) {
        const std::vector<float> g = gaussian_kernel<float>(tiny);
        REQUIRE(g.size() == 1);
        CHECK(g[0] == 1.0f);
    }
    CHECK_THROWS_AS((void)gaussian_kernel<float>(-1.0), Error);
}

TEST_CASE_TEMPLATE("gaussian_blur equals cv::GaussianBlur with ksize 2r+1, every border, both methods", T, float,
                   double) {
    const int depth = fftconv::detail::cv_depth<T>();
    cv::Mat photo;
    cvref::camera(70, 90).convertTo(photo, depth);
    for (double sigma : {0.8, 2.5, 4.0})
        for (Border b : cv_borders)
            for (Method m : both_methods) {
                const int r = static_cast<int>(4 * sigma + 0.5);
                cv::Mat want;
                cv::GaussianBlur(photo, want, cv::Size(2 * r + 1, 2 * r + 1), sigma, sigma, cv_border(b));
                const Image<T> got = gaussian_blur<T>(view_of<T>(photo), sigma, b, m);
                CAPTURE(sigma);
                cvref::check_close(name("gaussian_blur", b, m, type_name<T>()), got, want,
                                   std::is_same_v<T, float> ? 1e-6 : 1e-12);
            }
}

TEST_CASE("gaussian_blur equals an independent sum of scipy.ndimage.gaussian_filter's definition") {
    // scipy's mode='reflect' mirrors about the edge (d c b a | a b c d); the 2D Gaussian is the
    // product of two 1D kernels, summed here over the whole square without separating.
    std::mt19937_64 rng(12);
    const auto img = ref::random_image<double>(13, 11, rng);
    const double sigma = 1.7;
    const int r = static_cast<int>(4 * sigma + 0.5);
    const auto mirror = [](int p, int n) {
        while (p < 0 || p >= n) p = p < 0 ? -p - 1 : 2 * n - p - 1;
        return p;
    };
    double norm = 0;
    for (int x = -r; x <= r; ++x) norm += std::exp(-x * x / (2 * sigma * sigma));
    Image<double> want(img.rows(), img.cols());
    for (int i = 0; i < img.rows(); ++i)
        for (int j = 0; j < img.cols(); ++j) {
            double s = 0;
            for (int u = -r; u <= r; ++u)
                for (int v = -r; v <= r; ++v)
                    s += std::exp(-(u * u + v * v) / (2 * sigma * sigma)) *
                         img(mirror(i + u, static_cast<int>(img.rows())), mirror(j + v, static_cast<int>(img.cols())));
            want(i, j) = s / (norm * norm);
        }
    for (Method m : both_methods)
        CHECK(ref::rel_err(gaussian_blur(img.view(), sigma, Border::reflect, m), want) < 1e-13);
}

TEST_CASE("sobel_kernels equal cv::getDerivKernels") {
    for (int ksize : {-1, 1, 3, 5, 7, 31})
        for (auto [dx, dy] : {std::pair{1, 0}, {0, 1}, {1, 1}, {2, 0}, {0, 2}, {2, 1}, {3, 0}}) {
            if (ksize == -1 && dx + dy != 1) continue;
            if (ksize == 1 && (dx > 2 || dy > 2)) continue;
            if (ksize == 3 && (dx > 2 || dy > 2)) continue;
            cv::Mat kx, ky;
            cv::getDerivKernels(kx, ky, dx, dy, ksize, false, CV_64F);
            const SobelKernels k = sobel_kernels(dx, dy, ksize);
            CAPTURE(ksize);
            CAPTURE(dx);
            CAPTURE(dy);
            REQUIRE(k.x.size() == kx.total());
            REQUIRE(k.y.size() == ky.total());
            for (std::size_t i = 0; i < k.x.size(); ++i) CHECK(k.x[i] == kx.at<double>(static_cast<int>(i)));
            for (std::size_t i = 0; i < k.y.size(); ++i) CHECK(k.y[i] == ky.at<double>(static_cast<int>(i)));
        }
    CHECK_THROWS_WITH_AS((void)sobel_kernels(0, 0, 3),
                         "sobel: dx and dy must not be negative and not both 0 (dx 0, dy 0, ksize 3)", Error);
    CHECK_THROWS_AS((void)sobel_kernels(1, 0, 4), Error);
    CHECK_THROWS_AS((void)sobel_kernels(3, 0, 3), Error);
    CHECK_THROWS_AS((void)sobel_kernels(1, 1, -1), Error);
}

TEST_CASE_TEMPLATE("sobel equals cv::Sobel, every border, both methods", T, float, double) {
    const int depth = fftconv::detail::cv_depth<T>();
    cv::Mat photo;
    cvref::camera(64, 77).convertTo(photo, depth);
    for (int ksize : {-1, 1, 3, 5, 7})
        for (auto [dx, dy] : {std::pair{1, 0}, {0, 1}, {1, 1}, {2, 0}})
            for (Border b : cv_borders)
                for (Method m : both_methods) {
                    if (ksize == -1 && dx + dy != 1) continue;
                    cv::Mat want;
                    cv::Sobel(photo, want, depth, dx, dy, ksize, 1, 0, cv_border(b));
                    CAPTURE(ksize);
                    CAPTURE(dx);
                    CAPTURE(dy);
                    cvref::check_close(name("sobel", b, m, type_name<T>()),
                                       sobel<T>(view_of<T>(photo), dx, dy, ksize, b, m), want,
                                       std::is_same_v<T, float> ? 1e-6 : 1e-12);
                }
}

TEST_CASE("sobel_magnitude equals cv::magnitude of the two cv::Sobel derivatives") {
    const cv::Mat photo = cvref::camera(50, 60);
    cv::Mat gx, gy, want;
    cv::Sobel(photo, gx, CV_32F, 1, 0, 3);
    cv::Sobel(photo, gy, CV_32F, 0, 1, 3);
    cv::magnitude(gx, gy, want);
    for (Method m : both_methods)
        cvref::check_close(std::string("sobel_magnitude ") + to_string(m),
                           sobel_magnitude<float>(view_of<float>(photo), 3, Border::reflect101, m), want, 1e-6);
}

TEST_CASE("filters apply per channel to colour images through per_channel") {
    cv::Mat colour = cvref::random_mat(30, 40, CV_8UC3, 21, 0, 255);
    const cv::Mat got = per_channel(colour, [](ImageView<const float> c) { return gaussian_blur<float>(c, 1.5); });
    REQUIRE(got.type() == CV_32FC3);
    cv::Mat f, want;
    colour.convertTo(f, CV_32F);
    cv::GaussianBlur(f, want, cv::Size(13, 13), 1.5, 1.5, cv::BORDER_REFLECT);
    CHECK(cv::norm(got, want, cv::NORM_INF) < 1e-3);
}

TEST_CASE_TEMPLATE("lowpass: direct (spatial kernel) and fft agree, for every shape and border", T, float, double) {
    // Awkward sizes too: single rows and columns, primes (no padding with wrap: the transform
    // runs at the prime itself, odd along the real axis), and a strided view.
    std::mt19937_64 rng(2);
    const auto big = ref::random_image<T>(16, 40, rng);
    for (const Shape size : {Shape{12, 9}, Shape{1, 1}, Shape{1, 7}, Shape{7, 1}, Shape{13, 11}, Shape{2, 17}}) {
        const auto img = ref::random_image<T>(size.rows, size.cols, rng);
        for (bool strided : {false, true}) {
            // The strided case reads every other column of a wider image.
            const ImageView<const T> view = strided ? ImageView<const T>(big.data(), size.rows, size.cols, big.cols(), 2)
                                                    : img.view();
            if (strided && (size.rows > big.rows() || 2 * size.cols > big.cols())) continue;
            for (FilterShape shape : {FilterShape::ideal, FilterShape::gaussian, FilterShape::butterworth})
                for (Border b : {Border::reflect, Border::wrap, Border::constant})
                    for (bool high : {false, true}) {
                        const auto run = [&](Method m) {
                            return high ? highpass(view, 0.3, shape, 2, b, m) : lowpass(view, 0.3, shape, 2, b, m);
                        };
                        CAPTURE(size);
                        CAPTURE(strided);
                        CAPTURE(static_cast<int>(shape));
                        CAPTURE(static_cast<int>(b));
                        CAPTURE(high);
                        CHECK(ref::rel_err(run(Method::fft), run(Method::direct)) <
                              (std::is_same_v<T, float> ? 1e-5 : 1e-12));
                    }
        }
    }
}

TEST_CASE("lowpass: known answers on periodic images") {
    // A wrap border means the plain periodic filter: a cosine at 0.25 of Nyquist passes an ideal
    // low-pass at 0.3 unchanged and is removed by one at 0.2; the mean always survives.
    const int n = 64;
    Image<double> wave(n, n);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c)
            wave(r, c) = 5.0 + std::cos(2 * std::numbers::pi * 8 * c / n);  // 8 cycles: 0.25 Nyquist
    Image<double> mean_only(n, n, 5.0);
    for (Method m : both_methods) {
        CHECK(ref::rel_err(lowpass(wave.view(), 0.3, FilterShape::ideal, 2, Border::wrap, m), wave) < 1e-12);
        CHECK(ref::rel_err(lowpass(wave.view(), 0.2, FilterShape::ideal, 2, Border::wrap, m), mean_only) < 1e-12);
        // Butterworth gain at the cutoff is 1/2; Gaussian's is exp(-1/2).
        const Image<double> bw = lowpass(wave.view(), 0.25, FilterShape::butterworth, 3, Border::wrap, m);
        CHECK(bw(0, 0) == doctest::Approx(5.0 + 0.5).epsilon(1e-12));
        const Image<double> ga = lowpass(wave.view(), 0.25, FilterShape::gaussian, 2, Border::wrap, m);
        CHECK(ga(0, 0) == doctest::Approx(5.0 + std::exp(-0.5)).epsilon(1e-12));
        // High-pass is the complement.
        const Image<double> hp = highpass(wave.view(), 0.2, FilterShape::ideal, 2, Border::wrap, m);
        CHECK(hp(0, 0) == doctest::Approx(1.0).epsilon(1e-12));
        CHECK(hp(0, 4) == doctest::Approx(-1.0).epsilon(1e-12));  // cos(π): the wave without its mean
    }
}

TEST_CASE("lowpass: reflect padding keeps a bright edge from bleeding into the opposite dark edge") {
    Image<double> step(32, 32);
    for (int r = 0; r < 32; ++r)
        for (int c = 0; c < 8; ++c) step(r, c) = 1.0;  // bright left edge, dark right edge
    const Image<double> periodic = lowpass(step.view(), 0.1, FilterShape::gaussian, 2, Border::wrap);
    const Image<double> padded = lowpass(step.view(), 0.1, FilterShape::gaussian, 2, Border::reflect);
    CHECK(periodic(16, 31) > 0.1);  // the wrapped-around bright edge
    CHECK(padded(16, 31) < 1e-3);
}

namespace {
// log_spectrum's display stretch, written out on an OpenCV Mat: min -> 0, the largest value away
// from the centre (zero frequency) -> 1, the centre clipped at 1.
cv::Mat stretch(const cv::Mat& shifted) {
    cv::Mat d;
    shifted.convertTo(d, CV_64F);
    double lo = 0, hi = 0;
    cv::minMaxLoc(d, &lo, nullptr);
    const int cr = d.rows / 2, cc = d.cols / 2;
    for (int r = 0; r < d.rows; ++r)
        for (int c = 0; c < d.cols; ++c)
            if (r != cr || c != cc) hi = std::max(hi, d.at<double>(r, c));
    if (d.total() == 1) hi = lo;
    for (double& v : cv::Mat_<double>(d)) v = hi > lo ? std::min(1.0, (v - lo) / (hi - lo)) : 0.0;
    return d;
}

// log(1 + |DFT|) by cv::dft, fftshifted (zero frequency moved to (rows/2, cols/2)) and stretched.
cv::Mat cv_log_spectrum(const cv::Mat& img) {
    cv::Mat f, spectrum, planes[2], mag;
    img.convertTo(f, CV_64F);
    cv::dft(f, spectrum, cv::DFT_COMPLEX_OUTPUT);
    cv::split(spectrum, planes);
    cv::magnitude(planes[0], planes[1], mag);
    cv::log(mag + 1, mag);
    cv::Mat shifted(mag.size(), mag.type());
    for (int r = 0; r < mag.rows; ++r)
        for (int c = 0; c < mag.cols; ++c)
            shifted.at<double>((r + mag.rows / 2) % mag.rows, (c + mag.cols / 2) % mag.cols) = mag.at<double>(r, c);
    return stretch(shifted);
}
}  // namespace

TEST_CASE("transfer_function and log_spectrum") {
    const Image<double> h = transfer_function<double>({8, 8}, 0.5, FilterShape::ideal);
    CHECK(h(4, 4) == 1.0);  // zero frequency at the centre
    CHECK(h(4, 6) == 1.0);  // 2 of 4 bins to Nyquist: 0.5
    CHECK(h(4, 7) == 0.0);
    CHECK(h(0, 0) == 0.0);

    // log(1 + |F|), fftshifted and stretched, against cv::dft.
    const cv::Mat img = cvref::camera(48, 35);
    cvref::check_close("log_spectrum f32", log_spectrum<float>(view_of<float>(img)), cv_log_spectrum(img), 1e-5);
    // Unit dimensions take FFTW's rank-1 path; the result still matches cv::dft.
    for (auto [r, c] : {std::pair{1, 1}, {1, 10}, {7, 1}, {5, 6}}) {
        const cv::Mat small = cvref::random_mat(r, c, CV_64F, 9, 0, 1);
        CAPTURE(r);
        CAPTURE(c);
        cvref::check_close("log_spectrum f64", log_spectrum<double>(view_of<double>(small)), cv_log_spectrum(small),
                           1e-12);
    }
}

TEST_CASE("bad filter arguments name the argument") {
    const Image<float> img(4, 4), empty;
    CHECK_THROWS_WITH_AS((void)filter2d<float>(empty.view(), img.view()), "filter2d: argument 'image' is empty (0x0)",
                         Error);
    CHECK_THROWS_WITH_AS((void)lowpass<float>(img.view(), 0.0),
                         "lowpass: cutoff must be positive (a fraction of the Nyquist frequency), got 0.000000", Error);
    CHECK_THROWS_WITH_AS((void)lowpass<float>(img.view(), 0.5, FilterShape::butterworth, 0),
                         "lowpass: order must be at least 1, got 0", Error);
    CHECK_THROWS_AS((void)filter2d<float>(img.view(), img.view(), static_cast<Border>(9)), Error);
    // Every image operation refuses a view with no data before reading it.
    const ImageView<const float> null_view(nullptr, 3, 3);
    for (const char* fn : {"filter2d", "lowpass", "log_spectrum", "match_template"}) {
        CAPTURE(fn);
        const std::string want = std::string(fn) + ": argument '" +
                                 (std::string(fn) == "match_template" ? "templ" : "image") +
                                 "' has no data (null pointer)";
        const auto call = [&] {
            const std::string f = fn;
            if (f == "filter2d") (void)filter2d<float>(null_view, img.view());
            if (f == "lowpass") (void)lowpass<float>(null_view, 0.5);
            if (f == "log_spectrum") (void)log_spectrum<float>(null_view);
            if (f == "match_template") (void)match_template<float>(img.view(), null_view, MatchMethod::ccorr);
        };
        CHECK_THROWS_WITH_AS(call(), want.c_str(), Error);
    }
}

// ---- The separable path: rank-1 kernels run as a column pass and a row pass with the border read
// in place (no padded copy), two rows at a time, symmetric row kernels folded.

TEST_CASE_TEMPLATE("filter2d with a rank-1 kernel (two 1D passes) equals cv::filter2D, every border", T, float,
                   double) {
    const int depth = fftconv::detail::cv_depth<T>();
    cv::Mat photo;
    cvref::camera(131, 203).convertTo(photo, depth, 1.0 / 255);
    // Widths below, at and past the vector blocks; a kernel larger than the image; one column.
    const std::vector<cv::Mat> images = {photo, cvref::random_mat(5, 7, depth, 11), cvref::random_mat(40, 1, depth, 12),
                                         cvref::random_mat(33, 70, depth, 13)};
    for (auto [kr, kc] : {std::pair{3, 3}, {2, 5}, {6, 4}, {9, 9}, {17, 11}}) {
        const cv::Mat u = cvref::random_mat(kr, 1, depth, 200 + kr), v = cvref::random_mat(1, kc, depth, 300 + kc);
        const cv::Mat kernel = u * v;  // rank 1
        for (const cv::Mat& img : images)
            for (Border b : all_borders)
                for (Method m : {Method::automatic, Method::direct}) {
                    CAPTURE(kr);
                    CAPTURE(kc);
                    CAPTURE(img.rows);
                    CAPTURE(img.cols);
                    const Image<T> got = filter2d<T>(view_of<T>(img), view_of<T>(kernel), b, m);
                    cvref::check_close(name("filter2d rank-1", b, m, type_name<T>()), got, cv_filter2d(img, kernel, b),
                                       std::is_same_v<T, float> ? 2e-5 : 1e-12);
                }
    }
}

TEST_CASE("the separable path keeps integer results exact (Sobel's 2D kernel splits into integers)") {
    std::mt19937_64 rng(21);
    std::uniform_int_distribution<int> digit(0, 9);
    Image<double> img(37, 90);
    for (double& v : img.values()) v = digit(rng);
    const Image<double> k{{1, 0, -1}, {2, 0, -2}, {1, 0, -1}};
    const Image<double> two_pass = filter2d(img, k, Border::reflect101, Method::direct);
    const Image<double> padded = extend_border(img, 1, 1, 1, 1, Border::reflect101);
    for (std::ptrdiff_t r = 0; r < img.rows(); ++r)
        for (std::ptrdiff_t c = 0; c < img.cols(); ++c) {
            double want = 0;
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) want += k(i, j) * padded(r + i, c + j);
            REQUIRE(two_pass(r, c) == want);
        }
}

TEST_CASE("filters give bit-identical results for any thread count") {
    cv::Mat photo;
    cvref::camera(381, 389).convertTo(photo, CV_32F);
    const ImageView<const float> img = view_of<float>(photo);
    const auto run = [&](int n) {
        set_threads(n);
        std::vector<Image<float>> out;
        out.push_back(gaussian_blur(img, 3.0, Border::reflect, Method::direct));
        out.push_back(sobel(img, 1, 0, 5, Border::reflect101, Method::direct));
        out.push_back(sep_filter2d<float>(img, std::vector<float>{1, -2, 3, 0.5f}, std::vector<float>{0.25f, 2, -1},
                                          Border::wrap, Method::direct));
        set_threads(1);
        return out;
    };
    const auto one = run(1);
    for (int n : {2, 3, 8}) {
        CAPTURE(n);
        const auto many = run(n);
        for (std::size_t i = 0; i < one.size(); ++i)
            CHECK(std::equal(one[i].values().begin(), one[i].values().end(), many[i].values().begin()));
    }
    CHECK_THROWS_WITH_AS(set_threads(-1), "set_threads: thread count must be 0 (all cores) or more, got -1", Error);
}

TEST_CASE("filters into a caller's buffer: the same result, and bad buffers refused") {
    cv::Mat photo;
    cvref::camera(64, 96).convertTo(photo, CV_64F);
    const Image<double> img = to_image<double>(photo);
    Image<double> out(img.shape());
    gaussian_blur(img, out.view(), 2.0);
    CHECK(ref::rel_err(out, gaussian_blur(img, 2.0)) == 0);
    sobel(img, out.view(), 0, 1);
    CHECK(ref::rel_err(out, sobel(img, 0, 1)) == 0);
    const Image<double> k{{1, 2}, {3, 5}};
    filter2d(img, out.view(), k);
    CHECK(ref::rel_err(out, filter2d(img, k)) == 0);

    Image<double> small(63, 96);
    CHECK_THROWS_WITH_AS(gaussian_blur(img, small.view(), 2.0),
                         "sep_filter2d: argument 'out' is 63x96, the image is 64x96", Error);
    Image<double> same = img;
    CHECK_THROWS_WITH_AS(sobel(same.view(), same.view(), 1, 0),
                         "sep_filter2d: argument 'out' shares memory with 'image'; the result needs its own", Error);
    CHECK_THROWS_WITH_AS(filter2d(same.view(), same.view().subview(1, 1, 10, 10), k),
                         "filter2d: argument 'out' is 10x10, the image is 64x96", Error);
}

TEST_CASE_TEMPLATE("a blurred non-negative image has no negative pixel, on the FFT path too", T, float, double) {
    // A black image with a few bright dots: the exact blur is 0 far from them, where FFT round-off
    // scatters values of either sign around 1e-8 (float) or 1e-17 (double).
    Image<T> img(96, 80);
    img(10, 10) = 1;
    img(50, 60) = 0.5;
    img(90, 3) = 0.75;
    const auto kernel = gaussian_kernel<T>(6.0);
    const auto has_negative = [](const Image<T>& x) {
        return std::any_of(x.values().begin(), x.values().end(), [](T v) { return v < 0; });
    };
    // The unclamped FFT product does go below zero: the check below is not vacuous.
    const std::ptrdiff_t r = static_cast<std::ptrdiff_t>(kernel.size()) / 2;
    Image<T> k2(2 * r + 1, 2 * r + 1);
    for (std::ptrdiff_t i = 0; i < k2.rows(); ++i)
        for (std::ptrdiff_t j = 0; j < k2.cols(); ++j)
            k2(i, j) = kernel[static_cast<std::size_t>(i)] * kernel[static_cast<std::size_t>(j)];
    REQUIRE(has_negative(convolve(img, k2, Mode::same, Method::fft)));
    for (Method m : {Method::fft, Method::direct, Method::automatic}) {
        CAPTURE(m);
        CHECK_FALSE(has_negative(gaussian_blur(img, 6.0, Border::constant, m)));
        CHECK_FALSE(has_negative(sep_filter2d<T>(img, kernel, kernel, Border::reflect, m)));
        CHECK_FALSE(has_negative(filter2d(img, k2, Border::constant, m)));
    }
    // A kernel with a negative tap keeps its true negative outputs.
    k2(0, 0) = -1;
    CHECK(has_negative(filter2d(img, k2, Border::constant, Method::fft)));
}

// ---- NaN and Inf: a kernel tap that is 0 is not applied, as in cv::filter2D and cv::Sobel, on every
// path (separable passes, the 2D direct sum, the FFT with its repair) and by every method.

namespace {

constexpr Method all_methods[] = {Method::direct, Method::fft, Method::automatic};

int value_class(double v) {
    return std::isnan(v) ? 1 : std::isinf(v) ? (v > 0 ? 2 : 3) : 0;
}

// NaN, +Inf and -Inf in exactly the places of the reference's, and the finite values close to it.
template <class T>
void check_nonfinite_like(const std::string& op, const Image<T>& got, const cv::Mat& reference) {
    REQUIRE(got.rows() == reference.rows);
    REQUIRE(got.cols() == reference.cols);
    cv::Mat want;
    reference.convertTo(want, CV_64F);
    std::ptrdiff_t nonfinite = 0, misplaced = 0;
    double scale = 0, err = 0;
    for (int r = 0; r < want.rows; ++r)
        for (int c = 0; c < want.cols; ++c) {
            const double w = want.at<double>(r, c), g = static_cast<double>(got(r, c));
            nonfinite += !std::isfinite(w);
            misplaced += value_class(g) != value_class(w);
            if (std::isfinite(w) && std::isfinite(g))
                scale = std::max(scale, std::abs(w)), err = std::max(err, std::abs(g - w));
        }
    CAPTURE(op);
    CHECK(nonfinite > 0);  // the case tests something
    CHECK(misplaced == 0);
    CHECK(err <= (std::is_same_v<T, float> ? 1e-5 : 1e-12) * std::max(scale, 1.0));
}

// Sobel's 2D kernel ky·kxᵀ, for cv::filter2D.
template <class T>
cv::Mat sobel_2d(int dx, int dy, int ksize) {
    const SobelKernels k = sobel_kernels(dx, dy, ksize);
    Image<T> out(static_cast<std::ptrdiff_t>(k.y.size()), static_cast<std::ptrdiff_t>(k.x.size()));
    for (std::ptrdiff_t i = 0; i < out.rows(); ++i)
        for (std::ptrdiff_t j = 0; j < out.cols(); ++j)
            out(i, j) = static_cast<T>(k.y[static_cast<std::size_t>(i)] * k.x[static_cast<std::size_t>(j)]);
    return to_mat(out);
}

}  // namespace

TEST_CASE_TEMPLATE("NaN behind a zero tap: sobel and filter2d give OpenCV's values with every method", T, float,
                   double) {
    // 5x5 ones with NaN in the middle. Sobel's x kernel has a zero middle column, so the middle
    // column of outputs does not see the NaN: [nan 0 nan] in rows 1-3, as cv::Sobel gives in float
    // (in double, cv::Sobel's row pass multiplies the zero tap: [nan nan nan]; cv::filter2D with the
    // same 2D kernel gives [nan 0 nan] in both).
    const int depth = fftconv::detail::cv_depth<T>();
    Image<T> ones(5, 5);
    for (T& v : ones.values()) v = 1;
    ones(2, 2) = std::numeric_limits<T>::quiet_NaN();
    const cv::Mat img = to_mat(ones);
    cv::Mat want_sobel, want_filter;
    if (std::is_same_v<T, float>)
        cv::Sobel(img, want_sobel, depth, 1, 0, 3);
    else
        cv::filter2D(img, want_sobel, -1, sobel_2d<T>(1, 0, 3));
    const Image<T> k{{1, 0, 1}, {2, 0, 2}, {1, 0, 1}};
    cv::filter2D(img, want_filter, -1, to_mat(k));
    for (Method m : all_methods) {
        CAPTURE(m);
        const Image<T> s = sobel(ones, 1, 0, 3, Border::reflect101, m);
        for (int r = 1; r <= 3; ++r) {
            CAPTURE(r);
            CHECK(std::isnan(s(r, 1)));
            CHECK(s(r, 2) == 0);
            CHECK(std::isnan(s(r, 3)));
        }
        check_nonfinite_like(std::string("sobel ") + to_string(m), s, want_sobel);
        const Image<T> f = filter2d(ones, k, Border::reflect101, m);
        CHECK(f(2, 2) == 8);
        check_nonfinite_like(std::string("filter2d ") + to_string(m), f, want_filter);
    }
}

TEST_CASE_TEMPLATE("NaN and ±Inf land where cv::filter2D puts them, for every filter, border and method", T, float,
                   double) {
    const int depth = fftconv::detail::cv_depth<T>();
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    Image<T> data = cvref::image_of<T>(cvref::random_mat(23, 19, depth, 31));
    data(5, 7) = nan;
    data(0, 3) = inf;  // on the edge: the borders copy it outward
    data(15, 18) = -inf;
    data(22, 0) = nan;
    data(11, 9) = inf;
    data(11, 11) = -inf;  // two apart: a 3-wide kernel with a zero middle adds +Inf and -Inf
    const cv::Mat img = to_mat(data);

    SUBCASE("sobel, against cv::filter2D with its 2D kernel") {
        // cv::Sobel itself multiplies zero taps in some of its loops (double data, the last
        // columns, ksize 7), so the reference is cv::filter2D, which never does.
        for (int ksize : {-1, 1, 3, 5, 7})
            for (auto [dx, dy] : {std::pair{1, 0}, {0, 1}, {1, 1}, {2, 0}, {0, 2}, {3, 0}})
                for (Border b : all_borders) {
                    if ((ksize == -1 && dx + dy != 1) || (ksize <= 3 && (dx > 2 || dy > 2))) continue;
                    const cv::Mat want = cv_filter2d(img, sobel_2d<T>(dx, dy, ksize), b);
                    for (Method m : all_methods) {
                        CAPTURE(ksize);
                        CAPTURE(dx);
                        CAPTURE(dy);
                        check_nonfinite_like(name("sobel", b, m, type_name<T>()), sobel(data, dx, dy, ksize, b, m),
                                             want);
                    }
                }
    }
    SUBCASE("sobel_magnitude and gaussian_blur") {
        cv::Mat gx = cv_filter2d(img, sobel_2d<T>(1, 0, 3), Border::reflect101),
                gy = cv_filter2d(img, sobel_2d<T>(0, 1, 3), Border::reflect101), magnitude, blurred;
        cv::magnitude(gx, gy, magnitude);
        cv::GaussianBlur(img, blurred, cv::Size(9, 9), 1.0, 1.0, cv::BORDER_REFLECT);  // radius int(4σ + 0.5)
        for (Method m : all_methods) {
            check_nonfinite_like(std::string("sobel_magnitude ") + to_string(m),
                                 sobel_magnitude(data, 3, Border::reflect101, m), magnitude);
            check_nonfinite_like(std::string("gaussian_blur ") + to_string(m),
                                 gaussian_blur(data, 1.0, Border::reflect, m), blurred);
        }
    }
    SUBCASE("filter2d: rank-1 and general kernels with zero taps") {
        const std::vector<Image<T>> kernels = {
            {{1, 0, 1}, {2, 0, 2}, {1, 0, 1}},             // rank 1, zero column
            {{0, 0, 0}, {1, 2, 1}, {0, 0, 0}},             // rank 1, zero rows
            {{0, 1, 0}, {1, 0, 1}, {0, 1, 2}},             // rank 3
            {{1, 0, -1, 0}, {0, 0, 0, 0}, {-2, 0, 2, 0}},  // even width, rank 1
            {{1, T(1e-9), 1}, {2, 0, 2}, {1, 0, 1}},       // rank 1 within the tolerance, but a tap
                                                           // its factors make zero is not
        };
        for (const Image<T>& k : kernels)
            for (Border b : all_borders) {
                const cv::Mat want = cv_filter2d(img, to_mat(k), b);
                for (Method m : all_methods) {
                    CAPTURE(k.rows());
                    CAPTURE(k.cols());
                    CAPTURE(k(0, 1));
                    check_nonfinite_like(name("filter2d", b, m, type_name<T>()), filter2d(data, k, b, m), want);
                }
            }
    }
    SUBCASE("sep_filter2d: the 2D kernel's zero taps, as cv::filter2D with ky·kxᵀ") {
        // cv::sepFilter2D itself multiplies the zero taps of a kernel that is neither symmetric nor
        // antisymmetric (NaN there), unlike cv::filter2D with the same 2D kernel and cv::Sobel.
        const std::vector<T> kx{1, 0, 2}, ky{1, 2, 0};
        const Image<T> k2{{1, 0, 2}, {2, 0, 4}, {0, 0, 0}};
        for (Border b : all_borders) {
            const cv::Mat want = cv_filter2d(img, to_mat(k2), b);
            for (Method m : all_methods)
                check_nonfinite_like(name("sep_filter2d", b, m, type_name<T>()),
                                     sep_filter2d<T>(data.view(), kx, ky, b, m), want);
        }
    }
}

TEST_CASE("a NaN or Inf in a filter's kernel reaches every output, also through the border") {
    Image<float> img(9, 8);
    for (float& v : img.values()) v = 0.5f;
    const cv::Mat src = to_mat(img);
    Image<float> k{{1, 0, 1}, {2, 0, std::numeric_limits<float>::quiet_NaN()}, {1, 0, 1}};
    for (Border b : all_borders)
        for (Method m : all_methods) {
            check_nonfinite_like(name("filter2d NaN kernel", b, m, "f32"), filter2d(img, k, b, m),
                                 cv_filter2d(src, to_mat(k), b));
            const std::vector<float> kx{1, 0, std::numeric_limits<float>::infinity()}, ky{0, 1, 1};
            const Image<float> got = sep_filter2d<float>(img.view(), kx, ky, b, m);
            const Image<float> k2{{0, 0, 0},
                                  {1, 0, std::numeric_limits<float>::infinity()},
                                  {1, 0, std::numeric_limits<float>::infinity()}};
            check_nonfinite_like(name("sep_filter2d Inf kernel", b, m, "f32"), got, cv_filter2d(src, to_mat(k2), b));
        }
}

TEST_CASE_TEMPLATE("the filters' FFT path near the type's largest value stays finite and equals direct", T, float,
                   double) {
    // An image of values near 1e34 (1e306 in double): the transforms' sums would pass the largest
    // value without the FFT path's power-of-two scaling (Inf, then NaN everywhere).
    const T big = std::is_same_v<T, float> ? T(1e34) : T(1e306);
    const int depth = fftconv::detail::cv_depth<T>();
    cv::Mat photo;
    cvref::camera(64, 77).convertTo(photo, depth, 1.0 / 255);
    Image<T> img = cvref::image_of<T>(photo);
    for (T& v : img.values()) v = (v + T(0.5)) * big;
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const auto finite = [](const Image<T>& m) {
        return std::all_of(m.values().begin(), m.values().end(), [](T v) { return std::isfinite(v); });
    };
    std::mt19937_64 rng(91);
    const Image<T> k = ref::random_image<T>(9, 8, rng);
    const Image<T> fft_results[] = {gaussian_blur(img, 3.0, Border::reflect, Method::fft),
                                    filter2d(img, k, Border::reflect101, Method::fft),
                                    sobel(img, 1, 0, 5, Border::reflect101, Method::fft)};
    const Image<T> direct_results[] = {gaussian_blur(img, 3.0, Border::reflect, Method::direct),
                                       filter2d(img, k, Border::reflect101, Method::direct),
                                       sobel(img, 1, 0, 5, Border::reflect101, Method::direct)};
    for (std::size_t i = 0; i < std::size(fft_results); ++i) {
        CAPTURE(i);
        REQUIRE(finite(direct_results[i]));
        CHECK(finite(fft_results[i]));
        CHECK(ref::rel_err(fft_results[i], direct_results[i]) < tol);
    }
    // Frequency-domain filters: linear, so the huge image's result is the ordinary one's scaled.
    Image<T> small = Image<T>(img.view().subview(0, 0, 20, 17));
    const Image<T> low = lowpass(small, 0.3, FilterShape::butterworth);
    for (T& v : small.values()) v /= big;
    Image<T> want = lowpass(small, 0.3, FilterShape::butterworth);
    for (T& v : want.values()) v *= big;
    CHECK(finite(low));
    CHECK(ref::rel_err(low, want) < tol);
    // log_spectrum of the huge image: |F| passes the largest value, its logarithm does not; in
    // float it equals the double computation up to float's rounding of logarithms near 80 before
    // the stretch to 0..1 (1.9e-5 here; 2.7e-6 for the same image near 1).
    const Image<T> spectrum = log_spectrum(img);
    CHECK(finite(spectrum));
    if constexpr (std::is_same_v<T, float>) {
        const Image<double> wide = log_spectrum(image_cast<double>(img));
        CHECK(ref::rel_err(image_cast<double>(spectrum), wide) < 1e-4);
        Image<float> ordinary = img;
        for (float& v : ordinary.values()) v /= big;
        CHECK(ref::rel_err(image_cast<double>(log_spectrum(ordinary)), log_spectrum(image_cast<double>(ordinary))) <
              1e-4);
    }
}
