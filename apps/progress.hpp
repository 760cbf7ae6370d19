// A progress bar with the time left, on standard error, for work long enough to wait for (an
// out-of-core convolution of a file larger than memory): redrawn in place on a terminal at most
// five times a second, or, with --progress on something else (a log file, a test), a line per
// tenth of the work.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace app {

class Progress {
public:
    /// `label` opens each line ("conv huge.tif"). Shown when standard error is a terminal or
    /// `always`.
    Progress(std::string label, bool always);
    /// After `done` of `total` units (elements) are finished.
    void update(std::ptrdiff_t done, std::ptrdiff_t total);
    /// Clears the bar from a terminal (also when the work fails: the destructor calls it); lines
    /// written to a file stay.
    void finish();
    ~Progress() { finish(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;
    /// Seconds since construction.
    double elapsed() const;

private:
    std::string label_;
    bool shown_ = false, terminal_ = false;
    std::chrono::steady_clock::time_point start_, last_;
    int tenth_ = 0;  // the tenths of the work reported so far (lines, off a terminal)
};

/// "0:42", "12:05", "3:02:11": a duration as clocks show it.
std::string clock_text(double seconds);

}  // namespace app
