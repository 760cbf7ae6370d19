// OpenCV's image filters and template matching, one 2D channel at a time (the package splits
// colour images into channel views and writes each channel's result into its place).
#include <pybind11/stl.h>

#include <tuple>

#include "numpy_views.hpp"

namespace fftconv_python {

namespace {

// The result written into `out` (a caller's array, dst= in OpenCV's words) by `into`, or made by
// `fresh` and handed over without a copy; the work runs with the GIL released.
template <class T, class Into, class Fresh>
py::array into_or_fresh(const std::optional<py::array>& out, std::optional<int> workers, Into into, Fresh fresh) {
    if (out) {
        const fftconv::ImageView<T> vo = mutable_image_of<T>(*out, "dst");
        {
            py::gil_scoped_release unlocked;
            const Workers scope(workers);
            into(vo);
        }
        return *out;
    }
    fftconv::Image<T> result;
    {
        py::gil_scoped_release unlocked;
        const Workers scope(workers);
        result = fresh();
    }
    return to_numpy(std::move(result));
}

py::array filter2d(const py::array& image, const py::array& kernel, int border, int method,
                   std::optional<py::array> out, std::optional<int> workers) {
    return with_real_type(common_type(image, kernel, "src and kernel"), "filter2d", [&](auto zero) {
        using T = decltype(zero);
        const auto src = image_of<T>(image, "src"), k = image_of<T>(kernel, "kernel");
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        return into_or_fresh<T>(
            out, workers, [&](fftconv::ImageView<T> o) { fftconv::filter2d<T>(src, o, k, b, how); },
            [&] { return fftconv::filter2d<T>(src, k, b, how); });
    });
}

py::array sep_filter2d(const py::array& image, const py::array& kx, const py::array& ky, int border, int method,
                       std::optional<py::array> out, std::optional<int> workers) {
    return with_real_type(common_type(image, kx, "src and kernelX"), "sep_filter2d", [&](auto zero) {
        using T = decltype(zero);
        if (element_type(ky.dtype()) != fftconv::element_type_v<T>)
            throw fftconv::InvalidArgument("src and kernelY have different dtypes");
        const auto src = image_of<T>(image, "src");
        const auto x = span_of<T>(kx, "kernelX"), y = span_of<T>(ky, "kernelY");
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        return into_or_fresh<T>(
            out, workers, [&](fftconv::ImageView<T> o) { fftconv::sep_filter2d<T>(src, o, x, y, b, how); },
            [&] { return fftconv::sep_filter2d<T>(src, x, y, b, how); });
    });
}

py::array gaussian_blur(const py::array& image, double sigma, int border, int method, double truncate,
                        std::optional<py::array> out, std::optional<int> workers) {
    return with_real_type(element_type(image.dtype()), "gaussian_blur", [&](auto zero) {
        using T = decltype(zero);
        const auto src = image_of<T>(image, "src");
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        return into_or_fresh<T>(
            out, workers, [&](fftconv::ImageView<T> o) { fftconv::gaussian_blur<T>(src, o, sigma, b, how, truncate); },
            [&] { return fftconv::gaussian_blur<T>(src, sigma, b, how, truncate); });
    });
}

py::array sobel(const py::array& image, int dx, int dy, int ksize, int border, int method, std::optional<py::array> out,
                std::optional<int> workers) {
    return with_real_type(element_type(image.dtype()), "sobel", [&](auto zero) {
        using T = decltype(zero);
        const auto src = image_of<T>(image, "src");
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        return into_or_fresh<T>(
            out, workers, [&](fftconv::ImageView<T> o) { fftconv::sobel<T>(src, o, dx, dy, ksize, b, how); },
            [&] { return fftconv::sobel<T>(src, dx, dy, ksize, b, how); });
    });
}

py::array frequency_filter(const py::array& image, double cutoff, int shape, int order, int border, int method,
                           bool high, std::optional<int> workers) {
    return with_real_type(element_type(image.dtype()), high ? "highpass" : "lowpass", [&](auto zero) {
        using T = decltype(zero);
        const auto src = image_of<T>(image, "image");
        const auto s = static_cast<fftconv::FilterShape>(shape);
        const auto b = static_cast<fftconv::Border>(border);
        const auto how = static_cast<fftconv::Method>(method);
        return into_or_fresh<T>(
            std::nullopt, workers, [](fftconv::ImageView<T>) {},
            [&] {
                return high ? fftconv::highpass<T>(src, cutoff, s, order, b, how)
                            : fftconv::lowpass<T>(src, cutoff, s, order, b, how);
            });
    });
}

py::array log_spectrum(const py::array& image, std::optional<int> workers) {
    return with_real_type(element_type(image.dtype()), "log_spectrum", [&](auto zero) {
        using T = decltype(zero);
        const auto src = image_of<T>(image, "image");
        return into_or_fresh<T>(
            std::nullopt, workers, [](fftconv::ImageView<T>) {}, [&] { return fftconv::log_spectrum<T>(src); });
    });
}

// One view per channel of the image and of the template (the sums run over the channels).
py::array match_template(const std::vector<py::array>& image, const std::vector<py::array>& templ, int method,
                         int conv_method, std::optional<int> workers) {
    if (image.empty() || templ.empty()) throw fftconv::InvalidArgument("match_template: no channels");
    return with_real_type(
        common_type(image.front(), templ.front(), "image and templ"), "match_template", [&](auto zero) {
            using T = decltype(zero);
            for (const py::array& c : image)
                if (element_type(c.dtype()) != fftconv::element_type_v<T>)
                    throw fftconv::InvalidArgument("image channels of different dtypes");
            for (const py::array& c : templ)
                if (element_type(c.dtype()) != fftconv::element_type_v<T>)
                    throw fftconv::InvalidArgument("templ channels of different dtypes");
            std::vector<fftconv::ImageView<const T>> iv, tv;
            for (const py::array& c : image) iv.push_back(image_of<T>(c, "image"));
            for (const py::array& c : templ) tv.push_back(image_of<T>(c, "templ"));
            const auto m = static_cast<fftconv::MatchMethod>(method);
            const auto how = static_cast<fftconv::Method>(conv_method);
            return into_or_fresh<T>(
                std::nullopt, workers, [](fftconv::ImageView<T>) {},
                [&] {
                    return fftconv::match_template<T>(std::span<const fftconv::ImageView<const T>>(iv),
                                                      std::span<const fftconv::ImageView<const T>>(tv), m, how);
                });
        });
}

std::vector<std::tuple<std::ptrdiff_t, std::ptrdiff_t, double>> find_peaks(const py::array& scores, std::size_t count,
                                                                           std::ptrdiff_t min_distance, bool lowest) {
    return with_real_type(element_type(scores.dtype()), "find_peaks", [&](auto zero) {
        using T = decltype(zero);
        const auto s = image_of<T>(scores, "scores");
        std::vector<fftconv::Peak> peaks;
        {
            py::gil_scoped_release unlocked;
            peaks = fftconv::find_peaks<T>(s, count, min_distance, lowest);
        }
        std::vector<std::tuple<std::ptrdiff_t, std::ptrdiff_t, double>> out;
        for (const fftconv::Peak& p : peaks) out.emplace_back(p.row, p.col, p.score);
        return out;
    });
}

}  // namespace

void bind_images(py::module_& m) {
    m.def("filter2d", &filter2d, py::arg("src"), py::arg("kernel"), py::arg("border"), py::arg("method"),
          py::arg("dst"), py::arg("workers"));
    m.def("sep_filter2d", &sep_filter2d, py::arg("src"), py::arg("kernel_x"), py::arg("kernel_y"), py::arg("border"),
          py::arg("method"), py::arg("dst"), py::arg("workers"));
    m.def("gaussian_blur", &gaussian_blur, py::arg("src"), py::arg("sigma"), py::arg("border"), py::arg("method"),
          py::arg("truncate"), py::arg("dst"), py::arg("workers"));
    m.def("sobel", &sobel, py::arg("src"), py::arg("dx"), py::arg("dy"), py::arg("ksize"), py::arg("border"),
          py::arg("method"), py::arg("dst"), py::arg("workers"));
    m.def("frequency_filter", &frequency_filter, py::arg("image"), py::arg("cutoff"), py::arg("shape"),
          py::arg("order"), py::arg("border"), py::arg("method"), py::arg("high"), py::arg("workers"));
    m.def("log_spectrum", &log_spectrum, py::arg("image"), py::arg("workers"));
    m.def("match_template", &match_template, py::arg("image"), py::arg("templ"), py::arg("method"),
          py::arg("conv_method"), py::arg("workers"));
    m.def("find_peaks", &find_peaks, py::arg("scores"), py::arg("count"), py::arg("min_distance"), py::arg("lowest"));
}

}  // namespace fftconv_python
