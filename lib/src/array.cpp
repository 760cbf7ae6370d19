// The owning arrays' checks and messages: Array<T> and Image<T> sizes, their allocation failures,
// and the shapes of views.
#include "fftconv/array.hpp"

#include "geometry.hpp"
#include "memory.hpp"

namespace fftconv {

std::string to_string(const Extents& e) {
    if (e.rank() == 0) return "scalar";
    std::string s = std::to_string(e[0]);
    for (int i = 1; i < e.rank(); ++i) {
        s += 'x';
        s += std::to_string(e[i]);
    }
    return s;
}

namespace detail {

void rank_too_high(std::size_t rank) {
    throw InvalidArgument("Extents: rank " + std::to_string(rank) + " is more than fftconv's largest rank (" +
                          std::to_string(max_rank) + ")");
}

void strides_mismatch(int shape_rank, int strides_rank) {
    throw InvalidArgument("View: " + std::to_string(strides_rank) + " strides for a shape of rank " +
                          std::to_string(shape_rank));
}

void not_rank_two(const std::string& shape) {
    throw InvalidArgument("View::image: the view is " + shape + ", an image has rank 2");
}

std::size_t array_bytes(const Extents& shape, std::size_t element_size) {
    if (std::any_of(shape.begin(), shape.end(), [](std::ptrdiff_t n) { return n < 0; }))
        throw InvalidArgument("Array: size " + to_string(shape) + " is negative");
    // Array and Image are public types of their own: each checks the limit in force when it is made.
    const Bytes need = Bytes::of(shape, element_size);
    const MemoryBudget memory = MemoryBudget::current();
    if (!memory.fits(need))
        memory.check("Array: " + to_string(shape) + " elements of " + std::to_string(element_size) + " bytes", need);
    return need.exact;
}

void array_allocation_failed(const Extents& shape, std::size_t element_size) {
    allocation_failed("Array", to_string(shape) + " elements of " + std::to_string(element_size) + " bytes",
                      Bytes::of(shape, element_size));
}

std::size_t image_bytes(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size) {
    const Bytes need = Bytes::of({rows, cols}, element_size);
    const MemoryBudget memory = MemoryBudget::current();
    if (!memory.fits(need))
        memory.check(
            "Image: " + to_string(Shape{rows, cols}) + " elements of " + std::to_string(element_size) + " bytes", need);
    return need.exact;
}

void image_allocation_failed(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size) {
    allocation_failed("Image", to_string(Shape{rows, cols}) + " elements of " + std::to_string(element_size) + " bytes",
                      Bytes::of({rows, cols}, element_size));
}

void span_too_long(std::size_t n) {
    throw InvalidArgument("ImageView: a span of " + std::to_string(n) + " elements is longer than the largest size (" +
                          std::to_string(max_size) + ")");
}

}  // namespace detail

}  // namespace fftconv
