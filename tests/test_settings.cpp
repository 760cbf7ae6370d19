// settings.hpp: FFTW wisdom saved by one process and loaded by a fresh one. Only a fresh process
// shows whether a file loads as the first fftconv call (what a program starting up does), so the
// test runs this binary again as a child: `test_settings --wisdom-child save|load FILE WHAT THREADS`.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftw.hpp"
#include "reference.hpp"

using namespace fftconv;

namespace {

// The settings now, with planner effort `e`: what a call asking for that effort runs with.
detail::Context effort_context(PlannerEffort e) {
    detail::Context c = detail::Context::current();
    c.effort = e;
    return c;
}

// Lengths of 2^15 points or more get set_threads' threads from FFTW, so THREADS 2 plans threaded.
constexpr int wisdom_length = 32768;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The child's side. save: plan r2c and c2r of wisdom_length with PlannerEffort::measure in the
// precisions WHAT names (float, double, both), then save_wisdom. load: load_wisdom before any
// other fftconv call, then check that the plans are in FFTW's wisdom and that an FFT convolution
// runs. One line per step on stdout; exit status 0 when every step worked.
template <class R>
bool child_step(const std::string& step) {
    const std::vector<int> dims{wisdom_length};
    const char* type = std::is_same_v<R, float> ? "float" : "double";
    const auto t0 = std::chrono::steady_clock::now();
    if (step == "save") {
        (void)detail::get_plan<R>(detail::Transform::r2c, dims, effort_context(PlannerEffort::measure));
        (void)detail::get_plan<R>(detail::Transform::c2r, dims, effort_context(PlannerEffort::measure));
        std::printf("%s: measured plans made in %.3f s\n", type, seconds_since(t0));
        return true;
    }
    const bool known =
        detail::plan_in_wisdom<R>(detail::Transform::r2c, dims, effort_context(PlannerEffort::measure)) &&
        detail::plan_in_wisdom<R>(detail::Transform::c2r, dims, effort_context(PlannerEffort::measure));
    const auto t1 = std::chrono::steady_clock::now();
    (void)detail::get_plan<R>(detail::Transform::r2c, dims, effort_context(PlannerEffort::measure));
    (void)detail::get_plan<R>(detail::Transform::c2r, dims, effort_context(PlannerEffort::measure));
    const double planning = seconds_since(t1);
    std::mt19937_64 rng(3);
    const auto x = ref::random_image<R>(1, 5000, rng), h = ref::random_image<R>(1, 300, rng);
    const double err =
        ref::rel_err(convolve(x, h, Mode::full, Method::fft), convolve(x, h, Mode::full, Method::direct));
    std::printf("%s: plans in wisdom %s; measured plans made in %.3f s; fft convolution error %.2g\n", type,
                known ? "yes" : "no", planning, err);
    return known && err < 100 * ref::tolerance<R>();
}

int wisdom_child(const std::string& step, const std::string& file, const std::string& what, int threads) {
    try {
        if (step == "load") {
            const bool loaded = load_wisdom(file);  // the process's first fftconv call
            std::printf("load_wisdom returned %s\n", loaded ? "true" : "false");
            if (!loaded) return 1;
        }
        set_threads(threads);
        if (step == "save") set_planner_effort(PlannerEffort::measure);
        bool ok = true;
        if (what != "double") ok &= child_step<float>(step);
        if (what != "float") ok &= child_step<double>(step);
        if (step == "save") save_wisdom(file);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::printf("%s threw: %s\n", step.c_str(), e.what());
        return 1;
    }
}

struct Run {
    int status;
    std::string output;
};

Run run_child(const std::string& args) {
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::string command = "'" + self + "' --wisdom-child " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device seed;
        path = std::filesystem::temp_directory_path() /
               ("fftconv-settings-" + std::to_string(seed()) + "-" + std::to_string(seed()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

}  // namespace

TEST_CASE("wisdom saved by one process is loaded by a fresh one as its first call") {
    const TempDir dir;
    for (auto [what, threads] : {std::pair{"float", 1}, {"double", 1}, {"both", 1}, {"both", 2}, {"float", 2}}) {
        const std::string file = (dir.path / (std::string(what) + std::to_string(threads) + ".wisdom")).string();
        const std::string args = "'" + file + "' " + what + " " + std::to_string(threads);
        const Run save = run_child("save " + args);
        Run load{};
        {
            CAPTURE(std::string(what));
            CAPTURE(threads);
            CAPTURE(save.output);
            REQUIRE(save.status == 0);
            load = run_child("load " + args);
            CAPTURE(load.output);
            CHECK(load.status == 0);
            CHECK(load.output.find("load_wisdom returned true") != std::string::npos);
            CHECK(load.output.find("plans in wisdom no") == std::string::npos);
        }
        MESSAGE("wisdom of " << std::string(what) << " plans, set_threads(" << threads << "):\n"
                             << save.output << load.output);
    }
}

TEST_CASE("load_wisdom: a precision with no plans may come from a process without FFTW threads") {
    // A file saved after float-only planning by a build that set up FFTW's threads one precision
    // at a time: the empty double section's signature is that of a process without threads.
    const TempDir dir;
    const std::filesystem::path saved = dir.path / "float.wisdom", mixed = dir.path / "mixed.wisdom";
    REQUIRE(run_child("save '" + saved.string() + "' float 1").status == 0);
    const std::string text = read_text(saved);
    const std::size_t split = text.find("(fftw-", 1);
    REQUIRE(split != std::string::npos);
    const Run header = run_child("header");
    REQUIRE(header.status == 0);
    REQUIRE(header.output.rfind("(fftw-", 0) == 0);
    std::ofstream(mixed, std::ios::binary) << header.output << text.substr(split);
    const Run load = run_child("load '" + mixed.string() + "' float 1");
    CAPTURE(load.output);
    CHECK(load.status == 0);

    // Still refused: anything that is not wisdom, a cut-off header, and plans FFTW rejects.
    for (std::string bad : {std::string("not wisdom\n"), std::string("(fftw-3.3.10 fftw_wisdom #x1"),
                            text.substr(split, text.size() - split - 40)}) {
        std::ofstream(mixed, std::ios::binary | std::ios::trunc) << bad;
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(load_wisdom(mixed.string()), doctest::Contains("is not an FFTW wisdom file"), Error);
    }
    CHECK_FALSE(load_wisdom((dir.path / "missing.wisdom").string()));
}

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv, argv + argc);
    if (args.size() == 3 && args[1] == "--wisdom-child" && args[2] == "header") {
        // FFTW's export before anything set up its threads: an empty double section.
        char* text = fftw_export_wisdom_to_string();
        std::fputs(text, stdout);
        std::free(text);
        return 0;
    }
    if (args.size() == 6 && args[1] == "--wisdom-child")
        return wisdom_child(args[2], args[3], args[4], std::stoi(args[5]));
    return doctest::Context(argc, argv).run();
}

TEST_CASE("ScopedThreads: a count for one thread's calls, nested, restored, never seen by other threads") {
    set_threads(3);
    {
        const ScopedThreads two(2);
        CHECK(threads() == 2);
        {
            const ScopedThreads all(0);
            CHECK(threads() == static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        }
        CHECK(threads() == 2);
        int seen_elsewhere = 0;
        std::thread other([&] { seen_elsewhere = threads(); });
        other.join();
        CHECK(seen_elsewhere == 3);
        // A call inside the scope runs (its result does not depend on the count).
        const std::vector<double> a{1, 2, 3}, k{1, 1};
        CHECK(convolve(std::span<const double>(a), std::span<const double>(k)) == std::vector<double>{1, 3, 5, 3});
        CHECK_THROWS_WITH_AS(ScopedThreads(-1), "ScopedThreads: thread count must be 0 (all cores) or more, got -1",
                             InvalidArgument);
        CHECK(threads() == 2);
    }
    CHECK(threads() == 3);
    set_threads(1);
}
