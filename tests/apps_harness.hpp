// What the end-to-end tests of the fftconv binary share: running it with its output captured,
// scratch directories, snapshots of a directory (to prove that a failed run changed nothing),
// hand-made file bytes, and the checks every refused command line must pass.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftconv/opencv.hpp"
#include "scratch.hpp"

extern char** environ;

namespace apps_test {

namespace fs = std::filesystem;
using namespace fftconv;

struct Result {
    int status = -1;
    std::string out, err;
};

using test_support::Scratch;
using test_support::slurp;

// Runs the binary with `args`, capturing its exit status, stdout and stderr; standard input is
// `in` (empty by default), and standard output goes to `out` when given (Result::out is then
// what that file holds, if it is a regular one). `peak`, when given, receives the child's peak
// resident memory in bytes, as wait4 reports it: at least this process's own peak at the spawn
// (the child starts as a copy of it), so measure before the test holds anything large.
inline Result run(const std::vector<std::string>& args, const Scratch& s, const std::string& in = "/dev/null",
                  const std::string& out_to = "", double* peak = nullptr) {
    const char* bin = std::getenv("FFTCONV_BIN");
    REQUIRE_MESSAGE(bin != nullptr, "FFTCONV_BIN must name the fftconv binary");
    std::vector<std::string> all{bin};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out = out_to.empty() ? s / ".stdout" : out_to, err = s / ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, bin, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (peak) *peak = static_cast<double>(usage.ru_maxrss) * 1024;
    Result r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
             fs::is_regular_file(out) ? slurp(out) : std::string(), slurp(err)};
    if (out_to.empty()) fs::remove(out);
    fs::remove(err);
    return r;
}

inline const std::string camera = FFTCONV_SAMPLES_DIR "/camera.png";

inline Image<float> camera_image() {
    return to_image<float>(cv::imread(camera, cv::IMREAD_UNCHANGED));
}

// A float TIFF written with --raw, as an image.
inline Image<float> read_raw(const std::string& path) {
    const cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
    REQUIRE_MESSAGE(!m.empty(), "cannot read " << path);
    REQUIRE(m.type() == CV_32FC1);
    return to_image<float>(m);
}

inline double max_diff(const Image<float>& a, const Image<float>& b) {
    REQUIRE(a.shape() == b.shape());
    double d = 0;
    for (std::ptrdiff_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a.values()[i] - b.values()[i])));
    return d;
}

inline cv::Mat read_any(const std::string& path) {
    return cv::imread(path, cv::IMREAD_UNCHANGED);
}

// Every entry under `dir`, recursively: regular files with their size, modification time and
// contents; directories, links and other kinds by what they are.
inline std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> all;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const fs::path rel = fs::relative(e.path(), dir);
        std::error_code ec;
        const fs::file_status st = fs::symlink_status(e.path(), ec);
        std::string what;
        if (fs::is_symlink(st)) {
            what = "link to " + fs::read_symlink(e.path(), ec).string();
        } else if (fs::is_regular_file(st)) {
            what = std::to_string(fs::file_size(e.path(), ec)) + " bytes, modified " +
                   std::to_string(fs::last_write_time(e.path(), ec).time_since_epoch().count()) + ": " +
                   slurp(e.path());
        } else {
            what = fs::is_directory(st) ? "directory" : "other";
        }
        all[rel.string()] = what;
    }
    return all;
}

// What differs between two snapshots, for a failure message.
inline std::string changes(const std::map<std::string, std::string>& before,
                           const std::map<std::string, std::string>& after) {
    std::string s;
    for (const auto& [name, what] : before) {
        const auto it = after.find(name);
        if (it == after.end())
            s += " removed " + name + ";";
        else if (it->second != what)
            s += " changed " + name + ";";
    }
    for (const auto& [name, what] : after)
        if (!before.count(name)) s += " new " + name + ";";
    return s;
}

inline std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xffffffffu;
    for (const unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

inline std::string big_endian(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline std::string png_chunk(const std::string& type, const std::string& data) {
    return big_endian(static_cast<std::uint32_t>(data.size())) + type + data + big_endian(crc32(type + data));
}

inline std::string encoded(const cv::Mat& m, const std::string& ext) {
    std::vector<uchar> bytes;
    REQUIRE(cv::imencode(ext, m, bytes));
    return {bytes.begin(), bytes.end()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// 'path', as messages quote it.
inline std::string in_quotes(const std::string& path) {
    std::string q = "'";
    q += path;
    q += "'";
    return q;
}

// One refused command line: what it tries, its arguments, and the file the message must name.
struct Refusal {
    std::string what;
    std::vector<std::string> args;
    std::string names;
};

// Runs each refusal in `s` and checks the outcome; returns how many ran.
inline int check_refusals(const Scratch& s, const std::vector<Refusal>& cases) {
    for (const Refusal& c : cases) {
        CAPTURE(c.what);
        const auto before = snapshot(s.dir);
        const Result r = run(c.args, s);
        CHECK((r.status == 1 || r.status == 2));
        CHECK(r.out.find("wrote") == std::string::npos);
        CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 1, "stderr: " << r.err);
        CHECK(r.err.starts_with("fftconv " + c.args.front() + ": error: "));
        CHECK(r.err.ends_with("\n"));
        CHECK_MESSAGE(r.err.find(in_quotes(c.names)) != std::string::npos, "stderr: " << r.err);
        const auto after = snapshot(s.dir);
        CHECK_MESSAGE(after == before, "files touched:" << changes(before, after));
    }
    return static_cast<int>(cases.size());
}

inline bool running_as_root() {
    return geteuid() == 0;
}

}  // namespace apps_test
