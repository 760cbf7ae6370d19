#include "kernels.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string_view>
#include <vector>

#include "budget.hpp"
#include "cli.hpp"
#include "fftconv/filters.hpp"
#include "image_io.hpp"
#include "npy.hpp"

namespace app {

const char* const kernel_help =
    "KERNEL is one of:\n"
    "  a file            an image (its gray values, normalised to sum 1 unless --no-normalize) or a\n"
    "                    text matrix (one row per line, values separated by spaces or commas, # comments;\n"
    "                    or numpy/JSON brackets: [[1, 2], [3, 4]])\n"
    "  \"1,2,1;0,0,0;-1,-2,-1\"  an inline matrix: rows separated by ';' (or \"[[1,2,1],[0,0,0],[-1,-2,-1]]\");\n"
    "                    an empty entry (\"1,,2\") is an error\n"
    "  gaussian:SIGMA    scipy's sampled Gaussian, radius int(4*SIGMA + 0.5), sum 1\n"
    "  box:N or box:WxH  a mean filter, W wide and H high\n"
    "  sobel-x, sobel-y  3x3 Sobel derivatives (x: increasing to the right, y: downwards)\n"
    "  scharr-x, scharr-y, laplacian\n"
    "  random:WxH[:SEED] uniform random values normalised to sum 1 (seed 1 unless given)\n"
    "  K.npy             a numpy array, its values as they are (at most the input's rank: missing\n"
    "                    leading axes are 1)\n"
    "For an array input (.npy, or --volume) gaussian:SIGMA, box:N and random:N[:SEED] reach along\n"
    "every axis (gaussian:2 on a volume is 17x17x17); the other kernels are 2D and act on the last\n"
    "two axes (a 1D array takes a kernel of one row).";

OptionSpec kernel_normalize_option() {
    return {"no-normalize", "", "take an image-file KERNEL's values as they are, not scaled to sum 1"};
}

KernelOptions kernel_options_of(const Args& args) {
    KernelOptions o;
    o.normalize = !args.has("no-normalize");
    o.max_pixels = args.integer("max-pixels", default_max_pixels, 1, INT64_MAX / 2);
    return o;
}

namespace {

using Rows = std::vector<std::vector<double>>;

std::string ordinal_place(const char* unit, std::size_t row, std::size_t entry) {
    return std::string(unit) + " " + std::to_string(row) + ", entry " + std::to_string(entry);
}

// One number, whole: "1", "-2.5", "+3", "1e-3", "2." (numpy prints that). @throws UsageError naming `place`.
double parse_number(std::string_view word, const std::string& where, const std::string& place) {
    std::string_view w = word;
    if (w.size() > 1 && w[0] == '+' && w[1] != '-') w.remove_prefix(1);
    double x = 0;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), x);
    if (ec != std::errc() || end != w.data() + w.size())
        throw UsageError("kernel " + where + ": " + place + ": '" + std::string(word) + "' is not a number");
    if (!std::isfinite(x))
        throw UsageError("kernel " + where + ": " + place + ": '" + std::string(word) + "' is not a finite number");
    return x;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The numbers of one row: entries separated by commas and/or spaces. An entry between two commas
// (or before the first, or after the last) that holds nothing is an error, not skipped: "1,,2"
// would otherwise read as [1 2] and shift every later value. `unit` and `row` name the place.
std::vector<double> parse_row(std::string_view text, const std::string& where, const char* unit, std::size_t row) {
    std::vector<double> values;
    std::size_t entry = 0;
    std::size_t at = 0;
    bool need_entry = false;  // after a comma, an entry must follow
    while (true) {
        while (at < text.size() && is_space(text[at])) ++at;
        if (at == text.size()) break;
        if (text[at] == ',') {
            if (values.size() == entry && (need_entry || entry == 0))
                throw UsageError("kernel " + where + ": " + ordinal_place(unit, row, entry + 1) + " is empty");
            need_entry = true;
            ++at;
            continue;
        }
        std::size_t end = at;
        while (end < text.size() && !is_space(text[end]) && text[end] != ',') ++end;
        values.push_back(parse_number(text.substr(at, end - at), where, ordinal_place(unit, row, ++entry)));
        need_entry = false;
        at = end;
    }
    if (need_entry) throw UsageError("kernel " + where + ": " + ordinal_place(unit, row, entry + 1) + " is empty");
    return values;
}

// Rows separated by new lines or ';'. In a file, '#' starts a comment and blank lines are
// skipped; inline, every row must hold values.
Rows parse_lines(const std::string& text, const std::string& where, bool file) {
    Rows rows;
    std::size_t line = 0, start = 0;
    const char* unit = file ? "line" : "row";
    while (start <= text.size()) {
        std::size_t end = text.find_first_of(file ? "\n" : ";\n", start);
        if (end == std::string::npos) end = text.size();
        std::string_view row = std::string_view(text).substr(start, end - start);
        ++line;
        if (file)
            if (const auto hash = row.find('#'); hash != std::string_view::npos) row = row.substr(0, hash);
        // A file's lines may also hold several rows separated by ';'.
        std::size_t piece_start = 0;
        for (;;) {
            const std::size_t semicolon = file ? row.find(';', piece_start) : std::string_view::npos;
            const std::string_view piece = row.substr(
                piece_start, semicolon == std::string_view::npos ? std::string_view::npos : semicolon - piece_start);
            std::vector<double> values = parse_row(piece, where, unit, file ? line : rows.size() + 1);
            if (!values.empty())
                rows.push_back(std::move(values));
            else if (!file)
                throw UsageError("kernel " + where + ": row " + std::to_string(rows.size() + 1) + " is empty");
            if (semicolon == std::string_view::npos) break;
            piece_start = semicolon + 1;
        }
        start = end + 1;
    }
    return rows;
}

// numpy / JSON brackets: [1, 2, 3] is one row, [[1, 2], [3, 4]] two; entries separated by
// commas or spaces (print(numpy_array) has no commas).
class Brackets {
public:
    Brackets(std::string_view text, const std::string& where) : text_(text), where_(where) {}

    Rows parse() {
        skip();
        Rows rows;
        expect('[');
        skip();
        if (peek() == '[') {
            for (;;) {
                rows.push_back(row(rows.size() + 1));
                if (!separator(']', "row " + std::to_string(rows.size() + 1))) break;
            }
        } else {
            --at_;
            rows.push_back(row(1));
        }
        skip();
        if (at_ != text_.size()) fail("unexpected '" + std::string(1, text_[at_]) + "' after the closing ']'");
        return rows;
    }

private:
    std::vector<double> row(std::size_t index) {
        skip();
        expect('[');
        std::vector<double> values;
        skip();
        if (peek() == ']') fail("row " + std::to_string(index) + " is empty");
        for (;;) {
            skip();
            if (peek() == '[') fail("row " + std::to_string(index) + ": kernels have two dimensions, not more");
            if (peek() == ',' || peek() == ']') fail(ordinal_place("row", index, values.size() + 1) + " is empty");
            const std::size_t start = at_;
            while (at_ < text_.size() && !is_space(text_[at_]) && text_[at_] != ',' && text_[at_] != ']' &&
                   text_[at_] != '[')
                ++at_;
            values.push_back(
                parse_number(text_.substr(start, at_ - start), where_, ordinal_place("row", index, values.size() + 1)));
            if (!separator(']', ordinal_place("row", index, values.size() + 1))) return values;
        }
    }
    // After an item: a comma and/or spaces (true: another item follows), or `close` (false).
    // `next` names the item that would follow, for the message when it is empty.
    bool separator(char close, const std::string& next) {
        const bool spaced = at_ < text_.size() && is_space(text_[at_]);
        skip();
        if (peek() == close) {
            ++at_;
            return false;
        }
        if (peek() == ',') {
            ++at_;
            skip();
            if (peek() == close || peek() == ',') fail(next + " is empty");
            return true;
        }
        if (spaced || (close == ']' && peek() == '[')) return true;
        fail(at_ < text_.size() ? "unexpected '" + std::string(1, text_[at_]) + "'" : "a closing ']' is missing");
    }
    void expect(char c) {
        if (peek() != c)
            fail(at_ < text_.size() ? "expected '" + std::string(1, c) + "', got '" + text_[at_] + "'"
                                    : "expected '" + std::string(1, c) + "' at the end");
        ++at_;
    }
    char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
    void skip() {
        while (at_ < text_.size() && is_space(text_[at_])) ++at_;
    }
    [[noreturn]] void fail(const std::string& what) const { throw UsageError("kernel " + where_ + ": " + what); }

    std::string_view text_;
    std::string where_;
    std::size_t at_ = 0;
};

// A matrix in text, bracketed or not.
Rows parse_matrix(const std::string& text, const std::string& where, bool file) {
    std::string body = text;
    if (file) {  // comments out first, for the bracket check
        std::string kept;
        std::size_t start = 0;
        while (start <= body.size()) {
            std::size_t end = body.find('\n', start);
            if (end == std::string::npos) end = body.size();
            std::string line = body.substr(start, end - start);
            if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
            kept += line + "\n";
            start = end + 1;
        }
        body = kept;
    }
    const std::size_t first = body.find_first_not_of(" \t\r\n\v\f");
    if (first != std::string::npos && body[first] == '[') return Brackets(body, where).parse();
    return parse_lines(text, where, file);
}

fftconv::Image<double> from_rows(const Rows& rows, const std::string& where) {
    if (rows.empty()) throw UsageError("kernel " + where + " has no values");
    for (std::size_t r = 0; r < rows.size(); ++r)
        if (rows[r].size() != rows[0].size())
            throw UsageError("kernel " + where + ": row " + std::to_string(r + 1) + " has " +
                             std::to_string(rows[r].size()) + " values, row 1 has " + std::to_string(rows[0].size()));
    fftconv::Image<double> k(static_cast<std::ptrdiff_t>(rows.size()), static_cast<std::ptrdiff_t>(rows[0].size()));
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < rows[r].size(); ++c)
            k(static_cast<std::ptrdiff_t>(r), static_cast<std::ptrdiff_t>(c)) = rows[r][c];
    return k;
}

// "N" (N x N) or "WxH", each 1..4096.
bool parse_size(const std::string& s, long& rows, long& cols) {
    const auto x = s.find('x');
    const auto num = [](const std::string& t, long& v) {
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc() && end == t.data() + t.size() && v >= 1 && v <= 4096;
    };
    if (x == std::string::npos) return num(s, rows) && num(s, cols);
    return num(s.substr(0, x), cols) && num(s.substr(x + 1), rows);
}

fftconv::Image<double> outer(const std::vector<double>& col, const std::vector<double>& row) {
    fftconv::Image<double> k(static_cast<std::ptrdiff_t>(col.size()), static_cast<std::ptrdiff_t>(row.size()));
    for (std::size_t r = 0; r < col.size(); ++r)
        for (std::size_t c = 0; c < row.size(); ++c)
            k(static_cast<std::ptrdiff_t>(r), static_cast<std::ptrdiff_t>(c)) = col[r] * row[c];
    return k;
}

std::string size_of(const fftconv::Image<double>& k) {
    return size_text(k.shape());
}

// Text kernels are read whole; a file this large is no kernel anyone typed.
constexpr std::uintmax_t max_text_bytes = std::uintmax_t{256} << 20;

Kernel image_kernel(const std::string& path, const KernelOptions& options) {
    const Picture p = read_picture(path, options.max_pixels);
    fftconv::Image<double> k = fftconv::image_cast<double>(gray_of(p));
    double sum = 0;
    std::size_t nonfinite = 0;
    for (double v : k.values()) {
        sum += v;
        nonfinite += !std::isfinite(v);
    }
    if (nonfinite)
        throw ProcessError("kernel image '" + path + "' holds " + std::to_string(nonfinite) + " non-finite value" +
                           (nonfinite == 1 ? "" : "s") + " (NaN or Inf)");
    if (!options.normalize) return {k, path + " (" + size_of(k) + " image, values as they are)"};
    if (!(sum > 0) || !std::isfinite(sum)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", sum);
        throw ProcessError("kernel image '" + path + "' sums to " + buf +
                           ", so it cannot be normalised to sum 1 (--no-normalize takes its values as they are)");
    }
    for (double& v : k.values()) v /= sum;
    return {k, path + " (" + size_of(k) + " image, normalised to sum 1)"};
}

// The SEED of random:…[:SEED] in `arg`, after the ':' at `colon` (npos: none given, seed 1).
unsigned long seed_of(const std::string& spec, const std::string& arg, std::size_t colon) {
    unsigned long seed = 1;
    if (colon == std::string::npos) return seed;
    const std::string s = arg.substr(colon + 1);
    const auto [end, e] = std::from_chars(s.data(), s.data() + s.size(), seed);
    if (e != std::errc() || end != s.data() + s.size())
        throw UsageError("kernel '" + spec + "': SEED must be a whole number");
    return seed;
}

}  // namespace

Kernel parse_kernel(const std::string& spec, const KernelOptions& options) {
    std::error_code ec;
    if (std::filesystem::is_directory(spec, ec)) throw UsageError("KERNEL '" + spec + "' is a directory");
    if (std::filesystem::is_regular_file(spec, ec)) {
        // An image when its header says so; otherwise text, whose parse errors are the user's
        // to see (a typo in a matrix file is not "cannot read it as an image"). Binary data that
        // is neither goes to the image decoders, which may know a format the header reader does not.
        if (read_header(spec)) return image_kernel(spec, options);
        const std::uintmax_t size = std::filesystem::file_size(spec, ec);
        if (ec) throw ProcessError("cannot read kernel file '" + spec + "': " + ec.message());
        if (size == 0) throw ProcessError("cannot read kernel file '" + spec + "': the file is empty");
        std::string text;
        if (size <= max_text_bytes) {
            std::ifstream in(spec, std::ios::binary);
            text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            if (!in && !in.eof()) throw ProcessError("cannot read kernel file '" + spec + "'");
        }
        const bool binary = size > max_text_bytes || text.find('\0') != std::string::npos ||
                            std::any_of(text.begin(), text.end(), [](char c) {
                                const auto u = static_cast<unsigned char>(c);
                                return u < 0x20 && !is_space(c);
                            });
        if (binary) return image_kernel(spec, options);
        fftconv::Image<double> k = from_rows(parse_matrix(text, "file '" + spec + "'", true), "file '" + spec + "'");
        return {k, spec + " (" + size_of(k) + " matrix)"};
    }

    const auto colon = spec.find(':');
    const std::string name = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
    if (name == "gaussian" && !arg.empty()) {
        double sigma = 0;
        const auto [end, e] = std::from_chars(arg.data(), arg.data() + arg.size(), sigma);
        if (e != std::errc() || end != arg.data() + arg.size() || !(sigma > 0) || sigma > 1000)
            throw UsageError("kernel '" + spec + "': gaussian:SIGMA needs SIGMA between 0 and 1000");
        const std::vector<double> g = fftconv::gaussian_kernel<double>(sigma);
        fftconv::Image<double> k = outer(g, g);
        return {k, spec + " (" + size_of(k) + ")"};
    }
    if (name == "box" && !arg.empty()) {
        long r = 0, c = 0;
        if (!parse_size(arg, r, c)) throw UsageError("kernel '" + spec + "': box:N or box:WxH with sizes 1..4096");
        fftconv::Image<double> k(r, c, 1.0 / static_cast<double>(r * c));
        return {k, spec + " (" + size_of(k) + ")"};
    }
    if (name == "random" && !arg.empty()) {
        const auto second = arg.find(':');
        long r = 0, c = 0;
        if (!parse_size(arg.substr(0, second), r, c))
            throw UsageError("kernel '" + spec + "': random:WxH[:SEED] with sizes 1..4096");
        std::mt19937_64 rng(seed_of(spec, arg, second));
        std::uniform_real_distribution<double> u(0, 1);
        fftconv::Image<double> k(r, c);
        double sum = 0;
        for (double& v : k.values()) sum += v = u(rng);
        for (double& v : k.values()) v /= sum;
        return {k, spec + " (" + size_of(k) + ")"};
    }
    if (colon == std::string::npos) {
        // The Sobel and Scharr kernels are the library's (cv::getDerivKernels'), as outer products.
        const auto derivative = [&](int dx, int ksize) {
            const fftconv::SobelKernels k = fftconv::sobel_kernels(dx, 1 - dx, ksize);
            return Kernel{outer(k.y, k.x), name + " (3x3)"};
        };
        if (name == "sobel-x") return derivative(1, 3);
        if (name == "sobel-y") return derivative(0, 3);
        if (name == "scharr-x") return derivative(1, -1);
        if (name == "scharr-y") return derivative(0, -1);
        if (name == "laplacian") return {fftconv::Image<double>{{0, 1, 0}, {1, -4, 1}, {0, 1, 0}}, "laplacian (3x3)"};
    }

    // An inline matrix: "1,2,1;0,0,0;-1,-2,-1", "[[1,2],[3,4]]" or a single number.
    if (!spec.empty() && spec.find_first_not_of("0123456789+-.eE,;[] \t\r\n") == std::string::npos) {
        fftconv::Image<double> k = from_rows(parse_matrix(spec, "'" + spec + "'", false), "'" + spec + "'");
        return {k, size_of(k) + " matrix"};
    }
    throw UsageError("KERNEL '" + spec +
                     "' is not a file, an inline matrix (\"1,2;3,4\" or \"[[1,2],[3,4]]\") or a named kernel "
                     "(gaussian:SIGMA, box:N, box:WxH, sobel-x, sobel-y, scharr-x, scharr-y, laplacian, "
                     "random:WxH)");
}

namespace {

// The outer product of `factors`, one per axis.
fftconv::Array<double> outer_nd(const std::vector<std::vector<double>>& factors) {
    std::vector<std::ptrdiff_t> shape;
    for (const auto& f : factors) shape.push_back(static_cast<std::ptrdiff_t>(f.size()));
    fftconv::Array<double> k{fftconv::Extents(std::span<const std::ptrdiff_t>(shape))};
    fftconv::Array<double>::for_each_index(k.shape(), [&](const std::ptrdiff_t* i) {
        double v = 1;
        for (std::size_t a = 0; a < factors.size(); ++a) v *= factors[a][static_cast<std::size_t>(i[a])];
        k.view().at(i) = v;
    });
    return k;
}

// numpy's order and spelling, "(17, 17, 17)", as the tool prints array shapes.
std::string extents_text(const fftconv::Extents& e) {
    const std::vector<std::int64_t> shape(e.begin(), e.end());
    return npy::shape_text(shape);
}

}  // namespace

KernelND image_kernel_nd(const std::string& spec, int samples, const KernelOptions& options) {
    KernelND k = parse_kernel_nd(spec, 2, options);
    if (samples > 1) {
        const fftconv::Extents ks = k.values.shape();
        fftconv::Array<double> k3({ks[0], ks[1], 1});
        std::copy(k.values.values().begin(), k.values.values().end(), k3.values().begin());
        k.values = std::move(k3);
    }
    return k;
}

KernelND parse_kernel_nd(const std::string& spec, int rank, const KernelOptions& options) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(spec, ec) && npy::is_npy(spec)) {
        const npy::Header h = npy::read_header(spec);
        if (h.shape.empty() || static_cast<int>(h.shape.size()) > rank)
            throw UsageError("kernel '" + spec + "' has shape " + npy::shape_text(h.shape) + "; the array has rank " +
                             std::to_string(rank));
        const std::vector<double> v = npy::read_data<double>(spec, h);
        std::vector<std::ptrdiff_t> shape(static_cast<std::size_t>(rank) - h.shape.size(), 1);
        shape.insert(shape.end(), h.shape.begin(), h.shape.end());
        fftconv::Array<double> k{fftconv::Extents(std::span<const std::ptrdiff_t>(shape))};
        if (k.empty()) throw UsageError("kernel '" + spec + "' is empty (shape " + npy::shape_text(h.shape) + ")");
        std::copy(v.begin(), v.end(), k.values().begin());
        return {std::move(k), spec + " (" + npy::shape_text(h.shape) + " .npy)"};
    }
    if (!std::filesystem::exists(spec, ec)) {
        const auto colon = spec.find(':');
        const std::string name = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
        const auto whole = [&](const std::string& text, long& v) {
            const auto [end, e] = std::from_chars(text.data(), text.data() + text.size(), v);
            return e == std::errc() && end == text.data() + text.size() && v >= 1 && v <= 4096;
        };
        if (rank != 2 && name == "gaussian" && !arg.empty()) {
            double sigma = 0;
            const auto [end, e] = std::from_chars(arg.data(), arg.data() + arg.size(), sigma);
            if (e != std::errc() || end != arg.data() + arg.size() || !(sigma > 0) || sigma > 1000)
                throw UsageError("kernel '" + spec + "': gaussian:SIGMA needs SIGMA between 0 and 1000");
            const std::vector<double> g = fftconv::gaussian_kernel<double>(sigma);
            fftconv::Array<double> k = outer_nd(std::vector<std::vector<double>>(static_cast<std::size_t>(rank), g));
            return {k, spec + " " + extents_text(k.shape())};
        }
        if (rank != 2 && (name == "box" || name == "random") && !arg.empty()) {
            const auto second = arg.find(':');
            long n = 0;
            if (!whole(arg.substr(0, second), n))
                throw UsageError("kernel '" + spec + "': for an array of rank " + std::to_string(rank) + ", " + name +
                                 ":N with one size 1..4096 (" + name + ":5 is 5 along every axis)");
            std::vector<std::ptrdiff_t> shape(static_cast<std::size_t>(rank), n);
            fftconv::Array<double> k{fftconv::Extents(std::span<const std::ptrdiff_t>(shape))};
            if (name == "box") {
                for (double& v : k.values()) v = 1.0 / static_cast<double>(k.size());
            } else {
                std::mt19937_64 rng(seed_of(spec, arg, second));
                std::uniform_real_distribution<double> u(0, 1);
                double sum = 0;
                for (double& v : k.values()) sum += v = u(rng);
                for (double& v : k.values()) v /= sum;
            }
            return {k, spec + " " + extents_text(k.shape())};
        }
    }
    // A 2D kernel: as it is for rank 2, its one row for rank 1, axes of 1 in front for more.
    Kernel two = parse_kernel(spec, options);
    const fftconv::Shape s = two.values.shape();
    if (rank == 1) {
        if (s.rows != 1)
            throw UsageError("kernel " + two.description + " has " + std::to_string(s.rows) +
                             " rows; a 1D array takes one row");
        fftconv::Array<double> k{fftconv::Extents{s.cols}};
        std::copy(two.values.values().begin(), two.values.values().end(), k.values().begin());
        return {k, two.description};
    }
    std::vector<std::ptrdiff_t> shape(static_cast<std::size_t>(rank) - 2, 1);
    shape.push_back(s.rows);
    shape.push_back(s.cols);
    fftconv::Array<double> k{fftconv::Extents(std::span<const std::ptrdiff_t>(shape))};
    std::copy(two.values.values().begin(), two.values.values().end(), k.values().begin());
    return {k, two.description + (rank > 2 ? ", along the last two axes" : "")};
}

}  // namespace app
