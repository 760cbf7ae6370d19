// The tool's image header reader (apps/image_header.cpp) against OpenCV's decoders: for every
// format OpenCV writes, in gray, colour and with alpha, 8-bit, 16-bit and float, the header's
// size equals the decoded image's, its channels and sample size are at least the decoded ones
// (they size memory before decoding), and a multi-page TIFF counts its pages; hand-made headers
// give the declared size without any pixel data, and malformed ones give nullopt.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "../apps/image_header.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;

namespace {

using test_support::Scratch;

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string le(std::uint64_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}
std::string be(std::uint64_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}

// A classic little-endian TIFF whose directories (width, height each) are chained in order;
// `loop` points the last one back at the first.
std::string tiff(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pages, bool loop = false) {
    std::string t = "II*" + std::string(1, '\0') + le(8, 4);
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const std::uint32_t here = static_cast<std::uint32_t>(t.size());
        const std::uint32_t next = i + 1 < pages.size() ? here + 2 + 2 * 12 + 4 : loop ? 8 : 0;
        t += le(2, 2);
        t += le(256, 2) + le(4, 2) + le(1, 4) + le(pages[i].first, 4);   // ImageWidth, LONG
        t += le(257, 2) + le(4, 2) + le(1, 4) + le(pages[i].second, 4);  // ImageLength, LONG
        t += le(next, 4);
    }
    return t;
}

}  // namespace

TEST_CASE("every format OpenCV writes: the header's size, channels and sample size match the decoded image") {
    setenv("OPENCV_IO_ENABLE_OPENEXR", "1", 0);
    Scratch s;
    struct Case {
        const char* ext;
        int type;
    };
    const std::vector<Case> cases = {
        {".png", CV_8UC1},  {".png", CV_8UC3},  {".png", CV_8UC4},  {".png", CV_16UC1}, {".png", CV_16UC3},
        {".jpg", CV_8UC1},  {".jpg", CV_8UC3},  {".tif", CV_8UC1},  {".tif", CV_8UC3},  {".tif", CV_8UC4},
        {".tif", CV_16UC1}, {".tif", CV_32FC1}, {".tif", CV_32FC3}, {".tif", CV_64FC1}, {".bmp", CV_8UC1},
        {".bmp", CV_8UC3},  {".bmp", CV_8UC4},  {".pgm", CV_8UC1},  {".pgm", CV_16UC1}, {".ppm", CV_8UC3},
        {".pbm", CV_8UC1},  {".pam", CV_8UC1},  {".pam", CV_8UC3},  {".pfm", CV_32FC1}, {".pfm", CV_32FC3},
        {".sr", CV_8UC1},   {".sr", CV_8UC3},   {".exr", CV_32FC1}, {".exr", CV_32FC3}, {".exr", CV_32FC4},
        {".hdr", CV_32FC3}, {".webp", CV_8UC3}, {".webp", CV_8UC4}, {".jp2", CV_8UC1},  {".jp2", CV_8UC3},
        {".jp2", CV_16UC1},
    };
    int checked = 0;
    for (const Case& c : cases) {
        // (OpenCV cannot read back its own 4-channel PAM, which has no TUPLTYPE.)
        // Width and height differ, so that a swap shows.
        cv::Mat m(37, 131, c.type);
        cv::randu(m, 0, CV_MAT_DEPTH(c.type) == CV_8U ? 255 : 1000);
        if (CV_MAT_DEPTH(c.type) == CV_32F || CV_MAT_DEPTH(c.type) == CV_64F) m /= 1000;
        const std::string path = s / (std::string("image") + std::to_string(checked) + c.ext);
        const std::string what = std::string(c.ext) + " " + cv::typeToString(c.type);
        CAPTURE(what);
        REQUIRE(cv::imwrite(path, m));
        const cv::Mat decoded = cv::imread(path, cv::IMREAD_UNCHANGED);
        REQUIRE(!decoded.empty());
        const auto h = app::read_header(path);
        REQUIRE(h.has_value());
        REQUIRE(h->pages.size() == 1);
        const app::PageHeader& p = h->pages.front();
        CHECK(p.width == decoded.cols);
        CHECK(p.height == decoded.rows);
        CHECK(p.channels >= decoded.channels());
        CHECK(p.bytes_per_sample >= static_cast<int>(decoded.elemSize1()));
        ++checked;
    }
    CHECK(checked == static_cast<int>(cases.size()));
}

TEST_CASE("a multi-page TIFF: every page, each with its own size") {
    Scratch s;
    std::vector<cv::Mat> pages = {cv::Mat(20, 30, CV_8UC1, cv::Scalar(1)), cv::Mat(50, 10, CV_16UC1, cv::Scalar(2)),
                                  cv::Mat(7, 9, CV_8UC3, cv::Scalar(3, 4, 5))};
    REQUIRE(cv::imwrite(s / "pages.tif", pages));
    const auto h = app::read_header(s / "pages.tif");
    REQUIRE(h.has_value());
    REQUIRE(h->pages.size() == 3);
    CHECK(h->pages[0].width == 30);
    CHECK(h->pages[0].height == 20);
    CHECK(h->pages[1].width == 10);
    CHECK(h->pages[1].height == 50);
    CHECK(h->pages[1].bytes_per_sample == 2);
    CHECK(h->pages[2].channels == 3);
    CHECK(cv::imcount(s / "pages.tif") == 3);
}

TEST_CASE("hand-made headers declare sizes no pixel data backs: the header alone is read") {
    Scratch s;
    // A PNG signature and IHDR of 100000x70000 gray, then nothing.
    write_bytes(s / "big.png", std::string("\x89PNG\r\n\x1a\n", 8) + be(13, 4) + "IHDR" + be(100000, 4) + be(70000, 4) +
                                   std::string("\x08\x00\x00\x00\x00", 5) + be(0, 4));
    auto h = app::read_header(s / "big.png");
    REQUIRE(h.has_value());
    CHECK(h->format == "PNG");
    CHECK(h->pages.front().width == 100000);
    CHECK(h->pages.front().height == 70000);
    CHECK(h->pages.front().pixels() == 7'000'000'000);

    // A JPEG whose start-of-frame follows an APP0 segment: 4000 wide, 3000 high, 3 components.
    write_bytes(s / "big.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + be(16, 2) +
                                   std::string("JFIF\0\1\1\0\0\1\0\1\0\0", 14) + std::string("\xFF\xC0", 2) +
                                   be(17, 2) + std::string(1, 8) + be(3000, 2) + be(4000, 2) + std::string(1, 3));
    h = app::read_header(s / "big.jpg");
    REQUIRE(h.has_value());
    CHECK(h->pages.front().width == 4000);
    CHECK(h->pages.front().height == 3000);
    CHECK(h->pages.front().channels == 3);

    // A TIFF of three pages, the second 65536x65536.
    write_bytes(s / "pages.tif", tiff({{10, 20}, {65536, 65536}, {3, 4}}));
    h = app::read_header(s / "pages.tif");
    REQUIRE(h.has_value());
    REQUIRE(h->pages.size() == 3);
    CHECK(h->pages[1].pixels() == std::int64_t{1} << 32);

    // A PGM with comments in its header.
    write_bytes(s / "c.pgm", "P5\n# made by hand\n 640 # width\n480\n65535\n");
    h = app::read_header(s / "c.pgm");
    REQUIRE(h.has_value());
    CHECK(h->pages.front().width == 640);
    CHECK(h->pages.front().height == 480);
    CHECK(h->pages.front().bytes_per_sample == 2);

    // A Radiance HDR file, rows first.
    write_bytes(s / "r.hdr", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 300 +X 500\n");
    h = app::read_header(s / "r.hdr");
    REQUIRE(h.has_value());
    CHECK(h->pages.front().width == 500);
    CHECK(h->pages.front().height == 300);
}

TEST_CASE("malformed headers: nullopt, never a loop, a crash or a huge read") {
    Scratch s;
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"empty", ""},
        {"not an image", "hello, world\n"},
        {"PNG signature only", std::string("\x89PNG\r\n\x1a\n", 8)},
        {"PNG of width 0", std::string("\x89PNG\r\n\x1a\n", 8) + be(13, 4) + "IHDR" + be(0, 4) + be(5, 4) +
                               std::string("\x08\x00\x00\x00\x00", 5)},
        {"JPEG without a frame", std::string("\xFF\xD8\xFF\xD9", 4)},
        {"JPEG with a zero-length segment", std::string("\xFF\xD8\xFF\xE0\x00\x00", 6)},
        {"TIFF whose directories loop", tiff({{10, 10}, {20, 20}}, true)},
        {"TIFF directory past the end", "II*" + std::string(1, '\0') + le(1u << 30, 4)},
        {"TIFF of width 0", tiff({{0, 10}})},
        {"PNM without a size", "P6\n"},
        {"PAM without ENDHDR", "P7\nWIDTH 4\nHEIGHT 4\n"},
        {"HDR without a size", "#?RADIANCE\n\n"},
        {"WebP with an unknown chunk", "RIFF" + le(20, 4) + "WEBPABCD" + le(0, 4)},
    };
    for (const auto& [what, bytes] : bad) {
        CAPTURE(what);
        write_bytes(s / "bad", bytes);
        CHECK_FALSE(app::read_header(s / "bad").has_value());
    }
    CHECK_FALSE(app::read_header(s / "missing").has_value());
}
