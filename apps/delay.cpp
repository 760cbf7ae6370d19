// fftconv delay: the delay between two recordings (MATLAB's finddelay; xcorr or GCC-PHAT).
#include "fftconv/delay.hpp"

#include <cstdio>
#include <span>

#include "commands.hpp"
#include "plot.hpp"
#include "signal_io.hpp"

namespace app {

namespace {

void report(const char* label, const fftconv::Delay& d, int rate, const char* method) {
    const std::string refined = rate > 0 ? " (" + seconds_text(d.samples, rate) + ")" : "";
    std::printf("%s%s; refined %.3f samples%s; %s score %.4g\n", label,
                samples_text(static_cast<double>(d.lag), rate).c_str(), d.samples, refined.c_str(), method, d.score);
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
    const std::string plot_file = plot_path(args, {pa, pb});
    const Signal a = read_signal(pa, rate_of(args)), b = read_signal(pb, rate_of(args));
    const int rate = common_rate(pa, a.rate, pb, b.rate);
    const long max_lag =
        args.has("max-lag") ? args.integer("max-lag", -1, 0, static_cast<long>(std::max(a.frames, b.frames))) : -1;
    // The picture: one panel per channel pair, the score at every lag with the delay marked.
    Plot plot;
    set_time_axis(plot, rate, "lag of B");
    std::vector<std::vector<double>> curves;  // the panels' traces point into these
    curves.reserve(std::max(a.channels.size(), b.channels.size()));
    const auto delay = [&](const std::vector<double>& x, const std::vector<double>& y, const std::string& title) {
        const std::span<const double> sx(x), sy(y);
        const fftconv::Delay d = fftconv::find_delay(sx, sy, max_lag, method);
        if (!plot_file.empty()) {
            curves.push_back(fftconv::delay_scores(sx, sy, method));
            const double first = -static_cast<double>(x.size() - 1);
            plot.panels.push_back({title,
                                   std::string(method_name) + " score",
                                   {{"", curves.back(), first}},
                                   {{d.samples * plot.x_scale, "delay " + samples_text(d.samples, rate)}}});
        }
        return d;
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
            const std::string title =
                (pairs > 1 ? "channel " + std::to_string(c + 1) + ": " : "") + pb + " against " + pa;
            report(label, delay(x, y, title), rate, method_name);
        }
    } else {
        report("channels mixed to mono: ", delay(a.mono(), b.mono(), pb + " against " + pa + ", mixed to mono"), rate,
               method_name);
    }
    if (!plot_file.empty()) write_plot(plot_file, plot);
    return 0;
}

}  // namespace

Command delay_command() {
    return {{"delay",
             "A B [--method xcorr|normalized|phat] [--max-lag N] [--plot FILE]",
             "the delay between two recordings (MATLAB's finddelay)",
             "The delay of B against A, in samples and seconds: the lag of the largest |cross-correlation| (the\n"
             "smallest lag among equals), refined to a fraction of a sample by band-limited interpolation. Audio\n"
             "files of any format libsndfile reads (WAV, FLAC, OGG, AIFF) at one sample rate, text (.csv, .tsv,\n"
             ".txt: a column per channel) or .npy ((frames,) or (frames, channels)); the delay in seconds too when\n"
             "the rate is known (audio, or --rate).",
             {{"method", "M",
               "xcorr (default): the cross-correlation; normalized: the same scored in [-1, 1]; phat: GCC-PHAT, "
               "every frequency weighted alike, for reverberant or coloured recordings"},
              {"max-lag", "N", "search lags within ±N samples only"},
              rate_option(),
              plot_option("the score at every lag, the delay marked, one panel per channel pair")},
             "Channels: files with equal channel counts are compared channel by channel; a mono file against each\n"
             "channel of the other; other counts are mixed to mono first.",
             "  fftconv delay mic1.wav mic2.wav --method phat\n"
             "  fftconv delay reference.flac recording.flac --max-lag 4800\n"
             "  fftconv delay a.csv b.csv --rate 1000 --plot lag.png"},
            run};
}

}  // namespace app
