// What a run may cost, and what it is estimated to cost before anything is decoded: pixels
// (--max-pixels), memory (fftconv::memory_limit()) and seconds (--max-seconds), from the
// image headers and the library's cost model. A tiny file that declares a huge image, a kernel
// that makes the direct sum run for hours, or a template larger than the image is refused in
// one line that names the file, the size and the bytes or seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fftconv/convolve.hpp"
#include "image_header.hpp"
#include "image_io.hpp"

namespace app {

/// Pixels per image (page) accepted by default: 2^27 (134 megapixels, 11585x11585; a 100-megapixel
/// photograph passes). OpenCV's own limit is 2^30; a 16384x16384 (2^28) blur needs about 4 GB and
/// 20 s here, so a 288 kB PNG of zeros that declares it is refused unless --max-pixels allows it.
inline constexpr std::int64_t default_max_pixels = std::int64_t{1} << 27;
/// Seconds of estimated work accepted by default, per file.
inline constexpr double default_max_seconds = 60;
/// Estimates above this are announced before the work starts.
inline constexpr double announce_seconds = 2;

struct Limits {
    std::int64_t max_pixels = default_max_pixels;
    double max_seconds = default_max_seconds;  // 0: no limit
};

/// --max-pixels and --max-seconds.
std::vector<OptionSpec> limit_options();
Limits limits_of(const Args& args);

/// What one file's work is estimated to cost.
struct Cost {
    double bytes = 0;    // peak memory of the process
    double seconds = 0;  // the arithmetic, on one core, by the library's cost model
    std::string what;    // how the work is done, after the command's name: "by the direct method"
};

/// The memory the tool's own pipeline holds for one page, besides the library's work: the
/// decoded file, the float planes in and out, and the conversions for writing.
/// `out_pixels` is the result's size (the input's, or a full convolution's).
double pipeline_bytes(const PageHeader& page, double out_pixels);

/// The seconds the tool's own pipeline takes for one page (decoding, conversions, encoding),
/// besides the arithmetic.
double pipeline_seconds(const PageHeader& page, double out_pixels);

/// The bytes the library needs for one channel's FFT of a padded size of `padded_pixels`.
double fft_work_bytes(double padded_pixels, bool double_precision = false);

/// Seconds for one channel of a convolution by `method` (automatic: the cheaper, as the library
/// picks), and the method that is; infinite for shapes the cost model refuses.
struct MethodSeconds {
    double seconds = 0;
    fftconv::Method method = fftconv::Method::direct;
};
MethodSeconds convolution_seconds(fftconv::Shape image, fftconv::Shape kernel, fftconv::Mode mode,
                                  fftconv::ElementType type, fftconv::Method method);

/// The cost of a same-size filter with a kr x kc kernel over every channel of `page` (blur,
/// sobel): two 1D passes when `separable`, else one 2D correlation, against one 2D FFT product.
Cost filter_cost(const PageHeader& page, std::ptrdiff_t kr, std::ptrdiff_t kc, bool separable, fftconv::Method method,
                 int passes = 1);

/// The cost of convolving every channel of `page` with a kernel of `kernel` shape in `mode`.
Cost convolution_cost(const PageHeader& page, fftconv::Shape kernel, fftconv::Mode mode, fftconv::Method method);

/// The channels a command filters: all but alpha (which a BGRA or gray-and-alpha page has last).
int colour_channels(const PageHeader& page);

/// "the direct method", "the FFT method".
std::string method_text(fftconv::Method method);

/// Refuses work past the limits, before decoding: a page beyond max_pixels, `cost.bytes` beyond
/// fftconv::memory_limit(), `cost.seconds` beyond max_seconds; announces on stderr an estimate of
/// more than a few seconds. `name` is the file (or what the work is on).
/// @throws ProcessError  naming the file, its size and what is exceeded.
void check_budget(const std::string& command, const std::string& name, const std::vector<PageHeader>& pages,
                  const Cost& cost, const Limits& limits);

/// The array form of check_budget: `elements` against --max-pixels, `cost` against the memory
/// limit and --max-seconds; `size` is how the array is named in messages ("(64, 128, 128)").
/// @throws ProcessError  as check_budget.
void check_array_budget(const std::string& command, const std::string& name, const std::string& size, double elements,
                        const Cost& cost, const Limits& limits);

/// "4.3 GB", "512 MB", "12 kB".
std::string bytes_text(double bytes);
/// "0.4 s", "11 s", "23 minutes", "3.1 hours".
std::string seconds_text(double seconds);

}  // namespace app
