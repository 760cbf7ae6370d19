// Runs fftconv on cases read from stdin, for tests/scipy_check.py to compare with scipy.
// Input, per case: OP MODE METHOD DTYPE NDIM AROWS ACOLS BROWS BCOLS, then a's and b's values
// (complex values as re im). OP is convolve or correlate (MODE full, same or valid), or
// gaussian:BORDER with MODE the sigma and no b. Output, one line per case: "ok ROWS COLS
// values..." or "error MESSAGE".
#include <complex>
#include <cstdio>
#include <iostream>
#include <string>
#include <type_traits>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

template <class T>
Image<T> read_image(long rows, long cols) {
    Image<T> img(rows, cols);
    for (T& v : img.values()) {
        if constexpr (is_complex_v<T>) {
            double re, im;
            std::cin >> re >> im;
            v = T(static_cast<real_t<T>>(re), static_cast<real_t<T>>(im));
        } else {
            double x;
            std::cin >> x;
            v = static_cast<T>(x);
        }
    }
    return img;
}

template <class T>
void run(const std::string& op, Mode mode, double sigma, Method method, int ndim, long ar, long ac, long br, long bc) {
    const Image<T> a = read_image<T>(ar, ac), b = read_image<T>(br, bc);
    const bool corr = op == "correlate";
    try {
        Image<T> out;
        if (op.starts_with("gaussian:")) {
            if constexpr (Real<T>) {
                const std::string b = op.substr(9);
                const Border border = b == "reflect"      ? Border::reflect
                                      : b == "mirror"     ? Border::reflect101
                                      : b == "nearest"    ? Border::replicate
                                      : b == "wrap"       ? Border::wrap
                                                          : Border::constant;
                out = gaussian_blur(a, sigma, border, method);
            }
        } else if (ndim == 1) {
            const auto sa = a.values(), sb = b.values();
            const std::vector<T> v = corr ? correlate<T>(sa, sb, mode, method) : convolve<T>(sa, sb, mode, method);
            out = Image<T>(ImageView<const T>(std::span<const T>(v)));
        } else {
            out = corr ? correlate(a, b, mode, method) : convolve(a, b, mode, method);
        }
        std::printf("ok %ld %ld", static_cast<long>(out.rows()), static_cast<long>(out.cols()));
        for (T v : out.values()) {
            if constexpr (is_complex_v<T>)
                std::printf(" %.17g %.17g", static_cast<double>(v.real()), static_cast<double>(v.imag()));
            else
                std::printf(" %.17g", static_cast<double>(v));
        }
        std::printf("\n");
    } catch (const Error& e) {
        std::printf("error %s\n", e.what());
    }
}

}  // namespace

int main() {
    std::string op, mode_s, method_s, dtype;
    int ndim;
    long ar, ac, br, bc;
    while (std::cin >> op >> mode_s >> method_s >> dtype >> ndim >> ar >> ac >> br >> bc) {
        const Mode mode = mode_s == "full" ? Mode::full : mode_s == "same" ? Mode::same : Mode::valid;
        const double sigma = op.starts_with("gaussian:") ? std::stod(mode_s) : 0.0;
        const Method method = method_s == "direct" ? Method::direct
                              : method_s == "fft"  ? Method::fft
                                                   : Method::automatic;
        if (dtype == "float32")
            run<float>(op, mode, sigma, method, ndim, ar, ac, br, bc);
        else if (dtype == "float64")
            run<double>(op, mode, sigma, method, ndim, ar, ac, br, bc);
        else if (dtype == "complex64")
            run<std::complex<float>>(op, mode, sigma, method, ndim, ar, ac, br, bc);
        else
            run<std::complex<double>>(op, mode, sigma, method, ndim, ar, ac, br, bc);
    }
    return 0;
}
