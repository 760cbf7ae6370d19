// A program outside the fftconv tree: built against an installed fftconv through pkg-config,
// Meson's dependency('fftconv') or CMake's find_package(fftconv), it checks one known answer and
// exits 0 when it matches.
#include <cmath>
#include <cstdio>
#include <fftconv/fftconv.hpp>
#include <vector>

int main() {
    const std::vector<double> f{0, 1, 2, -1, 3}, g{1, 1, 0};
    const std::vector<double> same = fftconv::convolve(f, g, fftconv::Mode::same, fftconv::Method::direct);
    fftconv::Convolver<double> plan(f.size(), g, fftconv::Mode::same, {.method = fftconv::Method::fft});
    const std::vector<double> planned = plan.apply(f);
    const std::vector<double> want{1, 3, 1, 2, 3};
    bool ok = same == want && planned.size() == want.size();
    for (std::size_t i = 0; ok && i < want.size(); ++i) ok = std::abs(planned[i] - want[i]) < 1e-12;
    std::printf("convolve(f, g, same) = [%g %g %g %g %g]: %s\n", same[0], same[1], same[2], same[3], same[4],
                ok ? "as expected" : "WRONG");
    return ok ? 0 : 1;
}
