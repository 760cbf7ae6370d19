// Audio files through libsndfile (WAV, FLAC, OGG, AIFF, ...: any rate, channel count and sample
// format), read whole into one double vector per channel.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

struct sf_private_tag;  // libsndfile's SNDFILE

namespace app {

struct Audio {
    int rate = 0;  ///< samples per second
    std::ptrdiff_t frames = 0;
    std::vector<std::vector<double>> channels;  ///< channels[c][frame], full scale ±1
    std::string format;                         ///< "WAV (Microsoft), Signed 16 bit PCM", for messages
    int sf_format = 0;                          ///< libsndfile's format code (major | subtype)

    /// The channels' mean, for the commands that compare one signal.
    std::vector<double> mono() const;
};

/// @throws ProcessError  "PATH: ..." for a file that cannot be opened or is not audio libsndfile
///                       reads, has no channels or no frames, or ends before its header says.
Audio read_audio(const std::string& path);

/// @throws ProcessError  when libsndfile found `file`'s data chunk shorter than its header says
///                       (a file cut short; a length left unknown, 0xFFFFFFFF, is accepted).
void check_complete(sf_private_tag* file, const std::string& path);

/// @throws ProcessError  "the sample rates differ: A is 48000 Hz, B 44100 Hz ..." unless equal.
void check_same_rate(const std::string& a, int a_rate, const std::string& b, int b_rate);

/// Whether `path` names an audio file by its extension (.wav, .flac, .ogg, .aiff, ...).
bool is_audio_path(const std::string& path);

/// The format to write `path` in: the input's own when the extension is its kind (a 24-bit WAV
/// stays 24-bit), else the extension's (FLAC and AIFF 24-bit, WAV 16-bit, OGG Vorbis).
/// @throws UsageError  an extension libsndfile does not write.
int output_format(const std::string& path, const Audio& like);

/// Writes `a` to `path` in `format` through a temporary file renamed into place, so a failure
/// leaves no partial file and never an overwritten one. Returns the samples clipped to ±1 (an
/// integer format holds no more).  @throws ProcessError  naming the file.
std::size_t write_audio(const std::string& path, const Audio& a, int format);

/// "0.000839 s" style: seconds with enough digits for one sample at `rate`.
std::string seconds_text(double samples, int rate);

}  // namespace app
