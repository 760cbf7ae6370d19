#include "conv_audio.hpp"

#include <cmath>
#include <cstdio>
#include <span>

#include "audio_io.hpp"
#include "fftconv/convolve.hpp"
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
    for (const std::string& in : {in_path, ir_path})
        if (same_file(out_path, in))
            throw UsageError("refusing to write over the input '" + in + "' (output '" + out_path + "')");

    const Audio x = read_audio(in_path), h = read_audio(ir_path);
    const int format = output_format(out_path, x);  // before the work: an unknown extension fails now
    if (x.rate != h.rate)
        throw ProcessError("the sample rates differ: " + in_path + " is " + std::to_string(x.rate) + " Hz, " + ir_path +
                           " " + std::to_string(h.rate) + " Hz (resample one of them first)");
    const std::size_t ci = x.channels.size(), cr = h.channels.size();
    // Channel rules: a mono response on every input channel; a mono input through every response
    // channel; equal counts pair up; 2 inputs with a 4-channel response are "true stereo" (the
    // response's channels: left→left, left→right, right→left, right→right).
    std::size_t co = 0;
    const char* rule = "";
    if (cr == 1) {
        co = ci;
        rule = ci == 1 ? "mono" : "the mono response on every channel";
    } else if (ci == 1) {
        co = cr;
        rule = "the mono input through every response channel";
    } else if (ci == cr) {
        co = ci;
        rule = "channel by channel";
    } else if (ci == 2 && cr == 4) {
        co = 2;
        rule = "true stereo (response channels LL, LR, RL, RR)";
    } else {
        throw ProcessError("channels: the input " + in_path + " has " + std::to_string(ci) + " and the response " +
                           ir_path + " " + std::to_string(cr) +
                           "; fftconv takes a mono response, a mono input, equal counts, or 2 inputs with a "
                           "4-channel true-stereo response");
    }
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
    for (std::size_t o = 0; o < co; ++o) {
        if (ci == 2 && cr == 4) {
            add(o, 0, o);      // left input → output o: LL or LR
            add(o, 1, 2 + o);  // right input → output o: RL or RR
        } else {
            add(o, ci == 1 ? 0 : o, cr == 1 ? 0 : o);
        }
        if (dry != 0) {
            const auto& d = x.channels[ci == 1 ? 0 : o];
            for (std::size_t k = 0; k < d.size(); ++k) out.channels[o][k] += dry * d[k];
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
