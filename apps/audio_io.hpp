// Audio files through libsndfile (WAV, FLAC, OGG, AIFF, ...: any rate, channel count and sample
// format), read whole into a Signal (one double vector per channel, full scale ±1).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "signal.hpp"

struct sf_private_tag;  // libsndfile's SNDFILE

namespace app {

/// @throws ProcessError  "PATH: ..." for a file that cannot be opened or is not audio libsndfile
///                       reads, has no channels or no frames, or ends before its header says.
Signal read_audio(const std::string& path);

/// @throws ProcessError  when libsndfile found `file`'s data chunk shorter than its header says
///                       (a file cut short; a length left unknown, 0xFFFFFFFF, is accepted).
void check_complete(sf_private_tag* file, const std::string& path);

/// Whether `path` names an audio file by its extension (.wav, .flac, .ogg, .aiff, ...).
bool is_audio_path(const std::string& path);

/// The format to write `path` in: the input's own when the extension is its kind (a 24-bit WAV
/// stays 24-bit), else the extension's (FLAC and AIFF 24-bit, WAV 16-bit, OGG Vorbis).
/// @throws UsageError  an extension libsndfile does not write.
int output_format(const std::string& path, const Signal& like);

/// Reads up to `frames` frames of `format` (the file's SF_INFO::format) from `file` as
/// interleaved doubles at full scale ±1 (normalised reading must be on): 16-bit PCM as s / 32768
/// by fftconv's own loop, other formats by libsndfile's conversion. Returns the frames read.
long long read_frames(sf_private_tag* file, int format, int channels, double* out, long long frames);

/// Writes `frames` interleaved frames of doubles (full scale ±1) to `file` in `format` and
/// returns false when the write fails. 16-bit PCM by fftconv's own rounding, v · 32768 to the
/// nearest integer saturated to −32768..32767, the inverse of read_frames (a sample read and
/// written unchanged keeps its value; libsndfile's writer scales by 32767); other formats
/// through libsndfile (clipping turned on). Adds to `clipped` the samples beyond what an integer
/// format holds.
bool write_frames(sf_private_tag* file, int format, int channels, const double* in, long long frames,
                  std::size_t& clipped);

/// Writes `a` to `path` in `format` through a temporary file renamed into place, so a failure
/// leaves no partial file and never an overwritten one (samples as write_frames writes them).
/// Returns the samples clipped (an integer format holds no more than full scale).  @throws ProcessError  naming the
/// file.
std::size_t write_audio(const std::string& path, const Signal& a, int format);

}  // namespace app
