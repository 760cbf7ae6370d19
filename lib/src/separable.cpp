#include "separable.hpp"

#include <algorithm>
#include <cmath>

#include "border.hpp"
#include "isa.hpp"
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

#define INSTANTIATE(T)                                                                                               \
    template void separable_correlate<T>(ImageView<const T>, std::span<const T>, std::span<const T>, std::ptrdiff_t, \
                                         std::ptrdiff_t, Border, ImageView<T>, int);                                 \
    template std::optional<Factors<T>> rank_one<T>(ImageView<const T>, double);
INSTANTIATE(float)
INSTANTIATE(double)

}  // namespace fftconv::detail
