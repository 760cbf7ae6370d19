// fftconv shape: a layer's output size with the formula worked out per axis, its parameter and
// multiplication counts, and with --draw the sliding window over the input grid at every
// output position (the pictures conv-arithmetic texts draw).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fftconv/nn.hpp"
#include "image_io.hpp"

namespace app {

namespace {

namespace F = fftconv::nn;
using Sizes = std::vector<std::ptrdiff_t>;

// "5", "5x7" or "4x5x6": sizes outermost first (rows x columns), each in [lo, 1e6].
Sizes sizes_option(const Args& args, const char* name, std::size_t rank, std::ptrdiff_t lo, std::ptrdiff_t fallback) {
    if (!args.has(name)) return Sizes(rank == 0 ? 1 : rank, fallback);
    const std::string text = args.text(name);
    Sizes v;
    std::size_t at = 0;
    while (true) {
        const std::size_t x = text.find('x', at);
        const std::string part = text.substr(at, x == std::string::npos ? std::string::npos : x - at);
        long n = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
        if (part.empty() || ec != std::errc() || end != part.data() + part.size() || n < lo || n > 1000000)
            throw UsageError("--" + std::string(name) + " " + text + ": sizes are integers from " + std::to_string(lo) +
                             " to 1000000, one per axis, joined by 'x' (e.g. 5x5)");
        v.push_back(n);
        if (x == std::string::npos) break;
        at = x + 1;
    }
    if (rank == 0 && v.size() > 3)
        throw UsageError("--" + std::string(name) + " " + text + ": 1 to 3 spatial axes, got " +
                         std::to_string(v.size()));
    if (rank != 0 && v.size() == 1) v.assign(rank, v[0]);
    if (rank != 0 && v.size() != rank)
        throw UsageError("--" + std::string(name) + " " + text + " has " + std::to_string(v.size()) +
                         " values for an input of " + std::to_string(rank) + " axes");
    return v;
}

std::string joined(const Sizes& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += 'x';
        s += std::to_string(v[i]);
    }
    return s;
}

F::PerAxis per_axis(const Sizes& v) {
    return F::PerAxis(std::span<const std::ptrdiff_t>(v));
}

// The layer as the command line describes it, resolved.
struct Layer {
    enum class Kind { conv, transposed, max_pool, avg_pool } kind = Kind::conv;
    Sizes in, kernel, stride, dilation, before, after, output_padding, out;
    long channels = 1, outputs = 1, groups = 1;
    bool ceil_mode = false;
    std::string name() const {
        const std::string r = std::to_string(in.size()) + "d";
        switch (kind) {
            case Kind::conv: return "conv" + r;
            case Kind::transposed: return "conv_transpose" + r;
            case Kind::max_pool: return "max_pool" + r;
            case Kind::avg_pool: return "avg_pool" + r;
        }
        return "";
    }
};

// One axis's formula with its numbers, and its value.
std::string formula(const Layer& l, std::size_t a) {
    const auto n = l.in[a], k = l.kernel[a], s = l.stride[a], d = l.dilation[a];
    char buf[256];
    if (l.kind == Layer::Kind::transposed) {
        std::snprintf(buf, sizeof buf, "(%td - 1)*%td - 2*%td + %td*(%td - 1) + %td + 1 = %td", n, s, l.before[a], d, k,
                      l.output_padding[a], l.out[a]);
        return buf;
    }
    const std::string pad = l.before[a] == l.after[a]
                                ? std::string("2*") + std::to_string(l.before[a])
                                : std::to_string(l.before[a]) + " + " + std::to_string(l.after[a]);
    if (l.ceil_mode) {
        std::snprintf(buf, sizeof buf, "ceil((%td + %s - %td*(%td - 1) - 1) / %td) + 1", n, pad.c_str(), d, k, s);
        const std::ptrdiff_t up = F::pool_output_size(n, k, s, l.before[a], d, true);
        const std::ptrdiff_t raw = (n + l.before[a] + l.after[a] - d * (k - 1) - 1 + s - 1) / s + 1;
        std::string text = buf;
        if (raw != up) text += " - 1 (the last window would start in the right padding)";
        return text + " = " + std::to_string(up);
    }
    std::snprintf(buf, sizeof buf, "floor((%td + %s - %td*(%td - 1) - 1) / %td) + 1 = %td", n, pad.c_str(), d, k, s,
                  l.out[a]);
    return buf;
}

// ---- The picture: one panel per output position, the padded input grid with the window's
// taps on it and the output grid with that position marked.

const cv::Scalar input_colour(235, 206, 135), padding_colour(238, 238, 238), zero_colour(200, 235, 250),
    tap_colour(140, 70, 20), output_colour(170, 225, 170), current_colour(40, 140, 40), line_colour(90, 90, 90);

struct Grid {
    std::ptrdiff_t rows = 1, cols = 1;
    std::vector<char> cell;  // 'i' input, 'p' padding, 'z' a zero the stride inserts (transposed)
};

// The grid the window slides over, and the window's stride there: the padded input; for a
// transposed layer the equivalent stride-1 convolution's input (spread by the stride, padded by
// d(k - 1) - p, output_padding after).
Grid sliding_grid(const Layer& l, Sizes& window_stride) {
    const std::size_t r = l.in.size();
    Sizes spread(r, 1), lead(r), length(r);
    for (std::size_t a = 0; a < r; ++a) {
        if (l.kind == Layer::Kind::transposed) {
            spread[a] = l.stride[a];
            lead[a] = l.dilation[a] * (l.kernel[a] - 1) - l.before[a];
            length[a] = l.out[a] + l.dilation[a] * (l.kernel[a] - 1);
            window_stride.push_back(1);
        } else {
            lead[a] = l.before[a];
            length[a] = l.in[a] + l.before[a] + l.after[a];
            window_stride.push_back(l.stride[a]);
        }
    }
    Grid g;
    g.rows = r == 2 ? length[0] : 1;
    g.cols = length[r - 1];
    g.cell.resize(static_cast<std::size_t>(g.rows * g.cols));
    const auto kind = [&](std::size_t a, std::ptrdiff_t q) {
        const std::ptrdiff_t u = q - lead[a];
        if (u < 0 || u > (l.in[a] - 1) * spread[a]) return 'p';
        return u % spread[a] == 0 ? 'i' : 'z';
    };
    for (std::ptrdiff_t y = 0; y < g.rows; ++y)
        for (std::ptrdiff_t x = 0; x < g.cols; ++x) {
            const char ky = r == 2 ? kind(0, y) : 'i', kx = kind(r - 1, x);
            g.cell[static_cast<std::size_t>(y * g.cols + x)] = ky == 'p' || kx == 'p'   ? 'p'
                                                               : ky == 'z' || kx == 'z' ? 'z'
                                                                                        : 'i';
        }
    return g;
}

void draw_cell(cv::Mat& img, int x, int y, int size, const cv::Scalar& fill) {
    cv::rectangle(img, {x, y, size, size}, fill, cv::FILLED);
    cv::rectangle(img, {x, y, size + 1, size + 1}, line_colour, 1);
}

void put(cv::Mat& img, const std::string& text, int x, int y, double scale = 0.45) {
    cv::putText(img, text, {x, y}, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(30, 30, 30), 1, cv::LINE_AA);
}

// Draws the layer; returns how many output positions it shows (all, or the first `most`).
std::ptrdiff_t draw(const Layer& l, const std::string& path) {
    constexpr std::ptrdiff_t most = 64;
    Sizes window_stride;
    const Grid g = sliding_grid(l, window_stride);
    const std::size_t r = l.in.size();
    const std::ptrdiff_t out_rows = r == 2 ? l.out[0] : 1, out_cols = l.out[r - 1];
    const std::ptrdiff_t positions = out_rows * out_cols, shown = std::min(positions, most);
    const std::ptrdiff_t widest = std::max({g.rows, g.cols, out_rows, out_cols});
    const int cell = static_cast<int>(std::clamp<std::ptrdiff_t>(260 / std::max<std::ptrdiff_t>(widest, 1), 6, 26));
    const int gap = 2 * cell, margin = 12;
    const int panel_w = static_cast<int>(g.cols + out_cols) * cell + gap + 2 * margin;
    const int panel_h = static_cast<int>(std::max(g.rows, out_rows)) * cell + 2 * margin + 16;
    const int per_row = static_cast<int>(std::clamp<std::ptrdiff_t>(1600 / panel_w, 1, shown));
    const int panel_rows = static_cast<int>((shown + per_row - 1) / per_row);
    const int header = 58;
    const int width = std::max(per_row * panel_w, 560), height = header + panel_rows * panel_h;
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
    // The title and a legend.
    std::string title = l.name() + ": input " + joined(l.in) + ", kernel " + joined(l.kernel) + ", stride " +
                        joined(l.stride) + " -> output " + joined(l.out);
    if (shown < positions)
        title += " (first " + std::to_string(shown) + " of " + std::to_string(positions) + " positions)";
    put(img, title, margin, 20, 0.5);
    int lx = margin;
    const auto legend = [&](const cv::Scalar& c, const std::string& text) {
        draw_cell(img, lx, 32, 12, c);
        put(img, text, lx + 18, 43, 0.42);
        lx += 18 + static_cast<int>(text.size()) * 8 + 16;
    };
    legend(input_colour, "input");
    legend(padding_colour, l.kind == Layer::Kind::max_pool ? "padding (-inf)" : "padding (0)");
    if (l.kind == Layer::Kind::transposed) legend(zero_colour, "zeros the stride inserts");
    legend(tap_colour, l.kind == Layer::Kind::transposed ? "kernel taps (flipped kernel)" : "kernel taps");
    legend(current_colour, "output");
    for (std::ptrdiff_t p = 0; p < shown; ++p) {
        const std::ptrdiff_t oy = p / out_cols, ox = p % out_cols;
        const int px = static_cast<int>(p % per_row) * panel_w + margin;
        const int py = header + static_cast<int>(p / per_row) * panel_h + margin;
        // The taps of this position, in grid coordinates.
        std::vector<char> tap(g.cell.size(), 0);
        const std::ptrdiff_t kr = r == 2 ? l.kernel[0] : 1, kc = l.kernel[r - 1];
        const std::ptrdiff_t dr = r == 2 ? l.dilation[0] : 1, dc = l.dilation[r - 1];
        const std::ptrdiff_t sr = r == 2 ? window_stride[0] : 1, sc = window_stride[r - 1];
        for (std::ptrdiff_t i = 0; i < kr; ++i)
            for (std::ptrdiff_t j = 0; j < kc; ++j) {
                const std::ptrdiff_t y = oy * sr + i * dr, x = ox * sc + j * dc;
                if (y < g.rows && x < g.cols) tap[static_cast<std::size_t>(y * g.cols + x)] = 1;
            }
        for (std::ptrdiff_t y = 0; y < g.rows; ++y)
            for (std::ptrdiff_t x = 0; x < g.cols; ++x) {
                const auto at = static_cast<std::size_t>(y * g.cols + x);
                const char c = g.cell[at];
                cv::Scalar fill = c == 'i' ? input_colour : c == 'z' ? zero_colour : padding_colour;
                draw_cell(img, px + static_cast<int>(x) * cell, py + static_cast<int>(y) * cell, cell, fill);
                if (tap[at]) {
                    const int inset = std::max(1, cell / 5);
                    cv::rectangle(img,
                                  {px + static_cast<int>(x) * cell + inset, py + static_cast<int>(y) * cell + inset,
                                   cell - 2 * inset + 1, cell - 2 * inset + 1},
                                  tap_colour, cv::FILLED);
                }
            }
        const int ox0 = px + static_cast<int>(g.cols) * cell + gap;
        for (std::ptrdiff_t y = 0; y < out_rows; ++y)
            for (std::ptrdiff_t x = 0; x < out_cols; ++x)
                draw_cell(img, ox0 + static_cast<int>(x) * cell, py + static_cast<int>(y) * cell, cell,
                          y == oy && x == ox ? current_colour : output_colour);
        cv::arrowedLine(img, {ox0 - gap + 3, py + cell / 2}, {ox0 - 3, py + cell / 2}, line_colour, 1, cv::LINE_AA, 0,
                        0.3);
        put(img, r == 2 ? std::string("(") + std::to_string(oy) + ", " + std::to_string(ox) + ")" : std::to_string(ox),
            px, py + static_cast<int>(std::max(g.rows, out_rows)) * cell + 14, 0.4);
    }
    // Flat colours: PNG's strongest compression makes these a third of the default's size.
    write_atomically(path, [&](const std::string& tmp) {
        return cv::imwrite(tmp, img, {cv::IMWRITE_PNG_COMPRESSION, 9});
    });
    return shown;
}

int run(const Args& args) {
    args.expect_positional(0, 0, "");
    if (!args.has("input") || !args.has("kernel"))
        throw UsageError("give the layer's --input and --kernel sizes (e.g. --input 5x5 --kernel 3)");
    Layer l;
    const std::string pool = args.text("pool");
    if (args.has("pool")) {
        if (pool != "max" && pool != "avg") throw UsageError("--pool " + pool + ": max or avg");
        if (args.has("transposed")) throw UsageError("--pool and --transposed: a layer is one or the other");
        l.kind = pool == "max" ? Layer::Kind::max_pool : Layer::Kind::avg_pool;
    } else if (args.has("transposed")) {
        l.kind = Layer::Kind::transposed;
    }
    l.in = sizes_option(args, "input", 0, 1, 1);
    const std::size_t r = l.in.size();
    l.kernel = sizes_option(args, "kernel", r, 1, 1);
    l.dilation = sizes_option(args, "dilation", r, 1, 1);
    const bool is_pool = l.kind == Layer::Kind::max_pool || l.kind == Layer::Kind::avg_pool;
    l.stride = sizes_option(args, "stride", r, 1, 1);
    if (is_pool && !args.has("stride")) l.stride = l.kernel;  // PyTorch's default
    l.output_padding = sizes_option(args, "output-padding", r, 0, 0);
    l.channels = args.integer("channels", 1, 1, 1000000);
    l.outputs = args.integer("out-channels", l.channels, 1, 1000000);
    l.groups = args.integer("groups", 1, 1, 1000000);
    l.ceil_mode = args.has("ceil-mode");
    if (args.has("output-padding") && l.kind != Layer::Kind::transposed)
        throw UsageError("--output-padding belongs to --transposed layers");
    if (args.has("ceil-mode") && !is_pool) throw UsageError("--ceil-mode belongs to --pool layers");
    const std::string padding = args.text("padding", "0");
    const bool named = padding == "same" || padding == "valid";
    if (named && l.kind != Layer::Kind::conv)
        throw UsageError("--padding " + padding + " is a conv's; give sizes for this layer");
    const Sizes pad = named ? Sizes(r, 0) : sizes_option(args, "padding", r, 0, 0);
    const std::string draw_path = args.text("draw");
    if (args.has("draw")) {
        if (r == 3) throw UsageError("--draw draws 1D and 2D layers; this one has 3 spatial axes");
        check_output(draw_path, {}, false, ".png");
    }
    // The library checks the layer as PyTorch would and gives the sizes.
    fftconv::Extents input, weight;
    {
        Sizes xs{1, l.channels}, ws;
        xs.insert(xs.end(), l.in.begin(), l.in.end());
        if (l.kind == Layer::Kind::transposed)
            ws = {l.channels, std::max<long>(1, l.outputs / l.groups)};
        else
            ws = {l.outputs, std::max<long>(1, l.channels / l.groups)};
        ws.insert(ws.end(), l.kernel.begin(), l.kernel.end());
        input = fftconv::Extents(std::span<const std::ptrdiff_t>(xs));
        weight = fftconv::Extents(std::span<const std::ptrdiff_t>(ws));
    }
    fftconv::Extents out;
    std::string cost;
    try {
        switch (l.kind) {
            case Layer::Kind::conv: {
                F::ConvOptions o;
                o.stride = per_axis(l.stride);
                o.dilation = per_axis(l.dilation);
                o.groups = l.groups;
                o.padding = padding == "same"    ? F::Padding::same()
                            : padding == "valid" ? F::Padding::valid()
                                                 : F::Padding::sides(per_axis(pad), per_axis(pad));
                out = F::conv_output_shape(input, weight, o);
                // 'same' resolved: what each side gets.
                for (std::size_t a = 0; a < r; ++a) {
                    const std::ptrdiff_t total = padding == "same" ? l.dilation[a] * (l.kernel[a] - 1) : 2 * pad[a];
                    l.before.push_back(padding == "same" ? total / 2 : pad[a]);
                    l.after.push_back(padding == "same" ? total - total / 2 : pad[a]);
                }
                const F::LayerCost c = F::conv_cost(input, weight, o);
                cost = std::to_string(l.channels) + " -> " + std::to_string(l.outputs) + " channels, groups " +
                       std::to_string(l.groups) + ": " + std::to_string(c.parameters) + " weights, " +
                       std::to_string(c.multiplications) + " multiplications";
                break;
            }
            case Layer::Kind::transposed: {
                F::ConvTransposeOptions o;
                o.stride = per_axis(l.stride);
                o.dilation = per_axis(l.dilation);
                o.groups = l.groups;
                o.padding = per_axis(pad);
                o.output_padding = per_axis(l.output_padding);
                out = F::conv_transpose_output_shape(input, weight, o);
                l.before = l.after = pad;
                break;
            }
            case Layer::Kind::max_pool:
            case Layer::Kind::avg_pool: {
                F::PoolOptions o;
                o.kernel = per_axis(l.kernel);
                o.stride = per_axis(l.stride);
                o.padding = per_axis(pad);
                o.dilation = per_axis(l.dilation);
                o.ceil_mode = l.ceil_mode;
                out = F::pool_output_shape(input, static_cast<int>(r), o);
                if (l.kind == Layer::Kind::avg_pool && args.has("dilation"))
                    throw UsageError("--dilation belongs to conv and max pool layers, not avg pool");
                l.before = l.after = pad;
                break;
            }
        }
    } catch (const fftconv::InvalidArgument& e) {
        throw UsageError(e.what());
    }
    for (std::size_t a = 0; a < r; ++a) l.out.push_back(out[2 + static_cast<int>(a)]);
    std::printf("%s: input %s, kernel %s, stride %s, padding %s", l.name().c_str(), joined(l.in).c_str(),
                joined(l.kernel).c_str(), joined(l.stride).c_str(),
                l.before == l.after ? joined(l.before).c_str()
                                    : (joined(l.before) + " before, " + joined(l.after) + " after").c_str());
    if (l.dilation != Sizes(r, 1)) std::printf(", dilation %s", joined(l.dilation).c_str());
    if (l.kind == Layer::Kind::transposed) std::printf(", output padding %s", joined(l.output_padding).c_str());
    if (l.ceil_mode) std::printf(", ceil mode");
    std::printf("\noutput %s\n", joined(l.out).c_str());
    for (std::size_t a = 0; a < r; ++a) std::printf("  axis %zu: %s\n", a, formula(l, a).c_str());
    if (!cost.empty()) std::printf("%s\n", cost.c_str());
    if (!draw_path.empty()) {
        const std::ptrdiff_t shown = draw(l, draw_path);
        std::printf("drew %td output position%s to %s\n", shown, shown == 1 ? "" : "s", draw_path.c_str());
    }
    return 0;
}

}  // namespace

Command shape_command() {
    return {{"shape",
             "--input SIZE --kernel SIZE [--stride S] [--padding P|same|valid] [--dilation D] [--transposed "
             "[--output-padding P]] [--pool max|avg [--ceil-mode]] [--draw FILE]",
             "a layer's output size, worked out (and drawn)",
             "The output size of a convolution layer as PyTorch computes it (conv1d/2d/3d, conv_transpose,\n"
             "max_pool, avg_pool), each axis's formula with the numbers filled in, and the weights and\n"
             "multiplications a conv needs. Sizes are one number per spatial axis joined by 'x', outermost first\n"
             "(rows x columns: 5x7 is 5 rows of 7); a single number serves every axis. A layer PyTorch refuses is\n"
             "refused with its reason.",
             {{"input", "SIZE", "the input's spatial size: 9 (1D), 5x5 (2D) or 4x5x5 (3D)"},
              {"kernel", "SIZE", "the kernel's size"},
              {"stride", "S", "the stride (default 1; for pools the kernel size)"},
              {"padding", "P", "zeros on each side of each axis, or same / valid (convs only; default 0)"},
              {"dilation", "D", "the spacing of the kernel's taps (default 1)"},
              {"transposed", "", "a transposed convolution (conv_transpose)"},
              {"output-padding", "P", "a transposed convolution's extra outputs after the last"},
              {"pool", "KIND", "max or avg: a pooling layer"},
              {"ceil-mode", "", "a pool's output size rounded up"},
              {"channels", "C", "input channels, for the counts (default 1)"},
              {"out-channels", "O", "output channels (default: as many as the input)"},
              {"groups", "G", "channel groups (default 1; depthwise: as many as the channels)"},
              {"draw", "FILE", "an image (PNG, ...) of the window at each output position (1D and 2D layers)"}},
             "Exit status 2 for a layer PyTorch refuses, with the reason.",
             "  fftconv shape --input 5x5 --kernel 3 --stride 2 --padding 1\n"
             "  fftconv shape --input 2x2 --kernel 3 --stride 2 --transposed --draw transposed.png\n"
             "  fftconv shape --input 56x56 --kernel 3 --padding same --channels 64 --out-channels 64\n"
             "  fftconv shape --input 5 --kernel 2 --stride 2 --padding 1 --pool max --ceil-mode"},
            run};
}

}  // namespace app
