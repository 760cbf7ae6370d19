// fftconv-compare: convolve an image with kernels of several sizes both ways (direct and FFT) and
// print, for each, how far apart the two results are and how long each took.
//
//   fftconv-compare IMAGE [KSIZE ...]        (default sizes: 3 7 15 31 63)
//
// The kernel is a normalised random KSIZE x KSIZE kernel (fixed seed), the mode is `same`, the
// data float32 in [0, 1]; times are medians of repeated runs on one core.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

double median_seconds(auto&& fn) {
    using clock = std::chrono::steady_clock;
    std::vector<double> times;
    const auto start = clock::now();
    while (times.size() < 3 ||
           (std::chrono::duration<double>(clock::now() - start).count() < 0.5 && times.size() < 50)) {
        const auto t0 = clock::now();
        fn();
        times.push_back(std::chrono::duration<double>(clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

Image<float> random_kernel(int size) {
    std::mt19937 rng(size);
    std::uniform_real_distribution<float> u(0, 1);
    Image<float> k(size, size);
    float sum = 0;
    for (float& v : k.values()) sum += v = u(rng);
    for (float& v : k.values()) v /= sum;
    return k;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help") {
        std::fprintf(argc < 2 ? stderr : stdout, "usage: %s IMAGE [KSIZE ...]\n", argv[0]);
        return argc < 2 ? 2 : 0;
    }
    const cv::Mat gray = cv::imread(argv[1], cv::IMREAD_GRAYSCALE);
    if (gray.empty()) {
        std::fprintf(stderr, "fftconv-compare: cannot read an image from '%s'\n", argv[1]);
        return 1;
    }
    Image<float> img(gray.rows, gray.cols);
    for (int r = 0; r < gray.rows; ++r)
        for (int c = 0; c < gray.cols; ++c) img(r, c) = gray.at<unsigned char>(r, c) / 255.0f;

    std::vector<int> sizes;
    for (int i = 2; i < argc; ++i) {
        char* end = nullptr;
        const long k = std::strtol(argv[i], &end, 10);
        if (*end != '\0' || k < 1 || k > 4096) {
            std::fprintf(stderr, "fftconv-compare: KSIZE must be a whole number from 1 to 4096, got '%s'\n", argv[i]);
            return 2;
        }
        sizes.push_back(static_cast<int>(k));
    }
    if (sizes.empty()) sizes = {3, 7, 15, 31, 63};

    std::printf("%s: %dx%d, float32, Mode::same, random normalised kernels\n", argv[1], gray.rows, gray.cols);
    std::printf("%7s  %12s  %12s  %10s  %10s  %8s  %s\n", "kernel", "max |diff|", "diff/max|out|", "direct ms",
                "fft ms", "speed-up", "automatic picks");
    for (int k : sizes) {
        const Image<float> kernel = random_kernel(k);
        const Image<float> direct = convolve(img, kernel, Mode::same, Method::direct);
        const Image<float> fft = convolve(img, kernel, Mode::same, Method::fft);
        double diff = 0, scale = 0;
        for (std::ptrdiff_t i = 0; i < direct.size(); ++i) {
            diff = std::max(diff, double(std::abs(direct.values()[i] - fft.values()[i])));
            scale = std::max(scale, double(std::abs(direct.values()[i])));
        }
        const double t_direct = median_seconds([&] { (void)convolve(img, kernel, Mode::same, Method::direct); });
        const double t_fft = median_seconds([&] { (void)convolve(img, kernel, Mode::same, Method::fft); });
        const Method pick = choose_method(img.shape(), kernel.shape(), Mode::same, ElementType::float32);
        std::printf("%3dx%-3d  %12.3g  %12.3g  %10.3f  %10.3f  %7.2fx  %s\n", k, k, diff, diff / scale, t_direct * 1e3,
                    t_fft * 1e3, t_direct / t_fft, to_string(pick));
    }
    return 0;
}
