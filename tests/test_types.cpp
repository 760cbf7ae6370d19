// types.hpp: names used in messages, Error's place in the standard hierarchy.
#include <doctest/doctest.h>

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

TEST_CASE("element types map to their names and real types") {
    static_assert(element_type_v<std::complex<float>> == ElementType::complex64);
    static_assert(std::is_same_v<real_t<std::complex<double>>, double>);
    static_assert(std::is_same_v<real_t<float>, float>);
    static_assert(!Scalar<int> && !Scalar<long double>);
    CHECK(Shape{2, 3}.size() == 6);
    CHECK(Shape{0, 3}.empty());
}
