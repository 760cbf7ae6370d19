// Image<T> owns pixels; ImageView<T> points at pixels someone else owns, with strides.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "fftconv/types.hpp"

namespace fftconv {

namespace detail {
// Bytes of an Image of rows x cols elements of `element_size` bytes (rows, cols >= 0), checked
// before anything is allocated.  @throws Error  naming the size and the bytes, when rows·cols or
// the bytes overflow, or are more than memory_limit() (settings.hpp).
std::size_t image_bytes(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size);
// @throws Error  "Image: could not allocate RxC elements of E bytes (80.0 GB): out of memory".
[[noreturn]] void image_allocation_failed(std::ptrdiff_t rows, std::ptrdiff_t cols, std::size_t element_size);
// @throws Error  a span longer than the largest size (PTRDIFF_MAX).
[[noreturn]] void span_too_long(std::size_t n);
// A span's length as a view's size.
constexpr std::ptrdiff_t span_length(std::size_t n) {
    if (n > static_cast<std::size_t>(PTRDIFF_MAX)) span_too_long(n);
    return static_cast<std::ptrdiff_t>(n);
}
}  // namespace detail

/// A non-owning rows x cols window onto elements of type T (const T for read-only inputs).
/// Element (r, c) lives at data[r * row_stride + c * col_stride]; strides count elements, not
/// bytes, and may be negative, so a flipped or transposed image is a view, not a copy.
/// A view of a row-major buffer with rows of `cols` elements is ImageView(data, rows, cols).
template <class T>
struct ImageView {
    T* data = nullptr;
    std::ptrdiff_t rows = 0;
    std::ptrdiff_t cols = 0;
    std::ptrdiff_t row_stride = 0;  ///< elements from (r, c) to (r + 1, c)
    std::ptrdiff_t col_stride = 1;  ///< elements from (r, c) to (r, c + 1)

    constexpr ImageView() = default;
    /// A row-major block: rows of `cols` contiguous elements, one after another.
    constexpr ImageView(T* data_, std::ptrdiff_t rows_, std::ptrdiff_t cols_)
        : data(data_), rows(rows_), cols(cols_), row_stride(cols_) {}
    constexpr ImageView(T* data_, std::ptrdiff_t rows_, std::ptrdiff_t cols_, std::ptrdiff_t row_stride_,
                        std::ptrdiff_t col_stride_ = 1)
        : data(data_), rows(rows_), cols(cols_), row_stride(row_stride_), col_stride(col_stride_) {}
    /// A 1D signal as a 1 x N view.  @throws Error  a span longer than PTRDIFF_MAX.
    constexpr explicit ImageView(std::span<T> signal)
        : ImageView(signal.data(), 1, detail::span_length(signal.size())) {}

    /// Every view converts to its read-only form.
    constexpr operator ImageView<const T>() const requires(!std::is_const_v<T>) {
        return {data, rows, cols, row_stride, col_stride};
    }

    constexpr T& operator()(std::ptrdiff_t r, std::ptrdiff_t c) const { return data[r * row_stride + c * col_stride]; }
    constexpr Shape shape() const { return {rows, cols}; }
    constexpr std::ptrdiff_t size() const { return rows * cols; }
    constexpr bool empty() const { return rows <= 0 || cols <= 0; }

    /// Rows x cols window whose (0, 0) is this view's (row, col).
    /// @throws Error when the window does not lie inside the view.
    ImageView subview(std::ptrdiff_t row, std::ptrdiff_t col, std::ptrdiff_t nrows, std::ptrdiff_t ncols) const {
        if (row < 0 || col < 0 || nrows < 0 || ncols < 0 || row + nrows > rows || col + ncols > cols)
            throw InvalidArgument("ImageView::subview: window " + std::to_string(nrows) + "x" + std::to_string(ncols) +
                                  " at (" + std::to_string(row) + ", " + std::to_string(col) + ") is outside the " +
                                  to_string(shape()) + " view");
        return {data + row * row_stride + col * col_stride, nrows, ncols, row_stride, col_stride};
    }
    /// Reversed in both dimensions: flipped()(r, c) == (*this)(rows-1-r, cols-1-c).
    constexpr ImageView flipped() const {
        if (empty()) return *this;
        return {data + (rows - 1) * row_stride + (cols - 1) * col_stride, rows, cols, -row_stride, -col_stride};
    }
    /// transposed()(r, c) == (*this)(c, r).
    constexpr ImageView transposed() const { return {data, cols, rows, col_stride, row_stride}; }
};

template <class T>
ImageView(T*, std::ptrdiff_t, std::ptrdiff_t) -> ImageView<T>;

template <class T>
class Array;

/// An owning, row-major rows x cols image whose first element is 64-byte aligned (a cache line,
/// and enough for any SIMD load). Rows are contiguous: row_stride == cols. Copies are deep.
template <class T>
class Image {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_const_v<T>,
                  "Image holds plain mutable values; use ImageView<const T> for read-only access");

public:
    static constexpr std::size_t alignment = 64;

    Image() = default;
    /// rows x cols zeros.  @throws Error for a negative size, or one that does not fit in memory
    /// (more than memory_limit(), settings.hpp) or cannot be allocated; the message names the bytes.
    explicit Image(std::ptrdiff_t rows, std::ptrdiff_t cols) : Image(rows, cols, T{}) {}
    /// rows x cols copies of `value`.  @throws Error for a negative size.
    explicit Image(std::ptrdiff_t rows, std::ptrdiff_t cols, const T& value) : rows_(rows), cols_(cols) {
        if (rows < 0 || cols < 0)
            throw InvalidArgument("Image: size " + std::to_string(rows) + "x" + std::to_string(cols) + " is negative");
        allocate();
        std::uninitialized_fill_n(data_.get(), size(), value);
    }
    explicit Image(Shape shape) : Image(shape.rows, shape.cols) {}
    /// From nested braces, one list per row: Image<double>{{1, 2, 3}, {4, 5, 6}} is 2x3.
    /// @throws Error when the rows differ in length.
    Image(std::initializer_list<std::initializer_list<T>> rows)
        : rows_(static_cast<std::ptrdiff_t>(rows.size())),
          cols_(rows.size() ? static_cast<std::ptrdiff_t>(rows.begin()->size()) : 0) {
        allocate();
        std::ptrdiff_t r = 0;
        for (const auto& row : rows) {
            if (static_cast<std::ptrdiff_t>(row.size()) != cols_)
                throw InvalidArgument("Image: row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                                      " values, row 0 has " + std::to_string(cols_));
            std::uninitialized_copy(row.begin(), row.end(), data_.get() + r * cols_);
            ++r;
        }
    }
    /// A deep copy of any view (any strides) into a new row-major image.
    explicit Image(ImageView<const T> src)
        : rows_(std::max<std::ptrdiff_t>(src.rows, 0)), cols_(std::max<std::ptrdiff_t>(src.cols, 0)) {
        allocate();
        for (std::ptrdiff_t r = 0; r < rows_; ++r)
            for (std::ptrdiff_t c = 0; c < cols_; ++c) ::new (data_.get() + r * cols_ + c) T(src(r, c));
    }

    Image(const Image& other) : Image(other.view()) {}
    Image& operator=(const Image& other) {
        if (this != &other) *this = Image(other);
        return *this;
    }
    Image(Image&& other) noexcept
        : data_(std::move(other.data_)), rows_(std::exchange(other.rows_, 0)), cols_(std::exchange(other.cols_, 0)) {}
    Image& operator=(Image&& other) noexcept {
        data_ = std::move(other.data_);
        rows_ = std::exchange(other.rows_, 0);
        cols_ = std::exchange(other.cols_, 0);
        return *this;
    }

    std::ptrdiff_t rows() const { return rows_; }
    std::ptrdiff_t cols() const { return cols_; }
    Shape shape() const { return {rows_, cols_}; }
    std::ptrdiff_t size() const { return rows_ * cols_; }
    bool empty() const { return size() == 0; }

    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T& operator()(std::ptrdiff_t r, std::ptrdiff_t c) { return data_[r * cols_ + c]; }
    const T& operator()(std::ptrdiff_t r, std::ptrdiff_t c) const { return data_[r * cols_ + c]; }
    /// All elements, row after row.
    std::span<T> values() { return {data_.get(), static_cast<std::size_t>(size())}; }
    std::span<const T> values() const { return {data_.get(), static_cast<std::size_t>(size())}; }

    ImageView<T> view() { return {data_.get(), rows_, cols_}; }
    ImageView<const T> view() const { return {data_.get(), rows_, cols_}; }
    operator ImageView<T>() { return view(); }
    operator ImageView<const T>() const { return view(); }

    friend bool operator==(const Image& a, const Image& b) {
        return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size(), b.data());
    }

private:
    friend class Array<T>;  // Array<T>::image() && hands its buffer over

    struct AlignedDelete {
        void operator()(T* p) const { ::operator delete (p, std::align_val_t{alignment}); }
    };

    void allocate() {
        if (rows_ == 0 || cols_ == 0) return;
        const std::size_t bytes = detail::image_bytes(rows_, cols_, sizeof(T));
        try {
            data_.reset(static_cast<T*>(::operator new (bytes, std::align_val_t{alignment})));
        } catch (const std::bad_alloc&) {
            detail::image_allocation_failed(rows_, cols_, sizeof(T));
        }
    }

    std::unique_ptr<T[], AlignedDelete> data_;
    std::ptrdiff_t rows_ = 0;
    std::ptrdiff_t cols_ = 0;
};

/// A copy of `src` with each element converted to U (static_cast), e.g. Image<float> to Image<double>.
template <class U, class T>
[[nodiscard]] Image<U> image_cast(ImageView<const T> src) {
    Image<U> out(std::max<std::ptrdiff_t>(src.rows, 0), std::max<std::ptrdiff_t>(src.cols, 0));
    for (std::ptrdiff_t r = 0; r < out.rows(); ++r)
        for (std::ptrdiff_t c = 0; c < out.cols(); ++c) out(r, c) = static_cast<U>(src(r, c));
    return out;
}
template <class U, class T>
[[nodiscard]] Image<U> image_cast(const Image<T>& src) {
    return image_cast<U>(src.view());
}

namespace detail {
// Image<T>, ImageView<T> and ImageView<const T> all read as an ImageView<const T>; the element
// type T is what overloads that accept any of them deduce.
template <class V>
struct image_element {};
template <class T>
struct image_element<Image<T>> {
    using type = T;
};
template <class T>
struct image_element<ImageView<T>> {
    using type = std::remove_const_t<T>;
};
template <class V>
using image_element_t = typename image_element<std::remove_cvref_t<V>>::type;
template <class V>
concept image_like = requires {
    typename image_element_t<V>;
};

template <class V>
concept real_image = image_like<V> && Real<image_element_t<V>>;
template <class K, class V>
concept real_image_as = real_image<K> && std::same_as<image_element_t<K>, image_element_t<V>>;

template <class V>
ImageView<const image_element_t<V>> const_view(const V& v) {
    return v;
}
}  // namespace detail

}  // namespace fftconv
