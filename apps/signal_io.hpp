// Signal files by kind, for the signal commands: audio through libsndfile (audio_io.hpp: WAV,
// FLAC, OGG, AIFF, ...), text (CSV, TSV or whitespace-separated columns) and NumPy's .npy.
//
//   kind   read as                                          rate
//   audio  every channel, full scale ±1                     the file's
//   text   one line per frame, one column per channel;      --rate, else unknown
//          '#' comments, one header line of names allowed
//   .npy   shape (frames,) or (frames, channels), as        --rate, else unknown
//          soundfile and scipy.io.wavfile hold audio;
//          integers as stored (not scaled), complex refused
#pragma once

#include <cstddef>
#include <string>

#include "cli.hpp"
#include "signal.hpp"

namespace app {

/// Whether `path` names a signal file by its extension: audio (.wav, .flac, ...; only when built
/// with libsndfile) or text (.csv, .tsv, .txt, .dat). .npy is not among them: conv treats an .npy
/// file as an array of its own rank, and the commands that take only signals accept it too.
bool is_signal_path(const std::string& path);
bool is_text_signal_path(const std::string& path);

/// Reads the signal at `path` ("-" is not accepted: signals are read whole, by kind).
/// `rate` (> 0) is the sample rate of a file that states none (--rate); an audio file's own rate
/// must then equal it.
/// @throws ProcessError  naming the file: unreadable, not a signal of a known kind, no samples,
///                       a text line that is not numbers (its line and column), ragged columns,
///                       an .npy array of rank 0 or above 2, complex values; UsageError  a --rate
///                       that differs from an audio file's own.
Signal read_signal(const std::string& path, int rate = 0);

/// Checks --rate (`rate`, 0 when not given) against an audio stream's own rate.
/// @throws UsageError  when both are known and differ.
void check_rate_option(int rate, const std::string& name, int own);

/// A response or kernel for a signal: a signal file (audio, text, .npy) when `spec` names an
/// existing file, else 1D taps written on the command line ("0.25,0.5,0.25", gaussian:S, box:N;
/// kernels.hpp), one channel of unknown rate unless `rate` is given.
/// @throws as read_signal, or UsageError  for a kernel spec that is not one.
Signal read_response(const std::string& spec, int rate, const Args& args);

/// The sample rate two signals share: the known one when one is not known (0), 0 when neither is.
/// @throws ProcessError  "the sample rates differ: A is 48000 Hz, B 44100 Hz ..." when both are
///                       known and differ.
int common_rate(const std::string& a, int a_rate, const std::string& b, int b_rate);

/// Checks, before any work, that `path` is a kind of signal file fftconv writes (audio by
/// extension, .csv/.tsv/.txt/.dat, .npy).  @throws UsageError  naming the extension.
void check_signal_output(const std::string& path);

/// Writes `s` to `path` by its extension, through a temporary file (a failure leaves no file and
/// never an overwritten one): audio in `like`'s sample format when the kind holds it (see
/// output_format), .npy as float64 of shape (frames,) for one channel or (frames, channels), text
/// with every value's shortest exact decimal. Returns the samples clipped to ±1 (integer audio
/// formats hold no more; none elsewhere).  @throws ProcessError  naming the file.
std::size_t write_signal(const std::string& path, const Signal& s, const Signal& like);

/// The --rate option of the signal commands, and its value (0 when not given).
OptionSpec rate_option();
int rate_of(const Args& args);

}  // namespace app
