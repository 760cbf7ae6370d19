// A 1D signal as the signal commands (conv on signals, delay, find, compare) hold it: one vector
// of doubles per channel, and the sample rate when the file states one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace app {

struct Signal {
    int rate = 0;  ///< samples per second; 0: not known (a text or .npy file read without --rate)
    std::ptrdiff_t frames = 0;
    std::vector<std::vector<double>> channels;  ///< channels[c][frame]; audio at full scale ±1
    std::string format;  ///< "WAV (Microsoft), Signed 16 bit PCM", "CSV text", "npy float64", for messages
    int sf_format = 0;   ///< audio files: libsndfile's format code (major | subtype); else 0

    /// The channels' mean, for the commands that compare one signal.
    std::vector<double> mono() const;
};

/// "0.000839 s" style: seconds with enough digits for one sample at `rate` (> 0).
std::string seconds_text(double samples, int rate);

/// "1234 samples (0.0257 s at 48000 Hz)", or "1234 samples" when the rate is not known (0).
std::string samples_text(double samples, int rate);

}  // namespace app
