#include "cli.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <sstream>
#include <thread>

namespace app {

namespace {

const OptionSpec* find_option(const CommandSpec& spec, std::string_view name) {
    for (const OptionSpec& o : spec.options)
        if (o.name == name) return &o;
    return nullptr;
}

// The optimal string alignment distance: inserting, deleting or changing a character, or
// swapping two adjacent ones ("sigam" for "sigma"), costs 1 each.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // Up to two slips, and fewer than the word has letters (so "x" does not suggest "dx").
    std::string best;
    std::size_t best_distance = 3;
    for (const std::string& c : candidates)
        if (const std::size_t d = edit_distance(word, c); d < best_distance && d < word.size()) {
            best = c;
            best_distance = d;
        }
    return best;
}

Args::Args(const CommandSpec& spec, const std::vector<std::string>& argv) : spec_(&spec) {
    bool options_done = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (options_done || a.size() < 2 || a[0] != '-' || (a[1] != '-' && !std::isalpha(a[1]))) {
            positional_.push_back(a);  // "-" and negative numbers are values, not options
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        if (a == "--help" || a == "-h") {
            help_ = true;
            continue;
        }
        if (a[1] != '-') throw UsageError("unknown option " + a + " (options are spelled --name)");
        std::string name = a.substr(2), value;
        bool inline_value = false;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        const OptionSpec* o = find_option(spec, name);
        if (!o) {
            std::vector<std::string> names;
            for (const OptionSpec& known : spec.options) names.push_back(known.name);
            const std::string guess = closest(name, names);
            throw UsageError("unknown option --" + name + (guess.empty() ? "" : "; did you mean --" + guess + "?") +
                             " (see fftconv " + spec.name + " --help)");
        }
        if (o->value.empty()) {
            if (inline_value) throw UsageError("--" + name + " takes no value");
        } else if (!inline_value) {
            if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value: --" + name + " " + o->value);
            value = argv[++i];
        }
        // Every option is given once: a second value would silently replace the first.
        for (const auto& [seen, seen_value] : options_)
            if (seen == name)
                throw UsageError("--" + name + " is given twice" +
                                 (o->value.empty() ? "" : " ('" + seen_value + "' and '" + value + "')"));
        options_.emplace_back(name, value);
    }
}

bool Args::has(std::string_view name) const {
    return std::any_of(options_.begin(), options_.end(), [&](const auto& o) { return o.first == name; });
}

std::string Args::text(std::string_view name, const std::string& fallback) const {
    for (const auto& [n, value] : options_)
        if (n == name) return value;
    return fallback;
}

namespace {

// `text` read whole as an X within [lo, hi]; `kind` names what was expected ("a number").
template <class X>
X parse_in_range(std::string_view name, const std::string& text, X lo, X hi, const char* kind) {
    X x{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(static_cast<double>(x)))
        throw UsageError("--" + std::string(name) + " expects " + kind + ", got '" + text + "'");
    if (x < lo || x > hi) {
        std::ostringstream s;
        s << "--" << name << " must be between " << lo << " and " << hi << ", got " << text;
        throw UsageError(s.str());
    }
    return x;
}

}  // namespace

double Args::number(std::string_view name, double fallback, double lo, double hi) const {
    return has(name) ? parse_in_range(name, text(name), lo, hi, "a number") : fallback;
}

long Args::integer(std::string_view name, long fallback, long lo, long hi) const {
    return has(name) ? parse_in_range(name, text(name), lo, hi, "a whole number") : fallback;
}

void Args::expect_positional(std::size_t min, std::size_t max, const std::string& what) const {
    if (positional_.size() < min || positional_.size() > max)
        throw UsageError("expected " + what + ", got " + std::to_string(positional_.size()) + " argument" +
                         (positional_.size() == 1 ? "" : "s") + " (see fftconv " + spec_->name + " --help)");
}

std::string error_line(const std::string& command, std::string what) {
    if (what.starts_with(command + ": ")) what.erase(0, command.size() + 2);
    return "fftconv " + command + ": error: " + what;
}

int flush_stdout() {
    static std::atomic<int> first_error{0};
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        int expected = 0;
        first_error.compare_exchange_strong(expected, errno != 0 ? errno : EIO);
    }
    return first_error.load();
}

std::string help_text(const CommandSpec& spec) {
    std::ostringstream s;
    s << "usage: fftconv " << spec.name << " " << spec.synopsis << "\n\n" << spec.summary << "\n";
    if (!spec.options.empty()) {
        s << "\noptions:\n";
        for (const OptionSpec& o : spec.options) {
            std::string left = "  --" + o.name + (o.value.empty() ? "" : " " + o.value);
            if (left.size() < 26)
                left.resize(26, ' ');
            else
                left += "\n" + std::string(26, ' ');
            s << left << o.help << "\n";
        }
        s << "  --help                  this text\n";
    }
    if (!spec.details.empty()) s << "\n" << spec.details << "\n";
    s << "\nexample:\n" << spec.example << "\n";
    return s.str();
}

OptionSpec method_option() {
    return {"method", "M", "auto (default), direct or fft: how the convolutions are summed"};
}

OptionSpec border_option(const char* fallback) {
    return {"border", "B",
            std::string("constant, replicate, reflect, reflect101 or wrap (OpenCV's BORDER_*; scipy.ndimage's "
                        "nearest and mirror are replicate and reflect101); default ") +
                fallback};
}

OptionSpec threads_option() {
    return {"threads", "N", "process up to N files or channels at once (0: one per core; default 1)"};
}

fftconv::Method method_of(const Args& args) {
    using fftconv::Method;
    return args.choice<Method>("method",
                               {{"auto", Method::automatic},
                                {"automatic", Method::automatic},
                                {"direct", Method::direct},
                                {"fft", Method::fft}},
                               Method::automatic);
}

FrequencyFilter frequency_filter_of(const Args& args) {
    if (!args.has("cutoff")) throw UsageError("--cutoff is required (a fraction of the Nyquist frequency, e.g. 0.1)");
    using fftconv::FilterShape;
    return {args.number("cutoff", 0, 1e-6, 2),
            args.choice<FilterShape>("shape",
                                     {{"ideal", FilterShape::ideal},
                                      {"gaussian", FilterShape::gaussian},
                                      {"butterworth", FilterShape::butterworth}},
                                     FilterShape::gaussian),
            static_cast<int>(args.integer("order", 2, 1, 100)), args.has("highpass"),
            border_of(args, fftconv::Border::reflect)};
}

fftconv::Border border_of(const Args& args, fftconv::Border fallback) {
    using fftconv::Border;
    return args.choice<Border>("border",
                               {{"constant", Border::constant},
                                {"replicate", Border::replicate},
                                {"reflect", Border::reflect},
                                {"reflect101", Border::reflect101},
                                {"wrap", Border::wrap},
                                {"nearest", Border::nearest},
                                {"mirror", Border::mirror}},
                               fallback);
}

fftconv::Mode mode_of(const Args& args, fftconv::Mode fallback) {
    using fftconv::Mode;
    return args.choice<Mode>("mode", {{"full", Mode::full}, {"same", Mode::same}, {"valid", Mode::valid}}, fallback);
}

std::optional<double> memory_of(const Args& args) {
    if (!args.has("memory")) return std::nullopt;
    const std::string v = args.text("memory");
    std::size_t used = 0;
    double n = 0;
    try {
        n = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    std::string unit = v.substr(used);
    for (char& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    double scale = 0;
    if (unit.empty() || unit == "B") scale = 1;
    for (const auto& [prefix, s] :
         {std::pair<const char*, double>{"K", 0x1p10}, {"M", 0x1p20}, {"G", 0x1p30}, {"T", 0x1p40}})
        if (unit == prefix || unit == std::string(prefix) + "B" || unit == std::string(prefix) + "IB") scale = s;
    if (used == 0 || scale == 0 || !(n > 0) || !std::isfinite(n))
        throw UsageError("--memory takes a size such as 2G, 512M or 300000000 (bytes); got '" + v + "'");
    const double bytes = n * scale;
    if (bytes < 0x1p20)
        throw UsageError("--memory " + v + " is less than 1 MiB: too little for the program and any of its work");
    return bytes;
}

int threads_of(const Args& args) {
    const long n = args.integer("threads", 1, 0, 1024);
    return n == 0 ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : static_cast<int>(n);
}

const char* name_of(fftconv::Border border) {
    switch (border) {
        case fftconv::Border::constant: return "constant";
        case fftconv::Border::replicate: return "replicate";
        case fftconv::Border::reflect: return "reflect";
        case fftconv::Border::reflect101: return "reflect101";
        case fftconv::Border::wrap: return "wrap";
    }
    return "?";
}

}  // namespace app
