// Streaming speed: a 60 s, 44.1 kHz mono input through a 5 s response in blocks of 128 samples,
// one core, as an audio callback would feed it; the real-time factor and the worst block.
//   stream_bench [seconds [response_seconds [block [max_partition]]]]
// Rows: uniform partitions of the cost model's size and of the block's, and non-uniform ones from
// the block's size up to max_partition (default 16384); each without and with zero latency.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 60, response_seconds = argc > 2 ? std::atof(argv[2]) : 5;
    const std::size_t block = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 128;
    const std::size_t rate = 44100;
    const auto n = static_cast<std::size_t>(seconds * rate), taps = static_cast<std::size_t>(response_seconds * rate);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> x(n), h(taps), out(block);
    for (float& v : x) v = u(rng);
    for (std::size_t i = 0; i < taps; ++i)
        h[i] = u(rng) * std::exp(-6.9f * static_cast<float>(i) / static_cast<float>(taps));
    using clock = std::chrono::steady_clock;
    const std::size_t largest = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 16384;
    struct Row {
        std::size_t partition, max_partition;
    };
    for (const bool zero_latency : {false, true}) {
        for (const Row row : {Row{0, 0}, Row{block, 0}, Row{block, largest}}) {
            const std::size_t partition = row.partition;
            const auto built = clock::now();
            fftconv::StreamConvolver<float> s(
                h, {.partition = partition, .max_partition = row.max_partition, .zero_latency = zero_latency});
            const auto start = clock::now();
            double worst = 0;
            for (std::size_t at = 0; at + block <= n; at += block) {
                const auto t0 = clock::now();
                s.process(std::span<const float>(x.data() + at, block), out);
                worst = std::max(worst, std::chrono::duration<double>(clock::now() - t0).count());
            }
            const double total = std::chrono::duration<double>(clock::now() - start).count();
            std::printf(
                "%-13s partition %6zu%s: build %.1f ms, %.2f s for %.0f s of audio = %.0fx real time; worst "
                "block %.3f ms (a block lasts %.3f ms)\n",
                zero_latency ? "zero latency" : "latency", s.partition(),
                row.max_partition ? (" up to " + std::to_string(row.max_partition)).c_str() : " uniform",
                std::chrono::duration<double, std::milli>(start - built).count(), total, seconds, seconds / total,
                worst * 1e3, 1e3 * static_cast<double>(block) / rate);
        }
    }
}
