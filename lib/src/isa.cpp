#include "isa.hpp"

#include <complex>
#include <cstdlib>
#include <cstring>

namespace fftconv::detail {

namespace {

bool use_avx2() {
#if defined(FFTCONV_HAVE_AVX2)
    const char* forced = std::getenv("FFTCONV_ISA");
    if (forced && std::strcmp(forced, "generic") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool avx2_chosen() {
    static const bool chosen = use_avx2();
    return chosen;
}

}  // namespace

template <class T>
const Kernels<T>& kernels() {
#if defined(FFTCONV_HAVE_AVX2)
    static const Kernels<T> k = avx2_chosen() ? isa_avx2::table<T>() : isa_generic::table<T>();
#else
    static const Kernels<T> k = isa_generic::table<T>();
#endif
    return k;
}

const char* kernels_isa() {
    return avx2_chosen() ? "avx2+fma" : "generic";
}

template const Kernels<float>& kernels<float>();
template const Kernels<double>& kernels<double>();
template const Kernels<std::complex<float>>& kernels<std::complex<float>>();
template const Kernels<std::complex<double>>& kernels<std::complex<double>>();

}  // namespace fftconv::detail
