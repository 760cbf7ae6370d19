// The cost model's constants: calibrate() on this machine, the per-user file it is kept in, and
// what installing a model changes (estimate_seconds and Method::automatic's choice).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cost_constants.hpp"
#include "fftconv/fftconv.hpp"

using namespace fftconv;

namespace {

std::filesystem::path scratch(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("fftconv_calibration_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / name;
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The built-in model with every constant times `factor` (fresh memory too).
CostModel scaled_builtin(double factor) {
    CostModel m = detail::builtin_cost_model();
    m.machine = detail::machine_name();
    for (CostModel::Type& t : m.types)
        for (double* v :
             {&t.mac, &t.call, &t.fft_fixed, &t.fft_nlogn, &t.fft_nlogn_2d, &t.fft_spill, &t.fft_tile, &t.direct_fixed})
            *v *= factor;
    m.fresh_byte *= factor;
    return m;
}

}  // namespace

TEST_CASE("a saved calibration loads back exactly and scales every estimate") {
    reset_cost_model();
    const double before_direct =
        estimate_seconds(Shape{512, 512}, Shape{9, 9}, Mode::same, ElementType::float32, Method::direct);
    const double before_fft =
        estimate_seconds(Shape{512, 512}, Shape{9, 9}, Mode::same, ElementType::float64, Method::fft);
    const auto path = scratch("ten.txt");
    save_calibration(scaled_builtin(10), path.string());
    REQUIRE(load_calibration(path.string()));
    const CostModel m = cost_model();
    CHECK(m.machine == detail::machine_name());
    // Written with every digit a double needs: the same numbers come back.
    const CostModel want = scaled_builtin(10);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(m.types[i].mac == want.types[i].mac);
        CHECK(m.types[i].fft_nlogn_2d == want.types[i].fft_nlogn_2d);
        CHECK(m.types[i].direct_fixed == want.types[i].direct_fixed);
    }
    CHECK(m.fresh_byte == want.fresh_byte);
    // Every term of a direct estimate scales; the FFT's tile choice may move with the fresh-memory
    // term, so its estimate scales by about 10.
    CHECK(estimate_seconds(Shape{512, 512}, Shape{9, 9}, Mode::same, ElementType::float32, Method::direct) ==
          doctest::Approx(10 * before_direct).epsilon(1e-4));
    CHECK(estimate_seconds(Shape{512, 512}, Shape{9, 9}, Mode::same, ElementType::float64, Method::fft) ==
          doctest::Approx(10 * before_fft).epsilon(0.2));
    reset_cost_model();
    CHECK(estimate_seconds(Shape{512, 512}, Shape{9, 9}, Mode::same, ElementType::float32, Method::direct) ==
          before_direct);
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("an installed model moves Method::automatic's crossover") {
    // 64² ⊛ 3²: direct by the built-in constants; with multiply-adds 1000x dearer, the FFT.
    reset_cost_model();
    CHECK(choose_method(Shape{64, 64}, Shape{3, 3}, Mode::same, ElementType::float32) == Method::direct);
    CostModel m = scaled_builtin(1);
    for (CostModel::Type& t : m.types) t.mac *= 1000;
    const auto path = scratch("dear.txt");
    save_calibration(m, path.string());
    REQUIRE(load_calibration(path.string()));
    CHECK(choose_method(Shape{64, 64}, Shape{3, 3}, Mode::same, ElementType::float32) == Method::fft);
    reset_cost_model();
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a calibration file that cannot be used is refused, naming the file and the line") {
    reset_cost_model();
    const auto path = scratch("bad.txt");
    CHECK_FALSE(load_calibration((path.parent_path() / "missing.txt").string()));
    const auto refused = [&](const std::string& text, const std::string& why) {
        std::ofstream(path) << text;
        CAPTURE(text);
        try {
            (void)load_calibration(path.string());
            FAIL("accepted");
        } catch (const BackendError& e) {
            CHECK(std::string(e.what()).find("load_calibration: '" + path.string() + "'") == 0);
            CHECK(std::string(e.what()).find(why) != std::string::npos);
        }
    };
    std::stringstream good;
    save_calibration(scaled_builtin(1), path.string());
    good << read(path);
    const std::string text = good.str();
    refused("something else\n", "line 1: expected \"fftconv cost model 1\"");
    refused("fftconv cost model 1\nmachine Some Other CPU / generic\n", "was measured on Some Other CPU / generic");
    const std::string header = text.substr(0, text.find("fresh_byte"));
    refused(header + "fresh_byte 1e-9\nfloat32 1 2 3\n", "line 4: expected eight numbers after float32");
    refused(header + "fresh_byte -1\n", "line 3: a bad fresh_byte value");
    refused(header + "fresh_byte 1e-9\nfloat16 1 2 3 4 5 6 7 8\n", "line 4: unknown key 'float16'");
    refused(header + "fresh_byte 1e-9\nfresh_byte 1e-9\n", "line 4: a second fresh_byte line");
    refused(header + "fresh_byte 1e-9 junk\n", "line 3: a bad fresh_byte value");
    refused(header + "fresh_byte 1e-9\nfloat32 1e-10 1e-9 1e-7 1e-10 1e-10 0 1e-9 0 9\n",
            "line 4: expected eight numbers after float32");
    const std::string float32 = "float32 1e-10 1e-9 1e-7 1e-10 1e-10 0 1e-9 0\n";
    refused(header + "fresh_byte 1e-9\n" + float32 + float32, "line 5: a second line for float32");
    refused(header + "fresh_byte 1e-9\n", "ends without a line for float32");
    // Nothing refused was installed.
    CHECK(cost_model().machine == "built in");
    std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("calibrate(quick) fits constants that predict this machine's calls") {
    set_threads(3);  // calibrate times one core without changing the caller's count
    const Calibration c = calibrate(true);
    CHECK(c.model.machine == detail::machine_name());
    CHECK(c.model.fresh_byte > 0);
    for (const CostModel::Type& t : c.model.types) {
        CHECK(t.mac > 0);
        CHECK(t.fft_nlogn + t.fft_nlogn_2d > 0);
    }
    REQUIRE(!c.checks.empty());
    for (const Calibration::Check& k : c.checks) {
        CAPTURE(k.what);
        CHECK(k.measured > 0);
        CHECK(k.estimate > 0);
    }
    // A quick fit on a shared machine: the median is the claim, within 2x; the full calibration
    // is measured in docs/benchmarks.md.
    CHECK(c.median_ratio > 0.5);
    CHECK(c.median_ratio < 2);
    CHECK(cost_model().machine == c.model.machine);  // installed
    CHECK(threads() == 3);                           // the caller's count untouched
    set_threads(1);
    reset_cost_model();
}
