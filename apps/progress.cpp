#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace app {

std::string clock_text(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    return text;
}

Progress::Progress(std::string label, bool always)
    : label_(std::move(label)),
      terminal_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {
    shown_ = terminal_ || always;
}

double Progress::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::ptrdiff_t done, std::ptrdiff_t total) {
    if (!shown_ || total <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    const double fraction = static_cast<double>(done) / static_cast<double>(total);
    const int tenth = static_cast<int>(fraction * 10);
    if (terminal_) {
        if (done < total && now - last_ < std::chrono::milliseconds(200)) return;
    } else if (tenth <= tenth_ && done < total) {
        return;
    }
    last_ = now;
    tenth_ = tenth;
    const double spent = elapsed();
    // The rate so far: tiles are alike, so the time left is the time per element times those left.
    const std::string left =
        fraction > 0 ? clock_text(spent * (1 - fraction) / fraction) + " left" : "time left unknown";
    constexpr int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '-');
    std::fprintf(stderr, "%s%s [%s] %3d%%  %s elapsed, %s%s", terminal_ ? "\r\033[K" : "", label_.c_str(), bar.c_str(),
                 static_cast<int>(fraction * 100), clock_text(spent).c_str(), left.c_str(), terminal_ ? "" : "\n");
    std::fflush(stderr);
}

void Progress::finish() {
    if (shown_ && terminal_ && last_ != start_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
}

}  // namespace app
