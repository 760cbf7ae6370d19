#include "image_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <system_error>

#include "cli.hpp"
#include "fftconv/opencv.hpp"

namespace fs = std::filesystem;

namespace app {

namespace {

std::string lower_extension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

bool float_format(const std::string& ext) {
    return ext == ".tif" || ext == ".tiff" || ext == ".exr" || ext == ".pfm";
}
bool sixteen_bit_format(const std::string& ext) {
    return ext == ".png" || ext == ".tif" || ext == ".tiff";
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

}  // namespace

std::mutex& console_mutex() {
    static std::mutex m;
    return m;
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
    return fftconv::to_string(shape()) + " " + ch + " " + depth_name;
}

Picture read_picture(const std::string& path) {
    enable_exr();
    const auto failure = [&](const std::string& why) { return ProcessError("cannot read '" + path + "': " + why); };
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) throw failure("no such file");
    if (ec) throw failure(ec.message());
    if (fs::is_directory(status)) throw failure("it is a directory");
    if (!fs::is_regular_file(status)) throw failure("not a regular file");
    // Open it once here so that a permission problem is named as one (imread only says "empty").
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw failure(std::strerror(errno));
    ::close(fd);
    if (fs::file_size(path, ec) == 0 && !ec) throw failure("the file is empty");
    cv::Mat m;
    std::string messages;
    {
        CodecMessages codec;
        try {
            m = cv::imread(path, cv::IMREAD_UNCHANGED);
        } catch (const cv::Exception& e) {
            throw failure(e.err);
        }
        messages = codec.text();
    }
    if (m.empty()) {
        const std::string why = gist(messages);
        throw ProcessError("cannot read '" + path + "' as an image (" +
                           (why.empty() ? "not a format OpenCV can decode" : why) + ")");
    }
    // libjpeg decodes a truncated file "successfully", filling the missing part with gray, and
    // only warns.
    if (messages.find("Premature end of JPEG file") != std::string::npos)
        throw failure("the file is truncated (Premature end of JPEG file)");
    Picture p;
    p.path = path;
    p.depth = m.depth();
    p.white = p.depth == CV_8U    ? 255
              : p.depth == CV_16U ? 65535
              : p.depth == CV_8S  ? 127
              : p.depth == CV_16S ? 32767
                                  : 1;
    p.planes = fftconv::to_planes<float>(m);
    p.high = p.white;
    if (p.depth == CV_32F || p.depth == CV_64F) {
        double lo = 0, hi = 0;
        cv::minMaxLoc(m.reshape(1), &lo, &hi);
        p.low = std::min(lo, 0.0);
        p.high = std::max(hi, 1.0);
    } else if (p.depth == CV_8S || p.depth == CV_16S || p.depth == CV_32S) {
        p.low = p.depth == CV_8S ? -128 : p.depth == CV_16S ? -32768 : -2147483648.0;
    }
    return p;
}

fftconv::Image<float> gray_of(const Picture& p) {
    fftconv::Image<float> g = p.planes.front();
    if (p.channels() == 1) return g;
    // Colour channels averaged; an alpha channel (the 4th) does not count.
    const std::size_t n = std::min<std::size_t>(p.channels(), 3);
    for (std::size_t k = 1; k < n; ++k)
        for (std::ptrdiff_t i = 0; i < g.size(); ++i) g.values()[i] += p.planes[k].values()[i];
    for (float& v : g.values()) v /= static_cast<float>(n);
    return g;
}

void check_output(const std::string& path, const std::vector<std::string>& inputs, bool raw) {
    enable_exr();
    const std::string ext = lower_extension(path);
    if (ext.empty())
        throw UsageError("output '" + path + "' has no extension to choose the format by (.png, .tif, ...)");
    if (raw && !float_format(ext))
        throw UsageError("--raw writes float samples, which needs .tif, .tiff, .exr or .pfm; got '" + path + "'");
    if (!cv::haveImageWriter(path)) throw UsageError("output '" + path + "': OpenCV cannot write '" + ext + "' files");
    std::error_code ec;
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
        throw UsageError("output '" + path + "': " +
                         (fs::exists(dir, ec) ? "'" + dir.string() + "' is not a directory"
                                              : "directory '" + dir.string() + "' does not exist"));
    if (fs::is_directory(path, ec)) throw UsageError("output '" + path + "' is a directory");
    for (const std::string& in : inputs)
        if (same_file(path, in))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + path + "')");
    const std::string d = dir.empty() ? "." : dir.string();
    if (::access(d.c_str(), W_OK | X_OK) != 0)
        throw UsageError("output '" + path + "': cannot write into directory '" + d + "' (" + std::strerror(errno) +
                         ")");
}

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    const fs::path ca = fs::weakly_canonical(a, ec);
    if (ec) return a == b;
    const fs::path cb = fs::weakly_canonical(b, ec);
    return ec ? a == b : ca == cb;
}

void write_atomically(const std::string& path, const std::function<bool(const std::string&)>& write) {
    // A hidden name in the same directory (so that the rename is atomic) with the real extension
    // (OpenCV picks the format by it), created exclusively so that no existing file is touched.
    const fs::path target(path);
    std::random_device rd;
    std::string tmp;
    for (int attempt = 0; tmp.empty(); ++attempt) {
        std::string name = ".";
        name += target.stem().string();
        name += ".tmp";
        name += std::to_string(rd() % 1000000);
        name += target.extension().string();
        const std::string candidate = (target.parent_path() / name).string();
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            ::close(fd);
            tmp = candidate;
        } else if (errno != EEXIST || attempt == 100) {
            const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
            throw ProcessError("could not write '" + path + "': cannot create a file in '" + dir + "' (" +
                               std::strerror(errno) + ")");
        }
    }
    bool ok = false;
    std::string why;
    {
        CodecMessages codec;
        try {
            ok = write(tmp);
        } catch (const cv::Exception& e) {
            why = e.err;
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (!ok && why.empty()) why = gist(codec.text());
    }
    std::error_code ec;
    if (!ok) {
        fs::remove(tmp, ec);
        throw ProcessError("could not write '" + path + "'" + (why.empty() ? "" : ": " + why));
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        const std::string message = ec.message();
        fs::remove(tmp, ec);
        throw ProcessError("could not write '" + path + "': " + message);
    }
}

std::string write_picture(const std::string& path, const Planes& planes, const WriteOptions& options) {
    if (planes.size() == 2 || planes.size() > 4)
        throw ProcessError("cannot write '" + path + "': image files hold 1, 3 or 4 channels, the result has " +
                           std::to_string(planes.size()));
    cv::Mat m = fftconv::to_mat(planes);  // CV_32F, channels merged
    const std::string ext = lower_extension(path);
    std::string mapping;
    if (options.raw) {
        mapping = "32-bit float, values unscaled";
    } else {
        double lo = 0, hi = 0;
        cv::minMaxLoc(m.reshape(1), &lo, &hi);
        const bool sixteen = options.sixteen_bit && sixteen_bit_format(ext);
        const double top = sixteen ? 65535 : 255;
        const double range_lo = options.low, range_hi = options.high, slack = 0.02 * (range_hi - range_lo);
        Scaling scaling = options.scaling;
        std::size_t outside = 0, clipped = 0;  // beyond the input's range with and without the slack
        const cv::Mat flat = m.reshape(1, 1);
        for (int i = 0; i < flat.cols; ++i) {
            const float v = flat.at<float>(0, i);
            outside += v < range_lo - slack || v > range_hi + slack;
            clipped += v < range_lo || v > range_hi;
        }
        if (scaling == Scaling::automatic)
            scaling = static_cast<double>(outside) <= 0.005 * static_cast<double>(flat.cols) ? Scaling::keep
                      : lo < 0 ? Scaling::signed_around_zero
                               : Scaling::stretch;
        double scale = 1, offset = 0;
        if (scaling == Scaling::keep) {
            scale = top / (range_hi - range_lo);
            offset = -range_lo * scale;
            mapping = format("values kept (%g..%g", range_lo, range_hi) +
                      (range_lo != 0 || range_hi != top ? format(" -> 0..%g", top) : "") +
                      (clipped ? format(", %.3g%% of samples clipped", 100.0 * static_cast<double>(clipped) / flat.cols)
                               : "") +
                      ")";
        } else if (scaling == Scaling::signed_around_zero) {
            const double a = std::max({-lo, hi, 1e-30});
            scale = (top / 2) / a;
            offset = top / 2;
            mapping = format("signed: 0 -> %g, ±%.6g -> 0/%g", std::round(top / 2), a, top);
        } else {
            const double from = std::min(lo, 0.0), span = std::max(hi - from, 1e-30);
            scale = top / span;
            offset = -from * scale;
            mapping = format("stretched: %.6g..%.6g -> 0..%g", from, from + span, top);
        }
        cv::Mat out;
        m.convertTo(out, sixteen ? CV_16U : CV_8U, scale, offset);  // rounds and saturates
        m = out;
        mapping = (sixteen ? "16-bit, " : "8-bit, ") + mapping;
    }
    // OpenCV stores 3-channel float TIFFs in the lossy LogLuv encoding unless a compression is named.
    std::vector<int> params;
    if (ext == ".tif" || ext == ".tiff") params = {cv::IMWRITE_TIFF_COMPRESSION, 5 /* LZW, lossless */};
    write_atomically(path, [&](const std::string& tmp) { return cv::imwrite(tmp, m, params); });
    return mapping;
}

}  // namespace app
