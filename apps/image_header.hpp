// What an image file holds, read from its header alone: the format, and for each page the
// width, height, channels and sample size that OpenCV's imread(IMREAD_UNCHANGED) would decode.
// A few kilobytes of PNG can declare 32768x32768 pixels (a "decompression bomb"), so the tool
// sizes the work from here and refuses it before a single pixel is decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace app {

struct PageHeader {
    std::int64_t width = 0;
    std::int64_t height = 0;
    /// What imread returns: 1, 3 or 4 (an upper bound where only the pixel data would tell,
    /// such as a BMP palette that may be all gray).
    int channels = 1;
    /// Bytes per decoded sample: 1 (8-bit), 2 (16-bit), 4 (32-bit float or integer), 8 (double).
    int bytes_per_sample = 1;

    std::int64_t pixels() const { return width * height; }
};

struct ImageHeader {
    std::string format;             // "PNG", "JPEG", "TIFF", "BMP", "PNM", "PFM", "PAM", "Sun raster",
                                    // "OpenEXR", "Radiance HDR", "JPEG 2000", "WebP"
    std::vector<PageHeader> pages;  // one per page: several only in multi-page TIFF files
};

/// Reads up to `n` bytes at `offset` into `out`; returns how many it read (fewer at the end).
using ReadAt = std::function<std::size_t(std::uint64_t offset, unsigned char* out, std::size_t n)>;

/// The header of the image in `read`, recognised by its signature (as OpenCV's decoders
/// recognise their formats, not by the file name). nullopt when the signature is none of the
/// formats above, or the header is malformed or declares an empty image: the decoder then
/// decides (and OpenCV's own limit of 2^30 pixels still holds).
std::optional<ImageHeader> read_header(const ReadAt& read);

/// read_header of a file.  nullopt as above, and when the file cannot be opened.
std::optional<ImageHeader> read_header(const std::string& path);

}  // namespace app
