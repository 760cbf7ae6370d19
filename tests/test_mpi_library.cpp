// <fftconv/mpi.hpp> under mpirun (meson runs it on 1 to 4 ranks): every rank runs every case, the
// collective calls in the same order. Each rank generates the same arrays, computes the whole
// result in memory by the direct method, and checks its own rows of the distributed one:
// the distributed FFT within fft_error_bound, the distributed low-pass against lowpass in
// memory, the halo bit for bit, and the cost model's arithmetic and choices.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <mpi.h>

#include <cmath>
#include <complex>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fftconv/convolve.hpp"
#include "fftconv/filters.hpp"
#include "fftconv/mpi.hpp"
#include "fftconv/out_of_core.hpp"

using fftconv::Array;
using fftconv::Border;
using fftconv::Extents;
using fftconv::Mode;
using fftconv::View;
namespace mpi = fftconv::mpi;

namespace {

int ranks() {
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

template <class T>
Array<T> random_array(const Extents& shape, unsigned seed, double lo = -1, double hi = 1) {
    Array<T> a(shape);
    std::mt19937 g(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    for (auto& v : a.values()) v = T(u(g));
    return a;
}

template <class T>
double max_abs(const Array<T>& a) {
    double m = 0;
    for (const T& v : a.values()) m = std::max(m, std::abs(static_cast<double>(v)));
    return m;
}

// The in-memory result by the direct method: scipy.signal's modes, or a same-size filter.
template <class T>
Array<T> whole(const Array<T>& x, const Array<T>& k, const fftconv::OutOfCoreOptions& o) {
    using fftconv::Method;
    if (o.border)
        return o.correlate ? fftconv::filter<T>(x.view(), k.view(), *o.border, T(o.cval), Method::direct)
                           : fftconv::filter_convolve<T>(x.view(), k.view(), *o.border, T(o.cval), Method::direct);
    return o.correlate ? fftconv::correlate<T>(x.view(), k.view(), o.mode, Method::direct)
                       : fftconv::convolve<T>(x.view(), k.view(), o.mode, Method::direct);
}

// The largest difference on the rows [first, first + count) of two arrays of one shape.
template <class T>
double max_difference(const Array<T>& a, const Array<T>& b, mpi::Slab rows) {
    std::ptrdiff_t row = 1;
    for (int i = 1; i < a.shape().rank(); ++i) row *= a.shape()[i];
    double m = 0;
    for (std::ptrdiff_t i = rows.first * row; i < (rows.first + rows.count) * row; ++i) {
        const double d = std::abs(static_cast<double>(a.values()[static_cast<std::size_t>(i)]) -
                                  static_cast<double>(b.values()[static_cast<std::size_t>(i)]));
        m = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(m, d);
    }
    return m;
}

// Every output row is written by exactly one rank: the ranks' output slabs tile the output.
void check_rows_tile(mpi::Slab mine, std::ptrdiff_t rows) {
    const long long own[2] = {mine.first, mine.count};
    std::vector<long long> all(static_cast<std::size_t>(2 * ranks()));
    MPI_Allgather(own, 2, MPI_LONG_LONG, all.data(), 2, MPI_LONG_LONG, MPI_COMM_WORLD);
    long long next = 0;
    for (int r = 0; r < ranks(); ++r) {
        if (all[static_cast<std::size_t>(2 * r + 1)] == 0) continue;
        CHECK(all[static_cast<std::size_t>(2 * r)] == next);
        next += all[static_cast<std::size_t>(2 * r + 1)];
    }
    CHECK(next == rows);
}

template <class T>
void check_fft(const Extents& shape, const Extents& kshape, const fftconv::OutOfCoreOptions& o, unsigned seed) {
    const Array<T> x = random_array<T>(shape, seed), k = random_array<T>(kshape, seed + 1);
    const Array<T> expected = whole(x, k, o);
    Array<T> got(expected.shape());
    fftconv::ViewReader<T> reader(x.view());
    fftconv::ViewWriter<T> writer(got.view());
    const mpi::DistributedPlan d =
        mpi::convolve_distributed<T>(MPI_COMM_WORLD, reader, k.view(), writer, o, mpi::Distribution::fft);
    CHECK(d.distribution == mpi::Distribution::fft);
    check_rows_tile(d.output, expected.shape()[0]);
    // The FFT's bound, with the constant border's value counted as part of the input.
    const double bound = fftconv::fft_error_bound(shape, kshape, Mode::valid, fftconv::element_type_v<T>) *
                         std::max(max_abs(x), std::abs(o.cval)) * max_abs(k) * static_cast<double>(k.size());
    CHECK(max_difference(got, expected, d.output) <= bound);
}

}  // namespace

TEST_CASE_TEMPLATE("distributed FFT equals the direct sum within fft_error_bound: modes, borders, correlate", T, float,
                   double) {
    fftconv::OutOfCoreOptions o;
    unsigned seed = 10;
    for (const Border b :
         {Border::reflect, Border::wrap, Border::constant, Border::nearest, Border::mirror, Border::reflect101}) {
        for (const bool correlate : {false, true}) {
            CAPTURE(static_cast<int>(b));
            CAPTURE(correlate);
            o = {};
            o.border = b;
            o.cval = b == Border::constant ? 0.5 : 0;
            o.correlate = correlate;
            check_fft<T>({103, 77}, {41, 6}, o, ++seed);
        }
    }
    for (const Mode m : {Mode::full, Mode::same, Mode::valid}) {
        CAPTURE(static_cast<int>(m));
        o = {};
        o.mode = m;
        check_fft<T>({103, 77}, {4, 6}, o, ++seed);
        o.correlate = true;
        check_fft<T>({61, 10}, {3, 7}, o, ++seed);
    }
}

TEST_CASE("distributed FFT on awkward shapes: a 1x1 kernel, a kernel larger than the array, one column, 3D") {
    fftconv::OutOfCoreOptions o;
    o.border = Border::wrap;
    check_fft<double>({103, 77}, {1, 1}, o, 31);
    check_fft<float>({5, 1}, {3, 1}, o, 32);
    o = {};
    o.mode = Mode::full;
    check_fft<float>({23, 17}, {150, 90}, o, 33);
    o = {};
    o.border = Border::reflect;
    check_fft<float>({23, 17}, {61, 45}, o, 34);
    check_fft<double>({19, 13, 9}, {5, 4, 3}, o, 35);
    o = {};
    o.mode = Mode::valid;
    o.correlate = true;
    check_fft<double>({19, 13, 9}, {5, 4, 3}, o, 36);
}

TEST_CASE("distributed FFT with a border: no negative output from a non-negative kernel and input") {
    const Array<float> x = random_array<float>({64, 48}, 40, 0, 1);
    Array<float> k = random_array<float>({9, 9}, 41, 0, 1);
    // Mostly zeros, with values 1e-6 of the rest: outputs near 0 that the FFT's rounding could push below.
    Array<float> y(x.shape());
    for (std::ptrdiff_t i = 0; i < x.size(); ++i)
        y.values()[static_cast<std::size_t>(i)] = i % 7 ? 0.0f : x.values()[static_cast<std::size_t>(i)] * 1e-6f;
    fftconv::OutOfCoreOptions o;
    o.border = Border::constant;
    Array<float> got(y.shape());
    fftconv::ViewReader<float> reader(y.view());
    fftconv::ViewWriter<float> writer(got.view());
    const mpi::DistributedPlan d =
        mpi::convolve_distributed<float>(MPI_COMM_WORLD, reader, k.view(), writer, o, mpi::Distribution::fft);
    for (std::ptrdiff_t i = d.output.first * 48; i < (d.output.first + d.output.count) * 48; ++i)
        CHECK(got.values()[static_cast<std::size_t>(i)] >= 0.0f);
}

TEST_CASE("distributed FFT refusals reach every rank with one message") {
    const Array<float> x = random_array<float>({40, 30}, 50), k = random_array<float>({3, 3}, 51);
    Array<float> out(Extents{40, 30});
    fftconv::ViewReader<float> reader(x.view());
    fftconv::ViewWriter<float> writer(out.view());
    fftconv::OutOfCoreOptions o;
    o.border = Border::reflect;
    o.method = fftconv::Method::direct;
    CHECK_THROWS_WITH_AS(
        mpi::convolve_distributed<float>(MPI_COMM_WORLD, reader, k.view(), writer, o, mpi::Distribution::fft),
        doctest::Contains("Distribution::fft with Method::direct"), fftconv::Error);
    o.method = fftconv::Method::automatic;
    o.memory = 1000;
    CHECK_THROWS_WITH_AS(
        mpi::convolve_distributed<float>(MPI_COMM_WORLD, reader, k.view(), writer, o, mpi::Distribution::fft),
        doctest::Contains("more than the memory bound (1.0 kB)"), fftconv::Error);
    o.memory = 0;
    // NaN in one rank's rows: refused everywhere when the FFT was asked for...
    Array<float> y = x;
    y.values()[35 * 30 + 4] = std::numeric_limits<float>::quiet_NaN();
    fftconv::ViewReader<float> nan_reader(y.view());
    CHECK_THROWS_WITH_AS(
        mpi::convolve_distributed<float>(MPI_COMM_WORLD, nan_reader, k.view(), writer, o, mpi::Distribution::fft),
        doctest::Contains("NaN or Inf"), fftconv::Error);
    // ...and a 1D array has no distributed real FFT.
    const Array<float> line = random_array<float>({100}, 52), k1 = random_array<float>({5}, 53);
    Array<float> line_out(Extents{100});
    fftconv::ViewReader<float> line_reader(line.view());
    fftconv::ViewWriter<float> line_writer(line_out.view());
    CHECK_THROWS_WITH_AS(mpi::convolve_distributed<float>(MPI_COMM_WORLD, line_reader, k1.view(), line_writer, o,
                                                          mpi::Distribution::fft),
                         doctest::Contains("2 or more axes"), fftconv::Error);
    // Automatic takes the halo for it, bit for bit the in-memory direct result.
    o.method = fftconv::Method::direct;
    const mpi::DistributedPlan d =
        mpi::convolve_distributed<float>(MPI_COMM_WORLD, line_reader, k1.view(), line_writer, o);
    CHECK(d.distribution == mpi::Distribution::halo);
    const Array<float> expected =
        fftconv::filter_convolve<float>(line.view(), k1.view(), Border::reflect, 0.0f, fftconv::Method::direct);
    CHECK(max_difference(line_out, expected, d.output) == 0);
}

TEST_CASE_TEMPLATE("distributed low-pass and high-pass equal lowpass / highpass in memory", T, float, double) {
    using fftconv::FilterShape;
    struct Case {
        Extents shape;
        double cutoff;
        FilterShape kind;
        int order;
        Border border;
        bool high;
    };
    const Case cases[] = {
        {{97, 131}, 0.1, FilterShape::gaussian, 2, Border::reflect, false},
        {{64, 64}, 0.2, FilterShape::ideal, 2, Border::wrap, false},
        {{50, 33}, 0.05, FilterShape::butterworth, 3, Border::mirror, true},
        {{7, 1}, 0.5, FilterShape::gaussian, 2, Border::nearest, true},
        {{1, 9}, 0.3, FilterShape::butterworth, 1, Border::constant, false},
    };
    unsigned seed = 60;
    for (const Case& c : cases) {
        CAPTURE(fftconv::to_string(c.shape));
        const Array<T> x = random_array<T>(c.shape, ++seed, 0, 255);
        const fftconv::Image<T> expected =
            c.high ? fftconv::highpass<T>(x.view().image(), c.cutoff, c.kind, c.order, c.border)
                   : fftconv::lowpass<T>(x.view().image(), c.cutoff, c.kind, c.order, c.border);
        Array<T> got(c.shape);
        fftconv::ViewReader<T> reader(x.view());
        fftconv::ViewWriter<T> writer(got.view());
        const mpi::DistributedPlan d = mpi::frequency_filter_distributed<T>(MPI_COMM_WORLD, reader, writer, c.cutoff,
                                                                            c.kind, c.order, c.border, c.high);
        check_rows_tile(d.output, c.shape[0]);
        // Both are FFTs of the same padded image, each within the FFT's bound of the exact
        // circular convolution with H's kernel (|H| <= 1): twice the bound for a 1-element kernel.
        const double bound =
            2 * fftconv::fft_error_bound(d.transform, Extents{1, 1}, Mode::same, fftconv::element_type_v<T>) *
            max_abs(x) * std::sqrt(static_cast<double>(d.transform.size()));
        CHECK(max_difference(got, Array<T>(expected.view()), d.output) <= bound);
    }
    const Array<T> x = random_array<T>({10, 10}, 70);
    Array<T> out(Extents{10, 10});
    fftconv::ViewReader<T> reader(x.view());
    fftconv::ViewWriter<T> writer(out.view());
    CHECK_THROWS_WITH_AS(mpi::frequency_filter_distributed<T>(MPI_COMM_WORLD, reader, writer, 0.0),
                         doctest::Contains("cutoff must be positive"), fftconv::Error);
}

TEST_CASE("the cost model: halo for small kernels, the FFT for kernels as tall as a slab, its arithmetic") {
    const Array<float> k3 = random_array<float>({3, 3}, 80);
    fftconv::OutOfCoreOptions o;
    o.border = Border::reflect;
    o.memory = std::size_t(1) << 34;
    const mpi::Estimate small = mpi::estimate<float>({8192, 8192}, k3.view(), o, 4, mpi::ethernet_10g);
    CHECK(small.choice == mpi::Distribution::halo);
    // Two rows of 8192 floats each way, against three transposes of 3/4 of a quarter of the spectra.
    CHECK(small.halo.bytes_sent == doctest::Approx(2 * 8192 * 4.0));
    CHECK(small.fft.bytes_sent > 1000 * small.halo.bytes_sent);
    CHECK(small.why.rfind("halo", 0) == 0);
    // One rank: nothing sent either way.
    const mpi::Estimate one = mpi::estimate<float>({1000, 1000}, k3.view(), o, 1);
    CHECK(one.halo.communicate == 0);
    CHECK(one.fft.communicate == 0);
    // A 1023x1023 kernel on 2048² over 16 ranks (slabs of 128 rows): each rank's halo is 8 slabs'
    // worth; the distributed FFT wins on InfiniBand.
    const Array<float> big = random_array<float>({1023, 1023}, 81);
    const mpi::Estimate tall = mpi::estimate<float>({2048, 2048}, big.view(), o, 16, mpi::infiniband_100g);
    CHECK(tall.halo.bytes_sent == doctest::Approx(1022 * 2048 * 4.0));
    CHECK(tall.choice == mpi::Distribution::fft);
    CHECK(tall.why.rfind("FFT", 0) == 0);
    // The direct method, a complex type, a 1D array: the halo, saying why.
    o.method = fftconv::Method::direct;
    CHECK(mpi::estimate<float>({2048, 2048}, big.view(), o, 16, mpi::infiniband_100g).choice ==
          mpi::Distribution::halo);
    o.method = fftconv::Method::automatic;
    const Array<std::complex<float>> kc(Extents{1023, 1023});
    const mpi::Estimate complex = mpi::estimate<std::complex<float>>({2048, 2048}, kc.view(), o, 16);
    CHECK_FALSE(complex.fft_possible);
    CHECK(complex.why.find("real arrays") != std::string::npos);
    CHECK_THROWS_AS((void)mpi::estimate<float>({100, 100}, k3.view(), o, 0), fftconv::InvalidArgument);
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    doctest::Context context(argc, argv);
    // One report: rank 0's (every rank checks its own rows; a failure on any shows in the status).
    if (rank != 0) context.setOption("out", "/dev/null");
    const int failed = context.run() != 0 ? 1 : 0;
    int any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0 && any && !failed) std::fprintf(stderr, "a case failed on another rank\n");
    MPI_Finalize();
    return any;
}
