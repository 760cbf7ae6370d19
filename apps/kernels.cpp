#include "kernels.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "cli.hpp"
#include "fftconv/filters.hpp"
#include "image_io.hpp"

namespace app {

const char* const kernel_help =
    "KERNEL is one of:\n"
    "  a file            an image (its gray values, normalised to sum 1) or a text matrix\n"
    "                    (one row per line, values separated by spaces or commas, # comments)\n"
    "  \"1,2,1;0,0,0;-1,-2,-1\"  an inline matrix: rows separated by ';'\n"
    "  gaussian:SIGMA    scipy's sampled Gaussian, radius int(4*SIGMA + 0.5), sum 1\n"
    "  box:N or box:RxC  a mean filter\n"
    "  sobel-x, sobel-y  3x3 Sobel derivatives (x: increasing to the right, y: downwards)\n"
    "  scharr-x, scharr-y, laplacian\n"
    "  random:RxC[:SEED] uniform random values normalised to sum 1 (seed 1 unless given)";

namespace {

using Rows = std::vector<std::vector<double>>;

// Numbers in one row: separated by commas, spaces or tabs. nullopt-like: false on junk.
bool parse_row(const std::string& line, std::vector<double>& row) {
    std::string s = line;
    for (char& c : s)
        if (c == ',' || c == '\t') c = ' ';
    std::istringstream in(s);
    std::string word;
    while (in >> word) {
        double x = 0;
        const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), x);
        if (ec != std::errc() || end != word.data() + word.size() || !std::isfinite(x)) return false;
        row.push_back(x);
    }
    return true;
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

bool parse_size(const std::string& s, long& rows, long& cols) {
    const auto x = s.find('x');
    const auto num = [](const std::string& t, long& v) {
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc() && end == t.data() + t.size() && v >= 1 && v <= 4096;
    };
    if (x == std::string::npos) return num(s, rows) && num(s, cols);
    return num(s.substr(0, x), rows) && num(s.substr(x + 1), cols);
}

fftconv::Image<double> outer(const std::vector<double>& col, const std::vector<double>& row) {
    fftconv::Image<double> k(static_cast<std::ptrdiff_t>(col.size()), static_cast<std::ptrdiff_t>(row.size()));
    for (std::size_t r = 0; r < col.size(); ++r)
        for (std::size_t c = 0; c < row.size(); ++c)
            k(static_cast<std::ptrdiff_t>(r), static_cast<std::ptrdiff_t>(c)) = col[r] * row[c];
    return k;
}

std::string size_of(const fftconv::Image<double>& k) {
    return fftconv::to_string(k.shape());
}

}  // namespace

Kernel parse_kernel(const std::string& spec) {
    std::error_code ec;
    if (std::filesystem::is_directory(spec, ec)) throw UsageError("KERNEL '" + spec + "' is a directory");
    if (std::filesystem::is_regular_file(spec, ec)) {
        // A text matrix if every non-comment line parses as numbers; otherwise an image.
        std::ifstream in(spec);
        Rows rows;
        std::string line;
        bool text = true;
        while (text && std::getline(in, line)) {
            if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
            std::vector<double> row;
            text = parse_row(line, row);
            if (text && !row.empty()) rows.push_back(std::move(row));
        }
        if (text && !rows.empty()) {
            fftconv::Image<double> k = from_rows(rows, "file '" + spec + "'");
            return {k, spec + " (" + size_of(k) + " matrix)"};
        }
        const Picture p = read_picture(spec);
        fftconv::Image<double> k = fftconv::image_cast<double>(gray_of(p));
        double sum = 0;
        for (double v : k.values()) sum += v;
        if (!(sum > 0) || !std::isfinite(sum))
            throw ProcessError("kernel image '" + spec + "' sums to " + std::to_string(sum) + ", cannot normalise");
        for (double& v : k.values()) v /= sum;
        return {k, spec + " (" + size_of(k) + " image, normalised to sum 1)"};
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
        if (!parse_size(arg, r, c)) throw UsageError("kernel '" + spec + "': box:N or box:RxC with sizes 1..4096");
        fftconv::Image<double> k(r, c, 1.0 / static_cast<double>(r * c));
        return {k, spec + " (" + size_of(k) + ")"};
    }
    if (name == "random" && !arg.empty()) {
        const auto second = arg.find(':');
        long r = 0, c = 0;
        unsigned long seed = 1;
        if (!parse_size(arg.substr(0, second), r, c))
            throw UsageError("kernel '" + spec + "': random:RxC[:SEED] with sizes 1..4096");
        if (second != std::string::npos) {
            const std::string s = arg.substr(second + 1);
            const auto [end, e] = std::from_chars(s.data(), s.data() + s.size(), seed);
            if (e != std::errc() || end != s.data() + s.size())
                throw UsageError("kernel '" + spec + "': SEED must be a whole number");
        }
        std::mt19937_64 rng(seed);
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

    // An inline matrix: "1,2,1;0,0,0;-1,-2,-1" or a single number.
    Rows rows;
    std::istringstream in(spec);
    std::string row_text;
    bool ok = spec.find_first_not_of("0123456789+-.eE,; \t") == std::string::npos;
    while (ok && std::getline(in, row_text, ';')) {
        std::vector<double> row;
        ok = parse_row(row_text, row) && !row.empty();
        rows.push_back(std::move(row));
    }
    if (ok && !rows.empty()) {
        fftconv::Image<double> k = from_rows(rows, "'" + spec + "'");
        return {k, size_of(k) + " matrix"};
    }
    throw UsageError("KERNEL '" + spec +
                     "' is not a file, an inline matrix (\"1,2;3,4\") or a named kernel "
                     "(gaussian:SIGMA, box:N, sobel-x, sobel-y, scharr-x, scharr-y, laplacian, random:RxC)");
}

}  // namespace app
