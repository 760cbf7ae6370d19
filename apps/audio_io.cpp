#include "audio_io.hpp"

#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli.hpp"

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

std::vector<double> Audio::mono() const {
    std::vector<double> m(static_cast<std::size_t>(frames), 0.0);
    for (const auto& c : channels)
        for (std::size_t i = 0; i < m.size(); ++i) m[i] += c[i];
    for (double& v : m) v /= static_cast<double>(channels.size());
    return m;
}

Audio read_audio(const std::string& path) {
    SF_INFO info{};
    const std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> file(sf_open(path.c_str(), SFM_READ, &info), sf_close);
    if (!file) throw ProcessError(path + ": cannot read it as audio (" + sf_strerror(nullptr) + ")");
    // A file cut short: libsndfile reads what is there and notes the difference in its log
    // ("data : 96000 (should be 56)" for WAV, SSND for AIFF); refused, not read as a shorter
    // signal. A chunk longer than its header says (a writer that did not know the length) is read.
    char log[8192] = "";
    sf_command(file.get(), SFC_GET_LOG_INFO, log, sizeof log);
    for (const char* line = log; *line;) {
        const char* end = std::strchr(line, '\n');
        const std::string text(line, end ? end : line + std::strlen(line));
        long long declared = 0, actual = 0;
        char chunk[8] = "";
        if (std::sscanf(text.c_str(), "%7s : %lld (should be %lld)", chunk, &declared, &actual) == 3 &&
            (std::string(chunk) == "data" || std::string(chunk) == "SSND") && declared > actual)
            throw ProcessError(path + ": the file is cut short: its " + chunk + " chunk declares " +
                               std::to_string(declared) + " bytes and " + std::to_string(actual) + " are there");
        if (!end) break;
        line = end + 1;
    }
    if (info.channels <= 0) throw ProcessError(path + ": the file has no channels");
    if (info.frames <= 0) throw ProcessError(path + ": the file holds no samples");
    if (info.samplerate <= 0) throw ProcessError(path + ": the sample rate is " + std::to_string(info.samplerate));
    Audio a;
    a.rate = info.samplerate;
    a.frames = static_cast<std::ptrdiff_t>(info.frames);
    a.format = describe(info);
    a.channels.assign(static_cast<std::size_t>(info.channels),
                      std::vector<double>(static_cast<std::size_t>(info.frames)));
    // Float files: libsndfile returns the samples as stored, not clipped to ±1.
    sf_command(file.get(), SFC_SET_NORM_DOUBLE, nullptr, SF_TRUE);
    std::vector<double> chunk(static_cast<std::size_t>(info.channels) * 65536);
    sf_count_t done = 0;
    while (done < info.frames) {
        const sf_count_t want = std::min<sf_count_t>(65536, info.frames - done);
        const sf_count_t got = sf_readf_double(file.get(), chunk.data(), want);
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

std::string seconds_text(double samples, int rate) {
    const int digits = static_cast<int>(std::ceil(std::log10(static_cast<double>(rate)))) + 1;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f s", digits, samples / rate);
    return buf;
}

}  // namespace app
