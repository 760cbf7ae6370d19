#include "signal_io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "image_io.hpp"
#include "kernels.hpp"
#include "npy.hpp"
#ifdef FFTCONV_HAVE_AUDIO
#include "audio_io.hpp"
#endif

namespace app {

namespace {

constexpr const char* text_extensions[] = {".csv", ".tsv", ".txt", ".dat"};

bool is_audio_file_name(const std::string& path) {
#ifdef FFTCONV_HAVE_AUDIO
    return is_audio_path(path);
#else
    (void)path;
    return false;
#endif
}

bool is_separator(char c) {
    return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r';
}

// One line's numbers; false when a field is not a number (then `bad` is its 1-based column and
// `bad_field` its text, "" for an empty field).
bool parse_line(std::string_view line, std::vector<double>& values, std::size_t& bad, std::string_view& bad_field) {
    values.clear();
    std::size_t i = 0;
    const bool commas = line.find_first_of(",;") != std::string_view::npos;
    while (i < line.size()) {
        // With commas, "1,,2" has an empty field (refused); without, runs of blanks are one gap.
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        if (i == line.size()) break;
        std::size_t end = i;
        while (end < line.size() && !is_separator(line[end])) ++end;
        const std::string_view field = line.substr(i, end - i);
        double v = 0;
        const char* first = field.data() + (field.starts_with('+') ? 1 : 0);
        const auto [ptr, ec] = std::from_chars(first, field.data() + field.size(), v);
        if (field.empty() || ec != std::errc() || ptr != field.data() + field.size()) {
            bad = values.size() + 1;
            bad_field = field;
            return false;
        }
        values.push_back(v);
        i = end;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        if (commas && i < line.size()) {
            if (line[i] != ',' && line[i] != ';') {
                bad = values.size() + 1;
                bad_field = line.substr(i, line.find_first_of(",;", i) - i);
                return false;
            }
            ++i;
            if (i == line.size()) {  // a trailing separator: an empty last field
                bad = values.size() + 1;
                bad_field = {};
                return false;
            }
        }
    }
    return true;
}

Signal read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ProcessError(path + ": cannot read it");
    Signal s;
    s.format = lower_extension(path) == ".csv" ? "CSV text" : "text";
    std::string line;
    std::vector<double> values;
    std::size_t number = 0, columns = 0;
    bool header_allowed = true;
    while (std::getline(in, line)) {
        ++number;
        const std::size_t start = line.find_first_not_of(" \t\r");
        if (start == std::string::npos || line[start] == '#') continue;
        std::size_t bad = 0;
        std::string_view field;
        if (!parse_line(line, values, bad, field)) {
            // The first line may name the columns ("time,left,right"): words, not numbers.
            if (header_allowed && std::any_of(line.begin(), line.end(), [](char c) { return std::isalpha(c); })) {
                header_allowed = false;
                continue;
            }
            throw ProcessError(path + ": line " + std::to_string(number) + ", column " + std::to_string(bad) + ": " +
                               (field.empty() ? std::string("an empty field")
                                              : "not a number: '" + std::string(field.substr(0, 40)) + "'"));
        }
        header_allowed = false;
        if (values.empty()) continue;
        if (columns == 0) {
            columns = values.size();
            s.channels.assign(columns, {});
        } else if (values.size() != columns) {
            throw ProcessError(path + ": line " + std::to_string(number) + " has " + std::to_string(values.size()) +
                               " values and the lines before it " + std::to_string(columns) +
                               " (one column per channel, the same count on every line)");
        }
        for (std::size_t c = 0; c < columns; ++c) s.channels[c].push_back(values[c]);
    }
    if (in.bad()) throw ProcessError(path + ": reading failed");
    if (columns == 0) throw ProcessError(path + ": the file holds no samples (no line of numbers)");
    s.frames = static_cast<std::ptrdiff_t>(s.channels[0].size());
    return s;
}

Signal read_npy(const std::string& path) {
    const npy::Header h = npy::read_header(path);
    if (h.shape.empty() || h.shape.size() > 2)
        throw ProcessError(path + ": an array of shape " + npy::shape_text(h.shape) +
                           " is not a signal: the signal commands take shape (frames,) or (frames, channels)");
    if (npy::is_complex(h.dtype))
        throw ProcessError(path + ": the values are complex (" + std::string(npy::dtype_name(h.dtype)) +
                           "); the signal commands take real signals");
    const std::int64_t frames = h.shape[0], channels = h.shape.size() == 2 ? h.shape[1] : 1;
    if (frames == 0 || channels == 0)
        throw ProcessError(path + ": the array " + npy::shape_text(h.shape) + " holds no samples");
    const std::vector<double> v = npy::read_data<double>(path, h);
    Signal s;
    s.format = "npy " + std::string(npy::dtype_name(h.dtype));
    s.frames = frames;
    s.channels.assign(static_cast<std::size_t>(channels), std::vector<double>(static_cast<std::size_t>(frames)));
    for (std::int64_t f = 0; f < frames; ++f)
        for (std::int64_t c = 0; c < channels; ++c)
            s.channels[static_cast<std::size_t>(c)][static_cast<std::size_t>(f)] =
                v[static_cast<std::size_t>(f * channels + c)];
    return s;
}

void write_text(const std::string& path, const Signal& s) {
    const std::string ext = lower_extension(path);
    const char sep = ext == ".csv" ? ',' : ext == ".tsv" ? '\t' : ' ';
    write_atomically(
        path,
        [&](const std::string& tmp) {
            std::FILE* f = std::fopen(tmp.c_str(), "wb");
            if (!f) return false;
            std::string line;
            char buf[32];
            bool ok = true;
            for (std::ptrdiff_t i = 0; i < s.frames && ok; ++i) {
                line.clear();
                for (std::size_t c = 0; c < s.channels.size(); ++c) {
                    if (c) line += sep;
                    // The shortest decimal that reads back as the same double.
                    const auto r = std::to_chars(buf, buf + sizeof buf, s.channels[c][static_cast<std::size_t>(i)]);
                    line.append(buf, r.ptr);
                }
                line += '\n';
                ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
            }
            return std::fclose(f) == 0 && ok;
        },
        ext);
}

void write_npy(const std::string& path, const Signal& s) {
    const auto frames = static_cast<std::size_t>(s.frames), channels = s.channels.size();
    std::vector<double> v(frames * channels);
    for (std::size_t f = 0; f < frames; ++f)
        for (std::size_t c = 0; c < channels; ++c) v[f * channels + c] = s.channels[c][f];
    std::vector<std::int64_t> shape{s.frames};
    if (channels > 1) shape.push_back(static_cast<std::int64_t>(channels));
    npy::write<double>(path, shape, v.data());
}

}  // namespace

bool is_text_signal_path(const std::string& path) {
    const std::string e = lower_extension(path);
    return std::any_of(std::begin(text_extensions), std::end(text_extensions), [&](const char* t) { return e == t; });
}

bool is_signal_path(const std::string& path) {
    return is_audio_file_name(path) || is_text_signal_path(path);
}

Signal read_signal(const std::string& path, int rate) {
    if (path == "-")
        throw UsageError("standard input ('-') is read as a stream by conv --stream only; name a signal file here");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw ProcessError(path + ": no such file");
    Signal s;
    if (npy::is_npy(path)) {
        s = read_npy(path);
    } else if (is_text_signal_path(path)) {
        s = read_text(path);
    } else {
#ifdef FFTCONV_HAVE_AUDIO
        s = read_audio(path);
        check_rate_option(rate, path, s.rate);
        return s;
#else
        throw ProcessError(path +
                           ": not a text (.csv, .tsv, .txt, .dat) or .npy signal, and this fftconv was built "
                           "without libsndfile, so it reads no audio files");
#endif
    }
    s.rate = rate;
    return s;
}

int common_rate(const std::string& a, int a_rate, const std::string& b, int b_rate) {
    if (a_rate > 0 && b_rate > 0 && a_rate != b_rate)
        throw ProcessError("the sample rates differ: " + a + " is " + std::to_string(a_rate) + " Hz, " + b + " " +
                           std::to_string(b_rate) + " Hz (resample one of them first)");
    return a_rate > 0 ? a_rate : b_rate;
}

void check_signal_output(const std::string& path) {
    if (is_text_signal_path(path) || lower_extension(path) == ".npy") return;
#ifdef FFTCONV_HAVE_AUDIO
    (void)output_format(path, Signal{});
#else
    throw UsageError("output '" + path + "': not a signal format fftconv writes (.csv, .tsv, .txt, .dat, .npy)");
#endif
}

std::size_t write_signal(const std::string& path, const Signal& s, const Signal& like) {
    if (is_text_signal_path(path)) {
        write_text(path, s);
        return 0;
    }
    if (lower_extension(path) == ".npy") {
        write_npy(path, s);
        return 0;
    }
#ifdef FFTCONV_HAVE_AUDIO
    if (s.rate <= 0)
        throw UsageError("output '" + path + "': an audio file needs a sample rate; give the input's with --rate");
    return write_audio(path, s, output_format(path, like));
#else
    (void)like;
    check_signal_output(path);
    return 0;
#endif
}

void check_rate_option(int rate, const std::string& name, int own) {
    if (rate > 0 && rate != own)
        throw UsageError("--rate " + std::to_string(rate) + " differs from " + name + "'s own rate, " +
                         std::to_string(own) + " Hz (--rate is for text and .npy signals, which state none)");
}

Signal read_response(const std::string& spec, int rate, const Args& args) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(spec, ec)) return read_signal(spec, rate);
    const KernelND k = parse_kernel_nd(spec, 1, kernel_options_of(args));
    Signal s;
    s.rate = rate;
    s.frames = k.values.size();
    s.channels.emplace_back(k.values.values().begin(), k.values.values().end());
    s.format = k.description;
    return s;
}

OptionSpec rate_option() {
    return {"rate", "HZ", "the sample rate of text and .npy signals (which state none); audio files carry their own"};
}

int rate_of(const Args& args) {
    return static_cast<int>(args.integer("rate", 0, 1, 100000000));
}

}  // namespace app
