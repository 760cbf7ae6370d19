// Reading images of any depth into float planes, and writing results safely: by extension,
// float kept float where the format holds it, otherwise scaled to 8 or 16 bits with the mapping
// reported; through a temporary file that is renamed into place only when complete, and never
// over one of the run's own inputs. "-" names standard input or output.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fftconv/image.hpp"
#include "image_header.hpp"

namespace app {

using Planes = std::vector<fftconv::Image<float>>;

/// "451x300": the tool prints every image size as width x height, as image tools do (the
/// library's Shape is rows x cols).
std::string size_text(std::int64_t width, std::int64_t height);
std::string size_text(fftconv::Shape shape);

/// An image file on the command line, opened and its header read, nothing decoded yet.
struct ImageFile {
    std::string name;                   // as given: a path, or "-" for standard input
    std::string path;                   // where it is read from: the path, or a private copy of standard input
    std::optional<ImageHeader> header;  // nullopt: a format fftconv's header reader does not know

    std::size_t pages() const { return header ? header->pages.size() : 1; }
};

/// Checks that `name` is a readable, non-empty regular file (or "-": standard input, read once
/// into a temporary file that is removed at exit) and reads its header.
/// @throws ProcessError  naming the file and what is wrong.
ImageFile open_image(const std::string& name);

/// "the file 'x.png'" or "standard input", for messages.
std::string display_name(const std::string& name);

/// One page of an image as decoded.
struct Picture {
    std::string path;                            // the name on the command line
    Planes planes;                               // the colour channels in the file's order (B, G, R), or gray
    std::optional<fftconv::Image<float>> alpha;  // the alpha channel, kept apart from the colour
    int depth = 0;                               // the file's sample depth (CV_8U, CV_16U, CV_32F, ...)
    double white = 255;  // the value of full intensity at that depth: 255, 65535, or 1 for float data
    // The range the values live in: 0..white for integer data; for float data 0..1 widened to
    // the data's own finite minimum and maximum (HDR and signed data are not squeezed into 0..1).
    double low = 0;
    double high = 255;
    std::size_t nonfinite = 0;  // NaN and ±Inf samples in float data

    fftconv::Shape shape() const { return planes.front().shape(); }
    std::size_t channels() const { return planes.size(); }
    bool is_float() const;
    /// "512x512 gray 8-bit", "600x400 3-channel 16-bit with alpha".
    std::string describe() const;
};

/// Page `page` of an opened file.
/// @throws ProcessError  when it cannot be decoded.
Picture read_page(const ImageFile& file, std::size_t page);

/// Page `page` as decoded, interleaved at the file's depth (B, G, R[, A] or gray[, alpha]), with
/// the Picture's fields but no planes: what read_page converts whole, for a caller that converts
/// it a few rows at a time. For float data, low and high are not read yet (0 and 1).
struct Decoded {
    cv::Mat mat;
    Picture picture;
};
/// @throws ProcessError  as read_page.
Decoded decode_page(const ImageFile& file, std::size_t page);

/// The Picture of a decoded page, its planes converted (what read_page returns).
Picture to_picture(Decoded d);

/// open_image and read_page of a single-page image, refused beyond `max_pixels` from its header
/// before decoding.
/// @throws ProcessError  as those, for a file of several pages, and for more than max_pixels.
Picture read_picture(const std::string& name, std::int64_t max_pixels = INT64_MAX);

/// The colour channels among an image's `channels`: 4 (BGRA) and 2 (gray and alpha) carry alpha.
inline int colour_count(int channels) {
    return channels == 4 || channels == 2 ? channels - 1 : channels;
}

/// One gray value as cv::cvtColor(COLOR_BGR2GRAY) weighs blue, green and red:
/// 0.299 R + 0.587 G + 0.114 B, summed in double.
inline float gray_value(double b, double g, double r) {
    return static_cast<float>(0.114 * b + 0.587 * g + 0.299 * r);
}

/// The colour channels as one gray plane (gray_value); the plane itself for a gray picture.
fftconv::Image<float> gray_of(const Picture& p);

/// How float results become 8- or 16-bit samples (the `top` value is 255 or 65535), over the
/// finite values only: NaN is written as 0, +Inf as top and -Inf as 0, and counted.
///   keep       an image in the input's range low..high: mapped onto 0..top, clipped (blur, low-pass)
///   signed     a response around 0: 0 -> top/2, ±max|v| -> 0 / top (derivatives, high-pass)
///   stretch    0..max -> 0..top, or min..max -> 0..top when there are negative values (magnitudes)
///   automatic  keep when 99.5% of the values lie within the input's range (2% slack), else
///              signed when some are negative, else stretch
enum class Scaling { automatic, keep, signed_around_zero, stretch };

/// How results are stored.
struct WriteOptions {
    bool raw = false;          // float samples, unscaled (TIFF, EXR, PFM only)
    bool float_input = false;  // float in: a float format out stays float unless `scaling_asked`
    bool scaling_asked = false;
    double low = 0;  // the input's range (Picture::low, high), for "values kept" outputs
    double high = 255;
    double white = 255;        // the input's full intensity, for the alpha channel
    bool sixteen_bit = false;  // the input was 16-bit: keep 16 bits where the format can
    Scaling scaling = Scaling::automatic;
    std::string format;  // the extension that picks the format (".png"); empty: the path's own
};

/// What the result samples of a write hold, against the input's range low..high (WriteOptions):
/// the finite ones with their least and largest values, those outside the range (clipped by
/// Scaling::keep), those outside it by more than 2% of its width (automatic scaling's test), and
/// the non-finite ones by kind. The 8/16-bit mapping is chosen from these alone.
struct SampleCounts {
    std::size_t finite = 0, clipped = 0, outside = 0, nan = 0, positive = 0, negative = 0;
    double lo = INFINITY, hi = -INFINITY;
    /// Counts n values.
    void add(const float* values, std::size_t n, double low, double high);
    SampleCounts& operator+=(const SampleCounts& o);
};

/// A result page: its channels, and the input's alpha channel when it is carried through. A
/// page made a strip at a time may come already mapped by sample_map's SampleMap instead:
/// `mapped` (8 or 16 bits, its channels interleaved as OpenCV writes them) and the `counts` of
/// its samples.
struct OutputPage {
    Planes planes;
    std::optional<fftconv::Image<float>> alpha;
    cv::Mat mapped;
    SampleCounts counts;
};

/// A page of these planes, no alpha.
inline OutputPage page_of(Planes planes) {
    OutputPage page;
    page.planes = std::move(planes);
    return page;
}

/// How write_picture maps results onto 8- or 16-bit samples, chosen by the scaling from the
/// counts of every sample (Scaling::keep needs none of them but for its text).
struct SampleMap {
    double scale = 1, offset = 0, top = 255;
    int depth = 0;     // CV_8U or CV_16U
    std::string text;  // "values kept (0..255)", "signed: 0 -> 128, ±3.5 -> 0/255", ...
    /// `rows` rows of result channels (row r of channel k starts at channels[k] + r * cols) into
    /// `out` (those rows: CV_MAKETYPE(depth, channels.size())): NaN to 0, the rest clamped to
    /// what maps onto 0..top, then scaled and rounded by cv::Mat::convertTo.
    void map_rows(const std::vector<const float*>& channels, int rows, int cols, cv::Mat out) const;
};

/// The SampleMap write_picture applies for `path` and `options` to samples with these counts;
/// nullopt when it writes float (float output, --raw) or `path` is an .npy file. Under
/// Scaling::keep the map itself does not depend on the counts, only its text.
std::optional<SampleMap> sample_map(const std::string& path, const WriteOptions& options, const SampleCounts& counts);

/// What write_picture did: the value mapping ("8-bit, values kept (0..255)", "32-bit float,
/// values unscaled") and the warnings it has for the user (non-finite values, a dropped alpha).
struct Written {
    std::string mapping;
    std::vector<std::string> warnings;
};

/// Checks, before any work, that `path` can be written: an extension OpenCV writes (a float one
/// for --raw), an existing directory this process may write into, a name short enough for the
/// file system (with room for the temporary name), and not the same file as any of `inputs`.
/// "-" is standard output: `format` (an extension) must then name a format fftconv can stream.
/// @throws UsageError  otherwise.
void check_output(const std::string& path, const std::vector<std::string>& inputs, bool raw,
                  const std::string& format = "");

/// Whether two paths name one file: the same file when both exist (links included), else the
/// same path once made absolute and normalised.
bool same_file(const std::string& a, const std::string& b);

/// Held by whoever writes to stderr while other threads may be reading or writing images (the
/// codecs' own messages are kept off stderr meanwhile; see image_io.cpp).
std::mutex& console_mutex();

/// Where the tool's messages about its work go: stdout, or stderr once an image is written to
/// standard output.
std::FILE* info_stream();

/// Writes the pages (several: a multi-page TIFF) to `path` ("-": standard output); the file
/// appears only when complete. Colour pages are written as BGR, with alpha where the format
/// holds it (PNG, TIFF, EXR, WebP).
/// @throws ProcessError  when writing fails; nothing is left at `path` then.
Written write_picture(const std::string& path, const std::vector<OutputPage>& pages, const WriteOptions& options);

/// Writes a file through `write(temporary_path)`, then renames it to `path` (or copies it to
/// standard output for "-"); removes the temporary file when `write` fails or throws. The
/// temporary name is new (created exclusively, hidden, in the same directory, short enough for
/// the file system), so no existing file is ever written to; a file replaced keeps its mode.
/// `format` is the extension the temporary file gets (OpenCV picks the format by it). With
/// `codecs`, what the codec libraries print meanwhile is kept off stderr (and the console is held)
/// and their gist ends the error; without, stderr stays the user's (a progress bar).
/// @throws ProcessError  on failure.
void write_atomically(const std::string& path, const std::function<bool(const std::string&)>& write,
                      const std::string& format = "", bool codecs = true);

/// Whether files of this extension hold float samples only (OpenEXR, PFM, Radiance HDR): results
/// go into them as float, unscaled.
bool float_only_format(const std::string& ext);

/// The extension a path's format is chosen by, lower case (".png"); "" for none.
std::string lower_extension(const std::string& path);

}  // namespace app
