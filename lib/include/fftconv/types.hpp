// Vocabulary shared by every fftconv header: element types, modes, methods, shapes, errors.
#pragma once

#include <complex>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace fftconv {

/// Element types fftconv computes in: float, double, std::complex<float>, std::complex<double>.
/// Both operands of a call have the same element type; the result has it too. A call with
/// another element type (int, long double, unsigned char, …), or with two, does not compile: one
/// static_assert line names the types taken and how to convert.
template <class T>
concept Scalar = std::same_as<T, float> || std::same_as<T, double> || std::same_as<T, std::complex<float>> ||
    std::same_as<T, std::complex<double>>;

/// The real element types, for operations on images (filters, template matching).
template <class T>
concept Real = std::same_as<T, float> || std::same_as<T, double>;

namespace detail {
// Scalar<T> and Real<T> as values, for the static_asserts that reject other element types: a
// failed concept prints its whole disjunction, a false value one line naming the type.
template <class T>
inline constexpr bool is_scalar_v = Scalar<T>;
template <class T>
inline constexpr bool is_real_v = Real<T>;
}  // namespace detail

/// True for the two std::complex element types.
template <class T>
inline constexpr bool is_complex_v = std::same_as<T, std::complex<float>> || std::same_as<T, std::complex<double>>;

namespace detail {
template <class T>
struct real_of {
    using type = T;
};
template <class R>
struct real_of<std::complex<R>> {
    using type = R;
};
}  // namespace detail

/// The real type under T: float for float and std::complex<float>, double for the others.
template <Scalar T>
using real_t = typename detail::real_of<T>::type;

/// Element type as a value, for `choose_method` and messages.
enum class ElementType { float32, float64, complex64, complex128 };

/// The ElementType of T.
template <Scalar T>
inline constexpr ElementType element_type_v = std::same_as<T, float>                 ? ElementType::float32
                                              : std::same_as<T, double>              ? ElementType::float64
                                              : std::same_as<T, std::complex<float>> ? ElementType::complex64
                                                                                     : ElementType::complex128;

/// f(T{}) for the C++ type of `type` (float, double, std::complex<float>, std::complex<double>),
/// so that one generic lambda serves an element type known only at run time:
///     fftconv::visit_element_type(type, [&](auto zero) { using T = decltype(zero); ... });
template <class F>
decltype(auto) visit_element_type(ElementType type, F&& f) {
    switch (type) {
        case ElementType::float32: return f(float{});
        case ElementType::float64: return f(double{});
        case ElementType::complex64: return f(std::complex<float>{});
        case ElementType::complex128: break;
    }
    return f(std::complex<double>{});
}

/// Which part of the full convolution is returned; exactly scipy.signal.convolve's `mode`.
/// With `a` of length n and `b` of length k along one dimension (each dimension on its own):
///   full   n+k-1 values: every shift where the inputs overlap at all.
///   same   n values, the size of `a`: full[(k-1)/2 ... (k-1)/2 + n - 1].  The offset rounds down,
///          as in scipy and numpy; MATLAB's conv(...,'same') rounds up and differs for even k.
///   valid  max(n,k)-min(n,k)+1 values: the shifts where one input lies wholly inside the other.
///          One input must be at least as large as the other in every dimension, else Error.
///          convolve swaps the inputs when `b` is the larger (convolution commutes);
///          correlate(a, b) is convolve(a, conj(reverse(b))), so its result then comes out
///          reversed against correlate(b, a), as scipy's does: correlate([1,2], [1,2,3,4]) == [11,8,5].
enum class Mode { full, same, valid };

/// How the sums are computed. Both give the same result up to rounding.
///   automatic  the cheaper of the two by fftconv's cost model (see `choose_method`); direct
///              whenever an operand holds NaN or ±Inf (checked on every call, one pass).
///   direct     the sliding-window sum; exact for small integer-valued inputs.
///   fft        the convolution theorem: zero-pad, FFT both, multiply, inverse FFT. NaN and ±Inf
///              land exactly where the direct sum puts them (a transform would spread one over the
///              whole result): the FFT runs with them set to 0 and the outputs they reach are
///              summed directly; a non-finite kernel value reaches every output, so that call is
///              the direct sum.
/// NaN and ±Inf, every method: convolve, correlate and Convolver follow IEEE arithmetic, as
/// scipy.signal's direct sum does: 0 · NaN and 0 · Inf are NaN, so a kernel tap that is 0 carries
/// them too. The image filters (filters.hpp) apply only the taps that are not 0, as cv::filter2D
/// does. Either way every method puts NaN, +Inf and -Inf in the same outputs.
enum class Method { automatic, direct, fft };

/// How hard FFTW's planner works for a plan that is built once and applied many times.
///   estimate  no measuring: planning is instant; the plan may be slower.  One-shot calls use this.
///   measure   FFTW_MEASURE: times candidate algorithms; seconds for large sizes, a faster plan.
///   patient   FFTW_PATIENT: more candidates still; minutes for large sizes.
/// Plans are cached per shape; a call that wants `estimate` also reuses a better plan already made.
enum class PlannerEffort { estimate, measure, patient };

/// Rows by columns. A 1D signal of length n is the shape {1, n}.
struct Shape {
    std::ptrdiff_t rows = 0;
    std::ptrdiff_t cols = 0;

    constexpr std::ptrdiff_t size() const { return rows * cols; }
    constexpr bool empty() const { return rows <= 0 || cols <= 0; }
    friend constexpr bool operator==(const Shape&, const Shape&) = default;
};

/// The base of everything fftconv throws. The message names the function, the argument and the
/// sizes or values involved. Catch the three kinds below to tell them apart (the Python module
/// maps them to ValueError, MemoryError and OSError). Error is a std::invalid_argument, as it
/// was before the kinds existed, so handlers written for that keep catching every one of them.
class Error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};
/// An argument fftconv cannot take: empty operands, shapes a mode refuses, views that do not
/// match a plan, an option out of range.
class InvalidArgument : public Error {
public:
    using Error::Error;
};
/// A request that would need more than memory_limit(), a size whose bytes overflow, or an
/// allocation that failed.
class OutOfMemory : public Error {
public:
    using Error::Error;
};
/// FFTW or the file system failed: a plan FFTW did not make, a wisdom file that cannot be read or
/// written.
class BackendError : public Error {
public:
    using Error::Error;
};

/// Values read outside an array `abcdefgh` along each axis — OpenCV's BORDER_* names, their
/// numbers in brackets, and scipy.ndimage's mode names, which are the same five:
///
///     constant    000000|abcdefgh|000000    BORDER_CONSTANT (0)     ndimage 'constant' (cval; 0 by default)
///     replicate   aaaaaa|abcdefgh|hhhhhh    BORDER_REPLICATE (1)    ndimage 'nearest'  (Border::nearest)
///     reflect     fedcba|abcdefgh|hgfedc    BORDER_REFLECT (2)      ndimage 'reflect'
///     wrap        cdefgh|abcdefgh|abcdef    BORDER_WRAP (3)         ndimage 'wrap'
///     reflect101  gfedcb|abcdefgh|gfedcb    BORDER_REFLECT_101 (4)  ndimage 'mirror'   (Border::mirror)
///
/// Borders wider than the array keep folding (reflect, reflect101) or repeating (wrap), as
/// OpenCV's borderInterpolate and ndimage do; a 1-element axis repeats its element under
/// reflect101.
enum class Border {
    constant,
    replicate,
    reflect,
    reflect101,
    wrap,
    nearest = replicate,  ///< scipy.ndimage's name
    mirror = reflect101,  ///< scipy.ndimage's name
};

/// "full", "same", "valid".
const char* to_string(Mode mode);
/// "automatic", "direct", "fft".
const char* to_string(Method method);
/// "float32", "float64", "complex64", "complex128".
const char* to_string(ElementType type);
/// "ROWSxCOLS", e.g. "3x4".
std::string to_string(Shape shape);
/// OpenCV's name: "constant", "replicate", "reflect", "reflect101", "wrap".
const char* to_string(Border border);

}  // namespace fftconv
