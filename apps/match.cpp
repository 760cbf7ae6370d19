// fftconv match: find a template in an image (cv::matchTemplate's six methods).
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "budget.hpp"
#include "commands.hpp"
#include "fftconv/opencv.hpp"
#include "image_io.hpp"
#include "jobs.hpp"

namespace app {

namespace {

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8 (overlong
// forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_length(const std::string& s, std::size_t i) {
    const auto at = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    const unsigned c = at(i);
    const auto continuation = [&](std::size_t k) { return (at(k) & 0xC0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return continuation(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned c1 = at(i + 1);
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return 0;  // overlong; surrogates
        return continuation(i + 1) && continuation(i + 2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned c1 = at(i + 1);
        if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) return 0;  // overlong; past U+10FFFF
        return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
    }
    return 0;
}

// A JSON string. File names are bytes, and JSON text is UTF-8: each byte that is not part of a
// valid UTF-8 sequence is written as \ufffd (the replacement character), so the output always
// parses.
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
            ++i;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
            out += buf;
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out + "\"";
}

std::string number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
}

// The image as 8-bit BGR for drawing on.
cv::Mat display_copy(const Picture& p) {
    cv::Mat m = fftconv::to_mat(p.planes), out;
    m.convertTo(out, CV_8U, 255.0 / p.white);
    if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
    return out;
}

// The cost of matching: the correlation of every channel (in double), and the memory of the
// planes, the library's double-precision work and the score map.
Cost match_cost(const PageHeader& image, const PageHeader& templ, fftconv::Method method) {
    const fftconv::Shape is{image.height, image.width}, ts{templ.height, templ.width};
    const MethodSeconds m = convolution_seconds(is, ts, fftconv::Mode::valid, fftconv::ElementType::float64, method);
    const double pixels = static_cast<double>(image.pixels());
    Cost c;
    c.seconds = m.seconds * colour_channels(image) + pipeline_seconds(image, 0) + pipeline_seconds(templ, 0);
    c.bytes = pipeline_bytes(image, 0) + pipeline_bytes(templ, 0) + pixels * 8 * 2 +
              (m.method == fftconv::Method::fft ? fft_work_bytes(pixels, true) : 0) + pixels * 4 * 2;
    c.what = "by " + method_text(m.method);
    return c;
}

int run(const Args& args) {
    args.expect_positional(2, 2, "IMAGE TEMPLATE");
    using fftconv::MatchMethod;
    const MatchMethod method = args.choice<MatchMethod>("method",
                                                        {{"sqdiff", MatchMethod::sqdiff},
                                                         {"sqdiff_normed", MatchMethod::sqdiff_normed},
                                                         {"ccorr", MatchMethod::ccorr},
                                                         {"ccorr_normed", MatchMethod::ccorr_normed},
                                                         {"ccoeff", MatchMethod::ccoeff},
                                                         {"ccoeff_normed", MatchMethod::ccoeff_normed}},
                                                        MatchMethod::ccoeff_normed);
    using fftconv::Method;
    const Method conv = args.choice<Method>(
        "conv-method", {{"auto", Method::automatic}, {"direct", Method::direct}, {"fft", Method::fft}},
        Method::automatic);
    const bool threshold = args.has("threshold");
    const double threshold_value = args.number("threshold", 0, -1e300, 1e300);
    // With a threshold, every match that passes it unless --top also caps the count.
    const long top = args.integer("top", threshold ? 1000000 : 5, 1, 1000000);
    const bool json = args.has("json");
    const bool gray = args.has("gray");
    const Limits limits = limits_of(args);
    const std::string& image_path = args.positional()[0];
    const std::string& templ_path = args.positional()[1];
    if (image_path == "-" && templ_path == "-") throw UsageError("standard input ('-') can be read only once");
    const std::string annotate = args.text("annotate"), scores_path = args.text("scores");
    if ((annotate == "-") + (scores_path == "-") + json > 1)
        throw UsageError("only one of --annotate -, --scores - and --json can use standard output");
    if (!annotate.empty()) {
        if (annotate != "-" && lower_extension(annotate) == ".npy")
            throw UsageError("--annotate draws the matches on the picture, which goes to an image file, not '" +
                             annotate + "'; --scores writes the score map to .npy");
        check_output(annotate, {image_path, templ_path}, false, annotate == "-" ? ".png" : "");
    }
    if (!scores_path.empty())
        check_output(scores_path, {image_path, templ_path}, args.has("raw"),
                     scores_path == "-" ? (args.has("raw") ? ".tif" : ".png") : "");
    if (!annotate.empty() && !scores_path.empty() && annotate != "-" && same_file(annotate, scores_path))
        throw UsageError("--annotate '" + annotate + "' and --scores '" + scores_path + "' name the same file");

    // Both headers before either image is decoded: a template larger than the image, or work
    // past the limits, is refused without reading a pixel.
    const ImageFile image_file = open_image(image_path), templ_file = open_image(templ_path);
    for (const ImageFile* f : {&image_file, &templ_file})
        if (f->pages() > 1)
            throw ProcessError(display_name(f->name) + " has " + std::to_string(f->pages()) +
                               " pages; match takes one image and one template");
    if (image_file.header && templ_file.header) {
        const PageHeader &ih = image_file.header->pages.front(), &th = templ_file.header->pages.front();
        if (th.width > ih.width || th.height > ih.height)
            throw ProcessError("the template " + display_name(templ_path) + " (" + size_text(th.width, th.height) +
                               ") is larger than the image " + display_name(image_path) + " (" +
                               size_text(ih.width, ih.height) + "); nothing was decoded");
        check_budget("match", templ_path, {th}, {}, limits);
        check_budget("match", image_path, {ih}, match_cost(ih, th, conv), limits);
    }
    const Picture image = with_gray(read_page(image_file, 0), gray), templ = with_gray(read_page(templ_file, 0), gray);
    // Channels must correspond; otherwise both are compared in gray. Data of different depths is
    // compared on a common 0..1 scale. Alpha is not matched: the colour channels are.
    std::vector<fftconv::Image<float>> ip = image.planes, tp = templ.planes;
    std::string note;
    if (image.channels() != templ.channels()) {
        ip = {gray_of(image)};
        tp = {gray_of(templ)};
        note = "channel counts differ (" + std::to_string(image.channels()) + " and " +
               std::to_string(templ.channels()) + "): matching in gray";
    }
    if (image.white != templ.white) {
        for (auto& p : ip)
            for (float& v : p.values()) v /= static_cast<float>(image.white);
        for (auto& p : tp)
            for (float& v : p.values()) v /= static_cast<float>(templ.white);
    }
    const auto views = [](const std::vector<fftconv::Image<float>>& planes) {
        std::vector<fftconv::ImageView<const float>> v;
        for (const auto& p : planes) v.push_back(p.view());
        return v;
    };
    const auto iv = views(ip), tv = views(tp);
    const fftconv::Shape is = image.shape(), ts = templ.shape();
    if (ts.rows > is.rows || ts.cols > is.cols)
        throw ProcessError("the template " + display_name(templ_path) + " (" + size_text(ts) +
                           ") is larger than the image " + display_name(image_path) + " (" + size_text(is) + ")");
    const fftconv::Image<float> scores =
        fftconv::match_template<float>(std::span<const fftconv::ImageView<const float>>(iv),
                                       std::span<const fftconv::ImageView<const float>>(tv), method, conv);
    const long min_distance =
        args.integer("min-distance", std::max<long>(1, static_cast<long>(std::min(ts.rows, ts.cols) / 2)), 0, 1000000);
    const bool lowest = fftconv::lower_is_better(method);
    std::vector<fftconv::Peak> peaks = fftconv::find_peaks(scores, static_cast<std::size_t>(top), min_distance, lowest);
    if (threshold)
        std::erase_if(peaks, [&](const fftconv::Peak& p) {
            return lowest ? p.score > threshold_value : p.score < threshold_value;
        });

    FILE* info = json ? stderr : info_stream();
    if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
    if (json) {
        std::ostringstream s;
        s << "{\"image\": " << json_string(image_path) << ", \"template\": " << json_string(templ_path)
          << ", \"method\": \"" << fftconv::to_string(method)
          << "\", \"lower_is_better\": " << (lowest ? "true" : "false") << ", \"image_size\": {\"width\": " << is.cols
          << ", \"height\": " << is.rows << "}"
          << ", \"template_size\": {\"width\": " << ts.cols << ", \"height\": " << ts.rows << "}, \"matches\": [";
        for (std::size_t i = 0; i < peaks.size(); ++i)
            s << (i ? ", " : "") << "{\"rank\": " << i + 1 << ", \"x\": " << peaks[i].col << ", \"y\": " << peaks[i].row
              << ", \"score\": " << number(peaks[i].score) << "}";
        s << "]}\n";
        std::fputs(s.str().c_str(), stdout);
    } else {
        std::fprintf(info, "%s (%s) and template %s (%s), %s: %s is better\n", image_path.c_str(),
                     image.describe().c_str(), templ_path.c_str(), templ.describe().c_str(), fftconv::to_string(method),
                     lowest ? "lower" : "higher");
        if (threshold)
            std::fprintf(info, "%zu match%s with a score %s %s\n", peaks.size(), peaks.size() == 1 ? "" : "es",
                         lowest ? "<=" : ">=", number(threshold_value).c_str());
        std::fprintf(info, "%4s %6s %6s %12s   (x, y: top-left corner of the %s match)\n", "rank", "x", "y", "score",
                     size_text(ts).c_str());
        for (std::size_t i = 0; i < peaks.size(); ++i)
            std::fprintf(info, "%4zu %6td %6td %12s\n", i + 1, peaks[i].col, peaks[i].row,
                         number(peaks[i].score).c_str());
    }
    if (!scores_path.empty()) {
        WriteOptions o;
        o.raw = args.has("raw");
        o.low = 0;
        o.high = 1;
        o.white = 1;
        o.scaling = Scaling::automatic;
        o.format = scores_path == "-" ? (o.raw ? ".tif" : ".png") : "";
        const Written w = write_result(scores_path, {page_of({scores})}, o);
        std::fprintf(info, "wrote %s (score map %s, %s)\n",
                     scores_path == "-" ? "standard output" : scores_path.c_str(), size_text(scores.shape()).c_str(),
                     w.mapping.c_str());
        for (const std::string& warning : w.warnings)
            std::fprintf(stderr, "fftconv match: warning: %s: %s\n", scores_path.c_str(), warning.c_str());
    }
    if (!annotate.empty()) {
        cv::Mat canvas = display_copy(image);
        for (std::size_t i = peaks.size(); i-- > 0;) {  // the best drawn last, on top
            const cv::Scalar colour = i == 0 ? cv::Scalar(0, 255, 0) : cv::Scalar(0, 200, 255);
            const cv::Rect box(static_cast<int>(peaks[i].col), static_cast<int>(peaks[i].row),
                               static_cast<int>(ts.cols), static_cast<int>(ts.rows));
            cv::rectangle(canvas, box, colour, 2);
            cv::putText(canvas, std::to_string(i + 1), box.tl() + cv::Point(3, 14), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                        colour, 1, cv::LINE_AA);
        }
        write_atomically(
            annotate, [&](const std::string& tmp) { return cv::imwrite(tmp, canvas); }, annotate == "-" ? ".png" : "");
        std::fprintf(info, "wrote %s (the %zu best matches outlined, #1 in green)\n",
                     annotate == "-" ? "standard output" : annotate.c_str(), peaks.size());
    }
    return 0;
}

}  // namespace

Command match_command() {
    return {{"match",
             "IMAGE TEMPLATE [--method ccoeff_normed] [--top 5] [--min-distance N] [--annotate OUT.png] [--scores "
             "SCORES.png] [--json]",
             "find a template in an image (cv::matchTemplate)",
             "Template matching, equal to cv::matchTemplate: scores the template at every position inside the image\n"
             "and prints the best positions, each at least --min-distance pixels from a better one.",
             {{"method", "M",
               "sqdiff, sqdiff_normed, ccorr, ccorr_normed, ccoeff or ccoeff_normed (default): OpenCV's TM_* "
               "formulas"},
              {"top", "N", "how many matches to report; default 5, or every match that passes --threshold"},
              {"threshold", "T",
               "report only matches scoring at least T (at most T for sqdiff and sqdiff_normed), e.g. 0.8 for "
               "ccoeff_normed: to find every coin without guessing --top"},
              {"gray", "", "match in gray (0.299 R + 0.587 G + 0.114 B), whatever the channels"},
              {"min-distance", "D", "suppress matches within D pixels of a better one; default half the template"},
              {"annotate", "OUT", "write the image with the matches outlined"},
              {"scores", "SCORES", "write the score map ((H-h+1) x (W-w+1))"},
              {"raw", "", "write the score map as float, unscaled (.tif, .exr, .pfm)"},
              {"json", "", "print the matches as JSON (other messages go to stderr)"},
              {"conv-method", "M", "auto (default), direct or fft: how the correlation term is summed"},
              limit_options()[0],
              limit_options()[1]},
             "Colour images match on all channels, summed as OpenCV does; if the image and the template differ in\n"
             "channel count both are converted to gray. The correlation runs in double precision.",
             "  fftconv match samples/camera.png face.png --top 3 --annotate found.png\n"
             "  fftconv match photo.png logo.png --method sqdiff_normed --json"},
            run};
}

}  // namespace app
