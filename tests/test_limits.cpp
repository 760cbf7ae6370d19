// Sizes and memory: shapes near PTRDIFF_MAX and SIZE_MAX, requests larger than memory, and
// allocations that fail. Every one is an Error naming the sizes (and the bytes), raised before
// anything is allocated; none allocates what it refuses.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <climits>
#include <complex>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "fft_core.hpp"
#include "fftconv/fftconv.hpp"
#include "fftw.hpp"
#include "geometry.hpp"
#include "transform_size.hpp"

using namespace fftconv;

#if defined(__SANITIZE_ADDRESS__)
#define FFTCONV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FFTCONV_ASAN 1
#endif
#endif

namespace {

constexpr std::ptrdiff_t big = PTRDIFF_MAX;
constexpr auto max_text = "9223372036854775807";

// A rows x cols view over one element: every element is *value (strides 0). Lets a test ask for a
// huge input without owning it; the calls here must refuse before reading it anyway.
template <class T>
ImageView<const T> everywhere(const T* value, std::ptrdiff_t rows, std::ptrdiff_t cols) {
    return {value, rows, cols, 0, 0};
}

// The process's resident memory in bytes (Linux), to show that a refused request allocated nothing.
std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * 4096;
}

// set_memory_limit for one scope; the machine's memory again after it.
struct MemoryLimit {
    explicit MemoryLimit(std::size_t bytes) { set_memory_limit(bytes); }
    ~MemoryLimit() { set_memory_limit(0); }
    MemoryLimit(const MemoryLimit&) = delete;
    MemoryLimit& operator=(const MemoryLimit&) = delete;
};

// The error's message, or "" when `f` did not throw Error.
template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("format_bytes: decimal units, one decimal") {
    CHECK(detail::format_bytes(512) == "512 bytes");
    CHECK(detail::format_bytes(1500) == "1.5 kB");
    CHECK(detail::format_bytes(8e10) == "80.0 GB");
    CHECK(detail::format_bytes(999999) == "1.0 MB");
    CHECK(detail::format_bytes(1.4757395258967641e20) == "147.6 EB");
    CHECK(detail::format_bytes(1e30) == "1e+30 bytes");
}

TEST_CASE("the memory limit: the machine's by default, set_memory_limit's when set") {
    const std::size_t machine = memory_limit();
    CHECK(machine > (std::size_t{64} << 20));
    {
        const MemoryLimit limit(12345);
        CHECK(memory_limit() == 12345);
    }
    CHECK(memory_limit() == machine);
}

TEST_CASE("convolve, correlate and choose_method: full results past PTRDIFF_MAX are Errors naming the sizes") {
    const double x = 1;
    const Image<double> two{{1}, {2}};
    // n + k - 1 rows = 2^63: one more than a size can hold.
    const auto tall = everywhere(&x, big, 1);
    for (Mode mode : {Mode::full, Mode::same, Mode::valid})
        for (Method method : {Method::automatic, Method::direct, Method::fft}) {
            CAPTURE(mode);
            CAPTURE(method);
            CHECK_THROWS_WITH_AS((void)convolve(tall, two.view(), mode, method),
                                 "convolve: the full result of 'a' (9223372036854775807x1) and 'b' (2x1) would be "
                                 "9223372036854775808x1, more than the largest size (9223372036854775807)",
                                 Error);
        }
    CHECK_THROWS_WITH_AS((void)correlate(two.view(), tall),
                         doctest::Contains("correlate: the full result of 'a' (2x1) and 'b' (9223372036854775807x1)"),
                         Error);

    // Each dimension fits, the elements do not: 2^32 x 2^32.
    const std::ptrdiff_t side = std::ptrdiff_t{1} << 32;
    CHECK_THROWS_WITH_AS((void)convolve(everywhere(&x, side, side), two.view()),
                         "convolve: argument 'a' is 4294967296x4294967296, 18446744073709551616 elements, more than "
                         "the largest size (9223372036854775807)",
                         Error);
    // The inputs fit, their full result does not.
    const std::ptrdiff_t half = std::ptrdiff_t{1} << 31;
    CHECK_THROWS_WITH_AS((void)convolve(everywhere(&x, half, half), everywhere(&x, half, half), Mode::same),
                         "convolve: the full result of 'a' (2147483648x2147483648) and 'b' (2147483648x2147483648) "
                         "would be 4294967295x4294967295 (18446744065119617025 elements), more than the largest size "
                         "(9223372036854775807)",
                         Error);

    // 1D: a span longer than PTRDIFF_MAX never becomes a negative length.
    const std::span<const double> endless(&x, SIZE_MAX);
    CHECK_THROWS_WITH_AS((void)convolve(endless, std::span<const double>(&x, 1)),
                         "ImageView: a span of 18446744073709551615 elements is longer than the largest size "
                         "(9223372036854775807)",
                         Error);
    const std::span<const double> longest(&x, static_cast<std::size_t>(big));
    CHECK_THROWS_WITH_AS((void)correlate(longest, std::span<const double>(&x, 3)),
                         "correlate: the full result of 'a' (length 9223372036854775807) and 'b' (length 3) would be "
                         "length 9223372036854775809, more than the largest size (9223372036854775807)",
                         Error);

    // The cost model sizes nothing it cannot hold.
    for (ElementType type : {ElementType::float32, ElementType::complex128}) {
        CHECK_THROWS_WITH_AS((void)choose_method({big, 1}, {2, 1}, Mode::full, type),
                             doctest::Contains("choose_method: the full result of 'a' (9223372036854775807x1)"), Error);
        CHECK_THROWS_WITH_AS((void)estimate_seconds({1, big}, {1, big}, Mode::valid, type, Method::fft),
                             doctest::Contains("estimate_seconds: the full result"), Error);
        CHECK_THROWS_WITH_AS((void)estimate_seconds({side, side}, {1, 1}, Mode::full, type, Method::direct),
                             doctest::Contains("estimate_seconds: argument 'a' is 4294967296x4294967296"), Error);
    }
    // Fits as a size, but no transform is that long: the FFT estimate says so.
    CHECK_THROWS_WITH_AS(
        (void)estimate_seconds({1, std::ptrdiff_t{1} << 62}, {1, 3}, Mode::full, ElementType::float64, Method::fft),
        doctest::Contains("fft: a transform of 4611686018427387906 points is longer than"), Error);
}

TEST_CASE("Convolver: input lengths and shapes past PTRDIFF_MAX are Errors naming them") {
    const std::vector<float> k{1, 2, 3};
    CHECK_THROWS_WITH_AS(Convolver<float>(SIZE_MAX, k),
                         "Convolver: argument 'input_length' is 18446744073709551615 long, more than the largest size "
                         "(9223372036854775807)",
                         Error);
    CHECK_THROWS_WITH_AS(Convolver<float>(static_cast<std::size_t>(big), k),
                         "Convolver: the full result of 'input_shape' (length 9223372036854775807) and 'kernel' "
                         "(length 3) would be length 9223372036854775809, more than the largest size "
                         "(9223372036854775807)",
                         Error);
    const Image<double> k2{{1, 2}, {3, 4}};
    CHECK_THROWS_WITH_AS(Convolver<double>(Shape{big, 2}, k2.view(), Mode::valid),
                         "Convolver: argument 'input_shape' is 9223372036854775807x2, 18446744073709551614 elements, "
                         "more than the largest size (9223372036854775807)",
                         Error);
}

TEST_CASE("Image: sizes whose bytes overflow, or past memory, are Errors naming the bytes") {
    CHECK_THROWS_WITH_AS(Image<double>(big, 2),
                         "Image: 9223372036854775807x2 elements of 8 bytes would need 147.6 EB, which overflows a "
                         "64-bit size",
                         Error);
    // The elements fit in a size, the bytes do not.
    CHECK_THROWS_WITH_AS(Image<std::complex<double>>(std::ptrdiff_t{1} << 61, 2),
                         "Image: 2305843009213693952x2 elements of 16 bytes would need 73.8 EB, which overflows a "
                         "64-bit size",
                         Error);
    const MemoryLimit limit(std::size_t{16} << 30);
    CHECK_THROWS_WITH_AS(Image<double>(100000, 100000),
                         "Image: 100000x100000 elements of 8 bytes would need 80.0 GB, more than the memory limit "
                         "(17.2 GB)",
                         Error);
    CHECK_THROWS_WITH_AS(Image<float>(100000, 100000, 1.0f), doctest::Contains("would need 40.0 GB"), Error);
    CHECK(Image<double>(1000, 1000).size() == 1000000);  // within the limit: allocated as ever
}

TEST_CASE("a 100000x100000 float64 convolution is refused before anything is allocated") {
    const double x = 1;
    const auto a = everywhere(&x, 100000, 100000);
    const Image<double> one{{1}};
    const std::size_t before = resident_bytes();
    {
        const MemoryLimit limit(std::size_t{16} * 1000 * 1000 * 1000);
        for (Method method : {Method::automatic, Method::direct, Method::fft}) {
            CAPTURE(method);
            CHECK_THROWS_WITH_AS((void)convolve(a, one.view(), Mode::full, method),
                                 "convolve: the output (100000x100000 float64) would need 80.0 GB, more than the "
                                 "memory limit (16.0 GB)",
                                 Error);
            CHECK_THROWS_WITH_AS((void)correlate(a, one.view(), Mode::same, method),
                                 doctest::Contains("correlate: the output (100000x100000 float64) would need 80.0 GB"),
                                 Error);
        }
        // 1D: 10^10 values.
        const std::span<const double> line(&x, 10'000'000'000);
        CHECK_THROWS_WITH_AS((void)convolve(line, std::span<const double>(&x, 1)),
                             "convolve: the output (10000000000 float64 values) would need 80.0 GB, more than the "
                             "memory limit (16.0 GB)",
                             Error);
        // A Convolver holds no output, and the FFT's buffers for one transform (~160 GB of spectra)
        // would not fit: it runs in tiles that do. A kernel as large as the input leaves no tiles.
        CHECK(Convolver<double>({100000, 100000}, one.view(), Mode::full, Method::fft).method() == Method::fft);
        const std::string fft = message_of([&] {
            Convolver<double>({100000, 100000}, everywhere(&x, 100000, 100000), Mode::valid, Method::fft);
        });
        CHECK(fft.starts_with("Convolver: the buffers of a 100"));
        CHECK(fft.find(" FFT would need 1") != std::string::npos);
        CHECK(fft.ends_with("more than the memory limit (16.0 GB)"));
        Convolver<double> direct({100000, 100000}, one.view(), Mode::full, Method::direct);
        CHECK_THROWS_WITH_AS((void)direct.apply(a),
                             "Image: 100000x100000 elements of 8 bytes would need 80.0 GB, more than the memory limit "
                             "(16.0 GB)",
                             Error);
        // Estimates allocate nothing: they still answer.
        CHECK(choose_method({100000, 100000}, {1, 1}, Mode::full, ElementType::float64) == Method::direct);
        CHECK(estimate_seconds({100000, 100000}, {3, 3}, Mode::full, ElementType::float64, Method::fft) > 0);
    }
    // With the machine's own limit, on any machine with less than 80 GB.
    if (memory_limit() < 80'000'000'000)
        CHECK_THROWS_WITH_AS(
            (void)convolve(a, one.view()),
            doctest::Contains("convolve: the output (100000x100000 float64) would need 80.0 GB, more than this "
                              "machine's memory ("),
            Error);
    CHECK(resident_bytes() < before + (std::size_t{64} << 20));
}

TEST_CASE("the FFT's buffers count with the output") {
    const double x = 1;
    const Image<double> one{{1}};
    const MemoryLimit limit(100'000'000);
    // A 3000x3000 float64 output is 72 MB; with one transform's spectra it is about three times
    // that, so the FFT runs in tiles whose buffers fit beside the output.
    const Image<double> tiled = convolve(everywhere(&x, 3000, 3000), one.view(), Mode::full, Method::fft);
    CHECK(tiled.size() == 9'000'000);
    CHECK(*std::min_element(tiled.values().begin(), tiled.values().end()) > 1 - 1e-12);
    CHECK(*std::max_element(tiled.values().begin(), tiled.values().end()) < 1 + 1e-12);
    // Where tiles cannot help (a kernel as large as the input: one output), the buffers count with it.
    CHECK_THROWS_WITH_AS(
        (void)convolve(everywhere(&x, 3000, 3000), everywhere(&x, 3000, 3000), Mode::valid, Method::fft),
        doctest::Contains("convolve: the output (1x1 float64) and the buffers of a 3000x3000 "
                          "FFT would need 1"),
        OutOfMemory);
    CHECK(convolve(everywhere(&x, 3000, 3000), one.view(), Mode::full, Method::direct).size() == 9'000'000);
    // Overlap-save's blocks are small: a long 1D call fits where one transform over it would not.
    std::vector<double> signal(4'000'000, 1.0), taps(15, 1.0);
    CHECK(convolve(signal, taps, Mode::full, Method::fft).size() == 4'000'014);
}

TEST_CASE("filters, spectra and template matching: padded sizes past PTRDIFF_MAX and memory are Errors") {
    const double x = 1;
    const auto tall = everywhere(&x, big, 1);
    double sink = 0;
    const ImageView<double> out(&sink, big, 1, 0, 0);
    CHECK_THROWS_WITH_AS(gaussian_blur<double>(tall, out, 2.0),
                         "sep_filter2d: 'image' (9223372036854775807x1) padded by 8 + 8 rows and 8 + 8 columns would "
                         "be 9223372036854775823x17, more than the largest size (9223372036854775807)",
                         Error);
    CHECK_THROWS_WITH_AS(sobel<double>(tall, out, 0, 1),
                         doctest::Contains("sep_filter2d: 'image' (9223372036854775807x1) padded by 1 + 1 rows"),
                         Error);
    const Image<double> full_rank{{1, 2, 0}, {0, 1, 2}, {2, 0, 1}};
    CHECK_THROWS_WITH_AS(filter2d<double>(tall, out, full_rank.view()),
                         doctest::Contains("filter2d: 'image' (9223372036854775807x1) padded by 1 + 1 rows"), Error);
    const Image<double> small(2, 2);
    CHECK_THROWS_WITH_AS((void)extend_border<double>(small.view(), big, 1, 0, 0, Border::reflect),
                         "extend_border: 'image' (2x2) padded by 9223372036854775807 + 1 rows and 0 + 0 columns would "
                         "be 9223372036854775810x2, more than the largest size (9223372036854775807)",
                         Error);
    CHECK_THROWS_WITH_AS((void)lowpass<double>(tall, 0.2),
                         "lowpass: the result (9223372036854775807x1 float64) would need 73.8 EB, which overflows a "
                         "64-bit size",
                         Error);
    CHECK_THROWS_WITH_AS((void)transfer_function<float>({big, 1}, 0.2, FilterShape::gaussian),
                         "transfer_function: the result (9223372036854775807x1 float32) would need 36.9 EB, which "
                         "overflows a 64-bit size",
                         Error);
    // The returning forms allocate their result first.
    CHECK_THROWS_WITH_AS((void)gaussian_blur<double>(everywhere(&x, big, 2), 1.0),
                         "Image: 9223372036854775807x2 elements of 8 bytes would need 147.6 EB, which overflows a "
                         "64-bit size",
                         Error);
    CHECK_THROWS_WITH_AS(gaussian_blur<double>(everywhere(&x, big, 2), ImageView<double>(&sink, big, 2, 0, 0), 1.0),
                         "sep_filter2d: argument 'image' is 9223372036854775807x2, 18446744073709551614 elements, "
                         "more than the largest size (9223372036854775807)",
                         Error);
    {
        const MemoryLimit limit(std::size_t{16} << 30);
        const float f = 1;
        CHECK_THROWS_WITH_AS((void)lowpass<float>(everywhere(&f, 100000, 100000), 0.2),
                             "lowpass: the result (100000x100000 float32) would need 40.0 GB, more than the memory "
                             "limit (17.2 GB)",
                             Error);
        CHECK_THROWS_WITH_AS((void)gaussian_blur<float>(everywhere(&f, 100000, 100000), 2.0),
                             doctest::Contains("Image: 100000x100000 elements of 4 bytes would need 40.0 GB"), Error);
    }

    // Template matching: shapes first, then the copy in double, the correlation and the scores.
    CHECK_THROWS_WITH_AS((void)match_template<double>(everywhere(&x, big, 2), small.view(), MatchMethod::ccorr),
                         "match_template: argument 'image' is 9223372036854775807x2, 18446744073709551614 elements, "
                         "more than the largest size (9223372036854775807)",
                         Error);
    {
        const MemoryLimit limit(100'000'000);
        const Image<float> templ{{1, 2}, {3, 5}};
        const float f = 1;
        CHECK_THROWS_WITH_AS(
            (void)match_template<float>(everywhere(&f, 3000, 3000), templ.view(), MatchMethod::ccoeff_normed),
            "match_template: the 3000x3000 image (1 channel) in double, the 2999x2999 correlation and "
            "scores would need 179.9 MB, more than the memory limit (100.0 MB)",
            Error);
    }
    CHECK_THROWS_WITH_AS((void)find_peaks<double>(everywhere(&x, big, 2), 3, 1),
                         doctest::Contains("find_peaks: argument 'scores' is 9223372036854775807x2"), Error);
}

TEST_CASE("FFT lengths near PTRDIFF_MAX: no search overflows, longer than 2^60 is an Error") {
    using detail::max_fast_length;
    CHECK(detail::next_fast_length(max_fast_length) == max_fast_length);
    const std::ptrdiff_t n = max_fast_length - 1;
    const std::ptrdiff_t got = detail::next_fast_length(n);
    CHECK(got >= n);
    CHECK(got <= max_fast_length);
    CHECK(detail::best_fast_length(n, true, PlannerEffort::estimate) % 2 == 0);
    CHECK(detail::best_fast_length(n, false, PlannerEffort::measure) >= n);
    for (std::ptrdiff_t m : {max_fast_length + 1, big - 1, big}) {
        CAPTURE(m);
        CHECK_THROWS_WITH_AS((void)detail::next_fast_length(m),
                             ("fft: a transform of " + std::to_string(m) +
                              " points is longer than the longest fftconv sizes (1152921504606846976)")
                                 .c_str(),
                             Error);
        CHECK_THROWS_AS((void)detail::next_fast_even_length(m), Error);
        CHECK_THROWS_AS((void)detail::best_fast_length(m, true, PlannerEffort::estimate), Error);
    }
    CHECK_THROWS_WITH_AS((void)detail::fft_dims({1, std::ptrdiff_t{INT_MAX} + 1}),
                         "fft: transform size 1x2147483648 exceeds FFTW's int dimensions", Error);
}

TEST_CASE("FftwBuffer: element counts whose bytes overflow, or past memory, are Errors naming them") {
    using detail::FftwBuffer;
    const auto memory = [] { return detail::MemoryBudget::current(); };
    CHECK_THROWS_WITH_AS(FftwBuffer<std::complex<double>>(SIZE_MAX, memory()),
                         "FFT buffer: argument 'n' is 18446744073709551615 long, more than the largest size "
                         "(9223372036854775807)",
                         Error);
    CHECK_THROWS_WITH_AS(FftwBuffer<std::complex<double>>(static_cast<std::size_t>(big), memory()),
                         "FFT buffer: 9223372036854775807 elements of 16 bytes would need 147.6 EB, which overflows a "
                         "64-bit size",
                         Error);
    const MemoryLimit limit(1'000'000);
    CHECK_THROWS_WITH_AS(FftwBuffer<float>(1'000'000, memory()),
                         "FFT buffer: 1000000 elements of 4 bytes would need 4.0 MB, more than the memory limit "
                         "(1.0 MB)",
                         Error);
    CHECK(FftwBuffer<float>(1000, memory()).size() == 1000);
}

#ifndef FFTCONV_ASAN
// A request that fits the memory limit but that the allocator refuses all the same (an address
// space limit here; another program's memory in life) is an Error too, not std::bad_alloc or a
// crash. Not under AddressSanitizer, whose own reservations an address-space limit would break.
TEST_CASE("allocations that fail are Errors naming the size and the bytes") {
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
    std::size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    rlimit tight = old;
    tight.rlim_cur = pages * 4096 + (std::size_t{256} << 20);  // 256 MB more than the process has now
    if (old.rlim_max != RLIM_INFINITY && tight.rlim_cur > old.rlim_max) tight.rlim_cur = old.rlim_max;
    REQUIRE(setrlimit(RLIMIT_AS, &tight) == 0);
    const std::string image = message_of([] { Image<double> huge(16384, 8192); });
    const std::string buffer = message_of(
        [] { detail::FftwBuffer<std::complex<double>> huge(std::size_t{1} << 26, detail::MemoryBudget::current()); });
    const double x = 1;
    const Image<double> one{{1}};
    const std::string call = message_of([&] { (void)convolve(everywhere(&x, 16384, 8192), one.view()); });
    REQUIRE(setrlimit(RLIMIT_AS, &old) == 0);
    CHECK(image == "Image: could not allocate 16384x8192 elements of 8 bytes (1.1 GB): out of memory");
    CHECK(buffer == "fftw_malloc: could not allocate 67108864 elements of 16 bytes (1.1 GB): out of memory");
    CHECK(call == "Image: could not allocate 16384x8192 elements of 8 bytes (1.1 GB): out of memory");
}
#endif
