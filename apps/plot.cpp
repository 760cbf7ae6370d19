// The signal commands' pictures (plot.hpp). Each trace is first reduced to what can be drawn:
// one value per sample when it has no more samples than the panel has pixel columns, else the
// minimum and maximum of the samples in each column, found in one pass over the samples. Drawing
// then costs the same for a thousand samples as for thirty million.
#include "plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "image_io.hpp"

namespace app {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double largest = std::numeric_limits<double>::max();

constexpr int min_width = 200, min_panel_height = 100;
// Pixel arithmetic stays far within int, and every format OpenCV writes holds the picture (JPEG:
// 65535 either way).
constexpr int max_side = 32767;

// One panel's layout, in pixels from its top-left corner: the title line above the plotting
// rectangle, the y tick values ("-1.2e+04") to its left, the x tick values and then the x label
// below it. The room below is the same in every panel, so that their rectangles line up.
constexpr int margin_left = 70, margin_right = 16, margin_top = 24, margin_bottom = 35;
constexpr int title_baseline = 16;  // from the panel's top
constexpr int tick_length = 4;

constexpr int font = cv::FONT_HERSHEY_SIMPLEX;
constexpr double small_text = 0.4, title_text = 0.5;

const cv::Scalar background(255, 255, 255), ink(40, 40, 40), frame_grey(90, 90, 90), grid_grey(235, 235, 235),
    zero_grey(185, 185, 185);
const cv::Vec3b marker_red(40, 39, 214);
// matplotlib's tab10 colours (BGR) less its red, which marks the markers alone.
const std::array<cv::Vec3b, 9> palette = {
    cv::Vec3b(180, 119, 31),   // blue
    cv::Vec3b(14, 127, 255),   // orange
    cv::Vec3b(44, 160, 44),    // green
    cv::Vec3b(189, 103, 148),  // purple
    cv::Vec3b(75, 86, 140),    // brown
    cv::Vec3b(194, 119, 227),  // pink
    cv::Vec3b(127, 127, 127),  // grey
    cv::Vec3b(34, 189, 188),   // olive
    cv::Vec3b(207, 190, 23),   // cyan
};

cv::Scalar scalar(const cv::Vec3b& c) {
    return cv::Scalar(c[0], c[1], c[2]);
}

// ---- text ----

struct TextSize {
    int width = 0, height = 0, below = 0;  // below the baseline: descenders
};

TextSize measure(const std::string& s, double scale) {
    int below = 0;
    const cv::Size size = cv::getTextSize(s, font, scale, 1, &below);
    return {size.width, size.height, below};
}

// `s` with its left end at x and its baseline at y, moved as little as needed to lie inside the
// picture (a long label next to an edge, a tick value at the picture's corner).
void put_text(cv::Mat& img, const std::string& s, int x, int y, double scale, const cv::Scalar& colour) {
    if (s.empty()) return;
    const TextSize t = measure(s, scale);
    x = std::clamp(x, 1, std::max(1, img.cols - t.width - 1));
    y = std::clamp(y, t.height + 1, std::max(t.height + 1, img.rows - t.below - 1));
    cv::putText(img, s, {x, y}, font, scale, colour, 1, cv::LINE_AA);
}

// `s` cut short with "..." to at most `width` pixels ("" when not even that fits).
std::string fit(std::string s, int width, double scale) {
    if (measure(s, scale).width <= width) return s;
    // No glyph is narrower than 2 pixels at these scales: a cheap first cut for huge strings.
    s.resize(std::min(s.size(), static_cast<std::size_t>(std::max(width, 0) / 2)));
    while (!s.empty() && measure(s + "...", scale).width > width) s.pop_back();
    return s.empty() ? "" : s + "...";
}

std::string number(double v, int precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v + 0.0);  // + 0.0: no "-0"
    return buf;
}

// ---- axes ----

// A linear map from axis coordinates [lo, hi] (values, or their log10) onto pixels [p_lo, p_hi];
// p_hi < p_lo for y, which grows downwards. Halves keep the differences finite for data
// anywhere within ±DBL_MAX.
struct Axis {
    double lo, hi, p_lo, p_hi;
    double operator()(double v) const { return p_lo + (v / 2 - lo / 2) / (hi / 2 - lo / 2) * (p_hi - p_lo); }
};

struct Tick {
    double at;  // axis coordinate
    std::string text;
};

// Round-number ticks within [lo, hi], 1, 2 or 5 × 10^k apart (at least min_step), at most
// max_count of them; none when the span is beyond double's range or below its resolution.
std::vector<Tick> linear_ticks(double lo, double hi, int max_count, double min_step = 0) {
    std::vector<Tick> ticks;
    max_count = std::max(max_count, 2);
    const double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span)) return ticks;
    const double base = std::max(std::pow(10.0, std::floor(std::log10(span / max_count))), min_step);
    if (!(base > 0) || !std::isfinite(base)) return ticks;
    double step = base, k0 = 0, k1 = -1;
    // Steps up to 10 × base: that one leaves span / step < max_count, so at most max_count ticks.
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * base;
        k0 = std::ceil(lo / step);
        k1 = std::floor(hi / step);
        if (k1 - k0 + 1 <= max_count) break;
    }
    // Digits enough to tell neighbours apart ("1000000.15" next to "1000000.2"), at least %g's 6;
    // past 15 they would print the rounding of k × step.
    const double digits =
        std::floor(std::log10(std::max(std::abs(lo), std::abs(hi)))) - std::floor(std::log10(step)) + 1;
    const int precision = static_cast<int>(std::clamp(digits, 6.0, 15.0));
    for (double k = k0; k <= k1; ++k) ticks.push_back({k * step, number(k * step, precision)});
    return ticks;
}

// Ticks of a log10 axis over [lo, hi] decades, labelled with the values themselves ("1e-12"):
// whole decades on a wide range, 1, 2 and 5 in each decade on a narrow one, and round values on
// a range narrower than that.
std::vector<Tick> log_ticks(double lo, double hi, int max_count) {
    std::vector<Tick> ticks;
    if (hi - lo >= 2) {
        ticks = linear_ticks(lo, hi, max_count, 1);
        for (Tick& t : ticks) t.text = number(std::pow(10.0, t.at), 6);
        return ticks;
    }
    std::vector<Tick> decades;
    for (double e = std::floor(lo); e <= std::ceil(hi); ++e)
        for (double m : {1.0, 2.0, 5.0}) {
            const double at = e + std::log10(m), v = m * std::pow(10.0, e);
            if (at < lo || at > hi || !(v > 0) || !std::isfinite(v)) continue;
            ticks.push_back({at, number(v, 6)});
            if (m == 1) decades.push_back(ticks.back());
        }
    if (ticks.size() >= 2 && ticks.size() <= static_cast<std::size_t>(std::max(max_count, 2))) return ticks;
    if (decades.size() >= 2) return decades;
    ticks.clear();
    for (const Tick& t : linear_ticks(std::pow(10.0, lo), std::pow(10.0, hi), max_count))
        if (t.at > 0) ticks.push_back({std::log10(t.at), t.text});
    return ticks;
}

// The x ticks: as many as fit with their values apart.
std::vector<Tick> x_ticks(const Axis& x, int columns) {
    for (int count = std::clamp(columns / 45, 2, 10);; --count) {
        std::vector<Tick> ticks = linear_ticks(x.lo, x.hi, count);
        bool apart = true;
        double previous_end = -inf;
        for (const Tick& t : ticks) {
            const double w = measure(t.text, small_text).width, centre = x(t.at);
            apart = apart && centre - w / 2 > previous_end + 10;
            previous_end = centre + w / 2;
        }
        if (apart || count == 2) return ticks;
    }
}

// ---- traces reduced ----

// The samples of one sample or one pixel column. In log_y panels lo and hi are of |value| other
// than zero, and zero says whether there was a zero too.
struct Bin {
    double lo = inf, hi = -inf;
    bool zero = false;
    bool empty() const { return !zero && lo > hi; }
};

template <bool log_y>
void add(Bin& bin, double v) {
    if constexpr (log_y) {
        v = std::abs(v);
        if (v == 0) {
            bin.zero = true;
            return;
        }
    }
    if (!(std::abs(v) <= largest)) return;  // NaN and ±inf: gaps
    bin.lo = std::min(bin.lo, v);
    bin.hi = std::max(bin.hi, v);
}

// A trace as drawn: sample i lies at pixel column a + b·i of the plotting rectangle. Per column
// (an envelope) when there are more samples than columns, else per sample.
struct Reduced {
    std::vector<Bin> bins;
    bool per_column = false;
    double a = 0, b = 1;
};

template <bool log_y>
Reduced reduce(const Trace& trace, double a, double b, int columns) {
    Reduced r{{}, false, a, b};
    const std::span<const double> v = trace.values;
    const std::size_t n = v.size();
    if (n <= static_cast<std::size_t>(columns)) {
        r.bins.resize(n);
        for (std::size_t i = 0; i < n; ++i) add<log_y>(r.bins[i], v[i]);
        return r;
    }
    // Sample i belongs to the column nearest a + b·i: column c starts at the first i with
    // a + b·i >= c - 1/2. The starts only grow with c, so every sample lands in one column.
    r.per_column = true;
    r.bins.resize(static_cast<std::size_t>(columns));
    const auto start = [&](int c) {
        const double i = std::ceil((c - 0.5 - a) / b);
        return i <= 0 ? std::size_t{0} : i >= static_cast<double>(n) ? n : static_cast<std::size_t>(i);
    };
    std::size_t i = 0;
    for (int c = 0; c < columns; ++c) {
        const std::size_t end = c + 1 == columns ? n : start(c + 1);
        Bin bin;  // a local: the compiler keeps it in registers through the inner loop
        for (; i < end; ++i) add<log_y>(bin, v[i]);
        r.bins[static_cast<std::size_t>(c)] = bin;
    }
    return r;
}

// ---- the picture ----

struct Rect {
    int left, top, right, bottom;  // the plotting rectangle's pixels, inclusive; the frame is outside
};

std::string named(const std::string& what, std::size_t index, std::size_t count, const std::string& label) {
    return what + " " + std::to_string(index + 1) + " of " + std::to_string(count) +
           (label.empty() ? "" : " ('" + label + "')");
}

void check(const Plot& plot) {
    if (plot.width < min_width || plot.panel_height < min_panel_height)
        throw ProcessError("plot: a picture needs a width of at least " + std::to_string(min_width) +
                           " pixels and panels at least " + std::to_string(min_panel_height) +
                           " pixels high; got width " + std::to_string(plot.width) + " and panel height " +
                           std::to_string(plot.panel_height));
    if (plot.panels.empty()) throw ProcessError("plot: no panels to draw (0 panels)");
    const std::size_t rows = plot.panels.size() * static_cast<std::size_t>(plot.panel_height);
    if (plot.width > max_side || rows > static_cast<std::size_t>(max_side))
        throw ProcessError("plot: a picture can be at most " + std::to_string(max_side) + " pixels either way; got " +
                           std::to_string(plot.width) + " x " + std::to_string(rows) + " (" +
                           std::to_string(plot.panels.size()) + " panels of " + std::to_string(plot.panel_height) +
                           " rows)");
    if (!(plot.x_scale > 0) || !std::isfinite(plot.x_scale))
        throw ProcessError("plot: x_scale must be positive and finite; got " + number(plot.x_scale, 6));
    for (std::size_t p = 0; p < plot.panels.size(); ++p) {
        const Panel& panel = plot.panels[p];
        const std::string name = named("panel", p, plot.panels.size(), panel.title);
        if (panel.traces.empty()) throw ProcessError("plot: " + name + " has no traces (0 traces)");
        for (std::size_t t = 0; t < panel.traces.size(); ++t) {
            const Trace& trace = panel.traces[t];
            const std::string which = named("trace", t, panel.traces.size(), trace.label) + " of " + name;
            if (trace.values.empty()) throw ProcessError("plot: " + which + " has no values (0 samples)");
            const double last = trace.first + static_cast<double>(trace.values.size() - 1);
            if (!std::isfinite(trace.first * plot.x_scale) || !std::isfinite(last * plot.x_scale))
                throw ProcessError("plot: " + which + " starts at sample " + number(trace.first, 6) +
                                   ", which times x_scale " + number(plot.x_scale, 6) + " is not a finite x");
        }
    }
}

// The y axis of a panel: the range of its finite values padded by 5% (log_y: of log10 |value|
// over those other than zero), around the value when there is one value only.
Axis y_axis(const std::vector<Reduced>& traces, bool log_y, const Rect& r) {
    double lo = inf, hi = -inf;
    for (const Reduced& t : traces)
        for (const Bin& bin : t.bins)
            if (bin.lo <= bin.hi) {
                lo = std::min(lo, bin.lo);
                hi = std::max(hi, bin.hi);
            }
    if (lo > hi) {
        // Nothing finite (log_y: nothing but zeros): any range does, zeros go to the bottom edge.
        lo = log_y ? 0 : -1;
        hi = 1;
    } else if (log_y) {
        lo = std::log10(lo);
        hi = std::log10(hi);
    }
    if (lo == hi) {
        double d = log_y ? 0.5 : std::abs(lo) * 0.1;
        if (!(d >= std::numeric_limits<double>::min())) d = 1;  // 0, or so small that lo ± d == lo
        lo -= d;
        hi += d;
    } else {
        const double pad = (hi / 2 - lo / 2) / 10;  // 5% of hi - lo, which may be past DBL_MAX
        lo = std::max(lo - pad, -largest);
        hi = std::min(hi + pad, largest);
    }
    return {lo, hi, static_cast<double>(r.bottom), static_cast<double>(r.top)};
}

int clamp_round(double v, int lo, int hi) {
    return !(v >= lo) ? lo : !(v <= hi) ? hi : static_cast<int>(std::lround(v));  // NaN to lo
}

void draw_trace(cv::Mat& img, const Reduced& t, bool log_y, const Axis& y, const Rect& r, const cv::Vec3b& colour) {
    // The pixel row of a bin's low and high ends; zeros of a log_y panel lie on the bottom edge.
    const auto row = [&](double v) { return clamp_round(y(log_y ? std::log10(v) : v), r.top, r.bottom); };
    const auto low_row = [&](const Bin& bin) { return bin.zero ? r.bottom : row(bin.lo); };
    const auto high_row = [&](const Bin& bin) { return bin.lo > bin.hi ? r.bottom : row(bin.hi); };
    if (t.per_column) {
        // Each column's span from its minimum to its maximum, stretched to meet the previous
        // column's so that the curve stays connected; written directly, one pixel wide.
        bool previous = false;
        int previous_top = 0, previous_bottom = 0;
        for (std::size_t c = 0; c < t.bins.size(); ++c) {
            const Bin& bin = t.bins[c];
            if (bin.empty()) {
                previous = false;
                continue;
            }
            const int top = high_row(bin), bottom = low_row(bin);
            int from = top, to = bottom;
            if (previous) {
                from = std::min(from, previous_bottom + 1);
                to = std::max(to, previous_top - 1);
            }
            const int col = r.left + static_cast<int>(c);
            for (int y_px = from; y_px <= to; ++y_px) img.at<cv::Vec3b>(y_px, col) = colour;
            previous = true;
            previous_top = top;
            previous_bottom = bottom;
        }
        return;
    }
    // Whole pixels: anti-aliasing then smooths slopes only, and a flat stretch is one crisp row
    // rather than two faint ones half a pixel apart.
    const auto point = [&](std::size_t i) {
        const Bin& bin = t.bins[i];
        const double px = r.left + t.a + t.b * static_cast<double>(i);
        return cv::Point(clamp_round(px, r.left, r.right), bin.zero ? r.bottom : row(bin.lo));
    };
    const cv::Scalar c = scalar(colour);
    for (std::size_t i = 0; i < t.bins.size(); ++i) {
        if (t.bins[i].empty()) continue;
        const bool before = i > 0 && !t.bins[i - 1].empty(), after = i + 1 < t.bins.size() && !t.bins[i + 1].empty();
        if (before)
            cv::line(img, point(i - 1), point(i), c, 1, cv::LINE_AA);
        else if (!after)  // a sample between gaps: a dot, or it would not show at all
            cv::circle(img, point(i), 1, c, cv::FILLED, cv::LINE_AA);
    }
}

void draw_markers(cv::Mat& img, const Panel& panel, const Axis& x, const Rect& r) {
    struct Placed {
        int slot, from, to;
    };
    std::vector<Placed> placed;
    const int line_height = measure("Mg", small_text).height + 5;
    for (const Marker& m : panel.markers) {
        // Markers outside the traces' x range have no place in the picture.
        const double px = x(m.x);
        if (!(px >= r.left - 0.5 && px <= r.right + 0.5)) continue;
        const int col = clamp_round(px, r.left, r.right);
        cv::line(img, {col, r.top}, {col, r.bottom}, scalar(marker_red), 1, cv::LINE_8);
        // The label right of the line, or left of it near the right edge, on the first text line
        // down from the top where it overlaps no other marker's label.
        const std::string label = fit(m.label, r.right - r.left, small_text);
        if (label.empty()) continue;
        const int w = measure(label, small_text).width;
        const int from = col + 4 + w <= r.right ? col + 4 : std::max(r.left, col - 4 - w);
        const int slots = std::max(1, (r.bottom - r.top) / line_height);
        int slot = 0;
        while (slot + 1 < slots && std::any_of(placed.begin(), placed.end(), [&](const Placed& p) {
                   return p.slot == slot && from <= p.to + 4 && p.from <= from + w + 4;
               }))
            ++slot;
        placed.push_back({slot, from, from + w});
        put_text(img, label, from, r.top + (slot + 1) * line_height - 2, small_text, scalar(marker_red));
    }
}

// The title line: y_label at the left above the tick values, the title after it, the legend at
// the right (a short line in each labelled trace's colour, then its label).
void draw_title_line(cv::Mat& img, const Panel& panel, const Rect& r, int y0) {
    const int baseline = y0 + title_baseline;
    const std::string y_label = fit(panel.y_label, (r.right - r.left) / 2, small_text);
    put_text(img, y_label, 4, baseline, small_text, ink);
    const int title_left = y_label.empty() ? r.left : std::max(r.left, 4 + measure(y_label, small_text).width + 14);

    constexpr int swatch = 18, gap = 12;
    int legend_width = 0;
    for (const Trace& t : panel.traces)
        if (!t.label.empty()) legend_width += swatch + 4 + measure(t.label, small_text).width + gap;
    int x = std::max(title_left, r.right - legend_width + gap);
    const int title_room = x - title_left - (legend_width > 0 ? gap : 0);
    put_text(img, fit(panel.title, title_room, title_text), title_left, baseline, title_text, ink);
    for (std::size_t i = 0; i < panel.traces.size() && x + swatch + 4 < r.right; ++i) {
        if (panel.traces[i].label.empty()) continue;
        // In a picture too narrow for the whole legend, the last entry that starts is cut short
        // and those after it are left out, rather than drawn past the picture's edge.
        const std::string label = fit(panel.traces[i].label, r.right - (x + swatch + 4), small_text);
        if (label.empty()) break;
        cv::line(img, {x, baseline - 4}, {x + swatch, baseline - 4}, scalar(palette[i % palette.size()]), 2,
                 cv::LINE_AA);
        put_text(img, label, x + swatch + 4, baseline, small_text, ink);
        x += swatch + 4 + measure(label, small_text).width + gap;
    }
}

void draw_panel(cv::Mat& img, const Plot& plot, std::size_t p, const Axis& x, const std::vector<Tick>& xt, double s_lo,
                double s_hi) {
    const Panel& panel = plot.panels[p];
    const int y0 = static_cast<int>(p) * plot.panel_height;
    const Rect r{margin_left, y0 + margin_top, plot.width - margin_right - 1, y0 + plot.panel_height - margin_bottom};
    const int columns = r.right - r.left + 1;

    std::vector<Reduced> traces;
    for (const Trace& t : panel.traces) {
        const double b = (columns - 1) / (s_hi - s_lo), a = (t.first - s_lo) * b;
        traces.push_back(panel.log_y ? reduce<true>(t, a, b, columns) : reduce<false>(t, a, b, columns));
    }
    const Axis y = y_axis(traces, panel.log_y, r);
    const int max_y_ticks = std::max(2, (r.bottom - r.top) / 22);
    const std::vector<Tick> yt =
        panel.log_y ? log_ticks(y.lo, y.hi, max_y_ticks) : linear_ticks(y.lo, y.hi, max_y_ticks);

    // Grid and zero line first, so that the data lies on top of them.
    for (const Tick& t : xt) {
        const int col = clamp_round(x(t.at), r.left, r.right);
        cv::line(img, {col, r.top}, {col, r.bottom}, grid_grey);
    }
    for (const Tick& t : yt) {
        const int row = clamp_round(y(t.at), r.top, r.bottom);
        cv::line(img, {r.left, row}, {r.right, row}, grid_grey);
    }
    if (!panel.log_y && y.lo < 0 && y.hi > 0) {
        const int row = clamp_round(y(0), r.top, r.bottom);
        cv::line(img, {r.left, row}, {r.right, row}, zero_grey);
    }
    cv::rectangle(img, {r.left - 1, r.top - 1}, {r.right + 1, r.bottom + 1}, frame_grey);

    for (std::size_t i = 0; i < traces.size(); ++i)
        draw_trace(img, traces[i], panel.log_y, y, r, palette[i % palette.size()]);
    draw_markers(img, panel, x, r);

    for (const Tick& t : xt) {
        const int col = clamp_round(x(t.at), r.left, r.right);
        cv::line(img, {col, r.bottom + 2}, {col, r.bottom + 1 + tick_length}, frame_grey);
        put_text(img, t.text, col - measure(t.text, small_text).width / 2, r.bottom + 17, small_text, ink);
    }
    for (const Tick& t : yt) {
        const int row = clamp_round(y(t.at), r.top, r.bottom);
        cv::line(img, {r.left - 2, row}, {r.left - 1 - tick_length, row}, frame_grey);
        const TextSize s = measure(t.text, small_text);
        put_text(img, t.text, r.left - 7 - s.width, row + s.height / 2, small_text, ink);
    }
    if (p + 1 == plot.panels.size()) {
        const std::string label = fit(plot.x_label, columns, small_text);
        put_text(img, label, r.left + (columns - measure(label, small_text).width) / 2, r.bottom + 30, small_text, ink);
    }
    draw_title_line(img, panel, r, y0);
}

}  // namespace

cv::Mat draw_plot(const Plot& plot) {
    check(plot);
    const int rows = static_cast<int>(plot.panels.size()) * plot.panel_height;
    cv::Mat img(rows, plot.width, CV_8UC3, background);
    // One x range for every panel, in samples: from the first sample of any trace to the last.
    double s_lo = inf, s_hi = -inf;
    for (const Panel& panel : plot.panels)
        for (const Trace& t : panel.traces) {
            s_lo = std::min(s_lo, t.first);
            s_hi = std::max(s_hi, t.first + static_cast<double>(t.values.size() - 1));
        }
    if (s_hi == s_lo) {
        s_lo -= 0.5;
        s_hi += 0.5;
    }
    const int left = margin_left, right = plot.width - margin_right - 1;
    const Axis x{s_lo * plot.x_scale, s_hi * plot.x_scale, static_cast<double>(left), static_cast<double>(right)};
    const std::vector<Tick> xt = x_ticks(x, right - left + 1);
    for (std::size_t p = 0; p < plot.panels.size(); ++p) draw_panel(img, plot, p, x, xt, s_lo, s_hi);
    return img;
}

OptionSpec plot_option(const std::string& what) {
    return {"plot", "FILE", "draw " + what + " into FILE (.png, or any image format the tool writes)"};
}

std::string plot_path(const Args& args, const std::vector<std::string>& inputs) {
    if (!args.has("plot")) return "";
    const std::string path = args.text("plot");
    // Standard output carries the command's own report.
    if (path == "-")
        throw UsageError("--plot needs a file name ('-' is not one here: the report goes to standard output)");
    check_output(path, inputs, false, ".png");
    return path;
}

void set_time_axis(Plot& plot, int rate, const std::string& what) {
    const std::string unit = rate > 0 ? "seconds" : "samples";
    plot.x_label = what.empty() ? unit : what + " (" + unit + ")";
    plot.x_scale = rate > 0 ? 1.0 / rate : 1.0;
}

void write_plot(const std::string& path, const Plot& plot) {
    const cv::Mat picture = draw_plot(plot);
    write_atomically(
        path, [&](const std::string& tmp) { return cv::imwrite(tmp, picture); }, path == "-" ? ".png" : "");
}

}  // namespace app
