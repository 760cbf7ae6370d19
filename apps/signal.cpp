#include "signal.hpp"

#include <cmath>
#include <cstdio>

namespace app {

std::vector<double> Signal::mono() const {
    std::vector<double> m(static_cast<std::size_t>(frames), 0.0);
    for (const auto& c : channels)
        for (std::size_t i = 0; i < m.size(); ++i) m[i] += c[i];
    for (double& v : m) v /= static_cast<double>(channels.size());
    return m;
}

std::string seconds_text(double samples, int rate) {
    const int digits = static_cast<int>(std::ceil(std::log10(static_cast<double>(rate)))) + 1;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f s", digits, samples / rate);
    return buf;
}

std::string samples_text(double samples, int rate) {
    char buf[96];
    const bool whole = samples == std::floor(samples);
    std::snprintf(buf, sizeof buf, whole ? "%.0f samples" : "%.3f samples", samples);
    if (rate <= 0) return buf;
    return std::string(buf) + " (" + seconds_text(samples, rate) + " at " + std::to_string(rate) + " Hz)";
}

}  // namespace app
