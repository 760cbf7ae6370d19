// fftconv-mpi under mpirun with 1 to 4 ranks on this machine (oversubscribed): 103 rows (slabs
// that do not divide evenly), every border and scipy.signal mode, correlation, kernels from 1x1
// to taller than a slab. Each result is the file `fftconv conv` writes in one process, byte for
// byte by the direct method, and within the FFT's bound by the FFT. A missing input and a rank
// that dies end the job with an error and no OUT.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "scratch.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct Result {
    int status = -1;
    std::string out, err;
};

using test_support::Scratch;
using test_support::slurp;

const char* env(const char* name) {
    const char* v = std::getenv(name);
    REQUIRE_MESSAGE(v != nullptr, name << " must be set (meson test sets it)");
    return v;
}

// Runs `program args`, capturing its status, stdout and stderr.
Result run(const std::string& program, const std::vector<std::string>& args, const Scratch& s,
           const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> all{program};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) environment.emplace_back(*e);
    environment.insert(environment.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (std::string& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string out = s / ".stdout", err = s / ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    REQUIRE(posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    waitpid(pid, &status, 0);
    Result r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
    fs::remove(out);
    fs::remove(err);
    return r;
}

Result mpirun(int ranks, const std::vector<std::string>& args, const Scratch& s,
              const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> all{"--oversubscribe", "-np", std::to_string(ranks), env("FFTCONV_MPI_BIN")};
    all.insert(all.end(), args.begin(), args.end());
    return run(env("FFTCONV_MPIRUN"), all, s, extra_env);
}

// A float32 (or float64 with `wide`) .npy of `rows` x `cols` random values in [0, 1).
void write_npy(const std::string& path, std::int64_t rows, std::int64_t cols, unsigned seed, bool wide = false) {
    std::string dict = std::string("{'descr': '") + (wide ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::ofstream f(path, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
    f.write(len, 2);
    f << dict;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::int64_t i = 0; i < rows * cols; ++i) {
        if (wide) {
            const double v = u(rng);
            f.write(reinterpret_cast<const char*>(&v), 8);
        } else {
            const float v = static_cast<float>(u(rng));
            f.write(reinterpret_cast<const char*>(&v), 4);
        }
    }
}

std::vector<float> floats_of(const std::string& npy) {
    const std::string data = slurp(npy);
    REQUIRE(data.size() > 10);
    const std::size_t header = 10 + (static_cast<unsigned char>(data[8]) | static_cast<unsigned char>(data[9]) << 8);
    std::vector<float> v((data.size() - header) / 4);
    std::memcpy(v.data(), data.data() + header, v.size() * 4);
    return v;
}

}  // namespace

TEST_CASE("fftconv-mpi: 1 to 4 ranks give fftconv's file byte for byte by the direct method") {
    Scratch s;
    write_npy(s / "x.npy", 103, 37, 1);
    // Kernels: 1x1, 3x3, 4x6 (even), 41x5 (taller than a slab of 26 rows).
    write_npy(s / "k1.npy", 1, 1, 2, true);
    write_npy(s / "k3.npy", 3, 3, 3, true);
    write_npy(s / "k46.npy", 4, 6, 4, true);
    write_npy(s / "k41.npy", 41, 5, 5, true);
    const std::vector<std::vector<std::string>> cases = {
        {"k41.npy", "--border", "reflect"},
        {"k46.npy", "--border", "wrap"},
        {"k3.npy", "--border", "constant", "--cval", "0.5"},
        {"k41.npy", "--border", "nearest", "--correlate"},
        {"k46.npy", "--border", "mirror"},
        {"k41.npy", "--mode", "full"},
        {"k46.npy", "--mode", "same", "--correlate"},
        {"k3.npy", "--mode", "valid"},
        {"k1.npy", "--border", "wrap"},
    };
    // Every case with 3 ranks (uneven: 35, 34, 34 rows), and with 1, 2 or 4 in turn; the first
    // with all four counts.
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::vector<std::string>& c = cases[i];
        std::vector<std::string> args{"conv", s / "x.npy", s / c[0], s / "one.npy", "--method", "direct"};
        args.insert(args.end(), c.begin() + 1, c.end());
        const Result one = run(env("FFTCONV_BIN"), args, s);
        REQUIRE_MESSAGE(one.status == 0, one.err);
        const std::string expect = slurp(s / "one.npy");
        for (int ranks = 1; ranks <= 4; ++ranks) {
            if (i > 0 && ranks != 3 && ranks != static_cast<int>(i % 3) + (i % 3 == 2 ? 2 : 1)) continue;
            std::string what = std::to_string(ranks) + " ranks:";
            for (const std::string& a : c) what += " " + a;
            CAPTURE(what);
            std::vector<std::string> margs = args;
            margs[3] = s / "many.npy";
            const Result r = mpirun(ranks, margs, s);
            INFO(r.err);
            REQUIRE(r.status == 0);
            CHECK(r.out.find(std::to_string(ranks) +
                             (ranks == 1 ? " rank, halo exchange:" : " ranks, halo exchange:")) != std::string::npos);
            CHECK(slurp(s / "many.npy") == expect);
            fs::remove(s / "many.npy");
        }
    }
}

TEST_CASE("fftconv-mpi: the FFT within its bound; errors end every rank, and no OUT appears") {
    Scratch s;
    write_npy(s / "x.npy", 103, 37, 7);
    write_npy(s / "k41.npy", 41, 5, 8, true);
    REQUIRE(run(env("FFTCONV_BIN"),
                {"conv", s / "x.npy", s / "k41.npy", s / "one.npy", "--border", "reflect", "--method", "direct"}, s)
                .status == 0);
    const std::vector<float> a = floats_of(s / "one.npy");
    // The halo with the FFT on each slab, and the distributed FFT (FFTW-MPI), the cost model's
    // estimate printed first.
    const std::vector<std::pair<std::vector<std::string>, std::string>> ways = {
        {{"--distribute", "halo", "--method", "fft"}, "by the FFT method"},
        {{"--distribute", "fft", "--explain"}, "ranks, distributed FFT: one transform of (144, 42)"},
    };
    for (const auto& [options, says] : ways) {
        std::vector<std::string> args{"conv", s / "x.npy", s / "k41.npy", s / "fft.npy", "--border", "reflect"};
        args.insert(args.end(), options.begin(), options.end());
        const Result r = mpirun(3, args, s);
        INFO(r.err);
        REQUIRE(r.status == 0);
        CHECK(r.out.find(says) != std::string::npos);
        if (options.back() == "--explain")
            CHECK(r.out.find("cost model, 3 ranks (shared memory): halo") != std::string::npos);
        const std::vector<float> b = floats_of(s / "fft.npy");
        REQUIRE(a.size() == b.size());
        double worst = 0;
        for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
        // 4 ε log2 N · max|x| · max|k| · K, N at most 2^14 here, values below 1.
        CHECK(worst <= 4 * 1.2e-7 * 14 * 205);
    }
    // The distributed low-pass: 1 and 3 ranks agree to the FFT's rounding, and keep the shape.
    for (int ranks : {1, 3}) {
        const Result r = mpirun(ranks,
                                {"lowpass", s / "x.npy", s / ("low" + std::to_string(ranks) + ".npy"), "--cutoff",
                                 "0.1", "--shape", "butterworth"},
                                s);
        INFO(r.err);
        REQUIRE(r.status == 0);
        CHECK(r.out.find("distributed FFT: one transform of") != std::string::npos);
    }
    {
        const std::vector<float> one = floats_of(s / "low1.npy"), three = floats_of(s / "low3.npy");
        REQUIRE(one.size() == 103u * 37u);
        REQUIRE(three.size() == one.size());
        double worst = 0, largest = 0;
        for (std::size_t i = 0; i < one.size(); ++i) {
            worst = std::max(worst, std::abs(double(one[i]) - double(three[i])));
            largest = std::max(largest, std::abs(double(one[i])));
        }
        CHECK(largest > 0.1);
        CHECK(worst <= 1e-5);
    }
    Result e = mpirun(2, {"lowpass", s / "x.npy", s / "low.npy"}, s);
    CHECK(e.status == 2);
    CHECK(e.err.find("--cutoff is required") != std::string::npos);
    e = mpirun(2, {"conv", s / "x.npy", "box:3", s / "no.npy", "--distribute", "fft", "--method", "direct"}, s);
    CHECK(e.status == 2);
    CHECK(!fs::exists(s / "no.npy"));
    // A missing input: one error line from rank 0, exit 1, nothing written.
    {
        std::ofstream keep(s / "keep.npy");
        keep << "precious";
    }
    e = mpirun(3, {"conv", s / "missing.npy", "box:3", s / "keep.npy"}, s);
    CHECK(e.status == 1);
    CHECK(e.err.find("fftconv conv: error:") != std::string::npos);
    CHECK(slurp(s / "keep.npy") == "precious");
    // A command-line mistake: exit 2.
    e = mpirun(2, {"conv", s / "x.npy", "box:3", s / "out.png"}, s);
    CHECK(e.status == 2);
    CHECK(!fs::exists(s / "out.png"));
    // A rank that dies mid-run: the job ends with an error, and OUT never appears.
    for (const char* way : {"halo", "fft"}) {
        e = mpirun(3, {"conv", s / "x.npy", "box:3", s / "dead.npy", "--mode", "same", "--distribute", way}, s,
                   {"FFTCONV_MPI_DIE_RANK=1"});
        CHECK(e.status != 0);
        CHECK(!fs::exists(s / "dead.npy"));
    }
    CHECK(slurp(s / "keep.npy") == "precious");
}
