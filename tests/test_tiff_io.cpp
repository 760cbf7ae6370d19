// The tool's (Big)TIFF region I/O (apps/tiff_io.cpp): boxes read by Reader against OpenCV's
// decoder (cv::imread) and against the values that files written here through libtiff directly
// hold (strips with a short last one, tiles with partial edge tiles, planar separate, LZW,
// deflate, BigTIFF, big-endian, every integer width, pages); a hand-made file whose header comes
// first, cut short; what read_info refuses; Writer's tiles in aligned and in scattered boxes read
// back by both, its rounding against cv::Mat::convertTo, BigTIFF chosen or forced, and a file
// that appears only complete. libtiff must print nothing on stderr throughout.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../apps/cli.hpp"
#include "../apps/tiff_io.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
namespace tio = app::tiff;  // not `tiff`: <tiffio.h> declares struct tiff
using fftconv::Extents;

namespace {

using test_support::Scratch;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

void print_to_stderr(const char* module, const char* fmt, va_list ap) {
    std::fprintf(stderr, "%s: ", module ? module : "libtiff");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
}

// Everything written to stderr (file descriptor 2) while it lives: libtiff must write nothing.
// libtiff's process-wide handlers print there meanwhile (OpenCV replaces the default ones with
// its own once it has read a TIFF), so that a message that reached them would show.
class StderrCapture {
public:
    explicit StderrCapture(std::string file)
        : file_(std::move(file)),
          error_(TIFFSetErrorHandler(print_to_stderr)),
          warning_(TIFFSetWarningHandler(print_to_stderr)) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~StderrCapture() { restore(); }
    std::string text() {
        restore();
        return slurp(file_);
    }

private:
    void restore() {
        if (saved_ < 0) return;
        TIFFSetErrorHandler(error_);
        TIFFSetWarningHandler(warning_);
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    std::string file_;
    TIFFErrorHandler error_, warning_;
    int saved_ = -1;
};

// A ProcessError's message from f, or "" when it throws none.
std::string process_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const app::ProcessError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

// 'path', as messages name files (built by appending: g++ 12 warns falsely on "'" + path).
std::string quoted(const std::string& path) {
    std::string q = "'";
    q += path;
    q += "'";
    return q;
}

// ---- values ----

double mat_value(const cv::Mat& m, int r, int c, int ch) {
    const int n = m.channels();
    switch (m.depth()) {
        case CV_8U: return m.ptr<std::uint8_t>(r)[c * n + ch];
        case CV_8S: return m.ptr<std::int8_t>(r)[c * n + ch];
        case CV_16U: return m.ptr<std::uint16_t>(r)[c * n + ch];
        case CV_16S: return m.ptr<std::int16_t>(r)[c * n + ch];
        case CV_32S: return m.ptr<std::int32_t>(r)[c * n + ch];
        case CV_32F: return m.ptr<float>(r)[c * n + ch];
        default: return m.ptr<double>(r)[c * n + ch];
    }
}

// The OpenCV channel of TIFF sample s: OpenCV gives colour as B, G, R (and A).
int cv_channel(int s, int channels) {
    return channels >= 3 && s < 3 ? 2 - s : s;
}

bool same(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

// One box read and compared element by element with expected(r, c, s) converted to T.
template <class T>
void expect_box(tio::Reader<T>& reader, const Extents& first, const Extents& box,
                const std::function<double(std::int64_t, std::int64_t, std::int64_t)>& expected) {
    fftconv::Array<T> got(box, T(-12345));
    reader.read(first, got.view());
    const std::int64_t samples = box.rank() == 3 ? box[2] : 1;
    const std::int64_t s0 = box.rank() == 3 ? first[2] : 0;
    std::int64_t wrong = 0;
    std::string first_wrong;
    for (std::int64_t r = 0; r < box[0]; ++r)
        for (std::int64_t c = 0; c < box[1]; ++c)
            for (std::int64_t s = 0; s < samples; ++s) {
                const double want = static_cast<T>(expected(first[0] + r, first[1] + c, s0 + s));
                const double have = got.data()[(r * box[1] + c) * samples + s];
                if (!same(want, have) && wrong++ == 0)
                    first_wrong = "at " + std::to_string(first[0] + r) + "," + std::to_string(first[1] + c) + "," +
                                  std::to_string(s0 + s) + ": " + std::to_string(have) + " instead of " +
                                  std::to_string(want);
            }
    CAPTURE(fftconv::to_string(first));
    CAPTURE(fftconv::to_string(box));
    CAPTURE(first_wrong);
    CHECK(wrong == 0);
}

// Boxes to read from an array of `shape`: the whole, its corner elements, one element inside,
// rows and columns whole, and random boxes (with part of the samples for a 3D shape).
std::vector<std::pair<Extents, Extents>> boxes_for(const Extents& shape, std::mt19937& rng, int random_boxes) {
    const int rank = shape.rank();
    const auto with_samples = [&](std::int64_t r, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t s0,
                                  std::int64_t ns) {
        return rank == 3 ? std::pair{Extents{r, c, s0}, Extents{h, w, ns}} : std::pair{Extents{r, c}, Extents{h, w}};
    };
    const std::int64_t rows = shape[0], cols = shape[1], samples = rank == 3 ? shape[2] : 1;
    std::vector<std::pair<Extents, Extents>> boxes = {
        with_samples(0, 0, rows, cols, 0, samples),         with_samples(0, 0, 1, 1, 0, samples),
        with_samples(rows - 1, cols - 1, 1, 1, 0, samples), with_samples(rows - 1, 0, 1, cols, 0, samples),
        with_samples(0, cols - 1, rows, 1, 0, samples),     with_samples(rows / 2, cols / 2, 1, 1, samples - 1, 1),
    };
    for (int i = 0; i < random_boxes; ++i) {
        const auto pick = [&](std::int64_t n) {
            std::int64_t a = std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
            std::int64_t b = std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
            if (a > b) std::swap(a, b);
            return std::pair{a, b - a + 1};
        };
        const auto [r, h] = pick(rows);
        const auto [c, w] = pick(cols);
        const auto [s, ns] = pick(samples);
        boxes.push_back(with_samples(r, c, h, w, s, ns));
    }
    return boxes;
}

// ---- files written through libtiff directly ----

struct Layout {
    int samples = 1;
    int bits = 8;
    std::uint16_t format = SAMPLEFORMAT_UINT;
    bool tiled = false;
    std::uint32_t tile_rows = 16, tile_cols = 16;
    std::uint32_t rows_per_strip = 0;  // 0: one strip
    bool separate = false;
    std::uint16_t compression = COMPRESSION_NONE;
    bool big_tiff = false;
    bool big_endian = false;
};

std::string layout_text(std::int64_t rows, std::int64_t cols, const Layout& l) {
    return std::to_string(rows) + "x" + std::to_string(cols) + " samples " + std::to_string(l.samples) + " bits " +
           std::to_string(l.bits) + " format " + std::to_string(l.format) +
           (l.tiled ? " tiled " + std::to_string(l.tile_rows) + "x" + std::to_string(l.tile_cols)
                    : " rps " + std::to_string(l.rows_per_strip)) +
           (l.separate ? " separate" : "") + " compression " + std::to_string(l.compression) +
           (l.big_tiff ? " bigtiff" : "") + (l.big_endian ? " big-endian" : "");
}

// Interleaved values (rows x cols x samples) as the layout's samples.
struct Page {
    std::int64_t rows = 0, cols = 0;
    Layout layout;
    std::vector<double> values;
    double at(std::int64_t r, std::int64_t c, std::int64_t s) const {
        return values[static_cast<std::size_t>((r * cols + c) * layout.samples + s)];
    }
};

// Random values that the sample type holds exactly, and that a double holds exactly.
Page random_page(std::int64_t rows, std::int64_t cols, const Layout& layout, std::mt19937& rng) {
    Page p{rows, cols, layout, {}};
    p.values.resize(static_cast<std::size_t>(rows * cols * layout.samples));
    for (double& v : p.values) {
        if (layout.format == SAMPLEFORMAT_IEEEFP) {
            v = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
            if (layout.bits == 32) v = static_cast<float>(v);
        } else {
            const int magnitude = std::min(layout.bits, 53);
            const double top = std::ldexp(1.0, layout.format == SAMPLEFORMAT_INT ? magnitude - 1 : magnitude);
            const double lo = layout.format == SAMPLEFORMAT_INT ? -top : 0;
            v = std::floor(std::uniform_real_distribution<double>(lo, top)(rng));
            if (v >= top) v = top - 1;
        }
    }
    return p;
}

void put_sample(unsigned char* dst, double v, const Layout& l) {
    const auto put = [&](auto x) { std::memcpy(dst, &x, sizeof x); };
    if (l.format == SAMPLEFORMAT_IEEEFP) {
        l.bits == 32 ? put(static_cast<float>(v)) : put(v);
    } else if (l.format == SAMPLEFORMAT_INT) {
        switch (l.bits) {
            case 8: put(static_cast<std::int8_t>(v)); break;
            case 16: put(static_cast<std::int16_t>(v)); break;
            case 32: put(static_cast<std::int32_t>(v)); break;
            default: put(static_cast<std::int64_t>(v)); break;
        }
    } else {
        switch (l.bits) {
            case 8: put(static_cast<std::uint8_t>(v)); break;
            case 16: put(static_cast<std::uint16_t>(v)); break;
            case 32: put(static_cast<std::uint32_t>(v)); break;
            default: put(static_cast<std::uint64_t>(v)); break;
        }
    }
}

// libtiff's process-wide handlers off while it lives (its complaints while the odd files of the
// refusal tests are written), restored after.
class Silent {
public:
    Silent() : error_(TIFFSetErrorHandler(nullptr)), warning_(TIFFSetWarningHandler(nullptr)) {}
    ~Silent() {
        TIFFSetErrorHandler(error_);
        TIFFSetWarningHandler(warning_);
    }
    Silent(const Silent&) = delete;
    Silent& operator=(const Silent&) = delete;

private:
    TIFFErrorHandler error_, warning_;
};

// Writes the pages as a TIFF through libtiff's encoded strips or tiles; false on any failure.
bool libtiff_write(const std::string& path, const std::vector<Page>& pages) {
    const Layout& first = pages.front().layout;
    const std::string mode = std::string("w") + (first.big_tiff ? "8" : "") + (first.big_endian ? "b" : "l");
    const Silent silent;  // its remark on the legacy deflate code the tests use on purpose
    TIFF* tif = TIFFOpen(path.c_str(), mode.c_str());
    if (!tif) return false;
    bool ok = true;
    for (const Page& p : pages) {
        const Layout& l = p.layout;
        const int bytes = l.bits / 8;
        ok = ok && TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(p.cols)) &&
             TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(p.rows)) &&
             TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(l.samples)) &&
             TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(l.bits)) &&
             TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, l.format) &&
             TIFFSetField(tif, TIFFTAG_PLANARCONFIG, l.separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG) &&
             TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, l.samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
             TIFFSetField(tif, TIFFTAG_COMPRESSION, l.compression);
        const int extra = l.samples - (l.samples >= 3 ? 3 : 1);
        if (extra > 0) {
            std::vector<std::uint16_t> kinds(static_cast<std::size_t>(extra), EXTRASAMPLE_UNSPECIFIED);
            ok = ok && TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, static_cast<std::uint16_t>(extra), kinds.data());
        }
        const std::int64_t block_samples = l.separate ? 1 : l.samples;
        const std::int64_t planes = l.separate ? l.samples : 1;
        if (l.tiled) {
            ok = ok && TIFFSetField(tif, TIFFTAG_TILEWIDTH, l.tile_cols) &&
                 TIFFSetField(tif, TIFFTAG_TILELENGTH, l.tile_rows);
            const std::int64_t across = (p.cols + l.tile_cols - 1) / l.tile_cols;
            const std::int64_t down = (p.rows + l.tile_rows - 1) / l.tile_rows;
            std::vector<unsigned char> buf(static_cast<std::size_t>(l.tile_rows * l.tile_cols * block_samples * bytes));
            for (std::int64_t plane = 0; ok && plane < planes; ++plane)
                for (std::int64_t ty = 0; ok && ty < down; ++ty)
                    for (std::int64_t tx = 0; ok && tx < across; ++tx) {
                        std::fill(buf.begin(), buf.end(), 0);
                        for (std::int64_t r = 0; r < l.tile_rows; ++r)
                            for (std::int64_t c = 0; c < l.tile_cols; ++c)
                                for (std::int64_t s = 0; s < block_samples; ++s) {
                                    const std::int64_t ir = ty * l.tile_rows + r, ic = tx * l.tile_cols + c;
                                    if (ir >= p.rows || ic >= p.cols) continue;
                                    put_sample(buf.data() + ((r * l.tile_cols + c) * block_samples + s) * bytes,
                                               p.at(ir, ic, l.separate ? plane : s), l);
                                }
                        const auto index = static_cast<std::uint32_t>((plane * down + ty) * across + tx);
                        ok = TIFFWriteEncodedTile(tif, index, buf.data(), static_cast<tmsize_t>(buf.size())) ==
                             static_cast<tmsize_t>(buf.size());
                    }
        } else {
            const std::int64_t rps = l.rows_per_strip ? l.rows_per_strip : p.rows;
            ok = ok && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, static_cast<std::uint32_t>(rps));
            const std::int64_t strips = (p.rows + rps - 1) / rps;
            for (std::int64_t plane = 0; ok && plane < planes; ++plane)
                for (std::int64_t k = 0; ok && k < strips; ++k) {
                    const std::int64_t n = std::min(rps, p.rows - k * rps);
                    std::vector<unsigned char> buf(static_cast<std::size_t>(n * p.cols * block_samples * bytes));
                    for (std::int64_t r = 0; r < n; ++r)
                        for (std::int64_t c = 0; c < p.cols; ++c)
                            for (std::int64_t s = 0; s < block_samples; ++s)
                                put_sample(buf.data() + ((r * p.cols + c) * block_samples + s) * bytes,
                                           p.at(k * rps + r, c, l.separate ? plane : s), l);
                    const auto index = static_cast<std::uint32_t>(plane * strips + k);
                    ok = TIFFWriteEncodedStrip(tif, index, buf.data(), static_cast<tmsize_t>(buf.size())) ==
                         static_cast<tmsize_t>(buf.size());
                }
        }
        ok = ok && TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    return ok;
}

// A classic little-endian 8-bit gray TIFF made by hand, header and strip tables first and the
// strips after them (libtiff puts its directory last), each pixel (7r + 3c) mod 256.
// With another `compression`, only the header: each strip's byte count 1, no data.
std::string handmade_tiff(std::uint32_t rows, std::uint32_t cols, std::uint32_t rows_per_strip,
                          std::uint32_t* data_offset = nullptr, std::uint32_t compression = COMPRESSION_NONE) {
    std::string f;
    const auto u16 = [&](std::uint32_t v) { f += char(v & 255), f += char((v >> 8) & 255); };
    const auto u32 = [&](std::uint32_t v) { u16(v & 0xffff), u16(v >> 16); };
    const std::uint32_t strips = (rows + rows_per_strip - 1) / rows_per_strip;
    const std::uint32_t entries = 9;
    const std::uint32_t tables = 8 + 2 + entries * 12 + 4;  // after the directory
    const std::uint32_t data = tables + 8 * strips;
    f += "II";
    u16(42);
    u32(8);
    u16(entries);
    const auto entry = [&](std::uint32_t tag, std::uint32_t type, std::uint32_t count, std::uint32_t value) {
        u16(tag), u16(type), u32(count);
        if (type == 3 && count == 1) {
            u16(value), u16(0);
        } else {
            u32(value);
        }
    };
    entry(256, 4, 1, cols);
    entry(257, 4, 1, rows);
    entry(258, 3, 1, 8);
    entry(259, 3, 1, compression);
    entry(262, 3, 1, 1);
    entry(273, 4, strips, strips == 1 ? data : tables);
    entry(277, 3, 1, 1);
    entry(278, 4, 1, rows_per_strip);
    entry(279, 4, strips, strips == 1 ? rows * cols : tables + 4 * strips);
    u32(0);
    for (std::uint32_t k = 0; k < strips; ++k) u32(data + k * rows_per_strip * cols);
    const bool raw = compression == COMPRESSION_NONE;
    for (std::uint32_t k = 0; k < strips; ++k)
        u32(raw ? std::min(rows_per_strip, rows - k * rows_per_strip) * cols : 1);
    if (data_offset) *data_offset = data;
    if (!raw) return f;
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::uint32_t c = 0; c < cols; ++c) f += char((7 * r + 3 * c) & 255);
    return f;
}

}  // namespace

TEST_CASE("is_tiff: the four byte-order marks and versions") {
    Scratch dir;
    const std::pair<const char*, bool> cases[] = {
        {"II*\0", true},  {"MM\0*", true},  {"II+\0", true},    {"MM\0+", true},
        {"II\0*", false}, {"MM*\0", false}, {"\x89PNG", false}, {"IIxx", false},
    };
    for (const auto& [magic, expected] : cases) {
        const std::string path = dir / "f.bin";
        write_bytes(path, std::string(magic, 4) + "more bytes");
        CAPTURE(std::string(magic, 4));
        CHECK(tio::is_tiff(path) == expected);
    }
    write_bytes(dir / "short", "II*");
    CHECK_FALSE(tio::is_tiff(dir / "short"));
    CHECK_FALSE(tio::is_tiff(dir / "missing"));
    cv::imwrite(dir / "a.tif", cv::Mat(3, 3, CV_8U, cv::Scalar(7)));
    CHECK(tio::is_tiff(dir / "a.tif"));
}

TEST_CASE("Reader: files OpenCV writes, boxes against cv::imread") {
    Scratch dir;
    std::mt19937 rng(11);
    StderrCapture err(dir / "stderr.txt");
    const int types[] = {CV_8UC1, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC3, CV_32FC1};
    const cv::Size sizes[] = {{1, 1}, {131, 257}, {1000, 9}, {3, 700}};
    for (const int type : types)
        for (const cv::Size size : sizes) {
            cv::Mat m(size, type);
            if (CV_MAT_DEPTH(type) == CV_32F) {
                cv::randu(m, -1000.0, 1000.0);
            } else {
                cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_8U ? 256 : 65536);
            }
            const std::string path = dir / "cv.tif";
            REQUIRE(cv::imwrite(path, m));
            const cv::Mat back = cv::imread(path, cv::IMREAD_UNCHANGED);
            REQUIRE(back.type() == type);
            CAPTURE(type);
            CAPTURE(size);
            const tio::Info info = tio::read_info(path);
            CHECK(info.rows == size.height);
            CHECK(info.cols == size.width);
            CHECK(info.samples == m.channels());
            CHECK(info.bits == 8 * static_cast<int>(m.elemSize1()));
            CHECK(info.format == (CV_MAT_DEPTH(type) == CV_32F ? tio::SampleFormat::floating_point
                                                               : tio::SampleFormat::unsigned_integer));
            CHECK_FALSE(info.tiled);
            CHECK_FALSE(info.big_tiff);
            CHECK(info.pages == 1);
            CHECK(info.shape() == (m.channels() == 1 ? Extents{size.height, size.width}
                                                     : Extents{size.height, size.width, m.channels()}));
            const auto expected = [&](std::int64_t r, std::int64_t c, std::int64_t s) {
                return mat_value(back, int(r), int(c), cv_channel(int(s), back.channels()));
            };
            tio::Reader<float> rf(path);
            tio::Reader<double> rd(path);
            CHECK(rf.shape() == info.shape());
            for (const auto& [first, box] : boxes_for(info.shape(), rng, 12)) {
                expect_box(rf, first, box, expected);
                expect_box(rd, first, box, expected);
            }
        }
    CHECK(err.text() == "");
}

TEST_CASE("Reader: files libtiff writes, every layout, boxes against the values written") {
    Scratch dir;
    std::mt19937 rng(5);
    StderrCapture err(dir / "stderr.txt");
    struct Case {
        std::int64_t rows, cols;
        Layout layout;
    };
    const auto L = [](int samples, int bits, std::uint16_t format) {
        Layout l;
        l.samples = samples;
        l.bits = bits;
        l.format = format;
        return l;
    };
    std::vector<Case> cases;
    {
        Layout l = L(1, 8, SAMPLEFORMAT_UINT);
        l.rows_per_strip = 1;
        cases.push_back({1, 1, l});
    }
    {
        Layout l = L(1, 16, SAMPLEFORMAT_UINT);  // strips of 5 rows, the last of 2
        l.rows_per_strip = 5;
        cases.push_back({257, 131, l});
    }
    {
        Layout l = L(1, 16, SAMPLEFORMAT_UINT);  // the same big-endian: libtiff swaps
        l.rows_per_strip = 5;
        l.big_endian = true;
        cases.push_back({257, 131, l});
    }
    {
        Layout l = L(3, 32, SAMPLEFORMAT_IEEEFP);  // partial tiles at the right and bottom
        l.tiled = true;
        l.tile_rows = 32;
        l.tile_cols = 48;
        cases.push_back({257, 131, l});
    }
    {
        Layout l = L(3, 8, SAMPLEFORMAT_UINT);  // planar separate strips, LZW
        l.rows_per_strip = 7;
        l.separate = true;
        l.compression = COMPRESSION_LZW;
        cases.push_back({257, 131, l});
    }
    {
        Layout l = L(2, 16, SAMPLEFORMAT_INT);  // planar separate tiles, deflate
        l.tiled = true;
        l.separate = true;
        l.compression = COMPRESSION_ADOBE_DEFLATE;
        cases.push_back({100, 300, l});
    }
    {
        Layout l = L(1, 64, SAMPLEFORMAT_IEEEFP);  // BigTIFF, big-endian, LZW tiles
        l.tiled = true;
        l.tile_rows = 64;
        l.tile_cols = 64;
        l.big_tiff = true;
        l.big_endian = true;
        l.compression = COMPRESSION_LZW;
        cases.push_back({300, 200, l});
    }
    {
        Layout l = L(1, 32, SAMPLEFORMAT_INT);  // one deflate strip
        l.compression = COMPRESSION_DEFLATE;
        cases.push_back({131, 257, l});
    }
    {
        Layout l = L(4, 32, SAMPLEFORMAT_UINT);
        l.rows_per_strip = 3;
        cases.push_back({77, 91, l});
    }
    {
        Layout l = L(5, 8, SAMPLEFORMAT_INT);
        l.tiled = true;
        l.compression = COMPRESSION_PACKBITS;
        cases.push_back({33, 17, l});
    }
    {
        Layout l = L(1, 64, SAMPLEFORMAT_UINT);
        l.rows_per_strip = 4;
        cases.push_back({37, 29, l});
    }
    {
        Layout l = L(3, 64, SAMPLEFORMAT_INT);
        l.tiled = true;
        l.big_tiff = true;
        cases.push_back({20, 40, l});
    }
    {
        Layout l = L(1, 8, SAMPLEFORMAT_UINT);  // one uncompressed strip, which libtiff presents chopped
        cases.push_back({400, 301, l});
    }

    for (const Case& k : cases) {
        CAPTURE(layout_text(k.rows, k.cols, k.layout));
        const Page page = random_page(k.rows, k.cols, k.layout, rng);
        const std::string path = dir / "lib.tif";
        REQUIRE(libtiff_write(path, {page}));
        const tio::Info info = tio::read_info(path);
        CHECK(info.rows == k.rows);
        CHECK(info.cols == k.cols);
        CHECK(info.samples == k.layout.samples);
        CHECK(info.extra_samples == k.layout.samples - (k.layout.samples >= 3 ? 3 : 1));
        CHECK(info.bits == k.layout.bits);
        CHECK(info.tiled == k.layout.tiled);
        CHECK(info.planar_separate == k.layout.separate);
        CHECK(info.big_tiff == k.layout.big_tiff);
        CHECK(info.compression == k.layout.compression);
        CHECK(info.pages == 1);
        if (k.layout.tiled) {
            CHECK(info.tile_rows == k.layout.tile_rows);
            CHECK(info.tile_cols == k.layout.tile_cols);
        } else if (k.layout.rows_per_strip) {
            CHECK(info.rows_per_strip == std::min<std::int64_t>(k.layout.rows_per_strip, k.rows));
        } else if (k.layout.compression == COMPRESSION_NONE) {
            CHECK(info.rows_per_strip < k.rows);  // chopped
        } else {
            CHECK(info.rows_per_strip == k.rows);
        }
        const auto expected = [&](std::int64_t r, std::int64_t c, std::int64_t s) { return page.at(r, c, s); };
        tio::Reader<double> rd(path);
        tio::Reader<float> rf(path);
        for (const auto& [first, box] : boxes_for(info.shape(), rng, 20)) {
            expect_box(rd, first, box, expected);
            expect_box(rf, first, box, expected);
        }
        // OpenCV reads the contiguous 8-, 16-bit and float ones of 1 and 3 samples as well.
        if (!k.layout.separate && (k.layout.samples == 1 || k.layout.samples == 3) &&
            k.layout.format != SAMPLEFORMAT_INT && (k.layout.bits <= 16 || k.layout.format == SAMPLEFORMAT_IEEEFP)) {
            const cv::Mat back = cv::imread(path, cv::IMREAD_UNCHANGED);
            REQUIRE_FALSE(back.empty());
            REQUIRE(back.channels() == k.layout.samples);
            const auto by_opencv = [&](std::int64_t r, std::int64_t c, std::int64_t s) {
                return mat_value(back, int(r), int(c), cv_channel(int(s), back.channels()));
            };
            expect_box(rd, info.samples == 1 ? Extents{0, 0} : Extents{0, 0, 0}, info.shape(), by_opencv);
        }
    }
    CHECK(err.text() == "");
}

TEST_CASE("Reader: each strip or tile decoded once per read, the cache within its bound") {
    Scratch dir;
    std::mt19937 rng(3);
    Layout l;
    l.bits = 16;
    l.tiled = true;
    l.tile_rows = 32;
    l.tile_cols = 16;
    const Page page = random_page(100, 70, l, rng);  // 4 x 5 tiles of 1 KiB
    const std::string path = dir / "t.tif";
    REQUIRE(libtiff_write(path, {page}));
    fftconv::Array<double> all(Extents{100, 70});

    tio::Reader<double> none(path, 0, 0);
    none.read({0, 0}, all.view());
    CHECK(none.decoded() == 20);
    none.read({0, 0}, all.view());
    CHECK(none.decoded() == 40);  // nothing kept
    fftconv::Array<double> corner(Extents{40, 20});
    none.read({20, 10}, corner.view());  // rows 20..59, columns 10..29: 2 x 2 tiles
    CHECK(none.decoded() == 44);

    tio::Reader<double> all_kept(path, 0, 20 * 1024);
    all_kept.read({0, 0}, all.view());
    all_kept.read({0, 0}, all.view());
    all_kept.read({20, 10}, corner.view());
    CHECK(all_kept.decoded() == 20);

    // Room for two tiles: those of the last read that was wholly cached are not decoded again.
    tio::Reader<double> two_kept(path, 0, 2 * 1024);
    const fftconv::View<double> row(all.data(), Extents{1, 70});
    two_kept.read({0, 0}, row);
    CHECK(two_kept.decoded() == 5);
    two_kept.read({0, 48}, fftconv::View<double>(all.data(), Extents{1, 22}));  // tiles 3 and 4
    CHECK(two_kept.decoded() == 5);
    two_kept.read({0, 0}, fftconv::View<double>(all.data(), Extents{1, 16}));  // tile 0, dropped
    CHECK(two_kept.decoded() == 6);

    // A read into a view with other strides: transposed.
    fftconv::Array<double> t(Extents{70, 100});
    const fftconv::View<double> transposed(t.data(), Extents{100, 70}, Extents{1, 100});
    two_kept.read({0, 0}, transposed);
    std::int64_t wrong = 0;
    for (std::int64_t r = 0; r < 100; ++r)
        for (std::int64_t c = 0; c < 70; ++c) wrong += t(c, r) != page.at(r, c, 0);
    CHECK(wrong == 0);
    CHECK_THROWS_AS(two_kept.read({90, 0}, fftconv::View<double>(all.data(), Extents{11, 70})), std::out_of_range);
    CHECK_THROWS_AS(two_kept.read({0, 0, 0}, fftconv::View<double>(all.data(), Extents{1, 1, 1})), std::out_of_range);
}

TEST_CASE("Reader: pages") {
    Scratch dir;
    std::mt19937 rng(8);
    Layout a, b, c;
    b.bits = 16;
    b.tiled = true;
    c.samples = 3;
    c.rows_per_strip = 2;
    const std::vector<Page> pages = {random_page(10, 20, a, rng), random_page(33, 17, b, rng),
                                     random_page(5, 6, c, rng)};
    const std::string path = dir / "pages.tif";
    REQUIRE(libtiff_write(path, pages));
    for (std::size_t p = 0; p < pages.size(); ++p) {
        CAPTURE(p);
        const tio::Info info = tio::read_info(path, p);
        CHECK(info.pages == 3);
        CHECK(info.page == p);
        CHECK(info.rows == pages[p].rows);
        CHECK(info.cols == pages[p].cols);
        tio::Reader<double> r(path, p);
        expect_box(r, info.samples == 1 ? Extents{0, 0} : Extents{0, 0, 0}, info.shape(),
                   [&](std::int64_t y, std::int64_t x, std::int64_t s) { return pages[p].at(y, x, s); });
    }
    const std::string e = process_error([&] { tio::Reader<float>(path, 3); });
    CHECK(contains(e, path));
    CHECK(contains(e, "has 3 pages; page 3"));
}

TEST_CASE("Reader: a file cut short fails on the strips it lost, naming the file and the strip") {
    Scratch dir;
    StderrCapture err(dir / "stderr.txt");
    std::uint32_t data = 0;
    const std::string whole = handmade_tiff(100, 50, 10, &data);  // strips 0..9 of 500 bytes
    const std::string path = dir / "cut.tif";
    write_bytes(path, whole);
    {
        tio::Reader<float> r(path);
        CHECK_FALSE(r.info().tiled);
        CHECK(r.info().rows_per_strip == 10);
        expect_box(r, {0, 0}, {100, 50},
                   [](std::int64_t y, std::int64_t x, std::int64_t) { return (7 * y + 3 * x) & 255; });
    }
    // Strips 0 to 3 whole, strip 4 cut in its middle, 5 to 9 gone.
    write_bytes(path, whole.substr(0, data + 4 * 500 + 250));
    tio::Reader<float> r(path);
    expect_box(r, {0, 0}, {40, 50}, [](std::int64_t y, std::int64_t x, std::int64_t) { return (7 * y + 3 * x) & 255; });
    fftconv::Array<float> out(Extents{10, 50});
    std::string e = process_error([&] { r.read({40, 0}, out.view()); });
    CHECK(contains(e, quoted(path)));
    CHECK(contains(e, "strip 4 (rows 40..49)"));
    e = process_error([&] { r.read({75, 0}, fftconv::View<float>(out.data(), Extents{1, 50})); });
    CHECK(contains(e, quoted(path)));
    CHECK(contains(e, "strip 7 (rows 70..79)"));
    CHECK(contains(e, "libtiff"));
    // The strips before still read.
    expect_box(r, {35, 3}, {5, 40}, [](std::int64_t y, std::int64_t x, std::int64_t) { return (7 * y + 3 * x) & 255; });

    // OpenCV's files carry their directory last: cut, the header itself is gone.
    cv::Mat m(200, 300, CV_8UC3, cv::Scalar(1, 2, 3));
    REQUIRE(cv::imwrite(dir / "cv.tif", m));
    const std::string cv_whole = slurp(dir / "cv.tif");
    write_bytes(dir / "cv.tif", cv_whole.substr(0, cv_whole.size() / 2));
    e = process_error([&] { tio::read_info(dir / "cv.tif"); });
    CHECK(contains(e, quoted(dir / "cv.tif")));
    CHECK(err.text() == "");
}

TEST_CASE("read_info: what is not read is refused in one line naming the file and the values") {
    Scratch dir;
    StderrCapture err(dir / "stderr.txt");
    const auto refused = [&](const std::string& path, const std::string& part) {
        const std::string e = process_error([&] { tio::read_info(path); });
        CAPTURE(e);
        CHECK(contains(e, quoted(path)));
        CHECK(contains(e, part));
        CHECK(e.find('\n') == std::string::npos);
        CHECK(process_error([&] { tio::Reader<double>{path}; }) == e);
    };
    write_bytes(dir / "text.tif", "hello, not an image");
    refused(dir / "text.tif", "not a TIFF file (it starts with bytes 68 65 6c 6c");
    REQUIRE(cv::imwrite(dir / "png.tif.png", cv::Mat(4, 4, CV_8U, cv::Scalar(1))));
    refused(dir / "png.tif.png", "not a TIFF file");
    write_bytes(dir / "tiny.tif", "II");
    refused(dir / "tiny.tif", "not a TIFF file (2 bytes long)");
    refused(dir / "missing.tif", "does not exist");
    write_bytes(dir / "header.tif", std::string("II*\0\x08\0\0\0\x01\x00", 10));
    refused(dir / "header.tif", "libtiff");

    // Samples of other widths, formats and photometrics, written by libtiff with raw strips.
    const auto raw = [&](const std::string& name, int bits, std::uint16_t format, std::uint16_t photometric,
                         std::uint16_t compression = COMPRESSION_NONE, int samples = 1) {
        const std::string path = dir / name;
        const Silent silent;
        TIFF* t = TIFFOpen(path.c_str(), "w");
        REQUIRE(t != nullptr);
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 16u);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, 16u);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bits);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
        TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, format);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
        TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16u);
        if (photometric == PHOTOMETRIC_PALETTE) {
            std::vector<std::uint16_t> map(std::size_t{1} << bits, 0);
            TIFFSetField(t, TIFFTAG_COLORMAP, map.data(), map.data(), map.data());
        }
        if (compression == COMPRESSION_JPEG) TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        std::vector<unsigned char> row(static_cast<std::size_t>(TIFFScanlineSize(t)), 0);
        bool ok = true;
        for (std::uint32_t r = 0; r < 16; ++r) ok = ok && TIFFWriteScanline(t, row.data(), r, 0) == 1;
        TIFFClose(t);
        REQUIRE(ok);
        return path;
    };
    refused(raw("one.tif", 1, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK), "1-bit samples");
    refused(raw("four.tif", 4, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK), "4-bit samples");
    refused(raw("twelve.tif", 12, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK), "12-bit samples");
    refused(raw("half.tif", 16, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK), "16-bit float samples");
    refused(raw("palette.tif", 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_PALETTE), "palette image");
    refused(raw("complex.tif", 64, SAMPLEFORMAT_COMPLEXIEEEFP, PHOTOMETRIC_MINISBLACK), "complex samples");
    refused(raw("complexint.tif", 32, SAMPLEFORMAT_COMPLEXINT, PHOTOMETRIC_MINISBLACK), "complex samples");
    refused(raw("void.tif", 8, SAMPLEFORMAT_VOID, PHOTOMETRIC_MINISBLACK), "sample format 4");
    refused(raw("ycbcr.tif", 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_YCBCR, COMPRESSION_JPEG, 3), "YCbCr");
    // One LZW strip of 40000 x 40000 (the data need not be there: the header is refused).
    write_bytes(dir / "one-strip.tif", handmade_tiff(40000, 40000, 40000, nullptr, COMPRESSION_LZW));
    refused(dir / "one-strip.tif", "stored in strips of 40000x40000 (1.6 GB each decoded), more than the 1.1 GB");
    // OpenCV stores 3-channel float as LogLuv unless told otherwise.
    REQUIRE(cv::imwrite(dir / "logluv.tif", cv::Mat(8, 8, CV_32FC3, cv::Scalar(0.5, 0.25, 1))));
    refused(dir / "logluv.tif", "LogLuv");
    CHECK(err.text() == "");
}

TEST_CASE("Writer: tiles in aligned and in scattered boxes, read back by cv::imread and Reader") {
    Scratch dir;
    std::mt19937 rng(21);
    StderrCapture err(dir / "stderr.txt");
    struct Case {
        Extents shape;
        tio::SampleType type;
        tio::WriterOptions options;
    };
    tio::WriterOptions small;
    small.tile_rows = 16;
    small.tile_cols = 32;
    tio::WriterOptions deflate = small;
    deflate.deflate = true;
    const Case cases[] = {
        {{1, 1}, tio::SampleType::float32, {}},           {{257, 131}, tio::SampleType::float32, small},
        {{257, 131, 3}, tio::SampleType::float32, small}, {{300, 513}, tio::SampleType::uint8, {}},
        {{100, 70, 3}, tio::SampleType::uint8, small},    {{99, 45, 4}, tio::SampleType::uint16, small},
        {{64, 64}, tio::SampleType::uint16, deflate},     {{50, 77, 3}, tio::SampleType::float32, deflate},
        {{40, 33}, tio::SampleType::float64, small},      {{40, 33, 2}, tio::SampleType::uint8, small},
        {{17, 19, 5}, tio::SampleType::float64, deflate},
    };
    for (const Case& k : cases)
        for (const bool scattered : {false, true})
            for (const bool as_float : {false, true}) {
                const Extents& shape = k.shape;
                const int rank = shape.rank();
                const std::int64_t rows = shape[0], cols = shape[1], samples = rank == 3 ? shape[2] : 1;
                CAPTURE(fftconv::to_string(shape));
                CAPTURE(tio::type_name(k.type));
                CAPTURE(k.options.tile_rows);
                CAPTURE(k.options.deflate);
                CAPTURE(scattered);
                CAPTURE(as_float);
                // Values with halves and NaN for the integer types, to meet the rounding rule.
                fftconv::Array<double> values(shape);
                for (double& v : values.values()) {
                    if (k.type == tio::SampleType::uint8) {
                        v = std::uniform_int_distribution<int>(-40, 600)(rng) / 2.0;
                    } else if (k.type == tio::SampleType::uint16) {
                        v = std::uniform_int_distribution<int>(-400, 132000)(rng) / 2.0;
                    } else {
                        v = std::uniform_real_distribution<double>(-1e3, 1e3)(rng);
                    }
                    if (std::uniform_int_distribution<int>(0, 50)(rng) == 0) v = NAN;
                }
                // What each sample should become: OpenCV's convertTo for the integer types.
                const int cv_depth = k.type == tio::SampleType::uint8     ? CV_8U
                                     : k.type == tio::SampleType::uint16  ? CV_16U
                                     : k.type == tio::SampleType::float32 ? CV_32F
                                                                          : CV_64F;
                cv::Mat src(int(rows), int(cols * samples), as_float ? CV_32F : CV_64F);
                for (std::int64_t i = 0; i < values.size(); ++i) {
                    if (as_float) {
                        src.ptr<float>()[i] = static_cast<float>(values.data()[i]);
                    } else {
                        src.ptr<double>()[i] = values.data()[i];
                    }
                }
                cv::Mat want;
                src.convertTo(want, cv_depth);
                want = want.reshape(int(samples));

                const std::string path = dir / "out.tif";
                const auto write_all = [&](auto& writer, const auto& data) {
                    const Extents a = writer.alignment();
                    CHECK(a[0] == k.options.tile_rows);
                    CHECK(a[1] == k.options.tile_cols);
                    CHECK(a.rank() == rank);
                    if (rank == 3) CHECK(a[2] == samples);
                    std::vector<std::pair<Extents, Extents>> boxes;
                    if (!scattered) {  // 2 x 3 tiles at a time in row-major order
                        for (std::int64_t r = 0; r < rows; r += 2 * a[0])
                            for (std::int64_t c = 0; c < cols; c += 3 * a[1]) {
                                const std::int64_t h = std::min(2 * a[0], rows - r), w = std::min(3 * a[1], cols - c);
                                boxes.push_back(rank == 3 ? std::pair{Extents{r, c, 0}, Extents{h, w, samples}}
                                                          : std::pair{Extents{r, c}, Extents{h, w}});
                            }
                    } else {  // random cuts, across tiles and samples, in random order
                        const auto cuts = [&](std::int64_t n, int k_cuts) {
                            std::vector<std::int64_t> at = {0, n};
                            for (int i = 0; i < k_cuts; ++i)
                                at.push_back(std::uniform_int_distribution<std::int64_t>(0, n)(rng));
                            std::sort(at.begin(), at.end());
                            at.erase(std::unique(at.begin(), at.end()), at.end());
                            return at;
                        };
                        const auto rc = cuts(rows, 6), cc = cuts(cols, 6), sc = cuts(samples, 1);
                        for (std::size_t i = 0; i + 1 < rc.size(); ++i)
                            for (std::size_t j = 0; j + 1 < cc.size(); ++j)
                                for (std::size_t s = 0; s + 1 < sc.size(); ++s) {
                                    const Extents f = rank == 3 ? Extents{rc[i], cc[j], sc[s]} : Extents{rc[i], cc[j]};
                                    const Extents b =
                                        rank == 3 ? Extents{rc[i + 1] - rc[i], cc[j + 1] - cc[j], sc[s + 1] - sc[s]}
                                                  : Extents{rc[i + 1] - rc[i], cc[j + 1] - cc[j]};
                                    boxes.push_back({f, b});
                                }
                        std::shuffle(boxes.begin(), boxes.end(), rng);
                    }
                    using T = std::remove_cvref_t<decltype(*data.data())>;
                    for (const auto& [f, b] : boxes) {
                        fftconv::Array<T> box(b);
                        fftconv::Array<T>::for_each_index(b, [&](const std::ptrdiff_t* i) {
                            std::ptrdiff_t at[3] = {f[0] + i[0], f[1] + i[1], rank == 3 ? f[2] + i[2] : 0};
                            box.view().at(i) = data.view().at(at);
                        });
                        writer.write(f, box.view());
                    }
                    writer.close();
                };
                if (as_float) {
                    fftconv::Array<float> data(shape);
                    for (std::int64_t i = 0; i < data.size(); ++i)
                        data.data()[i] = static_cast<float>(values.data()[i]);
                    tio::Writer<float> w(path, shape, k.type, k.options);
                    CHECK_FALSE(w.big_tiff());
                    write_all(w, data);
                } else {
                    tio::Writer<double> w(path, shape, k.type, k.options);
                    write_all(w, values);
                }
                CHECK(dir.names() == std::vector<std::string>{"out.tif", "stderr.txt"});

                const tio::Info info = tio::read_info(path);
                CHECK(info.shape() == shape);
                CHECK(info.tiled);
                CHECK(info.tile_rows == k.options.tile_rows);
                CHECK(info.tile_cols == k.options.tile_cols);
                CHECK_FALSE(info.planar_separate);
                CHECK_FALSE(info.big_tiff);
                CHECK(info.compression == (k.options.deflate ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE));
                CHECK(info.photometric == (samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK));
                CHECK(info.extra_samples == (samples >= 3 ? samples - 3 : samples - 1));
                const auto expected = [&](std::int64_t r, std::int64_t c, std::int64_t s) {
                    return mat_value(want, int(r), int(c), int(s));
                };
                tio::Reader<double> back(path);
                for (const auto& [first, box] : boxes_for(shape, rng, 5)) expect_box(back, first, box, expected);
                if (samples != 2 && samples != 5) {
                    const cv::Mat cv_back = cv::imread(path, cv::IMREAD_UNCHANGED);
                    REQUIRE(cv_back.size() == want.size());
                    REQUIRE(cv_back.type() == want.type());
                    std::int64_t wrong = 0;
                    for (int r = 0; r < int(rows); ++r)
                        for (int c = 0; c < int(cols); ++c)
                            for (int s = 0; s < int(samples); ++s)
                                wrong += !same(mat_value(cv_back, r, c, cv_channel(s, int(samples))),
                                               mat_value(want, r, c, s));
                    CHECK(wrong == 0);
                }
            }
    CHECK(err.text() == "");
}

TEST_CASE("Writer: uint8 and uint16 round as cv::Mat::convertTo, half to even, NaN to 0") {
    Scratch dir;
    const std::vector<double> in = {0.5, 1.5,  2.5, -3,   300,     NAN,     254.5, 255.5, -0.4,
                                    3.5, 0.49, 1e9, -1e9, 65535.5, 65534.5, 70000, 127.5, 4.5};
    const std::vector<int> u8 = {0, 2, 2, 0, 255, 0, 254, 255, 0, 4, 0, 255, 0, 255, 255, 255, 128, 4};
    const std::vector<int> u16 = {0, 2, 2, 0, 300, 0, 254, 256, 0, 4, 0, 65535, 0, 65535, 65534, 65535, 128, 4};
    // Past int's range OpenCV's rounding overflows to 0; these clamp, as the header says.
    const std::size_t agreed = in.size();
    std::vector<double> all = in;
    all.insert(all.end(), {INFINITY, -INFINITY, 1e10, -1e10});
    std::vector<int> all8 = u8, all16 = u16;
    all8.insert(all8.end(), {255, 0, 255, 0});
    all16.insert(all16.end(), {65535, 0, 65535, 0});
    for (const tio::SampleType type : {tio::SampleType::uint8, tio::SampleType::uint16})
        for (const bool as_float : {false, true}) {
            CAPTURE(tio::type_name(type));
            CAPTURE(as_float);
            const std::string path = dir / "r.tif";
            const Extents shape{1, static_cast<std::ptrdiff_t>(all.size())};
            if (as_float) {
                std::vector<float> f(all.begin(), all.end());
                tio::Writer<float> w(path, shape, type);
                w.write({0, 0}, fftconv::View<const float>(f.data(), shape));
                w.close();
            } else {
                tio::Writer<double> w(path, shape, type);
                w.write({0, 0}, fftconv::View<const double>(all.data(), shape));
                w.close();
            }
            const cv::Mat back = cv::imread(path, cv::IMREAD_UNCHANGED);
            REQUIRE(back.type() == (type == tio::SampleType::uint8 ? CV_8U : CV_16U));
            cv::Mat by_opencv;
            cv::Mat(1, int(in.size()), CV_64F, const_cast<double*>(in.data())).convertTo(by_opencv, back.type());
            for (std::size_t i = 0; i < all.size(); ++i) {
                CAPTURE(all[i]);
                const int want = (type == tio::SampleType::uint8 ? all8 : all16)[i];
                CHECK(mat_value(back, 0, int(i), 0) == want);
                if (i < agreed) CHECK(mat_value(by_opencv, 0, int(i), 0) == want);
            }
        }
}

TEST_CASE("Writer: BigTIFF forced on a small file, and chosen past 4 GB") {
    Scratch dir;
    std::mt19937 rng(4);
    const std::string path = dir / "big.tif";
    tio::WriterOptions options;
    options.big_tiff = true;
    options.tile_rows = 16;
    options.tile_cols = 16;
    fftconv::Array<float> data(Extents{20, 30, 3});
    for (float& v : data.values()) v = std::uniform_real_distribution<float>(-5, 5)(rng);
    {
        tio::Writer<float> w(path, data.shape(), tio::SampleType::float32, options);
        CHECK(w.big_tiff());
        w.write({0, 0, 0}, data.view());
        w.close();
    }
    CHECK(slurp(path).substr(0, 4) == std::string("II+\0", 4));
    CHECK(tio::read_info(path).big_tiff);
    tio::Reader<float> r(path);
    expect_box(r, {0, 0, 0}, data.shape(),
               [&](std::int64_t y, std::int64_t x, std::int64_t s) { return data(y, x, s); });
    const cv::Mat back = cv::imread(path, cv::IMREAD_UNCHANGED);
    REQUIRE(back.type() == CV_32FC3);
    std::int64_t wrong = 0;
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x)
            for (int s = 0; s < 3; ++s) wrong += mat_value(back, y, x, cv_channel(s, 3)) != data(y, x, s);
    CHECK(wrong == 0);

    // The choice, made before any data: nothing is written, and nothing is left behind.
    {
        tio::Writer<float> w(dir / "huge.tif", Extents{70000, 70000}, tio::SampleType::uint8);
        CHECK(w.big_tiff());
        tio::Writer<float> classic(dir / "large.tif", Extents{60000, 60000}, tio::SampleType::uint8);
        CHECK_FALSE(classic.big_tiff());
        tio::Writer<float> wide(dir / "wide.tif", Extents{33000, 33000}, tio::SampleType::float32);
        CHECK(wide.big_tiff());
    }
    CHECK(dir.names() == std::vector<std::string>{"big.tif"});
}

TEST_CASE("Writer: a missing tile, a tile written twice, boxes outside, bad options") {
    Scratch dir;
    StderrCapture err(dir / "stderr.txt");
    tio::WriterOptions options;
    options.tile_rows = 16;
    options.tile_cols = 16;
    std::vector<float> zeros(64 * 64, 1.0f);
    const std::string path = dir / "m.tif";
    {
        tio::Writer<float> w(path, Extents{40, 40}, tio::SampleType::float32, options);  // 3 x 3 tiles
        w.write({0, 0}, fftconv::View<const float>(zeros.data(), Extents{40, 32}));
        w.write({0, 32}, fftconv::View<const float>(zeros.data(), Extents{16, 8}));
        w.write({32, 32}, fftconv::View<const float>(zeros.data(), Extents{8, 8}));
        w.write({16, 32}, fftconv::View<const float>(zeros.data(), Extents{10, 8}));  // rows 26..31 missing
        const std::string e = process_error([&] { w.close(); });
        CHECK(contains(e, quoted(path)));
        CHECK(contains(e, "1 of its 9 tiles of 16x16 was never completely written"));
        CHECK(contains(e, "tile 5, rows 16..31, columns 32..39"));
        w.close();  // once is enough
    }
    CHECK(dir.names() == std::vector<std::string>{"stderr.txt"});

    {
        tio::Writer<double> w(path, Extents{20, 20}, tio::SampleType::uint8, options);
        std::vector<double> d(400, 3.0);
        w.write({0, 0}, fftconv::View<const double>(d.data(), Extents{16, 16}));
        const std::string e = process_error([&] {
            w.write({8, 8}, fftconv::View<const double>(d.data(), Extents{2, 2}));
        });
        CHECK(contains(e, "tile 0 (rows 0..15, columns 0..15) was written already"));
        CHECK_THROWS_AS(w.write({10, 10}, fftconv::View<const double>(d.data(), Extents{11, 2})), std::out_of_range);
        CHECK_THROWS_AS(w.write({-1, 0}, fftconv::View<const double>(d.data(), Extents{1, 1})), std::out_of_range);
        CHECK_THROWS_AS(w.write({0, 0, 0}, fftconv::View<const double>(d.data(), Extents{1, 1, 1})), std::out_of_range);
    }  // destroyed incomplete: removed
    CHECK(dir.names() == std::vector<std::string>{"stderr.txt"});

    {  // destroyed complete without close(): the file is finished
        tio::Writer<float> w(path, Extents{5, 7}, tio::SampleType::uint16);
        w.write({0, 0}, fftconv::View<const float>(zeros.data(), Extents{5, 7}));
    }
    CHECK(dir.names() == std::vector<std::string>{"m.tif", "stderr.txt"});
    CHECK(cv::imread(path, cv::IMREAD_UNCHANGED).at<std::uint16_t>(4, 6) == 1);

    // A file replaced keeps its mode.
    ::chmod(path.c_str(), 0640);
    {
        tio::Writer<float> w(path, Extents{5, 7}, tio::SampleType::uint8);
        w.write({0, 0}, fftconv::View<const float>(zeros.data(), Extents{5, 7}));
        w.close();
    }
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    CHECK(cv::imread(path, cv::IMREAD_UNCHANGED).type() == CV_8U);

    const auto bad = [&](const std::string& p, const Extents& shape, const tio::WriterOptions& o,
                         const std::string& part) {
        const std::string e = process_error([&] { tio::Writer<float>(p, shape, tio::SampleType::float32, o); });
        CAPTURE(e);
        CHECK(contains(e, part));
    };
    tio::WriterOptions odd;
    odd.tile_rows = 17;
    bad(path, Extents{4, 4}, odd, "multiples of 16 (up to 65536); got 17x256");
    bad(path, Extents{4}, {}, "not 4");
    bad(path, Extents{4, 0}, {}, "not 4x0");
    bad("-", Extents{4, 4}, {}, "standard output");
    bad(dir.dir.string(), Extents{4, 4}, {}, "it is a directory");
    bad((dir.dir / "no-such-dir" / "x.tif").string(), Extents{4, 4}, {}, "cannot create a file in");
    CHECK(err.text() == "");
}
