// Pictures of 1D signals for the signal commands' --plot: panels stacked one above the other on a
// shared x axis, each with one or more traces and marked positions, drawn with OpenCV and written
// as an image (PNG by default).
#pragma once

#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"

namespace app {

/// One curve: values[i] is drawn at x = (first + i) * Plot::x_scale. A trace longer than the
/// panel is wide is drawn as its minimum-to-maximum envelope per pixel column, so a single spike
/// among millions of samples still shows. NaN and infinite values are gaps.
struct Trace {
    std::string label;  ///< in the panel's legend; "" for none
    std::span<const double> values;
    double first = 0;  ///< the sample index of values[0] (negative lags of a correlation curve)
};

/// A vertical line at x (in Plot's x units) with a label at its top: a found delay, a peak.
struct Marker {
    double x = 0;
    std::string label;
};

struct Panel {
    std::string title;    ///< above the panel
    std::string y_label;  ///< "amplitude", "|fft - direct|"
    std::vector<Trace> traces;
    std::vector<Marker> markers;
    bool log_y = false;  ///< log10 scale of |value|; zeros are drawn at the bottom edge
};

struct Plot {
    std::string x_label = "samples";  ///< "seconds" when x_scale is 1 / rate
    double x_scale = 1;               ///< x units per sample
    std::vector<Panel> panels;        ///< top to bottom, one x range: the union of every trace's
    int width = 1200;                 ///< pixels, the whole picture
    int panel_height = 220;           ///< pixels per panel, its axes and labels included
};

/// The picture, 8-bit BGR, width × (panels × panel_height) pixels: axes with round-number ticks
/// (1, 2, 5 × 10^k) and their values, one colour per trace with a legend, markers in red.
/// @throws ProcessError  no panel, a panel without traces, a trace without values, or a size
///                       below 200 × 100 pixels.
cv::Mat draw_plot(const Plot& plot);

/// Draws `plot` and writes it to `path` (any format OpenCV writes, by extension; "-" for standard
/// output as PNG) through a temporary file, so a failure leaves nothing behind.
/// @throws ProcessError  naming the file.
void write_plot(const std::string& path, const Plot& plot);

/// The signal commands' --plot FILE option.
OptionSpec plot_option(const std::string& what);

/// --plot's path, checked before any work as every output is (check_output: a format OpenCV
/// writes, a writable directory, none of `inputs`; not "-"); "" when --plot is not given.
/// @throws UsageError  otherwise.
std::string plot_path(const Args& args, const std::vector<std::string>& inputs);

/// The x axis of signals at `rate` samples per second: seconds, or samples when the rate is
/// unknown (0); labelled "what (seconds)" when `what` is given ("lag").
void set_time_axis(Plot& plot, int rate, const std::string& what = "");

}  // namespace app
