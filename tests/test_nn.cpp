// nn.hpp: the layers' known answers (checked with PyTorch 1.13), a brute-force oracle written
// from PyTorch's documented formulas, direct == FFT, the transpose as the adjoint, the refusals.
// tests/torch_check.py checks the same calls against PyTorch itself.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "fftconv/fftconv.hpp"

using namespace fftconv;
namespace F = fftconv::nn;

namespace {

Array<double> tensor(Extents shape, std::vector<double> values) {
    Array<double> a(shape);
    REQUIRE(static_cast<std::size_t>(a.size()) == values.size());
    std::copy(values.begin(), values.end(), a.data());
    return a;
}

Array<double> random_tensor(Extents shape, std::mt19937_64& rng) {
    Array<double> a(shape);
    std::uniform_real_distribution<double> u(-1, 1);
    for (double& v : a.values()) v = u(rng);
    return a;
}

void check_values(const Array<double>& got, const std::vector<double>& want, double tol = 1e-12) {
    REQUIRE(static_cast<std::size_t>(got.size()) == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(got.data()[i] == doctest::Approx(want[i]).epsilon(tol));
}

double max_abs_diff(const Array<double>& a, const Array<double>& b) {
    REQUIRE(a.shape() == b.shape());
    double m = 0;
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a.data()[i] - b.data()[i]));
    return m;
}

// Where padded position q of an axis of length n reads, PyTorch's padding modes spelled out.
std::ptrdiff_t source(std::ptrdiff_t q, std::ptrdiff_t n, F::PaddingMode mode) {
    if (q >= 0 && q < n) return q;
    switch (mode) {
        case F::PaddingMode::zeros: return -1;
        case F::PaddingMode::replicate: return q < 0 ? 0 : n - 1;
        case F::PaddingMode::circular: return ((q % n) + n) % n;
        case F::PaddingMode::reflect: {
            // reflection without repeating the edge, folding as often as needed
            const std::ptrdiff_t period = 2 * (n - 1);
            if (period == 0) return 0;
            std::ptrdiff_t m = ((q % period) + period) % period;
            return m < n ? m : period - m;
        }
    }
    return -1;
}

// conv for 2D batched inputs, straight from the formula (per-axis stride, padding, dilation).
Array<double> oracle_conv2d(const Array<double>& x, const Array<double>& w, const std::vector<double>& bias,
                            std::ptrdiff_t groups, const std::ptrdiff_t s[2], const std::ptrdiff_t pb[2],
                            const std::ptrdiff_t pa[2], const std::ptrdiff_t d[2], F::PaddingMode mode) {
    const std::ptrdiff_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::ptrdiff_t O = w.shape()[0], cg = w.shape()[1], kh = w.shape()[2], kw = w.shape()[3];
    const std::ptrdiff_t oh = (H + pb[0] + pa[0] - d[0] * (kh - 1) - 1) / s[0] + 1;
    const std::ptrdiff_t ow = (W + pb[1] + pa[1] - d[1] * (kw - 1) - 1) / s[1] + 1;
    Array<double> out({N, O, oh, ow});
    const std::ptrdiff_t og = O / groups;
    (void)C;
    for (std::ptrdiff_t n = 0; n < N; ++n)
        for (std::ptrdiff_t o = 0; o < O; ++o)
            for (std::ptrdiff_t y = 0; y < oh; ++y)
                for (std::ptrdiff_t z = 0; z < ow; ++z) {
                    double acc = bias.empty() ? 0 : bias[static_cast<std::size_t>(o)];
                    for (std::ptrdiff_t c = 0; c < cg; ++c)
                        for (std::ptrdiff_t i = 0; i < kh; ++i)
                            for (std::ptrdiff_t j = 0; j < kw; ++j) {
                                const std::ptrdiff_t r = source(y * s[0] + i * d[0] - pb[0], H, mode);
                                const std::ptrdiff_t q = source(z * s[1] + j * d[1] - pb[1], W, mode);
                                if (r < 0 || q < 0) continue;
                                acc += w(o, c, i, j) * x(n, (o / og) * cg + c, r, q);
                            }
                    out(n, o, y, z) = acc;
                }
    return out;
}

double dot(const Array<double>& a, const Array<double>& b) {
    REQUIRE(a.size() == b.size());
    double s = 0;
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) s += a.data()[i] * b.data()[i];
    return s;
}

}  // namespace

TEST_CASE("conv2d: the known answers") {
    // 5x5 arange(25), 3x3 ones, stride 2, no padding.
    std::vector<double> ramp(25);
    for (int i = 0; i < 25; ++i) ramp[static_cast<std::size_t>(i)] = i;
    const auto x = tensor({1, 1, 5, 5}, ramp);
    const Array<double> ones({1, 1, 3, 3}, 1.0);
    for (Method m : {Method::direct, Method::fft, Method::automatic}) {
        CAPTURE(to_string(m));
        const auto y = F::conv2d(x, ones, {}, {.stride = 2, .method = m});
        CHECK(y.shape() == Extents{1, 1, 2, 2});
        check_values(y, {54, 72, 144, 162});
    }
    // The material's worked example.
    const auto x2 = tensor({1, 1, 5, 5}, {3, 3, 2, 1, 0, 0, 0, 1, 3, 1, 3, 1, 2, 2, 3, 2, 0, 0, 2, 2, 2, 0, 0, 0, 1});
    const auto k2 = tensor({1, 1, 3, 3}, {0, 1, 2, 2, 2, 0, 0, 1, 2});
    for (Method m : {Method::direct, Method::fft}) {
        CAPTURE(to_string(m));
        check_values(F::conv2d(x2, k2, {}, {.method = m}), {12, 12, 17, 10, 17, 19, 9, 6, 14});
    }
}

TEST_CASE("conv1d: padding 'same' puts the odd zero after, as PyTorch (scipy's 'same' puts it before)") {
    const auto x = tensor({1, 1, 4}, {1, 2, 3, 4});
    const Array<double> w({1, 1, 4}, 1.0);
    for (Method m : {Method::direct, Method::fft})
        check_values(F::conv1d(x, w, {}, {.padding = F::Padding::same(), .method = m}), {6, 10, 9, 7});
    // scipy.signal.correlate([1,2,3,4], [1,1,1,1], 'same') for contrast:
    const std::vector<double> a{1, 2, 3, 4}, b{1, 1, 1, 1};
    const auto scipy_same = correlate(a, b, Mode::same);
    CHECK(scipy_same == std::vector<double>{3, 6, 10, 9});
}

TEST_CASE("conv_transpose2d: the checkerboard, output_padding, and back to 5x5") {
    const Array<double> x({1, 1, 2, 2}, 1.0);
    const Array<double> w({1, 1, 3, 3}, 1.0);
    for (Method m : {Method::direct, Method::fft}) {
        const auto y = F::conv_transpose(x, w, {}, {.stride = 2, .method = m});
        CHECK(y.shape() == Extents{1, 1, 5, 5});
        check_values(y, {1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 2, 2, 4, 2, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1});
        CHECK(F::conv_transpose(x, w, {}, {.stride = 2, .output_padding = 1, .method = m}).shape() ==
              Extents{1, 1, 6, 6});
    }
    const Array<double> five({1, 1, 5, 5}, 1.0);
    const auto down = F::conv2d(five, w, {}, {.stride = 2, .padding = 1});
    CHECK(down.shape() == Extents{1, 1, 3, 3});
    CHECK(F::conv_transpose(down, w, {}, {.stride = 2, .padding = 1}).shape() == Extents{1, 1, 5, 5});
    CHECK(F::conv_transpose_output_size(3, 3, 2, 1) == 5);
    CHECK(F::conv_output_size(5, 3, 2, 1) == 3);
}

TEST_CASE("pooling: the known answers") {
    const auto x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    const auto with_pad = F::avg_pool(x, 2, {.kernel = 3, .stride = 2, .padding = 1});
    check_values(with_pad, {12.0 / 9, 16.0 / 9, 24.0 / 9, 28.0 / 9});
    const auto without = F::avg_pool(x, 2, {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false});
    check_values(without, {3, 4, 6, 7});
    const auto line = tensor({1, 1, 5}, {5, 1, 4, 2, 3});
    const auto m = F::max_pool(line, 1, {.kernel = 2, .stride = 2, .padding = 1, .ceil_mode = true});
    CHECK(m.shape() == Extents{1, 1, 3});
    check_values(m, {5, 4, 3});
    CHECK(F::pool_output_size(5, 2, 2, 1, 1, true) == 3);
    CHECK(F::pool_output_size(5, 2, 2, 1, 1, false) == 3);
    // ceil_mode adds a window only where it starts inside the input or the left padding.
    CHECK(F::pool_output_size(6, 2, 2, 1, 1, true) == 4);
    CHECK(F::pool_output_size(4, 3, 2, 0, 1, true) == 2);
    // max_pool: NaN wins; padding never does.
    const auto nan_line = tensor({1, 4}, {-5, NAN, -7, -8});
    const auto mn = F::max_pool(nan_line, 1, {.kernel = 2, .stride = 2, .padding = 1});
    CHECK(mn(0, 0) == -5);
    CHECK(std::isnan(mn(0, 1)));
    CHECK(mn(0, 2) == -8);
    // divisor_override
    check_values(F::avg_pool(x, 2, {.kernel = 2, .stride = 1, .divisor_override = 2}), {6, 8, 12, 14});
}

TEST_CASE("conv: the brute-force oracle, every padding mode, groups, stride, dilation, direct and FFT") {
    std::mt19937_64 rng(15);
    std::uniform_int_distribution<int> pick(0, 1 << 20);
    const F::PaddingMode modes[] = {F::PaddingMode::zeros, F::PaddingMode::reflect, F::PaddingMode::replicate,
                                    F::PaddingMode::circular};
    for (int trial = 0; trial < 60; ++trial) {
        const std::ptrdiff_t groups = 1 + pick(rng) % 3;
        const std::ptrdiff_t cg = 1 + pick(rng) % 3, og = 1 + pick(rng) % 5;
        const std::ptrdiff_t N = 1 + pick(rng) % 2, H = 1 + pick(rng) % 9, W = 1 + pick(rng) % 12;
        const std::ptrdiff_t kh = 1 + pick(rng) % 4, kw = 1 + pick(rng) % 5;
        const std::ptrdiff_t s[2] = {1 + pick(rng) % 3, 1 + pick(rng) % 3};
        const std::ptrdiff_t d[2] = {1 + pick(rng) % 2, 1 + pick(rng) % 3};
        const F::PaddingMode mode = modes[pick(rng) % 4];
        std::ptrdiff_t pb[2], pa[2];
        for (int a = 0; a < 2; ++a) {
            const std::ptrdiff_t n = a == 0 ? H : W;
            const std::ptrdiff_t limit = mode == F::PaddingMode::reflect    ? n - 1
                                         : mode == F::PaddingMode::circular ? n
                                                                            : 4;
            pb[a] = limit > 0 ? pick(rng) % (limit + 1) : 0;
            pa[a] = limit > 0 ? pick(rng) % (limit + 1) : 0;
        }
        const std::ptrdiff_t spanh = d[0] * (kh - 1) + 1, spanw = d[1] * (kw - 1) + 1;
        if (spanh > H + pb[0] + pa[0] || spanw > W + pb[1] + pa[1]) continue;
        const auto x = random_tensor({N, groups * cg, H, W}, rng);
        const auto w = random_tensor({groups * og, cg, kh, kw}, rng);
        std::vector<double> bias;
        if (trial % 2)
            for (std::ptrdiff_t o = 0; o < groups * og; ++o) bias.push_back(0.1 * static_cast<double>(o));
        CAPTURE(trial);
        const auto want = oracle_conv2d(x, w, bias, groups, s, pb, pa, d, mode);
        F::ConvOptions opt;
        opt.stride = F::PerAxis({s[0], s[1]});
        opt.dilation = F::PerAxis({d[0], d[1]});
        opt.padding = F::Padding::sides(F::PerAxis({pb[0], pb[1]}), F::PerAxis({pa[0], pa[1]}));
        opt.groups = groups;
        opt.padding_mode = mode;
        for (Method m : {Method::direct, Method::fft}) {
            CAPTURE(to_string(m));
            opt.method = m;
            const auto got = F::conv2d(x, w, bias, opt);
            REQUIRE(got.shape() == want.shape());
            CHECK(max_abs_diff(got, want) < 1e-12 * static_cast<double>(cg * kh * kw + 1));
        }
    }
}

TEST_CASE("conv: unbatched inputs, strided views, float, 1D and 3D against the 2D oracle's answers") {
    std::mt19937_64 rng(7);
    // A 3D conv whose depth kernel is 1 and depth 1 is the 2D conv.
    const auto x = random_tensor({2, 3, 7, 6}, rng);
    const auto w = random_tensor({4, 3, 3, 2}, rng);
    const auto y2 = F::conv2d(x, w, {}, {.padding = 1, .method = Method::direct});
    const View<const double> x3(x.data(), {2, 3, 1, 7, 6});
    const View<const double> w3(w.data(), {4, 3, 1, 3, 2});
    const F::ConvOptions pad3{.padding = F::Padding({0, 1, 1})};
    for (Method m : {Method::direct, Method::fft}) {
        F::ConvOptions o = pad3;
        o.method = m;
        const auto y3 = F::conv3d(x3, w3, {}, o);
        CHECK(y3.shape() == Extents{2, 4, 1, y2.shape()[2], y2.shape()[3]});
        CHECK(std::equal(y2.data(), y2.data() + y2.size(), y3.data(),
                         [](double a, double b) { return std::abs(a - b) < 1e-12; }));
    }
    // Unbatched: C x H x W in, O x H' x W' out.
    const View<const double> first(x.data(), {3, 7, 6});
    const auto yu = F::conv2d(first, w, {}, {.padding = 1});
    CHECK(yu.shape() == Extents{4, y2.shape()[2], y2.shape()[3]});
    CHECK(std::equal(yu.data(), yu.data() + yu.size(), y2.data(),
                     [](double a, double b) { return std::abs(a - b) < 1e-12; }));
    // A transposed view (H and W swapped) as input.
    const View<const double> swapped(x.data(), {2, 3, 6, 7}, {126, 42, 1, 6});
    const Array<double> copy(swapped);
    const auto a = F::conv2d(swapped, w, {}, {.stride = 2});
    const auto b = F::conv2d(copy, w, {}, {.stride = 2});
    CHECK(a == b);
    // float agrees with double.
    Array<float> xf(x.shape()), wf(w.shape());
    std::transform(x.data(), x.data() + x.size(), xf.data(), [](double v) { return static_cast<float>(v); });
    std::transform(w.data(), w.data() + w.size(), wf.data(), [](double v) { return static_cast<float>(v); });
    for (Method m : {Method::direct, Method::fft}) {
        const auto yf = F::conv2d(xf, wf, {}, {.padding = 1, .method = m});
        for (std::ptrdiff_t i = 0; i < yf.size(); ++i) CHECK(std::abs(yf.data()[i] - y2.data()[i]) < 1e-5);
    }
}

TEST_CASE("conv_transpose is the adjoint of conv: <conv(x), y> == <x, conv_transpose(y)>") {
    std::mt19937_64 rng(21);
    std::uniform_int_distribution<int> pick(0, 1 << 20);
    int checked = 0;
    for (int trial = 0; trial < 80 && checked < 40; ++trial) {
        const int rank = 1 + trial % 3;
        const std::ptrdiff_t groups = 1 + pick(rng) % 2, cg = 1 + pick(rng) % 2, og = 1 + pick(rng) % 3;
        std::vector<std::ptrdiff_t> xs{1 + pick(rng) % 2, groups * cg}, ws{groups * og, cg};
        std::vector<std::ptrdiff_t> st, pd, dl;
        for (int a = 0; a < rank; ++a) {
            xs.push_back(3 + pick(rng) % 6);
            ws.push_back(1 + pick(rng) % 3);
            st.push_back(1 + pick(rng) % 3);
            dl.push_back(1 + pick(rng) % 2);
            pd.push_back(pick(rng) % 2);
        }
        F::ConvOptions co;
        co.stride = F::PerAxis(std::span<const std::ptrdiff_t>(st));
        co.dilation = F::PerAxis(std::span<const std::ptrdiff_t>(dl));
        co.padding = F::Padding::sides(F::PerAxis(std::span<const std::ptrdiff_t>(pd)),
                                       F::PerAxis(std::span<const std::ptrdiff_t>(pd)));
        co.groups = groups;
        const Extents xshape{std::span<const std::ptrdiff_t>(xs)}, wshape{std::span<const std::ptrdiff_t>(ws)};
        Extents yshape;
        try {
            yshape = F::conv_output_shape(xshape, wshape, co);
        } catch (const InvalidArgument&) {
            continue;
        }
        // The transpose must land on x's shape: output_padding makes up what the stride dropped.
        std::vector<std::ptrdiff_t> op;
        bool fits = true;
        for (int a = 0; a < rank; ++a) {
            const std::ptrdiff_t plain = F::conv_transpose_output_size(
                yshape[2 + a], ws[static_cast<std::size_t>(2 + a)], st[static_cast<std::size_t>(a)],
                pd[static_cast<std::size_t>(a)], dl[static_cast<std::size_t>(a)]);
            op.push_back(xs[static_cast<std::size_t>(2 + a)] - plain);
            const std::ptrdiff_t o = op.back();
            if (o < 0 || (o >= st[static_cast<std::size_t>(a)] && o >= dl[static_cast<std::size_t>(a)])) fits = false;
        }
        if (!fits) continue;
        const auto x = random_tensor(xshape, rng);
        const auto w = random_tensor(wshape, rng);
        const auto y = random_tensor(yshape, rng);
        F::ConvTransposeOptions to;
        to.stride = co.stride;
        to.dilation = co.dilation;
        to.padding = F::PerAxis(std::span<const std::ptrdiff_t>(pd));
        to.output_padding = F::PerAxis(std::span<const std::ptrdiff_t>(op));
        to.groups = groups;
        // conv's weight O x C/g x k is conv_transpose's C' x O'/g x k with C' = O: the same array.
        for (Method m : {Method::direct, Method::fft}) {
            CAPTURE(trial);
            CAPTURE(to_string(m));
            co.method = to.method = m;
            const auto cx = F::conv(x, w, {}, co);
            const auto ty = F::conv_transpose(y, w, {}, to);
            REQUIRE(ty.shape() == x.shape());
            CHECK(dot(cx, y) == doctest::Approx(dot(x, ty)).epsilon(1e-11));
        }
        ++checked;
    }
    CHECK(checked >= 20);
}

TEST_CASE("separable convolutions: the material's parameter and multiplication counts, and their results") {
    // 3x3 depthwise-separable from 16 to 32 channels against a plain 3x3 conv.
    const Extents input{1, 16, 7, 7};
    const auto sep = F::separable_conv_cost(input, {16, 1, 3, 3}, {32, 16, 1, 1});
    CHECK(sep.parameters == 656);
    const auto plain = F::conv_cost(input, {32, 16, 3, 3});
    CHECK(plain.parameters == 4608);
    CHECK(plain.multiplications == 4608 * 25);
    CHECK(sep.multiplications == (16 * 9 + 16 * 32) * 25);
    // Spatially separable 3x3 on a 5x5 input: 45 + 27 = 72 multiplications against 81.
    const auto sp = F::spatially_separable_conv_cost({1, 1, 5, 5}, {1, 1, 3, 1}, {1, 1, 1, 3});
    CHECK(sp.multiplications == 72);
    CHECK(sp.parameters == 6);
    CHECK(F::conv_cost({1, 1, 5, 5}, {1, 1, 3, 3}).multiplications == 81);

    std::mt19937_64 rng(3);
    const auto x = random_tensor({2, 4, 9, 8}, rng);
    // The depthwise-separable result is the two convs in turn.
    const auto dw = random_tensor({4, 1, 3, 3}, rng), pw = random_tensor({6, 4, 1, 1}, rng);
    const auto two = F::conv(F::conv(x, dw, {}, {.padding = 1, .groups = 4}), pw);
    CHECK(max_abs_diff(F::separable_conv(x, dw, pw, {}, {.padding = 1}), two) < 1e-12);
    // Spatially separable equals one conv with the outer-product kernel, 'same' and strides too.
    const auto col = random_tensor({3, 4, 3, 1}, rng), row = random_tensor({3, 1, 1, 4}, rng);
    Array<double> whole({3, 4, 3, 4});
    for (std::ptrdiff_t o = 0; o < 3; ++o)
        for (std::ptrdiff_t c = 0; c < 4; ++c)
            for (std::ptrdiff_t i = 0; i < 3; ++i)
                for (std::ptrdiff_t j = 0; j < 4; ++j) whole(o, c, i, j) = col(o, c, i, 0) * row(o, 0, 0, j);
    for (const F::ConvOptions& o :
         {F::ConvOptions{.padding = F::Padding::same()}, F::ConvOptions{.stride = {2, 3}, .padding = {1, 2}},
          F::ConvOptions{.padding = 1, .padding_mode = F::PaddingMode::reflect}}) {
        const auto a = F::spatially_separable_conv(x, col, row, {}, o);
        const auto b = F::conv(x, whole, {}, o);
        CHECK(max_abs_diff(a, b) < 1e-12);
    }
}

TEST_CASE("refusals name the values, where PyTorch refuses") {
    const Array<double> x({1, 4, 5, 5}), w({6, 2, 3, 3});
    const auto refused = [](auto&& call, const char* words) {
        try {
            call();
            FAIL("no error; expected: " << words);
        } catch (const InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find(words) != std::string::npos, e.what());
        }
    };
    refused([&] { (void)F::conv2d(x, w, {}, {.groups = 4}); }, "groups=4 must divide the weight's 6");
    refused([&] { (void)F::conv2d(x, w, {}, {.groups = 3}); }, "has 4 channels; groups=3");
    refused([&] { (void)F::conv2d(x, w, {}, {.stride = 2, .padding = F::Padding::same(), .groups = 2}); },
            "padding 'same' needs stride 1");
    refused(
        [&] {
            (void)F::conv2d(x, Array<double>({6, 2, 7, 7}), {}, {.groups = 2});
        },
        "more than the padded input's 5");
    refused([&] { (void)F::conv2d(x, w, {}, {.padding = 5, .groups = 2, .padding_mode = F::PaddingMode::reflect}); },
            "must be smaller than the input's 5");
    refused([&] { (void)F::conv2d(x, w, {}, {.padding = 6, .groups = 2, .padding_mode = F::PaddingMode::circular}); },
            "wrap more than once");
    refused([&] { (void)F::conv2d(x, w, {}, {.padding = -1, .groups = 2}); }, "padding must not be negative");
    refused([&] { (void)F::conv2d(x, w, {}, {.stride = 0, .groups = 2}); }, "stride must be at least 1");
    refused([&] { (void)F::conv2d(x, w, std::vector<double>(5), {.groups = 2}); }, "bias has 5 values for 6");
    refused([&] { (void)F::conv1d(x, w, {}, {.groups = 2}); }, "conv1d takes O x C/groups x k... of rank 3");
    refused([&] { (void)F::conv2d(Array<double>({4, 5}), w, {}, {.groups = 2}); }, "expected an input of rank 3");
    refused([&] { (void)F::conv2d(x, w, {}, {.stride = {1, 2, 3}, .groups = 2}); }, "stride has 3 values");
    refused(
        [&] {
            (void)F::conv_transpose(x, Array<double>({4, 1, 3, 3}), {}, {.stride = 2, .output_padding = 2});
        },
        "output_padding 2x2 must be smaller than the stride or the dilation");
    refused(
        [&] {
            (void)F::conv_transpose(x, Array<double>({4, 1, 3, 3}), {}, {.padding = 4});
        },
        "the output would be -1 long");
    refused([&] { (void)F::max_pool(x, 2, {.kernel = 2, .padding = 2}); }, "must be at most half the kernel");
    refused([&] { (void)F::avg_pool(x, 2, {.kernel = 7}); }, "the output would be");
    refused([&] { (void)F::avg_pool(x, 2, {.kernel = 2, .dilation = 2}); }, "avg_pool has no dilation");
    refused([&] { (void)F::max_pool(x, 2, {}); }, "no kernel size given");
}

TEST_CASE("NaN and Inf land where the direct sum puts them, whatever the method") {
    Array<double> x({1, 1, 1, 8}, 1.0);
    x(0, 0, 0, 3) = NAN;
    x(0, 0, 0, 6) = INFINITY;
    const Array<double> w({1, 1, 1, 2}, 1.0);
    for (Method m : {Method::direct, Method::fft, Method::automatic}) {
        const auto y = F::conv2d(x, w, {}, {.method = m});
        CHECK(y(0, 0, 0, 0) == 2);
        CHECK(std::isnan(y(0, 0, 0, 2)));
        CHECK(std::isnan(y(0, 0, 0, 3)));
        CHECK(y(0, 0, 0, 4) == 2);
        CHECK(std::isinf(y(0, 0, 0, 5)));
    }
}

TEST_CASE("large magnitudes through the FFT: no overflow") {
    Array<float> x({1, 1, 16, 16}, 1e30f), w({1, 1, 3, 3}, 1e5f);
    const auto d = F::conv2d(x, w, {}, {.method = Method::direct});
    const auto f = F::conv2d(x, w, {}, {.method = Method::fft});
    for (std::ptrdiff_t i = 0; i < d.size(); ++i) CHECK(f.data()[i] == doctest::Approx(d.data()[i]).epsilon(1e-5));
}

TEST_CASE("sizes past 2^53 are refused before any integer arithmetic overflows") {
    const Array<double> x({1, 1, 5, 5}), w({1, 1, 3, 3});
    const std::ptrdiff_t huge = std::ptrdiff_t{1} << 61;
    const auto refused = [](auto&& call) {
        try {
            call();
            FAIL("no error");
        } catch (const InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find("2^53") != std::string::npos, e.what());
        }
    };
    refused([&] { (void)F::conv2d(x, w, {}, {.padding = huge}); });
    refused([&] { (void)F::conv2d(x, w, {}, {.dilation = huge}); });
    refused([&] { (void)F::conv_transpose(x, w, {}, {.stride = huge}); });
    refused([&] { (void)F::conv2d(x, w, {}, {.padding = {1 << 30, 1 << 30}}); });
    refused([&] { (void)F::max_pool(x, 2, {.kernel = 2, .dilation = huge}); });
}
