#include "separable.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "border.hpp"
#include "isa.hpp"
#include "lines.hpp"
#include "parallel.hpp"

namespace fftconv::detail {

template <Real T>
void separable_correlate(ImageView<const T> image, std::span<const T> kx, std::span<const T> ky, std::ptrdiff_t row0,
                         std::ptrdiff_t col0, Border border, ImageView<T> out, int threads) {
    Image<T> copy;
    if (image.col_stride != 1) {  // the passes read rows as contiguous arrays
        copy = Image<T>(image);
        image = copy.view();
    }
    const auto& weighted_sum = *kernels<T>().weighted_sum;
    const std::ptrdiff_t n_r = image.rows, n_c = image.cols, k_c = static_cast<std::ptrdiff_t>(kx.size());
    // The row buffer holds the column pass at input columns col0 .. col0 + width - 1.
    const std::ptrdiff_t width = out.cols + k_c - 1;
    const std::ptrdiff_t in_lo = std::clamp<std::ptrdiff_t>(-col0, 0, width);           // first buffer slot inside
    const std::ptrdiff_t in_hi = std::clamp<std::ptrdiff_t>(n_c - col0, in_lo, width);  // one past the last
    // Slots outside the image take a copy of the slot their border maps to, or 0; a mapped
    // column the buffer does not cover (a narrow window of a wide image) gets its own sum.
    struct Outside {
        std::ptrdiff_t slot;
        std::ptrdiff_t from;    // slot to copy, or -1 for 0
        std::ptrdiff_t column;  // image column to sum when from is -2
    };
    std::vector<Outside> outside;
    for (std::ptrdiff_t p = 0; p < width; ++p) {
        if (p >= in_lo && p < in_hi) continue;
        const std::ptrdiff_t src = border_index(col0 + p, n_c, border);
        if (src < 0)
            outside.push_back({p, -1, 0});
        else if (src - col0 >= in_lo && src - col0 < in_hi)
            outside.push_back({p, src - col0, 0});
        else
            outside.push_back({p, -2, src});
    }
    std::vector<T> h_coef;
    std::vector<std::ptrdiff_t> h_shift;
    for (std::ptrdiff_t j = 0; j < k_c; ++j)
        if (kx[static_cast<std::size_t>(j)] != T(0)) {
            h_coef.push_back(kx[static_cast<std::size_t>(j)]);
            h_shift.push_back(j);
        }

    // Outputs larger than the cache go straight to memory; smaller ones are likely read next.
    const bool streaming = static_cast<double>(out.size()) * sizeof(T) > 4.0 * 1024 * 1024 && out.col_stride == 1;
    // A symmetric row kernel (Gaussian, box) adds mirrored taps first: half the multiply-adds.
    const bool symmetric = k_c >= 3 && std::equal(kx.begin(), kx.begin() + k_c / 2, kx.rbegin()) &&
                           std::count(kx.begin(), kx.end(), T(0)) == 0;
    const auto& symmetric_sum = *kernels<T>().symmetric_sum;
    const bool all_taps = std::none_of(ky.begin(), ky.end(), [](T v) { return v == T(0); });
    const auto& pair_sum = *kernels<T>().weighted_sum_pair;

    const auto rows = [&](std::ptrdiff_t first, std::ptrdiff_t last) {
        std::vector<T> buf(static_cast<std::size_t>(2 * width)), row(out.col_stride == 1 ? 0 : out.cols);
        T* const bufs[2] = {buf.data(), buf.data() + width};
        // Per buffered row: the image rows its column pass reads and their taps.
        std::vector<const T*> row_at[2], v_src, h_src[2];
        std::vector<T> v_coef[2];
        for (int b = 0; b < 2; ++b)
            for (std::ptrdiff_t s : h_shift) h_src[b].push_back(bufs[b] + s);
        const auto gather = [&](std::ptrdiff_t r, int b) {
            row_at[b].clear();
            v_coef[b].clear();
            for (std::size_t i = 0; i < ky.size(); ++i) {
                const std::ptrdiff_t sr = border_index(r + row0 + static_cast<std::ptrdiff_t>(i), n_r, border);
                if (sr < 0 || ky[i] == T(0)) continue;
                row_at[b].push_back(image.data + sr * image.row_stride);
                v_coef[b].push_back(ky[i]);
            }
        };
        // v_src: where the column pass reads each of row_at[b], from the first slot inside the image.
        const auto column_sources = [&](int b) {
            v_src.clear();
            for (const T* row_ptr : row_at[b]) v_src.push_back(row_ptr + col0 + in_lo);
        };
        const auto column_pass = [&](int b) {
            T* dst = bufs[b];
            if (in_hi <= in_lo) return;
            if (row_at[b].empty()) {
                std::fill(dst + in_lo, dst + in_hi, T(0));
                return;
            }
            column_sources(b);
            weighted_sum(v_src.data(), v_coef[b].data(), static_cast<std::ptrdiff_t>(v_src.size()), dst + in_lo,
                         in_hi - in_lo, false);
        };
        const auto finish_row = [&](std::ptrdiff_t r, int b) {
            T* src = bufs[b];
            const auto terms = static_cast<std::ptrdiff_t>(row_at[b].size());
            for (const Outside& o : outside) {
                T v(0);
                if (o.from >= 0) {
                    v = src[o.from];
                } else if (o.from == -2 && terms > 0) {
                    v = v_coef[b][0] * row_at[b][0][o.column];
                    for (std::ptrdiff_t t = 1; t < terms; ++t)
                        v += v_coef[b][static_cast<std::size_t>(t)] * row_at[b][static_cast<std::size_t>(t)][o.column];
                }
                src[o.slot] = v;
            }
            T* dst = out.col_stride == 1 ? &out(r, 0) : row.data();
            if (symmetric)
                symmetric_sum(src, kx.data(), k_c, dst, out.cols, streaming);
            else if (h_src[b].empty())
                std::fill_n(dst, out.cols, T(0));
            else
                weighted_sum(h_src[b].data(), h_coef.data(), static_cast<std::ptrdiff_t>(h_src[b].size()), dst,
                             out.cols, streaming);
            if (out.col_stride != 1)
                for (std::ptrdiff_t c = 0; c < out.cols; ++c) out(r, c) = row[static_cast<std::size_t>(c)];
        };
        for (std::ptrdiff_t r = first; r < last;) {
            gather(r, 0);
            const auto k_r = static_cast<std::ptrdiff_t>(ky.size());
            // Two rows at once when both read every tap and the second's rows are the first's
            // shifted by one (always so away from the top and bottom edges).
            bool pair =
                all_taps && r + 1 < last && in_hi > in_lo && static_cast<std::ptrdiff_t>(row_at[0].size()) == k_r;
            if (pair) {
                gather(r + 1, 1);
                pair = static_cast<std::ptrdiff_t>(row_at[1].size()) == k_r &&
                       std::equal(row_at[0].begin() + 1, row_at[0].end(), row_at[1].begin());
            }
            if (!pair) {
                column_pass(0);
                finish_row(r, 0);
                ++r;
                continue;
            }
            column_sources(0);
            v_src.push_back(row_at[1].back() + col0 + in_lo);
            pair_sum(v_src.data(), v_coef[0].data(), k_r, bufs[0] + in_lo, bufs[1] + in_lo, in_hi - in_lo);
            finish_row(r, 0);
            finish_row(r + 1, 1);
            r += 2;
        }
    };
    // A few rows per thread at least: each row is only microseconds of work.
    parallel_for(out.rows, threads, std::max<std::ptrdiff_t>(1, 65536 / std::max<std::ptrdiff_t>(1, out.cols)), rows);
}

template <Real T>
std::optional<Factors<T>> rank_one(ImageView<const T> kernel, double tolerance) {
    std::ptrdiff_t ip = 0, jp = 0;
    double norm2 = 0, peak = -1;
    for (std::ptrdiff_t i = 0; i < kernel.rows; ++i)
        for (std::ptrdiff_t j = 0; j < kernel.cols; ++j) {
            const double v = static_cast<double>(kernel(i, j));
            norm2 += v * v;
            if (std::abs(v) > peak) peak = std::abs(v), ip = i, jp = j;
        }
    if (!(peak > 0) || !std::isfinite(norm2)) return std::nullopt;
    Factors<T> f;
    const T pivot = kernel(ip, jp);
    for (std::ptrdiff_t i = 0; i < kernel.rows; ++i) f.ky.push_back(kernel(i, jp));
    for (std::ptrdiff_t j = 0; j < kernel.cols; ++j) f.kx.push_back(kernel(ip, j) / pivot);
    double residual2 = 0;
    for (std::ptrdiff_t i = 0; i < kernel.rows; ++i)
        for (std::ptrdiff_t j = 0; j < kernel.cols; ++j) {
            const double d =
                static_cast<double>(kernel(i, j)) - static_cast<double>(f.ky[static_cast<std::size_t>(i)]) *
                                                        static_cast<double>(f.kx[static_cast<std::size_t>(j)]);
            residual2 += d * d;
        }
    if (residual2 > tolerance * tolerance * norm2) return std::nullopt;
    return f;
}

template <Real T>
std::optional<std::vector<std::vector<T>>> separable_factors(const View<const T>& kernel, double tolerance) {
    const int rank = kernel.rank();
    std::array<std::ptrdiff_t, max_rank> pivot{};
    double norm2 = 0, peak = -1;
    Array<T>::for_each_index(kernel.shape, [&](const std::ptrdiff_t* index) {
        const double v = static_cast<double>(kernel.at(index));
        norm2 += v * v;
        if (std::abs(v) > peak) {
            peak = std::abs(v);
            std::copy(index, index + rank, pivot.begin());
        }
    });
    if (!(peak > 0) || !std::isfinite(norm2)) return std::nullopt;
    const T p = kernel.at(pivot.data());
    std::vector<std::vector<T>> f(static_cast<std::size_t>(rank));
    for (int a = 0; a < rank; ++a) {
        std::array<std::ptrdiff_t, max_rank> index = pivot;
        for (std::ptrdiff_t t = 0; t < kernel.shape[a]; ++t) {
            index[static_cast<std::size_t>(a)] = t;
            const T v = kernel.at(index.data());
            f[static_cast<std::size_t>(a)].push_back(a == 0 ? v : v / p);
        }
    }
    double residual2 = 0;
    bool same_zeros = true;
    Array<T>::for_each_index(kernel.shape, [&](const std::ptrdiff_t* index) {
        double product = 1;
        bool zero = false;
        for (int a = 0; a < rank; ++a) {
            const T v = f[static_cast<std::size_t>(a)][static_cast<std::size_t>(index[a])];
            product *= static_cast<double>(v);
            zero = zero || v == T(0);
        }
        const T k = kernel.at(index);
        const double d = static_cast<double>(k) - product;
        residual2 += d * d;
        same_zeros = same_zeros && (zero == (k == T(0)));
    });
    if (residual2 > tolerance * tolerance * norm2 || !same_zeros) return std::nullopt;
    return f;
}

template <Real T>
void separable_filter(const View<const T>& image, const std::vector<std::vector<T>>& factors, const Extents& before,
                      Border border, T cval, const View<T>& out, int threads) {
    const int rank = image.rank(), last = rank - 1;
    const auto& weighted_sum = *kernels<T>().weighted_sum;
    const std::ptrdiff_t n_last = image.shape[last];
    // Each pass reads `from` and writes `to`: the image into a scratch array, scratch arrays in
    // turn, the last pass into out. A constant border's value after the earlier passes is cval
    // times their factors' sums (what those passes make of a constant region).
    Array<T> scratch[2];
    View<const T> from = image;
    T constant = cval;
    for (int a = 0; a < rank; ++a) {
        const std::vector<T>& k = factors[static_cast<std::size_t>(a)];
        const auto taps = static_cast<std::ptrdiff_t>(k.size());
        View<T> to;
        if (a == last) {
            to = out;
        } else {
            Array<T>& s = scratch[a % 2];
            if (s.empty()) s = Array<T>(image.shape);
            to = s.view();
        }
        std::vector<T> coef;
        std::vector<std::ptrdiff_t> shift;
        for (std::ptrdiff_t t = 0; t < taps; ++t)
            if (k[static_cast<std::size_t>(t)] != T(0)) {
                coef.push_back(k[static_cast<std::size_t>(t)]);
                shift.push_back(t - before[a]);
            }
        const std::ptrdiff_t lines = line_count(image.shape);
        parallel_for(lines, threads, 16, [&](std::ptrdiff_t first, std::ptrdiff_t end) {
            std::vector<T> buffer(static_cast<std::size_t>(n_last + taps));  // the last axis's extended line
            std::vector<T> constant_line(static_cast<std::size_t>(n_last), constant);
            std::vector<const T*> sources;
            // Copies of lines whose elements are not contiguous (the weighted sums read arrays), and
            // of a result line going to a strided out.
            std::vector<T> contiguous(from.strides[last] == 1 ? 0 : static_cast<std::size_t>(n_last * taps));
            std::vector<T> out_line(to.strides[last] == 1 ? 0 : static_cast<std::size_t>(n_last));
            for (std::ptrdiff_t l = first; l < end; ++l) {
                const std::array<std::ptrdiff_t, max_rank> lead = line_index(image.shape, l);
                std::ptrdiff_t from_offset = 0, to_offset = 0;
                for (int u = 0; u < last; ++u) {
                    from_offset += lead[static_cast<std::size_t>(u)] * from.strides[u];
                    to_offset += lead[static_cast<std::size_t>(u)] * to.strides[u];
                }
                T* dst = to.data + to_offset;
                const std::ptrdiff_t dst_stride = to.strides[last];
                T* sum_into = dst_stride == 1 ? dst : out_line.data();
                const auto line_of = [&](std::ptrdiff_t offset, std::size_t slot) -> const T* {
                    const T* p = from.data + offset;
                    if (from.strides[last] == 1) return p;
                    T* c = contiguous.data() + slot * static_cast<std::size_t>(n_last);
                    for (std::ptrdiff_t i = 0; i < n_last; ++i) c[i] = p[i * from.strides[last]];
                    return c;
                };
                if (coef.empty()) {
                    std::fill_n(sum_into, n_last, T(0));
                } else if (a < last) {
                    // Along axis a: the lines at the tap offsets, mapped through the border.
                    sources.clear();
                    const std::ptrdiff_t i = lead[static_cast<std::size_t>(a)];
                    for (std::size_t t = 0; t < coef.size(); ++t) {
                        const std::ptrdiff_t q = border_index(i + shift[t], image.shape[a], border);
                        sources.push_back(q < 0 ? constant_line.data()
                                                : line_of(from_offset + (q - i) * from.strides[a], t));
                    }
                    weighted_sum(sources.data(), coef.data(), static_cast<std::ptrdiff_t>(coef.size()), sum_into,
                                 n_last, false);
                } else {
                    // Along the last axis: the line extended by the border, then shifted sums.
                    const T* src = line_of(from_offset, 0);
                    T* ext = buffer.data();
                    const std::ptrdiff_t lo = -before[a];
                    for (std::ptrdiff_t i = 0; i < n_last + taps - 1; ++i) {
                        const std::ptrdiff_t q = border_index(lo + i, n_last, border);
                        ext[i] = q < 0 ? constant : src[q];
                    }
                    sources.clear();
                    for (std::size_t t = 0; t < coef.size(); ++t) sources.push_back(ext + shift[t] + before[a]);
                    weighted_sum(sources.data(), coef.data(), static_cast<std::ptrdiff_t>(coef.size()), sum_into,
                                 n_last, false);
                }
                if (dst_stride != 1)
                    for (std::ptrdiff_t i = 0; i < n_last; ++i) dst[i * dst_stride] = sum_into[i];
            }
        });
        T sum(0);
        for (T v : k) sum += v;
        constant *= sum;
        from = to;
    }
}

#define INSTANTIATE(T)                                                                                               \
    template void separable_correlate<T>(ImageView<const T>, std::span<const T>, std::span<const T>, std::ptrdiff_t, \
                                         std::ptrdiff_t, Border, ImageView<T>, int);                                 \
    template std::optional<Factors<T>> rank_one<T>(ImageView<const T>, double);                                      \
    template std::optional<std::vector<std::vector<T>>> separable_factors<T>(const View<const T>&, double);          \
    template void separable_filter<T>(const View<const T>&, const std::vector<std::vector<T>>&, const Extents&,      \
                                      Border, T, const View<T>&, int);
INSTANTIATE(float)
INSTANTIATE(double)

}  // namespace fftconv::detail
