// fftconv conv on audio files: convolution reverb (an input through an impulse response).
#pragma once

#include "cli.hpp"

namespace app {

/// conv IN.wav IR.wav OUT.wav [--mode full|same] [--wet W] [--dry D] [--normalize peak|rms].
int run_audio_conv(const Args& args);

}  // namespace app
