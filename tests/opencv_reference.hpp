// Helpers for the tests that use OpenCV as the reference: test data as cv::Mat and Image, the
// difference between the two, and a record of the largest differences seen, printed per operation.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"

namespace cvref {

// The sample photograph as float32 in 0..255, or a w x h crop of it.
inline cv::Mat camera(int rows = 0, int cols = 0) {
    cv::Mat gray = cv::imread(FFTCONV_SAMPLES_DIR "/camera.png", cv::IMREAD_GRAYSCALE);
    REQUIRE_MESSAGE(!gray.empty(), "cannot read " FFTCONV_SAMPLES_DIR "/camera.png");
    cv::Mat f;
    gray.convertTo(f, CV_32F);
    if (rows > 0) f = f(cv::Rect(100, 120, cols, rows)).clone();
    return f;
}

inline cv::Mat random_mat(int rows, int cols, int type, unsigned seed, double lo = -1, double hi = 1) {
    cv::Mat m(rows, cols, type);
    cv::RNG rng(seed);
    rng.fill(m, cv::RNG::UNIFORM, lo, hi);
    return m;
}

template <class T>
fftconv::Image<T> image_of(const cv::Mat& m) {
    return fftconv::to_image<T>(m);
}

struct Diff {
    double abs = 0;    // max |ours - reference|
    double scale = 0;  // max |reference|
    double rel() const { return scale > 0 ? abs / scale : abs; }
};

template <class T>
Diff diff(const fftconv::Image<T>& ours, const cv::Mat& reference) {
    REQUIRE(ours.rows() == reference.rows);
    REQUIRE(ours.cols() == reference.cols);
    REQUIRE(reference.channels() == 1);
    cv::Mat ref;
    reference.convertTo(ref, CV_64F);
    Diff d;
    for (int r = 0; r < ref.rows; ++r)
        for (int c = 0; c < ref.cols; ++c) {
            const double want = ref.at<double>(r, c);
            d.abs = std::max(d.abs, std::abs(static_cast<double>(ours(r, c)) - want));
            d.scale = std::max(d.scale, std::abs(want));
        }
    return d;
}

// The largest differences per operation over a whole test program, printed when it ends.
class Record {
public:
    static Record& instance() {
        static Record r;
        return r;
    }
    void add(const std::string& op, const Diff& d) {
        Diff& w = worst_[op];
        w.abs = std::max(w.abs, d.abs);
        w.scale = std::max(w.scale, d.scale);
    }
    ~Record() {
        for (const auto& [op, d] : worst_)
            std::printf("agreement with OpenCV: %-40s max |diff| %.2e  (max |reference| %.3g)\n", op.c_str(), d.abs,
                        d.scale);
    }

private:
    std::map<std::string, Diff> worst_;
};

// Checks that `ours` matches the OpenCV result within `rel_tol` of max |reference| (or of
// `scale_floor` when that is larger: where the reference is itself rounding noise, relative to the
// size of what cancelled) and records the difference.
template <class T>
void check_close(const std::string& op, const fftconv::Image<T>& ours, const cv::Mat& reference, double rel_tol,
                 double scale_floor = 0) {
    const Diff d = diff(ours, reference);
    Record::instance().add(op, d);
    CAPTURE(op);
    CAPTURE(d.abs);
    CAPTURE(d.scale);
    CHECK(d.abs <= rel_tol * std::max(d.scale, scale_floor));
}

}  // namespace cvref
