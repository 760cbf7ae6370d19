#include "image_header.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <set>
#include <string_view>

namespace app {

namespace {

// A malformed or truncated header: read_header answers nullopt.
struct Malformed {};

// Bounds on what a header may make the parser do: a file is never read more than this many
// times, and a TIFF's directory chain (which a hostile file can make endless) is cut off.
constexpr int max_reads = 100000;
constexpr std::size_t max_tiff_pages = 65536;

class Bytes {
public:
    explicit Bytes(const ReadAt& read) : read_(read) {}

    // Exactly n bytes at offset, or Malformed.
    std::vector<unsigned char> at(std::uint64_t offset, std::size_t n) {
        if (++reads_ > max_reads) throw Malformed{};
        std::vector<unsigned char> b(n);
        if (n > 0 && read_(offset, b.data(), n) != n) throw Malformed{};
        return b;
    }
    // Up to n bytes at offset (fewer at the end of the data).
    std::vector<unsigned char> upto(std::uint64_t offset, std::size_t n) {
        if (++reads_ > max_reads) throw Malformed{};
        std::vector<unsigned char> b(n);
        b.resize(n > 0 ? read_(offset, b.data(), n) : 0);
        return b;
    }
    std::uint64_t uint(std::uint64_t offset, int size, bool big_endian) {
        const std::vector<unsigned char> b = at(offset, static_cast<std::size_t>(size));
        std::uint64_t v = 0;
        for (int i = 0; i < size; ++i)
            v |= static_cast<std::uint64_t>(b[static_cast<std::size_t>(big_endian ? size - 1 - i : i)]) << (8 * i);
        return v;
    }

private:
    const ReadAt& read_;
    int reads_ = 0;
};

bool starts_with(const std::vector<unsigned char>& b, std::string_view s) {
    return b.size() >= s.size() && std::memcmp(b.data(), s.data(), s.size()) == 0;
}

int bytes_for_bits(std::uint64_t bits) {
    return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
}

ImageHeader one_page(const char* format, std::int64_t width, std::int64_t height, int channels, int bytes) {
    if (width <= 0 || height <= 0) throw Malformed{};
    return {format, {{width, height, channels, bytes}}};
}

// PNG: the IHDR chunk comes first; RGB and palette images gain an alpha channel in OpenCV when a
// tRNS chunk (before the image data) gives them transparency.
ImageHeader png(Bytes& b) {
    if (!starts_with(b.at(12, 4), "IHDR")) throw Malformed{};
    const std::int64_t width = static_cast<std::int64_t>(b.uint(16, 4, true));
    const std::int64_t height = static_cast<std::int64_t>(b.uint(20, 4, true));
    const std::vector<unsigned char> h = b.at(24, 2);
    const int bit_depth = h[0], colour = h[1];
    int channels = 1;
    if (colour == 4 || colour == 6) {
        channels = 4;  // gray + alpha is decoded as BGRA
    } else if (colour == 2 || colour == 3) {
        channels = 3;
        std::uint64_t at = 8;
        for (int chunk = 0; chunk < 10000; ++chunk) {
            const std::uint64_t length = b.uint(at, 4, true);
            const std::vector<unsigned char> type = b.at(at + 4, 4);
            if (starts_with(type, "tRNS")) channels = 4;
            if (starts_with(type, "IDAT") || starts_with(type, "IEND") || channels == 4) break;
            at += 12 + length;
        }
    }
    return one_page("PNG", width, height, channels, bit_depth == 16 ? 2 : 1);
}

// JPEG: markers up to the first start-of-frame, which holds the size and the component count
// (CMYK comes out as BGR).
ImageHeader jpeg(Bytes& b) {
    std::uint64_t at = 2;
    for (;;) {
        std::vector<unsigned char> m = b.at(at, 2);
        while (m[0] == 0xFF && m[1] == 0xFF) m = b.at(++at, 2);  // fill bytes
        if (m[0] != 0xFF) throw Malformed{};
        const int marker = m[1];
        at += 2;
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
        if (marker == 0xD9 || marker == 0xDA) throw Malformed{};  // end, or scan data before any frame
        const std::uint64_t length = b.uint(at, 2, true);
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            const std::vector<unsigned char> f = b.at(at + 2, 6);
            const std::int64_t height = f[1] << 8 | f[2], width = f[3] << 8 | f[4];
            return one_page("JPEG", width, height, f[5] == 1 ? 1 : 3, 1);
        }
        if (length < 2) throw Malformed{};
        at += length;
    }
}

// TIFF and BigTIFF: every directory in the chain is a page; each names its own size and samples.
ImageHeader tiff(Bytes& b, bool big_endian, bool big_tiff) {
    const int offset_size = big_tiff ? 8 : 4, count_size = big_tiff ? 8 : 2, entry_size = big_tiff ? 20 : 12;
    std::uint64_t ifd = b.uint(big_tiff ? 8 : 4, offset_size, big_endian);
    ImageHeader h{"TIFF", {}};
    std::set<std::uint64_t> seen;
    while (ifd != 0) {
        if (!seen.insert(ifd).second || h.pages.size() >= max_tiff_pages) throw Malformed{};
        const std::uint64_t entries = b.uint(ifd, count_size, big_endian);
        if (entries > 4096) throw Malformed{};
        const std::vector<unsigned char> table =
            b.at(ifd + static_cast<std::uint64_t>(count_size), static_cast<std::size_t>(entries) * entry_size);
        std::int64_t width = 0, height = 0;
        std::uint64_t samples = 1, bits = 1, photometric = 1, sample_format = 1;
        for (std::uint64_t e = 0; e < entries; ++e) {
            const unsigned char* p = table.data() + e * static_cast<std::uint64_t>(entry_size);
            const auto field = [&](int offset, int size) {
                std::uint64_t v = 0;
                for (int i = 0; i < size; ++i)
                    v |= static_cast<std::uint64_t>(p[offset + (big_endian ? size - 1 - i : i)]) << (8 * i);
                return v;
            };
            const std::uint64_t tag = field(0, 2), type = field(2, 2), count = field(4, big_tiff ? 8 : 4);
            const int value_at = big_tiff ? 12 : 8;
            // The first value, stored in the entry itself for the SHORT and LONG tags read here;
            // BitsPerSample with several samples points elsewhere, and the first one counts.
            const auto first = [&]() -> std::uint64_t {
                const int size = type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 0;
                if (size == 0) throw Malformed{};
                if (static_cast<std::uint64_t>(size) * count <= static_cast<std::uint64_t>(offset_size))
                    return field(value_at, size);
                return b.uint(field(value_at, offset_size), size, big_endian);
            };
            if (tag == 256) width = static_cast<std::int64_t>(first());
            if (tag == 257) height = static_cast<std::int64_t>(first());
            if (tag == 258) bits = first();
            if (tag == 277) samples = first();
            if (tag == 262) photometric = first();
            if (tag == 339) sample_format = first();
        }
        if (width <= 0 || height <= 0 || samples == 0 || samples > 64) throw Malformed{};
        const int channels = photometric == 3 ? 3 : samples >= 4 ? 4 : samples >= 2 ? 3 : 1;
        // Float samples (SampleFormat 3) and the LogL/LogLuv encodings (Photometric 32844, 32845,
        // 16 or 24 bits stored) decode as 32-bit float at least.
        const bool as_float = sample_format == 3 || photometric == 32844 || photometric == 32845;
        h.pages.push_back({width, height, channels, std::max(bytes_for_bits(bits), as_float ? 4 : 1)});
        ifd = b.uint(ifd + static_cast<std::uint64_t>(count_size) + entries * static_cast<std::uint64_t>(entry_size),
                     offset_size, big_endian);
    }
    if (h.pages.empty()) throw Malformed{};
    return h;
}

ImageHeader bmp(Bytes& b) {
    const std::uint64_t info = b.uint(14, 4, false);
    if (info == 12)  // OS/2: 16-bit sizes
        return one_page("BMP", static_cast<std::int64_t>(b.uint(18, 2, false)),
                        static_cast<std::int64_t>(b.uint(20, 2, false)), 3, 1);
    if (info < 40) throw Malformed{};
    const auto width = static_cast<std::int32_t>(b.uint(18, 4, false));
    const auto height = static_cast<std::int32_t>(b.uint(22, 4, false));  // negative: stored top-down
    const std::uint64_t bpp = b.uint(28, 2, false);
    return one_page("BMP", width, std::abs(static_cast<std::int64_t>(height)), bpp == 32 ? 4 : 3, 1);
}

// The PNM family's text header: whitespace-separated numbers, '#' comments to the end of a line.
class TextHeader {
public:
    TextHeader(Bytes& b, std::uint64_t start) : text_(b.upto(0, 4096)), at_(start) {}
    std::int64_t number() {
        skip();
        std::int64_t v = 0;
        bool any = false;
        while (at_ < text_.size() && std::isdigit(text_[at_])) {
            v = v * 10 + (text_[at_++] - '0');
            any = true;
            if (v > (std::int64_t{1} << 40)) throw Malformed{};
        }
        if (!any) throw Malformed{};
        return v;
    }
    // The next whitespace-separated word of a PAM header.
    std::string word() {
        skip();
        std::string w;
        while (at_ < text_.size() && !std::isspace(text_[at_])) w += static_cast<char>(text_[at_++]);
        if (w.empty()) throw Malformed{};
        return w;
    }

private:
    void skip() {
        for (;;) {
            while (at_ < text_.size() && std::isspace(text_[at_])) ++at_;
            if (at_ < text_.size() && text_[at_] == '#')
                while (at_ < text_.size() && text_[at_] != '\n') ++at_;
            else
                return;
        }
    }
    std::vector<unsigned char> text_;
    std::size_t at_;
};

ImageHeader pnm(Bytes& b, char kind) {
    TextHeader t(b, 2);
    if (kind == '7') {  // PAM: named fields up to ENDHDR
        std::int64_t width = 0, height = 0, depth = 1, maxval = 255;
        for (int field = 0; field < 64; ++field) {
            const std::string w = t.word();
            if (w == "ENDHDR")
                return {"PAM", {{width, height, depth >= 4 ? 4 : depth >= 2 ? 3 : 1, maxval > 255 ? 2 : 1}}};
            if (w == "WIDTH") width = t.number();
            if (w == "HEIGHT") height = t.number();
            if (w == "DEPTH") depth = t.number();
            if (w == "MAXVAL") maxval = t.number();
        }
        throw Malformed{};
    }
    const std::int64_t width = t.number(), height = t.number();
    const std::int64_t maxval = kind == '1' || kind == '4' ? 1 : t.number();
    const int channels = kind == '3' || kind == '6' ? 3 : 1;
    return one_page("PNM", width, height, channels, maxval > 255 ? 2 : 1);
}

ImageHeader pfm(Bytes& b, bool colour) {
    TextHeader t(b, 2);
    const std::int64_t width = t.number(), height = t.number();
    return one_page("PFM", width, height, colour ? 3 : 1, 4);
}

// OpenEXR: attributes (name, type, size, value) up to an empty name; the data window gives the
// size, the channel list the channels (decoded as float: gray for Y alone, else BGR or BGRA).
ImageHeader exr(Bytes& b) {
    std::uint64_t at = 8;
    std::int64_t width = 0, height = 0;
    int channels = 0;
    bool have_window = false;
    const auto cstring = [&](std::uint64_t& pos) {
        const std::vector<unsigned char> s = b.upto(pos, 256);
        const auto end = std::find(s.begin(), s.end(), 0);
        if (end == s.end()) throw Malformed{};
        pos += static_cast<std::uint64_t>(end - s.begin()) + 1;
        return std::string(s.begin(), end);
    };
    for (int attribute = 0; attribute < 1000; ++attribute) {
        const std::string name = cstring(at);
        if (name.empty()) break;
        const std::string type = cstring(at);
        const std::uint64_t size = b.uint(at, 4, false);
        at += 4;
        if (name == "dataWindow" && type == "box2i" && size == 16) {
            const auto v = [&](int i) { return static_cast<std::int32_t>(b.uint(at + 4 * i, 4, false)); };
            width = static_cast<std::int64_t>(v(2)) - v(0) + 1;
            height = static_cast<std::int64_t>(v(3)) - v(1) + 1;
            have_window = true;
        }
        if (name == "channels" && type == "chlist") {
            std::uint64_t pos = at;
            bool alpha = false, luminance_only = true;
            int count = 0;
            while (pos < at + size && count < 1024) {
                const std::string channel = cstring(pos);
                if (channel.empty()) break;
                pos += 16;  // pixel type, linear flag, reserved, x and y sampling
                ++count;
                alpha = alpha || channel == "A";
                luminance_only = luminance_only && (channel == "Y" || channel == "A");
            }
            channels = count == 0 ? 0 : luminance_only && !alpha ? 1 : alpha ? 4 : 3;
        }
        at += size;
    }
    if (!have_window || channels == 0) throw Malformed{};
    return one_page("OpenEXR", width, height, channels, 4);
}

// Radiance HDR: text lines up to an empty one, then the resolution line ("-Y 480 +X 640", or
// with X first for images stored by columns).
ImageHeader radiance(Bytes& b) {
    const std::vector<unsigned char> t = b.upto(0, 8192);
    const std::string text(t.begin(), t.end());
    const std::size_t blank = text.find("\n\n");
    if (blank == std::string::npos) throw Malformed{};
    const std::size_t end = text.find('\n', blank + 2);
    const std::string line = text.substr(blank + 2, end == std::string::npos ? std::string::npos : end - blank - 2);
    char a[3] = {}, c[3] = {};
    long n1 = 0, n2 = 0;
    if (std::sscanf(line.c_str(), "%2s %ld %2s %ld", a, &n1, c, &n2) != 4) throw Malformed{};
    const bool y_first = a[1] == 'Y' && c[1] == 'X', x_first = a[1] == 'X' && c[1] == 'Y';
    if (!y_first && !x_first) throw Malformed{};
    return one_page("Radiance HDR", y_first ? n2 : n1, y_first ? n1 : n2, 3, 4);
}

ImageHeader sun_raster(Bytes& b) {
    const std::uint64_t depth = b.uint(12, 4, true);
    return one_page("Sun raster", static_cast<std::int64_t>(b.uint(4, 4, true)),
                    static_cast<std::int64_t>(b.uint(8, 4, true)), depth <= 8 ? 3 : 3, 1);
}

// JPEG 2000: a raw codestream's SIZ segment, or a JP2 file's image header box inside 'jp2h'.
ImageHeader jpeg2000_codestream(Bytes& b, std::uint64_t at) {
    const std::int64_t width =
        static_cast<std::int64_t>(b.uint(at + 6, 4, true)) - static_cast<std::int64_t>(b.uint(at + 14, 4, true));
    const std::int64_t height =
        static_cast<std::int64_t>(b.uint(at + 10, 4, true)) - static_cast<std::int64_t>(b.uint(at + 18, 4, true));
    const std::uint64_t components = b.uint(at + 38, 2, true);
    const std::uint64_t bits = (b.uint(at + 40, 1, true) & 0x7F) + 1;
    return one_page("JPEG 2000", width, height, components >= 4 ? 4 : components >= 2 ? 3 : 1, bits > 8 ? 2 : 1);
}

ImageHeader jp2(Bytes& b) {
    // Boxes: length (0: to the end; 1: a 64-bit length follows), type, contents.
    const auto find_box = [&](std::uint64_t at, std::uint64_t end, std::string_view want) -> std::uint64_t {
        for (int box = 0; box < 1000 && at + 8 <= end; ++box) {
            std::uint64_t length = b.uint(at, 4, true), header = 8;
            const std::vector<unsigned char> type = b.at(at + 4, 4);
            if (length == 1) {
                length = b.uint(at + 8, 8, true);
                header = 16;
            }
            if (starts_with(type, want)) return at + header;
            if (length == 0 || length < header) break;
            at += length;
        }
        throw Malformed{};
    };
    const std::uint64_t everything = UINT64_MAX / 2;
    const std::uint64_t jp2h = find_box(0, everything, "jp2h");
    const std::uint64_t ihdr = find_box(jp2h, everything, "ihdr");
    const std::int64_t height = static_cast<std::int64_t>(b.uint(ihdr, 4, true));
    const std::int64_t width = static_cast<std::int64_t>(b.uint(ihdr + 4, 4, true));
    const std::uint64_t components = b.uint(ihdr + 8, 2, true);
    const std::uint64_t bits = (b.uint(ihdr + 10, 1, true) & 0x7F) + 1;
    return one_page("JPEG 2000", width, height, components >= 4 ? 4 : components >= 2 ? 3 : 1, bits > 8 ? 2 : 1);
}

ImageHeader webp(Bytes& b) {
    const std::vector<unsigned char> chunk = b.at(12, 4);
    if (starts_with(chunk, "VP8 ")) {
        const std::vector<unsigned char> f = b.at(20, 10);
        if (f[3] != 0x9D || f[4] != 0x01 || f[5] != 0x2A) throw Malformed{};
        return one_page("WebP", (f[6] | f[7] << 8) & 0x3FFF, (f[8] | f[9] << 8) & 0x3FFF, 3, 1);
    }
    if (starts_with(chunk, "VP8L")) {
        if (b.at(20, 1)[0] != 0x2F) throw Malformed{};
        const std::uint64_t bits = b.uint(21, 4, false);
        return one_page("WebP", static_cast<std::int64_t>((bits & 0x3FFF) + 1),
                        static_cast<std::int64_t>(((bits >> 14) & 0x3FFF) + 1), (bits >> 28) & 1 ? 4 : 3, 1);
    }
    if (starts_with(chunk, "VP8X")) {
        const bool alpha = b.at(20, 1)[0] & 0x10;
        return one_page("WebP", static_cast<std::int64_t>(b.uint(24, 3, false) + 1),
                        static_cast<std::int64_t>(b.uint(27, 3, false) + 1), alpha ? 4 : 3, 1);
    }
    throw Malformed{};
}

}  // namespace

std::optional<ImageHeader> read_header(const ReadAt& read) {
    Bytes b(read);
    try {
        const std::vector<unsigned char> s = b.upto(0, 16);
        if (starts_with(s, "\x89PNG\r\n\x1a\n")) return png(b);
        if (starts_with(s, "\xFF\xD8\xFF")) return jpeg(b);
        if (starts_with(s, std::string_view("II*\0", 4))) return tiff(b, false, false);
        if (starts_with(s, std::string_view("MM\0*", 4))) return tiff(b, true, false);
        if (starts_with(s, std::string_view("II+\0", 4))) return tiff(b, false, true);
        if (starts_with(s, std::string_view("MM\0+", 4))) return tiff(b, true, true);
        if (starts_with(s, "BM")) return bmp(b);
        if (s.size() >= 3 && s[0] == 'P' && s[1] >= '1' && s[1] <= '7' && std::isspace(s[2]))
            return pnm(b, static_cast<char>(s[1]));
        if (s.size() >= 3 && s[0] == 'P' && (s[1] == 'F' || s[1] == 'f') && std::isspace(s[2]))
            return pfm(b, s[1] == 'F');
        if (starts_with(s, "\x59\xA6\x6A\x95")) return sun_raster(b);
        if (starts_with(s, "\x76\x2F\x31\x01")) return exr(b);
        if (starts_with(s, "#?RADIANCE") || starts_with(s, "#?RGBE")) return radiance(b);
        if (starts_with(s, std::string_view("\0\0\0\x0cjP  \r\n\x87\n", 12))) return jp2(b);
        if (starts_with(s, "\xFF\x4F\xFF\x51")) return jpeg2000_codestream(b, 2);
        if (starts_with(s, "RIFF") && s.size() >= 12 && std::memcmp(s.data() + 8, "WEBP", 4) == 0) return webp(b);
    } catch (const Malformed&) {
    }
    return std::nullopt;
}

std::optional<ImageHeader> read_header(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const ReadAt read = [fd](std::uint64_t offset, unsigned char* out, std::size_t n) {
        std::size_t done = 0;
        while (done < n) {
            const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
            if (got <= 0) break;
            done += static_cast<std::size_t>(got);
        }
        return done;
    };
    std::optional<ImageHeader> h = read_header(read);
    ::close(fd);
    return h;
}

}  // namespace app
