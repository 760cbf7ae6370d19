// fftconv match: find a template in an image (cv::matchTemplate's six methods).
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "commands.hpp"
#include "fftconv/opencv.hpp"
#include "image_io.hpp"

namespace app {

namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
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
    if (out.channels() == 4) cv::cvtColor(out, out, cv::COLOR_BGRA2BGR);
    return out;
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
    const long top = args.integer("top", 5, 1, 1000000);
    const bool json = args.has("json");
    const std::string& image_path = args.positional()[0];
    const std::string& templ_path = args.positional()[1];
    const std::string annotate = args.text("annotate"), scores_path = args.text("scores");
    if (!annotate.empty()) check_output(annotate, {image_path, templ_path}, false);
    if (!scores_path.empty()) check_output(scores_path, {image_path, templ_path}, args.has("raw"));
    if (!annotate.empty() && !scores_path.empty() && same_file(annotate, scores_path))
        throw UsageError("--annotate '" + annotate + "' and --scores '" + scores_path + "' name the same file");

    const Picture image = read_picture(image_path), templ = read_picture(templ_path);
    // Channels must correspond; otherwise both are compared in gray. Data of different depths is
    // compared on a common 0..1 scale.
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
        throw ProcessError("the template (" + fftconv::to_string(ts) + ") is larger than the image (" +
                           fftconv::to_string(is) + ")");
    const fftconv::Image<float> scores =
        fftconv::match_template<float>(std::span<const fftconv::ImageView<const float>>(iv),
                                       std::span<const fftconv::ImageView<const float>>(tv), method, conv);
    const long min_distance =
        args.integer("min-distance", std::max<long>(1, static_cast<long>(std::min(ts.rows, ts.cols) / 2)), 0, 1000000);
    const bool lowest = fftconv::lower_is_better(method);
    const std::vector<fftconv::Peak> peaks =
        fftconv::find_peaks(scores, static_cast<std::size_t>(top), min_distance, lowest);

    FILE* info = json ? stderr : stdout;
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
        std::printf("%s (%s) and template %s (%s), %s: %s is better\n", image_path.c_str(), image.describe().c_str(),
                    templ_path.c_str(), templ.describe().c_str(), fftconv::to_string(method),
                    lowest ? "lower" : "higher");
        std::printf("%4s %6s %6s %12s   (x, y: top-left corner of the %ldx%ld match)\n", "rank", "x", "y", "score",
                    static_cast<long>(ts.cols), static_cast<long>(ts.rows));
        for (std::size_t i = 0; i < peaks.size(); ++i)
            std::printf("%4zu %6td %6td %12s\n", i + 1, peaks[i].col, peaks[i].row, number(peaks[i].score).c_str());
    }
    if (!scores_path.empty()) {
        const std::string mapping =
            write_picture(scores_path, {scores}, {args.has("raw"), 0.0, 1.0, false, Scaling::automatic});
        std::fprintf(info, "wrote %s (score map %s, %s)\n", scores_path.c_str(),
                     fftconv::to_string(scores.shape()).c_str(), mapping.c_str());
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
        write_atomically(annotate, [&](const std::string& tmp) { return cv::imwrite(tmp, canvas); });
        std::fprintf(info, "wrote %s (the %zu best matches outlined, #1 in green)\n", annotate.c_str(), peaks.size());
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
              {"top", "N", "how many matches to report; default 5"},
              {"min-distance", "D", "suppress matches within D pixels of a better one; default half the template"},
              {"annotate", "OUT", "write the image with the matches outlined"},
              {"scores", "SCORES", "write the score map ((H-h+1) x (W-w+1))"},
              {"raw", "", "write the score map as float, unscaled (.tif, .exr, .pfm)"},
              {"json", "", "print the matches as JSON (other messages go to stderr)"},
              {"conv-method", "M", "auto (default), direct or fft: how the correlation term is summed"}},
             "Colour images match on all channels, summed as OpenCV does; if the image and the template differ in\n"
             "channel count both are converted to gray. The correlation runs in double precision.",
             "  fftconv match samples/camera.png face.png --top 3 --annotate found.png\n"
             "  fftconv match photo.png logo.png --method sqdiff_normed --json"},
            run};
}

}  // namespace app
