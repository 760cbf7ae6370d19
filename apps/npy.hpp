// NumPy's .npy files: one array of any rank, its dtype and shape in a small text header, then the
// raw elements. Float data goes in and out without loss, which 8- and 16-bit images cannot do.
//
// A file is "\x93NUMPY", a major and minor version byte, the header's length (2 bytes little-
// endian in version 1.0; 4 bytes in 2.0 and 3.0, whose header may be UTF-8), then the header: a
// Python dict literal such as {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), },
// padded with spaces and ended by '\n' so that the data starts at a multiple of 64 (16 in old
// files), then the data in C or Fortran order.
//
// As for images, the header is read and checked first, the data's size included, so the tool
// can size the work (and refuse a small file that declares a huge array) before reading data.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fftconv/out_of_core.hpp"
#include "fftconv/types.hpp"

namespace app::npy {

/// The element types read: numpy's dtype names, its descr codes in brackets ('<' or '>' byte
/// order, '|' or '=' for the machine's own, none for one-byte types).
enum class DType {
    boolean,     // b1
    int8,        // i1
    uint8,       // u1
    int16,       // i2
    uint16,      // u2
    int32,       // i4
    uint32,      // u4
    int64,       // i8
    uint64,      // u8
    float16,     // f2
    float32,     // f4
    float64,     // f8
    complex64,   // c8: two float32
    complex128,  // c16: two float64
};

/// "float64", "complex64", "bool": numpy's names.
std::string_view dtype_name(DType dtype);
/// Bytes per element: 1 to 16.
std::size_t item_size(DType dtype);
bool is_complex(DType dtype);

/// The dtype write() stores T as: float32, float64, complex64, complex128.
template <fftconv::Scalar T>
constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, float>) return DType::float32;
    if constexpr (std::is_same_v<T, double>) return DType::float64;
    if constexpr (std::is_same_v<T, std::complex<float>>) return DType::complex64;
    return DType::complex128;
}

/// Bytes 0 to 5 of every .npy file.
inline constexpr std::string_view magic{"\x93NUMPY", 6};

/// A checked header: the file holds exactly the data it declares, from data_offset to its end.
struct Header {
    DType dtype = DType::float64;
    bool big_endian = false;          // the data's byte order (as written: '<' or '>'; '=' and '|' are this machine's)
    bool fortran_order = false;       // the first index varies fastest in the file
    std::vector<std::int64_t> shape;  // rank 0 ("()"): one element; an axis of length 0: none
    std::uint64_t data_offset = 0;    // where the data starts: after the header, usually a multiple of 64
    std::uint64_t data_bytes = 0;     // elements() * item_size(dtype)
    std::string descr;                // the dtype as the header writes it ("<f8"), for messages
    int version = 1;                  // the format's major version: 1, 2 or 3

    /// The product of the shape: 1 for rank 0, 0 when an axis is 0.
    std::uint64_t elements() const;
};

/// Whether the file at `path` starts with the .npy magic (false when it cannot be read): the
/// tool recognises .npy inputs by content, as it does image formats.
bool is_npy(const std::string& path);
/// The same test on a file's first bytes.
bool is_npy(std::span<const unsigned char> first_bytes);

/// Reads and checks the header of the .npy file at `path` without reading any data. Checked:
/// the magic and version (1.0, 2.0, 3.0); a dict literal with exactly the keys 'descr',
/// 'fortran_order' and 'shape', in any order, in Python's syntax (either quote, True/False,
/// spaces, trailing commas, "()" for rank 0, "(n,)" for rank 1); a dtype of the list above,
/// as numpy writes it ('<f8') or by numpy's name ('float64', '?' for bool), others refused by
/// what they are (objects, strings, datetimes, structured);
/// dimensions of 0 and more, at most 64 of them, whose byte count fits in 63 bits; and a file
/// whose data after the header is exactly that long (fewer bytes: truncated; more: the shape
/// or dtype is wrong, or several arrays were appended, and numpy would read only the first).
/// The data may start at any offset (old files aligned it to 16). `name` is what messages call
/// the file (the command line's word, "-" for standard input copied to `path`); default `path`.
/// @throws ProcessError  one line naming the file and what is wrong, with the values.
Header read_header(const std::string& path, const std::string& name = "");

/// The file's elements in C (row-major) order whatever its fortran_order, in this machine's byte
/// order, converted to T as numpy's astype(T) would: bool to 0 or 1, integers and floats to the
/// nearest value of T (int64 and uint64 may round; float16 is exact), real to complex with a
/// zero imaginary part. Complex data read as real (float, double) is refused: it would drop the
/// imaginary part. An array with an axis of length 0 gives no elements; one of rank 0, one.
/// `header` is read_header's for this file.
/// @throws ProcessError  complex to real, or a file that no longer holds the data its header
///                       declared; std::logic_error for a header whose data_bytes is not its
///                       shape's (one read_header did not make).
template <fftconv::Scalar T>
std::vector<T> read_data(const std::string& path, const Header& header, const std::string& name = "");

/// Writes `shape` and the elements at `data` (C order, shape's product of them; data may be null
/// when that is 0) to `path` as numpy.save would: format 1.0 (the header of max_rank dimensions
/// fits its 2-byte length), little-endian, dtype_of<T>(), the data 64-byte aligned. The file appears complete or
/// not at all, and a file replaced keeps its mode (app::write_atomically); "-" is standard output.
/// @throws ProcessError  a negative dimension, more than 64, a size past 63 bits, or a failed write.
template <fftconv::Scalar T>
void write(const std::string& path, std::span<const std::int64_t> shape, const T* data);

/// An .npy file's array read a box at a time, for arrays larger than memory: each read maps the
/// bytes the box spans (a memory map of the file), converts the box's elements to T as read_data
/// does, and unmaps them again, so the process holds no more of the file than the box's pages.
/// C and Fortran order; ranks 1 to fftconv::max_rank.
template <fftconv::Scalar T>
class BoxReader final : public fftconv::ArrayReader<T> {
public:
    /// `header` is read_header's for this file; `name` as there.
    /// @throws ProcessError  a rank past fftconv::max_rank, complex data read as real, a file that
    ///                       cannot be opened or no longer has the size its header declares.
    BoxReader(const std::string& path, const Header& header, const std::string& name = "");
    ~BoxReader() override;
    BoxReader(const BoxReader&) = delete;
    BoxReader& operator=(const BoxReader&) = delete;

    fftconv::Extents shape() const override { return shape_; }
    /// @throws ProcessError  when the map fails.
    void read(const fftconv::Extents& first, const fftconv::View<T>& dst) override;

private:
    Header header_;
    std::string who_;
    fftconv::Extents shape_;
    int fd_ = -1;
};

/// An .npy file of dtype_of<T>() written a box at a time through a memory map of the rows each
/// box spans. The constructor writes the header and reserves the whole file on disk (refused at
/// once, naming the bytes, when the disk has no room for it); close() flushes it. The caller
/// writes to a temporary name and renames it when complete (write_atomically).
template <fftconv::Scalar T>
class BoxWriter final : public fftconv::ArrayWriter<T> {
public:
    /// `create` false: opens the file another process made for this shape (the ranks of a
    /// distributed run write their slabs into the file rank 0 made).
    /// @throws ProcessError  naming the file: it cannot be created or reserved, or (not `create`)
    ///                       opened with the size the shape needs.
    BoxWriter(const std::string& path, const fftconv::Extents& shape, bool create = true);
    ~BoxWriter() override;
    BoxWriter(const BoxWriter&) = delete;
    BoxWriter& operator=(const BoxWriter&) = delete;

    /// @throws ProcessError  when the map fails.
    void write(const fftconv::Extents& first, const fftconv::View<const T>& src) override;
    /// Closes the file (the pages written through the maps go to disk as the kernel writes them
    /// back; no fsync).  @throws ProcessError  on failure.
    void close();

private:
    std::string path_;
    fftconv::Extents shape_;
    std::uint64_t data_offset_ = 0;
    int fd_ = -1;
};

/// f(T{}) for the type conv computes an array of `header` in: complex64 and complex128 as
/// themselves, float64 and 32- and 64-bit integers in double, the rest in float.
template <class F>
decltype(auto) visit_compute_type(const Header& header, F&& f) {
    switch (header.dtype) {
        case DType::complex64: return f(std::complex<float>{});
        case DType::complex128: return f(std::complex<double>{});
        case DType::float64:
        case DType::int32:
        case DType::uint32:
        case DType::int64:
        case DType::uint64: return f(double{});
        default: return f(float{});
    }
}

/// "(1000000, 1000000)", "(5,)", "()": a shape as Python prints it.
std::string shape_text(std::span<const std::int64_t> shape);

/// The most dimensions read or written (numpy 2's limit; numpy 1's is 32).
inline constexpr std::size_t max_rank = 64;

}  // namespace app::npy
