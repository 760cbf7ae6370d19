// The fftconv tool on arrays, end to end: .npy inputs of rank 1 to 4 through conv's modes and
// borders, named and .npy kernels at the array's rank, the element types in and out, multi-page
// TIFFs read as volumes with --volume, compare on arrays, .npy on standard input and output, the
// command lines that must be refused with nothing written, and images written as .npy (with
// --volume, and without it in numpy's layout for an image). The references are
// brute-force sums written here from scipy's definitions (scipy.signal's modes, scipy.ndimage's
// borders), OpenCV, and the library's own filters; the .npy files are written and read byte by
// byte here. Tolerances, relative to the largest value: 1e-12 for float64 results, 1e-5 for
// float32; images (0..255) are exact under integer kernels, else within 1e-3.
#include <bit>
#include <complex>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <random>
#include <span>
#include <tuple>
#include <type_traits>

#include "apps_harness.hpp"

using namespace apps_test;

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy bytes below are written little-endian");

using Dims = std::vector<std::ptrdiff_t>;
using cdouble = std::complex<double>;

std::ptrdiff_t count(const Dims& shape) {
    std::ptrdiff_t n = 1;
    for (const std::ptrdiff_t d : shape) n *= d;
    return n;
}

// f(index) for every index of `shape`, in row-major order.
template <class F>
void for_each_index(const Dims& shape, F&& f) {
    if (count(shape) == 0) return;
    Dims i(shape.size(), 0);
    for (;;) {
        f(static_cast<const Dims&>(i));
        std::size_t a = shape.size();
        while (a > 0 && ++i[a - 1] == shape[a - 1]) i[--a] = 0;
        if (a == 0) return;
    }
}

std::ptrdiff_t offset(const Dims& shape, const Dims& index) {
    std::ptrdiff_t o = 0;
    for (std::size_t a = 0; a < shape.size(); ++a) o = o * shape[a] + index[a];
    return o;
}

// An array of any rank in row-major order, for the references.
template <class T>
struct Nd {
    Dims shape;
    std::vector<T> v;
    Nd() = default;
    explicit Nd(Dims s) : shape(std::move(s)), v(static_cast<std::size_t>(count(shape)), T(0)) {}
    T& operator[](const Dims& i) { return v[static_cast<std::size_t>(offset(shape, i))]; }
    const T& operator[](const Dims& i) const { return v[static_cast<std::size_t>(offset(shape, i))]; }
};

Nd<double> random_nd(const Dims& shape, unsigned seed, double low = -1, double high = 1) {
    Nd<double> a(shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(low, high);
    for (double& x : a.v) x = u(rng);
    return a;
}

template <class T>
T conj_of(T x) {
    if constexpr (std::is_same_v<T, cdouble>)
        return std::conj(x);
    else
        return x;
}

// scipy.signal.convolve(a, k, mode) by its definition: the full sum, then the centred part of
// a's size ("same", starting at (K-1)//2) or the part where k fits inside a ("valid"). correlate
// is the convolution with k reversed and conjugated.
template <class T>
Nd<T> signal_reference(const Nd<T>& a, const Nd<T>& kernel, const std::string& mode, bool correlate) {
    Nd<T> k = kernel;
    if (correlate)
        for_each_index(k.shape, [&](const Dims& i) {
            Dims r = i;
            for (std::size_t d = 0; d < r.size(); ++d) r[d] = k.shape[d] - 1 - i[d];
            k[i] = conj_of(kernel[r]);
        });
    Dims full_shape = a.shape;
    for (std::size_t d = 0; d < full_shape.size(); ++d) full_shape[d] += k.shape[d] - 1;
    Nd<T> full(full_shape);
    for_each_index(a.shape, [&](const Dims& ia) {
        for_each_index(k.shape, [&](const Dims& ik) {
            Dims o = ia;
            for (std::size_t d = 0; d < o.size(); ++d) o[d] += ik[d];
            full[o] += a[ia] * k[ik];
        });
    });
    if (mode == "full") return full;
    Dims start(a.shape.size()), shape = a.shape;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        start[d] = mode == "same" ? (k.shape[d] - 1) / 2 : k.shape[d] - 1;
        if (mode == "valid") shape[d] = a.shape[d] - k.shape[d] + 1;
    }
    Nd<T> out(shape);
    for_each_index(shape, [&](const Dims& i) {
        Dims f = i;
        for (std::size_t d = 0; d < f.size(); ++d) f[d] += start[d];
        out[i] = full[f];
    });
    return out;
}

enum class Edge { constant, nearest, reflect, mirror, wrap };

// Where position p of an axis of n elements reads under scipy.ndimage's modes; -1 for cval.
//   reflect  d c b a | a b c d | d c b a      mirror  d c b | a b c d | c b a
//   nearest  a a a a | a b c d | d d d d      wrap    a b c d | a b c d | a b c d
std::ptrdiff_t fold(std::ptrdiff_t p, std::ptrdiff_t n, Edge e) {
    const auto mod = [](std::ptrdiff_t x, std::ptrdiff_t m) { return ((x % m) + m) % m; };
    switch (e) {
        case Edge::constant: return p >= 0 && p < n ? p : -1;
        case Edge::nearest: return std::clamp<std::ptrdiff_t>(p, 0, n - 1);
        case Edge::wrap: return mod(p, n);
        case Edge::reflect: {
            const std::ptrdiff_t q = mod(p, 2 * n);
            return q < n ? q : 2 * n - 1 - q;
        }
        case Edge::mirror: {
            if (n == 1) return 0;
            const std::ptrdiff_t q = mod(p, 2 * n - 2);
            return q < n ? q : 2 * n - 2 - q;
        }
    }
    return -1;
}

// scipy.ndimage.correlate and convolve (origin 0) by their definitions: correlate anchors the
// kernel at K//2, out(i) = sum_j k(j) ext(i + j - K//2); convolve reverses the kernel, and an even
// size is anchored one lower, out(i) = sum_j k(j) ext(i - j + (K-1) - (K-1)//2).
Nd<double> ndimage_reference(const Nd<double>& a, const Nd<double>& k, Edge e, double cval, bool correlate) {
    Nd<double> out(a.shape);
    for_each_index(a.shape, [&](const Dims& i) {
        double sum = 0;
        for_each_index(k.shape, [&](const Dims& j) {
            Dims p = i;
            bool outside = false;
            for (std::size_t d = 0; d < p.size(); ++d) {
                const std::ptrdiff_t K = k.shape[d];
                p[d] = correlate ? i[d] + j[d] - K / 2 : i[d] - j[d] + (K - 1) - (K - 1) / 2;
                p[d] = fold(p[d], a.shape[d], e);
                outside = outside || p[d] < 0;
            }
            sum += k[j] * (outside ? cval : a[p]);
        });
        out[i] = sum;
    });
    return out;
}

// ---- .npy files, byte by byte ----

std::string tuple_text(const Dims& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// Version 1.0: the magic, the version, the header's length (little-endian uint16), then the dict
// padded with spaces and a final '\n' so that the data starts at a multiple of 64.
std::string npy_header(const std::string& descr, const Dims& shape, bool fortran = false) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + tuple_text(shape) + ", }";
    const std::size_t used = 10 + dict.size() + 1;
    dict += std::string((used + 63) / 64 * 64 - used, ' ') + "\n";
    std::string bytes("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(dict.size() & 0xff);
    bytes += static_cast<char>(dict.size() >> 8);
    return bytes + dict;
}

// Row-major values as the file's bytes: converted to E, in Fortran order when asked, each
// component byte-swapped for a big-endian file.
template <class E, class T>
std::string npy_data(const Nd<T>& a, bool fortran = false, bool big_endian = false) {
    using Item = std::conditional_t<std::is_same_v<E, bool>, std::uint8_t, E>;  // numpy's bool is one byte, 0 or 1
    std::vector<Item> items(a.v.size());
    for_each_index(a.shape, [&](const Dims& i) {
        std::ptrdiff_t f = 0;
        for (std::size_t d = a.shape.size(); d-- > 0;) f = f * a.shape[d] + i[d];
        const std::size_t at = static_cast<std::size_t>(fortran ? f : offset(a.shape, i));
        if constexpr (std::is_same_v<E, bool>)
            items[at] = a[i] != T(0);
        else
            items[at] = static_cast<Item>(a[i]);
    });
    std::string bytes(items.size() * sizeof(Item), '\0');
    std::memcpy(bytes.data(), items.data(), bytes.size());
    if (big_endian) {
        std::size_t width = sizeof(E);
        if constexpr (std::is_same_v<E, std::complex<float>> || std::is_same_v<E, cdouble>) width /= 2;
        for (std::size_t at = 0; at < bytes.size(); at += width)
            std::reverse(bytes.begin() + at, bytes.begin() + at + width);
    }
    return bytes;
}

template <class E, class T>
void write_npy(const std::string& path, const std::string& descr, const Nd<T>& a, bool fortran = false,
               bool big_endian = false) {
    write_bytes(path, npy_header(descr, a.shape, fortran) + npy_data<E>(a, fortran, big_endian));
}

void write_f8(const std::string& path, const Nd<double>& a) {
    write_npy<double>(path, "<f8", a);
}

// An .npy file as the tool writes it: its header's fields and its data bytes.
struct Npy {
    std::string descr;
    bool fortran = true;
    Dims shape;
    std::string data;
    std::string header;
};

Npy parse_npy(const std::string& bytes) {
    REQUIRE(bytes.size() >= 10);
    REQUIRE(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t length = static_cast<unsigned char>(bytes[8]) | static_cast<std::size_t>(bytes[9]) << 8;
    REQUIRE(bytes.size() >= 10 + length);
    Npy n;
    n.header = bytes.substr(10, length);
    CHECK((10 + length) % 64 == 0);
    CHECK(n.header.ends_with("\n"));
    const auto field = [&](const std::string& key) {
        const std::size_t at = n.header.find("'" + key + "': ");
        REQUIRE_MESSAGE(at != std::string::npos, "no " << key << " in " << n.header);
        return at + key.size() + 4;
    };
    const std::size_t d = field("descr");
    REQUIRE(n.header[d] == '\'');
    n.descr = n.header.substr(d + 1, n.header.find('\'', d + 1) - d - 1);
    n.fortran = n.header.compare(field("fortran_order"), 4, "True") == 0;
    const std::size_t s = field("shape");
    REQUIRE(n.header[s] == '(');
    std::string dims = n.header.substr(s + 1, n.header.find(')', s) - s - 1);
    std::replace(dims.begin(), dims.end(), ',', ' ');
    std::istringstream in(dims);
    for (std::ptrdiff_t v = 0; in >> v;) n.shape.push_back(v);
    n.data = bytes.substr(10 + length);
    return n;
}

Npy read_npy(const std::string& path) {
    REQUIRE_MESSAGE(fs::exists(path), path << " was not written");
    return parse_npy(slurp(path));
}

// The elements of a little-endian, C-order file as T, checked to be exactly as many as its shape.
template <class E, class T = E>
Nd<T> values_of(const Npy& n) {
    Nd<T> a(n.shape);
    REQUIRE(!n.fortran);
    REQUIRE(n.data.size() == a.v.size() * sizeof(E));
    std::vector<E> items(a.v.size());
    std::memcpy(items.data(), n.data.data(), n.data.size());
    for (std::size_t i = 0; i < items.size(); ++i) a.v[i] = static_cast<T>(items[i]);
    return a;
}

// The largest |got - want| over the largest |want|, for arrays of the same shape.
template <class T, class U>
double relative_error(const Nd<T>& got, const Nd<U>& want) {
    REQUIRE(got.shape == want.shape);
    double d = 0, m = 0;
    for (std::size_t i = 0; i < want.v.size(); ++i) {
        d = std::max(d, static_cast<double>(std::abs(static_cast<U>(got.v[i]) - want.v[i])));
        m = std::max(m, static_cast<double>(std::abs(want.v[i])));
    }
    return m > 0 ? d / m : d;
}

Nd<double> from_array(const Array<float>& a) {
    Nd<double> n(Dims(a.shape().begin(), a.shape().end()));
    for (std::size_t i = 0; i < n.v.size(); ++i) n.v[i] = a.values()[i];
    return n;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The number after `label` on the line that starts with it.
double number_after(const std::string& text, const std::string& label) {
    const std::size_t at = text.find("\n" + label);
    REQUIRE_MESSAGE(at != std::string::npos, "no line '" << label << "' in:\n" << text);
    return std::stod(text.substr(at + 1 + label.size()));
}

// Usage errors whose message names no file: each exits 2 with one line saying `names`, and leaves
// the scratch directory as it was (check_refusals does the same for messages naming a file).
void check_refusals_saying(const Scratch& s, const std::vector<Refusal>& cases) {
    for (const Refusal& c : cases) {
        CAPTURE(c.what);
        const auto before = snapshot(s.dir);
        const Result r = run(c.args, s);
        CHECK(r.status == 2);
        CHECK_FALSE(contains(r.out, "wrote"));
        CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 1, "stderr: " << r.err);
        CHECK(r.err.starts_with("fftconv " + c.args.front() + ": error: "));
        CHECK_MESSAGE(contains(r.err, c.names), "stderr: " << r.err);
        const auto after = snapshot(s.dir);
        CHECK_MESSAGE(after == before, "files touched:" << changes(before, after));
    }
}

cv::Mat camera_float() {
    cv::Mat f;
    read_any(camera).convertTo(f, CV_32F);
    return f;
}

// A 3x3 integer kernel, as the tool reads it and as cv::filter2D's matrix. On 8-bit values every
// sum is an exact integer in float, so results are equal whatever the order of the additions.
const std::string integer_kernel = "1,2,0;-1,3,1;0,0,2";

cv::Mat integer_kernel_mat() {
    return (cv::Mat_<float>(3, 3) << 1, 2, 0, -1, 3, 1, 0, 0, 2);
}

// The camera image correlated by cv::filter2D with `kernel` anchored at its centre (K/2 along
// each axis, as scipy.ndimage.correlate), `border` outside.
cv::Mat filter2d_camera(const cv::Mat& kernel, int border) {
    cv::Mat out;
    cv::filter2D(camera_float(), out, CV_32F, kernel, cv::Point(-1, -1), 0, border);
    return out;
}

// A float image as an array of (rows, cols).
Nd<double> from_mat(const cv::Mat& m) {
    REQUIRE(m.type() == CV_32FC1);
    Nd<double> n({m.rows, m.cols});
    for (int r = 0; r < m.rows; ++r)
        for (int c = 0; c < m.cols; ++c) n[{r, c}] = m.at<float>(r, c);
    return n;
}

// The camera image blurred by the library's gaussian_blur (reflect border), as an array.
Nd<double> camera_blurred(double sigma) {
    return from_mat(to_mat(gaussian_blur(camera_image(), sigma)));
}

// `pages` random pages of rows x cols, float32 in 0..1 or 8-bit.
std::vector<cv::Mat> random_pages(int pages, int rows, int cols, int type, unsigned seed) {
    cv::RNG rng(seed);
    std::vector<cv::Mat> all;
    for (int p = 0; p < pages; ++p) {
        cv::Mat m(rows, cols, type);
        if (type == CV_8UC1)
            rng.fill(m, cv::RNG::UNIFORM, 0, 256);
        else
            rng.fill(m, cv::RNG::UNIFORM, 0.0, 1.0);
        all.push_back(m);
    }
    return all;
}

// The pages stacked into an array of (pages, rows, cols), as float.
Array<float> stacked(const std::vector<cv::Mat>& pages) {
    Array<float> a(Extents{static_cast<std::ptrdiff_t>(pages.size()), pages[0].rows, pages[0].cols});
    std::size_t i = 0;
    for (const cv::Mat& p : pages) {
        cv::Mat f;
        p.convertTo(f, CV_32F);
        for (int r = 0; r < f.rows; ++r)
            for (int c = 0; c < f.cols; ++c) a.values()[i++] = f.at<float>(r, c);
    }
    return a;
}

}  // namespace

TEST_CASE("conv on .npy arrays: the known answer of the format's description") {
    Scratch s;
    Nd<double> a({3, 3, 3});
    for (std::size_t i = 0; i < a.v.size(); ++i) a.v[i] = static_cast<double>(i);  // arange(27).reshape(3, 3, 3)
    write_f8(s / "a.npy", a);
    Nd<double> ones({2, 2, 2});
    std::fill(ones.v.begin(), ones.v.end(), 1.0);
    write_f8(s / "ones.npy", ones);
    const Result r = run({"conv", s / "a.npy", s / "ones.npy", s / "out.npy", "--mode", "valid"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "wrote " + s / "out.npy" + " (shape (2, 2, 2), float64 .npy, values unscaled)"));
    const Npy out = read_npy(s / "out.npy");
    CHECK(out.descr == "<f8");
    CHECK(out.shape == Dims{2, 2, 2});
    CHECK(contains(out.header, "'shape': (2, 2, 2)"));
    CHECK(values_of<double>(out).v == std::vector<double>{52, 60, 76, 84, 124, 132, 148, 156});
}

TEST_CASE("conv on .npy arrays of rank 1 to 4: full, same and valid, convolution and correlation") {
    Scratch s;
    const std::vector<std::pair<Dims, Dims>> cases = {
        {{13}, {4}}, {{7, 9}, {3, 4}}, {{5, 6, 4}, {2, 3, 3}}, {{3, 4, 5, 3}, {2, 2, 3, 2}}};
    unsigned seed = 10;
    for (const auto& [shape, kshape] : cases) {
        CAPTURE(shape.size());
        const Nd<double> a = random_nd(shape, ++seed), k = random_nd(kshape, ++seed);
        write_f8(s / "a.npy", a);
        write_f8(s / "k.npy", k);
        for (const char* mode : {"full", "same", "valid"})
            for (const bool correlate : {false, true}) {
                CAPTURE(mode);
                CAPTURE(correlate);
                std::vector<std::string> args{"conv", s / "a.npy", s / "k.npy", s / "out.npy", "--mode", mode};
                if (correlate) args.push_back("--correlate");
                const Result r = run(args, s);
                REQUIRE_MESSAGE(r.status == 0, r.err);
                CHECK(contains(r.out, std::string(correlate ? "correlation" : "convolution") + ", mode " + mode));
                const Npy out = read_npy(s / "out.npy");
                CHECK(out.descr == "<f8");
                const Nd<double> want = signal_reference(a, k, mode, correlate);
                CHECK(out.shape == want.shape);
                CHECK(relative_error(values_of<double>(out), want) < 1e-12);
            }
    }
    // Both methods, asked for by name, on the rank-3 case.
    const Nd<double> a = random_nd({6, 5, 7}, 31), k = random_nd({3, 4, 2}, 32);
    write_f8(s / "a.npy", a);
    write_f8(s / "k.npy", k);
    for (const char* method : {"direct", "fft"}) {
        CAPTURE(method);
        REQUIRE(
            run({"conv", s / "a.npy", s / "k.npy", s / "out.npy", "--mode", "same", "--method", method}, s).status ==
            0);
        CHECK(relative_error(values_of<double>(read_npy(s / "out.npy")), signal_reference(a, k, "same", false)) <
              1e-12);
    }
}

TEST_CASE("conv kernels for arrays: .npy kernels of lower rank, named kernels at the array's rank, 2D kernels") {
    Scratch s;
    const Nd<double> a = random_nd({4, 5, 6}, 40);
    write_f8(s / "a.npy", a);
    const auto conv = [&](const std::string& input, const std::string& kernel, const std::string& mode) {
        const Result r = run({"conv", input, kernel, s / "out.npy", "--mode", mode}, s);
        REQUIRE_MESSAGE(r.status == 0, r.err);
        return std::make_pair(r.out, values_of<double>(read_npy(s / "out.npy")));
    };

    // A kernel of fewer axes gets leading axes of 1: (3, 2) acts as (1, 3, 2), (4,) as (1, 1, 4).
    const Nd<double> k2 = random_nd({3, 2}, 41), k1 = random_nd({4}, 42);
    write_f8(s / "k2.npy", k2);
    write_f8(s / "k1.npy", k1);
    Nd<double> k2as3({1, 3, 2}), k1as3({1, 1, 4});
    k2as3.v = k2.v;
    k1as3.v = k1.v;
    auto [text, got] = conv(s / "a.npy", s / "k2.npy", "full");
    CHECK(contains(text, "kernel " + s / "k2.npy" + " ((3, 2) .npy), convolution, mode full"));
    CHECK(relative_error(got, signal_reference(a, k2as3, "full", false)) < 1e-12);
    std::tie(text, got) = conv(s / "a.npy", s / "k1.npy", "same");
    CHECK(relative_error(got, signal_reference(a, k1as3, "same", false)) < 1e-12);

    // A unit impulse convolved in full mode gives the kernel itself: named kernels reach along
    // every axis of a volume.
    Nd<double> impulse({1, 1, 1});
    impulse.v = {1.0};
    write_f8(s / "impulse.npy", impulse);
    std::tie(text, got) = conv(s / "impulse.npy", "gaussian:2", "full");
    CHECK(contains(text, "kernel gaussian:2 (17, 17, 17)"));
    const std::vector<double> g = gaussian_kernel<double>(2);
    REQUIRE(g.size() == 17);
    Nd<double> gauss({17, 17, 17});
    for_each_index(gauss.shape, [&](const Dims& i) { gauss[i] = g[i[0]] * g[i[1]] * g[i[2]]; });
    CHECK(relative_error(got, gauss) < 1e-12);

    std::tie(text, got) = conv(s / "impulse.npy", "box:3", "full");
    CHECK(contains(text, "kernel box:3 (3, 3, 3)"));
    CHECK(got.shape == Dims{3, 3, 3});
    for (const double v : got.v) CHECK(v == doctest::Approx(1.0 / 27).epsilon(1e-12));

    // random:5:7: uniform values from the 64-bit Mersenne Twister seeded 7, normalised to sum 1.
    std::tie(text, got) = conv(s / "impulse.npy", "random:5:7", "full");
    CHECK(contains(text, "kernel random:5:7 (5, 5, 5)"));
    Nd<double> random({5, 5, 5});
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    double sum = 0;
    for (double& v : random.v) sum += v = u(rng);
    for (double& v : random.v) v /= sum;
    CHECK(relative_error(got, random) < 1e-12);
    const Nd<double> seven = got;
    std::tie(text, got) = conv(s / "impulse.npy", "random:5", "full");  // seed 1: another kernel
    CHECK(got.shape == Dims{5, 5, 5});
    CHECK(relative_error(got, seven) > 0.1);

    // On a constant volume the named kernels (sum 1) give the constant back wherever they fit:
    // valid mode.
    Nd<double> flat({20, 19, 18});
    std::fill(flat.v.begin(), flat.v.end(), 3.0);
    write_f8(s / "flat.npy", flat);
    std::tie(text, got) = conv(s / "flat.npy", "gaussian:2", "valid");
    CHECK(got.shape == Dims{4, 3, 2});
    for (const double v : got.v) CHECK(v == doctest::Approx(3.0).epsilon(1e-12));

    // A 2D inline kernel on a volume acts on the last two axes.
    std::tie(text, got) = conv(s / "a.npy", "1,2,-1;3,4,0.5", "full");
    CHECK(contains(text, "along the last two axes"));
    Nd<double> inline_k({1, 2, 3});
    inline_k.v = {1, 2, -1, 3, 4, 0.5};
    CHECK(relative_error(got, signal_reference(a, inline_k, "full", false)) < 1e-12);
    // A rank-4 array takes box:2 as 2x2x2x2, and a 1D array a one-row inline kernel.
    const Nd<double> a4 = random_nd({3, 4, 2, 3}, 43);
    write_f8(s / "a4.npy", a4);
    std::tie(text, got) = conv(s / "a4.npy", "box:2", "same");
    Nd<double> box4({2, 2, 2, 2});
    std::fill(box4.v.begin(), box4.v.end(), 1.0 / 16);
    CHECK(relative_error(got, signal_reference(a4, box4, "same", false)) < 1e-12);
    const Nd<double> a1 = random_nd({11}, 44);
    write_f8(s / "a1.npy", a1);
    std::tie(text, got) = conv(s / "a1.npy", "1,-2,4", "valid");
    Nd<double> row({3});
    row.v = {1, -2, 4};
    CHECK(relative_error(got, signal_reference(a1, row, "valid", false)) < 1e-12);
}

TEST_CASE("conv --border on .npy arrays: scipy.ndimage.convolve and correlate, every mode, ranks 1 to 4") {
    Scratch s;
    // Even sizes, and kernels wider than the array along an axis (the border folds again). Ranks
    // 2 and 3 both ways; rank 1 correlated and rank 4 convolved (each run starts the tool anew).
    struct Case {
        Dims shape, kernel;
        std::vector<bool> correlate;
    };
    const std::vector<Case> cases = {{{5}, {8}, {true}},
                                     {{6, 7}, {4, 3}, {false, true}},
                                     {{4, 5, 3}, {3, 2, 4}, {false, true}},
                                     {{3, 4, 2, 3}, {2, 3, 2, 1}, {false}}};
    const std::vector<std::pair<std::string, Edge>> borders = {{"constant", Edge::constant},
                                                               {"replicate", Edge::nearest},
                                                               {"reflect", Edge::reflect},
                                                               {"reflect101", Edge::mirror},
                                                               {"wrap", Edge::wrap}};
    unsigned seed = 50;
    for (const Case& c : cases) {
        CAPTURE(c.shape.size());
        const Nd<double> a = random_nd(c.shape, ++seed, 0, 2), k = random_nd(c.kernel, ++seed);
        write_f8(s / "a.npy", a);
        write_f8(s / "k.npy", k);
        auto names = borders;
        // scipy's names for replicate and reflect101, on the rank-3 case.
        if (c.shape.size() == 3) names.insert(names.end(), {{"nearest", Edge::nearest}, {"mirror", Edge::mirror}});
        for (const auto& [name, edge] : names)
            for (const bool correlate : c.correlate) {
                CAPTURE(name);
                CAPTURE(correlate);
                std::vector<std::string> args{"conv", s / "a.npy", s / "k.npy", s / "out.npy", "--border", name};
                if (correlate) args.push_back("--correlate");
                if (edge == Edge::constant) args.insert(args.end(), {"--cval", "1.5"});
                const Result r = run(args, s);
                REQUIRE_MESSAGE(r.status == 0, r.err);
                const Npy out = read_npy(s / "out.npy");
                CHECK(out.descr == "<f8");
                CHECK(out.shape == c.shape);
                const Nd<double> want = ndimage_reference(a, k, edge, 1.5, correlate);
                CHECK(relative_error(values_of<double>(out), want) < 1e-12);
            }
    }
    // cval defaults to 0; --mode same is allowed with a border and changes nothing.
    const Nd<double> a = random_nd({6, 7}, 60), k = random_nd({3, 4}, 61);
    write_f8(s / "a.npy", a);
    write_f8(s / "k.npy", k);
    REQUIRE(run({"conv", s / "a.npy", s / "k.npy", s / "c0.npy", "--border", "constant"}, s).status == 0);
    CHECK(relative_error(values_of<double>(read_npy(s / "c0.npy")), ndimage_reference(a, k, Edge::constant, 0, false)) <
          1e-12);
    REQUIRE(run({"conv", s / "a.npy", s / "k.npy", s / "w1.npy", "--border", "wrap"}, s).status == 0);
    REQUIRE(run({"conv", s / "a.npy", s / "k.npy", s / "w2.npy", "--border", "wrap", "--mode", "same"}, s).status == 0);
    CHECK(relative_error(values_of<double>(read_npy(s / "w1.npy")), ndimage_reference(a, k, Edge::wrap, 0, false)) <
          1e-12);
    CHECK((slurp(s / "w1.npy") == slurp(s / "w2.npy")));
    // Both methods read the same border.
    for (const char* method : {"direct", "fft"}) {
        CAPTURE(method);
        REQUIRE(
            run({"conv", s / "a.npy", s / "k.npy", s / "m.npy", "--border", "reflect", "--method", method}, s).status ==
            0);
        CHECK(relative_error(values_of<double>(read_npy(s / "m.npy")),
                             ndimage_reference(a, k, Edge::reflect, 0, false)) < 1e-12);
    }
}

TEST_CASE("conv --border on images: --correlate equals cv::filter2D with the same border") {
    Scratch s;
    // Integer kernels, so the results are exactly equal: 3x3, and 2x2 (anchored at 1, 1 by both).
    const std::vector<std::pair<std::string, cv::Mat>> kernels = {{integer_kernel, integer_kernel_mat()},
                                                                  {"2,-1;1,3", (cv::Mat_<float>(2, 2) << 2, -1, 1, 3)}};
    const std::vector<std::pair<std::string, int>> borders = {{"reflect101", cv::BORDER_REFLECT_101},
                                                              {"reflect", cv::BORDER_REFLECT},
                                                              {"replicate", cv::BORDER_REPLICATE},
                                                              {"constant", cv::BORDER_CONSTANT}};
    for (const auto& [spec, kernel] : kernels)
        for (const auto& [name, cv_border] : borders) {
            CAPTURE(spec);
            CAPTURE(name);
            const Result r = run({"conv", camera, spec, s / "out.tif", "--correlate", "--border", name, "--raw"}, s);
            REQUIRE_MESSAGE(r.status == 0, r.err);
            const cv::Mat want = filter2d_camera(kernel, cv_border);
            const cv::Mat got = read_any(s / "out.tif");
            REQUIRE(got.type() == CV_32FC1);
            CHECK(cv::norm(got, want, cv::NORM_INF) == 0);
        }
}

TEST_CASE("conv --border on images: zero padding darkens the frame, a reflected border does not") {
    Scratch s;
    REQUIRE(run({"conv", camera, "gaussian:4", s / "zeros.tif", "--mode", "same", "--raw"}, s).status == 0);
    REQUIRE(run({"conv", camera, "gaussian:4", s / "reflect.tif", "--border", "reflect", "--raw"}, s).status == 0);
    cv::Mat want;
    cv::GaussianBlur(camera_float(), want, cv::Size(33, 33), 4, 4, cv::BORDER_REFLECT);
    const cv::Mat zeros = read_any(s / "zeros.tif"), reflect = read_any(s / "reflect.tif");
    REQUIRE(zeros.type() == CV_32FC1);
    REQUIRE(reflect.type() == CV_32FC1);
    const auto row_mean = [](const cv::Mat& m, int row) { return cv::mean(m.row(row))[0]; };
    // Zero padding: the top row is about half as bright as the same row blurred with a border.
    CHECK(row_mean(zeros, 0) < 0.75 * row_mean(want, 0));
    // Inside, 16 pixels (the kernel's radius) and more from every edge, both are the same blur.
    const cv::Rect inside(16, 16, 512 - 32, 512 - 32);
    CHECK(cv::norm(zeros(inside), want(inside), cv::NORM_INF) < 1e-3);
    CHECK(row_mean(zeros, 0) < 0.75 * cv::mean(zeros(inside).row(0))[0]);
    // The reflected border: cv::GaussianBlur's everywhere, frame included, to float rounding
    // (gaussian:4 is the same 33-tap kernel).
    CHECK(cv::norm(reflect, want, cv::NORM_INF) < 1e-3);
}

TEST_CASE("conv element types: float32 stays float32, float64 float64, complex64 complex64; integers and bool") {
    Scratch s;
    const Nd<double> k = random_nd({3, 2, 2}, 70);
    write_f8(s / "k.npy", k);
    const auto conv = [&](const std::string& descr, const std::string& in) {
        CAPTURE(descr);
        const Result r = run({"conv", in, s / "k.npy", s / "out.npy"}, s);
        REQUIRE_MESSAGE(r.status == 0, r.err);
        return read_npy(s / "out.npy");
    };
    const Dims shape{4, 5, 6};
    const Dims full{6, 6, 7};

    const Nd<double> a = random_nd(shape, 71);
    Nd<double> a32 = a;  // the values a float32 file holds
    for (double& v : a32.v) v = static_cast<float>(v);
    write_npy<float>(s / "f4.npy", "<f4", a32);
    Npy out = conv("<f4", s / "f4.npy");
    CHECK(out.descr == "<f4");
    CHECK(out.shape == full);
    CHECK(contains(out.header, "'fortran_order': False"));
    CHECK(contains(out.header, "'shape': (6, 6, 7)"));
    CHECK(relative_error(values_of<float, double>(out), signal_reference(a32, k, "full", false)) < 1e-5);

    write_f8(s / "f8.npy", a);
    out = conv("<f8", s / "f8.npy");
    CHECK(out.descr == "<f8");
    CHECK(out.shape == full);
    CHECK(relative_error(values_of<double>(out), signal_reference(a, k, "full", false)) < 1e-12);

    // Integers: 8- and 16-bit in float32, 32-bit in float64 (as the help says); bool as 0 and 1.
    Nd<double> ints = random_nd(shape, 72, -300, 300);
    for (double& v : ints.v) v = std::round(v);
    write_npy<std::int16_t>(s / "i2.npy", "<i2", ints);
    out = conv("<i2", s / "i2.npy");
    CHECK(out.descr == "<f4");
    CHECK(relative_error(values_of<float, double>(out), signal_reference(ints, k, "full", false)) < 1e-5);
    write_npy<std::int32_t>(s / "i4.npy", "<i4", ints);
    out = conv("<i4", s / "i4.npy");
    CHECK(out.descr == "<f8");
    CHECK(relative_error(values_of<double>(out), signal_reference(ints, k, "full", false)) < 1e-12);
    Nd<double> bytes = random_nd(shape, 73, 0, 255);
    for (double& v : bytes.v) v = std::round(v);
    write_npy<std::uint8_t>(s / "u1.npy", "|u1", bytes);
    out = conv("|u1", s / "u1.npy");
    CHECK(out.descr == "<f4");
    CHECK(out.shape == full);
    CHECK(relative_error(values_of<float, double>(out), signal_reference(bytes, k, "full", false)) < 1e-5);
    Nd<double> bits = random_nd(shape, 74);
    for (double& v : bits.v) v = v > 0 ? 1 : 0;
    write_npy<bool>(s / "b1.npy", "|b1", bits);
    out = conv("|b1", s / "b1.npy");
    CHECK(out.descr == "<f4");
    CHECK(relative_error(values_of<float, double>(out), signal_reference(bits, k, "full", false)) < 1e-5);

    // complex64 in, complex64 out, against the complex sum (and correlation conjugates nothing
    // here: the kernel is real).
    Nd<cdouble> c(shape), kc(k.shape);
    const Nd<double> re = random_nd(shape, 75), im = random_nd(shape, 76);
    for (std::size_t i = 0; i < c.v.size(); ++i)
        c.v[i] = cdouble(static_cast<float>(re.v[i]), static_cast<float>(im.v[i]));
    for (std::size_t i = 0; i < k.v.size(); ++i) kc.v[i] = k.v[i];
    write_npy<std::complex<float>>(s / "c8.npy", "<c8", c);
    out = conv("<c8", s / "c8.npy");
    CHECK(out.descr == "<c8");
    CHECK(out.shape == full);
    const Nd<cdouble> got = values_of<std::complex<float>, cdouble>(out);
    CHECK(relative_error(got, signal_reference(c, kc, "full", false)) < 1e-5);
    REQUIRE(run({"conv", s / "c8.npy", s / "k.npy", s / "corr.npy", "--mode", "same", "--correlate"}, s).status == 0);
    out = read_npy(s / "corr.npy");
    CHECK(out.descr == "<c8");
    CHECK(relative_error(values_of<std::complex<float>, cdouble>(out), signal_reference(c, kc, "same", true)) < 1e-5);
}

TEST_CASE("conv reads Fortran-order and big-endian .npy files as numpy does") {
    Scratch s;
    const Nd<double> a = random_nd({4, 5, 6}, 80), k = random_nd({2, 3, 2}, 81);
    write_f8(s / "k.npy", k);
    write_npy<double>(s / "c.npy", "<f8", a);
    write_npy<double>(s / "f.npy", "<f8", a, true);
    write_npy<double>(s / "be.npy", ">f8", a, false, true);
    write_npy<double>(s / "bef.npy", ">f8", a, true, true);
    const auto data_of = [&](const std::string& in) {
        CAPTURE(in);
        const Result r = run({"conv", s / in, s / "k.npy", s / "out.npy", "--mode", "same"}, s);
        REQUIRE_MESSAGE(r.status == 0, r.err);
        const Npy out = read_npy(s / "out.npy");
        CHECK(out.descr == "<f8");
        CHECK_FALSE(out.fortran);
        CHECK(out.shape == a.shape);
        return out;
    };
    const Npy c = data_of("c.npy");
    CHECK(relative_error(values_of<double>(c), signal_reference(a, k, "same", false)) < 1e-12);
    for (const char* other : {"f.npy", "be.npy", "bef.npy"}) {
        CAPTURE(other);
        CHECK((data_of(other).data == c.data));  // the same values, so the same bytes out
    }
    // The same for complex64 (each float byte-swapped) and 16-bit integers.
    Nd<cdouble> z(a.shape);
    for (std::size_t i = 0; i < z.v.size(); ++i) z.v[i] = cdouble(static_cast<float>(a.v[i]), 0.25f);
    write_npy<std::complex<float>>(s / "z.npy", "<c8", z);
    write_npy<std::complex<float>>(s / "zbf.npy", ">c8", z, true, true);
    REQUIRE(run({"conv", s / "z.npy", s / "k.npy", s / "z_out.npy"}, s).status == 0);
    REQUIRE(run({"conv", s / "zbf.npy", s / "k.npy", s / "zbf_out.npy"}, s).status == 0);
    CHECK(read_npy(s / "zbf_out.npy").descr == "<c8");
    CHECK((slurp(s / "zbf_out.npy") == slurp(s / "z_out.npy")));
    Nd<double> ints = a;
    for (double& v : ints.v) v = std::round(v * 1000);
    write_npy<std::int16_t>(s / "i.npy", "<i2", ints);
    write_npy<std::int16_t>(s / "ibf.npy", ">i2", ints, true, true);
    REQUIRE(run({"conv", s / "i.npy", s / "k.npy", s / "i_out.npy"}, s).status == 0);
    REQUIRE(run({"conv", s / "ibf.npy", s / "k.npy", s / "ibf_out.npy"}, s).status == 0);
    CHECK((slurp(s / "ibf_out.npy") == slurp(s / "i_out.npy")));
    CHECK(relative_error(values_of<float, double>(read_npy(s / "i_out.npy")),
                         signal_reference(ints, k, "full", false)) < 1e-5);
}

TEST_CASE("blur --volume: a multi-page TIFF is one 3D array, pages first; --sigma per axis; TIFF stacks out") {
    Scratch s;
    const std::vector<cv::Mat> pages = random_pages(8, 32, 40, CV_32FC1, 90);
    REQUIRE(cv::imwritemulti(s / "stack.tif", pages));
    const Array<float> volume = stacked(pages);

    Result r = run({"blur", s / "stack.tif", s / "out.npy", "--volume", "--sigma", "1.5"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "(shape (8, 32, 40), float32 .npy"));
    Npy out = read_npy(s / "out.npy");
    CHECK(out.descr == "<f4");
    CHECK(out.shape == Dims{8, 32, 40});
    const Nd<double> blurred3d = from_array(gaussian_filter<float>(volume.view(), 1.5));
    const Nd<double> got3d = values_of<float, double>(out);
    CHECK(relative_error(got3d, blurred3d) < 1e-5);

    const std::vector<double> sigmas{0, 1, 2};
    r = run({"blur", s / "stack.tif", s / "axes.npy", "--volume", "--sigma", "0,1,2"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const Nd<double> per_axis = values_of<float, double>(read_npy(s / "axes.npy"));
    CHECK(relative_error(per_axis, from_array(gaussian_filter<float>(volume.view(), std::span(sigmas)))) < 1e-5);
    CHECK(relative_error(per_axis, blurred3d) > 1e-2);

    // A TIFF stack out: as many pages as in, each the volume's slice, float kept float.
    r = run({"blur", s / "stack.tif", s / "out.tif", "--volume", "--sigma", "1.5"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    std::vector<cv::Mat> written;
    REQUIRE(cv::imreadmulti(s / "out.tif", written, cv::IMREAD_UNCHANGED));
    REQUIRE(written.size() == 8);
    CHECK(from_array(stacked(written)).v == got3d.v);
    CHECK(written[3].type() == CV_32FC1);
    CHECK(written[3].size() == cv::Size(40, 32));

    // Without --volume the pages are blurred one by one in 2D (as before), into as many pages.
    r = run({"blur", s / "stack.tif", s / "pages.tif", "--sigma", "1.5"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "8 pages of 40x32"));
    written.clear();
    REQUIRE(cv::imreadmulti(s / "pages.tif", written, cv::IMREAD_UNCHANGED));
    REQUIRE(written.size() == 8);
    for (std::size_t p = 0; p < 8; ++p) {
        CAPTURE(p);
        REQUIRE(written[p].type() == CV_32FC1);
        CHECK(max_diff(to_image<float>(written[p]), gaussian_blur(to_image<float>(pages[p]), 1.5)) < 1e-5);
    }
    CHECK(relative_error(from_array(stacked(written)), blurred3d) > 1e-2);

    // 8-bit pages: their values 0..255, computed in float32.
    const std::vector<cv::Mat> bytes = random_pages(8, 32, 40, CV_8UC1, 91);
    REQUIRE(cv::imwritemulti(s / "bytes.tif", bytes));
    REQUIRE(run({"blur", s / "bytes.tif", s / "bytes.npy", "--volume", "--sigma", "1.5"}, s).status == 0);
    out = read_npy(s / "bytes.npy");
    CHECK(out.descr == "<f4");
    CHECK(relative_error(values_of<float, double>(out),
                         from_array(gaussian_filter<float>(stacked(bytes).view(), 1.5))) < 1e-5);

    // conv --volume with a named kernel at rank 3.
    r = run({"conv", s / "stack.tif", "box:3", s / "box.npy", "--volume", "--mode", "same"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "kernel box:3 (3, 3, 3)"));
    Nd<double> box({3, 3, 3});
    std::fill(box.v.begin(), box.v.end(), 1.0 / 27);
    CHECK(relative_error(values_of<float, double>(read_npy(s / "box.npy")),
                         signal_reference(from_array(volume), box, "same", false)) < 1e-5);
}

TEST_CASE("blur on .npy arrays: scipy.ndimage.gaussian_filter at the array's rank, per-axis sigmas") {
    Scratch s;
    const Nd<double> a = random_nd({5, 9, 7, 6}, 95);
    write_f8(s / "a.npy", a);
    Array<double> arr(Extents{5, 9, 7, 6});
    std::copy(a.v.begin(), a.v.end(), arr.values().begin());
    REQUIRE(run({"blur", s / "a.npy", s / "out.npy", "--sigma", "0.5,0,1.5,2", "--border", "wrap"}, s).status == 0);
    const std::vector<double> sigmas{0.5, 0, 1.5, 2};
    const Array<double> want = gaussian_filter<double>(arr.view(), std::span(sigmas), Border::wrap);
    const Npy out = read_npy(s / "out.npy");
    CHECK(out.descr == "<f8");
    Nd<double> w(out.shape);
    std::copy(want.values().begin(), want.values().end(), w.v.begin());
    CHECK(relative_error(values_of<double>(out), w) < 1e-12);
}

TEST_CASE("compare on arrays: the printed lines, --diff as .npy, and the filter model's choice with a border") {
    Scratch s;
    const Nd<double> vol = random_nd({12, 10, 8}, 100, 0, 1), k = random_nd({5, 4, 3}, 101, 0, 1);
    write_f8(s / "vol.npy", vol);
    write_f8(s / "k.npy", k);
    Result r = run({"compare", s / "vol.npy", s / "k.npy", "--repeat", "2", "--diff", s / "d.npy"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "\ninput       " + s / "vol.npy" + " ((12, 10, 8) float64 .npy), computed in float64\n"));
    CHECK(contains(r.out, "\nkernel      " + s / "k.npy" + " ((5, 4, 3) .npy), convolution\n"));
    CHECK(contains(r.out, "\noutput      (16, 13, 10), mode full\n"));
    CHECK(contains(r.out, "\nautomatic   would choose "));
    const double max_error = number_after(r.out, "max |fft - direct|");
    const double bound = number_after(r.out, "FFT error bound");
    CHECK(max_error < bound);
    CHECK(bound < 1e-9);
    // max |out| is the full convolution's largest value, printed to 6 digits.
    const std::size_t at = r.out.find("(max |out| = ");
    REQUIRE(at != std::string::npos);
    const Nd<double> full = signal_reference(vol, k, "full", false);
    const double max_out = *std::max_element(full.v.begin(), full.v.end());
    CHECK(std::stod(r.out.substr(at + 13)) == doctest::Approx(max_out).epsilon(1e-5));
    // --diff: |fft - direct| as float32 of the output's shape, its largest value the printed one.
    const Npy d = read_npy(s / "d.npy");
    CHECK(d.descr == "<f4");
    CHECK(d.shape == Dims{16, 13, 10});
    const Nd<double> diff = values_of<float, double>(d);
    CHECK(*std::min_element(diff.v.begin(), diff.v.end()) >= 0);
    CHECK(*std::max_element(diff.v.begin(), diff.v.end()) == doctest::Approx(max_error).epsilon(0.01));
    CHECK(contains(r.out, "wrote " + s / "d.npy" + " (|fft - direct|, max over channels, float32)"));

    // With a border, a separable kernel is one pass per axis: the filter's model picks direct,
    // where the same kernel in full mode (a 17x17x17 sum per output) goes to the FFT.
    r = run({"compare", s / "vol.npy", "gaussian:2", "--border", "reflect", "--repeat", "1"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "\noutput      (12, 10, 8), border reflect\n"));
    CHECK(contains(r.out, "\nautomatic   would choose direct ("));
    CHECK(number_after(r.out, "max |fft - direct|") < number_after(r.out, "FFT error bound"));
    r = run({"compare", s / "vol.npy", "gaussian:2", "--repeat", "1"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "\nautomatic   would choose fft ("));
}

TEST_CASE("standard input and output: .npy bytes in, .npy bytes out with --ext .npy") {
    Scratch s;
    const Nd<double> a = random_nd({6, 7, 5}, 110);
    write_f8(s / "in.npy", a);
    Nd<double> box({3, 3, 3});
    std::fill(box.v.begin(), box.v.end(), 1.0 / 27);
    const Nd<double> want = signal_reference(a, box, "same", false);

    Result r = run({"conv", "-", "box:3", "-", "--mode", "same", "--ext", ".npy"}, s, s / "in.npy");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.err, "wrote standard output (shape (6, 7, 5), float64 .npy"));  // messages on stderr
    const Npy out = parse_npy(r.out);
    CHECK(out.descr == "<f8");
    CHECK(out.shape == a.shape);
    CHECK(relative_error(values_of<double>(out), want) < 1e-12);
    // The same through files: the same bytes.
    REQUIRE(run({"conv", s / "in.npy", "box:3", s / "out.npy", "--mode", "same"}, s).status == 0);
    CHECK((slurp(s / "out.npy") == r.out));
    // Standard input to a file, and the bytes on standard output read back as input.
    REQUIRE(run({"conv", "-", "box:3", s / "from_stdin.npy", "--mode", "same"}, s, s / "in.npy").status == 0);
    CHECK((slurp(s / "from_stdin.npy") == r.out));
    write_bytes(s / "piped.npy", r.out);
    r = run({"blur", "-", "-", "--sigma", "1", "--ext", ".npy"}, s, s / "piped.npy");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(parse_npy(r.out).shape == a.shape);

    // Without --ext, '-' is PNG (as the help says): a 2D array is written as an 8-bit PNG, and a
    // volume is refused.
    const Nd<double> plane = random_nd({6, 7}, 111, 0, 1);
    write_f8(s / "plane.npy", plane);
    r = run({"conv", "-", "box:3", "-", "--mode", "same"}, s, s / "plane.npy");
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.starts_with("\x89PNG\r\n\x1a\n"));
    r = run({"conv", "-", "box:3", "-", "--mode", "same"}, s, s / "in.npy");
    CHECK(r.status == 2);
    CHECK(contains(r.err, "goes to .npy or a multi-page .tif, not '.png'"));
}

TEST_CASE("refused array command lines: one message, exit 1 or 2, nothing written or changed") {
    Scratch s;
    write_f8(s / "vol.npy", random_nd({4, 5, 6}, 120));
    write_f8(s / "k4.npy", random_nd({2, 2, 2, 2}, 121));
    write_f8(s / "k.npy", random_nd({2, 2, 2}, 122));
    Nd<cdouble> z({4, 5});
    write_npy<std::complex<float>>(s / "complex.npy", "<c8", z);
    const std::string whole = npy_header("<f8", {4, 5, 6}) + npy_data<double>(random_nd({4, 5, 6}, 123));
    write_bytes(s / "truncated.npy", whole.substr(0, whole.size() - 8));
    write_bytes(s / "unicode.npy", npy_header("<U3", {2}) + std::string(24, 'a'));
    write_bytes(s / "object.npy", npy_header("|O", {2}) + std::string(16, '\0'));
    std::vector<cv::Mat> uneven = random_pages(2, 32, 40, CV_32FC1, 124);
    uneven[1] = uneven[1](cv::Rect(0, 0, 40, 20)).clone();
    REQUIRE(cv::imwritemulti(s / "uneven.tif", uneven));
    // Existing outputs that no failed run may touch.
    write_bytes(s / "keep.npy", "an existing output, not to be touched");
    write_bytes(s / "keep.tif", "an existing output, not to be touched");
    write_bytes(s / "keep.png", "an existing output, not to be touched");
    const std::string vol = s / "vol.npy", keep = s / "keep.npy";

    const std::vector<Refusal> naming = {
        {"a kernel of higher rank than the array", {"conv", vol, s / "k4.npy", keep}, s / "k4.npy"},
        {"blur of complex data", {"blur", s / "complex.npy", keep, "--sigma", "1"}, s / "complex.npy"},
        {"a truncated .npy", {"conv", s / "truncated.npy", "box:3", keep}, s / "truncated.npy"},
        {"a truncated .npy in blur", {"blur", s / "truncated.npy", keep, "--sigma", "1"}, s / "truncated.npy"},
        {"a unicode dtype", {"conv", s / "unicode.npy", "box:3", keep}, s / "unicode.npy"},
        {"an object dtype", {"conv", s / "object.npy", "box:3", keep}, s / "object.npy"},
        {"a truncated kernel .npy", {"conv", vol, s / "truncated.npy", keep}, s / "truncated.npy"},
        {"--volume on pages of different sizes",
         {"blur", s / "uneven.tif", keep, "--volume", "--sigma", "1"},
         s / "uneven.tif"},
        {"compare of a truncated .npy", {"compare", s / "truncated.npy", "box:3"}, s / "truncated.npy"},
        // Refused only after the work, and still nothing written over the existing file.
        {"a complex result into a TIFF", {"conv", s / "complex.npy", "box:3", s / "keep.tif"}, ".tif"},
        {"a volume into a PNG", {"conv", vol, "box:3", s / "keep.png"}, ".png"},
    };
    check_refusals(s, naming);

    const std::vector<Refusal> saying = {
        {"--border with --mode full",
         {"conv", vol, s / "k.npy", keep, "--border", "reflect", "--mode", "full"},
         "--mode must be same or left out, got full"},
        {"--border with --mode valid in compare",
         {"compare", vol, s / "k.npy", "--border", "wrap", "--mode", "valid"},
         "--mode must be same or left out, got valid"},
        {"--cval without --border", {"conv", vol, s / "k.npy", keep, "--cval", "2"}, "--cval goes with --border"},
        {"--sigma per axis of the wrong count",
         {"blur", vol, keep, "--sigma", "1,2"},
         "--sigma gives 2 values for an array of rank 3"},
        {"--diff of a volume as an image",
         {"compare", vol, s / "k.npy", "--diff", s / "keep.png"},
         "--diff of a rank-3 array goes to an .npy file"},
        {"--diff of a volume as a new image",
         {"compare", vol, s / "k.npy", "--diff", s / "d.png"},
         "--diff of a rank-3 array goes to an .npy file"},
    };
    check_refusals_saying(s, saying);
    // Exit status 2 for a kernel that does not fit the array, 1 for files that cannot be read.
    CHECK(run({"conv", vol, s / "k4.npy", keep}, s).status == 2);
    CHECK(run({"conv", s / "truncated.npy", "box:3", keep}, s).status == 1);
    CHECK(run({"blur", s / "complex.npy", keep, "--sigma", "1"}, s).status == 1);
    CHECK_FALSE(fs::exists(s / "d.png"));
    CHECK(slurp(keep) == "an existing output, not to be touched");
}

TEST_CASE("--volume on a one-page image: an array of (rows, columns), into an .npy file") {
    Scratch s;
    Result r =
        run({"conv", camera, integer_kernel, s / "conv.npy", "--volume", "--correlate", "--border", "reflect101"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "(shape (512, 512), float32 .npy"));
    Npy out = read_npy(s / "conv.npy");
    CHECK(out.descr == "<f4");
    // Integer sums, exact in float32.
    CHECK(values_of<float, double>(out).v == from_mat(filter2d_camera(integer_kernel_mat(), cv::BORDER_REFLECT_101)).v);
    r = run({"blur", camera, s / "blur.npy", "--volume", "--sigma", "2"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    out = read_npy(s / "blur.npy");
    CHECK(out.shape == Dims{512, 512});
    CHECK(relative_error(values_of<float, double>(out), camera_blurred(2)) < 1e-5);
}

// An image written as .npy, without --volume: float32, unscaled, in numpy's layout for an image
// ((rows, columns), colour (rows, columns, 3) in R, G, B order), from every image command.
TEST_CASE("an image input into an .npy output, without --volume: numpy's layout, RGB, unscaled") {
    Scratch s;
    Result r = run({"conv", camera, integer_kernel, s / "conv.npy", "--correlate", "--border", "reflect101"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(contains(r.out, "float32 .npy, values unscaled"));
    const Npy conv = read_npy(s / "conv.npy");
    CHECK(conv.descr == "<f4");
    CHECK(values_of<float, double>(conv).v ==
          from_mat(filter2d_camera(integer_kernel_mat(), cv::BORDER_REFLECT_101)).v);
    r = run({"blur", camera, s / "blur.npy", "--sigma", "2"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(relative_error(values_of<float, double>(read_npy(s / "blur.npy")), camera_blurred(2)) < 1e-5);
    r = run({"conv", camera, "box:3", "-", "--ext", "npy"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(parse_npy(r.out).shape == Dims{514, 514});

    // Colour: a 1x1 kernel of 1 keeps the values, so the array is the picture, channels last, RGB.
    const std::string chelsea = FFTCONV_SAMPLES_DIR "/chelsea.png";
    r = run({"conv", chelsea, "1", s / "cat.npy", "--mode", "same"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const cv::Mat bgr = cv::imread(chelsea, cv::IMREAD_COLOR);
    const Nd<double> cat = values_of<float, double>(read_npy(s / "cat.npy"));
    REQUIRE(cat.shape == Dims{bgr.rows, bgr.cols, 3});
    std::ptrdiff_t wrong = 0;
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            for (int k = 0; k < 3; ++k) wrong += cat[{y, x, k}] != bgr.at<cv::Vec3b>(y, x)[2 - k];
    CHECK(wrong == 0);

    // sobel's response and match's score map keep their signs and range: no 8-bit mapping.
    r = run({"sobel", camera, s / "dx.npy", "--dx", "1", "--dy", "0"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const Nd<double> dx = values_of<float, double>(read_npy(s / "dx.npy"));
    CHECK(*std::min_element(dx.v.begin(), dx.v.end()) < -100);
    CHECK(*std::max_element(dx.v.begin(), dx.v.end()) > 100);
    r = run({"match", camera, FFTCONV_SAMPLES_DIR "/camera_face.png", "--scores", s / "scores.npy"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const Nd<double> scores = values_of<float, double>(read_npy(s / "scores.npy"));
    CHECK(scores.shape == Dims{449, 449});
    CHECK(scores[{108, 186}] == doctest::Approx(1).epsilon(1e-5));

    // The annotated picture is a picture: refused before any work, nothing written.
    r = run({"match", camera, FFTCONV_SAMPLES_DIR "/camera_face.png", "--annotate", s / "boxes.npy"}, s);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "--annotate"));
    CHECK(!fs::exists(s / "boxes.npy"));
}
