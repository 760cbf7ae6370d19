#include "tiff_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <list>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cli.hpp"

namespace app::tiff {

namespace fs = std::filesystem;
using fftconv::Extents;

namespace {

// ---- libtiff's messages ----

// What libtiff reported through one handle's handlers. Kept short: a corrupt file can make
// libtiff repeat itself for every row of a strip.
struct Messages {
    std::string errors, warnings;
    void clear() {
        errors.clear();
        warnings.clear();
    }
};

constexpr std::size_t max_message_chars = 600;

void append(std::string& to, const char* fmt, va_list ap) {
    if (to.size() >= max_message_chars) return;
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, ap);
    if (!to.empty()) to += "; ";
    to += text;
    if (to.size() > max_message_chars) {
        to.resize(max_message_chars);
        to += "...";
    }
}

// Returning 1 tells libtiff the message is handled: its process-wide handlers (stderr by default,
// or whatever another library installed) are not called.
int on_error(TIFF*, void* user, const char*, const char* fmt, va_list ap) {
    append(static_cast<Messages*>(user)->errors, fmt, ap);
    return 1;
}
int on_warning(TIFF*, void* user, const char*, const char* fmt, va_list ap) {
    append(static_cast<Messages*>(user)->warnings, fmt, ap);
    return 1;
}

// " (libtiff: ...)" for a message, or "" when libtiff said nothing. Warnings are shown only
// when there is no error: a GeoTIFF's private tags alone make libtiff warn on every open.
std::string said(const Messages& m) {
    const std::string& text = m.errors.empty() ? m.warnings : m.errors;
    return text.empty() ? "" : " (libtiff: " + text + ")";
}

struct TiffClose {
    void operator()(TIFF* tif) const { TIFFClose(tif); }
};
using Handle = std::unique_ptr<TIFF, TiffClose>;

struct OpenOptions {
    TIFFOpenOptions* p = TIFFOpenOptionsAlloc();
    explicit OpenOptions(Messages& m) {
        if (!p) throw std::bad_alloc();
        TIFFOpenOptionsSetErrorHandlerExtR(p, on_error, &m);
        TIFFOpenOptionsSetWarningHandlerExtR(p, on_warning, &m);
    }
    ~OpenOptions() { TIFFOpenOptionsFree(p); }
    OpenOptions(const OpenOptions&) = delete;
    OpenOptions& operator=(const OpenOptions&) = delete;
};

std::string shown(const std::string& path) {
    return "the file '" + path + "'";
}

std::string size_text(std::int64_t width, std::int64_t height) {
    return std::to_string(width) + "x" + std::to_string(height);
}

// "rows 96..103", "rows 0..255, columns 256..511": an inclusive range of a strip or tile.
std::string block_text(std::int64_t r0, std::int64_t rows, std::int64_t c0, std::int64_t cols, bool with_cols) {
    std::string s = "rows " + std::to_string(r0) + ".." + std::to_string(r0 + rows - 1);
    if (with_cols) s += ", columns " + std::to_string(c0) + ".." + std::to_string(c0 + cols - 1);
    return s;
}

std::string bytes_text(double bytes) {
    char text[32];
    if (bytes >= 1e9) {
        std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
    } else if (bytes >= 1e6) {
        std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    } else {
        std::snprintf(text, sizeof text, "%.0f bytes", bytes);
    }
    return text;
}

// ---- reading the header ----

// Opens for reading without memory-mapping the file: a mapped file that shrinks under us kills
// the process with SIGBUS, where a read() fails. 'O' loads strip and tile offsets on demand, so
// a file of millions of strips does not hold all of them in memory.
Handle open_for_reading(const std::string& path, Messages& messages) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        if (!fs::exists(path, ec)) throw ProcessError(shown(path) + " does not exist");
        throw ProcessError(shown(path) + " is not a regular file");
    }
    unsigned char b[4] = {};
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw ProcessError(shown(path) + ": cannot open it (" + std::strerror(errno) + ")");
        const ssize_t got = ::read(fd, b, sizeof b);
        ::close(fd);
        if (got < 4)
            throw ProcessError(shown(path) + " is not a TIFF file (" + std::to_string(got < 0 ? 0 : got) +
                               " bytes long)");
    }
    if (!is_tiff(b)) {
        char hex[40];
        std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
        throw ProcessError(shown(path) + " is not a TIFF file (it starts with bytes " + hex +
                           "; a TIFF starts with 49 49 2a 00, 4d 4d 00 2a or their BigTIFF forms)");
    }
    OpenOptions options(messages);
    Handle tif(TIFFOpenExt(path.c_str(), "rmO", options.p));
    if (!tif) throw ProcessError(shown(path) + ": libtiff cannot open it" + said(messages));
    return tif;
}

std::string photometric_name(int p) {
    switch (p) {
        case PHOTOMETRIC_MINISWHITE: return "min-is-white gray";
        case PHOTOMETRIC_MINISBLACK: return "gray";
        case PHOTOMETRIC_RGB: return "RGB";
        case PHOTOMETRIC_PALETTE: return "palette";
        case PHOTOMETRIC_MASK: return "transparency mask";
        case PHOTOMETRIC_SEPARATED: return "separated (CMYK)";
        case PHOTOMETRIC_YCBCR: return "YCbCr";
        case PHOTOMETRIC_CIELAB: return "CIE L*a*b*";
        case PHOTOMETRIC_LOGL: return "LogL";
        case PHOTOMETRIC_LOGLUV: return "LogLuv";
        default: return "photometric " + std::to_string(p);
    }
}

// The header of the current directory, checked readable; `pages` and `page` as counted.
Info inspect(TIFF* tif, const std::string& path, std::size_t pages, std::size_t page) {
    const std::string where = shown(path) + (pages > 1 ? " (page " + std::to_string(page) + ")" : "");
    Info info;
    info.pages = pages;
    info.page = page;
    info.big_tiff = TIFFIsBigTIFF(tif) != 0;

    std::uint32_t width = 0, height = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    info.rows = height;
    info.cols = width;
    std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    std::uint16_t compression = COMPRESSION_NONE, photometric = PHOTOMETRIC_MINISBLACK;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    std::uint16_t extra = 0;
    std::uint16_t* extra_types = nullptr;
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra, &extra_types);
    info.samples = spp;
    info.extra_samples = extra;
    info.bits = bits;
    info.planar_separate = planar == PLANARCONFIG_SEPARATE;
    info.compression = compression;
    const TIFFCodec* codec = TIFFFindCODEC(compression);
    info.compression_name = codec ? codec->name : "compression " + std::to_string(compression);
    info.photometric = photometric;

    if (info.rows == 0 || info.cols == 0)
        throw ProcessError(where + " holds no pixels (" + size_text(info.cols, info.rows) + ")");
    if (spp == 0) throw ProcessError(where + " declares 0 samples per pixel");
    if (photometric == PHOTOMETRIC_PALETTE)
        throw ProcessError(where + " is a palette image (" + std::to_string(bits) +
                           "-bit colour indices), not intensities; it is not read");
    if (photometric == PHOTOMETRIC_MASK) throw ProcessError(where + " is a transparency mask; it is not read");
    if (photometric == PHOTOMETRIC_LOGL || photometric == PHOTOMETRIC_LOGLUV || compression == COMPRESSION_SGILOG ||
        compression == COMPRESSION_SGILOG24)
        throw ProcessError(where + " holds LogLuv-encoded samples (" + photometric_name(photometric) + ", " +
                           info.compression_name + "); they are not read");
    if (photometric == PHOTOMETRIC_YCBCR) {
        std::uint16_t h = 1, v = 1;
        TIFFGetFieldDefaulted(tif, TIFFTAG_YCBCRSUBSAMPLING, &h, &v);
        if (h != 1 || v != 1)
            throw ProcessError(where + " holds YCbCr with its chroma subsampled " + std::to_string(h) + "x" +
                               std::to_string(v) + " (" + info.compression_name +
                               "), which is not read a box at a time; convert it to RGB first");
    }
    switch (format) {
        case SAMPLEFORMAT_UINT: info.format = SampleFormat::unsigned_integer; break;
        case SAMPLEFORMAT_INT: info.format = SampleFormat::signed_integer; break;
        case SAMPLEFORMAT_IEEEFP: info.format = SampleFormat::floating_point; break;
        case SAMPLEFORMAT_COMPLEXINT:
        case SAMPLEFORMAT_COMPLEXIEEEFP:
            throw ProcessError(where + " holds complex samples (sample format " + std::to_string(format) +
                               "); only real ones are read");
        default:
            throw ProcessError(where + " has sample format " + std::to_string(format) +
                               " (1 unsigned, 2 signed and 3 IEEE float are read)");
    }
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
        throw ProcessError(where + " has " + std::to_string(bits) +
                           "-bit samples; 8-, 16-, 32- and 64-bit ones are read");
    if (info.format == SampleFormat::floating_point && bits != 32 && bits != 64)
        throw ProcessError(where + " has " + std::to_string(bits) +
                           "-bit float samples; 32- and 64-bit floats are read");
    if (!TIFFIsCODECConfigured(compression))
        throw ProcessError(where + " is compressed with " + info.compression_name + " (" + std::to_string(compression) +
                           "), which this build of libtiff cannot decode");

    info.tiled = TIFFIsTiled(tif) != 0;
    const std::int64_t block_samples = info.planar_separate ? 1 : info.samples;
    std::int64_t block_rows = 0, block_cols = 0, expected = 0;
    std::uint32_t declared = 0;
    if (info.tiled) {
        std::uint32_t tw = 0, th = 0;
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
        if (tw == 0 || th == 0)
            throw ProcessError(where + " declares tiles of " + size_text(tw, th) + " (width x height)");
        info.tile_rows = th;
        info.tile_cols = tw;
        block_rows = th;
        block_cols = tw;
        expected = ((info.rows + th - 1) / th) * ((info.cols + tw - 1) / tw);
        declared = TIFFNumberOfTiles(tif);
    } else {
        std::uint32_t rps = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        info.rows_per_strip = std::clamp<std::int64_t>(rps, 1, info.rows);
        block_rows = info.rows_per_strip;
        block_cols = info.cols;
        expected = (info.rows + block_rows - 1) / block_rows;
        declared = TIFFNumberOfStrips(tif);
    }
    if (info.planar_separate) expected *= info.samples;
    if (declared != expected)
        throw ProcessError(where + " has " + std::to_string(declared) + (info.tiled ? " tiles" : " strips") +
                           " where its size (" + size_text(info.cols, info.rows) + ") needs " +
                           std::to_string(expected));
    const double block_bytes = double(block_rows) * double(block_cols) * double(block_samples) * (bits / 8);
    if (block_bytes > double(max_block_bytes))
        throw ProcessError(where + " is stored in " + (info.tiled ? "tiles" : "strips") + " of " +
                           size_text(block_cols, block_rows) + " (" + bytes_text(block_bytes) +
                           " each decoded), more than the " + bytes_text(double(max_block_bytes)) +
                           " read at a time; rewrite it tiled (tiffcp -t) or in smaller strips (tiffcp -r 16)");
    return info;
}

// Counts the pages and makes page `page` current.
std::size_t select_page(TIFF* tif, const std::string& path, std::size_t page, Messages& messages) {
    messages.clear();
    const std::size_t pages = TIFFNumberOfDirectories(tif);
    if (page >= pages)
        throw ProcessError(shown(path) + " has " + std::to_string(pages) + (pages == 1 ? " page" : " pages") +
                           "; page " + std::to_string(page) + " was asked for (pages count from 0)");
    if (page != 0 && !TIFFSetDirectory(tif, static_cast<tdir_t>(page)))
        throw ProcessError(shown(path) + ": page " + std::to_string(page) + " cannot be read" + said(messages));
    return pages;
}

void check_box(const char* what, const Extents& shape, const Extents& first, const Extents& box) {
    bool ok = first.rank() == shape.rank() && box.rank() == shape.rank();
    for (int a = 0; ok && a < shape.rank(); ++a)
        ok = first[a] >= 0 && box[a] >= 0 && box[a] <= shape[a] && first[a] <= shape[a] - box[a];
    if (!ok)
        throw std::out_of_range(std::string(what) + ": a box of " + fftconv::to_string(box) + " at " +
                                fftconv::to_string(first) + " is not within the array's " + fftconv::to_string(shape));
}

// ---- converting samples ----

template <class T>
using Convert = void (*)(const unsigned char* src, std::ptrdiff_t src_step, T* dst, std::ptrdiff_t dst_step,
                         std::ptrdiff_t n);

// n samples of type S, src_step bytes apart (in this machine's byte order: libtiff swapped
// them), to T. memcpy: a strip's samples need not be aligned for S.
template <class S, class T>
void convert_run(const unsigned char* src, std::ptrdiff_t src_step, T* dst, std::ptrdiff_t dst_step, std::ptrdiff_t n) {
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        S v;
        std::memcpy(&v, src + i * src_step, sizeof v);
        dst[i * dst_step] = static_cast<T>(v);
    }
}

template <class T>
Convert<T> converter(SampleFormat format, int bits) {
    switch (format) {
        case SampleFormat::unsigned_integer:
            switch (bits) {
                case 8: return convert_run<std::uint8_t, T>;
                case 16: return convert_run<std::uint16_t, T>;
                case 32: return convert_run<std::uint32_t, T>;
                default: return convert_run<std::uint64_t, T>;
            }
        case SampleFormat::signed_integer:
            switch (bits) {
                case 8: return convert_run<std::int8_t, T>;
                case 16: return convert_run<std::int16_t, T>;
                case 32: return convert_run<std::int32_t, T>;
                default: return convert_run<std::int64_t, T>;
            }
        case SampleFormat::floating_point: break;
    }
    return bits == 32 ? convert_run<float, T> : convert_run<double, T>;
}

// One value as a sample of type O: floats rounded to nearest; integers as cv::Mat::convertTo
// makes them (saturate_cast): NaN to 0, clamped, half to even (lrint, in the default rounding
// mode). Clamping first keeps lrint within its range.
template <class O, class T>
O to_sample(T v) {
    if constexpr (std::is_floating_point_v<O>) {
        return static_cast<O>(v);
    } else {
        constexpr T top = static_cast<T>(std::numeric_limits<O>::max());
        if (!(v > 0)) return 0;
        if (v >= top) return std::numeric_limits<O>::max();
        return static_cast<O>(std::lrint(v));
    }
}

template <class O, class T>
void store_run(const T* src, std::ptrdiff_t src_step, unsigned char* dst, std::ptrdiff_t n) {
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const O v = to_sample<O>(src[i * src_step]);
        std::memcpy(dst + i * static_cast<std::ptrdiff_t>(sizeof(O)), &v, sizeof v);
    }
}

std::size_t type_bytes(SampleType type) {
    switch (type) {
        case SampleType::uint8: return 1;
        case SampleType::uint16: return 2;
        case SampleType::float32: return 4;
        case SampleType::float64: return 8;
    }
    return 8;
}

}  // namespace

// ---- public helpers ----

bool is_tiff(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char b[4] = {};
    return in.read(reinterpret_cast<char*>(b), 4) && is_tiff(b);
}

bool is_tiff(std::span<const unsigned char> b) {
    if (b.size() < 4) return false;
    const bool little = b[0] == 'I' && b[1] == 'I' && b[3] == 0 && (b[2] == 42 || b[2] == 43);
    const bool big = b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43);
    return little || big;
}

const char* format_name(SampleFormat format) {
    switch (format) {
        case SampleFormat::unsigned_integer: return "unsigned";
        case SampleFormat::signed_integer: return "signed";
        case SampleFormat::floating_point: return "float";
    }
    return "?";
}

const char* type_name(SampleType type) {
    switch (type) {
        case SampleType::uint8: return "uint8";
        case SampleType::uint16: return "uint16";
        case SampleType::float32: return "float32";
        case SampleType::float64: return "float64";
    }
    return "?";
}

Extents Info::shape() const {
    return samples == 1 ? Extents{rows, cols} : Extents{rows, cols, samples};
}

std::string Info::describe() const {
    std::string s = size_text(cols, rows) + " " +
                    (samples == 1 ? std::string("gray") : std::to_string(samples) + " samples") + " " +
                    std::to_string(bits) + "-bit " + format_name(format);
    if (planar_separate) s += " planar";
    s += tiled ? ", tiled " + size_text(tile_cols, tile_rows)
               : ", strips of " + std::to_string(rows_per_strip) + (rows_per_strip == 1 ? " row" : " rows");
    s += ", " + (compression == 1 ? std::string("uncompressed") : compression_name);
    if (big_tiff) s += ", BigTIFF";
    if (pages > 1) s += ", page " + std::to_string(page) + " of " + std::to_string(pages);
    return s;
}

Info read_info(const std::string& path, std::size_t page) {
    Messages messages;
    Handle tif = open_for_reading(path, messages);
    const std::size_t pages = select_page(tif.get(), path, page, messages);
    return inspect(tif.get(), path, pages, page);
}

// ---- Reader ----

namespace detail {

class ReaderCore {
public:
    ReaderCore(const std::string& path, std::size_t page, std::size_t cache_bytes) : cache_bytes_(cache_bytes) {
        tif_ = open_for_reading(path, messages_);
        const std::size_t pages = select_page(tif_.get(), path, page, messages_);
        info_ = inspect(tif_.get(), path, pages, page);
        where_ = shown(path) + (pages > 1 ? " (page " + std::to_string(page) + ")" : "");
        block_rows_ = info_.tiled ? info_.tile_rows : info_.rows_per_strip;
        block_cols_ = info_.tiled ? info_.tile_cols : info_.cols;
        across_ = (info_.cols + block_cols_ - 1) / block_cols_;
        down_ = (info_.rows + block_rows_ - 1) / block_rows_;
        block_samples_ = info_.planar_separate ? 1 : info_.samples;
        sample_bytes_ = info_.bits / 8;
        row_bytes_ = block_cols_ * block_samples_ * sample_bytes_;
    }

    const Info& info() const { return info_; }
    std::int64_t decoded() const { return decoded_; }

    template <class T>
    void read(const Extents& first, const fftconv::View<T>& dst) {
        const Extents shape = info_.shape();
        check_box("tiff::Reader::read", shape, first, dst.shape);
        if (dst.empty()) return;
        const std::int64_t r0 = first[0], r1 = r0 + dst.shape[0];
        const std::int64_t c0 = first[1], c1 = c0 + dst.shape[1];
        const std::int64_t s0 = shape.rank() == 3 ? first[2] : 0, s1 = shape.rank() == 3 ? s0 + dst.shape[2] : 1;
        const std::ptrdiff_t dst_row = dst.strides[0], dst_col = dst.strides[1];
        const std::ptrdiff_t dst_sample = shape.rank() == 3 ? dst.strides[2] : 0;
        const Convert<T> convert = converter<T>(info_.format, info_.bits);
        const std::ptrdiff_t src_col = block_samples_ * sample_bytes_;

        const std::int64_t planes_first = info_.planar_separate ? s0 : 0;
        const std::int64_t planes_end = info_.planar_separate ? s1 : 1;
        for (std::int64_t by = r0 / block_rows_; by <= (r1 - 1) / block_rows_; ++by) {
            const std::int64_t br0 = by * block_rows_;
            const std::int64_t valid_rows = std::min(block_rows_, info_.rows - br0);
            const std::int64_t ra = std::max(r0, br0), rb = std::min(r1, br0 + valid_rows);
            for (std::int64_t bx = c0 / block_cols_; bx <= (c1 - 1) / block_cols_; ++bx) {
                const std::int64_t bc0 = bx * block_cols_;
                const std::int64_t ca = std::max(c0, bc0), cb = std::min(c1, bc0 + block_cols_);
                for (std::int64_t plane = planes_first; plane < planes_end; ++plane) {
                    const auto index = static_cast<std::uint32_t>(plane * across_ * down_ + by * across_ + bx);
                    Block block = take(index, br0, bc0, valid_rows);
                    const std::int64_t sa = info_.planar_separate ? plane : s0;
                    const std::int64_t sb = info_.planar_separate ? plane + 1 : s1;
                    for (std::int64_t r = ra; r < rb; ++r) {
                        const unsigned char* row = block.bytes.get() + (r - br0) * row_bytes_ + (ca - bc0) * src_col;
                        T* out = dst.data + (r - r0) * dst_row + (ca - c0) * dst_col;
                        for (std::int64_t s = sa; s < sb; ++s) {
                            const std::ptrdiff_t in_block = info_.planar_separate ? 0 : s;
                            convert(row + in_block * sample_bytes_, src_col, out + (s - s0) * dst_sample, dst_col,
                                    cb - ca);
                        }
                    }
                    keep(std::move(block));
                }
            }
        }
    }

private:
    struct Block {
        std::uint32_t index = 0;
        std::size_t size = 0;
        std::unique_ptr<unsigned char[]> bytes;
    };

    // The decoded strip or tile `index` (its first row br0 and column bc0, valid_rows rows of
    // it in the image), out of the cache or decoded now.
    Block take(std::uint32_t index, std::int64_t br0, std::int64_t bc0, std::int64_t valid_rows) {
        if (const auto it = where_cached_.find(index); it != where_cached_.end()) {
            Block b = std::move(*it->second);
            lru_.erase(it->second);
            where_cached_.erase(it);
            cached_ -= b.size;
            return b;
        }
        // A strip holds its valid rows only (the last is short); a tile is always whole, the
        // parts past the image's edges padding.
        const std::int64_t rows = info_.tiled ? block_rows_ : valid_rows;
        Block b;
        b.index = index;
        b.size = static_cast<std::size_t>(rows * row_bytes_);
        b.bytes = std::make_unique_for_overwrite<unsigned char[]>(b.size);
        messages_.clear();
        const auto want = static_cast<tmsize_t>(b.size);
        const tmsize_t got = info_.tiled ? TIFFReadEncodedTile(tif_.get(), index, b.bytes.get(), want)
                                         : TIFFReadEncodedStrip(tif_.get(), index, b.bytes.get(), want);
        if (got != want) {
            std::string what = (info_.tiled ? "tile " : "strip ") + std::to_string(index) + " (" +
                               block_text(br0, valid_rows, bc0, std::min(block_cols_, info_.cols - bc0), info_.tiled);
            if (info_.planar_separate)
                what += ", sample " + std::to_string(index / static_cast<std::uint32_t>(across_ * down_));
            what += ")";
            const std::string detail =
                got < 0 ? "" : "; " + std::to_string(got) + " of its " + std::to_string(want) + " bytes decoded";
            throw ProcessError(where_ + ": " + what + " cannot be decoded" + detail + said(messages_));
        }
        ++decoded_;
        return b;
    }

    // Back into the cache as the most recently used, the least recently used ones dropped to
    // stay within cache_bytes_ (a block larger than that is not kept).
    void keep(Block b) {
        if (b.size > cache_bytes_) return;
        while (cached_ + b.size > cache_bytes_) {
            cached_ -= lru_.back().size;
            where_cached_.erase(lru_.back().index);
            lru_.pop_back();
        }
        cached_ += b.size;
        const std::uint32_t index = b.index;
        lru_.push_front(std::move(b));
        where_cached_[index] = lru_.begin();
    }

    std::string where_;
    Messages messages_;  // before tif_: libtiff may report while the handle closes
    Handle tif_;
    Info info_;
    std::int64_t block_rows_ = 0, block_cols_ = 0, across_ = 0, down_ = 0, block_samples_ = 1;
    std::ptrdiff_t sample_bytes_ = 1, row_bytes_ = 0;
    std::size_t cache_bytes_ = 0, cached_ = 0;
    std::list<Block> lru_;  // most recently used first
    std::unordered_map<std::uint32_t, std::list<Block>::iterator> where_cached_;
    std::int64_t decoded_ = 0;
};

}  // namespace detail

template <fftconv::Real T>
Reader<T>::Reader(const std::string& path, std::size_t page, std::size_t cache_bytes)
    : core_(std::make_unique<detail::ReaderCore>(path, page, cache_bytes)) {}
template <fftconv::Real T>
Reader<T>::~Reader() = default;
template <fftconv::Real T>
Reader<T>::Reader(Reader&&) noexcept = default;
template <fftconv::Real T>
Reader<T>& Reader<T>::operator=(Reader&&) noexcept = default;
template <fftconv::Real T>
const Info& Reader<T>::info() const {
    return core_->info();
}
template <fftconv::Real T>
Extents Reader<T>::shape() const {
    return core_->info().shape();
}
template <fftconv::Real T>
void Reader<T>::read(const Extents& first, const fftconv::View<T>& dst) {
    core_->read(first, dst);
}
template <fftconv::Real T>
std::int64_t Reader<T>::decoded() const {
    return core_->decoded();
}

template class Reader<float>;
template class Reader<double>;

// ---- Writer ----

namespace detail {

class WriterCore {
public:
    WriterCore(const std::string& path, const Extents& shape, SampleType type, const WriterOptions& options)
        : path_(path), shape_(shape), type_(type), options_(options) {
        const std::string what = "could not write '" + path + "'";
        if (path == "-")
            throw ProcessError(
                "a TIFF written a tile at a time cannot go to standard output (its tiles are "
                "written out of order); name a file");
        if ((shape.rank() != 2 && shape.rank() != 3) || shape.empty())
            throw ProcessError(what + ": a TIFF holds rows x columns or rows x columns x samples, not " +
                               fftconv::to_string(shape));
        std::error_code ec;
        if (fs::is_directory(path, ec)) throw ProcessError(what + ": it is a directory");
        rows_ = shape[0];
        cols_ = shape[1];
        samples_ = shape.rank() == 3 ? shape[2] : 1;
        constexpr std::int64_t max_side = std::numeric_limits<std::uint32_t>::max();
        if (rows_ > max_side || cols_ > max_side || samples_ > 65535)
            throw ProcessError(what + ": " + fftconv::to_string(shape) +
                               " is more than a TIFF holds (2^32 - 1 rows and columns, 65535 samples)");
        tile_rows_ = options.tile_rows;
        tile_cols_ = options.tile_cols;
        if (tile_rows_ <= 0 || tile_cols_ <= 0 || tile_rows_ % 16 != 0 || tile_cols_ % 16 != 0 || tile_rows_ > 65536 ||
            tile_cols_ > 65536)
            throw ProcessError(what + ": TIFF tiles are multiples of 16 (up to 65536); got " +
                               std::to_string(tile_rows_) + "x" + std::to_string(tile_cols_) + " (rows x columns)");
        across_ = (cols_ + tile_cols_ - 1) / tile_cols_;
        down_ = (rows_ + tile_rows_ - 1) / tile_rows_;
        sample_bytes_ = type_bytes(type);
        tile_bytes_ = static_cast<std::size_t>(tile_rows_ * tile_cols_ * samples_) * sample_bytes_;
        done_.assign(static_cast<std::size_t>(across_ * down_), false);

        // A classic TIFF's offsets are 32-bit: BigTIFF when the tiles (padding included), their
        // index and deflate's worst case (zlib's bound: a few bytes per kilobyte) could pass them.
        const double tiles = double(across_) * double(down_);
        double bytes = tiles * double(tile_bytes_) + tiles * 16 + (1 << 20);
        if (options.deflate) bytes += tiles * (double(tile_bytes_) / 256 + 64);
        big_ = options.big_tiff || bytes >= 4294967296.0;

        create();
    }

    ~WriterCore() {
        if (closed_) return;
        try {
            if (done_count_ == static_cast<std::int64_t>(done_.size())) {
                close();
                return;
            }
        } catch (...) {
        }
        discard();
    }

    bool big_tiff() const { return big_; }
    Extents alignment() const {
        return shape_.rank() == 3 ? Extents{tile_rows_, tile_cols_, samples_} : Extents{tile_rows_, tile_cols_};
    }

    template <class T>
    void write(const Extents& first, const fftconv::View<const T>& src) {
        check_box("tiff::Writer::write", shape_, first, src.shape);
        if (closed_) throw std::logic_error("tiff::Writer::write after close() of '" + path_ + "'");
        if (src.empty()) return;
        const std::int64_t r0 = first[0], r1 = r0 + src.shape[0];
        const std::int64_t c0 = first[1], c1 = c0 + src.shape[1];
        const std::int64_t s0 = shape_.rank() == 3 ? first[2] : 0, s1 = shape_.rank() == 3 ? s0 + src.shape[2] : 1;
        const std::ptrdiff_t src_row = src.strides[0], src_col = src.strides[1];
        const std::ptrdiff_t src_sample = shape_.rank() == 3 ? src.strides[2] : 0;
        void (*store)(const T*, std::ptrdiff_t, unsigned char*, std::ptrdiff_t) = nullptr;
        switch (type_) {
            case SampleType::uint8: store = store_run<std::uint8_t, T>; break;
            case SampleType::uint16: store = store_run<std::uint16_t, T>; break;
            case SampleType::float32: store = store_run<float, T>; break;
            case SampleType::float64: store = store_run<double, T>; break;
        }
        const auto pixel_bytes = static_cast<std::ptrdiff_t>(samples_ * static_cast<std::int64_t>(sample_bytes_));

        for (std::int64_t ty = r0 / tile_rows_; ty <= (r1 - 1) / tile_rows_; ++ty) {
            const std::int64_t tr0 = ty * tile_rows_;
            const std::int64_t ra = std::max(r0, tr0), rb = std::min(r1, tr0 + tile_rows_);
            for (std::int64_t tx = c0 / tile_cols_; tx <= (c1 - 1) / tile_cols_; ++tx) {
                const std::int64_t tc0 = tx * tile_cols_;
                const std::int64_t ca = std::max(c0, tc0), cb = std::min(c1, tc0 + tile_cols_);
                const auto index = static_cast<std::uint32_t>(ty * across_ + tx);
                if (done_[index])
                    throw ProcessError("could not write '" + path_ + "': tile " + std::to_string(index) + " (" +
                                       block_text(tr0, std::min(tile_rows_, rows_ - tr0), tc0,
                                                  std::min(tile_cols_, cols_ - tc0), true) +
                                       ") was written already, and a box at " + fftconv::to_string(first) +
                                       " writes into it again");
                Pending& p = pending_[index];
                if (!p.bytes) p.bytes = std::make_unique<unsigned char[]>(tile_bytes_);  // zeros: the padding
                for (std::int64_t r = ra; r < rb; ++r) {
                    unsigned char* row = p.bytes.get() + ((r - tr0) * tile_cols_ + (ca - tc0)) * pixel_bytes;
                    const T* in = src.data + (r - r0) * src_row + (ca - c0) * src_col;
                    if (src_sample == 0 || (s1 - s0 == samples_ && src_sample == 1 && src_col == samples_)) {
                        // One run for the whole row when its samples are contiguous in both.
                        store(in, src_sample == 0 ? src_col : 1, row, (cb - ca) * (s1 - s0));
                    } else {
                        for (std::int64_t c = ca; c < cb; ++c)
                            store(in + (c - ca) * src_col, src_sample,
                                  row + (c - ca) * pixel_bytes + s0 * static_cast<std::ptrdiff_t>(sample_bytes_),
                                  s1 - s0);
                    }
                }
                p.filled += (rb - ra) * (cb - ca) * (s1 - s0);
                const std::int64_t needed =
                    std::min(tile_rows_, rows_ - tr0) * std::min(tile_cols_, cols_ - tc0) * samples_;
                if (p.filled >= needed) flush(index, tr0, tc0);
            }
        }
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        const auto total = static_cast<std::int64_t>(done_.size());
        if (done_count_ != total) {
            std::int64_t first = 0;
            while (done_[static_cast<std::size_t>(first)]) ++first;
            const std::int64_t tr0 = first / across_ * tile_rows_, tc0 = first % across_ * tile_cols_;
            const std::int64_t n = total - done_count_;
            const std::string missing =
                std::to_string(n) + " of its " + std::to_string(total) + (total == 1 ? " tile" : " tiles") + " of " +
                std::to_string(tile_rows_) + "x" + std::to_string(tile_cols_) + (n == 1 ? " was" : " were") +
                " never completely written (the first: tile " + std::to_string(first) + ", " +
                block_text(tr0, std::min(tile_rows_, rows_ - tr0), tc0, std::min(tile_cols_, cols_ - tc0), true) + ")";
            discard();
            throw ProcessError("could not write '" + path_ + "': " + missing);
        }
        messages_.clear();
        const bool directory = TIFFWriteDirectory(tif_.get()) != 0;
        tif_.reset();  // closes the file
        if (!directory || !messages_.errors.empty()) {
            const std::string why = said(messages_);
            discard();
            throw ProcessError("could not write '" + path_ + "': its directory could not be written" + why);
        }
        // A file replaced keeps its mode; the rename replaces a link itself, not what it points to.
        struct stat old {};
        if (::stat(path_.c_str(), &old) == 0) ::chmod(temp_.c_str(), old.st_mode & 07777);
        std::error_code ec;
        fs::rename(temp_, path_, ec);
        if (ec) {
            discard();
            throw ProcessError("could not write '" + path_ + "': " + ec.message());
        }
        temp_.clear();
    }

private:
    struct Pending {
        std::unique_ptr<unsigned char[]> bytes;
        std::int64_t filled = 0;  // samples written into it so far
    };

    // The temporary file: hidden, in the target's directory so that the rename is atomic,
    // created exclusively so that no existing file is touched.
    void create() {
        const fs::path target(path_);
        const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
        const std::string base = target.filename().string().substr(0, 200);
        std::random_device rd;
        int fd = -1;
        for (int attempt = 0; fd < 0; ++attempt) {
            temp_ = (dir / ("." + base + "." + std::to_string(rd() % 1000000) + ".part")).string();
            fd = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd < 0 && (errno != EEXIST || attempt == 100)) {
                const std::string why = std::strerror(errno);
                temp_.clear();
                throw ProcessError("could not write '" + path_ + "': cannot create a file in '" + dir.string() + "' (" +
                                   why + ")");
            }
        }
        OpenOptions options(messages_);
        tif_.reset(TIFFFdOpenExt(fd, temp_.c_str(), big_ ? "w8" : "w4", options.p));
        if (!tif_) {
            ::close(fd);
            const std::string why = said(messages_);
            discard();
            throw ProcessError("could not write '" + path_ + "': libtiff cannot create it" + why);
        }
        TIFF* t = tif_.get();
        const bool is_float = type_ == SampleType::float32 || type_ == SampleType::float64;
        const auto spp = static_cast<std::uint16_t>(samples_);
        bool ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(cols_)) &&
                  TIFFSetField(t, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(rows_)) &&
                  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp) &&
                  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * sample_bytes_)) &&
                  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, is_float ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT) &&
                  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
                  TIFFSetField(t, TIFFTAG_TILEWIDTH, static_cast<std::uint32_t>(tile_cols_)) &&
                  TIFFSetField(t, TIFFTAG_TILELENGTH, static_cast<std::uint32_t>(tile_rows_)) &&
                  TIFFSetField(t, TIFFTAG_SOFTWARE, "fftconv");
        // Samples go in the order given: 3 are R, G, B; a 2nd or 4th is alpha, not premultiplied.
        const bool rgb = samples_ >= 3;
        ok = ok && TIFFSetField(t, TIFFTAG_PHOTOMETRIC, rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
        const std::int64_t extra = samples_ - (rgb ? 3 : 1);
        if (extra > 0) {
            std::vector<std::uint16_t> kinds(static_cast<std::size_t>(extra), EXTRASAMPLE_UNSPECIFIED);
            if (samples_ == 2 || samples_ == 4) kinds[0] = EXTRASAMPLE_UNASSALPHA;
            ok = ok && TIFFSetField(t, TIFFTAG_EXTRASAMPLES, static_cast<std::uint16_t>(extra), kinds.data());
        }
        if (options_.deflate) {
            ok = ok && TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE) &&
                 TIFFSetField(t, TIFFTAG_PREDICTOR, is_float ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL);
        } else {
            ok = ok && TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
        }
        if (!ok) {
            const std::string why = said(messages_);
            discard();
            throw ProcessError("could not write '" + path_ + "': libtiff refuses its header" + why);
        }
    }

    void flush(std::uint32_t index, std::int64_t tr0, std::int64_t tc0) {
        const auto it = pending_.find(index);
        messages_.clear();
        const auto want = static_cast<tmsize_t>(tile_bytes_);
        const tmsize_t got = TIFFWriteEncodedTile(tif_.get(), index, it->second.bytes.get(), want);
        pending_.erase(it);
        if (got != want)
            throw ProcessError(
                "could not write '" + path_ + "': tile " + std::to_string(index) + " (" +
                block_text(tr0, std::min(tile_rows_, rows_ - tr0), tc0, std::min(tile_cols_, cols_ - tc0), true) +
                ") failed" + said(messages_));
        done_[index] = true;
        ++done_count_;
    }

    // Closes and removes the temporary file, without throwing.
    void discard() noexcept {
        closed_ = true;
        tif_.reset();
        pending_.clear();
        if (!temp_.empty()) {
            std::error_code ec;
            fs::remove(temp_, ec);
            temp_.clear();
        }
    }

    std::string path_, temp_;
    Extents shape_;
    SampleType type_;
    WriterOptions options_;
    std::int64_t rows_ = 0, cols_ = 0, samples_ = 1;
    std::int64_t tile_rows_ = 0, tile_cols_ = 0, across_ = 0, down_ = 0;
    std::size_t sample_bytes_ = 1, tile_bytes_ = 0;
    bool big_ = false;
    bool closed_ = false;
    Messages messages_;  // before tif_: libtiff may report while the handle closes
    Handle tif_;
    std::unordered_map<std::uint32_t, Pending> pending_;  // tiles written in part
    std::vector<bool> done_;                              // tiles written to the file
    std::int64_t done_count_ = 0;
};

}  // namespace detail

template <fftconv::Real T>
Writer<T>::Writer(const std::string& path, const Extents& shape, SampleType type, const WriterOptions& options)
    : core_(std::make_unique<detail::WriterCore>(path, shape, type, options)) {}
template <fftconv::Real T>
Writer<T>::~Writer() = default;
template <fftconv::Real T>
Writer<T>::Writer(Writer&&) noexcept = default;
template <fftconv::Real T>
Writer<T>& Writer<T>::operator=(Writer&&) noexcept = default;
template <fftconv::Real T>
void Writer<T>::write(const Extents& first, const fftconv::View<const T>& src) {
    core_->write(first, src);
}
template <fftconv::Real T>
Extents Writer<T>::alignment() const {
    return core_->alignment();
}
template <fftconv::Real T>
void Writer<T>::close() {
    core_->close();
}
template <fftconv::Real T>
bool Writer<T>::big_tiff() const {
    return core_->big_tiff();
}

template class Writer<float>;
template class Writer<double>;

}  // namespace app::tiff
