// opencv.hpp: cv::Mat <-> Image / ImageView conversions keep values, shapes and channels.
#include <doctest/doctest.h>

#include <opencv2/core.hpp>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"

using namespace fftconv;

TEST_CASE("to_planes: any depth, values kept, one plane per channel") {
    cv::Mat bgr(2, 3, CV_8UC3);
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c) bgr.at<cv::Vec3b>(r, c) = cv::Vec3b(uchar(r), uchar(10 * c), 255);
    const std::vector<Image<float>> p = to_planes(bgr);
    REQUIRE(p.size() == 3);
    CHECK(p[0].shape() == Shape{2, 3});
    CHECK(p[0](1, 2) == 1.0f);
    CHECK(p[1](1, 2) == 20.0f);
    CHECK(p[2](0, 0) == 255.0f);

    cv::Mat u16(1, 2, CV_16U, cv::Scalar(65535));
    CHECK(to_image<double>(u16)(0, 1) == 65535.0);
    cv::Mat s16(1, 1, CV_16S, cv::Scalar(-7));
    CHECK(to_image(s16)(0, 0) == -7.0f);
    CHECK_THROWS_WITH_AS((void)to_image(bgr), "to_image: the Mat has 3 channels; use to_planes", Error);
}

TEST_CASE("view_of: no copy, ROIs keep their row step") {
    cv::Mat m(6, 8, CV_32F);
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 8; ++c) m.at<float>(r, c) = static_cast<float>(10 * r + c);
    const cv::Mat roi = m(cv::Rect(2, 1, 3, 4));
    const ImageView<const float> v = view_of<float>(roi);
    CHECK(v.shape() == Shape{4, 3});
    CHECK(v.row_stride == 8);
    CHECK(v(3, 2) == 44.0f);
    CHECK(v.data == roi.ptr<float>());
    CHECK_THROWS_WITH_AS((void)view_of<double>(m), "view_of: the Mat must be CV_64FC1, got CV_32FC1", Error);
    CHECK_THROWS_WITH_AS((void)view_of<float>(cv::Mat(2, 2, CV_8UC1)), "view_of: the Mat must be CV_32FC1, got CV_8UC1",
                         Error);
    CHECK_THROWS_WITH_AS((void)view_of<float>(cv::Mat(2, 2, CV_32FC3)),
                         "view_of: the Mat must be CV_32FC1, got CV_32FC3", Error);
}

TEST_CASE("to_mat round-trips single images and merges planes") {
    Image<double> img{{1.5, -2}, {3, 4}};
    const cv::Mat m = to_mat(img);
    CHECK(m.type() == CV_64FC1);
    CHECK(m.at<double>(1, 0) == 3.0);
    CHECK(to_image<double>(m) == img);
    const cv::Mat merged = to_mat(std::vector<Image<float>>{Image<float>(2, 2, 1.0f), Image<float>(2, 2, 2.0f)});
    CHECK(merged.type() == CV_32FC2);
    CHECK(merged.at<cv::Vec2f>(1, 1)[1] == 2.0f);
    CHECK_THROWS_AS((void)to_mat(std::vector<Image<float>>{Image<float>(2, 2), Image<float>(2, 3)}), Error);
}

TEST_CASE("per_channel: one line for OpenCV users") {
    cv::Mat bgr(4, 5, CV_8UC3, cv::Scalar(10, 20, 30));
    const cv::Mat out = per_channel(bgr, [](ImageView<const float> c) { return gaussian_blur<float>(c, 1.0); });
    CHECK(out.type() == CV_32FC3);
    CHECK(out.at<cv::Vec3f>(2, 2)[2] == doctest::Approx(30.0f));  // blurring a constant keeps it

    // The README's line, verbatim.
    const cv::Mat photo = bgr;
    cv::Mat soft = fftconv::per_channel(photo, [](auto c) { return fftconv::gaussian_blur<float>(c, 2.5); });
    CHECK(soft.size() == photo.size());
}
