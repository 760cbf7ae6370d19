// fuzz_kernel_parser: the fftconv tool's KERNEL argument (app::parse_kernel) on arbitrary text:
// inline matrices ("1,2,1;0,0,0;-1,-2,-1"), named kernels (gaussian:SIGMA, box:RxC, random:RxC:SEED,
// sobel-x, ...) and everything in between. Each input must either give a kernel that keeps the
// parser's promises (at least one value, every value finite, the normalised kinds summing to 1) or
// throw app::UsageError / app::ProcessError, the tool's documented errors; anything else aborts.
//
// Skipped, so that the target stays on the parser: text that names an existing file (the file
// readers are fuzz_image_input's), text with a NUL byte (no command-line argument holds one), and
// named kernels the parser accepts but that only cost time and memory (sizes beyond 512, sigma
// beyond 64: gaussian:1000 is an 8001x8001 kernel).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include "../../apps/cli.hpp"
#include "../../apps/kernels.hpp"

namespace {

[[noreturn]] void fail(const std::string& spec, const std::string& what) {
    std::fprintf(stderr, "fuzz_kernel_parser: KERNEL '%s': %s\n", spec.c_str(), what.c_str());
    std::fflush(stderr);
    std::abort();
}

// Whether a named kernel would be large: any whole number in the argument of box: or random:
// above 512 (the seed of random:RxC:SEED excepted), or a gaussian: sigma above 64.
bool too_large(const std::string& spec) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) return false;
    const std::string name = spec.substr(0, colon);
    std::string arg = spec.substr(colon + 1);
    if (name == "gaussian") {
        double sigma = 0;
        const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), sigma);
        (void)end;
        return ec == std::errc() && sigma > 64;
    }
    if (name != "box" && name != "random") return false;
    if (name == "random") arg = arg.substr(0, arg.find(':'));
    for (std::size_t i = 0; i < arg.size();) {
        if (arg[i] < '0' || arg[i] > '9') {
            ++i;
            continue;
        }
        unsigned long v = 0;
        const auto [end, ec] = std::from_chars(arg.data() + i, arg.data() + arg.size(), v);
        if (ec != std::errc() || v > 512) return true;
        i = static_cast<std::size_t>(end - arg.data());
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string spec(reinterpret_cast<const char*>(data), size);
    if (spec.find('\0') != std::string::npos || too_large(spec)) return 0;
    std::error_code ec;
    if (!spec.empty() && std::filesystem::is_regular_file(spec, ec)) return 0;

    app::Kernel k;
    try {
        k = app::parse_kernel(spec);
    } catch (const app::UsageError&) {
        return 0;
    } catch (const app::ProcessError&) {
        return 0;
    } catch (const std::exception& e) {
        fail(spec, std::string("threw an exception the tool does not document: ") + e.what());
    }

    if (k.values.empty()) fail(spec, "an empty kernel");
    if (k.description.empty()) fail(spec, "no description");
    double sum = 0;
    for (double v : k.values.values()) {
        if (!std::isfinite(v)) fail(spec, "a kernel value is not finite (" + k.description + ")");
        sum += v;
    }
    // gaussian:, box: and random: promise a kernel normalised to sum 1.
    const std::string name = spec.substr(0, spec.find(':'));
    if ((name == "gaussian" || name == "box" || name == "random") && spec.find(':') != std::string::npos &&
        std::abs(sum - 1) > 1e-9)
        fail(spec, "sums to " + std::to_string(sum) + ", not 1 (" + k.description + ")");
    return 0;
}
