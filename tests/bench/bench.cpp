// fftconv against its peers, in one run, one thread: OpenCV's filters, raw FFTW on the best padded
// size we can find (the physical bound of any FFT convolution), and memcpy (the memory bound).
//
//   bench                     every workload, then the goal lines
//   bench W3 W4               only these workloads (W7, the 3D volume, takes about a minute)
//   bench --threads N         also time fftconv with N threads (W2, W3) against one thread
//   bench --csv DIR           write DIR/workloads.csv (the automatic-method sweep is calibrate --sweep)
//   bench --quick             fewer repetitions (a smoke run; the ratios get noisier)
//
// Each time is the median of repeated runs after a warm-up; "first" is the first call in the
// process (plans made, caches cold), which is what a one-shot command-line run pays.
#include <fftw3.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"
#include "one_call.hpp"
#include "raw_fftw.hpp"

using namespace fftconv;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

bool quick = false;

struct Timing {
    double first = 0;   // the first call, planning and cold caches included
    double median = 0;  // steady state
};

// First call timed on its own, one warm-up, then the median of runs filling ~1 s (5 to 25 runs).
Timing time_it(const std::function<void()>& fn) {
    Timing t;
    auto t0 = clock_type::now();
    fn();
    t.first = seconds_since(t0);
    fn();
    std::vector<double> runs;
    const double budget = quick ? 0.2 : 1.0;
    const std::size_t min_runs = quick ? 3 : 5, max_runs = quick ? 5 : 25;
    const auto start = clock_type::now();
    while (runs.size() < min_runs || (seconds_since(start) < budget && runs.size() < max_runs)) {
        t0 = clock_type::now();
        fn();
        runs.push_back(seconds_since(t0));
    }
    std::nth_element(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(runs.size() / 2), runs.end());
    t.median = runs[runs.size() / 2];
    return t;
}

// ---------------------------------------------------------------------------------------------
// Data: the camera sample resized (bilinear) to the workload's size; kernels random, fixed seed.

cv::Mat camera_gray() {
    static const cv::Mat m = [] {
        const std::string path = std::string(FFTCONV_SAMPLES_DIR) + "/camera.png";
        cv::Mat g = cv::imread(path, cv::IMREAD_GRAYSCALE);
        if (g.empty()) throw std::runtime_error("bench: cannot read " + path);
        return g;
    }();
    return m;
}

template <Real T>
Image<T> camera(std::ptrdiff_t rows, std::ptrdiff_t cols) {
    cv::Mat resized, converted;
    cv::resize(camera_gray(), resized, cv::Size(static_cast<int>(cols), static_cast<int>(rows)), 0, 0,
               cv::INTER_LINEAR);
    resized.convertTo(converted, std::is_same_v<T, float> ? CV_32F : CV_64F, 1.0 / 255);
    return to_image<T>(converted);
}

// Minor and major page faults of each call of a timed function (getrusage): a fresh page costs
// a fault, so these count the first-touched memory a call pays for.
struct Faults {
    long first_minor = -1;    // the first call's
    std::vector<long> minor;  // every later call's
    long major = 0;           // all calls together
    int calls = 0;

    std::function<void()> around(std::function<void()> fn) {
        return [this, fn = std::move(fn)] {
            rusage before{}, after{};
            getrusage(RUSAGE_SELF, &before);
            fn();
            getrusage(RUSAGE_SELF, &after);
            const long m = after.ru_minflt - before.ru_minflt;
            if (calls++ == 0)
                first_minor = m;
            else
                minor.push_back(m);
            major += after.ru_majflt - before.ru_majflt;
        };
    }
    long median_minor() const {
        if (minor.empty()) return first_minor;
        std::vector<long> v = minor;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return v[v.size() / 2];
    }
    std::string note() const {
        return "page faults/call " + std::to_string(median_minor()) + " minor (first call " +
               std::to_string(first_minor) + "), " + std::to_string(major) + " major in " + std::to_string(calls) +
               " calls";
    }
};

// ---------------------------------------------------------------------------------------------
// Raw FFTW, the bound: the same convolution written straight against FFTW with no library around
// it (raw_fftw.hpp), padded to the fastest size found by trying candidates, plans made with
// FFTW_MEASURE.

bool smooth7(std::ptrdiff_t n) {
    for (std::ptrdiff_t p : {2, 3, 5, 7})
        while (n % p == 0) n /= p;
    return n == 1;
}

// Up to `count` 7-smooth sizes from n up (the candidates for the bound's padding).
std::vector<std::ptrdiff_t> smooth_sizes(std::ptrdiff_t n, std::size_t count) {
    std::vector<std::ptrdiff_t> out;
    for (std::ptrdiff_t m = n; out.size() < count; ++m)
        if (smooth7(m)) out.push_back(m);
    return out;
}

// The fastest raw FFTW full 2D convolution of image and kernel: candidate square paddings screened
// with FFTW_ESTIMATE, the best three planned with FFTW_MEASURE; returns the best time and size.
template <class R>
std::pair<Timing, std::ptrdiff_t> raw_fft_convolution(const Image<R>& image, const Image<R>& kernel) {
    const std::ptrdiff_t full_r = image.rows() + kernel.rows() - 1, full_c = image.cols() + kernel.cols() - 1;
    const auto cands = smooth_sizes(std::max(full_r, full_c), 8);
    const auto time_size = [&](std::ptrdiff_t n, unsigned flags) {
        RawFft<R> f(full_r == 1 ? 1 : n, n, flags);
        std::vector<std::complex<R>> kspec(f.half());
        f.load(kernel.view());
        f.forward();
        std::copy_n(f.spectrum(), f.half(), kspec.data());
        const Timing t = time_it([&] {
            f.load(image.view());
            f.forward();
            f.multiply(kspec.data());
            f.inverse();
        });
        return t;
    };
    std::vector<std::pair<double, std::ptrdiff_t>> screened;
    for (std::ptrdiff_t n : cands) screened.push_back({time_size(n, FFTW_ESTIMATE).median, n});
    std::sort(screened.begin(), screened.end());
    Timing best{0, 1e30};
    std::ptrdiff_t best_n = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(3, screened.size()); ++i) {
        const auto t0 = clock_type::now();
        const std::ptrdiff_t n = screened[i].second;
        Timing t = time_size(n, FFTW_MEASURE);
        t.first = seconds_since(t0);  // the bound's "first": FFTW_MEASURE planning and all its timed runs
        if (t.median < best.median) best = t, best_n = n;
    }
    Raw<R>::forget();
    return {best, best_n};
}

// Overlap-save with raw FFTW: blocks of N (a power of two or 7-smooth), kernel spectrum once,
// N tried over a range and the fastest kept. Full 1D convolution of x (length n) with h (k taps).
template <class R>
std::pair<Timing, std::ptrdiff_t> raw_overlap_save(const std::vector<R>& x, const std::vector<R>& h,
                                                   std::vector<R>& out) {
    const auto n = static_cast<std::ptrdiff_t>(x.size()), k = static_cast<std::ptrdiff_t>(h.size());
    const std::ptrdiff_t full = n + k - 1;
    out.assign(static_cast<std::size_t>(full), R(0));
    Timing best{0, 1e30};
    std::ptrdiff_t best_n = 0;
    for (std::ptrdiff_t N = 1024; N <= 262144; N *= 2) {
        if (N < 2 * k) continue;
        RawFft<R> f(1, N, FFTW_MEASURE);
        std::vector<std::complex<R>> kspec(f.half());
        std::fill_n(f.real(), N, R(0));
        std::copy(h.begin(), h.end(), f.real());
        f.forward();
        for (std::size_t i = 0; i < f.half(); ++i) kspec[i] = f.spectrum()[i] / static_cast<R>(N);
        const std::ptrdiff_t step = N - (k - 1);
        const Timing t = time_it([&] {
            // Output block [s, s + step) needs x[s - (k-1), s + step).
            for (std::ptrdiff_t s = 0; s < full; s += step) {
                R* buf = f.real();
                const std::ptrdiff_t lo = s - (k - 1);
                for (std::ptrdiff_t i = 0; i < N; ++i) {
                    const std::ptrdiff_t j = lo + i;
                    buf[i] = (j >= 0 && j < n) ? x[static_cast<std::size_t>(j)] : R(0);
                }
                f.forward();
                f.multiply(kspec.data());
                f.inverse();
                const std::ptrdiff_t len = std::min(step, full - s);
                std::copy_n(buf + (k - 1), len, out.data() + s);
            }
        });
        if (t.median < best.median) best = t, best_n = N;
    }
    Raw<R>::forget();
    return {best, best_n};
}

// The rank-3 bound: FFTW's own 3D r2c and c2r plans on an n x n x n cube, kept with their
// buffers between calls (the input's and the kernel's transforms into two spectra, one real
// buffer). `one_shot` is a whole call's work: the kernel zero-padded and transformed, the input
// the same, the product, the inverse and the window copied out, scaled by 1/n³.
template <class R>
class RawVolume {
public:
    using F = Raw<R>;
    using cpx = typename F::cpx;
    RawVolume(std::ptrdiff_t n, unsigned flags) : n_(n) {
        const auto m = static_cast<std::size_t>(n);
        count_ = m * m * m;
        half_ = m * m * (m / 2 + 1);
        real_ = static_cast<R*>(F::alloc(sizeof(R) * count_));
        spec_ = static_cast<cpx*>(F::alloc(sizeof(cpx) * half_));
        kspec_ = static_cast<cpx*>(F::alloc(sizeof(cpx) * half_));
        const int d[3] = {static_cast<int>(n), static_cast<int>(n), static_cast<int>(n)};
        fwd_ = F::r2c(3, d, real_, spec_, flags | FFTW_DESTROY_INPUT);
        kfwd_ = F::r2c(3, d, real_, kspec_, flags | FFTW_DESTROY_INPUT);
        inv_ = F::c2r(3, d, spec_, real_, flags | FFTW_DESTROY_INPUT);
        // Every page touched here, so that no timed call pays a first touch.
        std::fill_n(real_, count_, R(0));
        std::fill_n(reinterpret_cast<R*>(spec_), 2 * half_, R(0));
        std::fill_n(reinterpret_cast<R*>(kspec_), 2 * half_, R(0));
    }
    RawVolume(const RawVolume&) = delete;
    RawVolume& operator=(const RawVolume&) = delete;
    ~RawVolume() {
        F::destroy(fwd_);
        F::destroy(kfwd_);
        F::destroy(inv_);
        F::free(real_);
        F::free(spec_);
        F::free(kspec_);
    }
    std::ptrdiff_t n() const { return n_; }

    // Zero-padded copy of a row-major block into the corner of the real buffer.
    void load(View<const R> src) {
        const std::ptrdiff_t n = n_;
        for (std::ptrdiff_t i = 0; i < n; ++i)
            for (std::ptrdiff_t j = 0; j < n; ++j) {
                R* line = real_ + (i * n + j) * n;
                if (i < src.shape[0] && j < src.shape[1]) {
                    const std::ptrdiff_t k = src.shape[2];
                    std::copy_n(src.data + i * src.strides[0] + j * src.strides[1], k, line);
                    std::fill(line + k, line + n, R(0));
                } else {
                    std::fill_n(line, n, R(0));
                }
            }
    }
    void kernel_spectrum(View<const R> kernel) {
        load(kernel);
        F::run(kfwd_);
    }
    // The input's transform, the product, the inverse and out = the window from `offset` on.
    void apply(View<const R> input, View<R> out, std::ptrdiff_t offset) {
        load(input);
        F::run(fwd_);
        multiply_spectrum(reinterpret_cast<R*>(spec_), reinterpret_cast<const R*>(kspec_), half_);
        F::run(inv_);
        const R scale = R(1) / static_cast<R>(count_);
        const std::ptrdiff_t n = n_;
        for (std::ptrdiff_t i = 0; i < out.shape[0]; ++i)
            for (std::ptrdiff_t j = 0; j < out.shape[1]; ++j) {
                const R* from = real_ + ((i + offset) * n + j + offset) * n + offset;
                R* to = out.data + i * out.strides[0] + j * out.strides[1];
                for (std::ptrdiff_t c = 0; c < out.shape[2]; ++c) to[c] = from[c] * scale;
            }
    }
    void one_shot(View<const R> input, View<const R> kernel, View<R> out, std::ptrdiff_t offset) {
        kernel_spectrum(kernel);
        apply(input, out, offset);
    }

private:
    std::ptrdiff_t n_;
    std::size_t count_ = 0, half_ = 0;
    R* real_ = nullptr;
    cpx *spec_ = nullptr, *kspec_ = nullptr;
    typename F::plan fwd_{}, kfwd_{}, inv_{};
};

// ---------------------------------------------------------------------------------------------
// Reporting

struct Row {
    std::string workload, contender;
    Timing t;
    std::string note;
};
std::vector<Row> rows;

struct Goal {
    std::string text;  // what is compared
    double ratio;      // measured
    double target;     // at least (faster_than) or at most (within)
    bool at_least;
};
std::vector<Goal> goals;

void record(const std::string& w, const std::string& who, Timing t, const std::string& note = "") {
    rows.push_back({w, who, t, note});
    std::printf("  %-34s %10.2f ms   first %10.2f ms  %s\n", who.c_str(), t.median * 1e3, t.first * 1e3, note.c_str());
    std::fflush(stdout);
}

// peer / fftconv: above 1 means fftconv is faster.
void faster_than(const std::string& w, const std::string& peer, double peer_s, double ours_s, double target) {
    goals.push_back({w + ": " + peer + " / fftconv", peer_s / ours_s, target, true});
}
// fftconv / bound: at most `target`.
void within(const std::string& w, const std::string& bound, double bound_s, double ours_s, double target) {
    goals.push_back({w + ": fftconv / " + bound, ours_s / bound_s, target, false});
}

void header(const char* id, const char* what) {
    std::printf("\n%s  %s\n", id, what);
    std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// The workloads

void memcpy_row(const std::string& w, std::size_t bytes) {
    std::vector<char> src(bytes, 1), dst(bytes);
    record(w, "memcpy (memory bound)", time_it([&] { std::memcpy(dst.data(), src.data(), bytes); }));
}

void w1() {
    header("W1", "Sobel dx=1, 3x3, same size, reflect101, 2048x2048 float");
    const auto img = camera<float>(2048, 2048);
    const cv::Mat src = to_mat(img);
    // Into a caller's buffer, as cv::Sobel's dst is reused below; the allocating form also shown.
    Image<float> out(img.shape());
    const Timing ours = time_it([&] { sobel(img.view(), out.view(), 1, 0, 3, Border::reflect101); });
    record("W1", "fftconv::sobel (into out)", ours);
    record("W1", "fftconv::sobel (returns Image)", time_it([&] { (void)sobel(img, 1, 0, 3, Border::reflect101); }));
    cv::Mat dst;
    const Timing cv = time_it([&] { cv::Sobel(src, dst, CV_32F, 1, 0, 3, 1, 0, cv::BORDER_REFLECT_101); });
    record("W1", "cv::Sobel", cv);
    memcpy_row("W1", sizeof(float) * 2048 * 2048);
    faster_than("W1", "cv::Sobel", cv.median, ours.median, 1.3);
}

void w2() {
    header("W2", "Gaussian blur sigma 4 (33x33), same size, reflect, 4096x4096 float");
    const auto img = camera<float>(4096, 4096);
    const cv::Mat src = to_mat(img);
    Image<float> out(img.shape());
    const Timing ours = time_it([&] { gaussian_blur(img.view(), out.view(), 4.0, Border::reflect); });
    record("W2", "fftconv::gaussian_blur (into out)", ours);
    record("W2", "fftconv::gaussian_blur (returns Image)",
           time_it([&] { (void)gaussian_blur(img, 4.0, Border::reflect); }));
    cv::Mat dst;
    const Timing cv = time_it([&] { cv::GaussianBlur(src, dst, cv::Size(33, 33), 4, 4, cv::BORDER_REFLECT); });
    record("W2", "cv::GaussianBlur", cv);
    memcpy_row("W2", sizeof(float) * 4096 * 4096);
    faster_than("W2", "cv::GaussianBlur", cv.median, ours.median, 1.5);
}

template <Real T>
void w3() {
    const char* type = std::is_same_v<T, float> ? "float" : "double";
    const std::string id = std::string("W3 ") + type;
    header("W3", (std::string("full 2D convolution, 127x127 random kernel, 2048x2048 ") + type).c_str());
    const auto img = camera<T>(2048, 2048);
    const auto ker = random_image<T>(127, 127, 3);
    const Timing estimate = time_it([&] { (void)convolve(img, ker, Mode::full); });
    record(id, "fftconv::convolve (estimate plans)", estimate);
    // Measured plans: what a program that convolves this shape repeatedly (or loads a wisdom
    // file) gets. "first" includes FFTW_MEASURE's planning.
    set_planner_effort(PlannerEffort::measure);
    const Timing measured = time_it([&] { (void)convolve(img, ker, Mode::full); });
    set_planner_effort(PlannerEffort::estimate);
    record(id, "fftconv::convolve (measured plans)", measured);
    // The bound's work exactly: the kernel spectrum made once, forward + multiply + inverse into a
    // buffer the caller keeps. "first" includes building the Convolver (planning, kernel FFT).
    Image<T> out(img.rows() + ker.rows() - 1, img.cols() + ker.cols() - 1);
    std::optional<Convolver<T>> plan;
    const Timing ours = time_it([&] {
        if (!plan)
            plan.emplace(img.shape(), ker.view(), Mode::full,
                         typename Convolver<T>::Options{.method = Method::fft, .effort = PlannerEffort::measure});
        plan->apply(img.view(), out.view());
    });
    record(id, "fftconv::Convolver (measured, into out)", ours);
    // cv::filter2D is a same-size correlation with a border (it switches to its DFT path for
    // kernels this large): a different output window, but the same work, so it shows the class.
    const cv::Mat src = to_mat(img), k = to_mat(ker);
    cv::Mat dst;
    const Timing cv = time_it([&] { cv::filter2D(src, dst, -1, k, cv::Point(-1, -1), 0, cv::BORDER_CONSTANT); });
    record(id, "cv::filter2D (same size)", cv);
    const auto [raw, n] = raw_fft_convolution(img, ker);
    record(id, "raw FFTW r2c*c2r (bound)", raw, "padded " + std::to_string(n) + "x" + std::to_string(n));
    faster_than(id, "cv::filter2D", cv.median, estimate.median, 1.0);
    within(id + " (Convolver, measured plans)", "raw FFTW", raw.median, ours.median, 1.15);
    within(id + " (one-shot, measured plans)", "raw FFTW", raw.median, measured.median, 1.15);
    within(id + " (one-shot, estimate plans)", "raw FFTW", raw.median, estimate.median, 1.15);
}

void w4() {
    header("W4", "full 1D convolution, 513 taps, 4,194,304 doubles");
    const std::size_t n = 4194304, k = 513;
    const auto xi = random_image<double>(1, static_cast<std::ptrdiff_t>(n), 4);
    const auto hi = random_image<double>(1, static_cast<std::ptrdiff_t>(k), 5);
    const std::vector<double> x(xi.values().begin(), xi.values().end()), h(hi.values().begin(), hi.values().end());
    const Timing once = time_it([&] { (void)convolve(std::span<const double>(x), std::span<const double>(h)); });
    record("W4", "fftconv::convolve (returns a vector)", once);
    // The bound's work exactly: kernel spectrum once, output into a buffer the caller keeps.
    std::vector<double> into(n + k - 1);
    std::optional<Convolver<double>> plan;
    const Timing ours = time_it([&] {
        if (!plan)
            plan.emplace(n, std::span<const double>(h), Mode::full, Convolver<double>::Options{.method = Method::fft});
        plan->apply(std::span<const double>(x), std::span<double>(into));
    });
    record("W4", "fftconv::Convolver (into out)", ours);
    std::vector<double> out;
    const auto [ols, block] = raw_overlap_save(x, h, out);
    record("W4", "raw FFTW overlap-save (bound)", ols, "block " + std::to_string(block));
    // One transform over the whole signal: what scipy.signal.fftconvolve does.
    {
        const std::ptrdiff_t N = 4194304 + 1024;  // 7-smooth >= n + k - 1 = 4194816
        RawFft<double> f(1, N, FFTW_ESTIMATE);
        std::vector<std::complex<double>> kspec(f.half());
        f.load(ImageView<const double>(h.data(), 1, static_cast<std::ptrdiff_t>(k)));
        f.forward();
        std::copy_n(f.spectrum(), f.half(), kspec.data());
        const Timing one = time_it([&] {
            f.load(ImageView<const double>(x.data(), 1, static_cast<std::ptrdiff_t>(n)));
            f.forward();
            f.multiply(kspec.data());
            f.inverse();
        });
        record("W4", "raw FFTW, one transform", one, "padded " + std::to_string(N));
    }
    within("W4 (Convolver)", "raw FFTW overlap-save", ols.median, ours.median, 1.2);
    within("W4 (one-shot)", "raw FFTW overlap-save", ols.median, once.median, 1.2);
}

void w5() {
    header("W5", "match_template ccoeff_normed, 64x64 template, 1024x1024 float");
    const auto img = camera<float>(1024, 1024);
    const Image<float> templ(img.view().subview(400, 500, 64, 64));
    const Timing ours = time_it([&] { (void)match_template(img, templ, MatchMethod::ccoeff_normed); });
    record("W5", "fftconv::match_template", ours);
    const cv::Mat src = to_mat(img), t = to_mat(templ);
    cv::Mat dst;
    const Timing cv = time_it([&] { cv::matchTemplate(src, t, dst, cv::TM_CCOEFF_NORMED); });
    record("W5", "cv::matchTemplate", cv);
    faster_than("W5", "cv::matchTemplate", cv.median, ours.median, 1.5);
}

void w6() {
    header("W6", "ideal low-pass, radius 0.1*min(H,W), real output, 2048x2048 float");
    const auto img = camera<float>(2048, 2048);
    // Radius 204.8 frequency bins of 1024 to Nyquist: cutoff 0.2. Border::wrap is the plain
    // periodic filter on the image's own size, as a DFT-based low-pass in OpenCV or numpy is.
    const Timing ours = time_it([&] { (void)lowpass(img, 0.2, FilterShape::ideal, 2, Border::wrap); });
    record("W6", "fftconv::lowpass (wrap)", ours);
    set_planner_effort(PlannerEffort::measure);
    const Timing measured = time_it([&] { (void)lowpass(img, 0.2, FilterShape::ideal, 2, Border::wrap); });
    set_planner_effort(PlannerEffort::estimate);
    record("W6", "fftconv::lowpass (wrap, measured plans)", measured);
    const Timing padded = time_it([&] { (void)lowpass(img, 0.2, FilterShape::ideal, 2, Border::reflect); });
    record("W6", "fftconv::lowpass (reflect padding)", padded);
    const cv::Mat src = to_mat(img);
    {
        cv::Mat mask(2048, 2048, CV_32FC2, cv::Scalar(0, 0));
        for (int r = 0; r < 2048; ++r)
            for (int c = 0; c < 2048; ++c) {
                const double u = r <= 1024 ? r : r - 2048, v = c <= 1024 ? c : c - 2048;
                if (std::hypot(u, v) <= 204.8) mask.at<cv::Vec2f>(r, c) = cv::Vec2f(1, 0);
            }
        cv::Mat spec, back;
        const Timing cv = time_it([&] {
            cv::dft(src, spec, cv::DFT_COMPLEX_OUTPUT);
            cv::mulSpectrums(spec, mask, spec, 0);
            cv::idft(spec, back, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
        });
        record("W6", "cv::dft * mask, cv::idft", cv);
        faster_than("W6", "cv::dft", cv.median, ours.median, 1.0);
    }
    RawFft<float> f(2048, 2048, FFTW_MEASURE);
    const Timing raw = time_it([&] {
        f.load(img.view());
        f.forward();
        f.inverse();
    });
    Raw<float>::forget();
    record("W6", "raw FFTW r2c+c2r (bound)", raw, "FFTW_MEASURE");
    within("W6 (measured plans)", "raw FFTW r2c+c2r", raw.median, measured.median, 1.2);
    within("W6 (estimate plans)", "raw FFTW r2c+c2r", raw.median, ours.median, 1.2);
}

// Largest |a - b| over the largest |b|.
double relative_difference(const Array<float>& a, const Array<float>& b) {
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.values().size(); ++i) {
        diff = std::max(diff, std::abs(static_cast<double>(a.values()[i]) - static_cast<double>(b.values()[i])));
        scale = std::max(scale, std::abs(static_cast<double>(b.values()[i])));
    }
    return diff / scale;
}

// W7's contenders run interleaved, one call each per round, so that a shared machine's load
// falls on all of them alike; the median of the rounds is each one's time.
struct Contender {
    Contender(std::string n, std::function<void()> f) : name(std::move(n)), fn(std::move(f)) {}
    std::string name;
    std::function<void()> fn;
    Faults faults;
    Timing t;
    std::vector<double> runs;
};

void run_rounds(std::vector<Contender>& cs, int rounds) {
    for (Contender& c : cs) {
        c.fn = c.faults.around(std::move(c.fn));
        const auto t0 = clock_type::now();
        c.fn();  // the first call: planning, construction, cold caches
        c.t.first = seconds_since(t0);
    }
    for (int r = 0; r < rounds; ++r)
        for (Contender& c : cs) {
            const auto t0 = clock_type::now();
            c.fn();
            c.runs.push_back(seconds_since(t0));
        }
    for (Contender& c : cs) {
        std::vector<double> v = c.runs;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        c.t.median = v[v.size() / 2];
    }
}

void w7() {
    header("W7", "3D convolution, mode same, 31x31x31 random kernel, 256x256x256 float, one thread");
    const Extents shape{256, 256, 256}, kshape{31, 31, 31};
    const std::ptrdiff_t offset = (31 - 1) / 2;  // Mode::same keeps the full result from (k - 1) / 2
    // fftconv pads each axis to 280: its best_fast_length from 271, the shortest cyclic length
    // that leaves the same-mode window unwrapped (256 + 31 - 1 - 15).
    const std::ptrdiff_t shortest = 256 + 31 - 1 - offset, fftconv_padding = 280;
    const auto input = random_array<float>(shape, 7);
    const auto kernel = random_array<float>(kshape, 8);
    const std::size_t out_bytes = sizeof(float) * static_cast<std::size_t>(shape.size());
    set_threads(1);

    Array<float> out(shape), bound_out(shape);
    std::optional<Convolver<float>> plan, measured_plan;
    std::vector<Contender> cs;
    // A one-shot call returns a new 64 MiB Array; its FFT buffers are allocated per call too.
    cs.push_back({"fftconv::convolve (one-shot)", [&] { (void)convolve(input, kernel, Mode::same); }});
    cs.push_back({"fftconv::Convolver (into out)", [&] {
                      if (!plan) plan.emplace(shape, kernel.view(), Mode::same);
                      plan->apply(input.view(), out.view());
                  }});
    cs.push_back({"fftconv::Convolver (returns Array)", [&] { (void)plan->apply(input.view()); }});
    cs.push_back({"fftconv::Convolver (measured, into out)", [&] {
                      if (!measured_plan)
                          measured_plan.emplace(
                              shape, kernel.view(), Mode::same,
                              Convolver<float>::Options{.method = Method::fft, .effort = PlannerEffort::measure});
                      measured_plan->apply(input.view(), out.view());
                  }});
    const std::size_t fftconv_rows = cs.size();

    // The bound: cubes of the first four 7-smooth sizes from 271 (fftconv's 280 among them), each
    // planned with FFTW_MEASURE before the rounds. The goal is against the cube at fftconv's size;
    // the fastest of the four is shown beside it.
    std::vector<std::unique_ptr<RawVolume<float>>> raw;
    for (std::ptrdiff_t n : smooth_sizes(shortest, 4)) {
        const auto t0 = clock_type::now();
        raw.push_back(std::make_unique<RawVolume<float>>(n, FFTW_MEASURE));
        std::printf("  raw FFTW %ldx%ldx%ld: FFTW_MEASURE planning %.1f s%s\n", static_cast<long>(n),
                    static_cast<long>(n), static_cast<long>(n), seconds_since(t0),
                    n == fftconv_padding ? " (fftconv's size)" : "");
        RawVolume<float>* v = raw.back().get();
        cs.push_back({"raw FFTW r2c*c2r 3D " + std::to_string(n) + "^3",
                      [&, v] { v->one_shot(input.view(), kernel.view(), bound_out.view(), offset); }});
    }
    std::fflush(stdout);
    run_rounds(cs, quick ? 3 : 7);

    std::size_t best = fftconv_rows, ours = fftconv_rows;
    for (std::size_t i = fftconv_rows; i < cs.size(); ++i) {
        if (cs[i].t.median < cs[best].t.median) best = i;
        if (raw[i - fftconv_rows]->n() == fftconv_padding) ours = i;
    }
    RawVolume<float>& bound_volume = *raw[best - fftconv_rows];
    for (std::size_t i = 0; i < cs.size(); ++i) {
        std::string name = cs[i].name;
        if (i == ours) name += " (bound, fftconv's size)";
        if (i == best) name += " (fastest)";
        record("W7", name, cs[i].t, cs[i].faults.note());
    }
    const Timing once = cs[0].t, bound = cs[ours].t;
    const auto per_round = [&](std::size_t peer) {
        double lo = 1e30, hi = 0;
        for (std::size_t r = 0; r < cs[0].runs.size(); ++r) {
            lo = std::min(lo, cs[0].runs[r] / cs[peer].runs[r]);
            hi = std::max(hi, cs[0].runs[r] / cs[peer].runs[r]);
        }
        return std::pair{lo, hi};
    };
    const auto [lo, hi] = per_round(ours);
    const auto [best_lo, best_hi] = per_round(best);
    std::printf(
        "  one-shot / raw FFTW at fftconv's size %.2fx (per round %.2f to %.2f); / the fastest cube %.2fx "
        "(per round %.2f to %.2f)\n",
        once.median / bound.median, lo, hi, once.median / cs[best].t.median, best_lo, best_hi);
    bound_volume.one_shot(input.view(), kernel.view(), bound_out.view(), offset);
    const Array<float> reference = convolve(input, kernel, Mode::same);
    std::printf("  max|raw FFTW - fftconv| / max|fftconv| = %.1e\n", relative_difference(bound_out, reference));

    // The fastest cube's work with a new output per call, as a one-shot call returns one
    // (fresh pages from mmap: malloc may hand back heap pages already resident), and with the
    // kernel's spectrum made once, as a Convolver has it; interleaved with the one-shot call again.
    std::vector<Contender> more;
    more.push_back({"fftconv::convolve (one-shot, again)", [&] { (void)convolve(input, kernel, Mode::same); }});
    more.push_back({"raw FFTW, new output per call", [&] {
                        void* p = mmap(nullptr, out_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        if (p == MAP_FAILED) throw std::runtime_error("bench: mmap failed");
                        bound_volume.one_shot(input.view(), kernel.view(), View<float>(static_cast<float*>(p), shape),
                                              offset);
                        munmap(p, out_bytes);
                    }});
    more.push_back({"fftconv::Convolver (measured, again)", [&] { measured_plan->apply(input.view(), out.view()); }});
    more.push_back(
        {"raw FFTW, kernel spectrum kept", [&] { bound_volume.apply(input.view(), bound_out.view(), offset); }});
    bound_volume.kernel_spectrum(kernel.view());
    std::printf("  interleaved again, raw FFTW at the fastest cube, %ldx%ldx%ld:\n",
                static_cast<long>(bound_volume.n()), static_cast<long>(bound_volume.n()),
                static_cast<long>(bound_volume.n()));
    run_rounds(more, quick ? 3 : 5);
    for (const Contender& c : more) record("W7", c.name, c.t, c.faults.note());
    const Timing kept = more[3].t, measured_again = more[2].t;
    plan.reset();
    measured_plan.reset();
    raw.clear();
    Raw<float>::forget();
    memcpy_row("W7", out_bytes);
    within("W7", "raw FFTW r2c*c2r 3D at fftconv's size", bound.median, once.median, 1.2);
    within("W7 (Convolver, measured plans)", "raw FFTW, kernel spectrum kept", kept.median, measured_again.median, 1.2);
}

// W2 and W3 (float) with n threads against one, same run.
void threads_goals(int n) {
    header("T", ("W2 and W3 float with " + std::to_string(n) + " threads against 1").c_str());
    const auto blur_img = camera<float>(4096, 4096);
    Image<float> out(blur_img.shape());
    const auto img = camera<float>(2048, 2048);
    const auto ker = random_image<float>(127, 127, 3);
    for (auto [id, fn] : {std::pair<std::string, std::function<void()>>{
                              "W2", [&] { gaussian_blur(blur_img.view(), out.view(), 4.0, Border::reflect); }},
                          {"W3 float", [&] { (void)convolve(img, ker, Mode::full); }}}) {
        set_threads(1);
        const Timing one = time_it(fn);
        set_threads(n);
        const Timing many = time_it(fn);
        set_threads(1);
        record(id, "fftconv, 1 thread", one);
        record(id, "fftconv, " + std::to_string(n) + " threads", many);
        goals.push_back({id + ": 1 thread / " + std::to_string(n) + " threads", one.median / many.median, 1.7, true});
    }
}

void print_goals() {
    std::printf("\nGoals (ratios from this run, one thread):\n");
    int met = 0;
    for (const Goal& g : goals) {
        const bool ok = g.at_least ? g.ratio >= g.target : g.ratio <= g.target;
        met += ok;
        std::printf("  %-60s %6.2fx   goal %s %.2fx   %s\n", g.text.c_str(), g.ratio,
                    g.at_least ? ">=" : "<=", g.target, ok ? "met" : "NOT MET");
    }
    std::printf("%d of %zu goals met\n", met, goals.size());
}

void write_csv(const std::string& dir) {
    const std::string path = dir + "/workloads.csv";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("bench: cannot write " + path);
    std::fprintf(f, "workload,contender,median_ms,first_ms,note\n");
    for (const Row& r : rows)
        std::fprintf(f, "%s,%s,%.4f,%.4f,%s\n", r.workload.c_str(), r.contender.c_str(), r.t.median * 1e3,
                     r.t.first * 1e3, r.note.c_str());
    std::fprintf(f, "\ngoal,ratio,target,kind\n");
    for (const Goal& g : goals)
        std::fprintf(f, "%s,%.3f,%.2f,%s\n", g.text.c_str(), g.ratio, g.target, g.at_least ? "at_least" : "at_most");
    std::fclose(f);
    std::printf("wrote %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> only;
    std::string csv_dir;
    int thread_count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick")
            quick = true;
        else if (a == "--threads" && i + 1 < argc)
            thread_count = std::atoi(argv[++i]);
        else if (a == "--csv" && i + 1 < argc)
            csv_dir = argv[++i];
        else if (a.rfind("W", 0) == 0)
            only.insert(a);
        else {
            std::fprintf(stderr, "bench: unknown argument '%s'\n", a.c_str());
            return 2;
        }
    }
    cv::setNumThreads(1);
    const auto want = [&](const char* id) { return only.empty() || only.count(id); };
    try {
        if (want("W1")) w1();
        if (want("W2")) w2();
        if (want("W3")) {
            w3<double>();
            w3<float>();
        }
        if (want("W4")) w4();
        if (want("W5")) w5();
        if (want("W6")) w6();
        if (want("W7")) w7();
        if (thread_count > 1) threads_goals(thread_count);
        print_goals();
        if (!csv_dir.empty()) write_csv(csv_dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
