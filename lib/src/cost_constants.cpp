#include "cost_constants.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <forward_list>
#include <fstream>
#include <limits>
#include <locale>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "fftconv/settings.hpp"

namespace fftconv {

namespace detail {

namespace {

// The first line of a calibration file, and its version: a file of another format is refused.
constexpr const char* file_header = "fftconv cost model 1";

std::atomic<const CostModel*> active{nullptr};
std::once_flag autoload;

std::size_t index(ElementType type) {
    switch (type) {
        case ElementType::float32: return 0;
        case ElementType::float64: return 1;
        case ElementType::complex64: return 2;
        case ElementType::complex128: break;
    }
    return 3;
}

bool load_file(const std::string& path);

// Loads calibration_path() when it exists and fits this machine; anything else leaves the
// built-in constants (a cache that cannot be used is passed over, as a stale wisdom file is).
void load_default() {
    try {
        const std::string path = calibration_path();
        if (!path.empty()) (void)load_file(path);
    } catch (const std::exception&) {  // an unreadable, foreign or broken file
    }
}

}  // namespace

const CostModel& builtin_cost_model() {
    // Fitted by `tests/bench/calibrate` (least squares on relative error) to 53 direct and 57 FFT
    // timings per type (same-mode 1D and 2D convolutions around the crossover, and large 2D FFTs):
    // one core of a 2-core Intel Xeon VM (2 MiB L2 per core), g++ 12 -O3, the AVX2+FMA direct
    // loops, Debian's FFTW 3.3.10 with FFTW_ESTIMATE plans, 2D transforms by rows and column
    // blocks. The first touch of fresh memory measured 0.6 ms per MiB there on a quiet day, 4.5
    // (17–22 µs per 4 KiB page) when the host was loaded; 1.6 sits between: at it, 2048² ⊛ 127²
    // in float takes 386² tiles (21 MiB touched for an 18 MiB result, against 58 MiB for one
    // transform), which measured as fast as one transform at 0.6 ms per MiB and faster above it.
    static const CostModel model{
        // The direct sum's fixed cost was not fitted then (0): calibrate() fits it.
        //  mac       call      fft_fixed  fft_nlogn  fft_nlogn_2d  fft_spill  fft_tile  direct_fixed
        {{{7.37e-11, 4.45e-9, 5.73e-7, 1.63e-10, 1.35e-10, 1.72e-11, 4e-9, 0},
          {1.39e-10, 4.05e-9, 6.42e-7, 1.87e-10, 1.60e-10, 4.96e-11, 9e-9, 0},
          {2.26e-10, 2.92e-9, 6.93e-7, 2.13e-10, 2.01e-10, 3.51e-11, 7e-9, 0},
          {4.43e-10, 2.16e-9, 3.88e-7, 3.45e-10, 2.69e-10, 8.88e-11, 17e-9, 0}}},
        1.6e-3 / (1024.0 * 1024.0),
        "built in"};
    return model;
}

const CostModel& active_cost_model() {
    std::call_once(autoload, load_default);
    const CostModel* m = active.load(std::memory_order_acquire);
    return m != nullptr ? *m : builtin_cost_model();
}

const CostConstants& cost_constants(ElementType type) {
    return active_cost_model().types[index(type)];
}

void install_cost_model(const CostModel& model) {
    // Every model installed stays for the process, in a list reachable from here: calls running
    // on another thread may hold references to an older one. A model is a few hundred bytes, and
    // a process installs one per calibrate or load call.
    static std::mutex mutex;
    static auto* const installed = new std::forward_list<CostModel>;
    std::scoped_lock lock(mutex);
    installed->push_front(model);
    active.store(&installed->front(), std::memory_order_release);
}

std::string machine_name() {
    std::string cpu = "unknown CPU";
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            const auto name = colon == std::string::npos ? colon : line.find_first_not_of(' ', colon + 1);
            if (name != std::string::npos) cpu = line.substr(name);
            break;
        }
    return cpu + " / " + simd_instruction_set();
}

}  // namespace detail

std::string calibration_path() {
    if (const char* env = std::getenv("FFTCONV_CALIBRATION"); env != nullptr && *env != '\0')
        return std::string(env) == "none" ? std::string() : std::string(env);
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
        return std::string(xdg) + "/fftconv/calibration.txt";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return std::string(home) + "/.cache/fftconv/calibration.txt";
    return {};
}

void save_calibration(const CostModel& model, const std::string& path) {
    if (path.empty())
        throw InvalidArgument(
            "save_calibration: no path (FFTCONV_CALIBRATION is none, or it, XDG_CACHE_HOME and HOME are unset)");
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    // A temporary name of this process and thread, renamed into place: a reader never sees half a
    // file, and two calibrations at once each write their own.
    const std::string temp = path + ".tmp" + std::to_string(::getpid()) + "." +
                             std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    {
        std::ofstream out(temp, std::ios::trunc);
        out.imbue(std::locale::classic());  // "1.6e-09" whatever the program's locale
        out << detail::file_header << "\n";
        out << "machine " << model.machine << "\n";
        out.precision(std::numeric_limits<double>::max_digits10);  // read back exactly
        out << "fresh_byte " << model.fresh_byte << "\n";
        const char* names[4] = {"float32", "float64", "complex64", "complex128"};
        for (std::size_t i = 0; i < 4; ++i) {
            const CostModel::Type& t = model.types[i];
            out << names[i] << " " << t.mac << " " << t.call << " " << t.fft_fixed << " " << t.fft_nlogn << " "
                << t.fft_nlogn_2d << " " << t.fft_spill << " " << t.fft_tile << " " << t.direct_fixed << "\n";
        }
        out.close();
        if (!out) {
            std::filesystem::remove(temp, ec);
            throw BackendError("save_calibration: cannot write '" + path + "'");
        }
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        throw BackendError("save_calibration: cannot write '" + path + "': " + ec.message());
    }
}

namespace detail {
namespace {

bool load_file(const std::string& path) {
    std::error_code ec;
    if (path.empty() || !std::filesystem::exists(path, ec)) return false;
    std::ifstream in(path);
    if (!in) throw BackendError("load_calibration: cannot read '" + path + "'");
    in.imbue(std::locale::classic());
    const auto bad = [&](int line, const std::string& why) {
        return BackendError("load_calibration: '" + path + "' line " + std::to_string(line) + ": " + why);
    };
    const auto incomplete = [&](const std::string& why) {
        return BackendError("load_calibration: '" + path + "' ends without " + why);
    };
    CostModel model;
    std::string line;
    if (!std::getline(in, line) || line != detail::file_header)
        throw bad(1, "expected \"" + std::string(detail::file_header) + "\"");
    if (!std::getline(in, line) || line.rfind("machine ", 0) != 0) throw bad(2, "expected \"machine NAME\"");
    model.machine = line.substr(8);
    if (model.machine != detail::machine_name())
        throw BackendError("load_calibration: '" + path + "' was measured on " + model.machine + ", this machine is " +
                           detail::machine_name() + "; run `fftconv calibrate` here");
    const char* names[4] = {"float32", "float64", "complex64", "complex128"};
    bool seen[4] = {false, false, false, false}, fresh = false;
    for (int number = 3; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        std::istringstream words(line);
        words.imbue(std::locale::classic());
        std::string key;
        words >> key;
        const auto positive = [](double v) { return v >= 0 && v < 1; };
        // Nothing may follow a line's numbers.
        const auto ended = [&] { return (words >> std::ws).eof(); };
        if (key == "fresh_byte") {
            if (fresh) throw bad(number, "a second fresh_byte line");
            if (!(words >> model.fresh_byte) || !positive(model.fresh_byte) || !ended())
                throw bad(number, "a bad fresh_byte value");
            fresh = true;
            continue;
        }
        std::size_t i = 0;
        while (i < 4 && key != names[i]) ++i;
        if (i == 4) throw bad(number, "unknown key '" + key + "'");
        if (seen[i]) throw bad(number, "a second line for " + key);
        CostModel::Type& t = model.types[i];
        if (!(words >> t.mac >> t.call >> t.fft_fixed >> t.fft_nlogn >> t.fft_nlogn_2d >> t.fft_spill >> t.fft_tile >>
              t.direct_fixed) ||
            !ended())
            throw bad(number, "expected eight numbers after " + key);
        for (double v :
             {t.mac, t.call, t.fft_fixed, t.fft_nlogn, t.fft_nlogn_2d, t.fft_spill, t.fft_tile, t.direct_fixed})
            if (!positive(v)) throw bad(number, "a constant outside [0, 1) after " + key);
        seen[i] = true;
    }
    for (std::size_t i = 0; i < 4; ++i)
        if (!seen[i]) throw incomplete(std::string("a line for ") + names[i]);
    if (!fresh) throw incomplete("a fresh_byte line");
    detail::install_cost_model(model);
    return true;
}

}  // namespace
}  // namespace detail

bool load_calibration(const std::string& path) {
    (void)detail::active_cost_model();  // the automatic load, if it is still to come, is spent first
    return detail::load_file(path);
}

CostModel cost_model() {
    return detail::active_cost_model();
}

void reset_cost_model() {
    (void)detail::active_cost_model();  // the automatic load, if it is still to come, is spent first
    detail::install_cost_model(detail::builtin_cost_model());
}

}  // namespace fftconv
