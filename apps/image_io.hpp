// Reading images of any depth into float planes, and writing results safely: by extension,
// scaled to 8 or 16 bits with the mapping reported (or raw float), through a temporary file that
// is renamed into place only when complete, and never over one of the run's own inputs.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "fftconv/image.hpp"

namespace app {

using Planes = std::vector<fftconv::Image<float>>;

/// An image as read from a file.
struct Picture {
    std::string path;
    Planes planes;       // one per channel, in the file's order (OpenCV's B, G, R, A)
    int depth = 0;       // the file's sample depth (CV_8U, CV_16U, CV_32F, ...)
    double white = 255;  // the value of full intensity at that depth: 255, 65535, or 1 for float data
    // The range the values live in: 0..white for integer data; for float data 0..1 widened to
    // the data's own minimum and maximum (HDR and signed data are not squeezed into 0..1).
    double low = 0;
    double high = 255;

    fftconv::Shape shape() const { return planes.front().shape(); }
    std::size_t channels() const { return planes.size(); }
    /// "512x512 gray 8-bit", "400x600 3-channel 16-bit".
    std::string describe() const;
};

/// @throws ProcessError  when the file is missing or not an image OpenCV can decode.
Picture read_picture(const std::string& path);

/// The channels averaged into one gray plane (the planes themselves for a gray picture).
fftconv::Image<float> gray_of(const Picture& p);

/// How float results become 8- or 16-bit samples (the `top` value is 255 or 65535).
///   keep       an image in the input's range low..high: mapped onto 0..top, clipped (blur, low-pass)
///   signed     a response around 0: 0 -> top/2, ±max|v| -> 0 / top (derivatives, high-pass)
///   stretch    0..max -> 0..top, or min..max -> 0..top when there are negative values (magnitudes)
///   automatic  keep when 99.5% of the values lie within the input's range (2% slack), else
///              signed when some are negative, else stretch
enum class Scaling { automatic, keep, signed_around_zero, stretch };

/// How results are stored.
struct WriteOptions {
    bool raw = false;  // float samples, unscaled (TIFF, EXR, PFM only)
    double low = 0;    // the input's range (Picture::low, high), for "values kept" outputs
    double high = 255;
    bool sixteen_bit = false;  // the input was 16-bit: keep 16 bits where the format can
    Scaling scaling = Scaling::automatic;
};

/// Checks, before any work, that `path` can be written: an extension OpenCV writes (a float one
/// for --raw), an existing directory this process may write into, and not the same file as any
/// of `inputs`.
/// @throws UsageError  otherwise.
void check_output(const std::string& path, const std::vector<std::string>& inputs, bool raw);

/// Whether two paths name one file: the same file when both exist (links included), else the
/// same path once made absolute and normalised.
bool same_file(const std::string& a, const std::string& b);

/// Held by whoever writes to stderr while other threads may be reading or writing images (the
/// codecs' own messages are kept off stderr meanwhile; see image_io.cpp).
std::mutex& console_mutex();

/// Writes the planes to `path` and returns what was done with the values, e.g.
/// "8-bit, values kept (0..255)" or "8-bit, signed: 0 -> 128, ±412.5 -> 0/255" (see Scaling).
/// The file appears only when complete.
/// @throws ProcessError  when writing fails; nothing is left at `path` then.
std::string write_picture(const std::string& path, const Planes& planes, const WriteOptions& options);

/// Writes a file through `write(temporary_path)`, then renames it to `path`; removes the
/// temporary file when `write` fails or throws. The temporary name is new (created exclusively,
/// hidden, in the same directory), so no existing file is ever written to.
/// @throws ProcessError  on failure.
void write_atomically(const std::string& path, const std::function<bool(const std::string&)>& write);

}  // namespace app
