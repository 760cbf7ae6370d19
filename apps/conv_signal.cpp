#include "conv_signal.hpp"

#ifdef FFTCONV_HAVE_AUDIO
#include <sndfile.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <thread>

#ifdef FFTCONV_HAVE_AUDIO
#include "audio_io.hpp"
#endif
#include "fftconv/convolve.hpp"
#include "fftconv/stream.hpp"
#include "image_io.hpp"
#include "kernels.hpp"
#include "plot.hpp"
#include "signal_io.hpp"

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

// Whether IN is read as audio (by libsndfile): an audio file by its extension, or '-' (a stream).
bool is_audio_path_or_stdin(const std::string& path) {
#ifdef FFTCONV_HAVE_AUDIO
    return path == "-" || is_audio_path(path);
#else
    return path == "-";
#endif
}

#ifdef FFTCONV_HAVE_AUDIO
// --pcm FORMAT:RATE:CHANNELS: headerless samples, as ffmpeg's -f s16le -ar 48000 -ac 2 states them.
struct Pcm {
    int format = 0;  // libsndfile's SF_FORMAT_RAW | subtype | endianness; 0: not raw
    int rate = 0, channels = 0;
};

Pcm pcm_of(const Args& args) {
    if (!args.has("pcm")) return {};
    static const std::pair<const char*, int> formats[] = {
        {"u8", SF_FORMAT_PCM_U8},
        {"s8", SF_FORMAT_PCM_S8},
        {"s16le", SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE},
        {"s16be", SF_FORMAT_PCM_16 | SF_ENDIAN_BIG},
        {"s24le", SF_FORMAT_PCM_24 | SF_ENDIAN_LITTLE},
        {"s24be", SF_FORMAT_PCM_24 | SF_ENDIAN_BIG},
        {"s32le", SF_FORMAT_PCM_32 | SF_ENDIAN_LITTLE},
        {"s32be", SF_FORMAT_PCM_32 | SF_ENDIAN_BIG},
        {"f32le", SF_FORMAT_FLOAT | SF_ENDIAN_LITTLE},
        {"f32be", SF_FORMAT_FLOAT | SF_ENDIAN_BIG},
        {"f64le", SF_FORMAT_DOUBLE | SF_ENDIAN_LITTLE},
        {"f64be", SF_FORMAT_DOUBLE | SF_ENDIAN_BIG},
    };
    const std::string v = args.text("pcm");
    const auto bad = [&](const std::string& why) {
        return UsageError("--pcm " + v + ": " + why +
                          "; expected FORMAT:RATE:CHANNELS, e.g. s16le:48000:2 (formats u8, s8, s16le, s16be, s24le, "
                          "s24be, s32le, s32be, f32le, f32be, f64le, f64be)");
    };
    const std::size_t a = v.find(':'), b = a == std::string::npos ? a : v.find(':', a + 1);
    if (b == std::string::npos) throw bad("three fields separated by ':' needed");
    Pcm p;
    const std::string name = v.substr(0, a);
    for (const auto& [word, code] : formats)
        if (name == word) p.format = SF_FORMAT_RAW | code;
    if (!p.format) throw bad("unknown sample format '" + name + "'");
    try {
        std::size_t used = 0;
        p.rate = std::stoi(v.substr(a + 1, b - a - 1), &used);
        if (used != b - a - 1) throw std::invalid_argument("rate");
        p.channels = std::stoi(v.substr(b + 1), &used);
        if (used != v.size() - b - 1) throw std::invalid_argument("channels");
    } catch (const std::exception&) {
        throw bad("the rate and channel count must be whole numbers");
    }
    if (p.rate < 1 || p.rate > 100000000) throw bad("the rate must lie in [1, 100000000] Hz");
    if (p.channels < 1 || p.channels > 1024) throw bad("the channel count must lie in [1, 1024]");
    return p;
}
#endif

#ifdef FFTCONV_HAVE_AUDIO
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

// work(0) .. work(count - 1) on up to `threads` threads (--threads: the routing terms of a stereo or
// true-stereo reverb are independent streams); the first exception is rethrown.
void in_parallel(std::size_t count, int threads, const std::function<void(std::size_t)>& work) {
    const std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
    if (workers <= 1) {
        for (std::size_t i = 0; i < count; ++i) work(i);
        return;
    }
    std::vector<std::exception_ptr> failed(workers);
    const auto share = [&](std::size_t w) {
        try {
            for (std::size_t i = w; i < count; i += workers) work(i);
        } catch (...) {
            failed[w] = std::current_exception();
        }
    };
    std::vector<std::thread> helpers;
    for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(share, w);
    share(0);
    for (std::thread& t : helpers) t.join();
    for (const std::exception_ptr& e : failed)
        if (e) std::rethrow_exception(e);
}

// One routing term's StreamConvolver, in single precision when the output holds 16 bits or
// fewer: float's rounding (about 1e-6 of the result's scale over a long response) stays far
// below a 16-bit step (3e-5 of full scale), and float transforms and products take about half
// the time. Deeper and float outputs are computed in double.
class TermConvolver {
public:
    TermConvolver(std::span<const double> response, bool single) {
        if (single) {
            const std::vector<float> r(response.begin(), response.end());
            single_.emplace(std::span<const float>(r));
        } else {
            double_.emplace(response);
        }
    }
    void process(const double* in, double* out, std::size_t n) {
        if (double_) return double_->process(std::span<const double>(in, n), std::span<double>(out, n));
        in_.assign(in, in + n);
        out_.resize(n);
        single_->process(std::span<const float>(in_), std::span<float>(out_));
        std::copy(out_.begin(), out_.end(), out);
    }
    std::vector<double> flush() {
        if (double_) return double_->flush();
        const std::vector<float> tail = single_->flush();
        return {tail.begin(), tail.end()};
    }
    std::size_t latency() const { return double_ ? double_->latency() : single_->latency(); }
    std::size_t partition() const { return double_ ? double_->partition() : single_->partition(); }

private:
    std::optional<fftconv::StreamConvolver<float>> single_;
    std::optional<fftconv::StreamConvolver<double>> double_;
    std::vector<float> in_, out_;
};

// Streaming: the input read, convolved and written block by block (StreamConvolver, its latency
// dropped), in memory bounded by the response, whatever the input's length; '-' reads standard
// input and writes standard output.
int run_stream(const std::string& in_path, const Signal& h, const std::string& ir_path, const std::string& out_path,
               fftconv::Mode mode, double wet_gain, double dry, const Pcm& pcm, int rate, int threads) {
    std::FILE* info = out_path == "-" ? stderr : info_stream();
    SF_INFO in_info{};
    if (pcm.format) {  // headerless: libsndfile reads what the info says
        in_info.samplerate = pcm.rate;
        in_info.channels = pcm.channels;
        in_info.format = pcm.format;
    }
    const bool from_stdin = in_path == "-";
    const std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> in(from_stdin
                                                             ? sf_open_fd(STDIN_FILENO, SFM_READ, &in_info, SF_FALSE)
                                                             : sf_open(in_path.c_str(), SFM_READ, &in_info),
                                                         sf_close);
    const std::string in_name = from_stdin ? "standard input" : in_path;
    if (!in) throw ProcessError(in_name + ": cannot read it as audio (" + sf_strerror(nullptr) + ")");
    if (!pcm.format) check_complete(in.get(), in_name);
    if (in_info.channels <= 0) throw ProcessError(in_name + ": the stream has no channels");
    check_rate_option(rate, in_name, in_info.samplerate);
    (void)common_rate(in_name, in_info.samplerate, ir_path, h.rate);
    sf_command(in.get(), SFC_SET_NORM_DOUBLE, nullptr, SF_TRUE);
    const auto ci = static_cast<std::size_t>(in_info.channels), cr = h.channels.size();
    const Routing routing = route(ci, cr, in_name, ir_path);
    const std::size_t co = routing.outputs;
    // One StreamConvolver per routing term (no work on the zero responses a full input × output
    // matrix would hold). Each answers latency() samples late: those first samples are dropped
    // and the dry signal is delayed to match, so the file comes out aligned, as offline.
    Signal like;
    like.rate = in_info.samplerate;
    like.channels.assign(co, {});
    like.sf_format = in_info.format;
    const int format = out_path == "-" ? in_info.format : output_format(out_path, like);
    const int out_subtype = format & SF_FORMAT_SUBMASK;
    const bool single =
        out_subtype == SF_FORMAT_PCM_16 || out_subtype == SF_FORMAT_PCM_S8 || out_subtype == SF_FORMAT_PCM_U8;
    std::vector<TermConvolver> terms;
    for (const Routing::Term& t : routing.terms)
        terms.emplace_back(std::span<const double>(h.channels[t.response]), single);
    std::fprintf(info, "%s (%d Hz, %zu ch) ⊛ %s (%lld samples, %zu ch): %s, mode %s, streamed (partition %zu, %s)\n",
                 in_name.c_str(), in_info.samplerate, ci, ir_path.c_str(), static_cast<long long>(h.frames), cr,
                 routing.rule, fftconv::to_string(mode), terms.front().partition(),
                 single ? "float32 for a 16-bit or smaller output" : "float64");
    std::size_t clipped = 0;
    long long written = 0, taken = 0;
    const auto pump = [&](SNDFILE* out) {
        // Blocks of a partition or more: each term's work on a block is worth a thread.
        const std::size_t block = std::max<std::size_t>(4096, terms.front().partition());
        const std::size_t tail_length = terms.front().latency() + static_cast<std::size_t>(h.frames) - 1;
        const std::size_t most = std::max(block, tail_length);
        std::vector<double> inter(block * ci), result;
        std::vector<std::vector<double>> planar(ci, std::vector<double>(block)), wet(co, std::vector<double>(most));
        std::vector<std::vector<double>> term_out(terms.size(), std::vector<double>(block));
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
                    result[f * co + o] = v;
                }
            const auto c = static_cast<sf_count_t>(count);
            if (c && !write_frames(out, format, static_cast<int>(co), result.data(), c, clipped))
                throw ProcessError(std::string("writing the result failed (") + sf_strerror(out) + ")");
            written += static_cast<long long>(count);
        };
        for (;;) {
            const sf_count_t got =
                read_frames(in.get(), in_info.format, in_info.channels, inter.data(), static_cast<sf_count_t>(block));
            if (got <= 0) break;
            const auto n = static_cast<std::size_t>(got);
            taken += got;
            for (std::size_t f = 0; f < n; ++f)
                for (std::size_t c = 0; c < ci; ++c) planar[c][f] = inter[f * ci + c];
            for (auto& w : wet) std::fill_n(w.begin(), n, 0.0);
            in_parallel(terms.size(), threads, [&](std::size_t t) {
                terms[t].process(planar[routing.terms[t].input].data(), term_out[t].data(), n);
            });
            for (std::size_t t = 0; t < terms.size(); ++t)
                for (std::size_t f = 0; f < n; ++f) wet[routing.terms[t].output][f] += wet_gain * term_out[t][f];
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
    if (out_path == "-" && pcm.format) {
        // Raw samples in, raw samples out, in the same format.
        SF_INFO raw{};
        raw.samplerate = in_info.samplerate;
        raw.channels = static_cast<int>(co);
        raw.format = pcm.format;
        SNDFILE* out = sf_open_fd(STDOUT_FILENO, SFM_WRITE, &raw, SF_FALSE);
        if (!out) throw ProcessError(std::string("cannot write the result (") + sf_strerror(nullptr) + ")");
        sf_command(out, SFC_SET_CLIPPING, nullptr, SF_TRUE);
        pump(out);
        sf_close(out);
    } else if (out_path == "-" && ::lseek(STDOUT_FILENO, 0, SEEK_CUR) < 0 &&
               (format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV) {
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

#endif  // FFTCONV_HAVE_AUDIO

}  // namespace

int run_signal_conv(const Args& args) {
    args.expect_positional(3, 3, "IN IR OUT");
    for (const char* image_only : {"border", "cval", "correlate", "volume", "gray", "raw", "scale", "outdir", "ext"})
        if (args.has(image_only))
            throw UsageError(std::string("--") + image_only + " applies to images and arrays, not to signals");
    const std::string& in_path = args.positional()[0];
    const std::string& ir_path = args.positional()[1];
    const std::string& out_path = args.positional()[2];
    const Normalize normalize = args.choice<Normalize>(
        "normalize", {{"none", Normalize::none}, {"peak", Normalize::peak}, {"rms", Normalize::rms}}, Normalize::none);
    const double wet = args.number("wet", 1.0, -1e6, 1e6), dry = args.number("dry", 0.0, -1e6, 1e6);
    const int rate = rate_of(args);
    const bool text_in = in_path != "-" && !args.has("pcm") && !is_audio_path_or_stdin(in_path);
    // Audio keeps its timing: full, or same as the first IN-length samples of full (scipy's
    // centring would move the audio earlier by half the response). Text and .npy signals follow
    // scipy.signal: full, same (centred) or valid.
    const fftconv::Mode mode =
        text_in ? mode_of(args, fftconv::Mode::full)
                : args.choice<fftconv::Mode>("mode", {{"full", fftconv::Mode::full}, {"same", fftconv::Mode::same}},
                                             fftconv::Mode::full);
    for (const std::string& in : {in_path, ir_path})
        if (in != "-" && out_path != "-" && same_file(out_path, in))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + out_path + "')");
    if (out_path != "-") check_signal_output(out_path);  // before the work: an unknown extension fails now
    // An image: never the output, a signal file.
    const std::string plot_file = plot_path(args, {in_path, ir_path});

#ifdef FFTCONV_HAVE_AUDIO
    const bool audio_out = out_path == "-" || (!is_text_signal_path(out_path) && lower_extension(out_path) != ".npy");
    // Audio to audio streams block by block unless the whole result must be seen first
    // (--normalize, --plot): the same samples (up to rounding), in memory bounded by the response.
    const bool stream =
        args.has("stream") || (!text_in && audio_out && normalize == Normalize::none && plot_file.empty());
    if (stream) {
        if (text_in)
            throw UsageError("--stream reads audio (a file libsndfile reads, '-', or raw samples with --pcm); '" +
                             in_path + "' is a text or .npy signal");
        if (normalize != Normalize::none)
            throw UsageError(
                "--normalize needs the whole result before the first sample is written; not with --stream");
        if (!plot_file.empty()) throw UsageError("--plot draws the whole input and result; not with --stream");
        if (!audio_out)
            throw UsageError("--stream writes audio (a file by its extension, or '-'); got '" + out_path + "'");
        return run_stream(in_path, read_response(ir_path, rate, args), ir_path, out_path, mode, wet, dry, pcm_of(args),
                          rate, threads_of(args));
    }
#else
    if (args.has("stream") || args.has("pcm") || in_path == "-" || out_path == "-")
        throw UsageError(
            "streaming (--stream, --pcm, '-') reads and writes audio; this fftconv is built without "
            "libsndfile (-Daudio)");
#endif
    if (in_path == "-" || args.has("pcm"))
        throw UsageError(
            "standard input and --pcm are read as a stream: not with --normalize, --plot or a text output");

    const Signal x = read_signal(in_path, rate), h = read_response(ir_path, rate, args);
    Signal out;
    out.rate = common_rate(in_path, x.rate, ir_path, h.rate);
    if (out.rate <= 0 && !is_text_signal_path(out_path) && lower_extension(out_path) != ".npy")
        throw UsageError("output '" + out_path + "': an audio file needs a sample rate; give the input's with --rate");
    const std::size_t ci = x.channels.size(), cr = h.channels.size();
    const Routing routing = route(ci, cr, in_path, ir_path);
    const std::size_t co = routing.outputs;
    // Which samples of the full convolution are kept: [first, first + length).
    const std::ptrdiff_t n = x.frames, k = h.frames;
    std::ptrdiff_t first = 0, length = n + k - 1;
    if (mode == fftconv::Mode::same) {
        first = text_in ? (k - 1) / 2 : 0;
        length = n;
    } else if (mode == fftconv::Mode::valid) {
        first = std::min(n, k) - 1;
        length = std::max(n, k) - std::min(n, k) + 1;
    }
    out.frames = length;
    out.channels.assign(co, std::vector<double>(static_cast<std::size_t>(length), 0.0));
    for (const Routing::Term& t : routing.terms) {
        const std::vector<double> y =
            fftconv::convolve(std::span<const double>(x.channels[t.input]),
                              std::span<const double>(h.channels[t.response]), fftconv::Mode::full);
        for (std::ptrdiff_t i = 0; i < length; ++i)
            out.channels[t.output][static_cast<std::size_t>(i)] += wet * y[static_cast<std::size_t>(first + i)];
    }
    if (dry != 0)
        for (std::size_t o = 0; o < co; ++o) {
            // The dry input where it lies in the output: sample j of the input is output sample j - first.
            const auto& d = x.channels[routing.dry_source[o]];
            for (std::ptrdiff_t i = 0; i < length; ++i) {
                const std::ptrdiff_t j = first + i;
                if (j < n) out.channels[o][static_cast<std::size_t>(i)] += dry * d[static_cast<std::size_t>(j)];
            }
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
    std::fprintf(info_stream(), "%s (%s, %zu ch) ⊛ %s (%lld samples, %zu ch): %s, mode %s%s\n", in_path.c_str(),
                 out.rate > 0 ? (std::to_string(out.rate) + " Hz").c_str() : x.format.c_str(), ci, ir_path.c_str(),
                 static_cast<long long>(h.frames), cr, routing.rule, fftconv::to_string(mode),
                 gain != 1 ? (", gain " + std::to_string(20 * std::log10(gain)) + " dB").c_str() : "");
    const std::size_t clipped = write_signal(out_path, out, x);
    std::fprintf(info_stream(), "wrote %s (%lld frames, %zu channels)\n", out_path.c_str(),
                 static_cast<long long>(out.frames), co);
    if (clipped)
        std::fprintf(stderr,
                     "fftconv conv: warning: %zu samples beyond full scale were clipped (--normalize peak keeps them "
                     "in range)\n",
                     clipped);
    if (!plot_file.empty()) {
        // Input above, result below, on one time axis: output sample i is input time first + i.
        Plot plot;
        set_time_axis(plot, out.rate);
        const auto traces = [](const Signal& s, double at) {
            std::vector<Trace> t;
            for (std::size_t c = 0; c < s.channels.size(); ++c)
                t.push_back({s.channels.size() > 1 ? "channel " + std::to_string(c + 1) : "", s.channels[c], at});
            return t;
        };
        plot.panels.push_back({"input " + in_path, "amplitude", traces(x, 0), {}});
        plot.panels.push_back({"result " + out_path + " (" + fftconv::to_string(mode) + ")",
                               "amplitude",
                               traces(out, static_cast<double>(first)),
                               {}});
        write_plot(plot_file, plot);
        std::fprintf(info_stream(), "wrote %s\n", plot_file.c_str());
    }
    return 0;
}

}  // namespace app
