// One workload of docs/benchmarks.md called in a process of its own, as a program that convolves
// once pays for it: the data made first, then each call timed with the page faults it took
// (getrusage; a minor fault is one first-touched 4 KiB page), one line per call:
//
//   fftconv 1 seconds 0.1234 minflt 9731 majflt 0 output_mib 36.07
//
//   once W3|W3f|W4|W5|W6|W8|W9          fftconv's one-shot call (convolve, match_template,
//                                       lowpass, filter2d)
//   once W3|W3f|W4|W5|W6|W8|W9 --peer   the bound or peer the same way: raw FFTW (raw_fftw.hpp)
//                                       for W3, W3f, W4 and W6, cv::matchTemplate for W5 and W9,
//                                       cv::filter2D for W8
//   once ... --calls N            N calls in a row (default 2: the first, then a warm one)
//
// The raw FFTW bounds plan with FFTW_MEASURE before the clock (the planner writes their buffers,
// so those are resident, as in a program that keeps them) and allocate their output inside it, as
// fftconv's one-shot calls do. W3 is 2048² ⊛ 127² full (double; W3f float), padded to 2240² for
// the bound; W4 4,194,304 ⊛ 513 doubles, full, overlap-save blocks of 4096; W5 ccoeff_normed, a
// 64² template in 1024² float; W6 an ideal low-pass of radius 0.1·min(H, W) on 2048² float, wrap;
// the large-kernel pair: W8 filter2d of 4096² float with a 31² kernel (OpenCV's default border,
// reflect101), W9 ccoeff_normed with a 256² template in 4096² float.
// once_peers.py runs these in fresh processes, alternating fftconv and its peer.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"
#include "one_call.hpp"
#include "raw_fftw.hpp"

using namespace fftconv;

namespace {

// Times `calls` calls of `fn`, each printed with its page faults; `output_bytes` is what one call
// returns, printed beside them so that fresh memory can be read against it.
void run(const char* who, int calls, double output_bytes, const std::function<void()>& fn) {
    for (int c = 1; c <= calls; ++c) {
        const CallSample s = measure_call(fn);
        std::printf("%s %d seconds %.6f minflt %ld majflt %ld output_mib %.2f\n", who, c, s.seconds, s.minflt, s.majflt,
                    output_bytes / (1024.0 * 1024.0));
        std::fflush(stdout);
    }
}

// W3: the full 2D convolution, or the bound: the kernel and the image zero-padded to pad²,
// transformed, multiplied, transformed back, the full window copied scaled into a new Image.
template <class T>
void w3(bool peer, int calls) {
    const auto img = random_image<T>(2048, 2048, 1);
    const auto ker = random_image<T>(127, 127, 3);
    const std::ptrdiff_t rows = 2048 + 127 - 1, cols = rows;
    const double out_bytes = static_cast<double>(rows * cols) * sizeof(T);
    if (!peer) {
        run("fftconv", calls, out_bytes, [&] { (void)convolve(img, ker, Mode::full); });
        return;
    }
    const std::ptrdiff_t pad = 2240;
    RawFft<T> f(pad, pad, FFTW_MEASURE);
    std::vector<std::complex<T>> kspec(f.half());
    run("raw-fftw", calls, out_bytes, [&] {
        f.load(ker.view());
        f.forward();
        std::copy_n(f.spectrum(), f.half(), kspec.data());
        f.load(img.view());
        f.forward();
        f.multiply(kspec.data());
        f.inverse();
        Image<T> out(rows, cols);
        const T scale = T(1) / static_cast<T>(pad * pad);
        for (std::ptrdiff_t r = 0; r < rows; ++r)
            for (std::ptrdiff_t c = 0; c < cols; ++c) out(r, c) = f.real()[r * pad + c] * scale;
    });
}

// W4: the full 1D convolution, or the bound: overlap-save in blocks of 4096 with the kernel's
// spectrum made in the call, into a new vector.
void w4(bool peer, int calls) {
    const std::ptrdiff_t n = 4194304, k = 513, full = n + k - 1;
    const auto xi = random_image<double>(1, n, 4);
    const auto hi = random_image<double>(1, k, 5);
    const std::span<const double> x = xi.values(), h = hi.values();
    const double out_bytes = static_cast<double>(full) * sizeof(double);
    if (!peer) {
        run("fftconv", calls, out_bytes, [&] { (void)convolve(x, h); });
        return;
    }
    const std::ptrdiff_t N = 4096, step = N - (k - 1);
    RawFft<double> f(1, N, FFTW_MEASURE);
    std::vector<std::complex<double>> kspec(f.half());
    run("raw-fftw", calls, out_bytes, [&] {
        std::fill_n(f.real(), N, 0.0);
        std::copy(h.begin(), h.end(), f.real());
        f.forward();
        for (std::size_t i = 0; i < f.half(); ++i) kspec[i] = f.spectrum()[i] / static_cast<double>(N);
        std::vector<double> out(static_cast<std::size_t>(full));
        for (std::ptrdiff_t s = 0; s < full; s += step) {
            double* buf = f.real();
            const std::ptrdiff_t lo = s - (k - 1);
            for (std::ptrdiff_t i = 0; i < N; ++i) {
                const std::ptrdiff_t j = lo + i;
                buf[i] = (j >= 0 && j < n) ? x[static_cast<std::size_t>(j)] : 0.0;
            }
            f.forward();
            f.multiply(kspec.data());
            f.inverse();
            std::copy_n(buf + (k - 1), std::min(step, full - s), out.data() + s);
        }
    });
}

// W5 (1024², 64²) and W9 (4096², 256²): match_template against cv::matchTemplate, both returning a
// new score map.
void match(bool peer, int calls, std::ptrdiff_t n, std::ptrdiff_t side) {
    const auto img = random_image<float>(n, n, 6);
    const Image<float> templ(img.view().subview(n * 2 / 5, n / 2, side, side));
    const double out_bytes = static_cast<double>((n - side + 1) * (n - side + 1)) * sizeof(float);
    if (!peer) {
        run("fftconv", calls, out_bytes, [&] { (void)match_template(img, templ, MatchMethod::ccoeff_normed); });
        return;
    }
    const cv::Mat src = to_mat(img), t = to_mat(templ);
    run("opencv", calls, out_bytes, [&] {
        cv::Mat dst;
        cv::matchTemplate(src, t, dst, cv::TM_CCOEFF_NORMED);
    });
}

// W8: filter2d with a 31² random kernel against cv::filter2D, OpenCV's default border.
void w8(bool peer, int calls) {
    const auto img = random_image<float>(4096, 4096, 8);
    const auto ker = random_image<float>(31, 31, 9);
    const double out_bytes = 4096.0 * 4096.0 * sizeof(float);
    if (!peer) {
        run("fftconv", calls, out_bytes, [&] { (void)filter2d(img.view(), ker.view(), Border::reflect101); });
        return;
    }
    const cv::Mat src = to_mat(img), k = to_mat(ker);
    run("opencv", calls, out_bytes, [&] {
        cv::Mat dst;
        cv::filter2D(src, dst, -1, k);
    });
}

// W6: the ideal low-pass with wrap borders, or the bound: r2c and c2r of the image, the result
// copied scaled into a new Image (no mask: the bound is the transforms alone).
void w6(bool peer, int calls) {
    const auto img = random_image<float>(2048, 2048, 7);
    const double out_bytes = 2048.0 * 2048.0 * sizeof(float);
    if (!peer) {
        run("fftconv", calls, out_bytes, [&] { (void)lowpass(img, 0.2, FilterShape::ideal, 2, Border::wrap); });
        return;
    }
    RawFft<float> f(2048, 2048, FFTW_MEASURE);
    run("raw-fftw", calls, out_bytes, [&] {
        f.load(img.view());
        f.forward();
        f.inverse();
        Image<float> out(2048, 2048);
        const float scale = 1.0f / (2048.0f * 2048.0f);
        for (std::ptrdiff_t r = 0; r < 2048; ++r)
            for (std::ptrdiff_t c = 0; c < 2048; ++c) out(r, c) = f.real()[r * 2048 + c] * scale;
    });
}

}  // namespace

int main(int argc, char** argv) {
    std::string workload;
    bool peer = false;
    int calls = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--peer")
            peer = true;
        else if (a == "--calls" && i + 1 < argc)
            calls = std::atoi(argv[++i]);
        else if (workload.empty() && a.size() > 1 && a[0] == 'W')
            workload = a;
        else {
            std::fprintf(stderr, "once: unknown argument '%s'\n", a.c_str());
            return 2;
        }
    }
    cv::setNumThreads(1);
    if (workload == "W3")
        w3<double>(peer, calls);
    else if (workload == "W3f")
        w3<float>(peer, calls);
    else if (workload == "W4")
        w4(peer, calls);
    else if (workload == "W5")
        match(peer, calls, 1024, 64);
    else if (workload == "W6")
        w6(peer, calls);
    else if (workload == "W8")
        w8(peer, calls);
    else if (workload == "W9")
        match(peer, calls, 4096, 256);
    else {
        std::fprintf(stderr, "once: give one workload of W3, W3f, W4, W5, W6, W8, W9\n");
        return 2;
    }
    return 0;
}
