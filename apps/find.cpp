// fftconv find: where a snippet occurs in a recording (1D template matching).
#include <cstdio>
#include <span>

#include "commands.hpp"
#include "fftconv/delay.hpp"
#include "plot.hpp"
#include "signal_io.hpp"

namespace app {

namespace {

int run(const Args& args) {
    args.expect_positional(2, 2, "RECORDING SNIPPET");
    const std::string& pr = args.positional()[0];
    const std::string& ps = args.positional()[1];
    const std::string plot_file = plot_path(args, {pr, ps});
    const Signal r = read_signal(pr, rate_of(args)), s = read_signal(ps, rate_of(args));
    const int rate = common_rate(pr, r.rate, ps, s.rate);
    if (s.frames > r.frames)
        throw ProcessError("the snippet " + ps + " (" + std::to_string(s.frames) + " samples) is longer than " + pr +
                           " (" + std::to_string(r.frames) + ")");
    const long top = args.integer("top", 5, 1, 1000000);
    const long apart = args.integer("min-distance", static_cast<long>(s.frames / 2), 0, static_cast<long>(r.frames));
    const std::vector<double> rec = r.mono(), snip = s.mono();
    const auto found = fftconv::find_snippet(std::span<const double>(rec), std::span<const double>(snip),
                                             static_cast<std::size_t>(top), apart);
    const bool json = args.has("json");
    if (json) std::printf("[");
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto& m = found[i];
        const double at = static_cast<double>(m.position);
        if (json && rate > 0)
            std::printf("%s{\"sample\": %lld, \"seconds\": %.9g, \"score\": %.6g}", i ? ", " : "",
                        static_cast<long long>(m.position), at / rate, m.score);
        else if (json)
            std::printf("%s{\"sample\": %lld, \"score\": %.6g}", i ? ", " : "", static_cast<long long>(m.position),
                        m.score);
        else if (rate > 0)
            std::printf("%zu. %s (sample %lld), score %.4f\n", i + 1, seconds_text(at, rate).c_str(),
                        static_cast<long long>(m.position), m.score);
        else
            std::printf("%zu. sample %lld, score %.4f\n", i + 1, static_cast<long long>(m.position), m.score);
    }
    if (json) std::printf("]\n");
    if (!plot_file.empty()) {
        // The recording above, the score at every position below, the positions found marked in both.
        const std::vector<double> scores =
            fftconv::snippet_scores(std::span<const double>(rec), std::span<const double>(snip));
        std::vector<Marker> marks;
        for (std::size_t i = 0; i < found.size(); ++i) {
            char label[48];
            std::snprintf(label, sizeof label, "%zu: %.3f", i + 1, found[i].score);
            marks.push_back({static_cast<double>(found[i].position), label});
        }
        Plot plot;
        set_time_axis(plot, rate);
        for (Marker& m : marks) m.x *= plot.x_scale;
        const std::string mixed = r.channels.size() > 1 ? " (channels mixed)" : "";
        plot.panels.push_back({pr + mixed, "amplitude", {{"", rec, 0}}, marks});
        plot.panels.push_back(
            {"where " + ps + " starts: its normalised correlation", "score", {{"", scores, 0}}, marks});
        write_plot(plot_file, plot);
    }
    return 0;
}

}  // namespace

Command find_command() {
    return {{"find",
             "RECORDING SNIPPET [--top 5] [--min-distance N] [--json] [--plot FILE]",
             "where a snippet occurs in a recording",
             "The positions where SNIPPET occurs in RECORDING, best first, scored by normalised correlation (1: an\n"
             "exact copy up to gain and offset; cv::matchTemplate's TM_CCOEFF_NORMED in 1D).",
             {{"top", "N", "how many positions to report; default 5"},
              {"min-distance", "N", "suppress positions within N samples of a better one; default half the snippet"},
              {"json", "", "print the positions as JSON (\"seconds\" only when the rate is known)"},
              rate_option(),
              plot_option("the recording and the score at every position, the positions found marked")},
             "Audio files at one sample rate, text (.csv, .tsv, .txt) or .npy signals (positions in seconds too\n"
             "when the rate is known: audio, or --rate); multichannel files are matched on the channels' mean.",
             "  fftconv find recording.wav word.wav --top 3 --plot found.png"},
            run};
}

}  // namespace app
