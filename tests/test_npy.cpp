// The tool's .npy layer (apps/npy.cpp): round trips of every element type and rank, hand-written
// headers as numpy and people write them (versions 1, 2 and 3, either quote, spaces, trailing
// commas, Fortran order, big-endian data, every integer dtype, bool and float16), a malformed
// header of each kind refused with its message, and, when FFTCONV_PYTHON names a python3 with
// numpy, files numpy makes read back and files written here loaded by numpy.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "../apps/cli.hpp"
#include "../apps/npy.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
namespace npy = app::npy;
using cfloat = std::complex<float>;
using cdouble = std::complex<double>;
using Shape = std::vector<std::int64_t>;

namespace {

using test_support::Scratch;

using test_support::slurp;

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string le(std::uint64_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}

// A .npy file by hand: magic, version, length, `header` as given (padded with spaces and a '\n'
// to a multiple of `align` when align > 0), then `data`.
std::string npy_file(const std::string& header, const std::string& data, int major = 1, int align = 64) {
    const std::size_t prefix = major == 1 ? 10 : 12;
    std::string h = header;
    if (align > 0) {
        h.append((align - (prefix + h.size() + 1) % align) % align, ' ');
        h += '\n';
    }
    return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' + le(h.size(), major == 1 ? 2 : 4) + h + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape +
           ", }";
}

// The bytes of `values` in either byte order.
template <class S>
std::string bytes_of(const std::vector<S>& values, bool big_endian = false) {
    std::string out;
    for (const S& v : values) {
        char b[sizeof(S)];
        std::memcpy(b, &v, sizeof(S));
        if (big_endian != (std::endian::native == std::endian::big)) {
            // A complex value's parts swap each on its own.
            constexpr std::size_t step = std::is_same_v<S, cfloat> ? 4 : std::is_same_v<S, cdouble> ? 8 : sizeof(S);
            for (std::size_t i = 0; i < sizeof(S); i += step) std::reverse(b + i, b + i + step);
        }
        out.append(b, sizeof(S));
    }
    return out;
}

// Values of every kind a float file holds: signs, fractions, zeros, extremes, NaN and Inf.
template <class T>
std::vector<T> sample_values(std::size_t n) {
    using R = decltype(std::real(T{}));
    const R specials[] = {R(0),
                          -R(0),
                          R(1) / R(3),
                          std::numeric_limits<R>::max(),
                          std::numeric_limits<R>::denorm_min(),
                          std::numeric_limits<R>::infinity(),
                          -std::numeric_limits<R>::infinity(),
                          std::numeric_limits<R>::quiet_NaN()};
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        const R re = i < std::size(specials) ? specials[i] : R(static_cast<double>(i) * 0.37 - 11.5);
        if constexpr (std::is_same_v<T, R>)
            v[i] = re;
        else
            v[i] = T(re, R(static_cast<double>(i) * -1.25 + 0.5));
    }
    return v;
}

// The values in raw bytes of this machine's order.
template <class T>
std::vector<T> from_bytes(const std::string& bytes) {
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
    return v;
}

// Equal bit for bit (NaN included).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Equal values, NaN equal to NaN.
bool same_value(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}
template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if constexpr (std::is_same_v<T, cfloat> || std::is_same_v<T, cdouble>) {
            if (!same_value(a[i].real(), b[i].real()) || !same_value(a[i].imag(), b[i].imag())) return false;
        } else if (!same_value(a[i], b[i])) {
            return false;
        }
    }
    return true;
}

std::string quoted(const std::string& path) {
    return "'" + path + "'";
}

// read_header (and read_data as double, when the header passes) must refuse the file with one
// line that starts with its name and holds each of `fragments`.
void check_refused(const std::string& path, const std::vector<std::string>& fragments) {
    std::string message;
    try {
        const npy::Header h = npy::read_header(path);
        (void)npy::read_data<double>(path, h);
    } catch (const app::ProcessError& e) {
        message = e.what();
    }
    REQUIRE_MESSAGE(!message.empty(), path << " was not refused");
    CHECK_MESSAGE(message.starts_with(quoted(path)), message);
    CHECK_MESSAGE(message.find('\n') == std::string::npos, message);
    for (const std::string& f : fragments)
        CHECK_MESSAGE(message.find(f) != std::string::npos, "'" << f << "' not in: " << message);
}

// The python3 with numpy that meson found, or "" (the numpy cases then say they are skipped).
std::string python() {
    const char* p = std::getenv("FFTCONV_PYTHON");
    return p ? p : "";
}

// Runs `script` with the scratch directory as its argument; returns its exit status, its output
// in `output`.
int run_python(const Scratch& s, const std::string& script, std::string& output) {
    write_bytes(s / "script.py", script);
    // (Built by appending: g++ 12 warns falsely about "literal" + std::string.)
    std::string command;
    for (const std::string& part : {python(), s / "script.py", s.dir.string()})
        command.append("'").append(part).append("' ");
    command.append("> '").append(s / "python.log").append("' 2>&1");
    const int status = std::system(command.c_str());
    output = slurp(s / "python.log");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

template <class T>
std::string type_name() {
    if constexpr (std::is_same_v<T, float>) return "float";
    if constexpr (std::is_same_v<T, double>) return "double";
    if constexpr (std::is_same_v<T, cfloat>) return "complex<float>";
    return "complex<double>";
}

const std::vector<Shape> round_trip_shapes = {
    {},        {1},       {7},       {0},          {1, 1},          {2, 3},
    {3, 0, 2}, {5, 1, 4}, {1, 9, 1}, {2, 3, 1, 2}, {2, 1, 3, 2, 3}, {4, 0, 0, 0, 1},
    {1000},    {17, 31},
};

template <class T>
void check_round_trips(const Scratch& s) {
    for (const Shape& shape : round_trip_shapes) {
        const std::string type = type_name<T>(), shape_shown = npy::shape_text(shape);
        CAPTURE(type);
        CAPTURE(shape_shown);
        std::size_t n = 1;
        for (const std::int64_t d : shape) n *= static_cast<std::size_t>(d);
        const std::vector<T> values = sample_values<T>(n);
        const std::string path = s / "round.npy";
        npy::write(path, shape, values.data());
        const npy::Header h = npy::read_header(path);
        CHECK(h.dtype == npy::dtype_of<T>());
        CHECK(h.shape == shape);
        CHECK(!h.fortran_order);
        CHECK(!h.big_endian);
        CHECK(h.version == 1);
        CHECK(h.data_offset % 64 == 0);
        CHECK(h.elements() == n);
        CHECK(h.data_bytes == n * sizeof(T));
        CHECK(fs::file_size(path) == h.data_offset + h.data_bytes);
        // The header as numpy.save writes it, byte for byte.
        const std::string file = slurp(path);
        std::string expected = dict(h.descr, npy::shape_text(shape));
        CHECK(file.substr(10, expected.size()) == expected);
        CHECK(file.substr(10 + expected.size(), h.data_offset - 11 - expected.size()).find_first_not_of(' ') ==
              std::string::npos);
        CHECK(file[h.data_offset - 1] == '\n');
        CHECK(same_bits(npy::read_data<T>(path, h), values));
    }
}

}  // namespace

TEST_CASE("round trips: every element type, ranks 0 to 5, empty and awkward shapes, special values") {
    Scratch s;
    check_round_trips<float>(s);
    check_round_trips<double>(s);
    check_round_trips<cfloat>(s);
    check_round_trips<cdouble>(s);
    CHECK(npy::dtype_of<float>() == npy::DType::float32);
    CHECK(npy::dtype_of<cdouble>() == npy::DType::complex128);
}

TEST_CASE("read into another element type: widened exactly, narrowed as a cast, real into complex") {
    Scratch s;
    const std::vector<double> d = {0.1, -2.5, 1e300, 3};
    npy::write(s / "d.npy", Shape{4}, d.data());
    const npy::Header h = npy::read_header(s / "d.npy");
    const std::vector<float> f = npy::read_data<float>(s / "d.npy", h);
    CHECK(f == std::vector<float>{0.1f, -2.5f, std::numeric_limits<float>::infinity(), 3.0f});
    const std::vector<cdouble> c = npy::read_data<cdouble>(s / "d.npy", h);
    CHECK(c == std::vector<cdouble>{{0.1, 0}, {-2.5, 0}, {1e300, 0}, {3, 0}});

    const std::vector<cfloat> cf = {{1.5f, -2}, {0, 0.25f}};
    npy::write(s / "cf.npy", Shape{2}, cf.data());
    CHECK(npy::read_data<cdouble>(s / "cf.npy", npy::read_header(s / "cf.npy")) ==
          std::vector<cdouble>{{1.5, -2}, {0, 0.25}});
}

TEST_CASE("0-length axes and rank 0: the shape as declared, no elements or one") {
    Scratch s;
    write_bytes(s / "empty.npy", npy_file(dict("<f8", "(3, 0, 5)"), ""));
    npy::Header h = npy::read_header(s / "empty.npy");
    CHECK(h.shape == Shape{3, 0, 5});
    CHECK(h.elements() == 0);
    CHECK(h.data_bytes == 0);
    CHECK(npy::read_data<double>(s / "empty.npy", h).empty());

    // numpy refuses a zero-length axis beside axes whose product overflows, and so does this.
    write_bytes(s / "zero_huge.npy", npy_file(dict("<f8", "(0, 4611686018427387904, 4)"), ""));
    check_refused(s / "zero_huge.npy", {"(0, 4611686018427387904, 4)", "more than 2^63 bytes"});

    write_bytes(s / "scalar.npy", npy_file(dict("<f4", "()"), bytes_of(std::vector<float>{2.5f})));
    h = npy::read_header(s / "scalar.npy");
    CHECK(h.shape.empty());
    CHECK(h.elements() == 1);
    CHECK(npy::read_data<float>(s / "scalar.npy", h) == std::vector<float>{2.5f});
    CHECK(npy::shape_text(h.shape) == "()");
}

TEST_CASE("Fortran order: read back in C order, ranks 1 to 4") {
    Scratch s;
    const std::vector<Shape> shapes = {{5}, {2, 3}, {3, 1, 4}, {2, 3, 4, 5}, {1, 6}, {6, 1}};
    for (const Shape& shape : shapes) {
        CAPTURE(npy::shape_text(shape));
        // Element (i, j, k, ...) is the number with digits i j k ...; the file lists the first
        // index fastest.
        const std::size_t rank = shape.size();
        std::size_t n = 1;
        for (const std::int64_t d : shape) n *= static_cast<std::size_t>(d);
        std::vector<double> fortran(n), c(n);
        std::vector<std::int64_t> index(rank, 0);
        for (std::size_t f = 0; f < n; ++f) {
            double v = 0;
            std::size_t c_offset = 0;
            for (std::size_t k = 0; k < rank; ++k) {
                v = v * 10 + static_cast<double>(index[k]);
                c_offset = c_offset * static_cast<std::size_t>(shape[k]) + static_cast<std::size_t>(index[k]);
            }
            fortran[f] = v;
            c[c_offset] = v;
            for (std::size_t k = 0; k < rank; ++k) {
                if (++index[k] < shape[k]) break;
                index[k] = 0;
            }
        }
        write_bytes(s / "f.npy", npy_file(dict("<f8", npy::shape_text(shape), true), bytes_of(fortran)));
        const npy::Header h = npy::read_header(s / "f.npy");
        CHECK(h.fortran_order);
        CHECK(npy::read_data<double>(s / "f.npy", h) == c);
        // The conversion and the reordering together.
        std::vector<cfloat> expected;
        for (const double v : c) expected.emplace_back(static_cast<float>(v), 0.0f);
        CHECK(npy::read_data<cfloat>(s / "f.npy", h) == expected);
    }
}

TEST_CASE("big-endian data is byte-swapped; '=', '|' and no prefix are this machine's order") {
    Scratch s;
    const std::vector<double> d = {1.5, -1e-300, 12345.678, std::numeric_limits<double>::infinity()};
    write_bytes(s / "f8.npy", npy_file(dict(">f8", "(2, 2)"), bytes_of(d, true)));
    npy::Header h = npy::read_header(s / "f8.npy");
    CHECK(h.big_endian);
    CHECK(h.descr == ">f8");
    CHECK(npy::read_data<double>(s / "f8.npy", h) == d);

    const std::vector<float> f = {1.5f, -3.25e-20f, 7.0f};
    write_bytes(s / "f4.npy", npy_file(dict(">f4", "(3,)"), bytes_of(f, true)));
    CHECK(npy::read_data<float>(s / "f4.npy", npy::read_header(s / "f4.npy")) == f);

    const std::vector<cfloat> c8 = {{1, -2}, {0.5f, 1e10f}};
    write_bytes(s / "c8.npy", npy_file(dict(">c8", "(2,)"), bytes_of(c8, true)));
    CHECK(npy::read_data<cfloat>(s / "c8.npy", npy::read_header(s / "c8.npy")) == c8);

    const std::vector<cdouble> c16 = {{1, -2}, {0.5, 1e200}};
    write_bytes(s / "c16.npy", npy_file(dict(">c16", "(1, 2)"), bytes_of(c16, true)));
    CHECK(npy::read_data<cdouble>(s / "c16.npy", npy::read_header(s / "c16.npy")) == c16);

    const std::vector<std::int16_t> i2 = {-2, 300, -32768};
    write_bytes(s / "i2.npy", npy_file(dict(">i2", "(3,)"), bytes_of(i2, true)));
    CHECK(npy::read_data<double>(s / "i2.npy", npy::read_header(s / "i2.npy")) == std::vector<double>{-2, 300, -32768});

    const std::vector<std::uint32_t> u4 = {1, 0x01020304, 0xffffffffu};
    write_bytes(s / "u4.npy", npy_file(dict(">u4", "(3,)"), bytes_of(u4, true)));
    CHECK(npy::read_data<double>(s / "u4.npy", npy::read_header(s / "u4.npy")) ==
          std::vector<double>{1, 0x01020304, 4294967295.0});

    const std::vector<std::uint16_t> f2 = {0x3c00, 0xc000};  // 1, -2
    write_bytes(s / "f2.npy", npy_file(dict(">f2", "(2,)"), bytes_of(f2, true)));
    CHECK(npy::read_data<float>(s / "f2.npy", npy::read_header(s / "f2.npy")) == std::vector<float>{1, -2});

    // A big-endian, Fortran-order file: both at once.
    const std::vector<std::int32_t> fi = {1, 4, 2, 5, 3, 6};  // [[1, 2, 3], [4, 5, 6]] in Fortran order
    write_bytes(s / "fi.npy", npy_file(dict(">i4", "(2, 3)", true), bytes_of(fi, true)));
    CHECK(npy::read_data<double>(s / "fi.npy", npy::read_header(s / "fi.npy")) ==
          std::vector<double>{1, 2, 3, 4, 5, 6});

    const bool native_big = std::endian::native == std::endian::big;
    for (const char* prefix : {"=", "|", ""}) {
        const std::string captured(prefix);
        CAPTURE(captured);
        write_bytes(s / "native.npy", npy_file(dict(std::string(prefix) + "f8", "(4,)"), bytes_of(d, native_big)));
        h = npy::read_header(s / "native.npy");
        CHECK(h.big_endian == native_big);
        CHECK(npy::read_data<double>(s / "native.npy", h) == d);
    }
    // One-byte types have no byte order: any prefix reads the same.
    for (const char* descr : {"|i1", "<i1", ">i1", "i1", "=u1", ">b1", "|b1"}) {
        const std::string captured(descr);
        CAPTURE(captured);
        write_bytes(s / "byte.npy", npy_file(dict(descr, "(2,)"), std::string("\x01\x00", 2)));
        h = npy::read_header(s / "byte.npy");
        CHECK(!h.big_endian);
        CHECK(npy::read_data<double>(s / "byte.npy", h) == std::vector<double>{1, 0});
    }
}

TEST_CASE("every integer dtype, bool and float16 converted as numpy's astype") {
    Scratch s;
    struct Case {
        const char* descr;
        npy::DType dtype;
        std::string data;
        std::vector<double> as_double;
    };
    const auto i64min = std::numeric_limits<std::int64_t>::min();
    const auto i64max = std::numeric_limits<std::int64_t>::max();
    const auto u64max = std::numeric_limits<std::uint64_t>::max();
    const std::vector<Case> cases = {
        {"|i1", npy::DType::int8, bytes_of(std::vector<std::int8_t>{-128, -1, 0, 127}), {-128, -1, 0, 127}},
        {"|u1", npy::DType::uint8, bytes_of(std::vector<std::uint8_t>{0, 1, 128, 255}), {0, 1, 128, 255}},
        {"<i2", npy::DType::int16, bytes_of(std::vector<std::int16_t>{-32768, -1, 2, 32767}), {-32768, -1, 2, 32767}},
        {"<u2", npy::DType::uint16, bytes_of(std::vector<std::uint16_t>{0, 1, 40000, 65535}), {0, 1, 40000, 65535}},
        {"<i4",
         npy::DType::int32,
         bytes_of(std::vector<std::int32_t>{INT32_MIN, -7, 0, INT32_MAX}),
         {-2147483648.0, -7, 0, 2147483647.0}},
        {"<u4",
         npy::DType::uint32,
         bytes_of(std::vector<std::uint32_t>{0, 7, 3000000000u, UINT32_MAX}),
         {0, 7, 3e9, 4294967295.0}},
        // 2^63 - 1 and 2^64 - 1 round to the nearest double, 2^63 and 2^64, as a C cast and astype do.
        {"<i8",
         npy::DType::int64,
         bytes_of(std::vector<std::int64_t>{i64min, -1, (std::int64_t{1} << 53) + 1, i64max}),
         {-9223372036854775808.0, -1, 9007199254740992.0, 9223372036854775808.0}},
        {"<u8",
         npy::DType::uint64,
         bytes_of(std::vector<std::uint64_t>{0, 1, std::uint64_t{1} << 63, u64max}),
         {0, 1, 9223372036854775808.0, 18446744073709551616.0}},
        // numpy's True is any nonzero byte: astype gives 1.
        {"|b1", npy::DType::boolean, std::string("\x00\x01\x02\xff", 4), {0, 1, 1, 1}},
        {"|b1", npy::DType::boolean, std::string("\x01\x00\x00\x01", 4), {1, 0, 0, 1}},
    };
    for (const Case& c : cases) {
        const std::string captured(c.descr);
        CAPTURE(captured);
        write_bytes(s / "int.npy", npy_file(dict(c.descr, "(2, 2)"), c.data));
        const npy::Header h = npy::read_header(s / "int.npy");
        CHECK(h.dtype == c.dtype);
        CHECK(npy::read_data<double>(s / "int.npy", h) == c.as_double);
        std::vector<float> as_float;
        std::vector<cdouble> as_complex;
        for (const double v : c.as_double) {
            as_float.push_back(static_cast<float>(v));
            as_complex.emplace_back(v, 0);
        }
        CHECK(npy::read_data<float>(s / "int.npy", h) == as_float);
        CHECK(npy::read_data<cdouble>(s / "int.npy", h) == as_complex);
    }
    // int32 into float rounds as a cast does: 2^24 + 1 is not a float.
    write_bytes(s / "i4.npy", npy_file(dict("<i4", "(1,)"), bytes_of(std::vector<std::int32_t>{16777217})));
    CHECK(npy::read_data<float>(s / "i4.npy", npy::read_header(s / "i4.npy")) == std::vector<float>{16777216.0f});

    // float16: zeros, the smallest subnormal and normal, the largest, a third, the infinities;
    // exact in float.
    const std::vector<std::uint16_t> halves = {0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00,
                                               0x3555, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0xc500};
    const std::vector<float> values = {0.0f,
                                       -0.0f,
                                       std::ldexp(1.0f, -24),
                                       std::ldexp(1023.0f, -24),
                                       std::ldexp(1.0f, -14),
                                       1.0f,
                                       0.333251953125f,
                                       65504.0f,
                                       -65504.0f,
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity(),
                                       -5.0f};
    write_bytes(s / "f2.npy", npy_file(dict("<f2", "(12,)"), bytes_of(halves)));
    const npy::Header h = npy::read_header(s / "f2.npy");
    CHECK(h.dtype == npy::DType::float16);
    CHECK(same_bits(npy::read_data<float>(s / "f2.npy", h), values));
    const std::vector<double> d = npy::read_data<double>(s / "f2.npy", h);
    for (std::size_t i = 0; i < values.size(); ++i)
        CHECK(std::bit_cast<std::uint64_t>(d[i]) == std::bit_cast<std::uint64_t>(double(values[i])));
    // NaN stays NaN, its sign kept.
    write_bytes(s / "nan.npy", npy_file(dict("<f2", "(2,)"), bytes_of(std::vector<std::uint16_t>{0x7e00, 0xfe01})));
    const std::vector<float> nan = npy::read_data<float>(s / "nan.npy", npy::read_header(s / "nan.npy"));
    CHECK(std::isnan(nan[0]));
    CHECK(!std::signbit(nan[0]));
    CHECK(std::isnan(nan[1]));
    CHECK(std::signbit(nan[1]));
}

TEST_CASE("headers as numpy and people write them: versions 1 to 3, quotes, spaces, commas, any order") {
    Scratch s;
    const std::string six = bytes_of(std::vector<double>{1, 2, 3, 4, 5, 6});
    struct Case {
        const char* what;
        std::string file;
        Shape shape;
        bool fortran;
    };
    const std::vector<Case> cases = {
        {"numpy's own", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", six), {2, 3}, false},
        {"version 2.0", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", six, 2), {6}, false},
        {"version 3.0", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", six, 3), {3, 2}, false},
        {"double quotes, no trailing comma",
         npy_file("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (6,)}", six),
         {6},
         false},
        {"keys in another order",
         npy_file("{'shape': (1, 6), 'descr': '<f8', 'fortran_order': False}", six),
         {1, 6},
         false},
        {"spaces, tabs and newlines",
         npy_file("  {  'descr' :'<f8' ,\t'fortran_order':False,\n 'shape' : ( 2 , 3 , ) , }  ", six),
         {2, 3},
         false},
        {"no spaces at all", npy_file("{'descr':'<f8','fortran_order':False,'shape':(6,)}", six), {6}, false},
        {"a trailing comma in a rank-3 shape", npy_file(dict("<f8", "(1, 2, 3,)"), six), {1, 2, 3}, false},
        {"parentheses around a tuple", npy_file(dict("<f8", "((6,))"), six), {6}, false},
        {"Python 2's long dimensions", npy_file(dict("<f8", "(2L, 3L)"), six), {2, 3}, false},
        {"a plus sign", npy_file(dict("<f8", "(+6,)"), six), {6}, false},
        {"Fortran order", npy_file(dict("<f8", "(3, 2)", true), six), {3, 2}, true},
        {"old 16-byte alignment", npy_file(dict("<f8", "(6,)"), six, 1, 16), {6}, false},
        {"no padding and no newline", npy_file(dict("<f8", "(6,)"), six, 1, 0), {6}, false},
        {"'?' for bool", npy_file(dict("?", "(6,)"), std::string(6, '\1')), {6}, false},
        {"numpy's dtype name", npy_file(dict("float64", "(6,)"), six), {6}, false},
    };
    for (const Case& c : cases) {
        const std::string captured(c.what);
        CAPTURE(captured);
        write_bytes(s / "h.npy", c.file);
        const npy::Header h = npy::read_header(s / "h.npy");
        CHECK(h.shape == c.shape);
        CHECK(h.fortran_order == c.fortran);
        CHECK(h.data_offset + h.data_bytes == c.file.size());
        const std::vector<double> data = npy::read_data<double>(s / "h.npy", h);
        CHECK(data.size() == 6);
        if (h.dtype == npy::DType::float64 && !c.fortran) CHECK(data == std::vector<double>{1, 2, 3, 4, 5, 6});
    }
    write_bytes(s / "v3.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", six, 3));
    CHECK(npy::read_header(s / "v3.npy").version == 3);
    CHECK(npy::read_header(s / "v3.npy").data_offset == 128);  // 12 + 57 + '\n', padded
}

TEST_CASE("malformed files refused, each with a message naming the file and the fault") {
    Scratch s;
    const std::string f8 = bytes_of(std::vector<double>{1, 2, 3, 4, 5, 6});
    struct Case {
        const char* name;
        std::string bytes;
        std::vector<std::string> fragments;
    };
    std::string huge_header = npy_file(std::string(2 << 20, ' '), "", 2, 0);
    const std::vector<Case> cases = {
        {"empty", "", {"not a .npy file", "it is empty"}},
        {"png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(40, '\0'), {"not a .npy file", "\\x93NUMPY"}},
        {"magic_only", std::string("\x93NUM", 4), {"truncated", "after 4 bytes"}},
        {"no_length", std::string("\x93NUMPY\x01\x00\x10", 9), {"truncated", "before the .npy header's length"}},
        {"version_4", npy_file(dict("<f8", "(6,)"), f8, 4), {"version 4.0", "1.0, 2.0 and 3.0"}},
        {"version_1_1",
         [&] {
             std::string b = npy_file(dict("<f8", "(6,)"), f8);
             b[7] = 1;
             return b;
         }(),
         {"version 1.1"}},
        {"header_past_end",
         std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 18),
         {"header is 255 bytes long", "ends 8 bytes after"}},
        {"header_huge", huge_header, {"header is 2.1 MB long, past fftconv's limit of 1.0 MB"}},
        {"not_a_dict", npy_file("['<f8', False, (6,)]", f8), {"is a list, not a dict"}},
        {"unknown_key",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'offset': 0}", f8),
         {"the key 'offset'", "exactly 'descr', 'fortran_order' and 'shape'"}},
        {"key_not_string",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 3: 0}", f8),
         {"the key 3"}},
        {"missing_key", npy_file("{'descr': '<f8', 'shape': (6,)}", f8), {"no 'fortran_order' key"}},
        {"duplicate_key",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'shape': (6,)}", f8),
         {"'shape' twice"}},
        {"unclosed_dict",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), ", f8),
         {"malformed header", "'{' here is never closed", "character 1 "}},
        {"unclosed_tuple",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6, }", f8),
         {"unbalanced brackets: '}' where the '(' at character 51 needs ')'"}},
        {"mismatched",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3]}", f8),
         {"']' where the '('"}},
        {"extra_close",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,)})", f8),
         {"')' after the end of the dict"}},
        {"stray_close",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': )6,(}", f8),
         {"')' closes nothing"}},
        {"no_colon", npy_file("{'descr' '<f8', 'fortran_order': False, 'shape': (6,)}", f8), {"expected ':'"}},
        {"no_comma",
         npy_file("{'descr': '<f8' 'fortran_order': False, 'shape': (6,)}", f8),
         {"expected ',' or '}' after the string"}},
        {"unclosed_string",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'x}", f8),
         {"the string that starts here is never closed"}},
        {"escape", npy_file("{'descr': '<f\\x38', 'fortran_order': False, 'shape': (6,)}", f8), {"escape sequence"}},
        {"nested",
         npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': " + std::string(40, '(') + "6," +
                      std::string(40, ')') + "}",
                  f8),
         {"nested more than 16 deep"}},
        {"control_char",
         npy_file(std::string("{'descr': '<f8', \x01'fortran_order': False, 'shape': (6,)}"), f8),
         {"unexpected '\\x01'"}},
        {"negative_dim", npy_file(dict("<f8", "(3, -2)"), f8), {"dimension -2 in the shape (3, -2) is negative"}},
        {"huge_dim", npy_file(dict("<f8", "(9223372036854775808,)"), f8), {"9223372036854775808", "too large"}},
        // Ten times its first 19 digits wraps past 2^64 to 1553255926290448384.
        {"wrapping_dim", npy_file(dict("<f8", "(20000000000000000000,)"), f8), {"20000000000000000000", "too large"}},
        {"long_dim",
         npy_file(dict("<f8", "(1, 000000000000000000000000000000006)"), f8),
         {"'000000000000000000000000000000006' is not a value"}},
        {"max_dim",
         npy_file(dict("<i1", "(9223372036854775807,)"), f8),
         {"(9223372036854775807,) of int8, 9.2 EB, but the file holds 48 bytes"}},
        {"overflow",
         npy_file(dict("<f8", "(4294967296, 4294967296)"), f8),
         {"declares shape (4294967296, 4294967296) of float64, more than 2^63 bytes"}},
        {"overflow_by_item",
         npy_file(dict("<c16", "(1152921504606846976,)"), f8),
         {"of complex128, more than 2^63 bytes"}},
        {"rank_65",
         npy_file(dict(
                      "<f8", std::string("(") +
                                 [] {
                                     std::string d;
                                     for (int i = 0; i < 65; ++i) d += "1, ";
                                     return d;
                                 }() +
                                 ")"),
                  bytes_of(std::vector<double>{1})),
         {"65 dimensions, more than 64"}},
        {"shape_int", npy_file(dict("<f8", "(6)"), f8), {"shape (6) is not a tuple", "written with a comma, (6,)"}},
        {"shape_list", npy_file(dict("<f8", "[2, 3]"), f8), {"shape [2, 3] is not a tuple"}},
        {"shape_float", npy_file(dict("<f8", "(2.0, 3)"), f8), {"'2.0' is not a value"}},
        {"shape_string", npy_file(dict("<f8", "('2', 3)"), f8), {"holds a string"}},
        {"shape_leading_zero", npy_file(dict("<f8", "(06,)"), f8), {"'06' is not a value"}},
        {"fortran_int",
         npy_file("{'descr': '<f8', 'fortran_order': 0, 'shape': (6,)}", f8),
         {"'fortran_order' is 0, not True or False"}},
        {"fortran_lower",
         npy_file("{'descr': '<f8', 'fortran_order': false, 'shape': (6,)}", f8),
         {"'false' is not a value"}},
        {"descr_int",
         npy_file("{'descr': 8, 'fortran_order': False, 'shape': (6,)}", f8),
         {"'descr' is 8, not a dtype string"}},
        {"object", npy_file(dict("|O", "(6,)"), f8), {"dtype '|O' (Python objects)"}},
        {"structured",
         npy_file("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (6,)}", f8),
         {"dtype [('x', '<f4'), ('y', '<f4')] is a structured (record) dtype"}},
        {"unicode", npy_file(dict("<U3", "(2,)"), std::string(24, 'a')), {"dtype '<U3' (unicode strings)"}},
        {"bytes", npy_file(dict("|S3", "(2,)"), std::string(6, 'a')), {"dtype '|S3' (byte strings)"}},
        {"datetime", npy_file(dict("<M8[ns]", "(6,)"), f8), {"dtype '<M8[ns]' (datetimes)"}},
        {"timedelta", npy_file(dict("<m8[s]", "(6,)"), f8), {"dtype '<m8[s]' (timedeltas)"}},
        {"void", npy_file(dict("|V8", "(6,)"), f8), {"dtype '|V8' (raw bytes)"}},
        {"float128", npy_file(dict("<f16", "(3,)"), f8), {"dtype '<f16' (a float size other than 2, 4 and 8 bytes)"}},
        {"int128", npy_file(dict("<i16", "(3,)"), f8), {"dtype '<i16' (an integer size"}},
        {"words", npy_file(dict("double", "(6,)"), f8), {"dtype 'double' (not a dtype numpy writes)"}},
        {"unknown_kind", npy_file(dict("<x8", "(6,)"), f8), {"dtype '<x8' (not a dtype numpy writes)"}},
        {"short_data",
         npy_file(dict("<f8", "(1000000, 1000000)"), std::string(1234, '\0')),
         {"the header declares shape (1000000, 1000000) of float64, 8.0 TB, but the file holds 1.2 kB of data"}},
        {"one_short",
         npy_file(dict("<f8", "(2, 3)"), f8.substr(1)),
         {"(2, 3) of float64, 48 bytes, but the file holds 47 bytes"}},
        {"long_data",
         npy_file(dict("<f8", "(2, 2)"), f8),
         {"(2, 2) of float64, 32 bytes, but the file holds 48 bytes of data after its header"}},
        {"appended", npy_file(dict("<f8", "(6,)"), f8) + npy_file(dict("<f8", "(6,)"), f8), {"more than one array"}},
    };
    for (const Case& c : cases) {
        const std::string captured(c.name);
        CAPTURE(captured);
        const std::string path = s / (std::string(c.name) + ".npy");
        write_bytes(path, c.bytes);
        check_refused(path, c.fragments);
    }
}

TEST_CASE("files that are not there, directories, and the name messages give") {
    Scratch s;
    check_refused(s / "missing.npy", {"cannot open it", "No such file"});
    fs::create_directory(s / "dir.npy");
    check_refused(s / "dir.npy", {"is not a regular file"});
    // A file copied from standard input is named as such.
    write_bytes(s / "stdin-copy", npy_file(dict("<f8", "(9,)"), ""));
    try {
        npy::read_header(s / "stdin-copy", "-");
        FAIL("not refused");
    } catch (const app::ProcessError& e) {
        CHECK(std::string(e.what()).starts_with("standard input: the header declares shape (9,)"));
    }
}

TEST_CASE("complex data is not read as real: that would drop the imaginary part") {
    Scratch s;
    const std::vector<cfloat> c = {{1, 2}, {3, 0}};
    npy::write(s / "c.npy", Shape{2}, c.data());
    const npy::Header h = npy::read_header(s / "c.npy");
    for (const bool as_float : {true, false}) {
        std::string message;
        try {
            if (as_float)
                (void)npy::read_data<float>(s / "c.npy", h);
            else
                (void)npy::read_data<double>(s / "c.npy", h);
        } catch (const app::ProcessError& e) {
            message = e.what();
        }
        CHECK(message == quoted(s / "c.npy") + " holds complex64 data; reading it as " +
                             (as_float ? "float32" : "float64") + " would drop the imaginary part");
    }
    CHECK(npy::read_data<cfloat>(s / "c.npy", h) == c);
    // Even when every imaginary part is 0: a complex file is complex.
    const std::vector<cdouble> real_valued = {{1, 0}, {2, 0}};
    npy::write(s / "r.npy", Shape{2}, real_valued.data());
    CHECK_THROWS_AS(npy::read_data<double>(s / "r.npy", npy::read_header(s / "r.npy")), app::ProcessError);
}

TEST_CASE("a file that changes between its header and its data is refused") {
    Scratch s;
    const std::vector<float> v = {1, 2, 3, 4};
    npy::write(s / "v.npy", Shape{4}, v.data());
    const npy::Header h = npy::read_header(s / "v.npy");
    fs::resize_file(s / "v.npy", fs::file_size(s / "v.npy") - 4);
    CHECK_THROWS_WITH_AS(npy::read_data<float>(s / "v.npy", h), doctest::Contains("changed since its header was read"),
                         app::ProcessError);
}

TEST_CASE("is_npy: by the magic, not the name") {
    Scratch s;
    const std::vector<double> v = {1};
    npy::write(s / "a.png", Shape{1}, v.data());
    CHECK(npy::is_npy(s / "a.png"));
    write_bytes(s / "b.npy", std::string("\x89PNG\r\n\x1a\n", 8));
    CHECK(!npy::is_npy(s / "b.npy"));
    write_bytes(s / "short.npy", std::string("\x93NUMP", 5));
    CHECK(!npy::is_npy(s / "short.npy"));
    write_bytes(s / "empty.npy", "");
    CHECK(!npy::is_npy(s / "empty.npy"));
    CHECK(!npy::is_npy(s / "missing.npy"));
    CHECK(!npy::is_npy(s.dir.string()));
    const unsigned char bytes[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    CHECK(npy::is_npy(std::span<const unsigned char>(bytes)));
    CHECK(!npy::is_npy(std::span<const unsigned char>(bytes, 5)));
    CHECK(npy::magic.size() == 6);
}

TEST_CASE("write: atomic replacement keeps the mode; '-' is standard output; bad shapes refused") {
    Scratch s;
    const std::vector<double> v = {1, 2, 3, 4, 5, 6};
    const std::string path = s / "out.npy";
    write_bytes(path, "old contents");
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    npy::write(path, Shape{2, 3}, v.data());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(npy::read_data<double>(path, npy::read_header(path)) == v);
    // Nothing but the file: no temporary left behind.
    CHECK(std::distance(fs::directory_iterator(s.dir), fs::directory_iterator{}) == 1);

    // Standard output: the same bytes as the file.
    {
        const std::string captured = s / "stdout.bin";
        std::FILE* to = std::fopen(captured.c_str(), "wb");
        REQUIRE(to != nullptr);
        const int saved = ::dup(STDOUT_FILENO);
        REQUIRE(saved >= 0);
        // Nothing of the test's own output may be pending when the descriptor changes.
        std::cout.flush();
        std::fflush(stdout);
        ::dup2(::fileno(to), STDOUT_FILENO);
        std::string error;
        try {
            npy::write("-", Shape{2, 3}, v.data());
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::fflush(stdout);
        ::dup2(saved, STDOUT_FILENO);
        ::close(saved);
        std::fclose(to);
        CHECK(error.empty());
        CHECK(slurp(captured) == slurp(path));
    }

    const std::string before = slurp(path);
    const Shape negative = {2, -3};
    CHECK_THROWS_WITH_AS(npy::write(path, negative, v.data()),
                         ("cannot write " + quoted(path) + ": the shape (2, -3) has a negative dimension").c_str(),
                         app::ProcessError);
    const Shape overflow = {std::int64_t{1} << 40, std::int64_t{1} << 40};
    CHECK_THROWS_WITH_AS(npy::write(path, overflow, v.data()), doctest::Contains("more than 2^63 bytes"),
                         app::ProcessError);
    const Shape too_many(65, 1);
    CHECK_THROWS_WITH_AS(npy::write(path, too_many, v.data()), doctest::Contains("65 dimensions, more than 64"),
                         app::ProcessError);
    CHECK(slurp(path) == before);
    CHECK_THROWS_WITH_AS(npy::write(s / "no/such/dir/x.npy", Shape{6}, v.data()),
                         doctest::Contains("no/such/dir/x.npy"), app::ProcessError);

    // Rank 64 of huge and tiny dimensions still fits version 1.0's header, and reads back.
    Shape wide(64, 1);
    wide[0] = 0;
    wide[63] = std::int64_t{1} << 59;
    npy::write(s / "wide.npy", wide, static_cast<const double*>(nullptr));
    const npy::Header h = npy::read_header(s / "wide.npy");
    CHECK(h.version == 1);
    CHECK(h.shape == wide);
    CHECK(h.data_offset % 64 == 0);
}

TEST_CASE("numpy loads what write() writes: shape, dtype and every value") {
    if (python().empty()) {
        MESSAGE("skipped: no python3 with numpy (FFTCONV_PYTHON is not set)");
        return;
    }
    Scratch s;
    // Each file's name, numpy's dtype name, shape and values (as hexadecimal floats, exact).
    std::string manifest;
    int files = 0;
    auto add = [&]<class T>(const Shape& shape, std::type_identity<T>) {
        std::size_t n = 1;
        for (const std::int64_t d : shape) n *= static_cast<std::size_t>(d);
        const std::vector<T> values = sample_values<T>(n);
        const std::string name = std::string("w") + std::to_string(files++) + ".npy";
        npy::write(s / name, shape, values.data());
        char buf[64];
        manifest += name + " " + std::string(npy::dtype_name(npy::dtype_of<T>())) + " " + std::to_string(shape.size());
        for (const std::int64_t d : shape) manifest += ' ' + std::to_string(d);
        for (const T& v : values) {
            if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
                std::snprintf(buf, sizeof buf, " %a", static_cast<double>(v));
                manifest += buf;
            } else {
                std::snprintf(buf, sizeof buf, " %a %a", static_cast<double>(v.real()), static_cast<double>(v.imag()));
                manifest += buf;
            }
        }
        manifest += "\n";
    };
    for (const Shape& shape : std::vector<Shape>{{}, {1}, {7}, {0}, {2, 3}, {3, 0, 2}, {2, 1, 3, 2, 3}, {33, 5}}) {
        add(shape, std::type_identity<float>{});
        add(shape, std::type_identity<double>{});
        add(shape, std::type_identity<cfloat>{});
        add(shape, std::type_identity<cdouble>{});
    }
    write_bytes(s / "manifest.txt", manifest);
    const std::string script = R"(
import math, os, sys
import numpy as np
d = sys.argv[1]
checked = 0
for line in open(os.path.join(d, "manifest.txt")):
    f = line.split()
    name, dtype, rank = f[0], f[1], int(f[2])
    shape = tuple(int(x) for x in f[3:3 + rank])
    vals = [float.fromhex(x) for x in f[3 + rank:]]
    a = np.load(os.path.join(d, name), allow_pickle=False)
    assert a.dtype == np.dtype(dtype), (name, a.dtype, dtype)
    assert a.dtype.byteorder in "=<|", (name, a.dtype.byteorder)
    assert a.shape == shape, (name, a.shape, shape)
    assert a.flags.c_contiguous, name
    flat = a.ravel().tolist()
    if a.dtype.kind == "c":
        vals = [complex(vals[i], vals[i + 1]) for i in range(0, len(vals), 2)]
        same = lambda x, y: all((math.isnan(p) and math.isnan(q)) or p == q
                                for p, q in ((x.real, y.real), (x.imag, y.imag)))
    else:
        same = lambda x, y: (math.isnan(x) and math.isnan(y)) or x == y
    assert len(flat) == len(vals), (name, len(flat), len(vals))
    for i, (x, y) in enumerate(zip(flat, vals)):
        assert same(x, y), (name, i, x, y)
    checked += 1
print("numpy loaded", checked, "files")
)";
    std::string output;
    CHECK_MESSAGE(run_python(s, script, output) == 0, output);
    CHECK(output == "numpy loaded " + std::to_string(files) + " files\n");
}

TEST_CASE("files numpy makes: every dtype, both byte orders, C and Fortran order, versions 1 to 3") {
    if (python().empty()) {
        MESSAGE("skipped: no python3 with numpy (FFTCONV_PYTHON is not set)");
        return;
    }
    Scratch s;
    // For each file numpy writes, the values astype would give, in C order, little-endian:
    // as float64 (or complex128) and float32 (or complex64).
    const std::string script = R"(
import os, sys
import numpy as np
import numpy.lib.format as fmt
d = sys.argv[1]
out = open(os.path.join(d, "manifest.txt"), "w")
kinds = ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16"]
shapes = [(), (5,), (0,), (2, 3), (3, 1, 4), (2, 0, 3), (2, 2, 2, 2, 2)]
n = 0
def values(t, shape):
    k = int(np.prod(shape))
    base = np.arange(k, dtype=np.float64) * 7.25 - 11.5
    if t.kind == "b":
        a = (np.arange(k) % 3) == 1
    elif t.kind in "iu":
        info = np.iinfo(t)
        a = (np.arange(k, dtype=np.int64) * 7919 - 3 * k).astype(t)
        if k >= 2:
            a[0], a[1] = info.min, info.max
    else:
        # (Built before the cast: arithmetic would give the machine's byte order.)
        a = (base + 1j * (np.arange(k) * -0.5 + 2) if t.kind == "c" else base).astype(t)
        if k >= 4:
            a[1], a[2], a[3] = np.inf, -np.inf, np.nan
    return a.reshape(shape)
def save(a, version=None):
    global n
    name = "n%d.npy" % n
    n += 1
    path = os.path.join(d, name)
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            fmt.write_array(f, a, version=version)
    wide = "<c16" if a.dtype.kind == "c" else "<f8"
    narrow = "<c8" if a.dtype.kind == "c" else "<f4"
    with np.errstate(all="ignore"):
        open(path + ".f64", "wb").write(np.ascontiguousarray(a.astype(wide)).tobytes())
        open(path + ".f32", "wb").write(np.ascontiguousarray(a.astype(narrow)).tobytes())
    with open(path, "rb") as f:
        v = fmt.read_magic(f)
        header = fmt.read_array_header_1_0 if v == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = header(f)
    out.write("%s %s %d %d %d %s\n" % (name, dtype.name, fortran, dtype.byteorder == ">", len(shape),
                                      " ".join(str(x) for x in shape)))
for kind in kinds:
    for order in "<>":
        t = np.dtype(order + kind)
        for shape in shapes:
            a = values(t, shape)
            save(a)
            if a.ndim >= 2:
                save(np.asfortranarray(a))
save(values(np.dtype("<f8"), (3, 4)), (2, 0))
save(np.asfortranarray(values(np.dtype(">c8"), (3, 4))), (3, 0))
save(np.float32(1.5))
save(np.arange(12, dtype=np.float64).reshape(3, 4).T)
print(n)
)";
    std::string output;
    REQUIRE_MESSAGE(run_python(s, script, output) == 0, output);
    const int made = std::stoi(output);
    std::ifstream manifest(s / "manifest.txt");
    std::string line;
    int checked = 0, fortran_files = 0, big_endian_files = 0;
    while (std::getline(manifest, line)) {
        CAPTURE(line);
        std::istringstream in(line);
        std::string name, dtype;
        int fortran = 0, big = 0;
        std::size_t rank = 0;
        in >> name >> dtype >> fortran >> big >> rank;
        Shape shape(rank);
        for (auto& d : shape) in >> d;
        const std::string path = s / name;
        const npy::Header h = npy::read_header(path);
        CHECK(npy::dtype_name(h.dtype) == dtype);
        CHECK(h.fortran_order == (fortran == 1));
        CHECK(h.big_endian == (big == 1));
        CHECK(h.shape == shape);
        fortran_files += fortran;
        big_endian_files += big;
        const std::string wide = slurp(path + ".f64"), narrow = slurp(path + ".f32");
        if (npy::is_complex(h.dtype)) {
            CHECK(same_values(npy::read_data<cdouble>(path, h), from_bytes<cdouble>(wide)));
            CHECK(same_values(npy::read_data<cfloat>(path, h), from_bytes<cfloat>(narrow)));
            CHECK_THROWS_AS(npy::read_data<double>(path, h), app::ProcessError);
        } else {
            CHECK(same_values(npy::read_data<double>(path, h), from_bytes<double>(wide)));
            CHECK(same_values(npy::read_data<float>(path, h), from_bytes<float>(narrow)));
        }
        ++checked;
    }
    CHECK(checked == made);
    // 14 dtypes x 2 byte orders x 3 Fortran arrays, and 2 more; 11 dtypes of more than one byte
    // x 11 arrays, and 1 more.
    CHECK(fortran_files == 86);
    CHECK(big_endian_files == 122);
    MESSAGE("read " << checked << " files numpy made (" << fortran_files << " in Fortran order, " << big_endian_files
                    << " big-endian)");
}

TEST_CASE("numpy's files of dtypes fftconv does not read are refused, naming the dtype") {
    if (python().empty()) {
        MESSAGE("skipped: no python3 with numpy (FFTCONV_PYTHON is not set)");
        return;
    }
    Scratch s;
    const std::string script = R"(
import os, sys
import numpy as np
d = sys.argv[1]
np.save(os.path.join(d, "objects.npy"), np.array([1, "a", None], dtype=object))
np.save(os.path.join(d, "unicode.npy"), np.array(["ab", "c"]))
np.save(os.path.join(d, "bytes.npy"), np.array([b"ab", b"c"]))
np.save(os.path.join(d, "record.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))
np.save(os.path.join(d, "dates.npy"), np.array(["2024-01-01"], dtype="datetime64[D]"))
np.save(os.path.join(d, "longdouble.npy"), np.zeros(2, dtype=np.longdouble))
)";
    std::string output;
    REQUIRE_MESSAGE(run_python(s, script, output) == 0, output);
    check_refused(s / "objects.npy", {"dtype '|O' (Python objects)"});
    check_refused(s / "unicode.npy", {"dtype '<U2' (unicode strings)"});
    check_refused(s / "bytes.npy", {"dtype '|S2' (byte strings)"});
    check_refused(s / "record.npy", {"dtype [('x', '<f4'), ('y', '<i4')] is a structured (record) dtype"});
    check_refused(s / "dates.npy", {"dtype '<M8[D]' (datetimes)"});
    check_refused(s / "longdouble.npy", {"dtype '<f16' (a float size other than 2, 4 and 8 bytes)"});
}
