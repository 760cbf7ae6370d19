// The cost model on the machine it runs on: Method::automatic and estimate_seconds predict each
// method's time from constants measured on one machine; calibrate() measures them on this one,
// and a per-user file keeps them for later processes, as FFTW's wisdom keeps plans.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace fftconv {

/// The cost model's constants: seconds per unit of work, per element type (float32, float64,
/// complex64, complex128, in that order).
struct CostModel {
    struct Type {
        double mac;           ///< one multiply-add of the direct sum's inner loop
        double call;          ///< one pass of that loop (one kernel tap over one block of outputs)
        double fft_fixed;     ///< an FFT call's fixed cost
        double fft_nlogn;     ///< a 1D transform, per N·log2(N), data in cache
        double fft_nlogn_2d;  ///< a transform of 2 or more axes, per N·log2(N)
        double fft_spill;     ///< added per N·log2(N) for each doubling of the data past the cache
        double fft_tile;      ///< a 2D tile beyond its transforms, per element of its padded block
        double direct_fixed;  ///< a direct call's fixed cost (the output's allocation, the set-up)
    };
    std::array<Type, 4> types{};
    double fresh_byte = 0;  ///< the first touch of one byte of newly allocated memory (a page fault's share)
    std::string machine;    ///< where they were measured: the CPU's model name and the SIMD set
};

/// What calibrate() measured, and how well the constants it fitted then predict calls it did
/// not fit them to.
struct Calibration {
    /// One call timed to check the fit.
    struct Check {
        std::string what;  ///< e.g. "float32 1x4096 * 1x33 same, direct"
        double estimate;   ///< estimate_seconds with the new constants
        double measured;   ///< the median of its timed runs
        double before;     ///< estimate_seconds with the constants in force before
    };
    CostModel model;
    double seconds = 0;                                      ///< how long the measuring took
    std::vector<Check> checks;                               ///< both methods, 1D and 2D, every type
    double median_ratio = 0;                                 ///< over the checks, estimate / measured: the median
    double worst_ratio = 0;                                  ///< and the worst, as max(ratio, 1 / ratio)
    double before_median_ratio = 0, before_worst_ratio = 0;  ///< the same with the constants before
};

/// Measures this machine's constants (about 30 s on one core; `quick`: a few seconds, a rougher
/// fit, for tests), installs them for this process, and checks them on other calls. Writes no
/// file: save_calibration does. Times one core: its own calls run on one thread (ScopedThreads),
/// while set_threads' count, and calls other threads start meanwhile, are left as they are.
[[nodiscard]] Calibration calibrate(bool quick = false);

/// The per-user file calibrate's constants are kept in: $FFTCONV_CALIBRATION if set, else
/// $XDG_CACHE_HOME/fftconv/calibration.txt, else $HOME/.cache/fftconv/calibration.txt ("" when
/// FFTCONV_CALIBRATION is "none", or none of them is set).
[[nodiscard]] std::string calibration_path();

/// Writes `model` to `path` (a temporary file renamed into place; the directory is made if
/// missing).  @throws Error  a file that cannot be written, naming it.
void save_calibration(const CostModel& model, const std::string& path = calibration_path());

/// Installs the constants in `path` for this process. Returns false when the file does not exist.
/// @throws Error  a file that cannot be read or parsed (naming the line), or one measured on
/// another machine (naming both).
bool load_calibration(const std::string& path = calibration_path());

/// The constants in force: the built-in ones (measured on the 2-core Xeon the defaults were fitted
/// on), or a calibration's. The first call that needs the cost model loads calibration_path()
/// once per process when that file exists and was measured on this machine (FFTCONV_CALIBRATION=none
/// turns that off; a file that cannot be used is passed over, leaving the built-in constants).
[[nodiscard]] CostModel cost_model();

/// Back to the built-in constants for this process.
void reset_cost_model();

}  // namespace fftconv
