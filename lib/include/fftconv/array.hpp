// Arrays of any rank: Extents (a shape), View<T> (elements someone else owns, with strides) and
// Array<T> (owning, row-major, aligned). ImageView<T> and Image<T> are their 2D form: each
// converts to a View, and a rank-2 View converts back.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "fftconv/image.hpp"
#include "fftconv/types.hpp"

namespace fftconv {

namespace detail {
[[noreturn]] void rank_too_high(std::size_t rank);
[[noreturn]] void strides_mismatch(int shape_rank, int strides_rank);
[[noreturn]] void not_rank_two(const std::string& shape);
}  // namespace detail

/// The highest rank fftconv takes: a batch of 3D volumes with channels (N x C x D x H x W) has
/// five axes; eight leave room. scipy allows numpy's 32.
inline constexpr int max_rank = 8;

/// A shape of rank 0 to max_rank: element counts per axis, outermost first (numpy's order; a 2D
/// image is {rows, cols}). The product is not checked here; every call that takes one checks it.
class Extents {
public:
    constexpr Extents() = default;
    /// {3, 4, 5} is rank 3.  @throws Error  more than max_rank values.
    constexpr Extents(std::initializer_list<std::ptrdiff_t> n) : Extents(std::span<const std::ptrdiff_t>(n)) {}
    constexpr explicit Extents(std::span<const std::ptrdiff_t> n) {
        if (n.size() > static_cast<std::size_t>(max_rank)) detail::rank_too_high(n.size());
        rank_ = static_cast<int>(n.size());
        std::copy(n.begin(), n.end(), n_.begin());
    }
    /// A 2D shape {rows, cols}.
    constexpr Extents(Shape s) : n_{s.rows, s.cols}, rank_(2) {}

    constexpr int rank() const { return rank_; }
    constexpr std::ptrdiff_t operator[](int axis) const { return n_[static_cast<std::size_t>(axis)]; }
    constexpr std::ptrdiff_t& operator[](int axis) { return n_[static_cast<std::size_t>(axis)]; }
    /// The number of elements (1 for rank 0).
    constexpr std::ptrdiff_t size() const {
        std::ptrdiff_t p = 1;
        for (int i = 0; i < rank_; ++i) p *= n_[static_cast<std::size_t>(i)];
        return p;
    }
    /// Some axis holds no element (or one is negative).
    constexpr bool empty() const {
        for (int i = 0; i < rank_; ++i)
            if (n_[static_cast<std::size_t>(i)] <= 0) return true;
        return false;
    }
    constexpr const std::ptrdiff_t* begin() const { return n_.data(); }
    constexpr const std::ptrdiff_t* end() const { return n_.data() + rank_; }
    constexpr std::ptrdiff_t* begin() { return n_.data(); }
    constexpr std::ptrdiff_t* end() { return n_.data() + rank_; }
    /// The rank-2 shape {rows, cols}; meaningful for rank 2 only.
    constexpr Shape shape2d() const { return {n_[0], n_[1]}; }

    friend constexpr bool operator==(const Extents& a, const Extents& b) {
        return a.rank_ == b.rank_ && std::equal(a.begin(), a.end(), b.begin());
    }

private:
    std::array<std::ptrdiff_t, max_rank> n_{};
    int rank_ = 0;
};

/// "3x4x5"; "scalar" for rank 0.
std::string to_string(const Extents& e);

namespace detail {
// Bytes of an Array of `shape` with elements of `element_size` bytes, checked before anything is
// allocated.  @throws Error  a negative size, or elements or bytes past the largest size or
// memory_limit(), naming them.
std::size_t array_bytes(const Extents& shape, std::size_t element_size);
// @throws Error  "Array: could not allocate 300x400x500 elements of 8 bytes (480.0 MB): out of memory".
[[noreturn]] void array_allocation_failed(const Extents& shape, std::size_t element_size);
}  // namespace detail

/// The axes a convolution runs along; the others are broadcast (each equal in both operands, or
/// 1 in one of them), as in scipy.signal.fftconvolve(..., axes=). Negative axes count from the
/// last (-1). The default, all(), is every axis.
class Axes {
public:
    /// Every axis.
    constexpr Axes() = default;
    /// These axes, in any order; -1 is the last.  @throws Error  more than max_rank of them.
    constexpr Axes(std::initializer_list<int> axes) : Axes(std::span<const int>(axes.begin(), axes.size())) {}
    /// The same from a list known at run time (none: no axis, not every axis).
    constexpr explicit Axes(std::span<const int> axes) {
        if (axes.size() > static_cast<std::size_t>(max_rank)) detail::rank_too_high(axes.size());
        all_ = false;
        for (int a : axes) axes_[static_cast<std::size_t>(count_++)] = a;
    }
    static constexpr Axes all() { return {}; }
    constexpr bool is_all() const { return all_; }
    constexpr int count() const { return count_; }
    constexpr int operator[](int i) const { return axes_[static_cast<std::size_t>(i)]; }

private:
    std::array<int, max_rank> axes_{};
    int count_ = 0;
    bool all_ = true;
};

/// Row-major strides (in elements) of a shape: the last axis contiguous.
constexpr Extents row_major_strides(const Extents& shape) {
    Extents s = shape;
    std::ptrdiff_t step = 1;
    for (int i = shape.rank() - 1; i >= 0; --i) {
        s[i] = step;
        step *= shape[i];
    }
    return s;
}

/// A non-owning window onto elements of type T (const T for read-only inputs), of any rank:
/// element (i0, i1, ...) lives at data[i0 * strides[0] + i1 * strides[1] + ...]. Strides count
/// elements, not bytes, and may be negative or zero, so a reversed, transposed or broadcast array
/// is a view, not a copy.
template <class T>
struct View {
    T* data = nullptr;
    Extents shape;
    Extents strides;

    constexpr View() = default;
    /// A row-major block of `shape`.
    constexpr View(T* data_, Extents shape_) : data(data_), shape(shape_), strides(row_major_strides(shape_)) {}
    /// Any strides, one per axis.  @throws Error  strides of another rank than the shape.
    constexpr View(T* data_, Extents shape_, Extents strides_) : data(data_), shape(shape_), strides(strides_) {
        if (strides_.rank() != shape_.rank()) detail::strides_mismatch(shape_.rank(), strides_.rank());
    }
    /// A 2D image as a rank-2 view (no copy).
    constexpr View(ImageView<T> v) : data(v.data), shape(v.shape()), strides({v.row_stride, v.col_stride}) {}
    /// A 1D signal as a rank-1 view.
    constexpr explicit View(std::span<T> s) : data(s.data()), shape({detail::span_length(s.size())}), strides({1}) {}

    /// Every view converts to its read-only form.
    constexpr operator View<const T>() const requires(!std::is_const_v<T>) { return {data, shape, strides}; }

    constexpr int rank() const { return shape.rank(); }
    constexpr std::ptrdiff_t size() const { return shape.size(); }
    constexpr bool empty() const { return shape.empty(); }

    /// The element at one index per axis.
    template <class... I>
    constexpr T& operator()(I... index) const {
        static_assert((std::is_integral_v<I> && ...), "View: indices are integers");
        const std::ptrdiff_t i[] = {static_cast<std::ptrdiff_t>(index)..., 0};
        std::ptrdiff_t offset = 0;
        for (std::size_t a = 0; a < sizeof...(I); ++a) offset += i[a] * strides[static_cast<int>(a)];
        return data[offset];
    }
    /// The element at `index` (rank() values).
    constexpr T& at(const std::ptrdiff_t* index) const {
        std::ptrdiff_t offset = 0;
        for (int a = 0; a < rank(); ++a) offset += index[a] * strides[a];
        return data[offset];
    }

    /// Reversed along every axis: flipped()(i...) == (*this)(n - 1 - i...).
    constexpr View flipped() const {
        if (empty()) return *this;
        View v = *this;
        for (int a = 0; a < rank(); ++a) {
            v.data += (shape[a] - 1) * strides[a];
            v.strides[a] = -strides[a];
        }
        return v;
    }
    /// Reversed along `axis` only.
    constexpr View flipped(int axis) const {
        View v = *this;
        if (empty()) return v;
        v.data += (shape[axis] - 1) * strides[axis];
        v.strides[axis] = -strides[axis];
        return v;
    }

    /// The rank-2 view as an ImageView.  @throws Error  for another rank.
    ImageView<T> image() const {
        if (rank() != 2) detail::not_rank_two(to_string(shape));
        return {data, shape[0], shape[1], strides[0], strides[1]};
    }
};

template <class T>
View(T*, Extents) -> View<T>;
template <class T>
View(ImageView<T>) -> View<T>;

/// An owning, row-major array of any rank whose first element is 64-byte aligned. Copies are deep.
template <class T>
class Array {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_const_v<T>,
                  "Array holds plain mutable values; use View<const T> for read-only access");

public:
    using value_type = T;
    static constexpr std::size_t alignment = 64;

    Array() = default;
    /// Zeros of `shape`.  @throws Error  a negative size, one past the largest size, or one that
    /// does not fit in memory (more than memory_limit()); the message names the bytes.
    explicit Array(Extents shape) : Array(shape, T{}) {}
    /// Copies of `value`.
    Array(Extents shape, const T& value) : shape_(shape) {
        allocate();
        std::uninitialized_fill_n(data_.get(), size(), value);
    }
    /// Storage of `shape` whose values are left unset (numpy.empty): for a result every element
    /// of which is written next, without a pass that zeroes it first.  @throws Error  as Array(shape).
    [[nodiscard]] static Array uninitialized(Extents shape) {
        Array a;
        a.shape_ = shape;
        a.allocate();
        return a;
    }
    /// A deep copy of any view (any strides) in row-major order.
    explicit Array(View<const T> src) : shape_(src.shape) {
        allocate();
        std::ptrdiff_t i = 0;
        for_each_index(shape_, [&](const std::ptrdiff_t* index) { ::new (data_.get() + i++) T(src.at(index)); });
    }
    /// A deep copy of a 2D image.
    explicit Array(ImageView<const T> src) : Array(View<const T>(src)) {}

    Array(const Array& other) : Array(other.view()) {}
    Array& operator=(const Array& other) {
        if (this != &other) *this = Array(other);
        return *this;
    }
    Array(Array&& other) noexcept : data_(std::move(other.data_)), shape_(std::exchange(other.shape_, Extents{})) {}
    Array& operator=(Array&& other) noexcept {
        data_ = std::move(other.data_);
        shape_ = std::exchange(other.shape_, Extents{});
        return *this;
    }

    const Extents& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    std::ptrdiff_t size() const { return shape_.rank() == 0 && !data_ ? 0 : shape_.size(); }
    bool empty() const { return size() == 0; }

    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    /// All elements in row-major order.
    std::span<T> values() { return {data_.get(), static_cast<std::size_t>(size())}; }
    std::span<const T> values() const { return {data_.get(), static_cast<std::size_t>(size())}; }
    template <class... I>
    T& operator()(I... index) {
        return view()(index...);
    }
    template <class... I>
    const T& operator()(I... index) const {
        return view()(index...);
    }

    View<T> view() { return {data_.get(), shape_}; }
    View<const T> view() const { return {data_.get(), shape_}; }
    operator View<T>() { return view(); }
    operator View<const T>() const { return view(); }
    /// The rank-2 array as an image: a copy, or from an rvalue its buffer handed over (no copy;
    /// the array is left empty).  @throws Error  for another rank.
    Image<T> image() const& { return Image<T>(view().image()); }
    Image<T> image() && {
        const ImageView<T> v = view().image();  // the rank check
        Image<T> out;
        out.rows_ = v.rows;
        out.cols_ = v.cols;
        static_assert(Image<T>::alignment == alignment, "one allocation, freed by either");
        out.data_.reset(data_.release());
        shape_ = Extents{};
        return out;
    }

    friend bool operator==(const Array& a, const Array& b) {
        return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size(), b.data());
    }

    /// f(index) for every index of `shape` in row-major order (index: shape.rank() values).
    template <class F>
    static void for_each_index(const Extents& shape, F&& f) {
        if (shape.empty()) return;
        std::array<std::ptrdiff_t, max_rank> index{};
        const int rank = shape.rank();
        for (;;) {
            f(static_cast<const std::ptrdiff_t*>(index.data()));
            int a = rank - 1;
            while (a >= 0 && ++index[static_cast<std::size_t>(a)] == shape[a]) index[static_cast<std::size_t>(a--)] = 0;
            if (a < 0) return;
        }
    }

private:
    struct AlignedDelete {
        void operator()(T* p) const { ::operator delete (p, std::align_val_t{alignment}); }
    };

    void allocate() {
        const std::size_t bytes = detail::array_bytes(shape_, sizeof(T));
        if (bytes == 0) return;
        try {
            data_.reset(static_cast<T*>(::operator new (bytes, std::align_val_t{alignment})));
        } catch (const std::bad_alloc&) {
            detail::array_allocation_failed(shape_, sizeof(T));
        }
    }

    std::unique_ptr<T[], AlignedDelete> data_;
    Extents shape_;
};

namespace detail {
// View<T>, Array<T>, Image<T> and ImageView<T> all read as a View<const T>.
template <class V>
struct array_element {};
template <class T>
struct array_element<Array<T>> {
    using type = T;
};
template <class T>
struct array_element<View<T>> {
    using type = std::remove_const_t<T>;
};
template <class V>
using array_element_t = typename array_element<std::remove_cvref_t<V>>::type;
template <class V>
concept array_like = requires {
    typename array_element_t<V>;
};
}  // namespace detail

}  // namespace fftconv
