// fftconv find: where a snippet occurs in a recording (1D template matching).
#include <cstdio>
#include <span>

#include "audio_io.hpp"
#include "commands.hpp"
#include "fftconv/delay.hpp"

namespace app {

namespace {

int run(const Args& args) {
    args.expect_positional(2, 2, "RECORDING SNIPPET");
    const std::string& pr = args.positional()[0];
    const std::string& ps = args.positional()[1];
    const Audio r = read_audio(pr), s = read_audio(ps);
    check_same_rate(pr, r.rate, ps, s.rate);
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
        if (json)
            std::printf("%s{\"sample\": %lld, \"seconds\": %.9g, \"score\": %.6g}", i ? ", " : "",
                        static_cast<long long>(m.position), at / r.rate, m.score);
        else
            std::printf("%zu. %s (sample %lld), score %.4f\n", i + 1, seconds_text(at, r.rate).c_str(),
                        static_cast<long long>(m.position), m.score);
    }
    if (json) std::printf("]\n");
    return 0;
}

}  // namespace

Command find_command() {
    return {{"find",
             "RECORDING SNIPPET [--top 5] [--min-distance N] [--json]",
             "where a snippet occurs in a recording",
             "The positions where SNIPPET occurs in RECORDING, best first, scored by normalised correlation (1: an\n"
             "exact copy up to gain and offset; cv::matchTemplate's TM_CCOEFF_NORMED in 1D).",
             {{"top", "N", "how many positions to report; default 5"},
              {"min-distance", "N", "suppress positions within N samples of a better one; default half the snippet"},
              {"json", "", "print the positions as JSON"}},
             "Both files at one sample rate; multichannel files are matched on the channels' mean.",
             "  fftconv find recording.wav word.wav --top 3"},
            run};
}

}  // namespace app
