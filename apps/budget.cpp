#include "budget.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "fftconv/settings.hpp"

namespace app {

std::vector<OptionSpec> limit_options() {
    return {
        {"max-pixels", "N",
         "refuse images (pages) of more than N pixels, from the file's header before decoding; default 134217728 "
         "(2^27, e.g. 11585x11585)"},
        {"max-seconds", "S",
         "refuse work the cost model estimates at more than S seconds per file (0: no limit); default 60"},
    };
}

Limits limits_of(const Args& args) {
    Limits l;
    l.max_pixels = args.integer("max-pixels", default_max_pixels, 1, INT64_MAX / 2);
    l.max_seconds = args.number("max-seconds", default_max_seconds, 0, 1e9);
    return l;
}

std::string bytes_text(double bytes) {
    static const char* const units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    if (bytes < 1000) return std::to_string(static_cast<long long>(bytes)) + " bytes";
    int u = 0;
    bytes /= 1000;
    while (bytes >= 999.95 && u < 5) {
        bytes /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
    return buf;
}

std::string seconds_text(double s) {
    char buf[48];
    if (s < 10)
        std::snprintf(buf, sizeof buf, "%.2g s", s);
    else if (s < 120)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 7200)
        std::snprintf(buf, sizeof buf, "%.0f minutes", s / 60);
    else
        std::snprintf(buf, sizeof buf, "%.1f hours", s / 3600);
    return buf;
}

// Measured on this project's machine (4096x4096 PNG and float TIFF, gray and colour, blur with a
// 3-tap kernel so that the arithmetic is negligible): 14-16 bytes and 43-47 ns per pixel and
// channel, whole process. The model below is within 1.25x of those figures, and above them.
double pipeline_bytes(const PageHeader& page, double out_pixels) {
    const double in_pixels = static_cast<double>(page.pixels());
    const double channels = page.channels;
    // Reading: the decoded samples, their float conversion and the float planes; then the
    // planes in, the planes out, and writing's merged copy, its clamped copy and the encoded
    // samples.
    const double reading = in_pixels * channels * (page.bytes_per_sample + 4 + 4);
    const double writing = out_pixels * channels * (4 + 4 + 4 + page.bytes_per_sample);
    return std::max(reading, in_pixels * channels * 4 + writing);
}

double pipeline_seconds(const PageHeader& page, double out_pixels) {
    return 23e-9 * page.channels * (static_cast<double>(page.pixels()) + out_pixels);
}

double fft_work_bytes(double padded_pixels, bool double_precision) {
    // The padded real copy and the half spectrum (complex, about half as many elements) in the
    // element type, and a border copy: 10 bytes a padded pixel in float, measured (blur with
    // sigma 8 by FFT on 4096x4096: 464 MB whole process, 458 MB by this model).
    return padded_pixels * (double_precision ? 20 : 10);
}

int colour_channels(const PageHeader& page) {
    return colour_count(page.channels);
}

std::string method_text(fftconv::Method method) {
    return method == fftconv::Method::fft ? "the FFT method" : "the direct method";
}

MethodSeconds convolution_seconds(fftconv::Shape image, fftconv::Shape kernel, fftconv::Mode mode,
                                  fftconv::ElementType type, fftconv::Method method) {
    using fftconv::Method;
    const auto seconds = [&](Method m) {
        try {
            return fftconv::estimate_seconds(image, kernel, mode, type, m);
        } catch (const fftconv::Error&) {
            return static_cast<double>(INFINITY);
        }
    };
    if (method != Method::automatic) return {seconds(method), method};
    const double direct = seconds(Method::direct), fft = seconds(Method::fft);
    return fft < direct ? MethodSeconds{fft, Method::fft} : MethodSeconds{direct, Method::direct};
}

Cost filter_cost(const PageHeader& page, std::ptrdiff_t kr, std::ptrdiff_t kc, bool separable, fftconv::Method method,
                 int passes) {
    using fftconv::Method;
    const fftconv::Shape image{page.height, page.width};
    const fftconv::Shape padded{page.height + kr - 1, page.width + kc - 1};
    const auto type = fftconv::ElementType::float32;
    const auto seconds = [&](Method m) {
        if (m == Method::fft) return convolution_seconds(padded, {kr, kc}, fftconv::Mode::valid, type, m).seconds;
        if (!separable) return convolution_seconds(padded, {kr, kc}, fftconv::Mode::valid, type, m).seconds;
        return convolution_seconds({image.rows, padded.cols}, {1, kc}, fftconv::Mode::valid, type, m).seconds +
               convolution_seconds({padded.rows, image.cols}, {kr, 1}, fftconv::Mode::valid, type, m).seconds;
    };
    Method chosen = method;
    double s = 0;
    if (method == Method::automatic) {
        const double direct = seconds(Method::direct), fft = seconds(Method::fft);
        chosen = fft < direct ? Method::fft : Method::direct;
        s = std::min(direct, fft);
    } else {
        s = seconds(method);
    }
    const double pixels = static_cast<double>(page.pixels());
    Cost c;
    c.seconds = s * colour_channels(page) * passes + pipeline_seconds(page, pixels);
    c.bytes =
        pipeline_bytes(page, pixels) +
        (chosen == Method::fft ? fft_work_bytes(static_cast<double>(padded.rows) * static_cast<double>(padded.cols))
                               : pixels * 4 * passes);
    c.what = "by " + method_text(chosen);
    return c;
}

Cost convolution_cost(const PageHeader& page, fftconv::Shape kernel, fftconv::Mode mode, fftconv::Method method) {
    const fftconv::Shape image{page.height, page.width};
    const MethodSeconds m = convolution_seconds(image, kernel, mode, fftconv::ElementType::float32, method);
    const double full =
        static_cast<double>(page.height + kernel.rows - 1) * static_cast<double>(page.width + kernel.cols - 1);
    const double out = mode == fftconv::Mode::full   ? full
                       : mode == fftconv::Mode::same ? static_cast<double>(page.pixels())
                                                     : static_cast<double>(std::abs(page.height - kernel.rows) + 1) *
                                                           static_cast<double>(std::abs(page.width - kernel.cols) + 1);
    Cost c;
    c.seconds = m.seconds * colour_channels(page) + pipeline_seconds(page, out);
    c.bytes = pipeline_bytes(page, out) + (m.method == fftconv::Method::fft ? fft_work_bytes(full) : 0);
    c.what = "by " + method_text(m.method);
    return c;
}

namespace {

// What check_budget and check_array_budget share after their size limits: `cost` against the
// memory limit and --max-seconds, and a note on stderr for long work. Messages open with
// who + verb + size ("'a.png' is 512x512"); `undone` is what did not happen ("decoded", "read").
void check_memory_and_time(const std::string& command, const std::string& who, const char* verb,
                           const std::string& size, const Cost& cost, const Limits& limits, const char* undone) {
    const std::string subject = who + verb + size;
    const double limit = static_cast<double>(fftconv::memory_limit());
    if (cost.bytes > limit)
        throw ProcessError(subject + ": " + command + " would need about " + bytes_text(cost.bytes) +
                           ", more than the memory limit (" + bytes_text(limit) + "); nothing was " + undone);
    if (limits.max_seconds > 0 && cost.seconds > limits.max_seconds)
        throw ProcessError(subject + ": " + command + " " + cost.what + " is estimated at " +
                           seconds_text(cost.seconds) + ", more than --max-seconds " +
                           seconds_text(limits.max_seconds) + " (raise --max-seconds, or 0 for no limit)");
    if (cost.seconds > announce_seconds) {
        std::scoped_lock lock(console_mutex());
        std::fprintf(stderr, "fftconv %s: note: %s (%s): %s %s is estimated at %s\n", command.c_str(), who.c_str(),
                     size.c_str(), command.c_str(), cost.what.c_str(), seconds_text(cost.seconds).c_str());
    }
}

}  // namespace

void check_budget(const std::string& command, const std::string& name, const std::vector<PageHeader>& pages,
                  const Cost& cost, const Limits& limits) {
    const std::string who = display_name(name);
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const PageHeader& p = pages[i];
        if (p.pixels() > limits.max_pixels)
            throw ProcessError(who + (pages.size() > 1 ? " page " + std::to_string(i + 1) : std::string()) + " is " +
                               size_text(p.width, p.height) + " (" + std::to_string(p.pixels()) +
                               " pixels), more than --max-pixels " + std::to_string(limits.max_pixels) +
                               "; nothing was decoded (it would need about " + bytes_text(cost.bytes) +
                               "); raise --max-pixels to process it");
    }
    const std::string size = pages.size() == 1 ? size_text(pages.front().width, pages.front().height)
                                               : std::to_string(pages.size()) + " pages of up to " +
                                                     size_text(pages.front().width, pages.front().height);
    check_memory_and_time(command, who, " is ", size, cost, limits, "decoded");
}

void check_array_budget(const std::string& command, const std::string& name, const std::string& size, double elements,
                        const Cost& cost, const Limits& limits) {
    const std::string who = display_name(name);
    if (elements > static_cast<double>(limits.max_pixels))
        throw ProcessError(who + " holds " + size + ", " + std::to_string(static_cast<long long>(elements)) +
                           " elements, more than --max-pixels " + std::to_string(limits.max_pixels) +
                           "; nothing was read (it would need about " + bytes_text(cost.bytes) +
                           "); raise --max-pixels to process it");
    check_memory_and_time(command, who, " holds ", size, cost, limits, "read");
}

}  // namespace app
