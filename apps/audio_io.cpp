#include "audio_io.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>

#include "cli.hpp"
#include "image_io.hpp"

namespace app {

namespace {

std::string describe(const SF_INFO& info) {
    SF_FORMAT_INFO major{}, sub{};
    major.format = info.format & SF_FORMAT_TYPEMASK;
    sub.format = info.format & SF_FORMAT_SUBMASK;
    sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major);
    sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub);
    return std::string(major.name ? major.name : "audio") + ", " + (sub.name ? sub.name : "?");
}

}  // namespace

void check_complete(SNDFILE* file, const std::string& path) {
    // A file cut short: libsndfile reads what is there and notes the difference in its log
    // ("data : 96000 (should be 56)" for WAV, SSND for AIFF); refused, not read as a shorter
    // signal. A chunk longer than its header says (a writer that did not know the length) is read.
    char log[8192] = "";
    sf_command(file, SFC_GET_LOG_INFO, log, sizeof log);
    for (const char* line = log; *line;) {
        const char* end = std::strchr(line, '\n');
        const std::string text(line, end ? end : line + std::strlen(line));
        long long declared = 0, actual = 0;
        char chunk[8] = "";
        if (std::sscanf(text.c_str(), "%7s : %lld (should be %lld)", chunk, &declared, &actual) == 3 &&
            (std::string(chunk) == "data" || std::string(chunk) == "SSND") && declared > actual &&
            declared < 0xFFFFFFF0LL)  // 0xFFFFFFFF: a streamed file whose length was not known
            throw ProcessError(path + ": the file is cut short: its " + chunk + " chunk declares " +
                               std::to_string(declared) + " bytes and " + std::to_string(actual) + " are there");
        if (!end) break;
        line = end + 1;
    }
}

Signal read_audio(const std::string& path) {
    SF_INFO info{};
    const std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> file(sf_open(path.c_str(), SFM_READ, &info), sf_close);
    if (!file) throw ProcessError(path + ": cannot read it as audio (" + sf_strerror(nullptr) + ")");
    check_complete(file.get(), path);
    if (info.channels <= 0) throw ProcessError(path + ": the file has no channels");
    if (info.frames <= 0) throw ProcessError(path + ": the file holds no samples");
    if (info.samplerate <= 0) throw ProcessError(path + ": the sample rate is " + std::to_string(info.samplerate));
    Signal a;
    a.rate = info.samplerate;
    a.frames = static_cast<std::ptrdiff_t>(info.frames);
    a.format = describe(info);
    a.sf_format = info.format;
    a.channels.assign(static_cast<std::size_t>(info.channels),
                      std::vector<double>(static_cast<std::size_t>(info.frames)));
    // Float files: libsndfile returns the samples as stored, not clipped to ±1.
    sf_command(file.get(), SFC_SET_NORM_DOUBLE, nullptr, SF_TRUE);
    std::vector<double> chunk(static_cast<std::size_t>(info.channels) * 65536);
    sf_count_t done = 0;
    while (done < info.frames) {
        const sf_count_t want = std::min<sf_count_t>(65536, info.frames - done);
        const sf_count_t got = read_frames(file.get(), info.format, info.channels, chunk.data(), want);
        if (got <= 0)
            throw ProcessError(path + ": the file ends after " + std::to_string(done) + " of the " +
                               std::to_string(info.frames) + " frames its header announces");
        for (sf_count_t f = 0; f < got; ++f)
            for (int c = 0; c < info.channels; ++c)
                a.channels[static_cast<std::size_t>(c)][static_cast<std::size_t>(done + f)] =
                    chunk[static_cast<std::size_t>(f * info.channels + c)];
        done += got;
    }
    return a;
}

namespace {

struct Kind {
    const char* ext;
    int major;
    int subtype;  // when the input is of another kind
};
constexpr Kind kinds[] = {
    {".wav", SF_FORMAT_WAV, SF_FORMAT_PCM_16},   {".flac", SF_FORMAT_FLAC, SF_FORMAT_PCM_24},
    {".ogg", SF_FORMAT_OGG, SF_FORMAT_VORBIS},   {".oga", SF_FORMAT_OGG, SF_FORMAT_VORBIS},
    {".aif", SF_FORMAT_AIFF, SF_FORMAT_PCM_24},  {".aiff", SF_FORMAT_AIFF, SF_FORMAT_PCM_24},
    {".aifc", SF_FORMAT_AIFF, SF_FORMAT_PCM_24}, {".au", SF_FORMAT_AU, SF_FORMAT_PCM_16},
    {".caf", SF_FORMAT_CAF, SF_FORMAT_PCM_24},   {".w64", SF_FORMAT_W64, SF_FORMAT_PCM_24},
    {".rf64", SF_FORMAT_RF64, SF_FORMAT_PCM_24},
};

}  // namespace

bool is_audio_path(const std::string& path) {
    const std::string e = lower_extension(path);
    return std::any_of(std::begin(kinds), std::end(kinds), [&](const Kind& k) { return e == k.ext; });
}

int output_format(const std::string& path, const Signal& like) {
    const std::string e = lower_extension(path);
    for (const Kind& k : kinds) {
        if (e != k.ext) continue;
        SF_INFO probe{};
        probe.samplerate = like.rate;
        probe.channels = static_cast<int>(like.channels.size());
        probe.format = k.major | (like.sf_format & SF_FORMAT_SUBMASK);
        if (sf_format_check(&probe)) return probe.format;  // the input's sample format, if this kind holds it
        return k.major | k.subtype;
    }
    throw UsageError("output '" + path +
                     "': not an audio format fftconv writes (.wav, .flac, .ogg, .aiff, .au, .caf, "
                     ".w64, .rf64)");
}

std::size_t write_audio(const std::string& path, const Signal& a, int format) {
    std::size_t clipped = 0;
    write_atomically(
        path,
        [&](const std::string& tmp) {
            SF_INFO info{};
            info.samplerate = a.rate;
            info.channels = static_cast<int>(a.channels.size());
            info.format = format;
            SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
            if (!f) throw ProcessError(sf_strerror(nullptr));
            std::vector<double> chunk;
            const std::size_t ch = a.channels.size();
            bool ok = true;
            for (std::ptrdiff_t done = 0; done < a.frames && ok;) {
                const std::ptrdiff_t n = std::min<std::ptrdiff_t>(65536, a.frames - done);
                chunk.resize(static_cast<std::size_t>(n) * ch);
                for (std::ptrdiff_t f2 = 0; f2 < n; ++f2)
                    for (std::size_t c = 0; c < ch; ++c)
                        chunk[static_cast<std::size_t>(f2) * ch + c] =
                            a.channels[c][static_cast<std::size_t>(done + f2)];
                ok = write_frames(f, format, info.channels, chunk.data(), n, clipped);
                done += n;
            }
            const std::string why = ok ? "" : sf_strerror(f);
            ok = sf_close(f) == 0 && ok;
            if (!ok) throw ProcessError(why.empty() ? "the write failed" : why);
            return true;
        },
        lower_extension(path));
    return clipped;
}

namespace {

bool is_pcm16(int format) {
    return (format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16;
}

}  // namespace

long long read_frames(SNDFILE* file, int format, int channels, double* out, long long frames) {
    if (!is_pcm16(format)) return sf_readf_double(file, out, frames);
    // libsndfile hands 16-bit samples over as they are stored; the loop below vectorises, where
    // its own conversion to double did not (a fifth of a streamed reverb's time).
    thread_local std::vector<short> raw;
    raw.resize(static_cast<std::size_t>(frames * channels));
    const sf_count_t got = sf_readf_short(file, raw.data(), frames);
    const auto n = static_cast<std::size_t>(std::max<sf_count_t>(got, 0) * channels);
    for (std::size_t i = 0; i < n; ++i) out[i] = raw[i] * (1.0 / 32768);
    return got;
}

bool write_frames(SNDFILE* file, int format, int channels, const double* in, long long frames, std::size_t& clipped) {
    const int subtype = format & SF_FORMAT_SUBMASK;
    const auto n = static_cast<std::size_t>(frames * channels);
    if (!is_pcm16(format)) {
        if (subtype != SF_FORMAT_FLOAT && subtype != SF_FORMAT_DOUBLE)
            for (std::size_t i = 0; i < n; ++i) clipped += std::abs(in[i]) > 1.0;
        sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);  // saturate, never wrap around
        return sf_writef_double(file, in, frames) == frames;
    }
    thread_local std::vector<short> raw;
    raw.resize(n);
    // Round to nearest, ties to even, as lrint does, by the 1.5 · 2^52 addition (exact for
    // |s| < 2^51); written so that the compiler vectorises it. NaN saturates to −32768.
    constexpr double magic = 6755399441055744.0;
    std::size_t over = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double s = in[i] * 32768.0;
        over += !(s < 32767.5 && s >= -32768.5);
        s = s > 32767.0 ? 32767.0 : s;
        s = s >= -32768.0 ? s : -32768.0;
        raw[i] = static_cast<short>((s + magic) - magic);
    }
    clipped += over;
    return sf_writef_short(file, raw.data(), frames) == frames;
}

}  // namespace app
