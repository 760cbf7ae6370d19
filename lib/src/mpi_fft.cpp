// The distributed FFT: FFTW-MPI's real transform of the whole bordered, zero-padded array across
// the ranks. Each rank reads the rows of the padded array FFTW gives it (through the border at the
// true edges, as a tile's box is read), transforms them with the others (the spectrum comes out
// transposed, lines of the second axis's frequencies, so the forward transform skips its last
// transpose and the inverse its first), multiplies by the kernel's spectrum in the same layout,
// transforms back and writes the output rows that fall in its rows.
//
// Why this gives the convolution: the padded array E holds input[t - lead] (through the border)
// for t < out + kernel - 1 along each axis, and zeros beyond, so output o is the cyclic
// convolution of E and the kernel at o + kernel - 1, where nothing wraps (the transform is at
// least out + kernel - 1 long): the sum a tile's valid convolution computes from its box.
#include <fftw3-mpi.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "border.hpp"
#include "context.hpp"
#include "fftconv/settings.hpp"
#include "fftw.hpp"
#include "frequency_gain.hpp"
#include "memory.hpp"
#include "mpi_detail.hpp"
#include "read_box.hpp"
#include "transform_size.hpp"
#include "values.hpp"

namespace fftconv::mpi {

namespace {

// fftw_mpi_ / fftwf_mpi_ in one place.
template <class R>
struct FftwMpi;

template <>
struct FftwMpi<double> {
    using plan = fftw_plan;
    using complex = fftw_complex;
    static void init() { fftw_mpi_init(); }
    static std::ptrdiff_t local_size(int rnk, const std::ptrdiff_t* n, MPI_Comm c, std::ptrdiff_t* n0,
                                     std::ptrdiff_t* s0, std::ptrdiff_t* n1, std::ptrdiff_t* s1) {
        return fftw_mpi_local_size_transposed(rnk, n, c, n0, s0, n1, s1);
    }
    static plan r2c(int rnk, const std::ptrdiff_t* n, double* in, complex* out, MPI_Comm c, unsigned flags) {
        return fftw_mpi_plan_dft_r2c(rnk, n, in, out, c, flags);
    }
    static plan c2r(int rnk, const std::ptrdiff_t* n, complex* in, double* out, MPI_Comm c, unsigned flags) {
        return fftw_mpi_plan_dft_c2r(rnk, n, in, out, c, flags);
    }
    static void execute(plan p) { fftw_execute(p); }
    static void destroy(plan p) { fftw_destroy_plan(p); }
    static complex* alloc(std::ptrdiff_t n) { return fftw_alloc_complex(static_cast<std::size_t>(n)); }
    static void free(complex* p) { fftw_free(p); }
};

template <>
struct FftwMpi<float> {
    using plan = fftwf_plan;
    using complex = fftwf_complex;
    static void init() { fftwf_mpi_init(); }
    static std::ptrdiff_t local_size(int rnk, const std::ptrdiff_t* n, MPI_Comm c, std::ptrdiff_t* n0,
                                     std::ptrdiff_t* s0, std::ptrdiff_t* n1, std::ptrdiff_t* s1) {
        return fftwf_mpi_local_size_transposed(rnk, n, c, n0, s0, n1, s1);
    }
    static plan r2c(int rnk, const std::ptrdiff_t* n, float* in, complex* out, MPI_Comm c, unsigned flags) {
        return fftwf_mpi_plan_dft_r2c(rnk, n, in, out, c, flags);
    }
    static plan c2r(int rnk, const std::ptrdiff_t* n, complex* in, float* out, MPI_Comm c, unsigned flags) {
        return fftwf_mpi_plan_dft_c2r(rnk, n, in, out, c, flags);
    }
    static void execute(plan p) { fftwf_execute(p); }
    static void destroy(plan p) { fftwf_destroy_plan(p); }
    static complex* alloc(std::ptrdiff_t n) { return fftwf_alloc_complex(static_cast<std::size_t>(n)); }
    static void free(complex* p) { fftwf_free(p); }
};

// One rank's share of a distributed real transform of shape `transform`: its buffer (the real
// rows, padded along the last axis, in place of the transposed spectrum) and the two plans.
// Collective to make and to run.
template <class T>
class Transform {
    using F = FftwMpi<T>;

public:
    Transform(MPI_Comm comm, const Extents& transform) : shape_(transform) {
        const int d = transform.rank();
        std::ptrdiff_t n[max_rank], nc[max_rank];
        for (int a = 0; a < d; ++a) n[a] = nc[a] = transform[a];
        nc[d - 1] = transform[d - 1] / 2 + 1;
        {
            // FFTW's planner is not thread-safe: the core's lock, as for every plan fftconv makes.
            std::scoped_lock lock(fftconv::detail::planner_mutex());
            static std::once_flag once;
            std::call_once(once, [] {
                FftwMpi<double>::init();
                FftwMpi<float>::init();
            });
            alloc_ = F::local_size(d, nc, comm, &rows_.count, &rows_.first, &lines_.count, &lines_.first);
        }
        // The rank's spectrum values (its lines of the transposed first axis, the other axes
        // whole: n0, then n2 .. the last's half), and the padded length of a real row.
        complex_count_ = lines_.count;
        for (int a = 0; a < d; ++a)
            if (a != 1) complex_count_ *= nc[a];
        padded_last_ = 2 * nc[d - 1];
        data_ = F::alloc(std::max<std::ptrdiff_t>(alloc_, 1));
        if (!data_) throw OutOfMemory("distributed FFT: FFTW could not allocate " + std::to_string(alloc_) + " values");
        std::memset(static_cast<void*>(data_), 0,
                    static_cast<std::size_t>(std::max<std::ptrdiff_t>(alloc_, 1)) * sizeof(std::complex<T>));
        std::scoped_lock lock(fftconv::detail::planner_mutex());
        forward_ = F::r2c(d, n, reinterpret_cast<T*>(data_), data_, comm, FFTW_ESTIMATE | FFTW_MPI_TRANSPOSED_OUT);
        backward_ = F::c2r(d, n, data_, reinterpret_cast<T*>(data_), comm, FFTW_ESTIMATE | FFTW_MPI_TRANSPOSED_IN);
    }
    ~Transform() {
        std::scoped_lock lock(fftconv::detail::planner_mutex());
        if (forward_) F::destroy(forward_);
        if (backward_) F::destroy(backward_);
        F::free(data_);
    }
    Transform(const Transform&) = delete;
    Transform& operator=(const Transform&) = delete;

    bool planned() const { return forward_ && backward_; }
    Slab rows() const { return rows_; }    // of the real array's first axis
    Slab lines() const { return lines_; }  // of the transposed spectrum's first axis
    // Element (row r of this rank's, the rest of the index flattened) of the real array: rows of
    // `row_stride` values, the last axis padded to padded_last().
    T* real() { return reinterpret_cast<T*>(data_); }
    std::ptrdiff_t padded_last() const { return padded_last_; }
    std::ptrdiff_t row_stride() const {
        std::ptrdiff_t s = padded_last_;
        for (int a = 1; a < shape_.rank() - 1; ++a) s *= shape_[a];
        return s;
    }
    std::complex<T>* spectrum() { return reinterpret_cast<std::complex<T>*>(data_); }
    std::ptrdiff_t spectrum_count() const { return complex_count_; }
    double bytes() const { return static_cast<double>(alloc_) * sizeof(std::complex<T>); }
    void forward() { F::execute(forward_); }
    void backward() { F::execute(backward_); }

private:
    Extents shape_;
    Slab rows_, lines_;
    std::ptrdiff_t alloc_ = 0, complex_count_ = 0, padded_last_ = 0;
    typename F::complex* data_ = nullptr;
    typename F::plan forward_ = nullptr, backward_ = nullptr;
};

// Visits the real rows of a Transform (row-major within each row: the axes after the first, the
// last padded), calling f(row, offset of the line, index of the line's first element along the
// axes 1 .. d-2) for every line along the last axis that lies within `extent`.
template <class F>
void for_each_line(const Extents& transform, std::ptrdiff_t padded_last, const Extents& extent, F&& f) {
    const int d = transform.rank();
    std::ptrdiff_t index[max_rank] = {};
    for (;;) {
        std::ptrdiff_t at = 0, stride = padded_last;
        for (int a = d - 2; a >= 1; --a) {
            at += index[a] * stride;
            stride *= transform[a];
        }
        f(at, index);
        int a = d - 2;
        for (; a >= 1; --a) {
            if (++index[a] < extent[a]) break;
            index[a] = 0;
        }
        if (a < 1) break;
    }
}

// Reads this rank's rows of the padded array E (E[t] = input[t - lead] through the border, for t
// below `extent`; zeros beyond) into the transform's buffer, in chunks of rows of at most
// `chunk_bytes`. Returns whether every value was finite, and the least value.
template <class T>
std::pair<bool, T> load(Transform<T>& t, const Extents& transform, ArrayReader<T>& input, const Extents& lead,
                        const Extents& extent, const std::optional<Border>& border, T cval, double chunk_bytes) {
    const int d = transform.rank();
    const Extents shape = input.shape();
    const Slab rows = t.rows();
    const std::ptrdiff_t last = std::min(rows.first + rows.count, extent[0]);
    std::ptrdiff_t row_values = 1;
    for (int a = 1; a < d; ++a) row_values *= extent[a];
    const std::ptrdiff_t chunk = std::max<std::ptrdiff_t>(
        1, static_cast<std::ptrdiff_t>(chunk_bytes / (static_cast<double>(row_values) * sizeof(T))));
    bool finite = true;
    T least = std::numeric_limits<T>::infinity();
    std::vector<T> buffer;
    for (std::ptrdiff_t r0 = rows.first; r0 < last; r0 += chunk) {
        const std::ptrdiff_t n = std::min(chunk, last - r0);
        Extents box = extent, first = extent;
        box[0] = n;
        first[0] = r0 - lead[0];
        for (int a = 1; a < d; ++a) first[a] = -lead[a];
        buffer.resize(static_cast<std::size_t>(n * row_values));
        fftconv::detail::read_box(input, shape, first, View<T>(buffer.data(), box), border, cval);
        for (std::ptrdiff_t r = 0; r < n; ++r) {
            T* row = t.real() + (r0 + r - rows.first) * t.row_stride();
            const T* from = buffer.data() + r * row_values;
            for_each_line(transform, t.padded_last(), extent, [&](std::ptrdiff_t at, const std::ptrdiff_t*) {
                for (std::ptrdiff_t c = 0; c < extent[d - 1]; ++c) {
                    const T v = from[c];
                    finite = finite && std::isfinite(v);
                    least = std::min(least, v);
                    row[at + c] = v;
                }
                from += extent[d - 1];
            });
        }
    }
    return {finite, least};
}

}  // namespace

namespace detail {

Extents fft_transform_shape(const Extents& output, const Extents& kernel, PlannerEffort effort) {
    Extents t = output;
    for (int a = 0; a < output.rank(); ++a)
        t[a] = fftconv::detail::best_fast_length(output[a] + kernel[a] - 1, a == output.rank() - 1, effort);
    return t;
}

FftShare fft_share(const Extents& transform, int ranks, int rank) {
    // FFTW-MPI's default blocks: ceil(n / ranks) per rank, the last ones short or empty.
    const auto block = [&](std::ptrdiff_t n) {
        const std::ptrdiff_t b = (n + ranks - 1) / ranks;
        const std::ptrdiff_t first = std::min<std::ptrdiff_t>(b * rank, n);
        return Slab{first, std::min(b, n - first)};
    };
    const int d = transform.rank();
    FftShare s;
    s.rows = block(transform[0]);
    const std::ptrdiff_t half = transform[d - 1] / 2 + 1;
    const std::ptrdiff_t n1 = d == 2 ? half : transform[1];
    s.lines = block(n1);
    double rest =
        d == 2 ? static_cast<double>(transform[0]) : static_cast<double>(transform[0]) * static_cast<double>(half);
    for (int a = 2; a < d - 1; ++a) rest *= static_cast<double>(transform[a]);
    // The buffer holds the larger of the real rows (padded) and the spectrum's lines.
    double real_rows = static_cast<double>(s.rows.count) * 2 * static_cast<double>(half) / 2;
    for (int a = 1; a < d - 1; ++a) real_rows *= static_cast<double>(transform[a]);
    s.complex_elements = std::max(real_rows, static_cast<double>(s.lines.count) * rest);
    return s;
}

template <class T>
std::optional<DistributedPlan> convolve_fft(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel,
                                            ArrayWriter<T>& output, const OutOfCoreOptions& options,
                                            bool refuse_nonfinite) {
    DistributedPlan d;
    d.distribution = Distribution::fft;
    if constexpr (!Real<T>) {
        (void)comm, (void)input, (void)kernel, (void)output, (void)options, (void)refuse_nonfinite;
        throw InvalidArgument(
            "convolve_distributed: the distributed FFT takes float or double arrays (FFTW-MPI's real "
            "transforms); use Distribution::halo for complex");
    } else {
        const Extents shape = input.shape();
        OutOfCorePlan whole;
        Extents transform;
        agree(comm, failure_of([&] {
                  whole = plan_out_of_core<T>(shape, kernel, options);
                  if (shape.rank() < 2)
                      throw InvalidArgument(
                          "convolve_distributed: the distributed FFT transforms 2 or more axes "
                          "(FFTW-MPI); this array has shape " +
                          to_string(shape) + ": use Distribution::halo");
                  if (options.region_extent.rank())
                      throw InvalidArgument(
                          "convolve_distributed: the distributed FFT computes the whole output; "
                          "options.region is for the halo's slabs");
                  if (options.method == Method::direct)
                      throw InvalidArgument(
                          "convolve_distributed: Distribution::fft with Method::direct; the "
                          "distributed FFT is the FFT method");
                  transform =
                      fft_transform_shape(whole.output, whole.kernel, fftconv::detail::Context::current().effort);
              }));
        const int rank = shape.rank();
        const double memory =
            options.memory ? static_cast<double>(options.memory) : static_cast<double>(memory_limit());
        std::optional<Transform<T>> image, filter;
        int ranks = 1, me = 0;
        MPI_Comm_size(comm, &ranks);
        MPI_Comm_rank(comm, &me);
        agree(comm, failure_of([&] {
                  const FftShare share = fft_share(transform, ranks, me);
                  const double need = 2 * share.complex_elements * sizeof(std::complex<T>);
                  if (need > memory)
                      throw OutOfMemory(
                          "convolve_distributed: the distributed FFT of " + to_string(transform) + " needs " +
                          fftconv::detail::format_bytes(need) + " of spectra on a rank, more than the memory bound (" +
                          fftconv::detail::format_bytes(memory) + "); use more ranks or Distribution::halo");
              }));
        // Made by every rank together (planning is collective), the kernel's first.
        agree(comm, failure_of([&] { filter.emplace(comm, transform); }));
        agree(comm, failure_of([&] {
                  if (!filter->planned())
                      throw Error("convolve_distributed: FFTW-MPI could not plan " + to_string(transform));
                  // The kernel's rows that fall in this rank's, at their index (reversed for a
                  // correlation: the valid correlation is the convolution with the reversed kernel).
                  const Slab rows = filter->rows();
                  for (std::ptrdiff_t r = rows.first; r < std::min(rows.first + rows.count, whole.kernel[0]); ++r) {
                      T* row = filter->real() + (r - rows.first) * filter->row_stride();
                      for_each_line(
                          transform, filter->padded_last(), whole.kernel,
                          [&](std::ptrdiff_t at, const std::ptrdiff_t* index) {
                              std::ptrdiff_t src = 0;
                              for (int a = 0; a < rank - 1; ++a) {
                                  const std::ptrdiff_t i = a == 0 ? r : index[a];
                                  src += (options.correlate ? whole.kernel[a] - 1 - i : i) * kernel.strides[a];
                              }
                              const std::ptrdiff_t k = whole.kernel[rank - 1];
                              for (std::ptrdiff_t c = 0; c < k; ++c)
                                  row[at + c] =
                                      kernel.data[src + (options.correlate ? k - 1 - c : c) * kernel.strides[rank - 1]];
                          });
                  }
              }));
        filter->forward();
        agree(comm, failure_of([&] { image.emplace(comm, transform); }));
        Extents extent = whole.output;
        for (int a = 0; a < rank; ++a) extent[a] = whole.output[a] + whole.kernel[a] - 1;
        std::pair<bool, T> scan{true, T(0)};
        agree(comm, failure_of([&] {
                  if (!image->planned())
                      throw Error("convolve_distributed: FFTW-MPI could not plan " + to_string(transform));
                  scan = load(*image, transform, input, whole.lead, extent, options.border, T(options.cval),
                              std::clamp(memory - 2 * image->bytes(), 1e6, 64e6));
              }));
        // NaN or Inf would reach every output through the transform: refused on every rank.
        int finite = scan.first ? 1 : 0, all_finite = 0;
        MPI_Allreduce(&finite, &all_finite, 1, MPI_INT, MPI_MIN, comm);
        if (!all_finite) {
            if (!refuse_nonfinite) return std::nullopt;
            agree(comm,
                  "convolve_distributed: the input holds NaN or Inf, which the distributed FFT would spread "
                  "over every output; use Distribution::halo");
        }
        // The filters' rule: no negative output from a non-negative kernel and input.
        bool clamp = false;
        if (options.border) {
            double least = static_cast<double>(scan.second), lowest = 0;
            MPI_Allreduce(&least, &lowest, 1, MPI_DOUBLE, MPI_MIN, comm);
            clamp = lowest >= 0 && fftconv::detail::nonnegative(kernel);
        }
        image->forward();
        {
            std::complex<T>* s = image->spectrum();
            const std::complex<T>* k = filter->spectrum();
            const T scale = T(1.0 / static_cast<double>(transform.size()));
            for (std::ptrdiff_t i = 0; i < image->spectrum_count(); ++i) s[i] *= k[i] * scale;
        }
        filter.reset();
        image->backward();
        // The output rows whose padded row o + kernel - 1 is this rank's.
        agree(comm, failure_of([&] {
                  const Slab rows = image->rows();
                  const std::ptrdiff_t k0 = whole.kernel[0];
                  const std::ptrdiff_t first = std::clamp<std::ptrdiff_t>(rows.first - (k0 - 1), 0, whole.output[0]);
                  const std::ptrdiff_t end =
                      std::clamp<std::ptrdiff_t>(rows.first + rows.count - (k0 - 1), first, whole.output[0]);
                  d.input = rows;
                  d.output = {first, end - first};
                  d.transform = transform;
                  d.spectrum_bytes = 2 * image->bytes();
                  std::ptrdiff_t row_values = 1;
                  for (int a = 1; a < rank; ++a) row_values *= whole.output[a];
                  const std::ptrdiff_t chunk = std::max<std::ptrdiff_t>(
                      1, static_cast<std::ptrdiff_t>(16e6 / (static_cast<double>(row_values) * sizeof(T))));
                  std::vector<T> staged;
                  Extents offset = whole.output;
                  for (int a = 1; a < rank; ++a) offset[a] = whole.kernel[a] - 1;
                  for (std::ptrdiff_t o0 = first; o0 < end; o0 += chunk) {
                      const std::ptrdiff_t n = std::min(chunk, end - o0);
                      staged.resize(static_cast<std::size_t>(n * row_values));
                      T* to = staged.data();
                      for (std::ptrdiff_t r = 0; r < n; ++r) {
                          const T* row = image->real() + (o0 + r + k0 - 1 - rows.first) * image->row_stride();
                          for_each_line(transform, image->padded_last(), whole.output,
                                        [&](std::ptrdiff_t, const std::ptrdiff_t* index) {
                                            std::ptrdiff_t at = 0, stride = image->padded_last();
                                            for (int a = rank - 2; a >= 1; --a) {
                                                at += (index[a] + offset[a]) * stride;
                                                stride *= transform[a];
                                            }
                                            const T* from = row + at + offset[rank - 1];
                                            for (std::ptrdiff_t c = 0; c < whole.output[rank - 1]; ++c)
                                                *to++ = clamp ? std::max(from[c], T(0)) : from[c];
                                        });
                      }
                      Extents at = whole.output, box = whole.output;
                      for (int a = 0; a < rank; ++a) at[a] = 0;
                      at[0] = o0;
                      box[0] = n;
                      output.write(at, View<const T>(staged.data(), box));
                      if (options.progress) options.progress((o0 + n - first) * row_values, (end - first) * row_values);
                  }
              }));
    }
    return d;
}

}  // namespace detail

template <Real T>
DistributedPlan frequency_filter_distributed(MPI_Comm comm, ArrayReader<T>& input, ArrayWriter<T>& output,
                                             double cutoff, FilterShape shape, int order, Border border, bool high,
                                             std::size_t memory) {
    const char* fn = "frequency_filter_distributed";
    DistributedPlan d;
    d.distribution = Distribution::fft;
    const Extents in = input.shape();
    Extents transform, pad;
    agree(
        comm, failure_of([&] {
            if (in.rank() != 2 || in.size() == 0)
                throw InvalidArgument(std::string(fn) + ": an image of 2 axes, not empty; got shape " + to_string(in));
            fftconv::detail::check_filter(fn, cutoff, shape, order);
            fftconv::detail::check_border(fn, border);
            const PlannerEffort effort = fftconv::detail::Context::current().effort;
            pad = Extents{fftconv::detail::frequency_filter_padding(in[0], false, border, effort),
                          fftconv::detail::frequency_filter_padding(in[1], true, border, effort)};
            transform = Extents{in[0] + pad[0], in[1] + pad[1]};
        }));
    const double bound = memory ? static_cast<double>(memory) : static_cast<double>(memory_limit());
    int ranks = 1, me = 0;
    MPI_Comm_size(comm, &ranks);
    MPI_Comm_rank(comm, &me);
    agree(comm, failure_of([&] {
              const double need = detail::fft_share(transform, ranks, me).complex_elements * sizeof(std::complex<T>);
              if (need > bound)
                  throw OutOfMemory(std::string(fn) + ": the distributed FFT of " + to_string(transform) + " needs " +
                                    fftconv::detail::format_bytes(need) +
                                    " of spectrum on a rank, more than the memory bound (" +
                                    fftconv::detail::format_bytes(bound) + "); use more ranks");
          }));
    std::optional<Transform<T>> t;
    agree(comm, failure_of([&] { t.emplace(comm, transform); }));
    std::pair<bool, T> scan{true, T(0)};
    const Extents lead{pad[0] / 2, pad[1] / 2};
    agree(comm, failure_of([&] {
              if (!t->planned()) throw Error(std::string(fn) + ": FFTW-MPI could not plan " + to_string(transform));
              // The whole padded transform is E: the image bordered by pad/2 before, the rest after.
              scan = load(*t, transform, input, lead, transform, std::optional<Border>(border), T(0),
                          std::clamp(bound - t->bytes(), 1e6, 64e6));
          }));
    int finite = scan.first ? 1 : 0, all_finite = 0;
    MPI_Allreduce(&finite, &all_finite, 1, MPI_INT, MPI_MIN, comm);
    if (!all_finite)
        agree(comm, std::string(fn) +
                        ": the image holds NaN or Inf, which a frequency-domain filter would spread "
                        "over the whole image");
    t->forward();
    {
        // The transposed spectrum: line j is the columns' frequency lines().first + j, its
        // entries the rows' frequencies in FFTW's order, as ColumnGains sees a column.
        const fftconv::detail::Gain gain(fftconv::detail::squared_fractions(transform[0], transform[0]), cutoff, shape,
                                         order, high);
        const double scale = 1.0 / static_cast<double>(transform.size());
        for (std::ptrdiff_t j = 0; j < t->lines().count; ++j)
            gain.multiply(std::pow(fftconv::detail::nyquist_fraction(t->lines().first + j, transform[1]), 2), scale,
                          t->spectrum() + j * transform[0]);
    }
    t->backward();
    agree(comm, failure_of([&] {
              const Slab rows = t->rows();
              const std::ptrdiff_t first = std::clamp<std::ptrdiff_t>(rows.first - lead[0], 0, in[0]);
              const std::ptrdiff_t end = std::clamp<std::ptrdiff_t>(rows.first + rows.count - lead[0], first, in[0]);
              d.input = rows;
              d.output = {first, end - first};
              d.transform = transform;
              d.spectrum_bytes = t->bytes();
              const std::ptrdiff_t chunk = std::max<std::ptrdiff_t>(
                  1, static_cast<std::ptrdiff_t>(16e6 / (static_cast<double>(in[1]) * sizeof(T))));
              std::vector<T> staged;
              for (std::ptrdiff_t o0 = first; o0 < end; o0 += chunk) {
                  const std::ptrdiff_t n = std::min(chunk, end - o0);
                  staged.resize(static_cast<std::size_t>(n * in[1]));
                  for (std::ptrdiff_t r = 0; r < n; ++r) {
                      const T* row = t->real() + (o0 + r + lead[0] - rows.first) * t->row_stride() + lead[1];
                      std::copy(row, row + in[1], staged.data() + r * in[1]);
                  }
                  output.write(Extents{o0, 0}, View<const T>(staged.data(), Extents{n, in[1]}));
              }
          }));
    return d;
}

#define INSTANTIATE(T)                                                                                        \
    template std::optional<DistributedPlan> detail::convolve_fft<T>(MPI_Comm, ArrayReader<T>&, View<const T>, \
                                                                    ArrayWriter<T>&, const OutOfCoreOptions&, bool);
INSTANTIATE(float)
INSTANTIATE(double)
INSTANTIATE(std::complex<float>)
INSTANTIATE(std::complex<double>)
#undef INSTANTIATE
template DistributedPlan frequency_filter_distributed<float>(MPI_Comm, ArrayReader<float>&, ArrayWriter<float>&, double,
                                                             FilterShape, int, Border, bool, std::size_t);
template DistributedPlan frequency_filter_distributed<double>(MPI_Comm, ArrayReader<double>&, ArrayWriter<double>&,
                                                              double, FilterShape, int, Border, bool, std::size_t);

}  // namespace fftconv::mpi
