// fftconv shape end to end: the output sizes and formulas it prints for the layers of nn.hpp's
// known answers, the counts, the picture --draw writes, and the layers it refuses.
#include "apps_harness.hpp"

using namespace apps_test;

TEST_CASE("shape prints PyTorch's output sizes with the formula worked out") {
    Scratch s;
    Result r = run({"shape", "--input", "5x5", "--kernel", "3", "--stride", "2", "--padding", "1"}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("output 3x3\n") != std::string::npos);
    CHECK(r.out.find("axis 0: floor((5 + 2*1 - 1*(3 - 1) - 1) / 2) + 1 = 3") != std::string::npos);
    CHECK(r.out.find("9 weights, 81 multiplications") != std::string::npos);
    // The transposed checkerboard's 5x5, and 6x6 with output_padding 1.
    r = run({"shape", "--input", "2x2", "--kernel", "3", "--stride", "2", "--transposed"}, s);
    CHECK(r.out.find("output 5x5\n") != std::string::npos);
    r = run({"shape", "--input", "2x2", "--kernel", "3", "--stride", "2", "--transposed", "--output-padding", "1"}, s);
    CHECK(r.out.find("output 6x6\n") != std::string::npos);
    // max_pool1d of 5 with k2 s2 p1 in ceil mode: 3, the window that would start in the padding dropped.
    r = run(
        {"shape", "--input", "5", "--kernel", "2", "--stride", "2", "--padding", "1", "--pool", "max", "--ceil-mode"},
        s);
    CHECK(r.out.find("output 3\n") != std::string::npos);
    CHECK(r.out.find("the last window would start in the right padding") != std::string::npos);
    // 'same' with an even kernel: the odd zero after.
    r = run({"shape", "--input", "4", "--kernel", "4", "--padding", "same"}, s);
    CHECK(r.out.find("padding 1 before, 2 after") != std::string::npos);
    CHECK(r.out.find("output 4\n") != std::string::npos);
    // Depthwise-separable arithmetic: 16 -> 32 channels, 3x3.
    r = run({"shape", "--input", "7x7", "--kernel", "3", "--channels", "16", "--out-channels", "32"}, s);
    CHECK(r.out.find("4608 weights") != std::string::npos);
    r = run({"shape", "--input", "7x7", "--kernel", "3", "--channels", "16", "--groups", "16"}, s);
    CHECK(r.out.find("144 weights") != std::string::npos);
}

TEST_CASE("shape --draw: one panel per output position") {
    Scratch s;
    const std::string png = s / "conv.png";
    const Result r =
        run({"shape", "--input", "5x5", "--kernel", "3", "--stride", "2", "--padding", "1", "--draw", png}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("drew 9 output positions") != std::string::npos);
    const cv::Mat img = cv::imread(png, cv::IMREAD_COLOR);
    REQUIRE(!img.empty());
    CHECK(img.cols >= 560);
    // The first panel's top-left padded cell holds a tap: the kernel's dark blue is there.
    bool tap = false;
    for (int y = 60; y < 120 && !tap; ++y)
        for (int x = 0; x < 60 && !tap; ++x) {
            const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
            tap = p[0] == 140 && p[1] == 70 && p[2] == 20;
        }
    CHECK(tap);
}

TEST_CASE("shape refuses what PyTorch refuses, with the reason, and writes nothing") {
    Scratch s;
    const std::string png = s / "never.png";
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--input", "5x5", "--kernel", "7", "--draw", png}, "more than the padded input's 5"},
        {{"--input", "5x5", "--kernel", "3", "--stride", "2", "--padding", "same"}, "padding 'same' needs stride 1"},
        {{"--input", "5x5", "--kernel", "2", "--padding", "2", "--pool", "max"}, "must be at most half the kernel"},
        {{"--input", "3", "--kernel", "3", "--stride", "2", "--transposed", "--output-padding", "2"},
         "must be smaller than the stride or the dilation"},
        {{"--input", "5x5", "--kernel", "3x3x3"}, "3 values for an input of 2 axes"},
        {{"--input", "5x5", "--kernel", "3", "--channels", "6", "--groups", "4"}, "groups=4"},
        {{"--input", "4x4x4", "--kernel", "3", "--draw", png}, "--draw draws 1D and 2D layers"},
        {{"--input", "5x", "--kernel", "3"}, "sizes are integers"},
    };
    for (const auto& [args, words] : cases) {
        std::vector<std::string> all{"shape"};
        all.insert(all.end(), args.begin(), args.end());
        const Result r = run(all, s);
        CAPTURE(words);
        CHECK(r.status == 2);
        CHECK_MESSAGE(r.err.find(words) != std::string::npos, r.err);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(!fs::exists(png));
    }
}
