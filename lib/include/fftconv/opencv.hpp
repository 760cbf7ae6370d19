// Header-only bridge between OpenCV's cv::Mat and fftconv's Image / ImageView, so that OpenCV
// users call fftconv in one line:
//
//     cv::Mat blurred = fftconv::per_channel(photo, [](const auto& c) { return fftconv::gaussian_blur<float>(c, 2.5);
//     });
//
// The only fftconv header that includes OpenCV; the library itself never does. Values keep their
// range: an 8-bit 255 becomes 255.0f, not 1.0f.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

namespace detail {
template <Real T>
constexpr int cv_depth() {
    return std::is_same_v<T, float> ? CV_32F : CV_64F;
}
}  // namespace detail

/// A view of a single-channel CV_32F (T = float) or CV_64F (T = double) Mat's pixels, no copy;
/// any row step (ROIs included).  @throws Error  for another type or channel count, naming it
/// as OpenCV does ("got CV_8UC3").
template <Real T>
[[nodiscard]] ImageView<const T> view_of(const cv::Mat& m) {
    if (m.type() != CV_MAKETYPE(detail::cv_depth<T>(), 1))
        throw InvalidArgument("view_of: the Mat must be " +
                              std::string(std::is_same_v<T, float> ? "CV_32FC1" : "CV_64FC1") + ", got " +
                              cv::typeToString(m.type()));
    return {m.ptr<T>(), m.rows, m.cols, static_cast<std::ptrdiff_t>(m.step1())};
}

/// Every channel of a Mat of any depth (8U, 8S, 16U, 16S, 32S, 32F, 64F) as its own image.
template <Real T = float>
[[nodiscard]] std::vector<Image<T>> to_planes(const cv::Mat& m) {
    if (m.dims > 2)
        throw InvalidArgument("to_planes: the Mat has " + std::to_string(m.dims) + " dimensions, expected 2");
    // Row by row through one converted row, so that only the planes are new memory (a whole
    // converted Mat would add their size again, in fresh pages).
    const int cn = m.channels();
    std::vector<Image<T>> planes;
    for (int k = 0; k < cn; ++k) planes.emplace_back(m.rows, m.cols);
    cv::Mat row;
    for (int r = 0; r < m.rows; ++r) {
        m.row(r).convertTo(row, detail::cv_depth<T>());
        const T* src = row.ptr<T>();
        for (int k = 0; k < cn; ++k) {
            T* dst = planes[static_cast<std::size_t>(k)].data() + static_cast<std::ptrdiff_t>(r) * m.cols;
            for (int c = 0; c < m.cols; ++c) dst[c] = src[c * cn + k];
        }
    }
    return planes;
}

/// A single-channel Mat of any depth as an image.  @throws Error  for more than one channel.
template <Real T = float>
[[nodiscard]] Image<T> to_image(const cv::Mat& m) {
    if (m.channels() != 1)
        throw InvalidArgument("to_image: the Mat has " + std::to_string(m.channels()) + " channels; use to_planes");
    return std::move(to_planes<T>(m).front());
}

/// A CV_32F (float) or CV_64F (double) single-channel Mat holding a copy of the view.
template <Real T>
[[nodiscard]] cv::Mat to_mat(ImageView<const T> v) {
    cv::Mat m(static_cast<int>(v.rows), static_cast<int>(v.cols), detail::cv_depth<T>());
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c) m.at<T>(r, c) = v(r, c);
    return m;
}
template <Real T>
[[nodiscard]] cv::Mat to_mat(const Image<T>& image) {
    return to_mat(image.view());
}

/// Channels of equal shape merged into one multi-channel CV_32F / CV_64F Mat.
/// @throws Error  no planes, or planes of different shapes.
template <Real T>
[[nodiscard]] cv::Mat to_mat(const std::vector<Image<T>>& planes) {
    if (planes.empty()) throw InvalidArgument("to_mat: no planes");
    for (const Image<T>& p : planes)
        if (p.shape() != planes.front().shape())
            throw InvalidArgument("to_mat: planes differ in shape: " + to_string(p.shape()) + " and " +
                                  to_string(planes.front().shape()));
    const int cn = static_cast<int>(planes.size());
    const Shape shape = planes.front().shape();
    // Interleaved straight from the planes: no single-channel copies to merge.
    cv::Mat merged(static_cast<int>(shape.rows), static_cast<int>(shape.cols), CV_MAKETYPE(detail::cv_depth<T>(), cn));
    for (int r = 0; r < merged.rows; ++r) {
        T* dst = merged.ptr<T>(r);
        for (int k = 0; k < cn; ++k) {
            const T* src = planes[static_cast<std::size_t>(k)].data() + static_cast<std::ptrdiff_t>(r) * merged.cols;
            for (int c = 0; c < merged.cols; ++c) dst[c * cn + k] = src[c];
        }
    }
    return merged;
}

/// f(channel) for every channel of m, as Image<float>; the results merged into a CV_32F Mat with
/// m's channel count. f returns an Image<float> (any size, the same for every channel).
template <class F>
[[nodiscard]] cv::Mat per_channel(const cv::Mat& m, F&& f) {
    std::vector<Image<float>> out;
    for (const Image<float>& plane : to_planes<float>(m)) out.push_back(f(plane.view()));
    return to_mat(out);
}

}  // namespace fftconv
