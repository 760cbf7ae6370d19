#include "conv_audio.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <span>

#include "audio_io.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/stream.hpp"
#include "image_io.hpp"

namespace app {

namespace {

enum class Normalize { none, peak, rms };

double rms(const std::vector<std::vector<double>>& channels) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto& c : channels) {
        for (double v : c) sum += v * v;
        n += c.size();
    }
    return n ? std::sqrt(sum / static_cast<double>(n)) : 0.0;
}

// Which input channel goes through which response channel into which output. Channel rules: a
// mono response on every input channel; a mono input through every response channel; equal
// counts pair up; 2 inputs with a 4-channel response are "true stereo" (the response's channels:
// left→left, left→right, right→left, right→right).
struct Routing {
    std::size_t outputs = 0;
    const char* rule = "";
    struct Term {
        std::size_t output, input, response;
    };
    std::vector<Term> terms;
    std::vector<std::size_t> dry_source;  // per output: the input channel its dry signal is
};

Routing route(std::size_t ci, std::size_t cr, const std::string& in_path, const std::string& ir_path) {
    Routing r;
    if (cr == 1) {
        r.outputs = ci;
        r.rule = ci == 1 ? "mono" : "the mono response on every channel";
    } else if (ci == 1) {
        r.outputs = cr;
        r.rule = "the mono input through every response channel";
    } else if (ci == cr) {
        r.outputs = ci;
        r.rule = "channel by channel";
    } else if (ci == 2 && cr == 4) {
        r.outputs = 2;
        r.rule = "true stereo (response channels LL, LR, RL, RR)";
    } else {
        throw ProcessError("channels: the input " + in_path + " has " + std::to_string(ci) + " and the response " +
                           ir_path + " " + std::to_string(cr) +
                           "; fftconv takes a mono response, a mono input, equal counts, or 2 inputs with a "
                           "4-channel true-stereo response");
    }
    for (std::size_t o = 0; o < r.outputs; ++o) {
        if (ci == 2 && cr == 4) {
            r.terms.push_back({o, 0, o});      // left input → output o: LL or LR
            r.terms.push_back({o, 1, 2 + o});  // right input → output o: RL or RR
        } else {
            r.terms.push_back({o, ci == 1 ? 0 : o, cr == 1 ? 0 : o});
        }
        r.dry_source.push_back(ci == 1 ? 0 : o);
    }
    return r;
}

// --stream: the input read, convolved and written block by block (StreamConvolver, zero latency),
// in memory bounded by the response, whatever the input's length; '-' reads standard input and
// writes standard output.
// A WAV header for samples whose count is not known yet: RIFF and data lengths 0xFFFFFFFF.
void write_streamed_wav_header(int fd, int rate, int channels, int format) {
    const int sub = format & SF_FORMAT_SUBMASK;
    const int bits = sub == SF_FORMAT_PCM_U8 ? 8 : sub == SF_FORMAT_PCM_24 ? 24 : sub == SF_FORMAT_PCM_16 ? 16 : 32;
    const bool is_float = sub == SF_FORMAT_FLOAT;
    if (!(sub == SF_FORMAT_PCM_U8 || sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24 || sub == SF_FORMAT_PCM_32 ||
          is_float))
        throw ProcessError(
            "standard output is a pipe: fftconv streams WAV there as 8/16/24/32-bit PCM or 32-bit "
            "float, not this input's sample format");
    std::string h;
    const auto u32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) h += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    const auto u16 = [&](std::uint16_t v) {
        h += static_cast<char>(v & 0xFF);
        h += static_cast<char>(v >> 8);
    };
    const auto block = static_cast<std::uint16_t>(channels * bits / 8);
    h += "RIFF";
    u32(0xFFFFFFFFu);
    h += "WAVEfmt ";
    u32(16);
    u16(is_float ? 3 : 1);
    u16(static_cast<std::uint16_t>(channels));
    u32(static_cast<std::uint32_t>(rate));
    u32(static_cast<std::uint32_t>(rate) * block);
    u16(block);
    u16(static_cast<std::uint16_t>(bits));
    h += "data";
    u32(0xFFFFFFFFu);
    if (::write(fd, h.data(), h.size()) != static_cast<ssize_t>(h.size()))
        throw ProcessError("cannot write to standard output");
}

int run_stream(const std::string& in_path, const Audio& h, const std::string& ir_path, const std::string& out_path,
               fftconv::Mode mode, double wet_gain, double dry) {
    std::FILE* info = out_path == "-" ? stderr : info_stream();
    SF_INFO in_info{};
    const bool from_stdin = in_path == "-";
    const std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> in(from_stdin
                                                             ? sf_open_fd(STDIN_FILENO, SFM_READ, &in_info, SF_FALSE)
                                                             : sf_open(in_path.c_str(), SFM_READ, &in_info),
                                                         sf_close);
    const std::string in_name = from_stdin ? "standard input" : in_path;
    if (!in) throw ProcessError(in_name + ": cannot read it as audio (" + sf_strerror(nullptr) + ")");
    check_complete(in.get(), in_name);
    if (in_info.channels <= 0) throw ProcessError(in_name + ": the stream has no channels");
    check_same_rate(in_name, in_info.samplerate, ir_path, h.rate);
    sf_command(in.get(), SFC_SET_NORM_DOUBLE, nullptr, SF_TRUE);
    const auto ci = static_cast<std::size_t>(in_info.channels), cr = h.channels.size();
    const Routing routing = route(ci, cr, in_name, ir_path);
    const std::size_t co = routing.outputs;
    // One StreamConvolver per routing term (no work on the zero responses a full input × output
    // matrix would hold). Each answers latency() samples late: those first samples are dropped
    // and the dry signal is delayed to match, so the file comes out aligned, as offline.
    std::vector<fftconv::StreamConvolver<double>> terms;
    for (const Routing::Term& t : routing.terms) terms.emplace_back(std::span<const double>(h.channels[t.response]));
    Audio like;
    like.rate = in_info.samplerate;
    like.channels.assign(co, {});
    like.sf_format = in_info.format;
    const int format = out_path == "-" ? in_info.format : output_format(out_path, like);
    std::fprintf(info, "%s (%d Hz, %zu ch) ⊛ %s (%lld samples, %zu ch): %s, mode %s, streamed (partition %zu)\n",
                 in_name.c_str(), in_info.samplerate, ci, ir_path.c_str(), static_cast<long long>(h.frames), cr,
                 routing.rule, fftconv::to_string(mode), terms.front().partition());
    const bool integer_out =
        (format & SF_FORMAT_SUBMASK) != SF_FORMAT_FLOAT && (format & SF_FORMAT_SUBMASK) != SF_FORMAT_DOUBLE;
    std::size_t clipped = 0;
    long long written = 0, taken = 0;
    const auto pump = [&](SNDFILE* out) {
        constexpr std::size_t block = 4096;
        const std::size_t tail_length = terms.front().latency() + static_cast<std::size_t>(h.frames) - 1;
        const std::size_t most = std::max(block, tail_length);
        std::vector<double> inter(block * ci), result;
        std::vector<std::vector<double>> planar(ci, std::vector<double>(block)), wet(co, std::vector<double>(most));
        std::vector<double> one(block);
        std::vector<std::deque<double>> dry_line(co);
        std::size_t skip = terms.front().latency();
        // n wet samples per output in `wet`: the first `skip` of the stream dropped, the rest
        // written with the dry signal they line up with (none after the input ends), up to the
        // input's length for mode same.
        const auto emit = [&](std::size_t n) {
            const std::size_t from = std::min(skip, n);
            skip -= from;
            std::size_t count = n - from;
            if (mode == fftconv::Mode::same)
                count = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(0LL, taken - written)));
            result.resize(count * co);
            for (std::size_t f = 0; f < count; ++f)
                for (std::size_t o = 0; o < co; ++o) {
                    double v = wet[o][from + f];
                    if (!dry_line[o].empty()) {
                        v += dry * dry_line[o].front();
                        dry_line[o].pop_front();
                    }
                    clipped += integer_out && std::abs(v) > 1.0;
                    result[f * co + o] = v;
                }
            const auto c = static_cast<sf_count_t>(count);
            if (c && sf_writef_double(out, result.data(), c) != c)
                throw ProcessError(std::string("writing the result failed (") + sf_strerror(out) + ")");
            written += static_cast<long long>(count);
        };
        for (;;) {
            const sf_count_t got = sf_readf_double(in.get(), inter.data(), static_cast<sf_count_t>(block));
            if (got <= 0) break;
            const auto n = static_cast<std::size_t>(got);
            taken += got;
            for (std::size_t f = 0; f < n; ++f)
                for (std::size_t c = 0; c < ci; ++c) planar[c][f] = inter[f * ci + c];
            for (auto& w : wet) std::fill_n(w.begin(), n, 0.0);
            for (std::size_t t = 0; t < terms.size(); ++t) {
                const Routing::Term& term = routing.terms[t];
                terms[t].process(std::span<const double>(planar[term.input].data(), n),
                                 std::span<double>(one.data(), n));
                for (std::size_t f = 0; f < n; ++f) wet[term.output][f] += wet_gain * one[f];
            }
            if (dry != 0)
                for (std::size_t o = 0; o < co; ++o)
                    dry_line[o].insert(dry_line[o].end(), planar[routing.dry_source[o]].begin(),
                                       planar[routing.dry_source[o]].begin() + static_cast<std::ptrdiff_t>(n));
            emit(n);
        }
        // The end of the input: each term's tail (its latency and the response's ring-out).
        for (auto& w : wet) std::fill_n(w.begin(), tail_length, 0.0);
        for (std::size_t t = 0; t < terms.size(); ++t) {
            const std::vector<double> tail = terms[t].flush();
            for (std::size_t f = 0; f < tail.size(); ++f) wet[routing.terms[t].output][f] += wet_gain * tail[f];
        }
        emit(tail_length);
    };
    const auto open_out = [&](int fd_or_minus, const std::string& path) {
        SF_INFO info_out{};
        info_out.samplerate = in_info.samplerate;
        info_out.channels = static_cast<int>(co);
        info_out.format = format;
        SNDFILE* f = fd_or_minus >= 0 ? sf_open_fd(fd_or_minus, SFM_WRITE, &info_out, SF_FALSE)
                                      : sf_open(path.c_str(), SFM_WRITE, &info_out);
        if (!f) throw ProcessError(std::string("cannot write the result (") + sf_strerror(nullptr) + ")");
        sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
        return f;
    };
    if (out_path == "-" && ::lseek(STDOUT_FILENO, 0, SEEK_CUR) < 0 && (format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV) {
        // A pipe: libsndfile cannot go back to write a WAV header's lengths, so the header is
        // written first with the lengths unknown (0xFFFFFFFF, as streaming tools write them) and
        // the samples follow as raw little-endian data.
        write_streamed_wav_header(STDOUT_FILENO, in_info.samplerate, static_cast<int>(co), format);
        SF_INFO raw{};
        raw.samplerate = in_info.samplerate;
        raw.channels = static_cast<int>(co);
        raw.format = SF_FORMAT_RAW | (format & SF_FORMAT_SUBMASK) | SF_ENDIAN_LITTLE;
        SNDFILE* out = sf_open_fd(STDOUT_FILENO, SFM_WRITE, &raw, SF_FALSE);
        if (!out) throw ProcessError(std::string("cannot write the result (") + sf_strerror(nullptr) + ")");
        sf_command(out, SFC_SET_CLIPPING, nullptr, SF_TRUE);
        pump(out);
        sf_close(out);
    } else if (out_path == "-") {
        SNDFILE* out = open_out(STDOUT_FILENO, "");
        pump(out);
        sf_close(out);
    } else {
        write_atomically(
            out_path,
            [&](const std::string& tmp) {
                SNDFILE* out = open_out(-1, tmp);
                try {
                    pump(out);
                } catch (...) {
                    sf_close(out);
                    throw;
                }
                return sf_close(out) == 0;
            },
            "");
    }
    std::fprintf(info, "wrote %s (%lld frames, %zu channels)\n", out_path == "-" ? "standard output" : out_path.c_str(),
                 written, co);
    if (clipped) std::fprintf(stderr, "fftconv conv: warning: %zu samples beyond full scale were clipped\n", clipped);
    return 0;
}

}  // namespace

int run_audio_conv(const Args& args) {
    args.expect_positional(3, 3, "IN IR OUT");
    for (const char* image_only :
         {"border", "cval", "correlate", "volume", "gray", "raw", "scale", "outdir", "ext", "no-normalize"})
        if (args.has(image_only))
            throw UsageError(std::string("--") + image_only + " applies to images and arrays, not to audio files");
    const std::string& in_path = args.positional()[0];
    const std::string& ir_path = args.positional()[1];
    const std::string& out_path = args.positional()[2];
    if (!is_audio_path(ir_path))
        throw UsageError("the input is audio, so the response must be an audio file too; got '" + ir_path + "'");
    const fftconv::Mode mode = args.choice<fftconv::Mode>(
        "mode", {{"full", fftconv::Mode::full}, {"same", fftconv::Mode::same}}, fftconv::Mode::full);
    const double wet = args.number("wet", 1.0, -1e6, 1e6), dry = args.number("dry", 0.0, -1e6, 1e6);
    const Normalize normalize = args.choice<Normalize>(
        "normalize", {{"none", Normalize::none}, {"peak", Normalize::peak}, {"rms", Normalize::rms}}, Normalize::none);
    if (args.has("stream")) {
        if (normalize != Normalize::none)
            throw UsageError(
                "--normalize needs the whole result before the first sample is written; not with --stream");
        if (out_path != "-" && in_path != "-" && same_file(out_path, in_path))
            throw UsageError("refusing to write over the input '" + in_path + "' (output '" + out_path + "')");
        if (out_path != "-" && same_file(out_path, ir_path))
            throw UsageError("refusing to write over the input '" + ir_path + "' (output '" + out_path + "')");
        if (out_path != "-") (void)output_format(out_path, Audio{});
        return run_stream(in_path, read_audio(ir_path), ir_path, out_path, mode, wet, dry);
    }
    for (const std::string& in : {in_path, ir_path})
        if (same_file(out_path, in))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + out_path + "')");

    const Audio x = read_audio(in_path), h = read_audio(ir_path);
    const int format = output_format(out_path, x);  // before the work: an unknown extension fails now
    check_same_rate(in_path, x.rate, ir_path, h.rate);
    const std::size_t ci = x.channels.size(), cr = h.channels.size();
    const Routing routing = route(ci, cr, in_path, ir_path);
    const std::size_t co = routing.outputs;
    const char* rule = routing.rule;
    const auto length = mode == fftconv::Mode::full ? x.frames + h.frames - 1 : x.frames;
    Audio out;
    out.rate = x.rate;
    out.frames = length;
    out.channels.assign(co, std::vector<double>(static_cast<std::size_t>(length), 0.0));
    const auto add = [&](std::size_t o, std::size_t i, std::size_t r) {
        // Full, cut to the output's length: "same" keeps the input's timing (the first IN-length
        // samples, the tail dropped), not scipy's centring, which would move the audio earlier by
        // half the response.
        const std::vector<double> y = fftconv::convolve(std::span<const double>(x.channels[i]),
                                                        std::span<const double>(h.channels[r]), fftconv::Mode::full);
        for (std::size_t k = 0; k < static_cast<std::size_t>(length); ++k) out.channels[o][k] += wet * y[k];
    };
    for (const Routing::Term& t : routing.terms) add(t.output, t.input, t.response);
    if (dry != 0)
        for (std::size_t o = 0; o < co; ++o) {
            const auto& d = x.channels[routing.dry_source[o]];
            for (std::size_t k = 0; k < d.size(); ++k) out.channels[o][k] += dry * d[k];
        }
    double gain = 1;
    if (normalize == Normalize::peak) {
        double peak = 0;
        for (const auto& c : out.channels)
            for (double v : c) peak = std::max(peak, std::abs(v));
        if (peak > 0) gain = 0.99 / peak;  // -0.09 dBFS: no sample at full scale
    } else if (normalize == Normalize::rms) {
        const double r = rms(out.channels);
        if (r > 0) gain = rms(x.channels) / r;
    }
    if (gain != 1)
        for (auto& c : out.channels)
            for (double& v : c) v *= gain;
    std::fprintf(info_stream(), "%s (%d Hz, %zu ch) ⊛ %s (%lld samples, %zu ch): %s, mode %s%s\n", in_path.c_str(),
                 x.rate, ci, ir_path.c_str(), static_cast<long long>(h.frames), cr, rule, fftconv::to_string(mode),
                 gain != 1 ? (", gain " + std::to_string(20 * std::log10(gain)) + " dB").c_str() : "");
    const std::size_t clipped = write_audio(out_path, out, format);
    std::fprintf(info_stream(), "wrote %s (%lld frames, %zu channels)\n", out_path.c_str(),
                 static_cast<long long>(out.frames), co);
    if (clipped)
        std::fprintf(stderr,
                     "fftconv conv: warning: %zu samples beyond full scale were clipped (--normalize peak keeps them "
                     "in range)\n",
                     clipped);
    return 0;
}

}  // namespace app
