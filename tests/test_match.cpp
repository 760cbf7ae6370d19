// match.hpp against cv::matchTemplate on the same data: all six methods, both methods of the
// correlation, gray and colour, flat templates and flat windows; find_peaks on known positions.
#include <doctest/doctest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"
#include "opencv_reference.hpp"
#include "reference.hpp"

using namespace fftconv;

namespace {

constexpr MatchMethod all_methods[] = {MatchMethod::sqdiff, MatchMethod::sqdiff_normed,
                                       MatchMethod::ccorr,  MatchMethod::ccorr_normed,
                                       MatchMethod::ccoeff, MatchMethod::ccoeff_normed};

cv::Mat cv_match(const cv::Mat& img, const cv::Mat& templ, MatchMethod m) {
    cv::Mat out;
    cv::matchTemplate(img, templ, out, static_cast<int>(m));
    return out;
}

// Our scores on the planes of (possibly multi-channel) float Mats.
Image<float> ours(const cv::Mat& img, const cv::Mat& templ, MatchMethod m, Method method) {
    const std::vector<Image<float>> ip = to_planes<float>(img), tp = to_planes<float>(templ);
    std::vector<ImageView<const float>> iv, tv;
    for (const auto& p : ip) iv.push_back(p.view());
    for (const auto& p : tp) tv.push_back(p.view());
    return match_template<float>(std::span<const ImageView<const float>>(iv),
                                 std::span<const ImageView<const float>>(tv), m, method);
}

// OpenCV rounds its correlation term to float before normalising; the sqdiff methods subtract
// nearly equal sums of squares, so they inherit that rounding relative to the sums themselves.
double tolerance(MatchMethod m) {
    switch (m) {
        case MatchMethod::sqdiff: return 2e-6;
        case MatchMethod::sqdiff_normed: return 2e-6;
        case MatchMethod::ccorr: return 1e-6;
        case MatchMethod::ccorr_normed: return 1e-6;
        case MatchMethod::ccoeff: return 1e-5;
        case MatchMethod::ccoeff_normed: return 1e-5;
    }
    return 0;
}

}  // namespace

TEST_CASE("match_template equals cv::matchTemplate: six methods, both correlation methods, gray") {
    const cv::Mat photo = cvref::camera(120, 150);
    const cv::Mat templ = photo(cv::Rect(60, 40, 24, 17)).clone();
    const cv::Mat noise = cvref::random_mat(40, 33, CV_32F, 4, 0, 255),
                  small = cvref::random_mat(5, 8, CV_32F, 5, 0, 255);
    for (MatchMethod m : all_methods)
        for (Method method : {Method::direct, Method::fft}) {
            CAPTURE(to_string(m));
            const std::string op = std::string("match_template ") + to_string(m) + " " + to_string(method);
            cvref::check_close(op, ours(photo, templ, m, method), cv_match(photo, templ, m), tolerance(m));
            cvref::check_close(op, ours(noise, small, m, method), cv_match(noise, small, m), tolerance(m));
        }
}

TEST_CASE("match_template on colour images sums over channels, as OpenCV does") {
    cv::Mat colour;
    cv::Mat channels[3] = {cvref::camera(80, 90), cvref::random_mat(80, 90, CV_32F, 1, 0, 255),
                           cvref::camera(80, 90).t()};
    channels[2] = cvref::camera(90, 80).t();
    cv::merge(channels, 3, colour);
    const cv::Mat templ = colour(cv::Rect(30, 20, 13, 11)).clone();
    for (MatchMethod m : all_methods)
        for (Method method : {Method::direct, Method::fft}) {
            CAPTURE(to_string(m));
            cvref::check_close(std::string("match_template colour ") + to_string(m), ours(colour, templ, m, method),
                               cv_match(colour, templ, m), tolerance(m));
        }
}

TEST_CASE("match_template: flat templates, flat windows and zero windows behave as in OpenCV 4.6") {
    // Left half flat at a value that is not a binary fraction, so rounding is in play.
    cv::Mat img = cvref::random_mat(40, 50, CV_32F, 8, 0, 1);
    img(cv::Rect(0, 0, 25, 40)) = 0.3f;
    img(cv::Rect(25, 30, 25, 10)) = 0.0f;
    const cv::Mat textured = img(cv::Rect(30, 5, 8, 8)).clone();
    const cv::Mat flat(8, 8, CV_32F, cv::Scalar(0.7));
    const cv::Mat zero(8, 8, CV_32F, cv::Scalar(0));
    for (const cv::Mat* t : {&textured, &flat, &zero})
        for (MatchMethod m : all_methods)
            for (Method method : {Method::direct, Method::fft}) {
                CAPTURE(to_string(m));
                const Image<float> got = ours(img, *t, m, method);
                const cv::Mat want = cv_match(img, *t, m);
                // ccoeff of a flat template is all cancellation: compare against the size of Σ T·I.
                double cancelled = 0;
                cv::minMaxLoc(cv_match(img, *t, MatchMethod::ccorr), nullptr, &cancelled);
                cvref::check_close(std::string("match_template flat cases ") + to_string(m), got, want, tolerance(m),
                                   cancelled);
                // The exact special values, not just closeness.
                if (m == MatchMethod::ccoeff_normed && t != &textured) {
                    CHECK(got(0, 0) == 1.0f);
                    CHECK(got(20, 30) == 1.0f);
                }
                if (m == MatchMethod::ccoeff_normed && t == &textured) CHECK(got(5, 5) == 0.0f);    // flat window
                if (m == MatchMethod::sqdiff_normed) CHECK(got(31, 30) == want.at<float>(31, 30));  // zero window
            }
}

TEST_CASE("match_template: 8-bit data") {
    // OpenCV correlates 8-bit data in float (its float-data path uses double), so its two paths
    // differ on the same values: by 2.0e-4 in ccoeff_normed on this crop. fftconv equals the
    // float path and stays within that distance of the 8-bit one.
    cv::Mat photo8;
    cvref::camera(90, 100).convertTo(photo8, CV_8U);
    const cv::Mat templ8 = photo8(cv::Rect(10, 20, 15, 15)).clone();
    cv::Mat photo32, templ32;
    photo8.convertTo(photo32, CV_32F);
    templ8.convertTo(templ32, CV_32F);
    for (MatchMethod m : all_methods) {
        const Image<float> got = match_template(to_image<float>(photo8), to_image<float>(templ8), m);
        cvref::check_close(std::string("match_template 8-bit vs float path ") + to_string(m), got,
                           cv_match(photo32, templ32, m), tolerance(m));
        const bool normed =
            m == MatchMethod::sqdiff_normed || m == MatchMethod::ccorr_normed || m == MatchMethod::ccoeff_normed;
        cvref::check_close(std::string("match_template 8-bit vs 8-bit path ") + to_string(m), got,
                           cv_match(photo8, templ8, m), normed ? 3e-4 : 2e-5);
    }
}

TEST_CASE("match_template finds the template where it was cut, in double too") {
    std::mt19937_64 rng(17);
    const auto img = ref::random_image<double>(64, 70, rng);
    const Image<double> templ(img.view().subview(21, 33, 9, 12));
    for (MatchMethod m : all_methods) {
        if (m == MatchMethod::ccorr || m == MatchMethod::ccoeff) continue;  // unnormalised: not maximal at the match
        const Image<double> s = match_template(img, templ, m);
        const std::vector<Peak> best = find_peaks(s, 1, 0, lower_is_better(m));
        REQUIRE(best.size() == 1);
        CHECK(best[0].row == 21);
        CHECK(best[0].col == 33);
        CHECK(best[0].score == doctest::Approx(lower_is_better(m) ? 0.0 : 1.0).scale(1.0).epsilon(1e-9));
    }
}

TEST_CASE("match_template: shapes and errors") {
    const Image<float> img(20, 30), t(5, 7), tall(25, 3), empty;
    CHECK(match_template(img, t, MatchMethod::ccorr).shape() == Shape{16, 24});
    CHECK(match_template(t, img, MatchMethod::ccorr).shape() == Shape{16, 24});  // OpenCV swaps
    CHECK_THROWS_WITH_AS((void)match_template(img, tall, MatchMethod::ccorr),
                         "match_template: the template must fit inside the image (or, as OpenCV allows, the image "
                         "inside the template); got 'image' 20x30 and 'templ' 25x3",
                         Error);
    CHECK_THROWS_WITH_AS((void)match_template(img, empty, MatchMethod::ccorr),
                         "match_template: argument 'templ' is empty (0x0)", Error);
    CHECK_THROWS_AS((void)match_template(img, t, static_cast<MatchMethod>(6)), Error);
    const std::vector<ImageView<const float>> two{img.view(), img.view()}, one{t.view()};
    CHECK_THROWS_WITH_AS((void)match_template<float>(std::span<const ImageView<const float>>(two),
                                                     std::span<const ImageView<const float>>(one), MatchMethod::ccorr),
                         "match_template: 'image' has 2 channels, 'templ' has 1", Error);
}

TEST_CASE("find_peaks: known positions, suppression, minima, NaN") {
    // Gaussian blobs of different heights at known places.
    Image<float> s(60, 80);
    const struct {
        int r, c;
        float h;
    } blobs[] = {{10, 10, 5}, {12, 14, 4}, {40, 60, 3}, {50, 20, 2}};
    for (const auto& b : blobs)
        for (int r = 0; r < 60; ++r)
            for (int c = 0; c < 80; ++c)
                s(r, c) += b.h * std::exp(-((r - b.r) * (r - b.r) + (c - b.c) * (c - b.c)) / 4.0f);

    // min_distance 8 suppresses the blob at (12, 14) next to the higher one at (10, 10).
    const std::vector<Peak> p = find_peaks(s, 10, 8);
    REQUIRE(p.size() >= 3);
    CHECK((p[0].row == 10 && p[0].col == 10));
    CHECK((p[1].row == 40 && p[1].col == 60));
    CHECK((p[2].row == 50 && p[2].col == 20));
    CHECK(p[0].score > p[1].score);
    for (std::size_t i = 0; i < p.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            CHECK((std::abs(p[i].row - p[j].row) > 8 || std::abs(p[i].col - p[j].col) > 8));

    // With a small distance the close blob is found too.
    const std::vector<Peak> q = find_peaks(s, 4, 2);
    REQUIRE(q.size() == 4);
    CHECK((q[0].row == 10 && q[0].col == 10));
    CHECK((q[1].row == 12 && q[1].col == 14));
    CHECK(find_peaks(s, 2, 0).size() == 2);

    // Minima, for the sqdiff methods; NaN never wins.
    Image<double> d(5, 5, 1.0);
    d(3, 1) = -2;
    d(0, 4) = std::nan("");
    const std::vector<Peak> lo = find_peaks(d, 1, 1, true);
    REQUIRE(lo.size() == 1);
    CHECK((lo[0].row == 3 && lo[0].col == 1 && lo[0].score == -2));
    CHECK(find_peaks(d, 100, 0).size() == 24);
    CHECK_THROWS_AS((void)find_peaks(d, 1, -1), Error);
}

TEST_CASE("find_peaks equals greedy suppression over every score sorted, ties in row-major order") {
    // Scores quantised to a few levels, so ties are everywhere; smooth bumps, so the neighbours of a
    // peak are high too, as in a real score map. The reference sorts every score (stable, row-major
    // within a level) and walks the whole order.
    const auto reference = [](const Image<float>& s, std::size_t count, std::ptrdiff_t d, bool lowest) {
        std::vector<std::ptrdiff_t> order;
        for (std::ptrdiff_t i = 0; i < s.size(); ++i)
            if (!std::isnan(s.values()[i])) order.push_back(i);
        std::stable_sort(order.begin(), order.end(), [&](std::ptrdiff_t a, std::ptrdiff_t b) {
            return lowest ? s.values()[a] < s.values()[b] : s.values()[a] > s.values()[b];
        });
        std::vector<Peak> peaks;
        for (std::ptrdiff_t i : order) {
            if (peaks.size() >= count) break;
            const std::ptrdiff_t r = i / s.cols(), c = i % s.cols();
            bool near = false;
            for (const Peak& p : peaks) near = near || (std::abs(p.row - r) <= d && std::abs(p.col - c) <= d);
            if (!near) peaks.push_back({r, c, s.values()[i]});
        }
        return peaks;
    };
    Image<float> s(97, 131);
    for (std::ptrdiff_t r = 0; r < s.rows(); ++r)
        for (std::ptrdiff_t c = 0; c < s.cols(); ++c)
            s(r, c) = std::round(8 * std::sin(0.21 * static_cast<double>(r)) * std::cos(0.13 * static_cast<double>(c)) +
                                 static_cast<double>((r * 7 + c * 3) % 5)) /
                      4;
    s(40, 40) = NAN;
    for (const bool lowest : {false, true})
        for (const std::ptrdiff_t d : {0, 1, 3, 10})
            for (const std::size_t count : {std::size_t{1}, std::size_t{4}, std::size_t{25}, std::size_t{100000}}) {
                CAPTURE(lowest);
                CAPTURE(d);
                CAPTURE(count);
                const std::vector<Peak> got = find_peaks(s, count, d, lowest);
                const std::vector<Peak> want = reference(s, count, d, lowest);
                REQUIRE(got.size() == want.size());
                for (std::size_t i = 0; i < got.size(); ++i) {
                    CHECK(got[i].row == want[i].row);
                    CHECK(got[i].col == want[i].col);
                    CHECK(got[i].score == want[i].score);
                }
            }
}
