// fftconv conv on files larger than --memory: a 400 MB ramp (.npy in, tiled TIFF between, .npy
// out) under --memory 64M with every output checked against its known value and the process's
// peak memory measured; tiles equal to the in-memory run; the progress lines; refusals and
// failures that leave nothing behind.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "apps_harness.hpp"

using namespace apps_test;

namespace {

// run() with the child's peak resident memory (bytes).
Result run_measured(const std::vector<std::string>& args, const Scratch& s, double& peak) {
    return run(args, s, "/dev/null", "", &peak);
}

// A float32 .npy of rows x cols holding f(i, j) = i + 2j, written a row at a time.
void write_ramp(const std::string& path, std::int64_t rows, std::int64_t cols) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    std::ofstream f(path, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
    f.write(len, 2);
    f << dict;
    std::vector<float> row(static_cast<std::size_t>(cols));
    for (std::int64_t i = 0; i < rows; ++i) {
        for (std::int64_t j = 0; j < cols; ++j) row[static_cast<std::size_t>(j)] = static_cast<float>(i + 2 * j);
        f.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(cols * 4));
    }
    REQUIRE(f.good());
}

// The data of a float32 .npy (C order), after its header.
std::vector<float> read_npy_floats(const std::string& path, std::size_t& data_offset) {
    std::ifstream f(path, std::ios::binary);
    char head[10];
    f.read(head, 10);
    const std::size_t header = static_cast<unsigned char>(head[8]) | static_cast<unsigned char>(head[9]) << 8;
    data_offset = 10 + header;
    f.seekg(0, std::ios::end);
    const auto bytes = static_cast<std::size_t>(f.tellg()) - data_offset;
    std::vector<float> v(bytes / 4);
    f.seekg(static_cast<std::streamoff>(data_offset));
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
    return v;
}

// --memory 64M, plus the program's code and libraries (OpenCV's among them: about 55 MB here).
// Under AddressSanitizer the tool's shadow memory and quarantine come on top, and are not checked.
bool within_bound(double peak) {
#if defined(__SANITIZE_ADDRESS__)
    (void)peak;
    return true;
#else
    return peak < 64.0 * 1024 * 1024 + 80e6;
#endif
}

}  // namespace

TEST_CASE("conv out of core: a 400 MB ramp under --memory 64M, through a tiled TIFF, every output known") {
    Scratch s;
#if defined(__SANITIZE_ADDRESS__)
    const std::int64_t rows = 3000, cols = 3000;  // under the sanitizers, 36 MB: the same paths, 10x faster
#else
    const std::int64_t rows = 10000, cols = 10000;  // 400 MB of float32
#endif
    write_ramp(s / "ramp.npy", rows, cols);
    // .npy -> TIFF with the identity kernel: a tiled float TIFF, the values unchanged.
    double peak = 0;
    Result r =
        run_measured({"conv", s / "ramp.npy", "1", s / "ramp.tif", "--mode", "same", "--memory", "64M"}, s, peak);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("out of core") != std::string::npos);
    CHECK(r.out.find("float32, values unscaled") != std::string::npos);
    MESSAGE("npy -> tif (400 MB, --memory 64M): peak RSS ", peak / 1e6, " MB");
    // TIFF -> .npy: the 3x3 kernel 1,2,1 x 1,2,1 (sum 16) in valid mode gives 16 f(i + 1, j + 1),
    // integers below 2^24: exact by the direct method, whatever the order of the sums.
    r = run_measured({"conv", s / "ramp.tif", "1,2,1;2,4,2;1,2,1", s / "out.npy", "--mode", "valid", "--memory", "64M",
                      "--method", "direct", "--progress"},
                     s, peak);
    INFO(r.err);
    REQUIRE(r.status == 0);
    MESSAGE(r.out);
    MESSAGE("tif -> npy (400 MB, --memory 64M): peak RSS ", peak / 1e6, " MB");
    // 64 MiB, plus the program's code and libraries (OpenCV's among them: about 55 MB here).
    CHECK(within_bound(peak));
    // The progress: a line per tenth, with the time left, ending at 100%.
    CHECK(r.err.find("100%") != std::string::npos);
    CHECK(r.err.find("left") != std::string::npos);
    // The FFT, measured too before this process reads anything large: wait4 reports a child's
    // peak as at least this process's own at the spawn (the child starts as a copy of it).
    Result f = run_measured({"conv", s / "ramp.npy", "1,2,1;2,4,2;1,2,1", s / "fft.npy", "--mode", "valid", "--memory",
                             "64M", "--method", "fft"},
                            s, peak);
    INFO(f.err);
    REQUIRE(f.status == 0);
    CHECK(f.out.find("by the FFT method") != std::string::npos);
    MESSAGE("npy -> npy by the FFT (400 MB, --memory 64M): peak RSS ", peak / 1e6, " MB");
    CHECK(within_bound(peak));
    std::size_t offset = 0;
    std::vector<float> out = read_npy_floats(s / "out.npy", offset);
    REQUIRE(out.size() == static_cast<std::size_t>((rows - 2) * (cols - 2)));
    std::size_t wrong = 0;
    for (std::int64_t i = 0; i < rows - 2; ++i)
        for (std::int64_t j = 0; j < cols - 2; ++j)
            wrong +=
                out[static_cast<std::size_t>(i * (cols - 2) + j)] != static_cast<float>(16 * (i + 1 + 2 * (j + 1)));
    CHECK(wrong == 0);
    std::vector<float>().swap(out);
    // The FFT: within its bound (4 ε log2 N of max|x| max|k| K = 30000 · 4 · 9).
    const std::vector<float> fft = read_npy_floats(s / "fft.npy", offset);
    REQUIRE(fft.size() == static_cast<std::size_t>((rows - 2) * (cols - 2)));
    double worst = 0;
    for (std::int64_t i = 0; i < rows - 2; ++i)
        for (std::int64_t j = 0; j < cols - 2; ++j)
            worst = std::max(worst, std::abs(double(fft[static_cast<std::size_t>(i * (cols - 2) + j)]) -
                                             16.0 * double(i + 1 + 2 * (j + 1))));
    MESSAGE("FFT out of core: worst error ", worst);
    CHECK(worst <= 4 * 1.2e-7 * 24 * 30000.0 * 4 * 9);
}

TEST_CASE("conv out of core: the tiles give what conv gives in memory (8-bit gray, colour, a float .npy)") {
    Scratch s;
    // camera.png as an 8-bit TIFF, chelsea.png as a colour one.
    REQUIRE(run({"conv", camera, "1", s / "gray.tif", "--mode", "same"}, s).status == 0);
    REQUIRE(run({"conv", FFTCONV_SAMPLES_DIR "/chelsea.png", "1", s / "colour.tif", "--mode", "same"}, s).status == 0);
    for (const std::string name : {"gray", "colour"})
        for (const std::vector<std::string>& how : std::vector<std::vector<std::string>>{
                 {"gaussian:2", "--mode", "same", "--border", "reflect"},
                 {"box:5", "--mode", "same", "--border", "wrap"},
                 {"box:4x6", "--mode", "same", "--border", "constant", "--cval", "20"},
                 {"box:3", "--mode", "same", "--correlate"}}) {
            CAPTURE(name);
            CAPTURE(how[0]);
            CAPTURE(how[4 % how.size()]);
            std::vector<std::string> tiled{"conv", s / (name + ".tif"), how[0], s / "tiled.tif"};
            std::vector<std::string> whole{"conv", s / (name + ".tif"), how[0], s / "whole.tif"};
            tiled.insert(tiled.end(), how.begin() + 1, how.end());
            whole.insert(whole.end(), how.begin() + 1, how.end());
            tiled.insert(tiled.end(), {"--memory", "1M"});
            const Result t = run(tiled, s), w = run(whole, s);
            INFO(t.err);
            INFO(w.err);
            REQUIRE(t.status == 0);
            REQUIRE(w.status == 0);
            CHECK(t.out.find("out of core") != std::string::npos);
            CHECK(w.out.find("out of core") == std::string::npos);
            const cv::Mat a = read_any(s / "tiled.tif"), b = read_any(s / "whole.tif");
            REQUIRE(a.type() == b.type());
            REQUIRE(a.size() == b.size());
            cv::Mat diff;
            cv::absdiff(a, b, diff);
            double most = 0;
            cv::minMaxLoc(diff.reshape(1), nullptr, &most);
            // Gray: the same sums (bit for bit, then the same rounding). Colour: the samples are a
            // third axis out of core and separate planes in memory, whose sums may round apart,
            // moving a sample on a .5 tie by one step.
            if (name == "gray")
                CHECK(most == 0);
            else
                CHECK(most <= 1);
        }
    // A float .npy: equal to the in-memory .npy run bit for bit (direct).
    REQUIRE(run({"conv", camera, "1", s / "camera.npy", "--mode", "same"}, s).status == 0);
    for (const std::string mode : {"full", "same", "valid"}) {
        CAPTURE(mode);
        const Result t = run(
            {"conv", s / "camera.npy", "box:7x3", s / "t.npy", "--mode", mode, "--memory", "1M", "--method", "direct"},
            s);
        const Result w =
            run({"conv", s / "camera.npy", "box:7x3", s / "w.npy", "--mode", mode, "--method", "direct"}, s);
        REQUIRE(t.status == 0);
        REQUIRE(w.status == 0);
        CHECK(t.out.find("out of core") != std::string::npos);
        CHECK(slurp(s / "t.npy") == slurp(s / "w.npy"));
    }
}

TEST_CASE("conv out of core: refusals and failures leave no file, and an existing OUT untouched") {
    Scratch s;
    REQUIRE(run({"conv", camera, "1", s / "gray.tif", "--mode", "same"}, s).status == 0);
    {
        std::ofstream keep(s / "keep.tif");
        keep << "precious";
    }
    const auto unchanged = [&] { return slurp(s / "keep.tif") == "precious"; };
    // --memory that is not a size.
    Result r = run({"conv", s / "gray.tif", "box:3", s / "keep.tif", "--memory", "lots"}, s);
    CHECK(r.status == 2);
    CHECK(r.err.find("--memory takes a size") != std::string::npos);
    // An OUT that would need the whole result.
    r = run({"conv", s / "gray.tif", "box:3", s / "out.png", "--mode", "same", "--memory", "1M"}, s);
    CHECK(r.status == 2);
    CHECK(r.err.find("OUT is .npy or .tif") != std::string::npos);
    CHECK(!fs::exists(s / "out.png"));
    // Scaling that needs the whole result's range.
    r = run({"conv", s / "gray.tif", "sobel", s / "keep.tif", "--mode", "same", "--memory", "1M", "--scale", "stretch"},
            s);
    CHECK(r.status == 2);
    CHECK(unchanged());
    // A damaged TIFF: the first strips read, then one that is not there. Nothing is written.
    {
        const std::string data = slurp(s / "gray.tif");
        std::ofstream cut(s / "cut.tif", std::ios::binary);
        cut << data.substr(0, data.size() / 2);
    }
    r = run({"conv", s / "cut.tif", "box:3", s / "keep.tif", "--mode", "same", "--memory", "1M"}, s);
    CHECK(r.status == 1);
    CHECK(r.err.find("cut.tif") != std::string::npos);
    CHECK(unchanged());
    // A directory it cannot write into (root writes anywhere): refused before any work.
    fs::create_directory(s / "ro");
    if (geteuid() != 0) {
        fs::permissions(s / "ro", fs::perms::owner_read | fs::perms::owner_exec);
        r = run({"conv", s / "gray.tif", "box:3", s / "ro/out.npy", "--mode", "same", "--memory", "1M"}, s);
        CHECK(r.status != 0);
        fs::permissions(s / "ro", fs::perms::owner_all);
        CHECK(fs::is_empty(s / "ro"));
    }
    // A missing directory: the same.
    r = run({"conv", s / "gray.tif", "box:3", s / "none/out.npy", "--mode", "same", "--memory", "1M"}, s);
    CHECK(r.status != 0);
    CHECK(!fs::exists(s / "none"));
    // Signals are streamed already.
    r = run({"conv", FFTCONV_SAMPLES_DIR "/voice.wav", "box:3", s / "v.wav", "--memory", "1M"}, s);
    CHECK(r.status == 2);
    CHECK(r.err.find("--memory applies to images and arrays") != std::string::npos);
    // Only what was there before, and the inputs.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(s.dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"cut.tif", "gray.tif", "keep.tif", "ro"});
}
