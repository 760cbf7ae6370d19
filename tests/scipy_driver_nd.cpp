// Runs fftconv's N-dimensional convolve / correlate and its bordered filters on cases read from
// stdin, for tests/scipy_check_nd.py (scipy.signal) and tests/scipy_check_ndimage.py
// (scipy.ndimage) to compare with scipy.
// Input, per case, one header line: OP MODE METHOD DTYPE RANK_A A... RANK_B B... NAXES AXES...
// (OP convolve or correlate; NAXES -1 for every axis, which passes no axes at all), or
// OP BORDER METHOD DTYPE RANK_A A... RANK_B B... -1 CVAL for OP filter (ndimage.correlate) or
// filter_convolve (ndimage.convolve), BORDER one of fftconv's names; then a's and b's values in
// row-major order (complex values as re im). Output, one line per case:
// "ok RANK SHAPE... values..." or "error MESSAGE".
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

// Axes has no constructor from a list known only at run time; the driver takes up to five.
Axes make_axes(const std::vector<int>& v) {
    switch (v.size()) {
        case 0: return Axes(std::initializer_list<int>{});
        case 1: return {v[0]};
        case 2: return {v[0], v[1]};
        case 3: return {v[0], v[1], v[2]};
        case 4: return {v[0], v[1], v[2], v[3]};
        default: return {v[0], v[1], v[2], v[3], v[4]};
    }
}

template <class T>
Array<T> read_array(const Extents& shape) {
    Array<T> x(shape);
    for (T& v : x.values()) {
        if constexpr (is_complex_v<T>) {
            double re, im;
            std::cin >> re >> im;
            v = T(static_cast<real_t<T>>(re), static_cast<real_t<T>>(im));
        } else {
            double d;
            std::cin >> d;
            v = static_cast<T>(d);
        }
    }
    return x;
}

// One case: what to compute, read from the header.
struct Case {
    std::string op;  // convolve, correlate, filter, filter_convolve
    Mode mode = Mode::full;
    Border border = Border::constant;
    double cval = 0;
    Method method = Method::automatic;
    Axes axes;
};

template <class T>
Array<T> compute(const Case& c, View<const T> a, View<const T> b) {
    if (c.op == "convolve") return convolve(a, b, c.mode, c.method, c.axes);
    if (c.op == "correlate") return correlate(a, b, c.mode, c.method, c.axes);
    const auto cval = static_cast<T>(static_cast<real_t<T>>(c.cval));
    if (c.op == "filter") return filter(a, b, c.border, cval, c.method);
    return filter_convolve(a, b, c.border, cval, c.method);
}

template <class T>
void run(const Case& c, const Extents& sa, const Extents& sb) {
    const Array<T> a = read_array<T>(sa), b = read_array<T>(sb);
    try {
        const Array<T> out = compute<T>(c, a.view(), b.view());
        std::printf("ok %d", out.rank());
        for (std::ptrdiff_t n : out.shape()) std::printf(" %td", n);
        // Enough digits to give each value back exactly: 9 for float, 17 for double.
        const int digits = std::is_same_v<real_t<T>, float> ? 9 : 17;
        for (const T& v : out.values()) {
            if constexpr (is_complex_v<T>)
                std::printf(" %.*g %.*g", digits, static_cast<double>(v.real()), digits, static_cast<double>(v.imag()));
            else
                std::printf(" %.*g", digits, static_cast<double>(v));
        }
        std::printf("\n");
    } catch (const Error& e) {
        std::printf("error %s\n", e.what());
    }
}

Extents read_shape() {
    int rank = 0;
    std::cin >> rank;
    std::vector<std::ptrdiff_t> n(static_cast<std::size_t>(rank));
    for (std::ptrdiff_t& v : n) std::cin >> v;
    return Extents(std::span<const std::ptrdiff_t>(n));
}

Border parse_border(const std::string& s) {
    for (Border b : {Border::constant, Border::replicate, Border::reflect, Border::reflect101, Border::wrap})
        if (s == to_string(b)) return b;
    std::fprintf(stderr, "scipy_driver_nd: unknown border '%s'\n", s.c_str());
    std::exit(2);
}

}  // namespace

int main() {
    Case c;
    std::string mode_s, method_s, dtype;
    while (std::cin >> c.op >> mode_s >> method_s >> dtype) {
        const Extents sa = read_shape(), sb = read_shape();
        int naxes = 0;
        std::cin >> naxes;
        std::vector<int> given(naxes < 0 ? 0 : static_cast<std::size_t>(naxes));
        for (int& a : given) std::cin >> a;
        c.axes = naxes < 0 ? Axes::all() : make_axes(given);
        if (c.op == "filter" || c.op == "filter_convolve") {
            c.border = parse_border(mode_s);
            std::cin >> c.cval;
        } else {
            c.mode = mode_s == "full" ? Mode::full : mode_s == "same" ? Mode::same : Mode::valid;
        }
        c.method = method_s == "direct" ? Method::direct : method_s == "fft" ? Method::fft : Method::automatic;
        if (dtype == "float32")
            run<float>(c, sa, sb);
        else if (dtype == "float64")
            run<double>(c, sa, sb);
        else if (dtype == "complex64")
            run<std::complex<float>>(c, sa, sb);
        else
            run<std::complex<double>>(c, sa, sb);
    }
    return 0;
}
