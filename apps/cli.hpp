// The command-line layer shared by every subcommand: option specs, parsing, help text, errors
// with their exit statuses, and the option values every subcommand understands.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fftconv/fftconv.hpp"

namespace app {

/// The command line is wrong (unknown option, missing argument, bad value): exit status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The command line was fine but the work failed (unreadable input, failed write): exit status 1.
struct ProcessError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;   // "sigma" for --sigma
    std::string value;  // what the value is called in the help ("S"); empty for a flag
    std::string help;
};

struct CommandSpec {
    std::string name;      // "blur"
    std::string synopsis;  // "IN OUT --sigma S [options]"
    std::string brief;     // a few words for the command list
    std::string summary;   // the help text's description
    std::vector<OptionSpec> options;
    std::string details;  // paragraphs after the options
    std::string example;  // one or more example command lines
};

/// The parsed command line of one subcommand.
class Args {
public:
    /// @throws UsageError  an unknown option (naming the closest known one), a missing value, a
    ///                     value given to a flag, an option given twice.
    Args(const CommandSpec& spec, const std::vector<std::string>& argv);

    const CommandSpec& spec() const { return *spec_; }
    const std::vector<std::string>& positional() const { return positional_; }
    bool help() const { return help_; }
    bool has(std::string_view name) const;
    std::string text(std::string_view name, const std::string& fallback = "") const;
    /// The option's value as a number within [lo, hi].  @throws UsageError  otherwise.
    double number(std::string_view name, double fallback, double lo, double hi) const;
    long integer(std::string_view name, long fallback, long lo, long hi) const;

    /// The option's value among `choices`.  @throws UsageError  listing the accepted values.
    template <class E>
    E choice(std::string_view name, const std::vector<std::pair<std::string, E>>& choices, E fallback) const {
        if (!has(name)) return fallback;
        const std::string v = text(name);
        std::string accepted;
        for (const auto& [word, value] : choices) {
            if (word == v) return value;
            accepted += (accepted.empty() ? "" : ", ") + word;
        }
        throw UsageError("--" + std::string(name) + " must be one of " + accepted + "; got '" + v + "'");
    }

    /// @throws UsageError  unless there are between min and max positional arguments.
    void expect_positional(std::size_t min, std::size_t max, const std::string& what) const;

private:
    const CommandSpec* spec_;
    std::vector<std::string> positional_;
    std::vector<std::pair<std::string, std::string>> options_;  // name, value ("" for flags)
    bool help_ = false;
};

/// The candidate nearest to `word` by edit distance (typos, swapped letters), or "" when none
/// is within two edits: for "did you mean" hints.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

/// "fftconv COMMAND: error: WHAT", one line; a WHAT that starts with the command's own name
/// (the library's "sobel: ksize ...") does not repeat it.
std::string error_line(const std::string& command, std::string what);

/// Flushes stdout; returns 0, or the errno of the first write to stdout that failed in this
/// process (a full disk, a closed pipe), so that the exit status can say so.
int flush_stdout();

/// The --help text of a subcommand.
std::string help_text(const CommandSpec& spec);

// Options several subcommands share, with their parsers.
OptionSpec method_option();
OptionSpec border_option(const char* fallback);
OptionSpec threads_option();
fftconv::Method method_of(const Args& args);
fftconv::Border border_of(const Args& args, fftconv::Border fallback);
/// lowpass's options: --cutoff (required), --shape (gaussian), --order (2), --highpass, --border (reflect).
struct FrequencyFilter {
    double cutoff;
    fftconv::FilterShape shape;
    int order;
    bool high;
    fftconv::Border border;
};
FrequencyFilter frequency_filter_of(const Args& args);
fftconv::Mode mode_of(const Args& args, fftconv::Mode fallback);
/// --memory's bytes: "2G", "512M", "1.5GiB", "300000000" (K, M, G and T are powers of 1024, with
/// or without "B" or "iB"); none without the option.  @throws UsageError  another value, or less
/// than 1 MiB.
std::optional<double> memory_of(const Args& args);
/// --threads N (0: one per core), at least 1.
int threads_of(const Args& args);
const char* name_of(fftconv::Border border);

}  // namespace app
