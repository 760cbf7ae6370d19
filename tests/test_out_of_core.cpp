// convolve_out_of_core against the in-memory calls on the whole array: bit for bit by the direct
// method, within fft_error_bound by the FFT, over ranks 1 to 3, every mode and border, kernels
// from 1 to larger than the array, tiles from 1 element up; the writer's contract (every output
// once, tiles in row-major order, aligned); the plan's memory bound; refusals; progress.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

template <class T>
Array<T> random_array(const Extents& shape, std::mt19937& rng) {
    Array<T> a(shape);
    std::uniform_real_distribution<double> u(-1, 1);
    for (T& v : a.values()) v = T(u(rng));
    return a;
}

// What the in-memory front door gives for the options.
template <class T>
Array<T> whole(const View<const T>& x, const View<const T>& k, const OutOfCoreOptions& o, Method m) {
    if (o.border)
        return o.correlate ? filter<T>(x, k, *o.border, T(o.cval), m)
                           : filter_convolve<T>(x, k, *o.border, T(o.cval), m);
    return o.correlate ? correlate<T>(x, k, o.mode, m) : convolve<T>(x, k, o.mode, m);
}

// A writer that records what it was given: every element once, within the output, tiles in
// row-major order of their first element.
template <class T>
class CheckingWriter final : public ArrayWriter<T> {
public:
    CheckingWriter(const Extents& shape, Extents alignment = {}) : out(shape), align(alignment), count(shape) {
        std::fill(count.values().begin(), count.values().end(), 0);
    }
    void write(const Extents& first, const View<const T>& src) override {
        REQUIRE(first.rank() == out.shape().rank());
        for (int a = 0; a < first.rank(); ++a) {
            REQUIRE(first[a] >= 0);
            REQUIRE(first[a] + src.shape[a] <= out.shape()[a]);
        }
        // Contiguous, row-major.
        REQUIRE(src.strides == View<const T>(src.data, src.shape).strides);
        // Row-major order of first elements.
        std::vector<std::ptrdiff_t> f(first.begin(), first.end());
        if (!last.empty()) CHECK(f > last);
        last = f;
        Array<T>::for_each_index(src.shape, [&](const std::ptrdiff_t* i) {
            std::ptrdiff_t at[max_rank];
            for (int a = 0; a < first.rank(); ++a) at[a] = first[a] + i[a];
            out.view().at(at) = src.at(i);
            count.view().at(at) += 1;
        });
        ++writes;
    }
    Extents alignment() const override { return align; }
    bool each_once() const {
        return std::all_of(count.values().begin(), count.values().end(), [](int c) { return c == 1; });
    }

    Array<T> out;
    Extents align;
    Array<int> count;
    std::vector<std::ptrdiff_t> last;
    int writes = 0;
};

// A reader that checks each box lies within the array.
template <class T>
class CheckingReader final : public ArrayReader<T> {
public:
    explicit CheckingReader(View<const T> x) : inner(x), shape_(x.shape) {}
    Extents shape() const override { return shape_; }
    void read(const Extents& first, const View<T>& dst) override {
        for (int a = 0; a < first.rank(); ++a) {
            REQUIRE(first[a] >= 0);
            REQUIRE(first[a] + dst.shape[a] <= shape_[a]);
        }
        elements += dst.size();
        inner.read(first, dst);
    }
    ViewReader<T> inner;
    Extents shape_;
    std::ptrdiff_t elements = 0;
};

template <class T>
bool same_bits(const Array<T>& a, const Array<T>& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.values().data(), b.values().data(), a.values().size() * sizeof(T)) == 0;
}

template <class T>
double max_abs(const Array<T>& a) {
    double m = 0;
    for (const T& v : a.values()) m = std::max(m, static_cast<double>(std::abs(v)));
    return m;
}

struct Case {
    Extents x, k;
};

// Tiled against whole for one case, with tiles of `tile` (rank 0: the plan's), by both methods.
template <class T>
void check_case(const Case& c, OutOfCoreOptions o, const Extents& tile, std::mt19937& rng, Extents align = {}) {
    const Array<T> x = random_array<T>(c.x, rng), k = random_array<T>(c.k, rng);
    o.tile = tile;
    for (Method m : {Method::direct, Method::fft}) {
        o.method = m;
        const std::string shapes = to_string(c.x) + " * " + to_string(c.k) + ", tiles of " + to_string(tile);
        const std::string what =
            std::string(to_string(m)) + ", " + (o.border ? to_string(*o.border) : to_string(o.mode));
        CAPTURE(shapes);
        CAPTURE(what);
        CAPTURE(o.correlate);
        const Array<T> expect = whole<T>(x.view(), k.view(), o, Method::direct);
        CheckingReader<T> reader(x.view());
        CheckingWriter<T> writer(expect.shape(), align);
        const OutOfCorePlan p = convolve_out_of_core<T>(reader, k.view(), writer, o);
        REQUIRE(p.method == m);
        REQUIRE(p.output == expect.shape());
        CHECK(writer.each_once());
        CHECK(writer.writes == p.tiles);
        if (m == Method::direct && (o.border || c.k.size() <= c.x.size())) {
            CHECK(same_bits(writer.out, expect));
        } else if (m == Method::direct) {
            // A kernel with more elements than the array: the whole-array call swaps the operands
            // (the array becomes the kernel), so its sums run in another order.
            double err = 0;
            for (std::size_t i = 0; i < expect.values().size(); ++i)
                err = std::max(err, static_cast<double>(std::abs(writer.out.values()[i] - expect.values()[i])));
            CHECK(err <= 1e-12 * static_cast<double>(c.x.size()));
        } else {
            const double bound = fft_error_bound(p.box, c.k, Mode::valid, element_type_v<T>) * max_abs(x) * max_abs(k) *
                                 static_cast<double>(c.k.size());
            double err = 0;
            for (std::size_t i = 0; i < expect.values().size(); ++i)
                err = std::max(err, static_cast<double>(std::abs(writer.out.values()[i] - expect.values()[i])));
            CHECK(err <= bound);
        }
    }
}

}  // namespace

TEST_CASE("out of core: every mode and border, tiled, equals the whole array (direct bit for bit, FFT within bound)") {
    std::mt19937 rng(16);
    const std::vector<Case> cases = {
        {{1}, {1}},
        {{37}, {5}},
        {{37}, {4}},
        {{10}, {23}},
        {{1, 1}, {1, 1}},
        {{23, 17}, {3, 3}},
        {{23, 17}, {4, 6}},
        {{31, 29}, {7, 2}},
        {{5, 7}, {9, 11}},
        {{64, 48}, {1, 1}},
        {{9, 13, 11}, {3, 2, 5}},
        {{6, 5, 4}, {7, 1, 3}},
        {{3, 40, 33}, {1, 5, 5}},
    };
    for (const Case& c : cases) {
        // Tiles: one element, a prime, about half, the whole output.
        std::vector<OutOfCoreOptions> options;
        for (Mode mode : {Mode::full, Mode::same, Mode::valid})
            for (bool corr : {false, true}) {
                OutOfCoreOptions o;
                o.mode = mode;
                o.correlate = corr;
                options.push_back(o);
            }
        for (Border b : {Border::constant, Border::replicate, Border::reflect, Border::reflect101, Border::wrap})
            for (bool corr : {false, true}) {
                OutOfCoreOptions o;
                o.border = b;
                o.cval = b == Border::constant ? 0.75 : 0;
                o.correlate = corr;
                options.push_back(o);
            }
        for (const OutOfCoreOptions& o : options) {
            // scipy's valid needs one operand inside the other.
            bool a_in = true, k_in = true;
            for (int a = 0; a < c.x.rank(); ++a) {
                a_in = a_in && c.x[a] >= c.k[a];
                k_in = k_in && c.k[a] >= c.x[a];
            }
            if (!o.border && o.mode == Mode::valid && !a_in && !k_in) continue;
            const Extents out = plan_out_of_core<double>(c.x, random_array<double>(c.k, rng).view(), o).output;
            for (std::ptrdiff_t t : {std::ptrdiff_t{1}, std::ptrdiff_t{3}, std::ptrdiff_t{-2}, std::ptrdiff_t{0}}) {
                Extents tile = out;
                for (int a = 0; a < out.rank(); ++a)
                    tile[a] = t == 0 ? out[a] : t < 0 ? std::max<std::ptrdiff_t>(1, out[a] / 2) : std::min(t, out[a]);
                check_case<double>(c, o, tile, rng);
            }
        }
    }
    // float and complex too, fewer cases.
    for (Border b : {Border::reflect, Border::wrap}) {
        OutOfCoreOptions o;
        o.border = b;
        check_case<float>({{40, 33}, {5, 4}}, o, {7, 10}, rng);
        check_case<std::complex<double>>({{20, 21}, {3, 4}}, o, {6, 5}, rng);
    }
    OutOfCoreOptions full;
    check_case<float>({{40, 33}, {5, 4}}, full, {9, 4}, rng);
    full.correlate = true;
    check_case<std::complex<float>>({{20, 21}, {3, 4}}, full, {6, 5}, rng);
}

TEST_CASE("out of core: the plan fits the memory bound, and the tiles it picks give the same result") {
    std::mt19937 rng(7);
    const Array<float> x = random_array<float>({300, 257}, rng), k = random_array<float>({9, 9}, rng);
    for (Method m : {Method::direct, Method::fft, Method::automatic})
        for (std::size_t memory : {std::size_t{200'000}, std::size_t{1'000'000}, std::size_t{0}}) {
            OutOfCoreOptions o;
            o.border = Border::reflect;
            o.method = m;
            o.memory = memory;
            CAPTURE(memory);
            CAPTURE(to_string(m));
            const OutOfCorePlan p = plan_out_of_core<float>(x.shape(), k.view(), o);
            if (memory) CHECK(p.bytes <= static_cast<double>(memory));
            // A bound below the array's own bytes (308 kB) cuts it into tiles.
            if (memory == 200'000) CHECK(p.tiles > 1);
            // Strips first: the outer axis is cut before the inner one.
            if (p.tiles > 1 && p.tile[1] < 257) CHECK(p.tile[0] <= 16);
            CheckingReader<float> reader(x.view());
            CheckingWriter<float> writer(x.shape());
            // The library's own limit at the bound: what the plan counts is all its calls ask for.
            const std::size_t limit = memory_limit();
            if (memory) set_memory_limit(memory);
            const OutOfCorePlan ran = convolve_out_of_core<float>(reader, k.view(), writer, o);
            set_memory_limit(limit);
            CHECK(ran.tile == p.tile);
            CHECK(writer.each_once());
            const Array<float> expect = filter_convolve<float>(x.view(), k.view(), Border::reflect, 0.0f, ran.method);
            if (ran.method == Method::direct) CHECK(same_bits(writer.out, expect));
            // The halo is read once per tile: about (tile + 8) / tile times the array.
            const double read = static_cast<double>(reader.elements) / static_cast<double>(x.size());
            double amplification = 1;
            for (int a = 0; a < 2; ++a)
                amplification *= static_cast<double>(ran.box[a]) / static_cast<double>(ran.tile[a]);
            CHECK(read <= amplification * 1.5 + 0.01);
        }
}

TEST_CASE("out of core: the writer's alignment is kept, and every output is still written once") {
    std::mt19937 rng(3);
    OutOfCoreOptions o;
    o.mode = Mode::same;
    o.memory = 150'000;
    const Array<double> x = random_array<double>({200, 300}, rng), k = random_array<double>({5, 3}, rng);
    CheckingReader<double> reader(x.view());
    CheckingWriter<double> writer(x.shape(), {16, 32});
    const OutOfCorePlan p = convolve_out_of_core<double>(reader, k.view(), writer, o);
    CHECK(p.tiles > 1);
    for (int a = 0; a < 2; ++a) CHECK((p.tile[a] % writer.align[a] == 0 || p.tile[a] == p.output[a]));
    CHECK(writer.each_once());
    const Array<double> expect = convolve<double>(x.view(), k.view(), Mode::same, p.method);
    if (p.method == Method::direct) CHECK(same_bits(writer.out, expect));
}

TEST_CASE("out of core: NaN and Inf stay where the direct sum puts them") {
    std::mt19937 rng(11);
    Array<double> x = random_array<double>({50, 40}, rng);
    x.view()(10, 10) = std::numeric_limits<double>::quiet_NaN();
    x.view()(49, 0) = std::numeric_limits<double>::infinity();
    const Array<double> k = random_array<double>({3, 5}, rng);
    for (Border b : {Border::reflect, Border::wrap}) {
        OutOfCoreOptions o;
        o.border = b;
        o.tile = {7, 9};
        o.method = Method::direct;
        ViewReader<double> reader(x.view());
        Array<double> out(x.shape());
        ViewWriter<double> writer(out.view());
        (void)convolve_out_of_core<double>(reader, k.view(), writer, o);
        const Array<double> expect = filter_convolve<double>(x.view(), k.view(), b, 0.0, Method::direct);
        CHECK(same_bits(out, expect));
        // FFT: the non-finite outputs where the direct sum has them, the rest finite.
        o.method = Method::fft;
        ViewReader<double> r2(x.view());
        Array<double> out2(x.shape());
        ViewWriter<double> w2(out2.view());
        (void)convolve_out_of_core<double>(r2, k.view(), w2, o);
        for (std::size_t i = 0; i < out2.values().size(); ++i)
            CHECK(std::isfinite(out2.values()[i]) == std::isfinite(expect.values()[i]));
    }
}

TEST_CASE("out of core: progress counts every output, and refusals name the values") {
    std::mt19937 rng(5);
    const Array<float> x = random_array<float>({30, 20}, rng), k = random_array<float>({3, 3}, rng);
    OutOfCoreOptions o;
    o.tile = {7, 22};
    std::vector<std::ptrdiff_t> seen;
    std::ptrdiff_t total_seen = 0;
    o.progress = [&](std::ptrdiff_t done, std::ptrdiff_t total) {
        seen.push_back(done);
        total_seen = total;
    };
    ViewReader<float> reader(x.view());
    Array<float> out({32, 22});
    ViewWriter<float> writer(out.view());
    const OutOfCorePlan p = convolve_out_of_core<float>(reader, k.view(), writer, o);
    CHECK(p.tiles == 5);
    REQUIRE(seen.size() == 5);
    CHECK(std::is_sorted(seen.begin(), seen.end()));
    CHECK(seen.back() == 32 * 22);
    CHECK(total_seen == 32 * 22);

    const auto message = [&](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    OutOfCoreOptions bad;
    bad.tile = {40, 3};
    CHECK(message([&] { (void)plan_out_of_core<float>(x.shape(), k.view(), bad); }).find("the tile (40x3)") !=
          std::string::npos);
    bad.tile = {3};
    CHECK(message([&] { (void)plan_out_of_core<float>(x.shape(), k.view(), bad); }).find("output's rank") !=
          std::string::npos);
    OutOfCoreOptions tight;
    tight.memory = 40;
    const std::string m = message([&] { (void)plan_out_of_core<float>(x.shape(), k.view(), tight); });
    CAPTURE(m);
    CHECK(m.find("more than the memory bound (40 bytes)") != std::string::npos);
    OutOfCoreOptions valid;
    valid.mode = Mode::valid;
    const Array<float> wide = random_array<float>({3, 40}, rng);
    CHECK(message([&] { (void)plan_out_of_core<float>(x.shape(), wide.view(), valid); }).find("valid") !=
          std::string::npos);
    const Array<float> k3 = random_array<float>({3, 3, 3}, rng);
    CHECK(message([&] { (void)plan_out_of_core<float>(x.shape(), k3.view(), o); }) != "no error");
    // A reader's box outside the array is refused by the reader.
    ViewReader<float> r(x.view());
    Array<float> b({4, 4});
    CHECK(message([&] { r.read({28, 0}, b.view()); }).find("not within the array (30x20)") != std::string::npos);
}

namespace {

// The ramp f(i, j) = i + 2j, made as it is read: a 3.6 GB array that never exists.
class Ramp final : public ArrayReader<float> {
public:
    explicit Ramp(Extents shape) : shape_(shape) {}
    Extents shape() const override { return shape_; }
    void read(const Extents& first, const View<float>& dst) override {
        for (std::ptrdiff_t r = 0; r < dst.shape[0]; ++r)
            for (std::ptrdiff_t c = 0; c < dst.shape[1]; ++c)
                dst(r, c) = static_cast<float>(first[0] + r + 2 * (first[1] + c));
    }

private:
    Extents shape_;
};

// Checks every output of the ramp under the 3x3 kernel 1,2,1 (outer product, sum 16) in valid
// mode: 16 · f(i + 1, j + 1), an integer below 2^24, so exact in float whatever the order of the
// sums (direct), or within `tolerance` (FFT).
class RampCheck final : public ArrayWriter<float> {
public:
    explicit RampCheck(double tolerance) : tolerance_(tolerance) {}
    void write(const Extents& first, const View<const float>& src) override {
        for (std::ptrdiff_t r = 0; r < src.shape[0]; ++r)
            for (std::ptrdiff_t c = 0; c < src.shape[1]; ++c) {
                const double expect = 16.0 * static_cast<double>(first[0] + r + 1 + 2 * (first[1] + c + 1));
                worst = std::max(worst, std::abs(static_cast<double>(src(r, c)) - expect));
                ++checked;
            }
        (void)tolerance_;
    }
    double worst = 0;
    std::ptrdiff_t checked = 0;

private:
    double tolerance_;
};

// The process's peak resident memory so far, in bytes (Linux: VmHWM).
double peak_rss() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024;
    return 0;
}

}  // namespace

TEST_CASE("out of core: a 3.6 GB ramp under a 256 MB bound, every output checked, peak memory measured") {
    // max|x| of the ramp: 3n; the FFT bound below scales with it.
    Array<float> k({3, 3});
    const float w[3] = {1, 2, 1};
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) k.view()(r, c) = w[r] * w[c];
    OutOfCoreOptions o;
    o.mode = Mode::valid;
    o.method = Method::direct;
    o.memory = std::size_t{256} << 20;
#if defined(__SANITIZE_ADDRESS__)
    const std::ptrdiff_t n = 12000, m = 6000;  // the same tiles, fewer of them: sanitizers run 3x slower
#else
    const std::ptrdiff_t n = 30000, m = 10000;
#endif
    Ramp ramp({n, n});
    RampCheck check(0);
    const OutOfCorePlan p = convolve_out_of_core<float>(ramp, k.view(), check, o);
    MESSAGE("3.6 GB ramp: ", p.tiles, " tiles of ", to_string(p.tile), ", plan bound ", p.bytes / 1e6, " MB, peak RSS ",
            peak_rss() / 1e6, " MB");
    CHECK(check.checked == (n - 2) * (n - 2));
    CHECK(check.worst == 0);
    CHECK(p.tiles > 1);
    CHECK(p.bytes <= static_cast<double>(o.memory));
#if !defined(__SANITIZE_ADDRESS__)
    // The plan's bound plus this test binary's own code and the smaller cases before (under 32
    // MB), against the 3.6 GB array (sanitizers' shadow memory and quarantine do not count here).
    CHECK(peak_rss() < p.bytes + 32e6);
#endif
    // The FFT on a ninth of it: within the bound of the box's transform.
    o.method = Method::fft;
    Ramp smaller({m, m});
    RampCheck fft_check(0);
    const OutOfCorePlan q = convolve_out_of_core<float>(smaller, k.view(), fft_check, o);
    CHECK(fft_check.checked == (m - 2) * (m - 2));
    const double bound =
        fft_error_bound(q.box, {3, 3}, Mode::valid, ElementType::float32) * 3.0 * static_cast<double>(m) * 4 * 9;
    CHECK(fft_check.worst <= bound);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(peak_rss() < std::max(p.bytes, q.bytes) + 32e6);
#endif
}

TEST_CASE("out of core: the plan counts every byte the FFT's transforms ask for (a volume under 1 MiB)") {
    // 64x96x96 under a 17x17x17 kernel: the transforms' buffers and the kernel's spectra are most
    // of what a tile holds, and the library's own limit at the bound refuses anything uncounted.
    std::mt19937 rng(9);
    const Array<float> x = random_array<float>({64, 96, 96}, rng), k = random_array<float>({17, 17, 17}, rng);
    OutOfCoreOptions o;
    o.border = Border::reflect;
    o.method = Method::fft;
    o.memory = std::size_t{1} << 20;
    ViewReader<float> reader(x.view());
    Array<float> out(x.shape());
    ViewWriter<float> writer(out.view());
    const std::size_t limit = memory_limit();
    set_memory_limit(o.memory);
    OutOfCorePlan p;
    CHECK_NOTHROW(p = convolve_out_of_core<float>(reader, k.view(), writer, o));
    set_memory_limit(limit);
    CHECK(p.tiles > 1);
    CHECK(p.bytes <= static_cast<double>(o.memory));
}

TEST_CASE("out of core: regions of the output computed apart (a slab each) make the whole result") {
    std::mt19937 rng(21);
    const Array<double> x = random_array<double>({53, 31}, rng), k = random_array<double>({9, 4}, rng);
    for (Border b : {Border::reflect, Border::wrap}) {
        OutOfCoreOptions o;
        o.border = b;
        o.method = Method::direct;
        const Array<double> expect = filter_convolve<double>(x.view(), k.view(), b, 0.0, Method::direct);
        CheckingWriter<double> writer(x.shape());
        // Uneven slabs of rows, as three processes would hold them, each with tiles of its own.
        const std::ptrdiff_t cuts[] = {0, 18, 36, 53};
        std::ptrdiff_t read = 0;
        for (int r = 0; r < 3; ++r) {
            o.region_first = {cuts[r], 0};
            o.region_extent = {cuts[r + 1] - cuts[r], 31};
            o.tile = {5, 31};
            CheckingReader<double> reader(x.view());
            const OutOfCorePlan p = convolve_out_of_core<double>(reader, k.view(), writer, o);
            CHECK(p.region == o.region_extent);
            CHECK(p.tiles == (cuts[r + 1] - cuts[r] + 4) / 5);
            read += reader.elements;
        }
        CHECK(writer.each_once());
        CHECK(same_bits(writer.out, expect));
        // Each slab reads its rows and the halo, not the whole array per slab.
        CHECK(read < 3 * x.size());
    }
    OutOfCoreOptions bad;
    bad.region_first = {50, 0};
    bad.region_extent = {20, 31};
    CHECK_THROWS_WITH_AS((void)plan_out_of_core<double>(x.shape(), k.view(), bad),
                         doctest::Contains("the region of 20x31 at 50x0 is not within the output (61x34)"),
                         InvalidArgument);
}
