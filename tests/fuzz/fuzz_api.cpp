// fuzz_api: the public API on element types, shapes, modes, methods and memory layouts decoded
// from the input. Every valid case runs Method::direct, Method::fft and Method::automatic, a
// Convolver (into a new and into a kept buffer) and, for 1D cases, the std::span overloads; all
// must agree within the rounding bound of tolerance() below, and with a brute-force long-double
// reference when the case is small enough to sum that way. Shapes that fftconv must refuse
// (empty or negative sizes, Mode::valid without containment, a Convolver applied to the wrong
// shape or into memory that overlaps its input) must throw fftconv::Error, and an input of a huge
// shape must be either planned or refused with fftconv::Error. Anything else aborts with a
// description of the case, which libFuzzer records as a crash.
//
// Input layout (FuzzedDataProvider): the case parameters come from the end of the input, the
// values from the front; when the values run out, a generator seeded from them continues, so
// that a long 1D signal does not need a long input. Values are always finite.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fftconv/fftconv.hpp"

namespace {

using fftconv::Image;
using fftconv::ImageView;
using fftconv::Method;
using fftconv::Mode;
using fftconv::Shape;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_api: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// The value stream: the input's bytes, then an xorshift generator seeded from them.
class ValueStream {
public:
    explicit ValueStream(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {
        for (std::uint8_t b : bytes_) state_ = (state_ ^ b) * 0x100000001b3ULL;  // FNV-1a
        if (state_ == 0) state_ = 1;
    }
    std::uint8_t byte() {
        if (pos_ < bytes_.size()) return bytes_[pos_++];
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return static_cast<std::uint8_t>(state_ >> 32);
    }
    std::uint64_t bits(int count) {  // the next `count` (<= 64) bits
        std::uint64_t v = 0;
        for (int i = 0; i < count; i += 8) v = (v << 8) | byte();
        return count >= 64 ? v : v & ((std::uint64_t{1} << count) - 1);
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t pos_ = 0;
    std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

// How the stream's bytes become real values.
//   integers  -8..8: every direct sum is exact, so Method::direct must equal the reference exactly
//   scaled    a 16-bit fraction in [-1, 1) times 2^exponent, one exponent per operand (-20..20)
//   wide      a full-precision mantissa with any exponent in ±40 (float) or ±300 (double), or 0:
//             magnitudes mixed within one operand, products and spectra still far from overflow
//             and underflow
enum class Encoding { integers, scaled, wide };

template <class R>
R decode_real(ValueStream& in, Encoding enc, int exponent) {
    switch (enc) {
        case Encoding::integers: return static_cast<R>(static_cast<int>(in.byte() % 17) - 8);
        case Encoding::scaled: {
            const auto raw = static_cast<std::int16_t>(static_cast<std::uint16_t>(in.bits(16)));
            return static_cast<R>(std::ldexp(static_cast<double>(raw) / 32768.0, exponent));
        }
        case Encoding::wide: {
            constexpr int digits = std::numeric_limits<R>::digits - 1;  // stored mantissa bits
            constexpr int range = std::is_same_v<R, float> ? 40 : 300;
            const std::uint8_t e = in.byte();
            if (e == 255) return R(0);
            const std::uint64_t mantissa = in.bits(digits);
            const R m = static_cast<R>(1) + std::ldexp(static_cast<R>(mantissa), -digits);
            const int exp = static_cast<int>(in.bits(16) % (2 * range + 1)) - range;
            return (e & 1 ? -1 : 1) * std::ldexp(m, exp);
        }
    }
    return R(0);
}

template <class T>
T decode_value(ValueStream& in, Encoding enc, int exponent) {
    using R = fftconv::real_t<T>;
    if constexpr (fftconv::is_complex_v<T>) {
        const R re = decode_real<R>(in, enc, exponent);
        return T(re, decode_real<R>(in, enc, exponent));
    } else {
        return decode_real<R>(in, enc, exponent);
    }
}

// An operand stored in one of several layouts, read through a view; elements outside the view
// hold NaN, so that a read beyond the view shows up as a non-finite result.
//   0 contiguous rows   1 rows padded by 1..3 elements   2 stored transposed (view .transposed())
//   3 stored reversed (view .flipped())   4 every other element (col_stride 2, like one channel
//   of a two-channel image)
constexpr int layout_count = 5;

template <class T>
struct Stored {
    std::vector<T> buffer;
    ImageView<const T> view;
};

template <class T>
T not_a_number() {
    using R = fftconv::real_t<T>;
    return T(std::numeric_limits<R>::quiet_NaN());
}

template <class T>
Stored<T> store(const Image<T>& img, int layout) {
    const std::ptrdiff_t r = img.rows(), c = img.cols();
    Stored<T> s;
    switch (layout) {
        case 1: {
            const std::ptrdiff_t stride = c + 1 + r % 3;
            s.buffer.assign(static_cast<std::size_t>(r * stride), not_a_number<T>());
            for (std::ptrdiff_t p = 0; p < r; ++p)
                for (std::ptrdiff_t q = 0; q < c; ++q) s.buffer[static_cast<std::size_t>(p * stride + q)] = img(p, q);
            s.view = ImageView<const T>(s.buffer.data(), r, c, stride);
            break;
        }
        case 2:
            s.buffer.resize(static_cast<std::size_t>(r * c));
            for (std::ptrdiff_t p = 0; p < r; ++p)
                for (std::ptrdiff_t q = 0; q < c; ++q) s.buffer[static_cast<std::size_t>(q * r + p)] = img(p, q);
            s.view = ImageView<const T>(s.buffer.data(), c, r).transposed();
            break;
        case 3:
            s.buffer.resize(static_cast<std::size_t>(r * c));
            for (std::ptrdiff_t p = 0; p < r; ++p)
                for (std::ptrdiff_t q = 0; q < c; ++q)
                    s.buffer[static_cast<std::size_t>((r - 1 - p) * c + (c - 1 - q))] = img(p, q);
            s.view = ImageView<const T>(s.buffer.data(), r, c).flipped();
            break;
        case 4:
            s.buffer.assign(static_cast<std::size_t>(2 * r * c), not_a_number<T>());
            for (std::ptrdiff_t p = 0; p < r; ++p)
                for (std::ptrdiff_t q = 0; q < c; ++q) s.buffer[static_cast<std::size_t>(2 * (p * c + q))] = img(p, q);
            s.view = ImageView<const T>(s.buffer.data(), r, c, 2 * c, 2);
            break;
        default:
            s.buffer.assign(img.values().begin(), img.values().end());
            s.view = ImageView<const T>(s.buffer.data(), r, c);
            break;
    }
    for (std::ptrdiff_t p = 0; p < r; ++p)
        for (std::ptrdiff_t q = 0; q < c; ++q)
            if (!(s.view(p, q) == img(p, q))) fail("layout " + std::to_string(layout) + " does not hold the image");
    return s;
}

// The expected output length along one dimension (scipy's rule; 0 when valid mode has none).
std::ptrdiff_t output_length(std::ptrdiff_t n, std::ptrdiff_t k, Mode mode) {
    switch (mode) {
        case Mode::full: return n + k - 1;
        case Mode::same: return n;
        case Mode::valid: return std::max(n, k) - std::min(n, k) + 1;
    }
    return 0;
}

using Wide = long double;

template <class T>
using wide_t = std::conditional_t<fftconv::is_complex_v<T>, std::complex<Wide>, Wide>;

template <class T>
wide_t<T> widen(T v) {
    if constexpr (fftconv::is_complex_v<T>)
        return {static_cast<Wide>(v.real()), static_cast<Wide>(v.imag())};
    else
        return static_cast<Wide>(v);
}

// The brute-force reference: the full convolution summed in long double (for correlate, of `a`
// with conj(reverse(b)), its definition), then scipy's crop: the centred block of the output
// size, starting at (full - size) / 2 rounded down.
template <class T>
std::vector<wide_t<T>> reference(const Image<T>& a, const Image<T>& b, bool correlate, Shape out) {
    const std::ptrdiff_t ra = a.rows(), ca = a.cols(), rb = b.rows(), cb = b.cols();
    const auto kernel = [&](std::ptrdiff_t u, std::ptrdiff_t v) {
        if (!correlate) return widen(b(u, v));
        const wide_t<T> w = widen(b(rb - 1 - u, cb - 1 - v));
        if constexpr (fftconv::is_complex_v<T>)
            return std::conj(w);
        else
            return w;
    };
    const std::ptrdiff_t fr = ra + rb - 1, fc = ca + cb - 1;
    const std::ptrdiff_t r0 = (fr - out.rows) / 2, c0 = (fc - out.cols) / 2;
    std::vector<wide_t<T>> y(static_cast<std::size_t>(out.size()));
    for (std::ptrdiff_t i = 0; i < out.rows; ++i)
        for (std::ptrdiff_t j = 0; j < out.cols; ++j) {
            const std::ptrdiff_t fi = r0 + i, fj = c0 + j;
            wide_t<T> sum{};
            for (std::ptrdiff_t p = std::max<std::ptrdiff_t>(0, fi - rb + 1); p <= std::min(ra - 1, fi); ++p)
                for (std::ptrdiff_t q = std::max<std::ptrdiff_t>(0, fj - cb + 1); q <= std::min(ca - 1, fj); ++q)
                    sum += widen(a(p, q)) * kernel(fi - p, fj - q);
            y[static_cast<std::size_t>(i * out.cols + j)] = sum;
        }
    return y;
}

// Rounding bounds for one output element, from the operands alone (u: the real type's epsilon,
// twice its unit roundoff, which leaves a factor of 2 of headroom throughout).
//
// direct: each output is a sum of at most K = min(ra, rb)·min(ca, cb) products, in any order;
//   |error| <= (K + 2)·u·Σ|a_j||b_(i-j)| for real data (one rounding per product and per addition),
//   twice that for complex products; and Σ|a_j||b_(i-j)| <= min(max|a|·‖b‖₁, ‖a‖₁·max|b|).
// fft: with N the padded transform size and L = log2 N, a transform's computed result is within
//   L·η of the exact one in the 2-norm (η a few u, twiddle factors included); the transforms of
//   a and b carry errors of L·η·√N·‖a‖₂ and L·η·√N·‖b‖₂, multiplied by spectra bounded by ‖b‖₁
//   and ‖a‖₁; the inverse (a factor 1/√N in the 2-norm) adds L·η·‖y‖₂ <= L·η·‖a‖₁‖b‖₂. So
//   |error| <= ‖error‖₂ <= c·(L + 1)·u·(‖a‖₂‖b‖₁ + ‖a‖₁‖b‖₂), with c = 16 covering η and the
//   three transforms. N <= 4·(ra + rb)·(ca + cb) bounds L (padding at most doubles a length, and
//   real transforms round up to even); overlap-save blocks are shorter transforms of parts of
//   the same operands, under the same bound.
// Both carry an absolute term of a few hundred smallest normal numbers for values near underflow.
struct Bounds {
    Wide direct = 0;
    Wide fft = 0;
    Wide for_method(Method m) const {
        return m == Method::direct ? direct : m == Method::fft ? fft : std::max(direct, fft);
    }
};

template <class T>
Bounds bounds(const Image<T>& a, const Image<T>& b) {
    using R = fftconv::real_t<T>;
    const auto norms = [](const Image<T>& x) {
        Wide inf = 0, one = 0, two = 0;
        for (const T& v : x.values()) {
            const Wide m = std::abs(widen(v));
            inf = std::max(inf, m);
            one += m;
            two += m * m;
        }
        return std::array<Wide, 3>{inf, one, std::sqrt(two)};
    };
    const auto [a_inf, a_one, a_two] = norms(a);
    const auto [b_inf, b_one, b_two] = norms(b);
    const Wide u = std::numeric_limits<R>::epsilon();
    const Wide k = static_cast<Wide>(std::min(a.rows(), b.rows()) * std::min(a.cols(), b.cols()));
    const Wide log_n = std::log2(static_cast<Wide>(4 * (a.rows() + b.rows()) * (a.cols() + b.cols())));
    const Wide tiny =
        256 * static_cast<Wide>(std::numeric_limits<R>::min()) * (k + static_cast<Wide>(a.size() + b.size()));
    Bounds out;
    out.direct = (fftconv::is_complex_v<T> ? 2 : 1) * (k + 2) * u * std::min(a_inf * b_one, a_one * b_inf) + tiny;
    out.fft = 16 * (log_n + 1) * u * (a_two * b_one + a_one * b_two) + tiny;
    return out;
}

template <class T>
void check_close(const std::string& c, const std::string& what, ImageView<const T> got, Shape want_shape,
                 const std::vector<wide_t<T>>& want, Wide bound) {
    if (got.shape() != want_shape)
        fail(c + ": " + what + " has shape " + fftconv::to_string(got.shape()) + ", expected " +
             fftconv::to_string(want_shape));
    Wide worst = 0;
    std::ptrdiff_t at = -1;
    for (std::ptrdiff_t i = 0; i < got.rows; ++i)
        for (std::ptrdiff_t j = 0; j < got.cols; ++j) {
            const wide_t<T> g = widen(got(i, j));
            if (!std::isfinite(std::abs(g)))
                fail(c + ": " + what + " is not finite at (" + std::to_string(i) + ", " + std::to_string(j) +
                     ") although every input is");
            const Wide d = std::abs(g - want[static_cast<std::size_t>(i * got.cols + j)]);
            if (d > worst) worst = d, at = i * got.cols + j;
        }
    if (worst > bound) {
        char buf[160];
        std::snprintf(buf, sizeof buf, ": %s differs by %.6Lg at element %td, more than the bound %.6Lg", what.c_str(),
                      worst, at, bound);
        fail(c + buf);
    }
}

template <class T>
std::vector<wide_t<T>> widened(ImageView<const T> v) {
    std::vector<wide_t<T>> out;
    out.reserve(static_cast<std::size_t>(v.size()));
    for (std::ptrdiff_t i = 0; i < v.rows; ++i)
        for (std::ptrdiff_t j = 0; j < v.cols; ++j) out.push_back(widen(v(i, j)));
    return out;
}

template <class F>
void expect_error(const std::string& c, const std::string& what, F&& call) {
    try {
        call();
    } catch (const fftconv::Error&) {
        return;
    } catch (const std::exception& e) {
        fail(c + ": " + what + " threw something other than fftconv::Error: " + e.what());
    }
    fail(c + ": " + what + " did not throw fftconv::Error");
}

template <class T>
Image<T> run(ImageView<const T> a, ImageView<const T> b, Mode mode, Method method, bool correlate) {
    return correlate ? fftconv::correlate<T>(a, b, mode, method) : fftconv::convolve<T>(a, b, mode, method);
}

template <class T>
std::vector<T> run(std::span<const T> a, std::span<const T> b, Mode mode, Method method, bool correlate) {
    return correlate ? fftconv::correlate<T>(a, b, mode, method) : fftconv::convolve<T>(a, b, mode, method);
}

// Shapes that must be refused: every entry point throws fftconv::Error.
template <class T>
void check_refused(const std::string& c, Shape sa, Shape sb, Mode mode, bool correlate) {
    constexpr fftconv::ElementType type = fftconv::element_type_v<T>;
    // Views of real memory (one element more than any view reads), so that only the shape is wrong;
    // a huge input (see check_huge) has none, and meets only the calls that take its shape.
    const bool small = sa.rows <= 4096 && sa.cols <= 4096;
    const auto elements = [](Shape s) { return static_cast<std::size_t>(std::max<std::ptrdiff_t>(s.size(), 1) + 1); };
    const std::vector<T> da(small ? elements(sa) : 1, T(1)), db(elements(sb), T(1));
    const ImageView<const T> va(da.data(), sa.rows, sa.cols), vb(db.data(), sb.rows, sb.cols);
    if (small)
        for (Method m : {Method::direct, Method::fft, Method::automatic})
            expect_error(c, std::string(fftconv::to_string(m)) + " call",
                         [&] { (void)run<T>(va, vb, mode, m, correlate); });
    expect_error(c, "choose_method", [&] { (void)fftconv::choose_method(sa, sb, mode, type); });
    for (Method m : {Method::direct, Method::fft})
        expect_error(c, std::string("estimate_seconds ") + fftconv::to_string(m),
                     [&] { (void)fftconv::estimate_seconds(sa, sb, mode, type, m); });
    for (Method m : {Method::direct, Method::fft, Method::automatic})
        expect_error(c, std::string("Convolver ") + fftconv::to_string(m),
                     [&] { fftconv::Convolver<T> plan(sa, vb, mode, {.method = m, .correlate = correlate}); });
}

// An input of a huge shape (a dimension of 2^16 up to PTRDIFF_MAX) against a small kernel, through
// the calls that take a shape without its data: choose_method, estimate_seconds and the
// Convolver's construction. Each either works (with consistent results) or throws
// fftconv::Error: sizes that overflow, or requests beyond the memory limit (set low in
// LLVMFuzzerInitialize, so that a refusal is what a too-large request meets rather than an
// allocation the fuzzer would count as running out of memory).
template <class T>
void check_huge(const std::string& c, Shape sa, ImageView<const T> b, Mode mode, Method plan_method, bool correlate) {
    constexpr fftconv::ElementType type = fftconv::element_type_v<T>;
    const auto allowed = [&](const std::string& what, auto&& call) {
        try {
            call();
        } catch (const fftconv::Error&) {
        } catch (const std::exception& e) {
            fail(c + ": " + what + " threw something other than fftconv::Error: " + e.what());
        }
    };
    allowed("choose_method", [&] {
        const Method m = fftconv::choose_method(sa, b.shape(), mode, type);
        if (m != Method::direct && m != Method::fft) fail(c + ": choose_method returned automatic");
    });
    for (Method m : {Method::direct, Method::fft})
        allowed(std::string("estimate_seconds ") + fftconv::to_string(m), [&] {
            const double s = fftconv::estimate_seconds(sa, b.shape(), mode, type, m);
            if (!(s >= 0) || !std::isfinite(s))
                fail(c + ": estimate_seconds(" + fftconv::to_string(m) + ") is " + std::to_string(s));
        });
    allowed("Convolver", [&] {
        fftconv::Convolver<T> plan(sa, b, mode, {.method = plan_method, .correlate = correlate});
        std::ptrdiff_t rows = 0, cols = 0;
        if (mode == Mode::full &&
            (__builtin_add_overflow(sa.rows, b.rows - 1, &rows) || __builtin_add_overflow(sa.cols, b.cols - 1, &cols)))
            fail(c + ": a Convolver was made although the full output's size overflows");
        if (plan.input_shape() != sa || plan.kernel_shape() != b.shape() ||
            plan.output_shape() != Shape{output_length(sa.rows, b.rows, mode), output_length(sa.cols, b.cols, mode)})
            fail(c + ": Convolver reports shapes " + fftconv::to_string(plan.input_shape()) + ", " +
                 fftconv::to_string(plan.kernel_shape()) + " -> " + fftconv::to_string(plan.output_shape()));
    });
}

template <class T>
void fuzz_case(FuzzedDataProvider& in) {
    constexpr fftconv::ElementType type = fftconv::element_type_v<T>;
    const bool correlate = in.ConsumeBool();
    const Mode mode = static_cast<Mode>(in.ConsumeIntegralInRange(0, 2));
    const bool one_d = in.ConsumeBool();
    Shape sa, sb;
    if (one_d) {
        sa = {1, in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 4096)};
        sb = {1, in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 64)};
        if (in.ConsumeBool()) std::swap(sa, sb);
    } else {
        sa = {in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 40), in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 40)};
        sb = {in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 40), in.ConsumeIntegralInRange<std::ptrdiff_t>(1, 40)};
    }
    // Now and then, an empty or negative size in one operand, or a huge one in the input.
    const int broken = in.ConsumeIntegralInRange(0, 15);
    if (broken < 4) {
        Shape& s = broken < 2 ? sa : sb;
        (broken % 2 ? s.rows : s.cols) = in.ConsumeIntegralInRange<std::ptrdiff_t>(-2, 0);
    } else if (broken < 6) {
        (broken % 2 ? sa.rows : sa.cols) = in.ConsumeIntegralInRange<std::ptrdiff_t>(
            std::ptrdiff_t{1} << 16, std::numeric_limits<std::ptrdiff_t>::max());
    }
    const auto encoding = static_cast<Encoding>(in.ConsumeIntegralInRange(0, 2));
    const int exp_a = in.ConsumeIntegralInRange(-20, 20), exp_b = in.ConsumeIntegralInRange(-20, 20);
    const int layout_a = in.ConsumeIntegralInRange(0, layout_count - 1);
    const int layout_b = in.ConsumeIntegralInRange(0, layout_count - 1);
    const auto plan_method = static_cast<Method>(in.ConsumeIntegralInRange(0, 2));

    const std::string c = std::string(fftconv::to_string(type)) + (correlate ? " correlate " : " convolve ") +
                          fftconv::to_string(sa) + " with " + fftconv::to_string(sb) + ", mode " +
                          fftconv::to_string(mode) + ", encoding " + std::to_string(static_cast<int>(encoding)) +
                          ", layouts " + std::to_string(layout_a) + "/" + std::to_string(layout_b);

    const bool contains = (sa.rows >= sb.rows && sa.cols >= sb.cols) || (sb.rows >= sa.rows && sb.cols >= sa.cols);
    if (sa.empty() || sb.empty() || (mode == Mode::valid && !contains)) {
        check_refused<T>(c, sa, sb, mode, correlate);
        return;
    }
    if (broken == 4 || broken == 5) {
        Image<T> b(sb);
        ValueStream values(in.ConsumeRemainingBytes<std::uint8_t>());
        for (T& v : b.values()) v = decode_value<T>(values, encoding, exp_b);
        check_huge<T>(c, sa, b.view(), mode, plan_method, correlate);
        return;
    }
    const Shape out_shape{output_length(sa.rows, sb.rows, mode), output_length(sa.cols, sb.cols, mode)};

    ValueStream values(in.ConsumeRemainingBytes<std::uint8_t>());
    Image<T> a(sa), b(sb);
    for (T& v : a.values()) v = decode_value<T>(values, encoding, exp_a);
    for (T& v : b.values()) v = decode_value<T>(values, encoding, exp_b);
    const Stored<T> stored_a = store(a, layout_a), stored_b = store(b, layout_b);
    const ImageView<const T> va = stored_a.view, vb = stored_b.view;
    const Bounds bound = bounds(a, b);

    // One-shot calls, every method.
    const Image<T> direct = run<T>(va, vb, mode, Method::direct, correlate);
    const Image<T> fft = run<T>(va, vb, mode, Method::fft, correlate);
    const Image<T> automatic = run<T>(va, vb, mode, Method::automatic, correlate);

    // The reference when it is cheap enough (up to a million long-double products);
    // otherwise the direct result stands in for it, with the sum of both bounds.
    const std::ptrdiff_t work = (sa.rows + sb.rows - 1) * (sa.cols + sb.cols - 1) * std::min(sa.size(), sb.size());
    const bool have_reference = work <= 1000000;
    std::vector<wide_t<T>> want;
    Bounds against = bound;
    if (have_reference) {
        want = reference(a, b, correlate, out_shape);
        if (encoding == Encoding::integers) {
            // Small integers: direct sums are exact.
            check_close<T>(c, "direct (integer data, exact)", direct.view(), out_shape, want, 0);
        }
        check_close<T>(c, "direct", direct.view(), out_shape, want, bound.direct);
        check_close<T>(c, "fft", fft.view(), out_shape, want, bound.fft);
    } else {
        want = widened<T>(direct.view());
        check_close<T>(c, "fft against direct", fft.view(), out_shape, want, bound.direct + bound.fft);
        against.fft = against.direct = bound.direct + bound.fft;
    }
    check_close<T>(c, "automatic", automatic.view(), out_shape, want, against.for_method(Method::automatic));

    // choose_method and the estimates.
    const Method chosen = fftconv::choose_method(sa, sb, mode, type);
    if (chosen != Method::direct && chosen != Method::fft) fail(c + ": choose_method returned automatic");
    for (Method m : {Method::direct, Method::fft}) {
        const double s = fftconv::estimate_seconds(sa, sb, mode, type, m);
        if (!(s >= 0) || !std::isfinite(s))
            fail(c + ": estimate_seconds(" + fftconv::to_string(m) + ") is " + std::to_string(s));
    }
    expect_error(c, "estimate_seconds(automatic)",
                 [&] { (void)fftconv::estimate_seconds(sa, sb, mode, type, Method::automatic); });

    // A Convolver: a new result, then twice into a kept buffer; wrong and overlapping buffers.
    fftconv::Convolver<T> plan(sa, vb, mode, {.method = plan_method, .correlate = correlate});
    if (plan.method() == Method::automatic) fail(c + ": Convolver::method() is automatic");
    if (plan.output_shape() != out_shape || plan.input_shape() != sa || plan.kernel_shape() != sb)
        fail(c + ": Convolver reports shapes " + fftconv::to_string(plan.input_shape()) + ", " +
             fftconv::to_string(plan.kernel_shape()) + " -> " + fftconv::to_string(plan.output_shape()));
    const Wide plan_bound = against.for_method(plan.method());
    check_close<T>(c, "Convolver::apply", plan.apply(va).view(), out_shape, want, plan_bound);
    Image<T> kept(out_shape);
    for (int i = 0; i < 2; ++i) {
        plan.apply(va, kept.view());
        check_close<T>(c, "Convolver::apply into a buffer", kept.view(), out_shape, want, plan_bound);
    }
    Image<T> bigger(sa.rows + 1, sa.cols);
    expect_error(c, "Convolver::apply on the wrong shape", [&] { (void)plan.apply(bigger.view()); });
    Image<T> wrong_out(out_shape.rows, out_shape.cols + 1);
    expect_error(c, "Convolver::apply into the wrong shape", [&] { plan.apply(va, wrong_out.view()); });
    if (out_shape == sa) {
        Image<T> shared(a);
        expect_error(c, "Convolver::apply into its own input", [&] { plan.apply(shared.view(), shared.view()); });
    }

    // 1D: the std::span overloads and a 1D Convolver.
    if (one_d) {
        const std::span<const T> sa1 = a.values(), sb1 = b.values();
        for (Method m : {Method::direct, Method::fft}) {
            const std::vector<T> y = run<T>(sa1, sb1, mode, m, correlate);
            const ImageView<const T> yv(y.data(), 1, static_cast<std::ptrdiff_t>(y.size()));
            check_close<T>(c, std::string("1D ") + fftconv::to_string(m), yv, out_shape, want, against.for_method(m));
        }
        fftconv::Convolver<T> plan1(static_cast<std::size_t>(sa.cols), sb1, mode,
                                    {.method = plan_method, .correlate = correlate});
        const std::vector<T> y = plan1.apply(sa1);
        const ImageView<const T> yv(y.data(), 1, static_cast<std::ptrdiff_t>(y.size()));
        check_close<T>(c, "1D Convolver::apply", yv, out_shape, want, against.for_method(plan1.method()));
        std::vector<T> longer(static_cast<std::size_t>(sa.cols + 1));
        expect_error(c, "1D Convolver::apply on the wrong length",
                     [&] { (void)plan1.apply(std::span<const T>(longer)); });
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fftconv::set_memory_limit(std::size_t{256} << 20);  // see check_huge
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0: fuzz_case<float>(in); break;
        case 1: fuzz_case<double>(in); break;
        case 2: fuzz_case<std::complex<float>>(in); break;
        default: fuzz_case<std::complex<double>>(in); break;
    }
    return 0;
}
