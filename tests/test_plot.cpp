// The signal commands' pictures (apps/plot.hpp), checked on their pixels: where a trace's colour
// lies relative to the trace's own extremes, that a single spike among millions of samples shows,
// markers' columns, gaps for NaN, log scales with zeros, one x range for every panel, text kept
// inside the picture, each refusal with its values, and files written whole or not at all.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "../apps/cli.hpp"
#include "../apps/plot.hpp"

namespace fs = std::filesystem;
using app::Marker;
using app::Panel;
using app::Plot;
using app::ProcessError;
using app::Trace;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Colour classes (BGR), loose enough for the anti-aliased core of a line and strict enough to
// tell the first two trace colours (blue, orange) and the markers' red from each other and from
// the greys of text, grid and frame. A pixel blended less than about 70% towards white counts.
using Pixel = std::function<bool(const cv::Vec3b&)>;
const Pixel blue = [](const cv::Vec3b& p) { return p[0] > 140 && p[2] < 110 && p[0] - p[1] > 40; };
const Pixel orange = [](const cv::Vec3b& p) { return p[2] > 200 && p[1] > 90 && p[1] < 170 && p[0] < 90; };
const Pixel green = [](const cv::Vec3b& p) { return p[1] > 130 && p[0] < 110 && p[2] < 110 && p[1] - p[0] > 40; };
const Pixel red = [](const cv::Vec3b& p) { return p[2] > 170 && p[1] < 90 && p[0] < 90; };

// Where pixels of one colour class lie within rows [row0, row1) of a picture.
struct Found {
    std::vector<int> rows, cols;  // of every such pixel, in scan order
    int count() const { return static_cast<int>(rows.size()); }
    int top() const { return *std::min_element(rows.begin(), rows.end()); }
    int bottom() const { return *std::max_element(rows.begin(), rows.end()); }
    int left() const { return *std::min_element(cols.begin(), cols.end()); }
    int right() const { return *std::max_element(cols.begin(), cols.end()); }
    // The median row: the row a horizontal line lies on.
    int median_row() const {
        std::vector<int> r = rows;
        std::nth_element(r.begin(), r.begin() + r.size() / 2, r.end());
        return r[r.size() / 2];
    }
};

Found find(const cv::Mat& img, const Pixel& is, int row0 = 0, int row1 = -1, int col0 = 0, int col1 = -1) {
    Found f;
    if (row1 < 0) row1 = img.rows;
    if (col1 < 0) col1 = img.cols;
    for (int y = row0; y < row1; ++y)
        for (int x = col0; x < col1; ++x)
            if (is(img.at<cv::Vec3b>(y, x))) {
                f.rows.push_back(y);
                f.cols.push_back(x);
            }
    return f;
}

// The columns holding at least `min_count` pixels of a colour: vertical lines.
std::vector<int> columns_with(const cv::Mat& img, const Pixel& is, int min_count) {
    std::vector<int> cols;
    for (int x = 0; x < img.cols; ++x) {
        int n = 0;
        for (int y = 0; y < img.rows; ++y) n += is(img.at<cv::Vec3b>(y, x));
        if (n >= min_count) cols.push_back(x);
    }
    return cols;
}

Plot one_panel(std::vector<Trace> traces, std::vector<Marker> markers = {}, bool log_y = false) {
    Plot plot;
    plot.panels.push_back(Panel{"title", "amplitude", std::move(traces), std::move(markers), log_y});
    return plot;
}

std::vector<double> ramp(std::size_t n, double from, double to) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = from + (to - from) * static_cast<double>(i) / static_cast<double>(n - 1);
    return v;
}

struct Scratch {
    fs::path dir;
    Scratch() {
        std::string t = (fs::temp_directory_path() / "fftconv-plot-XXXXXX").string();
        REQUIRE(mkdtemp(t.data()) != nullptr);
        dir = t;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::vector<std::string> files() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
        return names;
    }
};

}  // namespace

TEST_CASE("the picture is BGR, width x panels x panel height, on white") {
    const std::vector<double> v = ramp(50, -1, 1);
    Plot plot = one_panel({Trace{"", v}});
    cv::Mat img = app::draw_plot(plot);
    CHECK(img.type() == CV_8UC3);
    CHECK(img.cols == 1200);
    CHECK(img.rows == 220);
    CHECK(img.at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 255, 255));

    plot.width = 640;
    plot.panel_height = 150;
    plot.panels.push_back(plot.panels[0]);
    plot.panels.push_back(plot.panels[0]);
    img = app::draw_plot(plot);
    CHECK(img.type() == CV_8UC3);
    CHECK(img.cols == 640);
    CHECK(img.rows == 450);
    // Every panel draws its trace within its own band of rows.
    for (int p = 0; p < 3; ++p) {
        CAPTURE(p);
        CHECK(find(img, blue, p * 150, (p + 1) * 150).count() > 100);
    }
}

TEST_CASE("a constant trace lies on one row, where its value is between the other trace's extremes") {
    // 101 samples are drawn as a line through the points, 100001 as a per-column envelope.
    for (std::size_t n : {101, 100001}) {
        CAPTURE(n);
        const std::vector<double> span = ramp(n, -1, 1), half(n, 0.5);
        const cv::Mat img = app::draw_plot(one_panel({Trace{"", span}, Trace{"", half}}));
        const Found b = find(img, blue), o = find(img, orange);
        REQUIRE(b.count() > 100);
        REQUIRE(o.count() > 100);
        const int row = o.median_row();
        CHECK(o.top() >= row - 2);
        CHECK(o.bottom() <= row + 2);
        // 0.5 is 3/4 of the way from -1 (the ramp's lowest row) to 1 (its highest).
        const double expected = b.bottom() + 0.75 * (b.top() - b.bottom());
        CHECK(std::abs(row - expected) <= 3);
        // The ramp spans most of the panel: the padding is about 5% of its range.
        CHECK(b.bottom() - b.top() > 120);
        // The constant trace runs across the whole x range, as the ramp does.
        CHECK(std::abs(o.left() - b.left()) <= 2);
        CHECK(std::abs(o.right() - b.right()) <= 2);
    }
}

TEST_CASE("a single spike among 5,000,000 samples shows") {
    std::vector<double> v(5'000'000, 0.0);
    v[3'000'000] = 1;
    const cv::Mat img = app::draw_plot(one_panel({Trace{"", v}}));
    const Found all = find(img, blue);
    REQUIRE(all.count() > 0);
    // The zeros lie along the bottom of the plotting area, the spike reaches its top part.
    const Found upper = find(img, blue, 0, img.rows / 3);
    REQUIRE(upper.count() > 0);
    CHECK(all.bottom() > img.rows / 2);
    // One column wide, at 3/5 of the x range.
    CHECK(upper.right() - upper.left() <= 1);
    const double at = static_cast<double>(upper.left() - all.left()) / (all.right() - all.left());
    CHECK(at == doctest::Approx(0.6).epsilon(0.01));
}

TEST_CASE("markers are red columns at their x, in order; those outside the x range are left out") {
    const std::vector<double> v(1000, 0.0);
    Plot plot = one_panel({Trace{"", v}}, {{300, "second"}, {100, "first"}, {900, "third"}, {5000, "outside"}});
    const cv::Mat img = app::draw_plot(plot);
    const Found trace = find(img, blue);
    REQUIRE(trace.count() > 0);
    const std::vector<int> cols = columns_with(img, red, 50);
    REQUIRE(cols.size() == 3);
    CHECK(static_cast<double>(cols[1] - cols[0]) / (cols[2] - cols[0]) == doctest::Approx(0.25).epsilon(0.01));
    // Relative to the trace's ends, which are samples 0 and 999.
    const double width = trace.right() - trace.left();
    CHECK((cols[0] - trace.left()) / width * 999 == doctest::Approx(100).epsilon(0.02));
    CHECK((cols[2] - trace.left()) / width * 999 == doctest::Approx(900).epsilon(0.01));
    // The labels: red text near the top, beside the lines rather than on them.
    const Found text = find(img, red, 0, img.rows / 2);
    CHECK(std::count_if(text.cols.begin(), text.cols.end(),
                        [&](int c) { return std::find(cols.begin(), cols.end(), c) == cols.end(); }) > 20);

    // x_scale: a marker at 0.5 seconds of 1000 samples at 1 kHz sits at the middle.
    plot = one_panel({Trace{"", v}}, {{0.5, "half"}});
    plot.x_scale = 1e-3;
    const std::vector<int> mid = columns_with(app::draw_plot(plot), red, 50);
    REQUIRE(mid.size() == 1);
    CHECK(std::abs(mid[0] - (trace.left() + trace.right()) / 2.0) <= 1.5);
}

TEST_CASE("NaN and infinite values are gaps") {
    for (std::size_t n : {1000, 1'000'000}) {
        CAPTURE(n);
        std::vector<double> v = ramp(n, 0, 1);
        for (std::size_t i = n / 4; i < 3 * n / 4; ++i)
            v[i] = i % 3 == 0 ? INFINITY : i % 3 == 1 ? -INFINITY : not_a_number;
        const cv::Mat img = app::draw_plot(one_panel({Trace{"", v}}));
        const Found f = find(img, blue);
        REQUIRE(f.count() > 0);
        // The trace's ends are its first and last samples; the middle half of columns between them is empty.
        const int left = f.left(), right = f.right(), w = right - left;
        CHECK(find(img, blue, 0, img.rows, left + w * 27 / 100, left + w * 73 / 100 + 1).count() == 0);
        CHECK(find(img, blue, 0, img.rows, left, left + w / 5).count() > 0);
        CHECK(find(img, blue, 0, img.rows, right - w / 5, right + 1).count() > 0);
        // The finite values set the y range: the ramp still spans most of the panel.
        CHECK(f.bottom() - f.top() > 120);
    }
    // A trace with nothing finite draws nothing, and does not throw.
    const std::vector<double> none(10, not_a_number);
    CHECK(find(app::draw_plot(one_panel({Trace{"", none}})), blue).count() == 0);
}

TEST_CASE("log_y: larger values higher, zeros at the bottom edge, all-zero panels drawn") {
    // 200 samples are drawn through the points, 1,000,000 as per-column envelopes.
    for (std::size_t n : {200, 1'000'000}) {
        CAPTURE(n);
        // 1e-18 and |-1e-12| (the sign does not matter: |value|); zeros, then 1e-15, halfway
        // between them in decades.
        const std::vector<double> low(n, 1e-18), high(n, -1e-12);
        std::vector<double> mixed(n, 0.0);
        std::fill(mixed.begin() + static_cast<std::ptrdiff_t>(n / 2), mixed.end(), 1e-15);
        const cv::Mat img = app::draw_plot(one_panel({Trace{"", low}, Trace{"", high}, Trace{"", mixed}}, {}, true));
        const Found b = find(img, blue), o = find(img, orange);
        REQUIRE(b.count() > 0);
        REQUIRE(o.count() > 0);
        CHECK(b.bottom() - b.top() <= 2);
        CHECK(o.bottom() - o.top() <= 2);
        CHECK(b.median_row() > o.median_row() + 100);
        // The green trace's halves, away from the step between them.
        const int left = b.left(), w = b.right() - b.left();
        const Found zeros = find(img, green, 0, img.rows, left, left + w * 2 / 5);
        const Found middle = find(img, green, 0, img.rows, left + w * 3 / 5, left + w + 1);
        REQUIRE(zeros.count() > 0);
        REQUIRE(middle.count() > 0);
        CHECK(zeros.bottom() - zeros.top() <= 2);
        CHECK(zeros.top() > b.bottom());  // the bottom edge, below the smallest value
        CHECK(std::abs(middle.median_row() - (b.median_row() + o.median_row()) / 2.0) <= 2);
    }
    // Only zeros: still a picture, the trace along the bottom edge.
    const std::vector<double> zeros(100, 0.0);
    const cv::Mat img = app::draw_plot(one_panel({Trace{"", zeros}}, {}, true));
    const Found b = find(img, blue);
    REQUIRE(b.count() > 0);
    CHECK(b.bottom() - b.top() <= 2);
    CHECK(b.top() > img.rows / 2);
}

TEST_CASE("every panel shares one x range: the union of all traces'") {
    const std::vector<double> whole(1000, 0.0), late(500, 0.0);
    Plot plot = one_panel({Trace{"", whole}});
    plot.panels.push_back(Panel{"second", "", {Trace{"", late, 500}}, {}, false});
    // Samples 0 to 999 above, 500 to 999 below: the lower trace starts halfway.
    cv::Mat img = app::draw_plot(plot);
    Found top = find(img, blue, 0, 220), bottom = find(img, blue, 220, 440);
    REQUIRE(top.count() > 0);
    REQUIRE(bottom.count() > 0);
    CHECK(std::abs(bottom.right() - top.right()) <= 1);
    CHECK(std::abs(bottom.left() - (top.left() + 500.0 / 999 * (top.right() - top.left()))) <= 1.5);
    // A correlation's negative lags: samples -1000 to -1 above widen both panels' range.
    plot.panels[0].traces[0].first = -1000;
    img = app::draw_plot(plot);
    top = find(img, blue, 0, 220);
    bottom = find(img, blue, 220, 440);
    REQUIRE(top.count() > 0);
    REQUIRE(bottom.count() > 0);
    const double left = top.left(), w = bottom.right() - top.left();  // samples -1000 and 999
    CHECK(std::abs(top.right() - (left + 999.0 / 1999 * w)) <= 1.5);
    CHECK(std::abs(bottom.left() - (left + 1500.0 / 1999 * w)) <= 1.5);
}

TEST_CASE("the legend shows each labelled trace's colour above the plotting area; text stays inside") {
    const std::vector<double> v = ramp(100, -1, 1), w = ramp(100, 1, -1);
    // At the smallest size, with long texts and tick values, labels, markers at both ends.
    Plot plot = one_panel({Trace{"", v}, Trace{"second", w}},
                          {{0, "a marker at the very left edge"}, {99, "a marker at the very right edge"}});
    plot.panels[0].title = "a long title that cannot fit beside the legend in a narrow picture";
    plot.panels[0].y_label = "|fft - direct| of the convolution";
    plot.x_scale = 1234.5;
    plot.x_label = "seconds since the very beginning of the recording";
    plot.width = 200;
    plot.panel_height = 100;
    cv::Mat img = app::draw_plot(plot);
    REQUIRE(img.cols == 200);
    REQUIRE(img.rows == 100);
    const Found b = find(img, blue);
    REQUIRE(b.count() > 0);
    // The ramps' extremes are near the top, so above the blue trace's top lies only the legend.
    CHECK(find(img, orange, 0, b.top() - 3).count() > 0);
    CHECK(find(img, blue, 0, b.top() - 3).count() == 0);
    // Nothing is cut by the picture's edges: its outermost rows and columns stay white.
    const cv::Vec3b white(255, 255, 255);
    for (int x = 0; x < img.cols; ++x) {
        CAPTURE(x);
        CHECK(img.at<cv::Vec3b>(0, x) == white);
        CHECK(img.at<cv::Vec3b>(img.rows - 1, x) == white);
    }
    for (int y = 0; y < img.rows; ++y) {
        CAPTURE(y);
        CHECK(img.at<cv::Vec3b>(y, 0) == white);
        CHECK(img.at<cv::Vec3b>(y, img.cols - 1) == white);
    }
}

TEST_CASE("extreme values draw: one sample, ±DBL_MAX, subnormal constants") {
    const double big = std::numeric_limits<double>::max(), tiny = std::numeric_limits<double>::denorm_min();
    for (const std::vector<double>& v : {std::vector<double>{3.0}, std::vector<double>{-big, big, -big},
                                         std::vector<double>{tiny, tiny}, std::vector<double>{0, 1e-300, 1e300}}) {
        CAPTURE(v.size());
        for (bool log_y : {false, true}) {
            CAPTURE(log_y);
            const cv::Mat img = app::draw_plot(one_panel({Trace{"", v}}, {}, log_y));
            CHECK(find(img, blue).count() > 0);
        }
    }
}

TEST_CASE("refusals name the values") {
    const std::vector<double> v(10, 1.0), empty;
    Plot plot;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("0 panels"), ProcessError);

    plot = one_panel({Trace{"", v}});
    plot.panels.push_back(Panel{"errors", "", {}, {}, false});
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("panel 2 of 2 ('errors') has no traces"),
                         ProcessError);

    plot = one_panel({Trace{"", v}, Trace{"late", empty}});
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("trace 2 of 2 ('late') of panel 1 of 1"),
                         ProcessError);
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("0 samples"), ProcessError);

    plot = one_panel({Trace{"", v}});
    plot.width = 199;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("got width 199 and panel height 220"), ProcessError);
    plot.width = 200;
    plot.panel_height = 99;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("got width 200 and panel height 99"), ProcessError);
    plot.panel_height = 100;
    CHECK(app::draw_plot(plot).size() == cv::Size(200, 100));

    plot.width = 40000;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("40000 x 100"), ProcessError);
    plot.width = 1200;
    plot.panels.assign(400, plot.panels[0]);
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("400 panels of 100 rows"), ProcessError);

    plot = one_panel({Trace{"", v}});
    plot.x_scale = 0;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("x_scale must be positive and finite; got 0"),
                         ProcessError);
    plot.x_scale = 1;
    plot.panels[0].traces[0].first = not_a_number;
    CHECK_THROWS_WITH_AS(app::draw_plot(plot), doctest::Contains("starts at sample nan"), ProcessError);
}

TEST_CASE("write_plot writes the picture drawn, or nothing") {
    const Scratch scratch;
    const std::vector<double> v = ramp(300, -2, 5);
    const Plot plot = one_panel({Trace{"ramp", v}}, {{150, "middle"}});
    const std::string path = (scratch.dir / "plot.png").string();
    app::write_plot(path, plot);
    const cv::Mat read = cv::imread(path, cv::IMREAD_UNCHANGED);
    REQUIRE(!read.empty());
    CHECK(read.size() == cv::Size(1200, 220));
    CHECK(read.type() == CV_8UC3);
    CHECK(cv::norm(read, app::draw_plot(plot), cv::NORM_INF) == 0);  // PNG is lossless
    CHECK(scratch.files() == std::vector<std::string>{"plot.png"});  // no temporary file left

    const fs::path missing = scratch.dir / "no such directory" / "plot.png";
    CHECK_THROWS_WITH_AS(app::write_plot(missing.string(), plot), doctest::Contains("no such directory"), ProcessError);
    CHECK(!fs::exists(missing.parent_path()));
    // A format OpenCV cannot write: refused, with nothing left behind.
    CHECK_THROWS_AS(app::write_plot((scratch.dir / "plot.unknown").string(), plot), ProcessError);
    CHECK(scratch.files() == std::vector<std::string>{"plot.png"});
    // A picture that cannot be drawn is not written either.
    Plot none;
    CHECK_THROWS_AS(app::write_plot((scratch.dir / "none.png").string(), none), ProcessError);
    CHECK(scratch.files() == std::vector<std::string>{"plot.png"});
}
