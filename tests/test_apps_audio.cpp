// The signal commands on audio end to end: delay, find and conv (reverb, streamed by default,
// raw PCM, five minutes through a pipe in bounded memory) on WAV and FLAC files written here with
// libsndfile, and audio files the tool must refuse (truncated, not audio, missing, zero channels,
// mismatched rates) with one line and exit status 1.
#include <sndfile.h>
#include <sys/resource.h>

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
    refused({"delay", s / "a.wav", s / "missing.wav"}, "missing.wav: no such file");
    refused({"delay", s / "a.wav", s / "b44.wav"}, "the sample rates differ: " + (s / "a.wav") + " is 48000 Hz");
    refused({"find", s / "a.wav", s / "b44.wav"}, "the sample rates differ");
    const Result usage = run({"delay", s / "a.wav"}, s);
    CHECK(usage.status == 2);
    const Result method = run({"delay", s / "a.wav", s / "a.wav", "--method", "gcc"}, s);
    CHECK(method.status == 2);
    CHECK(method.err.find("--method must be one of xcorr, normalized, phat") != std::string::npos);
}

namespace {

struct Read {
    int rate = 0, format = 0;
    std::vector<std::vector<double>> channels;
};

Read read_back(const std::string& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    REQUIRE_MESSAGE(f != nullptr, path << ": " << sf_strerror(nullptr));
    std::vector<double> all(static_cast<std::size_t>(info.frames * info.channels));
    REQUIRE(sf_readf_double(f, all.data(), info.frames) == info.frames);
    sf_close(f);
    Read r{info.samplerate, info.format, {}};
    r.channels.assign(static_cast<std::size_t>(info.channels), {});
    for (std::size_t i = 0; i < all.size(); ++i)
        r.channels[i % static_cast<std::size_t>(info.channels)].push_back(all[i]);
    return r;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

std::vector<double> conv_full(const std::vector<double>& x, const std::vector<double>& h) {
    return convolve(std::span<const double>(x), std::span<const double>(h), Mode::full);
}

}  // namespace

TEST_CASE(
    "fftconv conv on audio: reverb equal to convolve, the channel rules, mode same keeps the timing, "
    "the input's format, wet/dry and normalisation") {
    const Scratch s;
    std::mt19937_64 rng(1411);
    const std::vector<double> x = noise(20000, rng, 0.1), x2 = noise(20000, rng, 0.1);
    std::vector<double> ir = noise(3000, rng, 0.05);
    ir[0] = 1;
    const std::vector<double> ir2 = noise(3000, rng, 0.05);
    write_audio(s / "x.wav", {x}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_audio(s / "st.wav", {x, x2}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_audio(s / "ir.wav", {ir}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_audio(s / "ir2.wav", {ir, ir2}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_audio(s / "ir4.wav", {ir, ir2, ir2, ir}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);

    // Mono, full: the tail kept; a float input gives a float output, equal to convolve.
    Result r = run({"conv", s / "x.wav", s / "ir.wav", s / "out.wav"}, s);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    Read y = read_back(s / "out.wav");
    CHECK((y.format & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT);
    CHECK(max_diff(y.channels[0], conv_full(x, ir)) < 1e-6);

    // A mono input through a stereo response: two outputs.
    r = run({"conv", s / "x.wav", s / "ir2.wav", s / "out2.wav"}, s);
    REQUIRE(r.status == 0);
    y = read_back(s / "out2.wav");
    REQUIRE(y.channels.size() == 2);
    CHECK(max_diff(y.channels[1], conv_full(x, ir2)) < 1e-6);

    // True stereo, mode same: the first 20,000 samples of full, not scipy's centred part.
    r = run({"conv", s / "st.wav", s / "ir4.wav", s / "ts.wav", "--mode", "same"}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("true stereo") != std::string::npos);
    y = read_back(s / "ts.wav");
    std::vector<double> right = conv_full(x, ir2), from_right = conv_full(x2, ir);
    for (std::size_t k = 0; k < right.size(); ++k) right[k] += from_right[k];
    right.resize(20000);
    CHECK(max_diff(y.channels[1], right) < 1e-6);

    // Wet and dry, then peak normalisation to -0.09 dBFS; FLAC out (24-bit: FLAC holds no float).
    r = run({"conv", s / "x.wav", s / "ir.wav", s / "mix.flac", "--wet", "0.5", "--dry", "2", "--normalize", "peak"},
            s);
    REQUIRE(r.status == 0);
    y = read_back(s / "mix.flac");
    CHECK((y.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC);
    std::vector<double> mix = conv_full(x, ir);
    double peak = 0;
    for (std::size_t k = 0; k < mix.size(); ++k) {
        mix[k] = 0.5 * mix[k] + (k < x.size() ? 2 * x[k] : 0.0);
        peak = std::max(peak, std::abs(mix[k]));
    }
    for (double& v : mix) v *= 0.99 / peak;
    CHECK(max_diff(y.channels[0], mix) < 2.0 / (1 << 23));  // 24-bit FLAC: a unit or two of rounding

    // Past full scale into 16-bit: clipped, and a warning counts them.
    write_audio(s / "loud.wav", {std::vector<double>(5000, 0.9)}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    r = run({"conv", s / "loud.wav", s / "ir.wav", s / "loud_out.wav"}, s);
    CHECK(r.status == 0);
    CHECK(r.err.find("samples beyond full scale were clipped") != std::string::npos);
    CHECK((read_back(s / "loud_out.wav").format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16);
}

TEST_CASE("fftconv conv on audio refuses with one line and leaves files as they were") {
    const Scratch s;
    std::mt19937_64 rng(1412);
    const std::vector<double> x = noise(4000, rng, 0.1);
    write_audio(s / "x.wav", {x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "ir44.wav", {x}, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "three.wav", {x, x, x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "two.wav", {x, x}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    {
        std::ofstream keep(s / "keep.wav", std::ios::binary);
        keep << "an existing file";
    }
    const auto refused = [&](const std::vector<std::string>& args, int status, const std::string& says) {
        const Result r = run(args, s);
        CAPTURE(r.err);
        CHECK(r.status == status);
        CHECK(r.err.find(says) != std::string::npos);
        CHECK(slurp(s / "keep.wav") == "an existing file");
    };
    refused({"conv", s / "x.wav", s / "ir44.wav", s / "keep.wav"}, 1, "the sample rates differ");
    refused({"conv", s / "three.wav", s / "two.wav", s / "keep.wav"}, 1, "has 3 and the response");
    refused({"conv", s / "x.wav", s / "x.wav", s / "x.wav"}, 2, "refusing to write over the input");
    refused({"conv", s / "x.wav", s / "x.wav", s / "out.mp3"}, 2, "not an audio format fftconv writes");
    refused({"conv", s / "x.wav", s / "x.wav", s / "keep.wav", "--mode", "valid"}, 2,
            "--mode must be one of full, same");
    refused({"conv", s / "x.wav", s / "x.wav", s / "keep.wav", "--border", "reflect"}, 2,
            "--border applies to images and arrays");
    refused({"conv", s / "x.wav", "box:3", s / "keep.wav", "--rate", "44100"}, 2,
            "--rate 44100 differs from " + (s / "x.wav") + "'s own rate, 48000 Hz");
    refused({"conv", s / "x.wav", "box:3", s / "keep.wav", "--rate", "44100", "--normalize", "peak"}, 2,
            "--rate 44100 differs from " + (s / "x.wav") + "'s own rate, 48000 Hz");
    refused({"conv", s / "x.wav", "box:0", s / "keep.wav"}, 2, "box:0");
    refused({"conv", s / "x.wav", s / "x.wav", s / "keep.wav", "--plot", s / "keep.wav"}, 2,
            "OpenCV cannot write '.wav' files");
    refused({"conv", s / "x.wav", s / "x.wav", s / "keep.wav", "--plot", s / "p.png", "--stream"}, 2,
            "--plot draws the whole input and result; not with --stream");
    refused({"conv", camera, "box:3", s / "keep.png", "--wet", "0.5"}, 2, "--wet applies to signals");
    refused({"conv", camera, "box:3", s / "keep.png", "--plot", s / "p.png"}, 2, "--plot applies to signals");
    CHECK(!fs::exists(s / "p.png"));
    CHECK(!fs::exists(s / "out.mp3"));
}

TEST_CASE(
    "fftconv conv streams audio by default: equal to the whole-file result (--plot reads whole), to convolve within "
    "a 16-bit step, from files, standard input, raw PCM and through pipes") {
    const Scratch s;
    std::mt19937_64 rng(1413);
    const std::vector<double> x = noise(30000, rng, 0.1), x2 = noise(30000, rng, 0.1);
    std::vector<double> ir = noise(5000, rng, 0.03);
    ir[0] = 1;
    const std::vector<double> ir_right = noise(5000, rng, 0.03);
    write_audio(s / "st.wav", {x, x2}, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    write_audio(s / "ir.wav", {ir, ir_right}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{}, {"--mode", "same"}, {"--dry", "0.7", "--wet", "0.4"}}) {
        std::vector<std::string> whole{"conv", s / "st.wav", s / "ir.wav", s / "whole.wav", "--plot", s / "w.png"};
        std::vector<std::string> streamed{"conv", s / "st.wav", s / "ir.wav", s / "streamed.wav"};
        whole.insert(whole.end(), extra.begin(), extra.end());
        streamed.insert(streamed.end(), extra.begin(), extra.end());
        const Result w = run(whole, s);
        REQUIRE_MESSAGE(w.status == 0, w.err);
        CHECK(w.out.find("streamed") == std::string::npos);
        const Result r = run(streamed, s);
        REQUIRE_MESSAGE(r.status == 0, r.err);
        CHECK(r.out.find("streamed (partition") != std::string::npos);
        const Read a = read_back(s / "whole.wav"), b = read_back(s / "streamed.wav");
        REQUIRE(b.channels.size() == 2);
        // Streamed into 16 bits, in float; whole, in double: the same samples but where float's
        // rounding tips one over a rounding boundary, by one step.
        for (int c : {0, 1}) {
            CHECK(max_diff(a.channels[c], b.channels[c]) <= 1.0 / 32768);
            std::size_t differ = 0;
            for (std::size_t i = 0; i < a.channels[c].size(); ++i) differ += a.channels[c][i] != b.channels[c][i];
            CHECK(differ * 500 < a.channels[c].size());
        }
    }
    // A unit impulse gives back the 16-bit samples unchanged (a sample s reads as s / 32768 and
    // writes back as s), streamed and whole.
    REQUIRE(run({"conv", s / "st.wav", "1", s / "same.wav"}, s).status == 0);
    REQUIRE(run({"conv", s / "st.wav", "1", s / "same_whole.wav", "--normalize", "none", "--plot", s / "p.png"}, s)
                .status == 0);
    const Read original = read_back(s / "st.wav");
    for (const char* name : {"same.wav", "same_whole.wav"}) {
        CAPTURE(name);
        const Read back = read_back(s / name);
        CHECK(max_diff(back.channels[0], original.channels[0]) == 0);
        CHECK(max_diff(back.channels[1], original.channels[1]) == 0);
    }
    // Against convolve of the 16-bit samples as read: half a step of rounding, and float's error.
    const Read in = read_back(s / "st.wav");
    REQUIRE(run({"conv", s / "st.wav", s / "ir.wav", s / "streamed.wav"}, s).status == 0);
    const Read b = read_back(s / "streamed.wav");
    CHECK(max_diff(b.channels[0], conv_full(in.channels[0], ir)) <= 1.0 / 32768);
    CHECK(max_diff(b.channels[1], conv_full(in.channels[1], ir_right)) <= 1.0 / 32768);
    // The channels' convolvers on two threads: the same samples.
    REQUIRE(run({"conv", s / "st.wav", s / "ir.wav", s / "threads.wav", "--threads", "2"}, s).status == 0);
    const Read t = read_back(s / "threads.wav");
    CHECK(max_diff(t.channels[0], b.channels[0]) == 0);
    CHECK(max_diff(t.channels[1], b.channels[1]) == 0);

    // Raw PCM: the same samples without a header, in and out (s16le, 48 kHz, stereo).
    {
        const std::string wav = slurp(s / "st.wav");
        const std::size_t data = wav.find("data");
        REQUIRE(data != std::string::npos);
        write_bytes(s / "st.raw", wav.substr(data + 8));
    }
    const Result raw = run({"conv", "-", s / "ir.wav", "-", "--pcm", "s16le:48000:2"}, s, s / "st.raw", s / "out.raw");
    REQUIRE_MESSAGE(raw.status == 0, raw.err);
    const std::string raw_out = slurp(s / "out.raw");
    REQUIRE(raw_out.size() == (30000 + 5000 - 1) * 2 * 2);
    for (std::size_t i = 0; i < 200; ++i) {
        const std::size_t frame = i * 171;
        const auto sample = [&](std::size_t c) {
            const auto lo = static_cast<unsigned char>(raw_out[(frame * 2 + c) * 2]);
            const auto hi = static_cast<unsigned char>(raw_out[(frame * 2 + c) * 2 + 1]);
            return static_cast<std::int16_t>(lo | (hi << 8)) / 32768.0;
        };
        CHECK(sample(0) == b.channels[0][frame]);
        CHECK(sample(1) == b.channels[1][frame]);
    }
    const Result bad_pcm = run({"conv", "-", s / "ir.wav", "-", "--pcm", "s17le:48000:2"}, s, s / "st.raw");
    CHECK(bad_pcm.status == 2);
    CHECK(bad_pcm.err.find("--pcm s17le:48000:2: unknown sample format 's17le'") != std::string::npos);
    const Result pcm_rate = run({"conv", "-", s / "ir.wav", "-", "--pcm", "s16le:44100:2"}, s, s / "st.raw");
    CHECK(pcm_rate.status == 1);
    CHECK(pcm_rate.err.find("the sample rates differ") != std::string::npos);

    // Standard input to standard output (a file), then through real pipes: a WAV streamed with
    // its lengths unknown, which fftconv reads back.
    REQUIRE(run({"conv", s / "st.wav", s / "ir.wav", s / "full.wav"}, s).status == 0);
    REQUIRE(run({"conv", "-", s / "ir.wav", "-", "--stream"}, s, s / "st.wav", s / "stdout.wav").status == 0);
    CHECK(max_diff(read_back(s / "full.wav").channels[0], read_back(s / "stdout.wav").channels[0]) == 0);
    const std::string bin = std::getenv("FFTCONV_BIN");
    const std::string piped = "cat '" + s / "st.wav" + "' | '" + bin + "' conv - '" + s / "ir.wav" +
                              "' - --stream 2>/dev/null | cat > '" + s / "piped.wav" + "'";
    REQUIRE(std::system(piped.c_str()) == 0);
    const Result d = run({"delay", s / "stdout.wav", s / "piped.wav"}, s);
    CHECK(d.status == 0);
    CHECK(d.out.find("channel 1: 0 samples") != std::string::npos);
    CHECK(slurp(s / "piped.wav").substr(4, 4) == std::string("\xff\xff\xff\xff", 4));  // the length left unknown
    // What streaming cannot do.
    const Result n = run({"conv", s / "st.wav", s / "ir.wav", s / "n.wav", "--stream", "--normalize", "peak"}, s);
    CHECK(n.status == 2);
    CHECK(n.err.find("--normalize needs the whole result") != std::string::npos);
    CHECK(!fs::exists(s / "n.wav"));
    {
        std::ofstream cut(s / "cut.wav", std::ios::binary);
        cut << slurp(s / "st.wav").substr(0, 30000);
    }
    const Result c = run({"conv", s / "cut.wav", s / "ir.wav", s / "c.wav", "--stream"}, s);
    CHECK(c.status == 1);
    CHECK(c.err.find("cut.wav: the file is cut short") != std::string::npos);
    CHECK(!fs::exists(s / "c.wav"));
}

TEST_CASE("a WAV header stating zero channels is refused with one line naming the file") {
    const Scratch s;
    // RIFF/WAVE, a PCM fmt chunk of 0 channels at 48 kHz, 16-bit, and a data chunk of 4 bytes.
    const auto le = [](std::uint32_t v, int bytes) {
        std::string out;
        for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
        return out;
    };
    const std::string wav = "RIFF" + le(40, 4) + "WAVEfmt " + le(16, 4) + le(1, 2) + le(0, 2) + le(48000, 4) +
                            le(0, 4) + le(0, 2) + le(16, 2) + "data" + le(4, 4) + std::string(4, '\0');
    write_bytes(s / "none.wav", wav);
    write_bytes(s / "keep.wav", "an existing file");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"delay", s / "none.wav", s / "none.wav"},
                                                 {"conv", s / "none.wav", "0.5,0.5", s / "keep.wav"}}) {
        CAPTURE(args);
        const Result r = run(args, s);
        CHECK(r.status == 1);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(s / "none.wav") != std::string::npos);
    }
    CHECK(slurp(s / "keep.wav") == "an existing file");
}

TEST_CASE("five minutes of raw stereo PCM streamed through a pipe: every sample out, peak memory bounded") {
    const Scratch s;
    std::mt19937_64 rng(1414);
    std::vector<double> ir = noise(48000, rng, 0.01);  // 1 s
    ir[0] = 0.5;
    write_audio(s / "ir.wav", {ir}, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const std::size_t frames = 5 * 60 * 48000;  // 230 MB as doubles, were the input held whole
    int in[2];
    REQUIRE(pipe(in) == 0);
    const char* bin = std::getenv("FFTCONV_BIN");
    REQUIRE(bin != nullptr);
    std::vector<std::string> all{bin, "conv", "-", s / "ir.wav", "-", "--pcm", "s16le:48000:2"};
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addopen(&actions, 1, (s / "out.raw").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (s / "err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, bin, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    // Quiet noise, written in chunks as a recorder would deliver it.
    std::vector<std::int16_t> chunk(2 * 4800);
    std::uniform_int_distribution<int> u(-3000, 3000);
    for (std::size_t done = 0; done < frames; done += 4800) {
        for (auto& v : chunk) v = static_cast<std::int16_t>(u(rng));
        const char* p = reinterpret_cast<const char*>(chunk.data());
        std::size_t left = chunk.size() * sizeof(std::int16_t);
        while (left > 0) {
            const ssize_t n = write(in[1], p, left);
            if (n <= 0) FAIL("writing to fftconv's standard input failed");
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    close(in[1]);
    int status = 0;
    rusage usage{};
    REQUIRE(wait4(pid, &status, 0, &usage) == pid);
    CAPTURE(slurp(s / "err.txt"));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The full convolution: frames + 47,999 frames of 2 channels, 2 bytes each.
    CHECK(fs::file_size(s / "out.raw") == (frames + 48000 - 1) * 2 * 2);
    // ru_maxrss is in KiB: the process with its libraries and the response's partitions, far below
    // the 115 MB that half the input alone would take as doubles.
    MESSAGE("peak RSS of five minutes streamed: " << usage.ru_maxrss / 1024 << " MiB");
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's shadow memory and quarantine of freed blocks (174 MiB here) are not the
    // tool's own: the bound holds in the plain build.
#else
    CHECK(usage.ru_maxrss < 115 * 1024);
#endif
}
