#include "image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

}  // namespace

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
    std::error_code ec;
    if (!fs::exists(path, ec)) throw ProcessError("cannot read '" + path + "': no such file");
    if (fs::is_directory(path, ec)) throw ProcessError("cannot read '" + path + "': it is a directory");
    cv::Mat m;
    try {
        m = cv::imread(path, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw ProcessError("cannot read '" + path + "': " + e.what());
    }
    if (m.empty()) throw ProcessError("cannot read '" + path + "' as an image (not a format OpenCV can decode)");
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
        throw UsageError("output '" + path + "': directory '" + dir.string() + "' does not exist");
    if (fs::is_directory(path, ec)) throw UsageError("output '" + path + "' is a directory");
    for (const std::string& in : inputs)
        if (fs::exists(path, ec) && fs::equivalent(path, in, ec))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + path + "')");
}

void write_atomically(const std::string& path, const std::function<bool(const std::string&)>& write) {
    // A hidden name in the same directory (so rename is atomic) with the real extension (OpenCV
    // picks the format by it).
    const fs::path target(path);
    std::random_device rd;
    std::string name = ".";
    name += target.stem().string();
    name += ".tmp" + std::to_string(rd() % 1000000);
    name += target.extension().string();
    const std::string tmp = (target.parent_path() / name).string();
    bool ok = false;
    std::string why;
    try {
        ok = write(tmp);
    } catch (const std::exception& e) {
        why = e.what();
    }
    std::error_code ec;
    if (!ok) {
        fs::remove(tmp, ec);
        throw ProcessError("could not write '" + path + "'" + (why.empty() ? "" : ": " + why));
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw ProcessError("could not write '" + path + "': " + ec.message());
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
