// fftconv conv on signals: convolution reverb on audio files (streamed block by block in bounded
// memory), and 1D convolution of text and .npy signals.
#pragma once

#include "cli.hpp"

namespace app {

/// conv IN IR OUT [--mode full|same] [--wet W] [--dry D] [--normalize peak|rms] [--stream]
/// [--pcm FORMAT:RATE:CHANNELS] [--rate HZ].
int run_signal_conv(const Args& args);

}  // namespace app
