// image.hpp: ownership, alignment, views and strides (and Array::image, an Array as an Image).
#include <doctest/doctest.h>

#include <cstdint>

#include "fftconv/array.hpp"
#include "fftconv/image.hpp"
#include "reference.hpp"

using namespace fftconv;

TEST_CASE_TEMPLATE("Image is zero-filled, row-major and 64-byte aligned", T, float, double, std::complex<float>,
                   std::complex<double>) {
    for (auto [r, c] : {std::pair{1, 1}, {3, 5}, {17, 1}, {1, 1023}}) {
        Image<T> img(r, c);
        CHECK(reinterpret_cast<std::uintptr_t>(img.data()) % 64 == 0);
        CHECK(img.shape() == Shape{r, c});
        for (T v : img.values()) CHECK(v == T{});
        const ImageView<T> v = img.view();
        CHECK(v.row_stride == c);
        CHECK(v.col_stride == 1);
        CHECK(&v(r - 1, c - 1) == img.data() + r * c - 1);
    }
}

TEST_CASE("Image from nested braces, copies are deep, moves leave an empty image") {
    Image<double> a{{1, 2, 3}, {4, 5, 6}};
    CHECK(a.shape() == Shape{2, 3});
    CHECK(a(1, 0) == 4);
    Image<double> b = a;
    b(0, 0) = 9;
    CHECK(a(0, 0) == 1);
    CHECK(b != a);
    Image<double> c = std::move(b);
    CHECK(b.empty());
    CHECK(c(0, 0) == 9);
    CHECK(Image<double>(0, 4).empty());
    CHECK_THROWS_WITH_AS((Image<double>{{1, 2}, {3}}), "Image: row 1 has 1 values, row 0 has 2", Error);
    CHECK_THROWS_WITH_AS(Image<float>(-2, 3), "Image: size -2x3 is negative", Error);
}

TEST_CASE("Array::image copies from an lvalue and hands its buffer over from an rvalue") {
    Array<float> a(Extents{2, 3});
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) a.values()[static_cast<std::size_t>(i)] = static_cast<float>(i);
    const float* buffer = a.data();
    const Image<float> copy = a.image();
    CHECK(copy.data() != buffer);
    CHECK(copy == Image<float>{{0, 1, 2}, {3, 4, 5}});
    const Image<float> moved = std::move(a).image();
    CHECK(moved.data() == buffer);  // no copy
    CHECK(moved == copy);
    CHECK(a.empty());
    Array<float> empty(Extents{0, 4});
    CHECK(std::move(empty).image().shape() == Shape{0, 4});
    Array<float> cube(Extents{2, 2, 2});
    CHECK_THROWS_WITH_AS(std::move(cube).image(), "View::image: the view is 2x2x2, an image has rank 2", Error);
    CHECK(cube.size() == 8);  // kept when refused
}

TEST_CASE("Array::uninitialized: the shape's storage, aligned, with the limit's checks, and no values set") {
    auto a = Array<double>::uninitialized(Extents{3, 5, 7});
    CHECK(a.shape() == Extents{3, 5, 7});
    CHECK(a.size() == 105);
    CHECK(reinterpret_cast<std::uintptr_t>(a.data()) % Array<double>::alignment == 0);
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) a.values()[static_cast<std::size_t>(i)] = static_cast<double>(i);
    CHECK(a.values()[104] == 104.0);
    CHECK(Array<float>::uninitialized(Extents{0, 4}).empty());
    CHECK_THROWS_AS((void)Array<float>::uninitialized(Extents{std::ptrdiff_t{1} << 40, std::ptrdiff_t{1} << 20}),
                    Error);
}

TEST_CASE("views: flipped, transposed and subview address the right elements") {
    Image<int> img(3, 4);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) img(r, c) = 10 * r + c;
    const ImageView<const int> v = img.view();

    const auto f = v.flipped();
    CHECK(f.shape() == Shape{3, 4});
    CHECK(f(0, 0) == 23);
    CHECK(f(2, 3) == 0);
    CHECK(f(1, 2) == 11);
    CHECK(f.flipped()(1, 2) == 12);

    const auto t = v.transposed();
    CHECK(t.shape() == Shape{4, 3});
    CHECK(t(3, 1) == 13);

    const auto s = v.subview(1, 1, 2, 2);
    CHECK(s(0, 0) == 11);
    CHECK(s(1, 1) == 22);
    CHECK(s.flipped()(0, 0) == 22);
    CHECK_THROWS_WITH_AS(v.subview(2, 0, 2, 4), "ImageView::subview: window 2x4 at (2, 0) is outside the 3x4 view",
                         Error);

    const Image<int> copy(t);  // a dense copy of a strided view
    CHECK(copy.shape() == Shape{4, 3});
    CHECK(copy(3, 1) == 13);
    CHECK(copy.view().row_stride == 3);
}

TEST_CASE("a span is a 1xN view") {
    std::vector<float> x{1, 2, 3};
    const ImageView<float> v{std::span<float>(x)};
    CHECK(v.shape() == Shape{1, 3});
    v(0, 2) = 7;
    CHECK(x[2] == 7);
}

TEST_CASE("image_cast converts element by element, any strides in") {
    const Image<double> d{{1.5, -2.25}, {3, 1e10}};
    const Image<float> f = image_cast<float>(d);
    CHECK(f(0, 1) == -2.25f);
    CHECK(f(1, 1) == 1e10f);
    const Image<double> back = image_cast<double>(f.view().transposed());
    CHECK(back.shape() == Shape{2, 2});
    CHECK(back(1, 0) == -2.25);
    CHECK(image_cast<int>(d)(0, 0) == 1);
}
