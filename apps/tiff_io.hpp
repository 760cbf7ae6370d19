// (Big)TIFF files read and written a box at a time through libtiff, for out-of-core convolutions
// of images far larger than memory: Reader is an fftconv::ArrayReader over one page of a striped
// or tiled file, Writer an fftconv::ArrayWriter that makes a tiled one.
//
// Only tiff_io.cpp includes <tiffio.h>. libtiff's messages never reach stderr: each open file
// has its own error and warning handlers (TIFFOpenOptions, libtiff 4.5), so files in different
// threads do not share them, and an error's text becomes part of the ProcessError thrown. One
// Reader or Writer is used by one thread at a time (a libtiff handle is not thread-safe).
//
// Samples are values, not intensities: a uint8 255 reads as 255.0, and a float written to a
// uint8 file is clamped and rounded, not scaled. Orientation tags are not applied (row 0 is the
// file's first row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fftconv/array.hpp"
#include "fftconv/out_of_core.hpp"
#include "fftconv/types.hpp"

namespace app::tiff {

/// Whether the file at `path` starts with a TIFF's byte-order mark and version: II*\0 or MM\0*
/// (classic), II+\0 or MM\0+ (BigTIFF). False when it cannot be read.
bool is_tiff(const std::string& path);
/// The same test on a file's first bytes (false for fewer than 4).
bool is_tiff(std::span<const unsigned char> first_bytes);

/// How the samples of a file are numbers (TIFF's SampleFormat tag).
enum class SampleFormat { unsigned_integer, signed_integer, floating_point };

/// "unsigned", "signed", "float".
const char* format_name(SampleFormat format);

/// One page of a TIFF file as read_info found it, checked readable by Reader.
struct Info {
    std::int64_t rows = 0, cols = 0;
    int samples = 1;        // per pixel, the extra samples included (3 for RGB, 4 for RGBA)
    int extra_samples = 0;  // among them: alpha and other extra samples (TIFF's ExtraSamples)
    int bits = 8;           // per sample: 8, 16, 32 or 64
    SampleFormat format = SampleFormat::unsigned_integer;
    bool planar_separate = false;  // each sample in planes of its own (PlanarConfiguration 2)
    bool tiled = false;
    std::int64_t tile_rows = 0, tile_cols = 0;  // tiled files only
    // Striped files only: the strips' height as libtiff presents them, which Reader decodes one
    // at a time (a single uncompressed strip of contiguous samples comes as strips of ~8 KB).
    std::int64_t rows_per_strip = 0;
    std::size_t pages = 1;         // pages (directories) in the file
    std::size_t page = 0;          // the page these fields describe
    bool big_tiff = false;         // BigTIFF (64-bit offsets) rather than classic TIFF
    int compression = 1;           // TIFF's Compression code: 1 none, 5 LZW, 8 deflate, 7 JPEG...
    std::string compression_name;  // libtiff's name for it: "None", "LZW", "AdobeDeflate"...
    int photometric = 1;           // TIFF's Photometric code: 0/1 gray, 2 RGB, 5 separated (CMYK)...

    /// The array Reader presents: {rows, cols} for one sample per pixel, {rows, cols, samples}
    /// for more, planar separate files alike.
    fftconv::Extents shape() const;
    /// Whether the samples need double to be read exactly: 64-bit floats, 32- and 64-bit integers.
    bool wide() const { return format == SampleFormat::floating_point ? bits == 64 : bits >= 32; }
    /// "1000x800 3 samples 16-bit unsigned, tiled 256x256, LZW, BigTIFF, page 0 of 2" (sizes as
    /// width x height, as the tool prints images).
    std::string describe() const;
};

/// Reads the header of page `page` of the TIFF file at `path` and checks that Reader can read
/// it, without decoding any sample.
/// @throws ProcessError  one line naming the file and the values, for a file that cannot be
///         opened, is not a TIFF, or has fewer pages; and for what is not read: samples of other
///         than 8, 16, 32 or 64 bits (1-bit, 4-bit, 12-bit...), 16-bit floats, complex samples,
///         sample formats other than unsigned, signed and IEEE float, palette images, subsampled
///         YCbCr (JPEG's usual colour), LogLuv-encoded samples, compressions this libtiff cannot
///         decode, strips or tiles of more than max_block_bytes, strip or tile counts that do
///         not match the size, and a header libtiff cannot read (its message included).
Info read_info(const std::string& path, std::size_t page = 0);

/// The most bytes one decoded strip or tile may hold: a file stored as one huge compressed strip
/// cannot be read a box at a time (libtiff decodes a strip whole) and is refused by read_info.
inline constexpr std::size_t max_block_bytes = std::size_t{1} << 30;

/// The bytes of decoded strips or tiles a Reader keeps between reads, by default.
inline constexpr std::size_t default_cache_bytes = std::size_t{64} << 20;

namespace detail {
class ReaderCore;
class WriterCore;
}  // namespace detail

/// One page of a TIFF file as an array of T, read a box at a time: shape() is Info::shape().
/// Each sample becomes the T nearest its value: exactly in double but for 64-bit integers past
/// 2^53, exactly in float for 8- and 16-bit integers and 32-bit floats. Byte order, compression
/// and predictors are undone by libtiff. Photometric interpretations are not applied: samples come as stored
/// (min-is-white gray is not inverted, CMYK stays CMYK, YCbCr without subsampling stays Y, Cb, Cr).
///
/// Memory: a read decodes each strip or tile the box overlaps once, and between reads keeps the
/// most recently used decoded strips or tiles up to `cache_bytes` in all (64 MiB by default; 0
/// keeps none), so that the overlapping boxes of an out-of-core run decode most of them once.
/// At most cache_bytes plus one strip or tile (at most max_block_bytes) whatever the image size.
template <fftconv::Real T>
class Reader final : public fftconv::ArrayReader<T> {
public:
    /// Opens page `page` of the file at `path`.  @throws ProcessError  as read_info.
    explicit Reader(const std::string& path, std::size_t page = 0, std::size_t cache_bytes = default_cache_bytes);
    ~Reader() override;
    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) noexcept;

    /// The page's header, as read_info gives it.
    const Info& info() const;
    /// info().shape().
    fftconv::Extents shape() const override;
    /// Fills dst with the samples at first + i for every index i of dst.shape (any strides).
    /// @throws ProcessError  a strip or tile that cannot be decoded (a truncated or corrupt
    ///         file), naming the file, its number and libtiff's message.
    /// @throws std::out_of_range  a box of another rank than shape() or reaching outside it.
    void read(const fftconv::Extents& first, const fftconv::View<T>& dst) override;
    /// Strips or tiles decoded so far (for tests and statistics: how well the cache serves).
    std::int64_t decoded() const;

private:
    std::unique_ptr<detail::ReaderCore> core_;
};

/// What a Writer stores each sample as.
enum class SampleType { uint8, uint16, float32, float64 };

/// "uint8", "uint16", "float32", "float64".
const char* type_name(SampleType type);

/// How a Writer lays out its file.
struct WriterOptions {
    // TIFF tiles must be multiples of 16 along both axes.
    std::int64_t tile_rows = 256, tile_cols = 256;
    // Lossless deflate (zlib) with the predictor that suits the samples (horizontal differencing
    // for integers, floating-point for floats); none by default, so the file's size is known.
    bool deflate = false;
    // BigTIFF even when the data fits a classic TIFF's 4 GB (it is chosen anyway when it could not).
    bool big_tiff = false;
};

/// A tiled TIFF written a box at a time: shape {rows, cols} (one sample per pixel, min-is-black
/// gray) or {rows, cols, samples}: 3 samples are RGB, written in the order given (R, G, B:
/// convert OpenCV's B, G, R first), 2 and 4 are gray or RGB with an unassociated alpha as the
/// last sample, other counts gray with extra samples. Contiguous planar, tiles of
/// tile_rows x tile_cols (the edge tiles padded with zeros), BigTIFF when the data with its
/// tiles' padding could pass 4 GB (or options.big_tiff), else classic TIFF.
///
/// To uint8 and uint16 samples values convert as OpenCV's convertTo does, without scaling: NaN
/// becomes 0, the rest is clamped to 0..255 or 0..65535 and rounded half to even (0.5 -> 0,
/// 1.5 -> 2, 2.5 -> 2). (±Inf and values past ±2^31 clamp too, where OpenCV's int conversion
/// overflows and gives 0.) To float32, a double rounds to the nearest float.
///
/// The file is made under a hidden temporary name in the same directory and renamed to `path`
/// by close() when every tile is written, so that it appears complete or not at all (a file
/// replaced keeps its mode). Memory: only the tiles that writes have covered in part, each
/// until a later write completes it; none between writes of boxes aligned to alignment().
template <fftconv::Real T>
class Writer final : public fftconv::ArrayWriter<T> {
public:
    /// Creates the temporary file and writes nothing else yet.
    /// @throws ProcessError  a shape of another rank than 2 or 3 or with an empty axis, more than
    ///         65535 samples per pixel or more than 2^32 - 1 rows or columns, tiles that are not
    ///         positive multiples of 16, standard output ("-": a TIFF is written out of order),
    ///         a path that is a directory, or a file that cannot be created (libtiff's or the
    ///         system's message).
    Writer(const std::string& path, const fftconv::Extents& shape, SampleType type, const WriterOptions& options = {});
    /// Closes as close() does when it was not called, without throwing: a file whose every tile
    /// was written is finished and renamed to `path`; an incomplete one is removed.
    ~Writer() override;
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) noexcept;

    /// Stores src at first + i for every index i of src.shape (any strides). Any box within the
    /// shape is taken; a TIFF tile is encoded and written once, when its last element arrives.
    /// @throws ProcessError  a tile libtiff fails to write (its message), or a box that lands on
    ///         a tile written already (an element written twice).
    /// @throws std::out_of_range  a box of another rank than the shape or reaching outside it.
    void write(const fftconv::Extents& first, const fftconv::View<const T>& src) override;
    /// {tile_rows, tile_cols}, and the sample count last for a 3D shape.
    fftconv::Extents alignment() const override;
    /// Writes the directory and renames the file into place.
    /// @throws ProcessError  when tiles were never completely written (naming how many and the
    ///         first) or libtiff or the rename fails; the temporary file is removed then.
    void close();
    /// Whether the file is a BigTIFF.
    bool big_tiff() const;

private:
    std::unique_ptr<detail::WriterCore> core_;
};

extern template class Reader<float>;
extern template class Reader<double>;
extern template class Writer<float>;
extern template class Writer<double>;

}  // namespace app::tiff
