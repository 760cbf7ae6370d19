#include "volume.hpp"

#include <opencv2/core.hpp>

#include "cli.hpp"

namespace app {

std::string shape_text(const fftconv::Extents& e) {
    const std::vector<std::int64_t> s(e.begin(), e.end());
    return npy::shape_text(s);
}

bool is_npy_input(const std::string& name) {
    if (name == "-") return npy::is_npy(open_image(name).path);
    return npy::is_npy(name);
}

VolumeFile open_volume(const std::string& name, bool gray) {
    VolumeFile f;
    f.name = name;
    f.path = name;
    if (name == "-") f.path = open_image(name).path;  // standard input, copied once to a file
    if (npy::is_npy(f.path)) {
        f.npy = true;
        f.header = npy::read_header(f.path, name);
        if (f.header.shape.empty())
            throw ProcessError(display_name(name) + " holds a scalar (shape ()); an array of rank 1 or more is needed");
        if (f.header.shape.size() > static_cast<std::size_t>(fftconv::max_rank))
            throw ProcessError(display_name(name) + " has rank " + std::to_string(f.header.shape.size()) +
                               "; fftconv takes arrays of rank " + std::to_string(fftconv::max_rank) + " at most");
        std::vector<std::ptrdiff_t> shape(f.header.shape.begin(), f.header.shape.end());
        f.shape = fftconv::Extents(std::span<const std::ptrdiff_t>(shape));
        if (f.shape.empty())
            throw ProcessError(display_name(name) + " is empty (shape " + npy::shape_text(f.header.shape) + ")");
        f.file_bytes = npy::item_size(f.header.dtype);
        f.complex = npy::is_complex(f.header.dtype);
        using D = npy::DType;
        const D d = f.header.dtype;
        f.wide =
            d == D::float64 || d == D::complex128 || d == D::int32 || d == D::uint32 || d == D::int64 || d == D::uint64;
        return f;
    }
    f.image = open_image(name);
    f.path = f.image.path;
    if (!f.image.header)
        throw ProcessError(display_name(name) + " is not an .npy file, and not an image whose size can be read first");
    const auto& pages = f.image.header->pages;
    const PageHeader& first = pages.front();
    for (std::size_t i = 1; i < pages.size(); ++i)
        if (pages[i].width != first.width || pages[i].height != first.height)
            throw ProcessError(display_name(name) + " has pages of different sizes (page 1 is " +
                               size_text(first.width, first.height) + ", page " + std::to_string(i + 1) + " " +
                               size_text(pages[i].width, pages[i].height) + "): they do not stack into a volume");
    if (pages.size() > 1 && first.channels > 1 && !gray)
        throw ProcessError(display_name(name) +
                           " has colour pages; a volume is one value per voxel (--gray turns "
                           "them gray)");
    f.shape = pages.size() > 1 ? fftconv::Extents{static_cast<std::ptrdiff_t>(pages.size()), first.height, first.width}
                               : fftconv::Extents{first.height, first.width};
    f.file_bytes = static_cast<std::size_t>(first.bytes_per_sample * first.channels);
    return f;
}

template <fftconv::Scalar T>
fftconv::Array<T> read_volume(const VolumeFile& file, bool gray) {
    if (file.npy) {
        const std::vector<T> values = npy::read_data<T>(file.path, file.header, file.name);
        fftconv::Array<T> a(file.shape);
        std::copy(values.begin(), values.end(), a.values().begin());
        return a;
    }
    fftconv::Array<T> a(file.shape);
    const std::size_t pages = file.image.pages();
    const std::ptrdiff_t plane = file.shape[file.shape.rank() - 1] * file.shape[file.shape.rank() - 2];
    for (std::size_t p = 0; p < pages; ++p) {
        Picture pic = read_page(file.image, p);
        if (pic.channels() > 1 && gray) pic.planes = {gray_of(pic)};
        if (pic.channels() > 1)
            throw ProcessError(display_name(file.name) +
                               " is in colour; an array is one value per element (--gray "
                               "turns it gray)");
        const auto& v = pic.planes.front().values();
        for (std::ptrdiff_t i = 0; i < plane; ++i)
            a.values()[static_cast<std::size_t>(static_cast<std::ptrdiff_t>(p) * plane + i)] =
                T(v[static_cast<std::size_t>(i)]);
    }
    return a;
}

template <fftconv::Scalar T>
Written write_volume(const std::string& path, const fftconv::Array<T>& a, const WriteOptions& options) {
    const std::string ext = !options.format.empty() ? options.format : path == "-" ? ".npy" : lower_extension(path);
    if (ext == ".npy") {
        const std::vector<std::int64_t> shape(a.shape().begin(), a.shape().end());
        npy::write<T>(path, shape, a.data());
        return {std::string(npy::dtype_name(npy::dtype_of<T>())) + " .npy, values unscaled", {}};
    }
    if constexpr (fftconv::is_complex_v<T>) {
        throw UsageError("complex results go to .npy files; '" + ext + "' files hold real values");
    } else {
        const int rank = a.rank();
        if (rank != 2 && !(rank == 3 && (ext == ".tif" || ext == ".tiff")))
            throw UsageError("a result of rank " + std::to_string(rank) + " (" + shape_text(a.shape()) +
                             ") goes to .npy" + (rank == 3 ? " or a multi-page .tif" : "") + ", not '" + ext + "'");
        std::vector<OutputPage> pages;
        const std::ptrdiff_t rows = a.shape()[rank - 2], cols = a.shape()[rank - 1];
        const std::ptrdiff_t count = rank == 3 ? a.shape()[0] : 1;
        for (std::ptrdiff_t p = 0; p < count; ++p) {
            fftconv::Image<float> plane(rows, cols);
            for (std::ptrdiff_t i = 0; i < rows * cols; ++i)
                plane.values()[static_cast<std::size_t>(i)] =
                    static_cast<float>(a.values()[static_cast<std::size_t>(p * rows * cols + i)]);
            OutputPage page;
            page.planes.push_back(std::move(plane));
            pages.push_back(std::move(page));
        }
        return write_picture(path, pages, options);
    }
}

fftconv::ElementType array_type(const VolumeFile& file, bool double_asked) {
    const bool wide = file.wide || double_asked;
    if (file.complex) return wide ? fftconv::ElementType::complex128 : fftconv::ElementType::complex64;
    return wide ? fftconv::ElementType::float64 : fftconv::ElementType::float32;
}

double element_bytes(fftconv::ElementType type) {
    return type == fftconv::ElementType::float32 ? 4 : type == fftconv::ElementType::complex128 ? 16 : 8;
}

std::string describe(const VolumeFile& file) {
    if (file.npy) return shape_text(file.shape) + " " + std::string(npy::dtype_name(file.header.dtype)) + " .npy";
    return shape_text(file.shape) + (file.shape.rank() == 3 ? " (TIFF pages, then rows, columns)" : " (rows, columns)");
}

#define INSTANTIATE(T)                                                  \
    template fftconv::Array<T> read_volume<T>(const VolumeFile&, bool); \
    template Written write_volume<T>(const std::string&, const fftconv::Array<T>&, const WriteOptions&);
INSTANTIATE(float)
INSTANTIATE(double)
INSTANTIATE(std::complex<float>)
INSTANTIATE(std::complex<double>)

}  // namespace app
