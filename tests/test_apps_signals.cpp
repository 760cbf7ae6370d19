// The signal commands end to end on text and .npy signals (no audio library needed): conv with
// scipy.signal's modes against a brute-force convolution, delay and find with and without a
// sample rate, compare on signals, the --plot pictures (their size and the red markers), and text
// files the tool must refuse with the line and column at fault, leaving every file as it was.
#include <cmath>
#include <cstring>
#include <random>

#include "apps_harness.hpp"

using namespace apps_test;

namespace {

std::vector<double> noise(std::size_t n, std::mt19937_64& rng) {
    std::normal_distribution<double> g(0, 1);
    std::vector<double> v(n);
    for (double& x : v) x = g(rng);
    return v;
}

// Columns as text, one line per frame, `sep` between values, with every digit kept.
void write_text(const std::string& path, const std::vector<std::vector<double>>& channels, const std::string& sep,
                const std::string& preamble = "") {
    std::ofstream out(path);
    out << preamble;
    char buf[40];
    for (std::size_t i = 0; i < channels[0].size(); ++i) {
        for (std::size_t c = 0; c < channels.size(); ++c) {
            std::snprintf(buf, sizeof buf, "%.17g", channels[c][i]);
            out << (c ? sep : "") << buf;
        }
        out << "\n";
    }
}

// A float64 .npy of shape (frames,) or (frames, channels), written by hand (format 1.0).
void write_npy(const std::string& path, const std::vector<std::vector<double>>& channels) {
    const std::size_t n = channels[0].size();
    std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(n) +
                       (channels.size() == 1 ? "," : ", " + std::to_string(channels.size())) + "), }";
    while ((10 + dict.size() + 1) % 64) dict += ' ';
    dict += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(dict.size() & 0xFF);
    bytes += static_cast<char>(dict.size() >> 8);
    bytes += dict;
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& c : channels) bytes.append(reinterpret_cast<const char*>(&c[i]), sizeof(double));
    write_bytes(path, bytes);
}

// A text signal's columns, read back: numbers separated by `sep`.
std::vector<std::vector<double>> read_text(const std::string& path, char sep) {
    std::vector<std::vector<double>> channels;
    std::istringstream in(slurp(path));
    std::string line;
    while (std::getline(in, line)) {
        std::vector<double> row;
        std::size_t i = 0;
        while (i <= line.size()) {
            const std::size_t end = std::min(line.find(sep, i), line.size());
            row.push_back(std::stod(line.substr(i, end - i)));
            i = end + 1;
        }
        if (channels.empty()) channels.assign(row.size(), {});
        REQUIRE(row.size() == channels.size());
        for (std::size_t c = 0; c < row.size(); ++c) channels[c].push_back(row[c]);
    }
    return channels;
}

// The full convolution, by its definition.
std::vector<double> brute_full(const std::vector<double>& x, const std::vector<double>& h) {
    std::vector<double> y(x.size() + h.size() - 1, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i)
        for (std::size_t k = 0; k < h.size(); ++k) y[i + k] += x[i] * h[k];
    return y;
}

std::vector<double> part(const std::vector<double>& v, std::size_t first, std::size_t length) {
    return {v.begin() + static_cast<std::ptrdiff_t>(first), v.begin() + static_cast<std::ptrdiff_t>(first + length)};
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

// Pixel columns holding the markers' red (BGR 40, 39, 214), within rows [top, bottom).
std::vector<int> red_columns(const cv::Mat& img, int top, int bottom) {
    std::vector<int> cols;
    for (int c = 0; c < img.cols; ++c) {
        int red = 0;
        for (int r = top; r < bottom; ++r) red += img.at<cv::Vec3b>(r, c) == cv::Vec3b(40, 39, 214);
        if (red > (bottom - top) / 2) cols.push_back(c);
    }
    return cols;
}

}  // namespace

TEST_CASE("fftconv conv on text and .npy signals: scipy.signal's modes, channels, taps or a signal as the kernel") {
    const Scratch s;
    std::mt19937_64 rng(1501);
    const std::vector<double> x = noise(1000, rng), x2 = noise(1000, rng), h = noise(37, rng);
    write_text(s / "x.csv", {x, x2}, ",", "# two sensors\nleft,right\n");
    write_text(s / "h.txt", {h}, " ");
    write_npy(s / "x.npy", {x});
    const std::vector<double> full = brute_full(x, h), full2 = brute_full(x2, h);
    // scipy.signal.convolve: same is the centred part (first (k - 1) / 2), valid the overlap.
    const struct {
        const char* mode;
        std::size_t first, length;
    } modes[] = {{"full", 0, 1036}, {"same", 18, 1000}, {"valid", 36, 964}};
    for (const auto& m : modes) {
        CAPTURE(m.mode);
        const Result r = run({"conv", s / "x.csv", s / "h.txt", s / "y.csv", "--mode", m.mode}, s);
        REQUIRE_MESSAGE(r.status == 0, r.err);
        const auto y = read_text(s / "y.csv", ',');
        REQUIRE(y.size() == 2);
        CHECK(max_diff(y[0], part(full, m.first, m.length)) < 1e-12);
        CHECK(max_diff(y[1], part(full2, m.first, m.length)) < 1e-12);
    }
    // Taps on the command line, .npy in, .tsv out; an even kernel's same is scipy's too.
    Result r = run({"conv", s / "x.npy", "0.25,0.5,0.25,0.125", s / "y.tsv", "--mode", "same"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    auto y = read_text(s / "y.tsv", '\t');
    REQUIRE(y.size() == 1);
    CHECK(max_diff(y[0], part(brute_full(x, {0.25, 0.5, 0.25, 0.125}), 1, 1000)) < 1e-12);
    // A kernel longer than the input (valid: the other way round, as scipy), .npy out.
    r = run({"conv", s / "h.txt", s / "x.npy", s / "v.npy", "--mode", "valid"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const std::string npy = slurp(s / "v.npy");
    CHECK(npy.find("'shape': (964,)") != std::string::npos);
    REQUIRE(npy.size() >= 964 * 8);
    std::vector<double> v(964);
    std::memcpy(v.data(), npy.data() + npy.size() - 964 * 8, 964 * 8);
    CHECK(max_diff(v, part(full, 36, 964)) < 1e-12);
    // Input and result drawn on one time axis: two panels of 220 rows.
    r = run({"conv", s / "x.csv", "gaussian:3", s / "g.csv", "--mode", "same", "--plot", s / "g.png"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const cv::Mat plot = read_any(s / "g.png");
    CHECK(plot.cols == 1200);
    CHECK(plot.rows == 440);
}

TEST_CASE("fftconv delay and find on text and .npy signals: samples without a rate, seconds with --rate") {
    const Scratch s;
    std::mt19937_64 rng(1502);
    const std::vector<double> a = noise(4000, rng);
    std::vector<double> b(4000, 0.0);
    const std::vector<double> n = noise(4000, rng);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = (i >= 37 ? a[i - 37] : 0.0) + 0.1 * n[i];
    write_text(s / "a.csv", {a}, ",");
    write_npy(s / "b.npy", {b});
    Result r = run({"delay", s / "a.csv", s / "b.npy"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("\n37 samples; refined 37.0") != std::string::npos);
    CHECK(r.out.find(" Hz") == std::string::npos);  // no seconds without a rate
    r = run({"delay", s / "a.csv", s / "b.npy", "--rate", "8000", "--plot", s / "lag.png"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("37 samples (0.00462 s at 8000 Hz)") != std::string::npos);
    // The score at every lag, one panel; the delay's red marker at lag 37 of -3999..3999.
    cv::Mat plot = read_any(s / "lag.png");
    REQUIRE(plot.rows == 220);
    CHECK(plot.cols == 1200);
    std::vector<int> red = red_columns(plot, 30, 180);
    REQUIRE(red.size() == 1);
    // The plotting rectangle spans columns 70..1183 for lags -3999..3999.
    CHECK(std::abs(red[0] - (70 + (37.0 + 3999) / 7998 * 1113)) <= 1.0);

    // find: three planted copies in a text recording, positions in samples; JSON without seconds.
    std::vector<double> rec = noise(20000, rng);
    for (double& v : rec) v *= 0.3;
    const std::vector<double> snip = noise(400, rng);
    for (std::size_t at : {3000u, 9000u, 16000u})
        for (std::size_t i = 0; i < snip.size(); ++i) rec[at + i] += snip[i];
    write_text(s / "rec.txt", {rec}, " ");
    write_text(s / "snip.csv", {snip}, ",");
    r = run({"find", s / "rec.txt", s / "snip.csv", "--top", "3", "--json"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("\"sample\": 3000") != std::string::npos);
    CHECK(r.out.find("\"sample\": 9000") != std::string::npos);
    CHECK(r.out.find("\"sample\": 16000") != std::string::npos);
    CHECK(r.out.find("seconds") == std::string::npos);
    r = run({"find", s / "rec.txt", s / "snip.csv", "--top", "3", "--rate", "1000", "--plot", s / "found.png"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("3.0000 s (sample 3000)") != std::string::npos);
    // The recording and the scores, the three positions marked in both panels.
    plot = read_any(s / "found.png");
    REQUIRE(plot.rows == 440);
    for (int top : {0, 220}) {
        red = red_columns(plot, top + 30, top + 180);
        REQUIRE(red.size() == 3);
        // Columns 70..1183 for samples 0..19999 (the recording is the longer trace).
        CHECK(std::abs(red[1] - (70 + 9000.0 / 19999 * 1113)) <= 1.0);
    }
}

TEST_CASE("fftconv compare on signals: fft against direct in double precision, the difference drawn or saved") {
    const Scratch s;
    std::mt19937_64 rng(1503);
    write_text(s / "x.csv", {noise(3000, rng), noise(3000, rng)}, ",");
    write_text(s / "h.csv", {noise(101, rng)}, ",");
    Result r = run({"compare", s / "x.csv", s / "h.csv", "--repeat", "1", "--diff", s / "d.png", "--rate", "100"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("2 ch, 100 Hz), computed in float64") != std::string::npos);
    CHECK(r.out.find("output      3100 samples, mode full, 2 channels") != std::string::npos);
    const std::size_t at = r.out.find("max |fft - direct|");
    REQUIRE(at != std::string::npos);
    const double err = std::stod(r.out.substr(at + 18));
    CHECK(err > 0);
    CHECK(err < 1e-11);  // double precision, |x| ~ 4, |h| ~ 3, 101 taps
    const cv::Mat plot = read_any(s / "d.png");
    CHECK(plot.rows == 440);
    // Single precision when asked; the difference as numbers in .npy.
    r = run({"compare", s / "x.csv", "0.5,0.5", "--repeat", "1", "--precision", "single", "--diff", s / "d.npy"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("computed in float32") != std::string::npos);
    CHECK(slurp(s / "d.npy").find("'shape': (3001,)") != std::string::npos);
    // A kernel of several channels has no one meaning here.
    r = run({"compare", s / "x.csv", s / "x.csv"}, s);
    CHECK(r.status == 2);
    CHECK(r.err.find("compare takes a kernel of one channel; " + (s / "x.csv") + " has 2") != std::string::npos);
}

TEST_CASE("signal files and options the tool refuses: one line naming the file, line and column; nothing touched") {
    const Scratch s;
    write_text(s / "ok.csv", {{1, 2, 3, 4}}, ",");
    write_bytes(s / "word.csv", "1,2\n3,x\n");
    write_bytes(s / "empty_field.csv", "1,2\n3,,4\n");
    write_bytes(s / "ragged.csv", "1,2\n3,4\n5\n");
    write_bytes(s / "no_numbers.txt", "# only a comment\n\n");
    write_bytes(s / "late_header.csv", "1\nvalue\n");
    write_bytes(s / "keep.csv", "an existing file\n");
    write_bytes(s / "keep.png", "an existing picture\n");
    const struct {
        std::vector<std::string> args;
        int status;
        std::string says;
    } cases[] = {
        {{"delay", s / "word.csv", s / "ok.csv"}, 1, s / "word.csv" + ": line 2, column 2: not a number: 'x'"},
        {{"delay", s / "empty_field.csv", s / "ok.csv"},
         1,
         s / "empty_field.csv" + ": line 2, column 2: an empty field"},
        {{"find", s / "ragged.csv", s / "ok.csv"},
         1,
         s / "ragged.csv" + ": line 3 has 1 values and the lines before it 2"},
        {{"conv", s / "no_numbers.txt", "0.5,0.5", s / "keep.csv"},
         1,
         s / "no_numbers.txt" + ": the file holds no samples"},
        {{"conv", s / "late_header.csv", "0.5,0.5", s / "keep.csv"},
         1,
         s / "late_header.csv" + ": line 2, column 1: not a number: 'value'"},
        {{"conv", s / "ok.csv", "0.5,0.5", s / "keep.csv", "--rate", "0"}, 2, "--rate"},
        {{"conv", s / "ok.csv", "0.5,0.5", s / "keep.csv", "--plot", "-"}, 2, "--plot needs a file name"},
        {{"delay", s / "ok.csv", s / "ok.csv", "--plot", s / "keep.xyz"}, 2, "keep.xyz"},
        {{"conv", s / "ok.csv", "0.5,0.5", s / "keep.mp3"}, 2, "keep.mp3"},
#ifdef FFTCONV_TEST_AUDIO
        {{"conv", s / "ok.csv", "0.5,0.5", s / "keep.wav"}, 2, "an audio file needs a sample rate"},
#endif
        {{"conv", s / "ok.csv", "0.5,0.5", s / "keep.csv", "--mode", "middle"}, 2, "--mode must be one of"},
        {{"find", s / "ok.csv", s / "ragged.csv"}, 1, "ragged.csv"},
        {{"compare", s / "ok.csv", "0.5,0.5", "--gray"}, 2, "--gray applies to images, not to signals"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args);
        const auto before = snapshot(s.dir);
        const Result r = run(c.args, s);
        CHECK(r.status == c.status);
        CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 1, "stderr: " << r.err);
        CHECK_MESSAGE(r.err.find(c.says) != std::string::npos, "stderr: " << r.err);
        CHECK(r.out.find("wrote") == std::string::npos);
        CHECK(snapshot(s.dir) == before);
    }
    // A text output is written through a temporary file too: a failed run leaves the old one.
    CHECK(slurp(s / "keep.csv") == "an existing file\n");
}
