// The audio commands end to end: fftconv delay and fftconv find on WAV and FLAC files written
// here with libsndfile, and audio files the tool must refuse (truncated, not audio, missing,
// mismatched rates) with one line and exit status 1.
#include <sndfile.h>

#include <random>

#include "apps_harness.hpp"

using namespace apps_test;

namespace {

// `channels` interleaved by frame, written as `format` (SF_FORMAT_WAV | SF_FORMAT_PCM_16, ...).
void write_audio(const std::string& path, const std::vector<std::vector<double>>& channels, int rate, int format) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = static_cast<int>(channels.size());
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    REQUIRE_MESSAGE(f != nullptr, sf_strerror(nullptr));
    std::vector<double> frames;
    for (std::size_t i = 0; i < channels[0].size(); ++i)
        for (const auto& c : channels) frames.push_back(c[i]);
    REQUIRE(sf_writef_double(f, frames.data(), static_cast<sf_count_t>(channels[0].size())) ==
            static_cast<sf_count_t>(channels[0].size()));
    sf_close(f);
}

std::vector<double> noise(std::size_t n, std::mt19937_64& rng, double scale) {
    std::normal_distribution<double> g(0, scale);
    std::vector<double> v(n);
    for (double& x : v) x = std::clamp(g(rng), -0.99, 0.99);
    return v;
}

std::vector<double> delayed(const std::vector<double>& x, std::size_t d, double noise_scale, std::mt19937_64& rng) {
    std::vector<double> y(x.size(), 0.0);
    const std::vector<double> n = noise(x.size(), rng, noise_scale);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = (i >= d ? x[i - d] : 0.0) + n[i];
    return y;
}

}  // namespace

TEST_CASE("fftconv delay: WAV and FLAC, every method, mono and per channel pair") {
    const Scratch s;
    std::mt19937_64 rng(1408);
    const std::vector<double> x = noise(48000, rng, 0.2), y = delayed(x, 37, 0.05, rng);
    write_audio(s / "a.wav", {x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "b.flac", {y}, 48000, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    for (const std::string method : {"xcorr", "normalized", "phat"}) {
        const Result r = run({"delay", s / "a.wav", s / "b.flac", "--method", method}, s);
        CAPTURE(r.err);
        CHECK(r.status == 0);
        CHECK(r.out.find("37 samples (0.000771 s at 48000 Hz)") != std::string::npos);
        CHECK(r.out.find(method + " score") != std::string::npos);
    }
    // The reverse pair: A lags B.
    CHECK(run({"delay", s / "b.flac", s / "a.wav"}, s).out.find("-37 samples") != std::string::npos);
    // Stereo against stereo, channel by channel: 37 on the left, 100 on the right.
    const std::vector<double> x2 = noise(48000, rng, 0.2), y2 = delayed(x2, 100, 0.05, rng);
    write_audio(s / "st_a.wav", {x, x2}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_audio(s / "st_b.wav", {y, y2}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const Result st = run({"delay", s / "st_a.wav", s / "st_b.wav"}, s);
    CHECK(st.status == 0);
    CHECK(st.out.find("channel 1: 37 samples") != std::string::npos);
    CHECK(st.out.find("channel 2: 100 samples") != std::string::npos);
    // --max-lag keeps the search inside ±N.
    const Result near = run({"delay", s / "a.wav", s / "b.flac", "--max-lag", "10"}, s);
    CHECK(near.status == 0);
    CHECK(near.out.find("37 samples") == std::string::npos);
}

TEST_CASE("fftconv find: three planted copies of a snippet, in seconds and samples, text and JSON") {
    const Scratch s;
    std::mt19937_64 rng(1409);
    std::vector<double> rec = noise(44100 * 2, rng, 0.05);
    const std::vector<double> word = noise(2000, rng, 0.3);
    for (const std::size_t at : {4410u, 44100u, 70000u})
        for (std::size_t i = 0; i < word.size(); ++i) rec[at + i] += word[i];
    write_audio(s / "rec.wav", {rec, rec}, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "word.wav", {word}, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    const Result r = run({"find", s / "rec.wav", s / "word.wav", "--top", "3"}, s);
    CAPTURE(r.err);
    CHECK(r.status == 0);
    for (const std::string at : {"0.100000 s (sample 4410)", "1.000000 s (sample 44100)", "(sample 70000)"})
        CHECK_MESSAGE(r.out.find(at) != std::string::npos, r.out);
    const Result j = run({"find", s / "rec.wav", s / "word.wav", "--top", "1", "--json"}, s);
    CHECK(j.status == 0);
    CHECK(j.out.rfind("[{\"sample\": ", 0) == 0);
    CHECK(j.out.find("]\n") != std::string::npos);
}

TEST_CASE("audio the tool refuses: one line naming the file, exit status 1") {
    const Scratch s;
    std::mt19937_64 rng(1410);
    const std::vector<double> x = noise(4800, rng, 0.2);
    write_audio(s / "a.wav", {x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "b44.wav", {x}, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    {
        std::ofstream cut(s / "cut.wav", std::ios::binary);
        const std::string whole = slurp(s / "a.wav");
        cut << whole.substr(0, 1000);
    }
    {
        std::ofstream text(s / "text.wav", std::ios::binary);
        text << "this is not audio\n";
    }
    const auto refused = [&](const std::vector<std::string>& args, const std::string& says) {
        const Result r = run(args, s);
        CAPTURE(r.err);
        CHECK(r.status == 1);
        CHECK(r.out.empty());  // nothing printed before the files are read
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(says) != std::string::npos);
    };
    refused({"delay", s / "a.wav", s / "cut.wav"},
            "cut.wav: the file is cut short: its data chunk declares 9600 bytes");
    refused({"delay", s / "a.wav", s / "text.wav"}, "text.wav: cannot read it as audio");
    refused({"delay", s / "a.wav", s / "missing.wav"}, "missing.wav: cannot read it as audio");
    refused({"delay", s / "a.wav", s / "b44.wav"}, "the sample rates differ: " + (s / "a.wav") + " is 48000 Hz");
    refused({"find", s / "a.wav", s / "b44.wav"}, "the sample rates differ");
    const Result usage = run({"delay", s / "a.wav"}, s);
    CHECK(usage.status == 2);
    const Result method = run({"delay", s / "a.wav", s / "a.wav", "--method", "gcc"}, s);
    CHECK(method.status == 2);
    CHECK(method.err.find("--method must be one of xcorr, normalized, phat") != std::string::npos);
}
