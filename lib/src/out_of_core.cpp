// Out of core: the plan that sizes tiles to a memory bound, the box reader that applies the
// border only past the array's true edges, and the loop that runs the in-memory core per tile.
//
// Every tile is computed on a box of one shape (a tile at the far end of an axis is moved back
// to end there, and only its new outputs are written), so one Convolver, one kernel spectrum and
// one box buffer serve them all. The direct method calls the same front door the in-memory call
// does on the box (filter_convolve's separable passes included), which is why a tiled result
// equals the whole one bit for bit.
#include "fftconv/out_of_core.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "border.hpp"
#include "context.hpp"
#include "fft_core.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/convolver.hpp"
#include "fftconv/filters.hpp"
#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "instantiate.hpp"
#include "lines.hpp"
#include "memory.hpp"
#include "read_box.hpp"
#include "strategy.hpp"
#include "tiles.hpp"
#include "values.hpp"

namespace fftconv {

namespace {

// The part of v from `first`, `extent` elements along each axis.
template <class T>
View<T> part(const View<T>& v, const Extents& first, const Extents& extent) {
    View<T> p = v;
    for (int a = 0; a < v.rank(); ++a) {
        p.data += first[a] * v.strides[a];
        p.shape[a] = extent[a];
    }
    return p;
}

// to = from (the same shapes, any strides).
template <class T>
void copy(const View<const T>& from, const View<T>& to) {
    const int last = from.rank() - 1;
    const std::ptrdiff_t n = from.shape[last], fs = from.strides[last], ts = to.strides[last];
    detail::for_each_line(from, [&](const T* line, const std::ptrdiff_t* lead) {
        T* dst = to.data;
        for (int a = 0; a < last; ++a) dst += lead[a] * to.strides[a];
        for (std::ptrdiff_t i = 0; i < n; ++i) dst[i * ts] = line[i * fs];
    });
}

// "FN: the box at (2, 5) of 3x4 reaches past the array (10x6)".
void check_box(const char* fn, const Extents& first, const Extents& extent, const Extents& shape) {
    bool ok = first.rank() == shape.rank() && extent.rank() == shape.rank();
    for (int a = 0; ok && a < shape.rank(); ++a)
        ok = first[a] >= 0 && extent[a] >= 0 && first[a] <= shape[a] - extent[a];
    if (!ok)
        throw InvalidArgument(std::string(fn) + ": the box of " + to_string(extent) + " at " + to_string(first) +
                              " is not within the array (" + to_string(shape) + ")");
}

// What the tiles of one call share: the shapes, and per axis where a tile's box starts against
// its first output (a tile of outputs from o reads the input from o - lead, tile + kernel - 1
// elements along each axis).
struct Layout {
    Extents input, kernel, output, lead;
    Extents first, area;  // the region of the output computed
};

template <Scalar T>
Layout layout_of(const char* fn, const Extents& input, const View<const T>& kernel, const OutOfCoreOptions& o) {
    const detail::Names names{fn, "input", "kernel", false};
    detail::check_view(names, "kernel", kernel.data, kernel.shape);
    Layout l{input, kernel.shape, input, kernel.shape, {}, {}};
    if (o.border) {
        detail::check_border(fn, *o.border);
        if (input.rank() != kernel.rank())
            throw InvalidArgument(std::string(fn) + ": the kernel (" + to_string(kernel.shape) + ") and the input (" +
                                  to_string(input) + ") have different ranks");
        if (input.rank() == 0 || input.empty())
            throw InvalidArgument(std::string(fn) + ": argument 'input' is empty (" + to_string(input) + ")");
        // scipy.ndimage's anchors, as filter and filter_convolve place them.
        Extents after = kernel.shape;
        for (int a = 0; a < input.rank(); ++a) {
            l.lead[a] = o.correlate ? kernel.shape[a] / 2 : (kernel.shape[a] - 1) / 2;
            after[a] = kernel.shape[a] - 1 - l.lead[a];
        }
        (void)detail::padded_extents(fn, input, l.lead, after);
    } else {
        const detail::Geometry g = detail::make_geometry(names, input, kernel.shape, o.mode);
        l.output = g.out;
        // Output o is the full result's o + offset, which sums the input from there back k - 1.
        for (int a = 0; a < input.rank(); ++a) l.lead[a] = kernel.shape[a] - 1 - g.win(a).offset;
    }
    l.area = l.output;
    l.first = l.output;
    for (int a = 0; a < l.output.rank(); ++a) l.first[a] = 0;
    if (o.region_extent.rank() || o.region_first.rank()) {
        bool ok = o.region_extent.rank() == l.output.rank() && o.region_first.rank() == l.output.rank();
        for (int a = 0; ok && a < l.output.rank(); ++a)
            ok = o.region_first[a] >= 0 && o.region_extent[a] >= 1 &&
                 o.region_first[a] <= l.output[a] - o.region_extent[a];
        if (!ok)
            throw InvalidArgument(std::string(fn) + ": the region of " + to_string(o.region_extent) + " at " +
                                  to_string(o.region_first) + " is not within the output (" + to_string(l.output) +
                                  ")");
        l.first = o.region_first;
        l.area = o.region_extent;
    }
    return l;
}

template <Scalar T>
class Planner {
public:
    Planner(const char* fn, const Layout& layout, const View<const T>& kernel, const OutOfCoreOptions& options)
        : fn_(fn), l_(layout), kernel_(kernel), o_(options), context_(detail::Context::current()) {
        memory_ = options.memory ? static_cast<double>(options.memory) : static_cast<double>(memory_limit());
    }

    // The plan by `method` (direct or fft) with tiles aligned to `align` (ones along each axis).
    // @throws OutOfMemory  when not even the smallest tile fits.
    OutOfCorePlan plan(Method method, const Extents& align) const {
        const int rank = l_.area.rank();
        Extents tile = l_.area;
        if (o_.tile.rank()) {
            tile = o_.tile;
        } else {
            // Floors: an axis shorter than the kernel under a border that folds or wraps is read
            // whole (its border's values then come from the box itself, not from reads of their
            // own); no tile is cut below the writer's alignment (a writer holds the tiles it has
            // in part, a band of them across the array). Preferred floors: at least twice the
            // halo, below which the halo costs more than the tile.
            Extents floor = tile, preferred = tile;
            for (int a = 0; a < rank; ++a) {
                const bool whole = o_.border && *o_.border != Border::constant && l_.input[a] < l_.kernel[a];
                floor[a] = whole ? l_.area[a] : std::min(std::max<std::ptrdiff_t>(align[a], 1), l_.area[a]);
                preferred[a] = std::clamp<std::ptrdiff_t>(2 * (l_.kernel[a] - 1), floor[a], l_.area[a]);
            }
            // Strips first: the outer axes shrink before the inner ones, so that a row-major file
            // is read in long runs.
            for (const Extents* stop : {&preferred, &floor})
                for (int a = 0; a < rank; ++a)
                    while (tile[a] > (*stop)[a] && cost(tile, method).bytes > memory_)
                        tile[a] = shrink(tile[a], (*stop)[a], align[a]);
        }
        OutOfCorePlan p = cost(tile, method);
        if (p.bytes > memory_)
            throw OutOfMemory(std::string(fn_) + ": tiles of " + to_string(tile) + " outputs (boxes of " +
                              to_string(p.box) + " inputs) by the " + to_string(method) + " method need " +
                              detail::format_bytes(p.bytes) + ", more than the memory bound (" +
                              detail::format_bytes(memory_) + ")");
        return p;
    }

    // The plan with tiles of `tile` outputs by `method`, its bytes and seconds.
    OutOfCorePlan cost(const Extents& tile, Method method) const {
        OutOfCorePlan p;
        p.input = l_.input;
        p.kernel = l_.kernel;
        p.output = l_.output;
        p.region_first = l_.first;
        p.lead = l_.lead;
        p.region = l_.area;
        p.tile = tile;
        p.box = tile;
        p.tiles = 1;
        p.method = method;
        for (int a = 0; a < tile.rank(); ++a) {
            p.box[a] = tile[a] + l_.kernel[a] - 1;
            p.tiles *= (l_.area[a] + tile[a] - 1) / tile[a];
        }
        const double s = sizeof(T), box = static_cast<double>(p.box.size()), out = static_cast<double>(tile.size());
        // The box, the written tile's contiguous copy, and the kernel (copied, or reversed for a
        // correlation).
        double bytes = (box + out + static_cast<double>(l_.kernel.size())) * s;
        // Where the border's values do not come from the box's inside part (a wrapped border's
        // far side; a fold near a short axis), they are read into a buffer of their own, at most a box.
        if (o_.border && *o_.border != Border::constant) bytes += box * s;
        double per_tile = 0;
        if (method == Method::direct) {
            if (o_.border) {
                // A same-size filter of the box: its result, and the separable passes' intermediate.
                bytes += 2 * box * s;
                per_tile = estimate_filter_seconds<T>(p.box, kernel_, Method::direct);
            } else {
                bytes += out * s;
                per_tile = estimate_seconds(p.box, l_.kernel, Mode::valid, element_type_v<T>, Method::direct);
            }
        } else {
            const detail::Names names{fn_, "box", "kernel", false};
            const detail::Geometry g = detail::make_geometry(names, p.box, l_.kernel, Mode::valid);
            detail::StrategyOptions so;
            so.method = Method::fft;
            so.context = context_;
            so.one_shot = false;
            so.output = false;
            so.check_memory = false;
            const detail::Strategy st = detail::make_strategy(names, g, element_type_v<T>, so);
            // The transform's buffers and the kernel's spectra, as the Convolver will hold them
            // (the strategy sizes them only near the memory limit).
            const detail::Geometry t = st.tile.rank() ? detail::tile_geometry(st.core, st.tile) : st.core;
            bytes += out * s +
                     detail::fft_core_bytes(t, element_type_v<T>, context_.effort, static_cast<std::size_t>(st.kernels))
                         .approx;
            per_tile = st.seconds;
        }
        p.bytes = bytes;
        p.seconds = per_tile * static_cast<double>(p.tiles);
        return p;
    }

private:
    // About half of t, at least `low`, a multiple of `align` where it is that large.
    static std::ptrdiff_t shrink(std::ptrdiff_t t, std::ptrdiff_t low, std::ptrdiff_t align) {
        std::ptrdiff_t n = (t + 1) / 2;
        if (align > 1 && n > align) n = n / align * align;
        return std::clamp<std::ptrdiff_t>(n, low, t - 1);
    }

    const char* fn_;
    Layout l_;
    View<const T> kernel_;
    const OutOfCoreOptions& o_;
    detail::Context context_;
    double memory_ = 0;
};

template <Scalar T>
OutOfCorePlan make_plan(const char* fn, const Layout& l, const View<const T>& kernel, const OutOfCoreOptions& o,
                        Extents align) {
    const int rank = l.output.rank();
    if (o.tile.rank()) {
        bool ok = o.tile.rank() == rank;
        for (int a = 0; ok && a < rank; ++a) ok = o.tile[a] >= 1 && o.tile[a] <= l.area[a];
        if (!ok)
            throw InvalidArgument(std::string(fn) + ": the tile (" + to_string(o.tile) +
                                  ") must have the output's rank and 1 to its extent along each axis (the output is " +
                                  to_string(l.area) + ")");
    }
    if (o.method != Method::automatic && o.method != Method::direct && o.method != Method::fft)
        throw InvalidArgument(std::string(fn) + ": method " + std::to_string(static_cast<int>(o.method)) +
                              " is not one of automatic, direct, fft");
    if (align.rank() == 0) {
        align = l.output;
        for (int a = 0; a < rank; ++a) align[a] = 1;
    }
    if (align.rank() != rank)
        throw InvalidArgument(std::string(fn) + ": the writer's alignment (" + to_string(align) +
                              ") has another rank than the output (" + to_string(l.output) + ")");
    const Planner<T> planner(fn, l, kernel, o);
    if (o.method != Method::automatic) return planner.plan(o.method, align);
    // Automatic: the cheaper plan; never the FFT for a kernel holding NaN or Inf (it would reach
    // every output), as in memory.
    const OutOfCorePlan direct = planner.plan(Method::direct, align);
    if (detail::has_nonfinite(kernel)) return direct;
    try {
        const OutOfCorePlan fft = planner.plan(Method::fft, align);
        return fft.seconds < direct.seconds ? fft : direct;
    } catch (const OutOfMemory&) {
        return direct;
    }
}

}  // namespace

namespace detail {

template <Scalar T>
void read_box(ArrayReader<T>& reader, const Extents& shape, const Extents& first, const View<T>& dst,
              const std::optional<Border>& border, T cval) {
    const int rank = shape.rank();
    Extents lo = shape, hi = shape;
    bool inside = true, run = true;
    for (int a = 0; a < rank; ++a) {
        lo[a] = std::clamp<std::ptrdiff_t>(-first[a], 0, dst.shape[a]);
        hi[a] = std::clamp<std::ptrdiff_t>(shape[a] - first[a], lo[a], dst.shape[a]);
        inside = inside && lo[a] == 0 && hi[a] == dst.shape[a];
        run = run && hi[a] > lo[a];
    }
    if (inside) {
        reader.read(first, dst);
        return;
    }
    const Border b = border.value_or(Border::constant);
    const T c = border ? cval : T(0);
    std::fill(dst.data, dst.data + dst.size(), c);
    if (b == Border::constant && !run) return;
    // Per axis: the source index of each box index (-1: the constant), and the source indices
    // needed, as sorted runs [begin, end).
    std::vector<std::vector<std::ptrdiff_t>> src(static_cast<std::size_t>(rank));
    std::vector<std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>>> runs(static_cast<std::size_t>(rank));
    for (int a = 0; a < rank; ++a) {
        auto& s = src[static_cast<std::size_t>(a)];
        s.resize(static_cast<std::size_t>(dst.shape[a]));
        for (std::ptrdiff_t i = 0; i < dst.shape[a]; ++i)
            s[static_cast<std::size_t>(i)] = detail::border_index(first[a] + i, shape[a], b);
        std::vector<std::ptrdiff_t> needed;
        for (std::ptrdiff_t p : s)
            if (p >= 0) needed.push_back(p);
        std::sort(needed.begin(), needed.end());
        needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
        auto& r = runs[static_cast<std::size_t>(a)];
        for (std::ptrdiff_t p : needed) {
            if (!r.empty() && r.back().second == p)
                ++r.back().second;
            else
                r.emplace_back(p, p + 1);
        }
        if (r.empty()) return;  // every value along this axis is the constant
    }
    // The rectangles: one run per axis, every combination.
    std::vector<std::size_t> pick(static_cast<std::size_t>(rank), 0);
    Array<T> temp;
    for (;;) {
        Extents from = shape, extent = shape;
        bool main = run;
        for (int a = 0; a < rank; ++a) {
            const auto& r = runs[static_cast<std::size_t>(a)][pick[static_cast<std::size_t>(a)]];
            from[a] = r.first;
            extent[a] = r.second - r.first;
            // The box's own inside part covers exactly this run's sources.
            main = main && r.first == first[a] + lo[a] && r.second == first[a] + hi[a];
        }
        // Where the rectangle's values are: read into the box itself (the main rectangle), or
        // into a buffer.
        View<const T> values;
        if (main) {
            reader.read(from, part(dst, lo, extent));
            values = part(View<const T>(dst), lo, extent);
        } else {
            temp = Array<T>(extent);
            reader.read(from, temp.view());
            values = temp.view();
        }
        // Every box position whose sources along each axis lie in this rectangle, but for the
        // inside part itself, gets its value.
        std::vector<std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>>> at(static_cast<std::size_t>(rank));
        for (int a = 0; a < rank; ++a)
            for (std::ptrdiff_t i = 0; i < dst.shape[a]; ++i) {
                const std::ptrdiff_t p = src[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)];
                if (p >= from[a] && p < from[a] + extent[a])
                    at[static_cast<std::size_t>(a)].emplace_back(i, p - from[a]);
            }
        std::vector<std::size_t> k(static_cast<std::size_t>(rank), 0);
        bool any = true;
        for (int a = 0; a < rank; ++a) any = any && !at[static_cast<std::size_t>(a)].empty();
        while (any) {
            std::ptrdiff_t d = 0, v = 0;
            bool own = main;
            for (int a = 0; a < rank; ++a) {
                const auto [i, p] = at[static_cast<std::size_t>(a)][k[static_cast<std::size_t>(a)]];
                d += i * dst.strides[a];
                v += p * values.strides[a];
                own = own && i >= lo[a] && i < hi[a];
            }
            if (!own) dst.data[d] = values.data[v];
            int a = rank - 1;
            for (; a >= 0; --a) {
                const auto u = static_cast<std::size_t>(a);
                if (++k[u] < at[u].size()) break;
                k[u] = 0;
            }
            if (a < 0) break;
        }
        int a = rank - 1;
        for (; a >= 0; --a) {
            const auto u = static_cast<std::size_t>(a);
            if (++pick[u] < runs[u].size()) break;
            pick[u] = 0;
        }
        if (a < 0) break;
    }
}

}  // namespace detail

template <class T>
void ViewReader<T>::read(const Extents& first, const View<T>& dst) {
    check_box("ViewReader::read", first, dst.shape, x_.shape);
    copy(part(x_, first, dst.shape), dst);
}

template <class T>
void ViewWriter<T>::write(const Extents& first, const View<const T>& src) {
    check_box("ViewWriter::write", first, src.shape, out_.shape);
    copy(src, part(out_, first, src.shape));
}

template <class T>
OutOfCorePlan plan_out_of_core(const Extents& input, View<const T> kernel, const OutOfCoreOptions& options,
                               const Extents& alignment) {
    const char* fn = "plan_out_of_core";
    return make_plan(fn, layout_of(fn, input, kernel, options), kernel, options, alignment);
}

template <class T>
OutOfCorePlan convolve_out_of_core(ArrayReader<T>& input, View<const T> kernel, ArrayWriter<T>& output,
                                   const OutOfCoreOptions& o) {
    const char* fn = "convolve_out_of_core";
    const Extents shape = input.shape();
    const Layout l = layout_of(fn, shape, kernel, o);
    const OutOfCorePlan p = make_plan(fn, l, kernel, o, output.alignment());
    const int rank = shape.rank();
    const T cval = T(o.cval);
    Array<T> box(p.box), staged(p.tile);
    // The core that runs on each box: the FFT, or the direct sum of scipy.signal's modes, by a
    // Convolver (the kernel's spectrum made once); a same-size filter by the front door itself
    // (filter_convolve's separable passes are its own).
    std::optional<Convolver<T>> core;
    if (p.method == Method::fft || !o.border) {
        typename Convolver<T>::Options co;
        co.method = p.method;
        co.correlate = o.correlate;
        // The filters' rule: no negative output from a non-negative kernel and input.
        co.clamp_nonnegative = o.border.has_value();
        core.emplace(p.box, kernel, Mode::valid, co);
    }
    Extents count = p.tile;
    for (int a = 0; a < rank; ++a) count[a] = (p.region[a] + p.tile[a] - 1) / p.tile[a];
    const std::ptrdiff_t total = p.region.size();
    std::ptrdiff_t done = 0;
    // Made once: first touches of fresh pages cost as much as the sums of a small kernel.
    Array<T> result(core ? p.tile : p.box);
    for (std::ptrdiff_t t = 0; t < p.tiles; ++t) {
        // The tile's outputs [o0, o1), computed from c0 = o1 - tile so that every box has one
        // shape (c0 < o0 only for the last tile along an axis).
        Extents o0 = shape, o1 = shape, c0 = shape, from = shape, written = shape, skip = shape;
        std::ptrdiff_t rest = t;
        for (int a = rank - 1; a >= 0; --a) {
            const std::ptrdiff_t i = rest % count[a];
            rest /= count[a];
            o0[a] = p.region_first[a] + i * p.tile[a];
            o1[a] = std::min(o0[a] + p.tile[a], p.region_first[a] + p.region[a]);
            c0[a] = o1[a] - p.tile[a];
            from[a] = c0[a] - l.lead[a];
            written[a] = o1[a] - o0[a];
            skip[a] = o0[a] - c0[a];
        }
        detail::read_box(input, shape, from, box.view(), o.border, cval);
        const View<const T> b = box.view();
        View<const T> tile = result.view();
        if (core) {
            core->apply(b, result.view());
        } else {
            if (o.correlate)
                filter<T>(b, result.view(), kernel, *o.border, cval, Method::direct);
            else
                filter_convolve<T>(b, result.view(), kernel, *o.border, cval, Method::direct);
            tile = part(tile, l.lead, p.tile);
        }
        // The new outputs, contiguous.
        View<const T> out = part(tile, skip, written);
        if (out.strides != View<const T>(out.data, written).strides) {
            const View<T> s(staged.data(), written);
            copy(out, s);
            out = s;
        }
        output.write(o0, out);
        done += written.size();
        if (o.progress) o.progress(done, total);
    }
    return p;
}

#define INSTANTIATE(T)                                                                                 \
    template class ViewReader<T>;                                                                      \
    template class ViewWriter<T>;                                                                      \
    template OutOfCorePlan plan_out_of_core<T>(const Extents&, View<const T>, const OutOfCoreOptions&, \
                                               const Extents&);                                        \
    template OutOfCorePlan convolve_out_of_core<T>(ArrayReader<T>&, View<const T>, ArrayWriter<T>&,    \
                                                   const OutOfCoreOptions&);                           \
    template void detail::read_box<T>(ArrayReader<T>&, const Extents&, const Extents&, const View<T>&, \
                                      const std::optional<Border>&, T);
FFTCONV_FOR_EACH_SCALAR(INSTANTIATE)

}  // namespace fftconv
