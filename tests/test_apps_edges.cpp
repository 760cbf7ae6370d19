// The fftconv tool at its edges: files that declare more pixels than they hold, non-finite and
// wild float values, alpha channels, multi-page TIFFs, float data, names the file system or JSON
// cannot take, a full standard output, existing files' permissions, malformed kernels, work
// that would take minutes, standard input and output, and the small things a new user trips
// over (typos, repeated options, sizes printed height first).
#include <sys/stat.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "apps_harness.hpp"

using namespace apps_test;

namespace {

const std::string chelsea = FFTCONV_SAMPLES_DIR "/chelsea.png";  // 451 wide, 300 high, colour
const std::string face = FFTCONV_SAMPLES_DIR "/camera_face.png";

// A PNG that declares width x height 8-bit gray pixels and holds none: a signature, its IHDR
// chunk and a truncated IDAT. Any decoder that got past the header would fail on it.
std::string png_header_only(std::uint32_t width, std::uint32_t height) {
    return "\x89PNG\r\n\x1a\n" +
           png_chunk("IHDR", big_endian(width) + big_endian(height) + std::string("\x08\0\0\0\0", 5)) +
           big_endian(1000) + "IDAT";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A float image of value 0.5 with +Inf, -Inf, NaN and 1e30 at four places apart.
cv::Mat wild_float() {
    cv::Mat m(64, 64, CV_32FC1, cv::Scalar(0.5));
    m.at<float>(10, 10) = INFINITY;
    m.at<float>(10, 50) = -INFINITY;
    m.at<float>(50, 10) = NAN;
    m.at<float>(50, 50) = 1e30f;
    return m;
}

}  // namespace

TEST_CASE("decompression bombs: refused from the header, before decoding, in one line naming the size") {
    Scratch s;
    write_bytes(s / "bomb.png", png_header_only(100000, 100000));
    // The default --max-pixels.
    Result r = run({"blur", s / "bomb.png", s / "out.png", "--sigma", "2"}, s);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(contains(r.err, in_quotes(s / "bomb.png")));
    CHECK(contains(r.err, "100000x100000 (10000000000 pixels), more than --max-pixels 134217728"));
    CHECK(contains(r.err, "nothing was decoded"));
    CHECK(contains(r.err, " GB"));
    CHECK_FALSE(fs::exists(s / "out.png"));
    // Past --max-pixels, the memory estimate: 10^12 pixels need terabytes.
    write_bytes(s / "bigger.png", png_header_only(1000000, 1000000));
    r = run({"sobel", s / "bigger.png", s / "out.png", "--max-pixels", "1000000000000"}, s);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(contains(r.err, "1000000x1000000: sobel would need about "));
    CHECK(contains(r.err, " TB, more than the memory limit"));
    // A real, decodable PNG of 8192x8192 zeros (a few tens of kB) under a lower limit.
    REQUIRE(cv::imwrite(s / "zeros.png", cv::Mat::zeros(8192, 8192, CV_8UC1)));
    CHECK(fs::file_size(s / "zeros.png") < 200000);
    r = run({"lowpass", s / "zeros.png", s / "out.png", "--cutoff", "0.1", "--max-pixels", "1000000"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "8192x8192 (67108864 pixels), more than --max-pixels 1000000"));
    // A kernel image and a template, the same way.
    r = run({"conv", camera, s / "bomb.png", s / "out.png"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, in_quotes(s / "bomb.png")));
    CHECK(contains(r.err, "more than --max-pixels"));
    // A template larger than the image is refused before either is decoded (this one has no data).
    write_bytes(s / "huge_template.png", png_header_only(16384, 16384));
    r = run({"match", camera, s / "huge_template.png"}, s);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(contains(r.err, "(16384x16384) is larger than the image"));
    CHECK(contains(r.err, "(512x512)"));
    CHECK(contains(r.err, "nothing was decoded"));
    // Whatever refuses them, OpenCV's own assertion text never reaches the user.
    for (const char* f : {"bomb.png", "bigger.png", "huge_template.png"}) {
        r = run({"blur", s / f, s / "out.png", "--sigma", "1", "--max-pixels", "100000000000000"}, s);
        CHECK(r.status == 1);
        CHECK_FALSE(contains(r.err, "CV_IO_MAX_IMAGE_PIXELS"));
    }
    CHECK_FALSE(fs::exists(s / "out.png"));
}

TEST_CASE("non-finite and wild float pixels: the finite values set the scaling, and the rest is counted") {
    Scratch s;
    REQUIRE(cv::imwrite(s / "wild.tif", wild_float()));
    Result r = run({"blur", s / "wild.tif", s / "blur.png", "--sigma", "1"}, s);
    REQUIRE(r.status == 0);
    // The image is 0.5 away from the four wild pixels: mid-gray, not black.
    const cv::Mat blurred = read_any(s / "blur.png");
    REQUIRE(blurred.type() == CV_8UC1);
    CHECK(std::abs(blurred.at<uchar>(30, 30) - 127.5) < 1);
    CHECK(contains(r.out, "values kept (0..1 -> 0..255"));
    CHECK(contains(r.err, "warning: " + s / "blur.png" + ": "));
    CHECK(contains(r.err, "non-finite values ("));
    CHECK(contains(r.err, "--raw keeps them"));
    CHECK(lines(r.err) == 1);

    // A ramp's derivative with one +Inf: the finite derivative sets the scaling (not flat gray).
    cv::Mat ramp(64, 64, CV_32FC1);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) ramp.at<float>(y, x) = static_cast<float>(x) / 64;
    ramp.at<float>(5, 5) = INFINITY;
    REQUIRE(cv::imwrite(s / "ramp.tif", ramp));
    r = run({"sobel", s / "ramp.tif", s / "dx.png"}, s);
    REQUIRE(r.status == 0);
    const cv::Mat dx = read_any(s / "dx.png");
    CHECK(dx.at<uchar>(40, 40) == 255);  // the largest finite derivative
    CHECK(contains(r.err, "non-finite"));

    // --raw keeps them as they are.
    r = run({"blur", s / "wild.tif", s / "raw.tif", "--sigma", "1", "--raw"}, s);
    REQUIRE(r.status == 0);
    const cv::Mat raw = read_any(s / "raw.tif");
    REQUIRE(raw.type() == CV_32FC1);
    CHECK(std::isinf(raw.at<float>(10, 10)));
    CHECK(std::isnan(raw.at<float>(50, 10)));
    CHECK(raw.at<float>(30, 30) == doctest::Approx(0.5));
    CHECK(contains(r.err, "written as they are"));
}

TEST_CASE("alpha: carried through by the image filters, dropped by derivatives, never filtered") {
    Scratch s;
    cv::Mat bgra(40, 60, CV_8UC4);
    cv::randu(bgra, 0, 255);
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 60; ++x) bgra.at<cv::Vec4b>(y, x)[3] = static_cast<uchar>(x * 4);  // a gradient
    REQUIRE(cv::imwrite(s / "rgba.png", bgra));
    std::vector<cv::Mat> channels;
    cv::split(bgra, channels);
    const auto alpha_of = [](const cv::Mat& m) {
        std::vector<cv::Mat> c;
        cv::split(m, c);
        return c.back();
    };
    const auto same = [](const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_INF) == 0; };

    // blur: 4 channels, the alpha unchanged, the colour channels blurred as the library does.
    REQUIRE(run({"blur", s / "rgba.png", s / "blur.png", "--sigma", "2"}, s).status == 0);
    cv::Mat out = read_any(s / "blur.png");
    REQUIRE(out.type() == CV_8UC4);
    CHECK(same(alpha_of(out), channels[3]));
    std::vector<cv::Mat> got;
    cv::split(out, got);
    for (int c = 0; c < 3; ++c) {
        const Image<float> expected = gaussian_blur(to_image<float>(channels[static_cast<std::size_t>(c)]), 2.0);
        CHECK(max_diff(to_image<float>(got[static_cast<std::size_t>(c)]), expected) <= 0.5 + 1e-3);
    }
    // lowpass keeps it; conv --mode same keeps it, full drops it (another size).
    REQUIRE(run({"lowpass", s / "rgba.png", s / "lp.png", "--cutoff", "0.2"}, s).status == 0);
    CHECK(same(alpha_of(read_any(s / "lp.png")), channels[3]));
    REQUIRE(run({"conv", s / "rgba.png", "box:3", s / "same.png", "--mode", "same"}, s).status == 0);
    CHECK(same(alpha_of(read_any(s / "same.png")), channels[3]));
    REQUIRE(run({"conv", s / "rgba.png", "box:3", s / "full.png"}, s).status == 0);
    CHECK(read_any(s / "full.png").type() == CV_8UC3);
    // Derivatives are opaque: sobel, its magnitude and the high-pass drop alpha.
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"sobel", s / "rgba.png", s / "dx.png"},
             {"sobel", s / "rgba.png", s / "mag.png", "--magnitude"},
             {"lowpass", s / "rgba.png", s / "hp.png", "--cutoff", "0.2", "--highpass"}}) {
        CAPTURE(args.front());
        REQUIRE(run(args, s).status == 0);
        const cv::Mat m = read_any(args[2]);
        CHECK(m.type() == CV_8UC3);
        double hi = 0;
        cv::minMaxLoc(m.reshape(1), nullptr, &hi);
        CHECK(hi > 0);
    }
    // A format without alpha says that it drops it.
    const Result jpg = run({"blur", s / "rgba.png", s / "blur.jpg", "--sigma", "1"}, s);
    REQUIRE(jpg.status == 0);
    CHECK(contains(jpg.err, "the alpha channel is not written"));
    // match uses the colour channels: a template cut from the image is found exactly, even with
    // alpha of its own that differs.
    cv::Mat templ = bgra(cv::Rect(20, 10, 16, 12)).clone();
    for (int y = 0; y < templ.rows; ++y)
        for (int x = 0; x < templ.cols; ++x) templ.at<cv::Vec4b>(y, x)[3] = 255;
    REQUIRE(cv::imwrite(s / "templ.png", templ));
    const Result m = run({"match", s / "rgba.png", s / "templ.png", "--top", "1"}, s);
    REQUIRE(m.status == 0);
    CHECK(contains(m.out, "   1     20     10            1"));
}

TEST_CASE("multi-page TIFF: every page processed, --page picks one, a single-page format is refused") {
    Scratch s;
    std::vector<cv::Mat> pages;
    for (int i = 0; i < 3; ++i) {
        cv::Mat p(30, 40, CV_8UC1);
        cv::randu(p, 0, 255);
        pages.push_back(p);
    }
    REQUIRE(cv::imwrite(s / "stack.tif", pages));
    Result r = run({"blur", s / "stack.tif", s / "out.tif", "--sigma", "1.5"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "3 pages of 40x30"));
    std::vector<cv::Mat> out;
    REQUIRE(cv::imreadmulti(s / "out.tif", out, cv::IMREAD_UNCHANGED));
    REQUIRE(out.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(max_diff(to_image<float>(out[i]), gaussian_blur(to_image<float>(pages[i]), 1.5)) <= 0.5 + 1e-3);
    r = run({"blur", s / "stack.tif", s / "out.png", "--sigma", "1.5"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "has 3 pages"));
    CHECK(contains(r.err, "--page N"));
    CHECK_FALSE(fs::exists(s / "out.png"));
    REQUIRE(run({"blur", s / "stack.tif", s / "two.png", "--sigma", "1.5", "--page", "2"}, s).status == 0);
    CHECK(max_diff(to_image<float>(read_any(s / "two.png")), gaussian_blur(to_image<float>(pages[1]), 1.5)) <=
          0.5 + 1e-3);
    CHECK(run({"blur", s / "stack.tif", s / "x.png", "--sigma", "1", "--page", "4"}, s).status == 1);
}

TEST_CASE("float in, float-capable format out: float unless --scale asks for 8 bits; EXR always float") {
    Scratch s;
    cv::Mat f(50, 70, CV_32FC1);
    cv::randu(f, -3, 7);
    REQUIRE(cv::imwrite(s / "f.tif", f));
    Result r = run({"blur", s / "f.tif", s / "out.tif", "--sigma", "2"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "32-bit float, values unscaled"));
    const cv::Mat out = read_any(s / "out.tif");
    REQUIRE(out.type() == CV_32FC1);
    CHECK(max_diff(to_image<float>(out), gaussian_blur(to_image<float>(f), 2.0)) < 1e-5);
    REQUIRE(run({"blur", s / "f.tif", s / "scaled.tif", "--sigma", "2", "--scale", "keep"}, s).status == 0);
    CHECK(read_any(s / "scaled.tif").type() == CV_8UC1);
    // An 8-bit input into OpenEXR, which holds no 8-bit samples: float, not a failed write.
    r = run({"blur", camera, s / "out.exr", "--sigma", "1"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "32-bit float"));
    CHECK(run({"blur", camera, s / "x.exr", "--sigma", "1", "--scale", "keep"}, s).status == 2);
    // 64-bit samples are computed in float: said, not silent.
    cv::Mat d(20, 30, CV_64FC1);
    cv::randu(d, 0, 1);
    REQUIRE(cv::imwrite(s / "d.tif", d));
    r = run({"blur", s / "d.tif", s / "d_out.tif", "--sigma", "1"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.err, "64-bit float or 32-bit integer samples were computed in 32-bit float"));
}

TEST_CASE("output names up to the file system's limit work; longer ones are refused before the work") {
    Scratch s;
    const std::string longest = std::string(251, 'n') + ".png";  // 255 bytes, NAME_MAX on Linux
    Result r = run({"blur", camera, s / longest, "--sigma", "1"}, s);
    CHECK(r.status == 0);
    CHECK(fs::exists(s / longest));
    const std::string too_long = std::string(252, 'n') + ".png";
    r = run({"blur", camera, s / too_long, "--sigma", "1"}, s);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "the file name is 256 bytes long, more than the 255"));
    // Nothing else was left in the directory (no temporary file).
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(s.dir)) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("standard output: a write error is an error; JSON stays valid UTF-8 whatever the file names") {
    Scratch s;
    Result r = run({"match", camera, face, "--json"}, s, "/dev/null", "/dev/full");
    CHECK(r.status == 1);
    CHECK(r.err == "fftconv match: error: cannot write to standard output (No space left on device)\n");
    r = run({"blur", camera, s / "b.png", "--sigma", "1"}, s, "/dev/null", "/dev/full");
    CHECK(r.status == 1);
    CHECK(contains(r.err, "cannot write to standard output"));
    CHECK(run({"--help"}, s, "/dev/null", "/dev/full").status == 1);

    // Bytes that are not UTF-8 become \ufffd; UTF-8 passes through.
    const std::string odd = s / "f\xff\xfe.png", accented = s / "caf\xc3\xa9.png";
    fs::copy_file(face, odd);
    fs::copy_file(face, accented);
    r = run({"match", camera, odd, "--json", "--top", "1"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "\"template\": \"" + s / "f\\ufffd\\ufffd.png\""));
    CHECK(std::none_of(r.out.begin(), r.out.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    r = run({"match", camera, accented, "--json", "--top", "1"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "caf\xc3\xa9.png"));
}

TEST_CASE("an existing output is replaced keeping its mode") {
    Scratch s;
    for (const fs::perms mode : {fs::perms(0600), fs::perms(0755), fs::perms(0640)}) {
        write_bytes(s / "out.png", "old");
        fs::permissions(s / "out.png", mode);
        REQUIRE(run({"blur", camera, s / "out.png", "--sigma", "1"}, s).status == 0);
        CHECK((fs::status(s / "out.png").permissions() & fs::perms::all) == mode);
        CHECK(read_any(s / "out.png").size() == cv::Size(512, 512));
    }
}

TEST_CASE("kernels: an empty entry is an error naming its place; brackets; parse errors are shown") {
    Scratch s;
    const auto refused = [&](const std::string& kernel, const std::string& message) {
        CAPTURE(kernel);
        const Result r = run({"conv", camera, kernel, s / "o.png"}, s);
        CHECK(r.status == 2);
        CHECK_MESSAGE(contains(r.err, message), r.err);
        CHECK(lines(r.err) == 1);
    };
    refused("1,,2", "kernel '1,,2': row 1, entry 2 is empty");
    refused("1,2,", "row 1, entry 3 is empty");
    refused(",1,2", "row 1, entry 1 is empty");
    refused("1,2;;3,4", "row 2 is empty");
    refused("[1,,2]", "row 1, entry 2 is empty");
    refused("[[1,2],[3,]]", "row 2, entry 2 is empty");
    refused("[[1,2],[3]]", "row 2 has 1 values, row 1 has 2");
    // numpy / JSON brackets, inline and in files, as the plain forms.
    const auto kernel_of = [&](const std::string& kernel) {
        const Result r = run({"conv", camera, kernel, s / "k.tif", "--raw"}, s);
        REQUIRE(r.status == 0);
        return read_raw(s / "k.tif");
    };
    const Image<float> plain = kernel_of("1,2;3,4");
    CHECK(max_diff(kernel_of("[[1, 2], [3, 4]]"), plain) == 0);
    std::ofstream(s / "brackets.txt") << "# numpy's print\n[[1. 2.]\n [3. 4.]]\n";
    CHECK(max_diff(kernel_of(s / "brackets.txt"), plain) == 0);
    // A text file that does not parse says why, not "cannot read as an image".
    std::ofstream(s / "typo.txt") << "1 2\n3 x\n";
    const Result r = run({"conv", camera, s / "typo.txt", s / "o.png"}, s);
    CHECK(r.status == 2);
    CHECK(r.err == "fftconv conv: error: kernel file '" + s / "typo.txt" + "': line 2, entry 2: 'x' is not a number\n");
}

TEST_CASE("image kernels: --no-normalize takes a Sobel kernel's values as they are") {
    Scratch s;
    const cv::Mat sobel_x = (cv::Mat_<float>(3, 3) << -1, 0, 1, -2, 0, 2, -1, 0, 1);
    REQUIRE(cv::imwrite(s / "sobel.tif", sobel_x));
    Result r = run({"conv", camera, s / "sobel.tif", s / "o.png", "--mode", "same"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "sums to 0, so it cannot be normalised to sum 1 (--no-normalize"));
    REQUIRE(
        run({"conv", camera, s / "sobel.tif", s / "a.tif", "--mode", "same", "--raw", "--no-normalize"}, s).status ==
        0);
    REQUIRE(run({"conv", camera, "-1,0,1;-2,0,2;-1,0,1", s / "b.tif", "--mode", "same", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "a.tif"), read_raw(s / "b.tif")) == 0);
}

TEST_CASE("compare: the estimate first; repeats stop at --max-seconds; work past it is refused") {
    Scratch s;
    // 100000 runs of a 3x3 box take far more than 3 s: capped, and the output says so.
    Result r = run({"compare", camera, "box:3", "--repeat", "100000", "--max-seconds", "3"}, s);
    REQUIRE(r.status == 0);
    const auto estimate = r.out.find("estimate    direct "), timing = r.out.find("direct      median");
    REQUIRE(estimate != std::string::npos);
    REQUIRE(timing != std::string::npos);
    CHECK(estimate < timing);
    CHECK(contains(r.out, "(not 100000: --max-seconds 3 s)"));
    // gaussian:1000 is an 8001x8001 kernel: hours of direct sums, refused before anything runs.
    r = run({"compare", camera, "gaussian:1000"}, s);
    CHECK(r.status == 1);
    CHECK(lines(r.err) == 1);
    CHECK(contains(r.err, "compare with one run of each method is estimated at"));
    CHECK(contains(r.err, "more than --max-seconds 60 s"));
}

TEST_CASE("slow work is announced, and refused past --max-seconds") {
    Scratch s;
    // The ideal low-pass's direct method is a circular convolution with a kernel as large as the
    // padded image: minutes for 512x512.
    Result r = run({"lowpass", camera, s / "o.png", "--cutoff", "0.1", "--shape", "ideal", "--method", "direct"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "lowpass by the direct method is estimated at"));
    CHECK(contains(r.err, "more than --max-seconds 60 s"));
    CHECK_FALSE(fs::exists(s / "o.png"));
    // A smaller image runs, and a run estimated at more than 2 s says so first.
    cv::Mat small(220, 230, CV_8UC1);
    cv::randu(small, 0, 255);
    REQUIRE(cv::imwrite(s / "small.png", small));
    r = run({"lowpass", s / "small.png", s / "o.png", "--cutoff", "0.1", "--shape", "ideal", "--method", "direct",
             "--max-seconds", "0"},
            s);
    CHECK(r.status == 0);
    CHECK(contains(r.err, "note: " + in_quotes(s / "small.png") +
                              " (230x220): lowpass by the direct method is "
                              "estimated at"));
}

TEST_CASE("standard input and output: '-' for IN and OUT") {
    Scratch s;
    REQUIRE(run({"blur", camera, s / "file.png", "--sigma", "2"}, s).status == 0);
    Result r = run({"blur", "-", "-", "--sigma", "2"}, s, camera, s / "piped.png");
    REQUIRE(r.status == 0);
    CHECK(contains(r.err, "wrote standard output (512x512"));  // messages go to stderr
    CHECK(slurp(s / "piped.png") == slurp(s / "file.png"));
    // --ext picks the format; a float format keeps --raw's floats.
    r = run({"sobel", "-", "-", "--ext", "tif", "--raw"}, s, camera, s / "piped.tif");
    REQUIRE(r.status == 0);
    CHECK(read_any(s / "piped.tif").type() == CV_32FC1);
    // The template from standard input.
    r = run({"match", camera, "-", "--top", "1"}, s, face);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "   1    186    108            1"));
    CHECK(run({"match", "-", "-"}, s, face).status == 2);
    CHECK(contains(run({"blur", "-", s / "x.png", "--sigma", "1"}, s).err, "cannot read standard input: it is empty"));
}

TEST_CASE("rough edges: typos, repeated options, argument order, one prefix, sizes width first") {
    Scratch s;
    Result r = run({"blurr"}, s);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unknown command 'blurr'; did you mean 'blur'?"));
    r = run({"blur", camera, s / "o.png", "--sigam", "2"}, s);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unknown option --sigam; did you mean --sigma?"));
    r = run({"blur", camera, s / "o.png", "--sigma", "2", "--sigma", "3"}, s);
    CHECK(r.status == 2);
    CHECK(r.err == "fftconv blur: error: --sigma is given twice ('2' and '3')\n");
    CHECK_FALSE(fs::exists(s / "o.png"));
    // Missing IN and OUT are named before missing options.
    r = run({"blur"}, s);
    CHECK(r.status == 2);
    CHECK(r.err == "fftconv blur: error: expected IN OUT, got 0 arguments (see fftconv blur --help)\n");
    r = run({"sobel", camera, s / "o.png", "--ksize", "4"}, s);
    CHECK(r.status == 2);
    CHECK(r.err.starts_with("fftconv sobel: error: ksize must be"));
    // Width x height everywhere: chelsea.png is 451 wide and 300 high.
    r = run({"blur", chelsea, s / "c.png", "--sigma", "1"}, s);
    CHECK(contains(r.out, "wrote " + s / "c.png" + " (451x300,"));
    cv::Mat wide_template = cv::imread(chelsea, cv::IMREAD_UNCHANGED)(cv::Rect(100, 50, 64, 32)).clone();
    REQUIRE(cv::imwrite(s / "wide.png", wide_template));
    r = run({"match", chelsea, s / "wide.png", "--top", "1"}, s);
    CHECK(contains(r.out, "(451x300 3-channel 8-bit)"));
    CHECK(contains(r.out, "(64x32 3-channel 8-bit)"));
    CHECK(contains(r.out, "of the 64x32 match"));
    CHECK(contains(r.out, "   1    100     50            1"));
    r = run({"compare", chelsea, "box:5x3", "--mode", "valid", "--repeat", "1"}, s);
    CHECK(contains(r.out, "kernel      box:5x3 (5x3)"));
    CHECK(contains(r.out, "output      447x298, mode valid"));
    // --outdir is created.
    REQUIRE(run({"blur", camera, "--outdir", s / "new/dir", "--sigma", "1"}, s).status == 0);
    CHECK(fs::exists(s / "new/dir/camera.png"));
    // conv's help no longer says it is what cv::filter2D computes.
    CHECK_FALSE(contains(run({"conv", "--help"}, s).out, "(what cv::filter2D computes"));
}

TEST_CASE("--gray, match --threshold, lowpass's default shape") {
    Scratch s;
    // --gray: OpenCV's BGR-to-gray weights, then the filter.
    REQUIRE(run({"blur", chelsea, s / "g.tif", "--sigma", "2", "--gray", "--raw"}, s).status == 0);
    cv::Mat gray;
    cv::cvtColor(cv::imread(chelsea, cv::IMREAD_COLOR), gray, cv::COLOR_BGR2GRAY);
    CHECK(max_diff(read_raw(s / "g.tif"), gaussian_blur(to_image<float>(gray), 2.0)) < 0.6);  // cvtColor rounds
    // --threshold: three copies of a patch in noise, found without guessing --top.
    cv::Mat scene(200, 300, CV_8UC1);
    cv::randu(scene, 0, 255);
    const cv::Mat patch = scene(cv::Rect(10, 10, 20, 20)).clone();
    patch.copyTo(scene(cv::Rect(150, 40, 20, 20)));
    patch.copyTo(scene(cv::Rect(60, 160, 20, 20)));
    REQUIRE(cv::imwrite(s / "scene.png", scene));
    REQUIRE(cv::imwrite(s / "patch.png", patch));
    Result r = run({"match", s / "scene.png", s / "patch.png", "--threshold", "0.9"}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "3 matches with a score >= 0.9"));
    CHECK(contains(r.out, "    10     10            1"));
    CHECK(contains(r.out, "   150     40            1"));
    CHECK(contains(r.out, "    60    160            1"));
    CHECK_FALSE(contains(r.out, "\n   4 "));
    r = run({"match", s / "scene.png", s / "patch.png", "--threshold", "0.01", "--method", "sqdiff_normed"}, s);
    CHECK(contains(r.out, "3 matches with a score <= 0.01"));
    // The default low-pass shape is the Gaussian (the ideal one rings).
    REQUIRE(run({"lowpass", camera, s / "lp.tif", "--cutoff", "0.1", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "lp.tif"), lowpass(camera_image(), 0.1, FilterShape::gaussian)) < 1e-3);
}

TEST_CASE("calibrate: measures, writes the per-user file later runs load, and --show says which is in force") {
    Scratch s;
    const std::string file = s / "cal.txt";
    Result r = run({"calibrate", "--quick", "--out", file}, s);
    REQUIRE(r.status == 0);
    CHECK(contains(r.out, "wrote " + file));
    CHECK(contains(r.out, "estimates were"));
    CHECK(slurp(file).find("fftconv cost model 1\nmachine ") == 0);
    // Later processes load it (FFTCONV_CALIBRATION names another file than the per-user one).
    REQUIRE(setenv("FFTCONV_CALIBRATION", file.c_str(), 1) == 0);
    r = run({"calibrate", "--show"}, s);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "in force: the calibration in " + file));
    REQUIRE(setenv("FFTCONV_CALIBRATION", "none", 1) == 0);
    r = run({"calibrate", "--show"}, s);
    CHECK(contains(r.out, "in force: the built-in constants"));
    // Bad usage, and a file that cannot be written (its directory is a file): nothing left behind.
    CHECK(run({"calibrate", "extra"}, s).status == 2);
    CHECK(run({"calibrate", "--show", "--quick"}, s).status == 2);
    r = run({"calibrate", "--quick", "--out", file + "/x.txt"}, s);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "cannot write '" + file + "/x.txt'"));
}
