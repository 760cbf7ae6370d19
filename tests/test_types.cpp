// types.hpp: names used in messages, Error's place in the standard hierarchy, and the element types
// every public call takes (others are one compile error).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "fftconv/fftconv.hpp"
#include "fftconv/types.hpp"

using namespace fftconv;

TEST_CASE("to_string names every enum value and shape") {
    CHECK(std::string(to_string(Mode::same)) == "same");
    CHECK(std::string(to_string(Method::fft)) == "fft");
    CHECK(std::string(to_string(ElementType::complex64)) == "complex64");
    CHECK(to_string(Shape{3, 4}) == "3x4");
    CHECK(std::string(to_string(static_cast<Mode>(7))) == "(invalid Mode)");
}

TEST_CASE("Error is a std::invalid_argument, so generic handlers catch it") {
    CHECK_THROWS_AS(throw Error("x"), std::invalid_argument);
}

TEST_CASE("the error kinds: each an Error, each thrown where it belongs") {
    CHECK_THROWS_AS(throw OutOfMemory("x"), Error);
    CHECK_THROWS_AS(throw BackendError("x"), std::invalid_argument);
    const std::vector<double> empty, one{1};
    CHECK_THROWS_AS((void)convolve(empty, one), InvalidArgument);
    // Views with zero strides over one element: shapes of any size, no memory behind them.
    const double x = 1;
    CHECK_THROWS_AS(
        (void)convolve(ImageView<const double>(&x, 100000, 100000, 0, 0), ImageView<const double>(&x, 1, 1)),
        OutOfMemory);
    const std::string path = std::filesystem::temp_directory_path() / "fftconv-not-wisdom.txt";
    std::ofstream(path) << "not wisdom";
    CHECK_THROWS_AS((void)load_wisdom(path), BackendError);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(set_threads(-1), InvalidArgument);
}

TEST_CASE("element types map to their names and real types") {
    static_assert(element_type_v<std::complex<float>> == ElementType::complex64);
    static_assert(std::is_same_v<real_t<std::complex<double>>, double>);
    static_assert(std::is_same_v<real_t<float>, float>);
    static_assert(!Scalar<int> && !Scalar<long double>);
    CHECK(Shape{2, 3}.size() == 6);
    CHECK(Shape{0, 3}.empty());
}

// ---- Element types fftconv does not compute in: one compile error, one line that names the types it
// takes. The public headers are compiled here, by the compiler that built the tests, on snippets
// that must fail (and one that must not, so a broken command cannot pass for a refusal).

namespace {

struct Compiled {
    int status;
    std::string output;
};

Compiled compile(const std::filesystem::path& dir, const std::string& name, const std::string& body) {
    const std::filesystem::path source = dir / (name + ".cpp");
    std::ofstream(source) << "#include <fftconv/fftconv.hpp>\n#include <array>\n#include <complex>\n#include "
                             "<vector>\nint main() {\n"
                          << body << "\n}\n";
    const std::string command = std::string(FFTCONV_CXX) + " -std=c++20 -fsyntax-only -I'" FFTCONV_INCLUDE_DIR "' '" +
                                source.string() + "' 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("an unsupported element type is one compile error saying which types fftconv takes") {
    std::random_device seed;
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("fftconv-types-" + std::to_string(seed()) + std::to_string(seed()));
    std::filesystem::create_directories(dir);

    const Compiled good = compile(dir, "good", R"(
        std::vector<float> f{1, 2, 3}; std::vector<double> d{1, 2}; std::array<double, 2> a{1, 1};
        std::vector<std::complex<float>> z{{1, 2}};
        fftconv::Image<float> img(8, 8), k(3, 3);
        (void)fftconv::convolve(f, f); (void)fftconv::correlate(d, a); (void)fftconv::convolve(z, z);
        (void)fftconv::convolve(img, k.view()); (void)fftconv::gaussian_blur(img.view(), 1.0);
        (void)fftconv::filter2d(img, k); (void)fftconv::match_template(img, k, fftconv::MatchMethod::ccorr);
        fftconv::Convolver<double> c(2, std::span<const double>(d));)");
    CAPTURE(good.output);
    REQUIRE(good.status == 0);

    const std::string scalars = "takes float, double, std::complex<float> or std::complex<double> elements";
    const struct {
        const char* name;
        const char* body;
        std::string message;
    } cases[] = {
        {"vector_int", "std::vector<int> x{1, 2, 3}; auto y = fftconv::convolve(x, x); (void)y;",
         "fftconv::convolve " + scalars},
        {"vector_long_double", "std::vector<long double> x{1}; auto y = fftconv::correlate(x, x); (void)y;",
         "fftconv::correlate " + scalars},
        {"array_int", "std::array<int, 3> x{1, 2, 3}; auto y = fftconv::convolve(x, x); (void)y;",
         "fftconv::convolve " + scalars},
        {"float_with_double", "std::vector<float> x{1}; std::vector<double> h{1}; (void)fftconv::convolve(x, h);",
         "fftconv::convolve needs one element type for both operands"},
        {"image_u8", "fftconv::Image<unsigned char> a(4, 4); auto y = fftconv::convolve(a, a); (void)y;",
         "fftconv::convolve " + scalars},
        {"blur_int", "fftconv::Image<int> a(4, 4); auto y = fftconv::gaussian_blur(a, 2.0); (void)y;",
         "fftconv::gaussian_blur takes float or double images"},
        {"filter2d_kernel_double",
         "fftconv::Image<float> a(4, 4); fftconv::Image<double> k(3, 3); (void)fftconv::filter2d(a, k);",
         "fftconv::filter2d needs the kernel's element type to be the image's"},
        {"match_int", "fftconv::Image<int> a(4, 4); (void)fftconv::match_template(a, a, fftconv::MatchMethod::sqdiff);",
         "fftconv::match_template takes float or double images"},
        {"convolver_int", "std::vector<int> h{1, 1}; fftconv::Convolver<int> c(10, std::span<const int>(h));",
         "fftconv::Convolver<T> takes T = float, double, std::complex<float> or std::complex<double>"},
    };
    for (const auto& c : cases) {
        const Compiled got = compile(dir, c.name, c.body);
        const auto lines = std::count(got.output.begin(), got.output.end(), '\n');
        const auto errors = [&] {
            std::ptrdiff_t n = 0;
            for (std::size_t at = got.output.find("error"); at != std::string::npos;
                 at = got.output.find("error", at + 1))
                n += got.output.compare(at, 7, "error: ") == 0;
            return n;
        }();
        CAPTURE(c.name);
        CAPTURE(got.output);
        CHECK(got.status != 0);
        CHECK(got.output.find(c.message) != std::string::npos);
        CHECK(errors == 1);
        CHECK(lines < 15);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

TEST_CASE("visit_element_type calls f with the C++ type of each ElementType") {
    const auto name = [](ElementType t) {
        return visit_element_type(t, [](auto zero) { return std::string(to_string(element_type_v<decltype(zero)>)); });
    };
    CHECK(name(ElementType::float32) == "float32");
    CHECK(name(ElementType::float64) == "float64");
    CHECK(name(ElementType::complex64) == "complex64");
    CHECK(name(ElementType::complex128) == "complex128");
    CHECK(visit_element_type(ElementType::complex64, [](auto zero) { return sizeof(zero); }) == 8);
}
