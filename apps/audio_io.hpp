// Audio files through libsndfile (WAV, FLAC, OGG, AIFF, ...: any rate, channel count and sample
// format), read whole into one double vector per channel.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace app {

struct Audio {
    int rate = 0;  ///< samples per second
    std::ptrdiff_t frames = 0;
    std::vector<std::vector<double>> channels;  ///< channels[c][frame], full scale ±1
    std::string format;                         ///< "WAV 16-bit PCM", for messages

    /// The channels' mean, for the commands that compare one signal.
    std::vector<double> mono() const;
};

/// @throws ProcessError  "PATH: ..." for a file that cannot be opened or is not audio libsndfile
///                       reads, has no channels or no frames, or ends before its header says.
Audio read_audio(const std::string& path);

/// "0.000839 s" style: seconds with enough digits for one sample at `rate`.
std::string seconds_text(double samples, int rate);

}  // namespace app
