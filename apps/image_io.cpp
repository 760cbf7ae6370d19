#include "image_io.hpp"

#include <fcntl.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <random>
#include <system_error>

#include "cli.hpp"
#include "fftconv/opencv.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

bool float_format(const std::string& ext) {
    return ext == ".tif" || ext == ".tiff" || ext == ".exr" || ext == ".pfm";
}
bool sixteen_bit_format(const std::string& ext) {
    return ext == ".png" || ext == ".tif" || ext == ".tiff";
}
bool alpha_format(const std::string& ext) {
    return ext == ".png" || ext == ".tif" || ext == ".tiff" || ext == ".exr" || ext == ".webp";
}
// Formats OpenCV can encode into memory; the others (OpenEXR, JPEG 2000) only into files. fftconv
// streams every format through a temporary file, but these are the ones whose encoders were
// checked to write a file that imread reads back.
bool streamable_format(const std::string& ext) {
    static const char* const ok[] = {".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".dib", ".ppm",  ".pgm",
                                     ".pbm", ".pnm", ".pam",  ".pfm", ".sr",  ".ras",  ".hdr", ".pic", ".webp", ".exr"};
    return std::find(std::begin(ok), std::end(ok), ext) != std::end(ok);
}

// OpenCV reads and writes OpenEXR only when asked to (a security default since 4.5); fftconv
// takes float data seriously, so it asks.
void enable_exr() {
    static const bool once = [] { return setenv("OPENCV_IO_ENABLE_OPENEXR", "1", 0) == 0; }();
    (void)once;
}

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
    char buf[200];
    std::snprintf(buf, sizeof buf, fmt, a, b, c);
    return buf;
}

// While alive, file descriptor 2 points at a scratch file: the codec libraries under OpenCV print
// their complaints there (libpng's "Read Error", libjpeg's "Premature end of JPEG file", OpenCV's
// own imread_ messages) instead of on the user's terminal, and text() hands them back, so that a
// failure is reported in fftconv's one line. Holds console_mutex() so that no other thread's
// message is swallowed meanwhile.
class CodecMessages {
public:
    CodecMessages() : lock_(console_mutex()) {
        std::cerr.flush();
        std::fflush(stderr);
        sink_ = std::tmpfile();
        if (sink_) saved_ = ::dup(STDERR_FILENO);
        if (saved_ >= 0 && ::dup2(::fileno(sink_), STDERR_FILENO) < 0) {
            ::close(saved_);
            saved_ = -1;
        }
    }
    ~CodecMessages() {
        restore();
        if (sink_) std::fclose(sink_);
    }
    CodecMessages(const CodecMessages&) = delete;
    CodecMessages& operator=(const CodecMessages&) = delete;

    /// What was printed so far (the last 4 KiB at most); stderr is the user's again from here on.
    std::string text() {
        restore();
        if (!sink_) return {};
        std::fseek(sink_, 0, SEEK_END);
        const long size = std::ftell(sink_);
        std::fseek(sink_, std::max(0L, size - 4096), SEEK_SET);
        std::string s(4096, '\0');
        s.resize(std::fread(s.data(), 1, s.size(), sink_));
        return s;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::cerr.flush();
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }

    std::scoped_lock<std::mutex> lock_;
    std::FILE* sink_ = nullptr;
    int saved_ = -1;
};

// The gist of what a codec printed, for the end of an error message: its last line, with
// OpenCV's "file:line: error: (-2:...) " and " in function ..." wrapping taken off, or "".
std::string gist(const std::string& text) {
    std::string line;
    const std::size_t end = text.find_last_not_of(" \t\r\n");
    if (end != std::string::npos) {
        const std::size_t start = text.find_last_of('\n', end);
        line = text.substr(start == std::string::npos ? 0 : start + 1,
                           end + 1 - (start == std::string::npos ? 0 : start + 1));
    }
    if (const auto e = line.find("error: ("); e != std::string::npos) {
        const auto close = line.find(") ", e);
        line = close == std::string::npos ? "" : line.substr(close + 2);
        if (const auto f = line.find(" in function"); f != std::string::npos) line.resize(f);
    }
    if (line.find("unknown exception") != std::string::npos) line.clear();  // says nothing
    if (line.size() > 160) line = line.substr(0, 157) + "...";
    return line;
}

// Standard input, read once into a private temporary file (decoders and the header reader seek),
// removed when the process exits.
class StdinCopy {
public:
    ~StdinCopy() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    const std::string& path() {
        std::scoped_lock lock(mutex_);
        if (!path_.empty() || failed_) {
            if (failed_) throw ProcessError("cannot read standard input: " + why_);
            return path_;
        }
        const char* dir = std::getenv("TMPDIR");
        std::string name = std::string(dir && *dir ? dir : "/tmp") + "/fftconv-stdin-XXXXXX";
        const int fd = ::mkstemp(name.data());
        if (fd < 0) return fail(std::string("cannot create a temporary file (") + std::strerror(errno) + ")");
        path_ = name;
        char buf[1 << 16];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0) break;
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                ::close(fd);
                return fail(std::strerror(errno));
            }
            for (ssize_t done = 0; done < n;) {
                const ssize_t w = ::write(fd, buf + done, static_cast<std::size_t>(n - done));
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    const int e = errno;
                    ::close(fd);
                    return fail(std::string("cannot copy it to a temporary file (") + std::strerror(e) + ")");
                }
                done += w;
            }
        }
        ::close(fd);
        return path_;
    }

private:
    const std::string& fail(const std::string& why) {
        failed_ = true;
        why_ = why;
        if (!path_.empty()) ::unlink(path_.c_str());
        path_.clear();
        throw ProcessError("cannot read standard input: " + why);
    }
    std::mutex mutex_;
    std::string path_, why_;
    bool failed_ = false;
};
StdinCopy stdin_copy;

std::atomic<bool> stdout_taken{false};

// The range a float image's values live in, for "values kept" outputs: 0..1 widened to the
// finite values. NaN and ±Inf never count; neither do a few wild values (one 1e30 pixel, a
// sensor's hot pixels): when the whole range is over ten times the range of the middle 99.8%
// of the values, the extreme 0.1% at each end are left out (and clipped when written, which
// the mapping reports). The middle is found on a sample of at most 2^20 values.
struct FloatRange {
    double low = 0, high = 1;
    std::size_t nonfinite = 0;
};

FloatRange float_range(const Planes& planes) {
    FloatRange r;
    double lo = INFINITY, hi = -INFINITY;
    std::size_t total = 0;
    for (const auto& plane : planes)
        for (const float v : plane.values()) {
            if (!std::isfinite(v)) {
                ++r.nonfinite;
                continue;
            }
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
            ++total;
        }
    if (total == 0) return r;
    const std::size_t step = std::max<std::size_t>(1, total >> 20);
    std::vector<float> sample;
    std::size_t i = 0;
    for (const auto& plane : planes)
        for (const float v : plane.values())
            if (std::isfinite(v) && i++ % step == 0) sample.push_back(v);
    const std::size_t k = sample.size() / 1000;
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
    const double middle_lo = sample[k];
    std::nth_element(sample.begin(), sample.end() - 1 - static_cast<std::ptrdiff_t>(k), sample.end());
    const double middle_hi = sample[sample.size() - 1 - k];
    const double typical = std::max({middle_hi - middle_lo, std::abs(middle_lo), std::abs(middle_hi), 1.0});
    if (hi - lo > 10 * typical) {
        lo = middle_lo;
        hi = middle_hi;
    }
    r.low = std::min(lo, 0.0);
    r.high = std::max(hi, 1.0);
    return r;
}

// The temporary name for `target`: hidden, in the same directory, with the format's extension,
// and within the file system's name limit however long the target's own name is.
std::string temporary_name(const fs::path& target, const std::string& ext, unsigned number) {
    std::string stem = target.stem().string();
    const std::string tail = ".tmp" + std::to_string(number) + ext;
    const long name_max = [&] {
        const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
        const long n = ::pathconf(dir.c_str(), _PC_NAME_MAX);
        return n > 0 ? n : 255L;
    }();
    const auto room = static_cast<std::size_t>(std::max(1L, name_max - 1 - static_cast<long>(tail.size())));
    if (stem.size() > room) stem.resize(room);
    return "." + stem + tail;
}

}  // namespace

std::mutex& console_mutex() {
    static std::mutex m;
    return m;
}

std::FILE* info_stream() {
    return stdout_taken ? stderr : stdout;
}

bool float_only_format(const std::string& ext) {
    return ext == ".exr" || ext == ".pfm" || ext == ".hdr" || ext == ".pic";
}

std::string lower_extension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

std::string size_text(std::int64_t width, std::int64_t height) {
    return std::to_string(width) + "x" + std::to_string(height);
}

std::string size_text(fftconv::Shape shape) {
    return size_text(shape.cols, shape.rows);
}

std::string display_name(const std::string& name) {
    return name == "-" ? "standard input" : "'" + name + "'";
}

bool Picture::is_float() const {
    return depth == CV_32F || depth == CV_64F;
}

std::string Picture::describe() const {
    const char* depth_name = depth == CV_8U    ? "8-bit"
                             : depth == CV_8S  ? "8-bit signed"
                             : depth == CV_16U ? "16-bit"
                             : depth == CV_16S ? "16-bit signed"
                             : depth == CV_32S ? "32-bit integer"
                             : depth == CV_32F ? "32-bit float"
                                               : "64-bit float";
    const std::string ch = channels() == 1 ? "gray" : std::to_string(channels()) + "-channel";
    return size_text(shape()) + " " + ch + " " + depth_name + (alpha ? " with alpha" : "");
}

ImageFile open_image(const std::string& name) {
    enable_exr();
    const auto failure = [&](const std::string& why) {
        return ProcessError("cannot read " + display_name(name) + ": " + why);
    };
    ImageFile f{name, name, std::nullopt};
    if (name == "-") {
        f.path = stdin_copy.path();
    } else {
        std::error_code ec;
        const fs::file_status status = fs::status(name, ec);
        if (status.type() == fs::file_type::not_found) throw failure("no such file");
        if (ec) throw failure(ec.message());
        if (fs::is_directory(status)) throw failure("it is a directory");
        if (!fs::is_regular_file(status)) throw failure("not a regular file");
        // Open it once here so that a permission problem is named as one (imread only says "empty").
        const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw failure(std::strerror(errno));
        ::close(fd);
    }
    std::error_code ec;
    if (fs::file_size(f.path, ec) == 0 && !ec) throw failure(name == "-" ? "it is empty" : "the file is empty");
    f.header = read_header(f.path);
    return f;
}

Decoded decode_page(const ImageFile& file, std::size_t page) {
    enable_exr();
    const std::string& name = file.name;
    const auto failure = [&](const std::string& why) {
        return ProcessError("cannot read " + display_name(name) + ": " + why);
    };
    cv::Mat m;
    std::string messages;
    {
        CodecMessages codec;
        try {
            if (file.pages() > 1) {
                std::vector<cv::Mat> mats;
                if (cv::imreadmulti(file.path, mats, static_cast<int>(page), 1, cv::IMREAD_UNCHANGED) && !mats.empty())
                    m = mats.front();
            } else {
                m = cv::imread(file.path, cv::IMREAD_UNCHANGED);
            }
        } catch (const cv::Exception& e) {
            // OpenCV's own size limit, for files whose header fftconv does not read.
            if (e.err.find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
                throw failure("the image has more than 2^30 pixels, OpenCV's limit");
            throw failure(e.err);
        }
        messages = codec.text();
    }
    if (m.empty()) {
        std::string why = gist(messages);
        if (why.find("CV_IO_MAX_IMAGE_PIXELS") != std::string::npos)
            why = "the image has more than 2^30 pixels, OpenCV's limit";
        throw ProcessError("cannot read " + display_name(name) + " as an image (" +
                           (why.empty() ? "not a format OpenCV can decode" : why) + ")");
    }
    // libjpeg decodes a truncated file "successfully", filling the missing part with gray, and
    // only warns.
    if (messages.find("Premature end of JPEG file") != std::string::npos)
        throw failure("the file is truncated (Premature end of JPEG file)");
    Decoded d;
    Picture& p = d.picture;
    p.path = name;
    p.depth = m.depth();
    p.white = p.depth == CV_8U    ? 255
              : p.depth == CV_16U ? 65535
              : p.depth == CV_8S  ? 127
              : p.depth == CV_16S ? 32767
                                  : 1;
    p.high = p.white;
    if (p.depth == CV_8S || p.depth == CV_16S || p.depth == CV_32S)
        p.low = p.depth == CV_8S ? -128 : p.depth == CV_16S ? -32768 : -2147483648.0;
    d.mat = std::move(m);
    return d;
}

Picture read_page(const ImageFile& file, std::size_t page) {
    return to_picture(decode_page(file, page));
}

Picture to_picture(Decoded d) {
    Picture& p = d.picture;
    p.planes = fftconv::to_planes<float>(d.mat);
    d.mat.release();
    if (p.planes.size() == 4 || p.planes.size() == 2) {  // BGRA, or gray and alpha
        p.alpha = std::move(p.planes.back());
        p.planes.pop_back();
    }
    if (p.is_float()) {
        const FloatRange r = float_range(p.planes);
        p.nonfinite = r.nonfinite;
        p.low = r.low;
        p.high = r.high;
    }
    return std::move(p);
}

Picture read_picture(const std::string& name, std::int64_t max_pixels) {
    const ImageFile f = open_image(name);
    if (f.pages() > 1)
        throw ProcessError("cannot read " + display_name(name) + ": it has " + std::to_string(f.pages()) +
                           " pages, and one image is expected here");
    if (f.header && f.header->pages.front().pixels() > max_pixels) {
        const PageHeader& h = f.header->pages.front();
        throw ProcessError("cannot read " + display_name(name) + ": it is " + size_text(h.width, h.height) + " (" +
                           std::to_string(h.pixels()) + " pixels), more than --max-pixels " +
                           std::to_string(max_pixels));
    }
    return read_page(f, 0);
}

fftconv::Image<float> gray_of(const Picture& p) {
    if (p.channels() == 1) return p.planes.front();
    fftconv::Image<float> g(p.shape());
    const float* b = p.planes[0].values().data();
    const float* gr = p.planes[1].values().data();
    const float* r = p.planes[2].values().data();
    for (std::ptrdiff_t i = 0; i < g.size(); ++i) g.values()[i] = gray_value(b[i], gr[i], r[i]);
    return g;
}

void check_output(const std::string& path, const std::vector<std::string>& inputs, bool raw,
                  const std::string& format) {
    enable_exr();
    if (path == "-") {
        stdout_taken = true;  // from here on, messages go to stderr
        const std::string ext = format.empty() ? ".png" : format;
        if (raw && !float_format(ext) && ext != ".npy")
            throw UsageError(
                "--raw writes float samples, which needs .tif, .tiff, .exr, .pfm or .npy; standard output "
                "would get '" +
                ext + "' (--ext picks another)");
        if (ext == ".npy") return;
        if (!streamable_format(ext) || !cv::haveImageWriter("x" + ext))
            throw UsageError("standard output: fftconv cannot write '" + ext + "' files there");
        return;
    }
    const std::string ext = lower_extension(path);
    if (ext.empty())
        throw UsageError("output '" + path + "' has no extension to choose the format by (.png, .tif, ...)");
    if (raw && !float_format(ext) && ext != ".npy")
        throw UsageError("--raw writes float samples, which needs .tif, .tiff, .exr, .pfm or .npy; got '" + path + "'");
    if (ext != ".npy" && !cv::haveImageWriter(path))
        throw UsageError("output '" + path + "': OpenCV cannot write '" + ext + "' files");
    std::error_code ec;
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
        throw UsageError("output '" + path + "': " +
                         (fs::exists(dir, ec) ? "'" + dir.string() + "' is not a directory"
                                              : "directory '" + dir.string() + "' does not exist"));
    if (fs::is_directory(path, ec)) throw UsageError("output '" + path + "' is a directory");
    for (const std::string& in : inputs)
        if (in != "-" && same_file(path, in))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + path + "')");
    const std::string d = dir.empty() ? "." : dir.string();
    if (::access(d.c_str(), W_OK | X_OK) != 0)
        throw UsageError("output '" + path + "': cannot write into directory '" + d + "' (" + std::strerror(errno) +
                         ")");
    // The name must fit the file system, which would otherwise refuse it only after the work.
    const long name_max = ::pathconf(d.c_str(), _PC_NAME_MAX);
    const std::size_t length = fs::path(path).filename().string().size();
    if (name_max > 0 && length > static_cast<std::size_t>(name_max))
        throw UsageError("output '" + path + "': the file name is " + std::to_string(length) +
                         " bytes long, more than the " + std::to_string(name_max) + " this file system allows");
}

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    const fs::path ca = fs::weakly_canonical(a, ec);
    if (ec) return a == b;
    const fs::path cb = fs::weakly_canonical(b, ec);
    return ec ? a == b : ca == cb;
}

void write_atomically(const std::string& path, const std::function<bool(const std::string&)>& write,
                      const std::string& format, bool codecs) {
    const bool to_stdout = path == "-";
    const std::string ext = !format.empty() ? format : to_stdout ? ".png" : fs::path(path).extension().string();
    // A hidden name in the same directory (so that the rename is atomic) with the real extension
    // (OpenCV picks the format by it), created exclusively so that no existing file is touched.
    // Standard output's file goes to the temporary directory and is copied out when complete.
    const char* tmpdir = std::getenv("TMPDIR");
    const fs::path target =
        to_stdout ? fs::path(tmpdir && *tmpdir ? tmpdir : "/tmp") / "fftconv-stdout" : fs::path(path);
    std::random_device rd;
    std::string tmp;
    for (int attempt = 0; tmp.empty(); ++attempt) {
        const std::string candidate = (target.parent_path() / temporary_name(target, ext, rd() % 1000000)).string();
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            ::close(fd);
            tmp = candidate;
        } else if (errno != EEXIST || attempt == 100) {
            const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
            throw ProcessError("could not write " + (to_stdout ? std::string("standard output") : "'" + path + "'") +
                               ": cannot create a file in '" + dir + "' (" + std::strerror(errno) + ")");
        }
    }
    const std::string shown = to_stdout ? std::string("standard output") : "'" + path + "'";
    bool ok = false;
    std::string why;
    {
        std::optional<CodecMessages> codec;
        if (codecs) codec.emplace();
        try {
            ok = write(tmp);
        } catch (const cv::Exception& e) {
            why = e.err;
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (!ok && why.empty() && codec) why = gist(codec->text());
    }
    std::error_code ec;
    if (!ok) {
        fs::remove(tmp, ec);
        throw ProcessError("could not write " + shown + (why.empty() ? "" : ": " + why));
    }
    if (to_stdout) {
        std::ifstream in(tmp, std::ios::binary);
        std::scoped_lock lock(console_mutex());
        flush_stdout();
        char buf[1 << 16];
        while (in.read(buf, sizeof buf) || in.gcount() > 0)
            std::fwrite(buf, 1, static_cast<std::size_t>(in.gcount()), stdout);
        fs::remove(tmp, ec);
        if (const int error = flush_stdout())
            throw ProcessError(std::string("could not write standard output: ") + std::strerror(error));
        return;
    }
    // A file replaced keeps its permissions (its mode; the rename replaces a link itself, not
    // what it points to).
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) ::chmod(tmp.c_str(), old.st_mode & 07777);
    fs::rename(tmp, target, ec);
    if (ec) {
        const std::string message = ec.message();
        fs::remove(tmp, ec);
        throw ProcessError("could not write '" + path + "': " + message);
    }
}

namespace {

// The counts of every colour sample of the pages (planes, or pages mapped already).
SampleCounts count_samples(const std::vector<OutputPage>& pages, const WriteOptions& options) {
    SampleCounts n;
    for (const OutputPage& page : pages) {
        n += page.counts;
        for (const fftconv::Image<float>& plane : page.planes)
            n.add(plane.data(), static_cast<std::size_t>(plane.size()), options.low, options.high);
    }
    return n;
}

std::string describe_nonfinite(const SampleCounts& n) {
    const std::size_t total = n.nan + n.positive + n.negative;
    std::string parts;
    const auto add = [&](std::size_t count, const char* what) {
        if (count) parts += (parts.empty() ? "" : ", ") + std::to_string(count) + " " + what;
    };
    add(n.nan, "NaN");
    add(n.positive, "+Inf");
    add(n.negative, "-Inf");
    return std::to_string(total) + " non-finite value" + (total == 1 ? "" : "s") + " (" + parts + ")";
}

// BGRA from a gray or BGR image and an alpha plane of the same depth.
cv::Mat with_alpha(const cv::Mat& colour, const cv::Mat& alpha) {
    std::vector<cv::Mat> channels;
    cv::split(colour, channels);
    if (channels.size() == 1) channels = {channels[0], channels[0], channels[0]};
    channels.push_back(alpha);
    cv::Mat merged;
    cv::merge(channels, merged);
    return merged;
}

// The extension that picks the output's format.
std::string output_ext(const std::string& path, const WriteOptions& options) {
    return !options.format.empty() ? options.format : path == "-" ? ".png" : lower_extension(path);
}

// Whether results are written as float samples, unscaled.
bool float_output(const std::string& ext, const WriteOptions& options) {
    return options.raw || float_only_format(ext) ||
           (options.float_input && float_format(ext) && !options.scaling_asked);
}

}  // namespace

namespace {

// The float thresholds that compare with a float as the double t does: v < t exactly when
// v < above(t), and v > t exactly when v > below(t).
float above(double t) {
    const auto f = static_cast<float>(t);
    return static_cast<double>(f) >= t ? f : std::nextafter(f, INFINITY);
}
float below(double t) {
    const auto f = static_cast<float>(t);
    return static_cast<double>(f) <= t ? f : std::nextafter(f, -INFINITY);
}

}  // namespace

void SampleCounts::add(const float* values, std::size_t n, double low, double high) {
    // One pass in float without a branch per sample (which cost 13% of a whole identity-kernel
    // run on a 4096² colour picture), four samples at a time with SSE2 where there is SSE2 (GCC
    // does not vectorize the float minimum and maximum by itself), in chunks whose counts fit 32
    // bits. NaN fails every comparison; infinities are counted apart and kept out of the range
    // and of the outside and clipped counts.
    const double slack = 0.02 * (high - low);
    const float out_lo = above(low - slack), out_hi = below(high + slack), clip_lo = above(low), clip_hi = below(high);
    float lo_f = INFINITY, hi_f = -INFINITY;
    for (std::size_t start = 0; start < n; start += std::size_t{1} << 30) {
        const std::size_t end = std::min(n, start + (std::size_t{1} << 30));
        std::uint32_t nans = 0, pos = 0, neg = 0, out = 0, clip = 0;
        std::size_t i = start;
#if defined(__SSE2__)
        const __m128 inf = _mm_set1_ps(INFINITY), minus_inf = _mm_set1_ps(-INFINITY), sign = _mm_set1_ps(-0.0f);
        const __m128 olo = _mm_set1_ps(out_lo), ohi = _mm_set1_ps(out_hi), clo = _mm_set1_ps(clip_lo),
                     chi = _mm_set1_ps(clip_hi);
        __m128 vlo = inf, vhi = minus_inf;
        __m128i cnan = _mm_setzero_si128(), cpos = cnan, cneg = cnan, cout = cnan, cclip = cnan;
        for (; i + 4 <= end; i += 4) {
            const __m128 v = _mm_loadu_ps(values + i);
            const __m128 fin = _mm_cmplt_ps(_mm_andnot_ps(sign, v), inf);  // false for NaN
            cnan = _mm_sub_epi32(cnan, _mm_castps_si128(_mm_cmpunord_ps(v, v)));
            cpos = _mm_sub_epi32(cpos, _mm_castps_si128(_mm_cmpeq_ps(v, inf)));
            cneg = _mm_sub_epi32(cneg, _mm_castps_si128(_mm_cmpeq_ps(v, minus_inf)));
            vlo = _mm_min_ps(vlo, _mm_or_ps(_mm_and_ps(fin, v), _mm_andnot_ps(fin, inf)));
            vhi = _mm_max_ps(vhi, _mm_or_ps(_mm_and_ps(fin, v), _mm_andnot_ps(fin, minus_inf)));
            const __m128 o = _mm_and_ps(fin, _mm_or_ps(_mm_cmplt_ps(v, olo), _mm_cmpgt_ps(v, ohi)));
            const __m128 c = _mm_and_ps(fin, _mm_or_ps(_mm_cmplt_ps(v, clo), _mm_cmpgt_ps(v, chi)));
            cout = _mm_sub_epi32(cout, _mm_castps_si128(o));
            cclip = _mm_sub_epi32(cclip, _mm_castps_si128(c));
        }
        alignas(16) float lanes[4];
        alignas(16) std::uint32_t counts[4];
        _mm_store_ps(lanes, vlo);
        for (float x : lanes) lo_f = std::min(lo_f, x);
        _mm_store_ps(lanes, vhi);
        for (float x : lanes) hi_f = std::max(hi_f, x);
        const auto sum = [&](__m128i c) {
            _mm_store_si128(reinterpret_cast<__m128i*>(counts), c);
            return counts[0] + counts[1] + counts[2] + counts[3];
        };
        nans += sum(cnan);
        pos += sum(cpos);
        neg += sum(cneg);
        out += sum(cout);
        clip += sum(cclip);
#endif
        for (; i < end; ++i) {
            const float v = values[i];
            const bool is_finite = std::fabs(v) < INFINITY;  // false for NaN too
            nans += v != v;
            pos += v == INFINITY;
            neg += v == -INFINITY;
            if (is_finite) {
                lo_f = std::min(lo_f, v);
                hi_f = std::max(hi_f, v);
            }
            out += is_finite & ((v < out_lo) | (v > out_hi));
            clip += is_finite & ((v < clip_lo) | (v > clip_hi));
        }
        nan += nans;
        positive += pos;
        negative += neg;
        outside += out;
        clipped += clip;
        finite += (end - start) - nans - pos - neg;
    }
    if (lo_f <= hi_f) {  // + 0 makes a -0 (which SSE's min may keep where std::min kept 0) print as 0
        lo = std::min(lo, static_cast<double>(lo_f) + 0.0);
        hi = std::max(hi, static_cast<double>(hi_f) + 0.0);
    }
}

SampleCounts& SampleCounts::operator+=(const SampleCounts& o) {
    finite += o.finite;
    clipped += o.clipped;
    outside += o.outside;
    nan += o.nan;
    positive += o.positive;
    negative += o.negative;
    lo = std::min(lo, o.lo);
    hi = std::max(hi, o.hi);
    return *this;
}

void SampleMap::map_rows(const std::vector<const float*>& channels, int rows, int cols, cv::Mat out) const {
    // NaN to 0, and everything else clamped to what maps onto 0..top before convertTo rounds:
    // its conversion to integers is undefined beyond their range (±Inf, 1e30).
    const float below = static_cast<float>(-offset / scale);
    const float above = static_cast<float>((top - offset) / scale);
    const int cn = static_cast<int>(channels.size());
    cv::Mat line(1, cols, CV_32FC(cn));
    for (int r = 0; r < rows; ++r) {
        float* dst = line.ptr<float>();
        for (int k = 0; k < cn; ++k) {
            const float* src = channels[static_cast<std::size_t>(k)] + static_cast<std::ptrdiff_t>(r) * cols;
            for (int c = 0; c < cols; ++c)
                dst[c * cn + k] = std::isnan(src[c]) ? below : std::clamp(src[c], below, above);
        }
        cv::Mat out_row = out.row(r);
        line.convertTo(out_row, out.depth(), scale, offset);
    }
}

std::optional<SampleMap> sample_map(const std::string& path, const WriteOptions& options, const SampleCounts& counts) {
    const std::string ext = output_ext(path, options);
    if (ext == ".npy" || float_output(ext, options)) return std::nullopt;
    const bool sixteen = options.sixteen_bit && sixteen_bit_format(ext);
    SampleMap m;
    m.top = sixteen ? 65535 : 255;
    m.depth = sixteen ? CV_16U : CV_8U;
    const double top = m.top, low = options.low, high = options.high;
    const double lo = counts.finite ? counts.lo : 0, hi = counts.finite ? counts.hi : 0;
    Scaling scaling = options.scaling;
    if (scaling == Scaling::automatic)
        scaling = static_cast<double>(counts.outside) <= 0.005 * static_cast<double>(counts.finite) ? Scaling::keep
                  : lo < 0 ? Scaling::signed_around_zero
                           : Scaling::stretch;
    if (scaling == Scaling::keep) {
        m.scale = top / (high - low);
        m.offset = -low * m.scale;
        m.text = format("values kept (%g..%g", low, high) + (low != 0 || high != top ? format(" -> 0..%g", top) : "") +
                 (counts.clipped ? format(", %.3g%% of samples clipped", 100.0 * static_cast<double>(counts.clipped) /
                                                                             static_cast<double>(counts.finite))
                                 : "") +
                 ")";
    } else if (scaling == Scaling::signed_around_zero) {
        const double a = std::max({-lo, hi, 1e-30});
        m.scale = (top / 2) / a;
        m.offset = top / 2;
        m.text = format("signed: 0 -> %g, ±%.6g -> 0/%g", std::round(top / 2), a, top);
    } else {
        const double from = std::min(lo, 0.0), span = std::max(hi - from, 1e-30);
        m.scale = top / span;
        m.offset = -from * m.scale;
        m.text = format("stretched: %.6g..%.6g -> 0..%g", from, from + span, top);
    }
    return m;
}

Written write_picture(const std::string& path, const std::vector<OutputPage>& pages, const WriteOptions& options) {
    const std::string shown = path == "-" ? std::string("standard output") : "'" + path + "'";
    if (pages.empty()) throw ProcessError("cannot write " + shown + ": no image");
    const bool premapped = !pages.front().mapped.empty();
    for (const OutputPage& page : pages) {
        const std::size_t channels = premapped ? static_cast<std::size_t>(page.mapped.channels()) : page.planes.size();
        if (channels != 1 && channels != 3)
            throw ProcessError("cannot write " + shown + ": image files hold 1 or 3 colour channels, the result has " +
                               std::to_string(channels));
        if (page.mapped.empty() == premapped)
            throw ProcessError("cannot write " + shown + ": pages mapped to integers mixed with float pages");
    }
    const std::string ext = output_ext(path, options);
    Written w;
    const bool keep_alpha = alpha_format(ext);
    if (!keep_alpha && pages.front().alpha)
        w.warnings.push_back("the alpha channel is not written: '" + ext + "' files hold none (.png, .tif, .exr " +
                             "and .webp do)");
    const SampleCounts counts = count_samples(pages, options);
    const std::optional<SampleMap> map = sample_map(path, options, counts);
    if (!map && premapped) throw ProcessError("cannot write " + shown + ": the pages were mapped to integers");
    const std::size_t nonfinite = counts.nan + counts.positive + counts.negative;
    std::vector<cv::Mat> mats;
    if (!map) {
        w.mapping = "32-bit float, values unscaled";
        if (nonfinite) w.warnings.push_back(describe_nonfinite(counts) + " written as they are");
        for (const OutputPage& page : pages) {
            cv::Mat colour = fftconv::to_mat(page.planes);  // CV_32F, interleaved
            // Alpha in a float file as in a float input: 0..1.
            mats.push_back(page.alpha && keep_alpha ? with_alpha(colour, fftconv::to_mat(*page.alpha) / options.white)
                                                    : colour);
        }
    } else {
        w.mapping = std::string(map->depth == CV_16U ? "16-bit, " : "8-bit, ") + map->text;
        if (nonfinite)
            w.warnings.push_back(describe_nonfinite(counts) + " written as " +
                                 format("%g (NaN), %g (+Inf) and %g (-Inf); --raw keeps them", 0, map->top, 0));
        for (const OutputPage& page : pages) {
            cv::Mat out = page.mapped;
            if (!premapped) {
                // Row by row from the planes: no float copy of the whole image.
                const int rows = static_cast<int>(page.planes.front().rows());
                const int cols = static_cast<int>(page.planes.front().cols());
                std::vector<const float*> channels;
                for (const fftconv::Image<float>& p : page.planes) channels.push_back(p.data());
                out.create(rows, cols, CV_MAKETYPE(map->depth, static_cast<int>(page.planes.size())));
                map->map_rows(channels, rows, cols, out);
            }
            if (page.alpha && keep_alpha) {
                cv::Mat a;
                fftconv::to_mat(*page.alpha).convertTo(a, out.depth(), map->top / options.white);
                out = with_alpha(out, a);
            }
            mats.push_back(out);
        }
    }
    // OpenCV stores 3-channel float TIFFs in the lossy LogLuv encoding unless a compression is named.
    std::vector<int> params;
    if (ext == ".tif" || ext == ".tiff") params = {cv::IMWRITE_TIFF_COMPRESSION, 5 /* LZW, lossless */};
    write_atomically(
        path,
        [&](const std::string& tmp) {
            return mats.size() == 1 ? cv::imwrite(tmp, mats.front(), params) : cv::imwrite(tmp, mats, params);
        },
        ext);
    return w;
}

}  // namespace app
