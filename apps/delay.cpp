// fftconv delay: the delay between two recordings (MATLAB's finddelay; xcorr or GCC-PHAT).
#include "fftconv/delay.hpp"

#include <cstdio>
#include <span>

#include "audio_io.hpp"
#include "commands.hpp"

namespace app {

namespace {

void report(const char* label, const fftconv::Delay& d, int rate, const char* method) {
    std::printf("%s%lld samples (%s at %d Hz); refined %.3f samples (%s); %s score %.4g\n", label,
                static_cast<long long>(d.lag), seconds_text(static_cast<double>(d.lag), rate).c_str(), rate, d.samples,
                seconds_text(d.samples, rate).c_str(), method, d.score);
}

int run(const Args& args) {
    args.expect_positional(2, 2, "A B");
    const auto method = args.choice<fftconv::DelayMethod>("method",
                                                          {{"xcorr", fftconv::DelayMethod::xcorr},
                                                           {"normalized", fftconv::DelayMethod::normalized},
                                                           {"phat", fftconv::DelayMethod::phat}},
                                                          fftconv::DelayMethod::xcorr);
    const char* method_name = method == fftconv::DelayMethod::xcorr        ? "xcorr"
                              : method == fftconv::DelayMethod::normalized ? "normalized"
                                                                           : "phat";
    const std::string& pa = args.positional()[0];
    const std::string& pb = args.positional()[1];
    const Audio a = read_audio(pa), b = read_audio(pb);
    check_same_rate(pa, a.rate, pb, b.rate);
    const long max_lag =
        args.has("max-lag") ? args.integer("max-lag", -1, 0, static_cast<long>(std::max(a.frames, b.frames))) : -1;
    const auto delay = [&](const std::vector<double>& x, const std::vector<double>& y) {
        return fftconv::find_delay(std::span<const double>(x), std::span<const double>(y), max_lag, method);
    };
    std::printf("delay of %s against %s (positive: B lags A)\n", pb.c_str(), pa.c_str());
    const std::size_t ca = a.channels.size(), cb = b.channels.size();
    if (ca == 1 || cb == 1 || ca == cb) {
        // Channel pairs: equal counts pair up; a mono file meets every channel of the other.
        const std::size_t pairs = std::max(ca, cb);
        for (std::size_t c = 0; c < pairs; ++c) {
            const auto& x = a.channels[ca == 1 ? 0 : c];
            const auto& y = b.channels[cb == 1 ? 0 : c];
            char label[64] = "";
            if (pairs > 1) std::snprintf(label, sizeof label, "channel %zu: ", c + 1);
            report(label, delay(x, y), a.rate, method_name);
        }
    } else {
        report("channels mixed to mono: ", delay(a.mono(), b.mono()), a.rate, method_name);
    }
    return 0;
}

}  // namespace

Command delay_command() {
    return {{"delay",
             "A B [--method xcorr|normalized|phat] [--max-lag N]",
             "the delay between two recordings (MATLAB's finddelay)",
             "The delay of B against A, in samples and seconds: the lag of the largest |cross-correlation| (the\n"
             "smallest lag among equals), refined to a fraction of a sample by band-limited interpolation. Audio\n"
             "files of any format libsndfile reads (WAV, FLAC, OGG, AIFF), at one sample rate.",
             {{"method", "M",
               "xcorr (default): the cross-correlation; normalized: the same scored in [-1, 1]; phat: GCC-PHAT, "
               "every frequency weighted alike, for reverberant or coloured recordings"},
              {"max-lag", "N", "search lags within ±N samples only"}},
             "Channels: files with equal channel counts are compared channel by channel; a mono file against each\n"
             "channel of the other; other counts are mixed to mono first.",
             "  fftconv delay mic1.wav mic2.wav --method phat\n"
             "  fftconv delay reference.flac recording.flac --max-lag 4800"},
            run};
}

}  // namespace app
