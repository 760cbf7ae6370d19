// The W7 volume convolution in a process of its own: 256x256x256 float32 random input with a
// 31x31x31 random kernel, Mode::same, one thread. It makes the data, then times the calls and
// prints one line per call with the page faults the call took (getrusage):
//
//   convolve 1 seconds 0.8123 minflt 59520 majflt 0
//
//   volume_once                one fftconv::convolve call (what a one-shot program pays)
//   volume_once --calls N      N calls in a row in the same process
//   volume_once --convolver    a Convolver (estimate plans) built once, then --calls applies into
//                              one kept output: line 0 is the construction
//   volume_once --raw-fftw     the same convolution written straight against FFTW (see raw_fftw)
//   volume_once --pad P        its cube's side (default 280, what fftconv pads 256 with 31 to)
//   volume_once --size N --kernel K   another cube (default 256 and 31)
//
// volume_peers.py runs it in a fresh process per measurement, beside scipy's.
#include <fftw3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "fftconv/fftconv.hpp"
#include "one_call.hpp"
#include "spectrum_product.hpp"

using namespace fftconv;

namespace {

void print(const char* what, int call, const CallSample& s) {
    std::printf("%s %d seconds %.6f minflt %ld majflt %ld\n", what, call, s.seconds, s.minflt, s.majflt);
    std::fflush(stdout);
}

// The bound in a process of its own: FFTW's 3D r2c and c2r on a pad x pad x pad cube, planned with
// FFTW_MEASURE before the clock starts (the planner writes the buffers, so they are resident, as
// in a program that keeps them). Each timed call zero-pads and transforms the kernel and the
// input, multiplies the spectra, transforms back and copies the same-mode window, scaled by
// 1/pad³, into a new Array (fresh pages, as fftconv's one-shot result).
void raw_fftw(const Array<float>& input, const Array<float>& kernel, std::ptrdiff_t pad, int calls) {
    const std::ptrdiff_t n = input.shape()[0], k = kernel.shape()[0], offset = (k - 1) / 2;
    if (pad < n + k - 1 - offset) throw std::invalid_argument("--pad is shorter than the same-mode window needs");
    const auto p = static_cast<std::size_t>(pad);
    const std::size_t count = p * p * p, half = p * p * (p / 2 + 1);
    float* real = fftwf_alloc_real(count);
    fftwf_complex* spec = fftwf_alloc_complex(half);
    fftwf_complex* kspec = fftwf_alloc_complex(half);
    if (real == nullptr || spec == nullptr || kspec == nullptr) throw std::bad_alloc();
    const int d[3] = {static_cast<int>(pad), static_cast<int>(pad), static_cast<int>(pad)};
    const auto t0 = std::chrono::steady_clock::now();
    fftwf_plan fwd = fftwf_plan_dft_r2c(3, d, real, spec, FFTW_MEASURE | FFTW_DESTROY_INPUT);
    fftwf_plan kfwd = fftwf_plan_dft_r2c(3, d, real, kspec, FFTW_MEASURE | FFTW_DESTROY_INPUT);
    fftwf_plan inv = fftwf_plan_dft_c2r(3, d, spec, real, FFTW_MEASURE | FFTW_DESTROY_INPUT);
    std::fprintf(stderr, "raw FFTW %ldx%ldx%ld: FFTW_MEASURE planning %.1f s\n", static_cast<long>(pad),
                 static_cast<long>(pad), static_cast<long>(pad),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const auto load = [&](const Array<float>& a) {
        const std::ptrdiff_t m = a.shape()[0];
        const float* from = a.values().data();
        for (std::ptrdiff_t i = 0; i < pad; ++i)
            for (std::ptrdiff_t j = 0; j < pad; ++j) {
                float* line = real + (i * pad + j) * pad;
                if (i < m && j < m) {
                    std::copy_n(from + (i * m + j) * m, m, line);
                    std::fill(line + m, line + pad, 0.0f);
                } else {
                    std::fill_n(line, pad, 0.0f);
                }
            }
    };
    for (int c = 1; c <= calls; ++c) {
        Array<float> out;
        print("raw-fftw", c, measure_call([&] {
                  load(kernel);
                  fftwf_execute(kfwd);
                  load(input);
                  fftwf_execute(fwd);
                  multiply_spectrum(reinterpret_cast<float*>(spec), reinterpret_cast<const float*>(kspec), half);
                  fftwf_execute(inv);
                  out = Array<float>(input.shape());
                  const float scale = 1.0f / static_cast<float>(count);
                  float* to = out.values().data();
                  for (std::ptrdiff_t i = 0; i < n; ++i)
                      for (std::ptrdiff_t j = 0; j < n; ++j) {
                          const float* line = real + ((i + offset) * pad + j + offset) * pad + offset;
                          for (std::ptrdiff_t x = 0; x < n; ++x) to[(i * n + j) * n + x] = line[x] * scale;
                      }
              }));
    }
    fftwf_destroy_plan(fwd);
    fftwf_destroy_plan(kfwd);
    fftwf_destroy_plan(inv);
    fftwf_free(real);
    fftwf_free(spec);
    fftwf_free(kspec);
}

}  // namespace

int main(int argc, char** argv) {
    int calls = 1;
    bool convolver = false, raw = false;
    std::ptrdiff_t size = 256, ksize = 31, pad = 280;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--calls" && i + 1 < argc)
            calls = std::atoi(argv[++i]);
        else if (a == "--convolver")
            convolver = true;
        else if (a == "--raw-fftw")
            raw = true;
        else if (a == "--pad" && i + 1 < argc)
            pad = std::atol(argv[++i]);
        else if (a == "--size" && i + 1 < argc)
            size = std::atol(argv[++i]);
        else if (a == "--kernel" && i + 1 < argc)
            ksize = std::atol(argv[++i]);
        else {
            std::fprintf(stderr, "volume_once: unknown argument '%s'\n", a.c_str());
            return 2;
        }
    }
    if (calls < 1 || size < 1 || ksize < 1 || pad < 1) {
        std::fprintf(stderr, "volume_once: --calls, --size, --kernel and --pad take positive numbers\n");
        return 2;
    }
    try {
        set_threads(1);
        const Array<float> input = random_array<float>({size, size, size}, 7);
        const Array<float> kernel = random_array<float>({ksize, ksize, ksize}, 8);
        if (raw) {
            raw_fftw(input, kernel, pad, calls);
            return 0;
        }
        if (!convolver) {
            for (int c = 1; c <= calls; ++c) {
                Array<float> out;
                print("convolve", c, measure_call([&] { out = convolve(input, kernel, Mode::same); }));
            }
            return 0;
        }
        std::optional<Convolver<float>> plan;
        print("convolver-build", 0, measure_call([&] { plan.emplace(input.shape(), kernel.view(), Mode::same); }));
        Array<float> out(input.shape());
        for (int c = 1; c <= calls; ++c)
            print("convolver-apply", c, measure_call([&] { plan->apply(input.view(), out.view()); }));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "volume_once: %s\n", e.what());
        return 1;
    }
    return 0;
}
