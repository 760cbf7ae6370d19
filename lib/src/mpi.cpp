// The distributed front door and the halo exchange. convolve_distributed takes the way asked
// for or the one estimate() prices lower (mpi_cost.cpp); the distributed FFT is mpi_fft.cpp's.
// The halo: slabs of rows over the ranks; each rank reads its own, asks the ranks that hold them
// for the rows its outputs need beyond it (one all-to-all of row numbers, one of the rows), and
// runs convolve_out_of_core on its slab of the output from those rows. Every step that can fail
// on one rank is followed by an agreement on all of them, so that no rank waits in a collective
// for a rank that has given up.
#include "fftconv/mpi.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "border.hpp"
#include "instantiate.hpp"
#include "mpi_detail.hpp"

namespace fftconv::mpi {

Slab slab_of(std::ptrdiff_t rows, int ranks, int rank) {
    const std::ptrdiff_t base = rows / ranks, extra = rows % ranks;
    return {rank * base + std::min<std::ptrdiff_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

namespace {

// The rank whose slab holds `row`.
int owner_of(std::ptrdiff_t row, std::ptrdiff_t rows, int ranks) {
    int lo = 0, hi = ranks - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (slab_of(rows, ranks, mid).first <= row)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

// The rows a rank holds (its slab and the rows received), read as the whole array's rows.
template <class T>
class RowStore final : public ArrayReader<T> {
public:
    explicit RowStore(const Extents& shape) : shape_(shape) {}
    Extents shape() const override { return shape_; }
    void add(std::ptrdiff_t row, const T* data) { rows_[row] = data; }
    void read(const Extents& first, const View<T>& dst) override {
        const int rank = shape_.rank(), last = rank - 1;
        for (std::ptrdiff_t r = 0; r < dst.shape[0]; ++r) {
            const auto it = rows_.find(first[0] + r);
            if (it == rows_.end())
                throw std::logic_error("convolve_distributed: row " + std::to_string(first[0] + r) +
                                       " was neither read nor received");
            // The box's lines within the row (its axes 1 .. rank - 2), each a run along the last.
            std::ptrdiff_t index[max_rank] = {};
            for (;;) {
                std::ptrdiff_t src = 0, at = r * dst.strides[0], stride = 1;
                for (int a = last; a >= 1; --a) {
                    src += (first[a] + (a == last ? 0 : index[a])) * stride;
                    stride *= shape_[a];
                    if (a != last) at += index[a] * dst.strides[a];
                }
                const T* from = it->second + src;
                if (rank == 1) {
                    dst.data[at] = *from;
                    break;
                }
                for (std::ptrdiff_t c = 0; c < dst.shape[last]; ++c) dst.data[at + c * dst.strides[last]] = from[c];
                int a = last - 1;
                for (; a >= 1; --a) {
                    if (++index[a] < dst.shape[a]) break;
                    index[a] = 0;
                }
                if (a < 1) break;
            }
        }
    }

private:
    Extents shape_;
    std::map<std::ptrdiff_t, const T*> rows_;
};

}  // namespace

void agree(MPI_Comm comm, const std::string& failure) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int mine = failure.empty() ? size : rank;
    int first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size) return;
    int length = rank == first ? static_cast<int>(failure.size()) : 0;
    MPI_Bcast(&length, 1, MPI_INT, first, comm);
    std::string message(static_cast<std::size_t>(length), '\0');
    if (rank == first) message = failure;
    MPI_Bcast(message.data(), length, MPI_CHAR, first, comm);
    throw Error((size > 1 ? "rank " + std::to_string(first) + ": " : std::string()) + message);
}

namespace {

template <class T>
DistributedPlan convolve_halo(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                              const OutOfCoreOptions& options) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    DistributedPlan d;
    d.distribution = Distribution::halo;
    const Extents shape = input.shape();
    OutOfCorePlan whole;
    std::ptrdiff_t row_elements = 1;
    Array<T> mine;
    // The plan of the whole (every rank alike), and this rank's own input rows.
    agree(comm, failure_of([&] {
              whole = plan_out_of_core<T>(shape, kernel, options);
              for (int a = 1; a < shape.rank(); ++a) row_elements *= shape[a];
              d.input = slab_of(shape[0], size, rank);
              d.output = slab_of(whole.output[0], size, rank);
              Extents own = shape;
              own[0] = d.input.count;
              mine = Array<T>(own);
              if (d.input.count > 0) {
                  Extents first = shape;
                  for (int a = 0; a < shape.rank(); ++a) first[a] = 0;
                  first[0] = d.input.first;
                  input.read(first, mine.view());
              }
          }));
    // The rows this rank's outputs read beyond its own: through the border at the true edges.
    const Border border = options.border.value_or(Border::constant);
    std::vector<std::vector<std::int64_t>> wanted(static_cast<std::size_t>(size));
    if (d.output.count > 0) {
        const std::ptrdiff_t from = d.output.first - whole.lead[0];
        const std::ptrdiff_t to = d.output.first + d.output.count - whole.lead[0] + whole.kernel[0] - 1;
        std::vector<std::ptrdiff_t> rows;
        for (std::ptrdiff_t r = from; r < to; ++r) {
            const std::ptrdiff_t q = fftconv::detail::border_index(r, shape[0], border);
            if (q >= 0 && (q < d.input.first || q >= d.input.first + d.input.count)) rows.push_back(q);
        }
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        for (std::ptrdiff_t q : rows) wanted[static_cast<std::size_t>(owner_of(q, shape[0], size))].push_back(q);
    }
    // Who wants what from whom: counts, then the row numbers.
    std::vector<int> ask(static_cast<std::size_t>(size)), asked(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r)
        ask[static_cast<std::size_t>(r)] = static_cast<int>(wanted[static_cast<std::size_t>(r)].size());
    MPI_Alltoall(ask.data(), 1, MPI_INT, asked.data(), 1, MPI_INT, comm);
    std::vector<int> ask_at(static_cast<std::size_t>(size)), asked_at(static_cast<std::size_t>(size));
    std::vector<std::int64_t> ask_rows, asked_rows;
    for (int r = 0; r < size; ++r) {
        ask_at[static_cast<std::size_t>(r)] = static_cast<int>(ask_rows.size());
        ask_rows.insert(ask_rows.end(), wanted[static_cast<std::size_t>(r)].begin(),
                        wanted[static_cast<std::size_t>(r)].end());
    }
    int total_asked = 0;
    for (int r = 0; r < size; ++r) {
        asked_at[static_cast<std::size_t>(r)] = total_asked;
        total_asked += asked[static_cast<std::size_t>(r)];
    }
    asked_rows.resize(static_cast<std::size_t>(total_asked));
    MPI_Alltoallv(ask_rows.data(), ask.data(), ask_at.data(), MPI_INT64_T, asked_rows.data(), asked.data(),
                  asked_at.data(), MPI_INT64_T, comm);
    // The rows themselves, as bytes (a row of a 100000-column float image is 400 kB; the counts
    // are ints, so one message holds at most 2 GB: refused past that, naming the sizes).
    const std::size_t row_bytes = static_cast<std::size_t>(row_elements) * sizeof(T);
    std::vector<char> send, receive;
    std::vector<int> send_count(static_cast<std::size_t>(size)), send_at(static_cast<std::size_t>(size));
    std::vector<int> receive_count(static_cast<std::size_t>(size)), receive_at(static_cast<std::size_t>(size));
    agree(comm, failure_of([&] {
              const auto fits = [&](double bytes) {
                  if (bytes > INT_MAX)
                      throw OutOfMemory("convolve_distributed: " + std::to_string(static_cast<long long>(bytes)) +
                                        " bytes of halo rows in one message, more than MPI's int counts hold; use "
                                        "more ranks or a smaller kernel");
              };
              fits(static_cast<double>(total_asked) * static_cast<double>(row_bytes));
              fits(static_cast<double>(ask_rows.size()) * static_cast<double>(row_bytes));
              send.resize(static_cast<std::size_t>(total_asked) * row_bytes);
              for (int i = 0; i < total_asked; ++i) {
                  const std::ptrdiff_t q = asked_rows[static_cast<std::size_t>(i)] - d.input.first;
                  std::memcpy(send.data() + static_cast<std::size_t>(i) * row_bytes,
                              mine.values().data() + q * row_elements, row_bytes);
              }
              receive.resize(ask_rows.size() * row_bytes);
          }));
    for (int r = 0; r < size; ++r) {
        const auto u = static_cast<std::size_t>(r);
        send_count[u] = asked[u] * static_cast<int>(row_bytes);
        send_at[u] = asked_at[u] * static_cast<int>(row_bytes);
        receive_count[u] = ask[u] * static_cast<int>(row_bytes);
        receive_at[u] = ask_at[u] * static_cast<int>(row_bytes);
    }
    MPI_Alltoallv(send.data(), send_count.data(), send_at.data(), MPI_BYTE, receive.data(), receive_count.data(),
                  receive_at.data(), MPI_BYTE, comm);
    std::vector<char>().swap(send);
    d.halo_rows = static_cast<std::ptrdiff_t>(ask_rows.size());
    d.halo_bytes = static_cast<double>(receive.size());
    // This rank's slab of the output, in tiles, from its rows and those received.
    agree(comm, failure_of([&] {
              if (d.output.count == 0) return;
              RowStore<T> store(shape);
              for (std::ptrdiff_t r = 0; r < d.input.count; ++r)
                  store.add(d.input.first + r, mine.values().data() + r * row_elements);
              for (std::size_t i = 0; i < ask_rows.size(); ++i)
                  store.add(ask_rows[i], reinterpret_cast<const T*>(receive.data() + i * row_bytes));
              OutOfCoreOptions o = options;
              o.region_first = whole.output;
              o.region_extent = whole.output;
              for (int a = 0; a < shape.rank(); ++a) o.region_first[a] = 0;
              o.region_first[0] = d.output.first;
              o.region_extent[0] = d.output.count;
              o.tile = {};
              d.local = convolve_out_of_core<T>(store, kernel, output, o);
          }));
    return d;
}

}  // namespace

template <class T>
DistributedPlan convolve_distributed(MPI_Comm comm, ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                                     const OutOfCoreOptions& options, Distribution distribution,
                                     const Network& network) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    const bool automatic = distribution == Distribution::automatic;
    agree(comm, failure_of([&] {
              if (distribution != Distribution::automatic && distribution != Distribution::halo &&
                  distribution != Distribution::fft)
                  throw InvalidArgument("convolve_distributed: distribution " +
                                        std::to_string(static_cast<int>(distribution)) +
                                        " is not one of automatic, halo, fft");
              if (automatic) distribution = estimate<T>(input.shape(), kernel, options, size, network).choice;
          }));
    // Rank 0's choice for all (memory_limit() may differ between machines).
    int choice = static_cast<int>(distribution);
    MPI_Bcast(&choice, 1, MPI_INT, 0, comm);
    if (static_cast<Distribution>(choice) == Distribution::fft) {
        if (std::optional<DistributedPlan> d =
                detail::convolve_fft<T>(comm, input, kernel, output, options, !automatic))
            return *d;
        // An input holding NaN or Inf: the halo, which keeps them where the direct sum puts them.
    }
    return convolve_halo<T>(comm, input, kernel, output, options);
}

#define INSTANTIATE(T)                                                                                          \
    template DistributedPlan convolve_distributed<T>(MPI_Comm, ArrayReader<T>&, View<const T>, ArrayWriter<T>&, \
                                                     const OutOfCoreOptions&, Distribution, const Network&);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv::mpi
