// What each `fftconv` command does, written the way an OpenCV user would in a few lines:
// cv::imread, one OpenCV call, cv::imwrite. cli_peers.py times this program against the tool,
// whole process against whole process, on the same files.
//
//   opencv_cli identity IN OUT              read and write only
//   opencv_cli blur IN OUT SIGMA            cv::GaussianBlur, ksize 2*int(4*SIGMA+0.5)+1, BORDER_REFLECT
//   opencv_cli sobel IN OUT                 cv::Sobel dx=1 dy=0 ksize 3 into CV_32F, shown around mid-gray
//   opencv_cli conv IN OUT K                cv::filter2D with a K x K box kernel, BORDER_CONSTANT (zeros)
//   opencv_cli match IN TEMPLATE            cv::matchTemplate TM_CCOEFF_NORMED and cv::minMaxLoc, best printed
//   opencv_cli lowpass IN OUT CUTOFF        gaussian low-pass through cv::dft per channel (no padding)
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int usage() {
    std::fprintf(stderr, "usage: opencv_cli identity|blur|sobel|conv|match|lowpass IN OUT|TEMPLATE [value]\n");
    return 2;
}

cv::Mat lowpass(const cv::Mat& image, double cutoff) {
    std::vector<cv::Mat> channels;
    cv::split(image, channels);
    for (cv::Mat& c : channels) {
        cv::Mat f;
        c.convertTo(f, CV_32F);
        cv::Mat spectrum;
        cv::dft(f, spectrum, cv::DFT_COMPLEX_OUTPUT);
        // H = exp(-rho^2 / (2 cutoff^2)), rho the radial frequency as a fraction of Nyquist.
        for (int r = 0; r < spectrum.rows; ++r) {
            const double fy = 2.0 * std::min(r, spectrum.rows - r) / spectrum.rows;
            auto* row = spectrum.ptr<cv::Vec2f>(r);
            for (int col = 0; col < spectrum.cols; ++col) {
                const double fx = 2.0 * std::min(col, spectrum.cols - col) / spectrum.cols;
                const auto h = static_cast<float>(std::exp(-(fx * fx + fy * fy) / (2 * cutoff * cutoff)));
                row[col] *= h;
            }
        }
        cv::idft(spectrum, f, cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
        f.convertTo(c, image.depth());
    }
    cv::Mat out;
    cv::merge(channels, out);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) return usage();
    const std::string op = argv[1];
    const cv::Mat image = cv::imread(argv[2], cv::IMREAD_UNCHANGED);
    if (image.empty()) {
        std::fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    const double value = argc > 4 ? std::atof(argv[4]) : 0;
    cv::Mat out;
    if (op == "identity") {
        out = image;
    } else if (op == "blur") {
        const int radius = static_cast<int>(4 * value + 0.5);
        cv::GaussianBlur(image, out, cv::Size(2 * radius + 1, 2 * radius + 1), value, value, cv::BORDER_REFLECT);
    } else if (op == "sobel") {
        cv::Mat d;
        cv::Sobel(image, d, CV_32F, 1, 0, 3, 1, 0, cv::BORDER_REFLECT_101);
        double lo = 0, hi = 0;
        cv::minMaxLoc(d.reshape(1), &lo, &hi);
        const double a = std::max({-lo, hi, 1e-30});
        d.convertTo(out, CV_8U, 127.5 / a, 127.5);
    } else if (op == "conv") {
        const int k = static_cast<int>(value);
        const cv::Mat box = cv::Mat::ones(k, k, CV_32F) / static_cast<float>(k * k);
        cv::filter2D(image, out, -1, box, cv::Point(-1, -1), 0, cv::BORDER_CONSTANT);
    } else if (op == "match") {
        const cv::Mat templ = cv::imread(argv[3], cv::IMREAD_UNCHANGED);
        cv::Mat scores;
        cv::matchTemplate(image, templ, scores, cv::TM_CCOEFF_NORMED);
        double best = 0;
        cv::Point at;
        cv::minMaxLoc(scores, nullptr, &best, nullptr, &at);
        std::printf("best %.4f at x=%d y=%d\n", best, at.x, at.y);
        return 0;
    } else if (op == "lowpass") {
        out = lowpass(image, value);
    } else {
        return usage();
    }
    if (!cv::imwrite(argv[3], out)) {
        std::fprintf(stderr, "cannot write %s\n", argv[3]);
        return 1;
    }
    return 0;
}
