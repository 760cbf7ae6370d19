// End-to-end tests of the fftconv binary: every subcommand on samples/, outputs readable and of
// the right size, numbers equal to the library's; bad usage (exit 2) and failed work (exit 1)
// with one message and no output left behind; existing files and inputs never overwritten.
#include <opencv2/imgproc.hpp>
#include <random>

#include "apps_harness.hpp"

using namespace apps_test;

TEST_CASE("every subcommand has --help with an example; unknown commands and options are usage errors") {
    Scratch s;
    for (const char* c : {"sobel", "blur", "lowpass", "match", "conv", "compare", "calibrate"}) {
        const Result r = run({c, "--help"}, s);
        CAPTURE(c);
        CHECK(r.status == 0);
        CHECK(r.out.find(std::string("usage: fftconv ") + c) == 0);
        CHECK(r.out.find("example:\n  fftconv " + std::string(c)) != std::string::npos);
    }
    CHECK(run({"--help"}, s).status == 0);
    CHECK(run({}, s).status == 2);
    const Result unknown = run({"frobnicate"}, s);
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);
    const Result bad = run({"blur", camera, s / "o.png", "--sigma", "2", "--bogus"}, s);
    CHECK(bad.status == 2);
    CHECK(bad.err == "fftconv blur: error: unknown option --bogus (see fftconv blur --help)\n");
    CHECK_FALSE(fs::exists(s / "o.png"));
}

TEST_CASE("sobel: 8-bit output of the right size; --raw equals the library") {
    Scratch s;
    const Result r = run({"sobel", camera, s / "dx.png"}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("signed: 0 -> 128") != std::string::npos);  // the scaling is printed
    const cv::Mat png = read_any(s / "dx.png");
    CHECK(png.type() == CV_8UC1);
    CHECK(png.size() == cv::Size(512, 512));

    REQUIRE(run({"sobel", camera, s / "dy.tif", "--dx", "0", "--dy", "1", "--ksize", "5", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "dy.tif"), sobel(camera_image(), 0, 1, 5)) == 0);
    REQUIRE(run({"sobel", camera, s / "mag.tif", "--magnitude", "--raw", "--method", "fft"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "mag.tif"), sobel_magnitude(camera_image())) < 1e-3);
    CHECK(run({"sobel", camera, s / "x.png", "--magnitude", "--dx", "1"}, s).status == 2);
    CHECK(run({"sobel", camera, s / "x.png", "--ksize", "4"}, s).status == 2);
}

TEST_CASE("blur: equals gaussian_blur; 8-bit values kept; colour per channel; 16-bit stays 16-bit") {
    Scratch s;
    REQUIRE(run({"blur", camera, s / "b.tif", "--sigma", "2.5", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "b.tif"), gaussian_blur(camera_image(), 2.5)) < 1e-3);
    const Result r = run({"blur", camera, s / "b.png", "--sigma", "2.5", "--border", "wrap"}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("values kept (0..255)") != std::string::npos);

    cv::Mat colour(40, 60, CV_8UC3);
    cv::randu(colour, 0, 255);
    REQUIRE(cv::imwrite(s / "colour.png", colour));
    REQUIRE(run({"blur", s / "colour.png", s / "colour_blur.tif", "--sigma", "1.5", "--raw"}, s).status == 0);
    const cv::Mat got = read_any(s / "colour_blur.tif");
    REQUIRE(got.type() == CV_32FC3);
    const cv::Mat want = per_channel(colour, [](ImageView<const float> c) { return gaussian_blur<float>(c, 1.5); });
    CHECK(cv::norm(got, want, cv::NORM_INF) < 1e-3);

    cv::Mat deep(30, 30, CV_16UC1);
    cv::randu(deep, 0, 65535);
    REQUIRE(cv::imwrite(s / "deep.png", deep));
    REQUIRE(run({"blur", s / "deep.png", s / "deep_blur.png", "--sigma", "1"}, s).status == 0);
    CHECK(read_any(s / "deep_blur.png").type() == CV_16UC1);
    CHECK(run({"blur", camera, s / "x.png"}, s).status == 2);  // --sigma is required
}

TEST_CASE("float inputs: TIFF, EXR and PFM are read with their values") {
    Scratch s;
    setenv("OPENCV_IO_ENABLE_OPENEXR", "1", 1);  // for this process's own cv::imwrite of EXR
    cv::Mat f(37, 53, CV_32FC1);
    cv::randu(f, -2.0, 3.0);
    const Image<float> want = gaussian_blur(to_image<float>(f), 1.2);
    for (const char* ext : {".tif", ".exr", ".pfm"}) {
        CAPTURE(ext);
        REQUIRE(cv::imwrite(s / (std::string("in") + ext), f));
        const Result r = run({"blur", s / (std::string("in") + ext), s / "out.tif", "--sigma", "1.2", "--raw"}, s);
        REQUIRE(r.status == 0);
        CHECK(max_diff(read_raw(s / "out.tif"), want) < 1e-5);
        // Without --raw, float data outside 0..1 keeps its own range, and the mapping says so.
        const Result scaled = run({"blur", s / (std::string("in") + ext), s / "out.png", "--sigma", "1.2"}, s);
        REQUIRE(scaled.status == 0);
        CHECK(scaled.out.find("values kept (-1.99") != std::string::npos);
        CHECK(scaled.out.find(" -> 0..255)") != std::string::npos);
    }
}

TEST_CASE("--scale: each command's default suits its data; the option overrides it") {
    Scratch s;
    const auto mapping = [&](std::vector<std::string> args) {
        const Result r = run(args, s);
        REQUIRE(r.status == 0);
        return r.out;
    };
    // An ideal low-pass rings slightly beyond 0..255: still an image, clipped, not rescaled.
    CHECK(mapping({"lowpass", camera, s / "lp.png", "--cutoff", "0.1", "--shape", "ideal"})
              .find("values kept (0..255, ") != std::string::npos);
    CHECK(mapping({"lowpass", camera, s / "hp.png", "--cutoff", "0.1", "--highpass"}).find("signed: 0 -> 128") !=
          std::string::npos);
    CHECK(mapping({"sobel", camera, s / "m.png", "--magnitude"}).find("stretched: 0..") != std::string::npos);
    CHECK(mapping({"conv", camera, "laplacian", s / "l.png", "--mode", "same"}).find("signed: 0 -> 128") !=
          std::string::npos);
    CHECK(mapping({"conv", camera, "box:3", s / "b.png", "--mode", "same"}).find("values kept (0..255)") !=
          std::string::npos);
    CHECK(mapping({"blur", camera, s / "st.png", "--sigma", "2", "--scale", "stretch"}).find("stretched: 0..") !=
          std::string::npos);
    CHECK(run({"blur", camera, s / "x.png", "--sigma", "2", "--scale", "loud"}, s).status == 2);
}

TEST_CASE("lowpass: equals the library; --highpass; --spectrum") {
    Scratch s;
    REQUIRE(run({"lowpass", camera, s / "lp.tif", "--cutoff", "0.1", "--shape", "butterworth", "--order", "3", "--raw",
                 "--spectrum", s / "spec.png"},
                s)
                .status == 0);
    CHECK(max_diff(read_raw(s / "lp.tif"), lowpass(camera_image(), 0.1, FilterShape::butterworth, 3)) < 1e-3);
    const cv::Mat spec = read_any(s / "spec.png");
    CHECK(spec.size() == cv::Size(512, 512));
    REQUIRE(run({"lowpass", camera, s / "hp.tif", "--cutoff", "0.2", "--highpass", "--border", "wrap", "--raw",
                 "--shape", "ideal"},
                s)
                .status == 0);
    CHECK(max_diff(read_raw(s / "hp.tif"), highpass(camera_image(), 0.2, FilterShape::ideal, 2, Border::wrap)) < 1e-3);
    // The default shape is the Gaussian, which does not ring.
    REQUIRE(run({"lowpass", camera, s / "g.tif", "--cutoff", "0.1", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "g.tif"), lowpass(camera_image(), 0.1, FilterShape::gaussian)) < 1e-3);
    CHECK(run({"lowpass", camera, s / "x.png", "--cutoff", "-1"}, s).status == 2);
    CHECK(run({"lowpass", camera, s / "x.png", "--cutoff", "0.1", "--shape", "square"}, s).status == 2);
}

TEST_CASE("match: finds a template cut from the sample; text, JSON, annotation and score map") {
    Scratch s;
    const cv::Mat photo = read_any(camera);
    REQUIRE(cv::imwrite(s / "face.png", photo(cv::Rect(190, 70, 48, 56))));
    const Result r = run(
        {"match", camera, s / "face.png", "--top", "3", "--annotate", s / "found.png", "--scores", s / "scores.png"},
        s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("   1    190     70            1\n") != std::string::npos);
    CHECK(read_any(s / "found.png").size() == cv::Size(512, 512));
    CHECK(read_any(s / "scores.png").size() == cv::Size(512 - 48 + 1, 512 - 56 + 1));

    const Result j = run({"match", camera, s / "face.png", "--top", "1", "--json", "--method", "sqdiff_normed"}, s);
    REQUIRE(j.status == 0);
    CHECK(j.out.find("\"method\": \"sqdiff_normed\", \"lower_is_better\": true") != std::string::npos);
    // The exact match scores 0 up to rounding (the FFT's, about 1e-16).
    const std::string best = "\"matches\": [{\"rank\": 1, \"x\": 190, \"y\": 70, \"score\": ";
    const auto at = j.out.find(best);
    REQUIRE(at != std::string::npos);
    CHECK(std::abs(std::stod(j.out.substr(at + best.size()))) < 1e-9);
    CHECK(j.out.ends_with("}]}\n"));

    // The score map equals the library's.
    REQUIRE(run({"match", camera, s / "face.png", "--scores", s / "scores.tif", "--raw", "--method", "ccorr_normed"}, s)
                .status == 0);
    const Image<float> want =
        match_template(camera_image(), to_image<float>(read_any(s / "face.png")), MatchMethod::ccorr_normed);
    CHECK(max_diff(read_raw(s / "scores.tif"), want) < 1e-6);
    CHECK(run({"match", s / "face.png", camera}, s).status == 1);  // template larger than the image
}

TEST_CASE("conv: named, inline and file kernels; modes; equals the library") {
    Scratch s;
    REQUIRE(run({"conv", camera, "gaussian:2", s / "g.tif", "--mode", "same", "--raw"}, s).status == 0);
    const std::vector<double> g = gaussian_kernel<double>(2);
    Image<float> k2(static_cast<long>(g.size()), static_cast<long>(g.size()));
    for (long i = 0; i < k2.rows(); ++i)
        for (long j = 0; j < k2.cols(); ++j) k2(i, j) = static_cast<float>(g[i] * g[j]);
    CHECK(max_diff(read_raw(s / "g.tif"), convolve(camera_image(), k2, Mode::same)) < 1e-3);

    REQUIRE(run({"conv", camera, "1,2,1;0,0,0;-1,-2,-1", s / "v.tif", "--mode", "valid", "--correlate", "--raw"}, s)
                .status == 0);
    const Image<float> sobel_y{{1, 2, 1}, {0, 0, 0}, {-1, -2, -1}};
    CHECK(max_diff(read_raw(s / "v.tif"), correlate(camera_image(), sobel_y, Mode::valid)) < 1e-3);

    std::ofstream(s / "k.txt") << "# a 2x3 kernel\n1 2 3\n4, 5, 6\n";
    const Result r = run({"conv", camera, s / "k.txt", s / "f.png"}, s);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("k.txt (3x2 matrix)") != std::string::npos);  // width x height
    CHECK(read_any(s / "f.png").size() == cv::Size(514, 513));     // full: (512+2-1) rows x (512+3-1) cols
    // Named derivative kernels under --correlate are cv::Sobel's (a zero border in same mode).
    REQUIRE(run({"conv", camera, "sobel-x", s / "sx.tif", "--mode", "same", "--correlate", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "sx.tif"), sobel(camera_image(), 1, 0, 3, Border::constant)) < 1e-3);
    REQUIRE(run({"conv", camera, "scharr-y", s / "sy.tif", "--mode", "same", "--correlate", "--raw"}, s).status == 0);
    CHECK(max_diff(read_raw(s / "sy.tif"), sobel(camera_image(), 0, 1, -1, Border::constant)) < 1e-3);
    CHECK(run({"conv", camera, "gaussian:-1", s / "x.png"}, s).status == 2);
    CHECK(run({"conv", camera, "1,2;3", s / "x.png"}, s).status == 2);
}

TEST_CASE("compare: prints the errors, timings and the automatic choice; --diff heat map") {
    Scratch s;
    const Result r =
        run({"compare", camera, "random:9x9", "--mode", "same", "--repeat", "2", "--diff", s / "d.png"}, s);
    REQUIRE(r.status == 0);
    for (const char* line :
         {"output      512x512, mode same", "max |fft - direct|", "max error / max |out|", "RMS error",
          "direct      median", "fft         median", "speed-up", "automatic   would choose"})
        CHECK_MESSAGE(r.out.find(line) != std::string::npos, line);
    // The relative error it reports is small.
    const auto at = r.out.find("max error / max |out|");
    CHECK(std::stod(r.out.substr(at + 21)) < 1e-5);
    CHECK(read_any(s / "d.png").type() == CV_8UC3);
    CHECK(r.out.find("FFT error bound") != std::string::npos);
    CHECK(r.out.find("distorted") == std::string::npos);  // an ordinary photo: nothing swamped
    CHECK(run({"compare", camera}, s).status == 2);
}

TEST_CASE("compare: says which outputs the FFT's error swamps (values near 1e-6 next to 1e6)") {
    Scratch s;
    cv::Mat m(64, 64, CV_32F, cv::Scalar(1e-6));
    m(cv::Rect(0, 0, 32, 64)).setTo(1e6);
    REQUIRE(cv::imwrite(s / "range.tiff", m));
    const Result r = run({"compare", s / "range.tiff", "box:9", "--mode", "same", "--repeat", "1"}, s);
    REQUIRE(r.status == 0);
    // The dim half's outputs (1e-6) lie far below the FFT's absolute error (about 1e6 · 1e-7).
    CHECK_MESSAGE(r.out.find("distorted   ") != std::string::npos, r.out);
    CHECK(r.out.find("of 4096 nonzero outputs are smaller than max |fft - direct|") != std::string::npos);
}

TEST_CASE("batches: several inputs with --outdir") {
    Scratch s;
    fs::create_directory(s / "out");
    fs::copy_file(camera, s / "a.png");
    fs::copy_file(camera, s / "b.png");
    const Result r = run(
        {"blur", s / "a.png", s / "b.png", "--outdir", s / "out", "--sigma", "1", "--threads", "2", "--ext", "tif"}, s);
    REQUIRE(r.status == 0);
    CHECK(read_any(s / "out/a.tif").size() == cv::Size(512, 512));
    CHECK(read_any(s / "out/b.tif").size() == cv::Size(512, 512));
    // One bad input fails the run (exit 1) but not the others.
    const Result partial = run({"sobel", s / "a.png", s / "missing.png", "--outdir", s / "out"}, s);
    CHECK(partial.status == 1);
    CHECK(partial.err.find("cannot read '" + s / "missing.png" + "': no such file") != std::string::npos);
    CHECK(fs::exists(s / "out/a.png"));
    CHECK_FALSE(fs::exists(s / "out/missing.png"));
}

TEST_CASE("failures leave nothing behind and never overwrite: outputs, inputs, unreadable files") {
    Scratch s;
    // An existing output survives a failed run untouched.
    std::ofstream(s / "keep.png") << "precious";
    std::ofstream(s / "broken.png") << "not an image";
    const Result unreadable = run({"blur", s / "broken.png", s / "keep.png", "--sigma", "2"}, s);
    CHECK(unreadable.status == 1);
    CHECK(unreadable.err.find("cannot read '" + s / "broken.png" + "' as an image") != std::string::npos);
    CHECK(slurp(s / "keep.png") == "precious");

    // Never over an input, even through another path to it.
    fs::copy_file(camera, s / "in.png");
    const std::string before = slurp(s / "in.png");
    const Result self = run({"blur", s / "in.png", s.dir.string() + "/./in.png", "--sigma", "2"}, s);
    CHECK(self.status == 2);
    CHECK(self.err.find("refusing to write over the input") != std::string::npos);
    CHECK(slurp(s / "in.png") == before);

    // Bad values are usage errors with no output; missing inputs are processing errors.
    CHECK(run({"blur", camera, s / "new.png", "--sigma", "abc"}, s).status == 2);
    CHECK(run({"blur", camera, s / "new.png", "--sigma", "2", "--raw"}, s).status == 2);
    CHECK(run({"blur", camera, s / "nodir/new.png", "--sigma", "2"}, s).status == 2);
    CHECK(run({"blur", s / "nothing.png", s / "new.png", "--sigma", "2"}, s).status == 1);
    CHECK_FALSE(fs::exists(s / "new.png"));
    // No temporary files linger.
    for (const auto& e : fs::directory_iterator(s.dir))
        CHECK_MESSAGE(e.path().filename().string().find(".tmp") == std::string::npos, e.path().string());
}

// ---------------------------------------------------------------------------------------------
// Bad files and bad paths: every one is refused with exit status 1 or 2 and one line on stderr
// that names the file, and leaves every file that was there byte for byte as it was, with no
// temporary file left over.

TEST_CASE("bad input files: corrupt, truncated, empty, zero-sized, non-image, unreadable, directories") {
    Scratch s;
    cv::Mat picture(48, 64, CV_8UC1);
    cv::randu(picture, 0, 255);
    cv::GaussianBlur(picture, picture, cv::Size(5, 5), 2);  // compressible, like a photograph
    REQUIRE(cv::imwrite(s / "good.png", picture));
    cv::Mat kernel(5, 5, CV_8UC1, cv::Scalar(200));
    REQUIRE(cv::imwrite(s / "kernel.png", kernel));
    write_bytes(s / "keep.png", "an existing output, not to be touched");

    // Corrupt: one byte of the compressed data changed (the chunk's checksum no longer matches).
    std::string png = encoded(picture, ".png");
    const auto idat = png.find("IDAT");
    REQUIRE(idat != std::string::npos);
    png[idat + 20] = static_cast<char>(png[idat + 20] ^ 0x55);
    write_bytes(s / "corrupt.png", png);
    // Truncated: the first half of a file, in four formats.
    for (const char* ext : {".png", ".jpg", ".tif", ".bmp"}) {
        const std::string whole = encoded(picture, ext);
        write_bytes(s / (std::string("truncated") + ext), whole.substr(0, whole.size() / 2));
    }
    write_bytes(s / "empty.png", "");
    // Zero-sized: a PNG header of 0x0 pixels (checksums right), and a 0x0 PGM.
    write_bytes(s / "zero.png", "\x89PNG\r\n\x1a\n" +
                                    png_chunk("IHDR", big_endian(0) + big_endian(0) + std::string("\x08\0\0\0\0", 5)) +
                                    png_chunk("IEND", ""));
    write_bytes(s / "zero.pgm", "P5\n0 0\n255\n");
    write_bytes(s / "text.png", "this is a text file with an image's name\n");
    std::string noise(4096, '\0');
    std::mt19937 rng(7);
    for (char& c : noise) c = static_cast<char>(rng());
    write_bytes(s / "noise.jpg", noise);
    fs::create_directory(s / "folder.png");
    REQUIRE(mkfifo((s / "fifo.png").c_str(), 0644) == 0);

    const std::vector<std::string> sigma = {"--sigma", "1"};
    const auto blur = [&](const std::string& in) {
        std::vector<std::string> a = {"blur", s / in, s / "keep.png"};
        a.insert(a.end(), sigma.begin(), sigma.end());
        return a;
    };
    std::vector<Refusal> cases = {
        {"corrupt PNG", blur("corrupt.png"), s / "corrupt.png"},
        {"truncated PNG", blur("truncated.png"), s / "truncated.png"},
        {"truncated JPEG", blur("truncated.jpg"), s / "truncated.jpg"},
        {"truncated TIFF", blur("truncated.tif"), s / "truncated.tif"},
        {"truncated BMP", blur("truncated.bmp"), s / "truncated.bmp"},
        {"empty file", blur("empty.png"), s / "empty.png"},
        {"0x0 PNG", blur("zero.png"), s / "zero.png"},
        {"0x0 PGM", blur("zero.pgm"), s / "zero.pgm"},
        {"text file", blur("text.png"), s / "text.png"},
        {"random bytes", blur("noise.jpg"), s / "noise.jpg"},
        {"directory as input", blur("folder.png"), s / "folder.png"},
        {"FIFO as input", blur("fifo.png"), s / "fifo.png"},
        {"missing input", blur("missing.png"), s / "missing.png"},
        // The same kinds of file through the other commands and argument positions.
        {"sobel, corrupt input", {"sobel", s / "corrupt.png", s / "keep.png"}, s / "corrupt.png"},
        {"lowpass, truncated input",
         {"lowpass", s / "truncated.png", s / "keep.png", "--cutoff", "0.2"},
         s / "truncated.png"},
        {"conv, empty input", {"conv", s / "empty.png", "box:3", s / "keep.png"}, s / "empty.png"},
        {"conv, corrupt kernel image", {"conv", s / "good.png", s / "corrupt.png", s / "keep.png"}, s / "corrupt.png"},
        {"conv, empty kernel file", {"conv", s / "good.png", s / "empty.png", s / "keep.png"}, s / "empty.png"},
        {"conv, directory as kernel", {"conv", s / "good.png", s / "folder.png", s / "keep.png"}, s / "folder.png"},
        {"match, corrupt image",
         {"match", s / "corrupt.png", s / "kernel.png", "--annotate", s / "keep.png"},
         s / "corrupt.png"},
        {"match, truncated template",
         {"match", s / "good.png", s / "truncated.jpg", "--scores", s / "keep.png"},
         s / "truncated.jpg"},
        {"match, directory as template", {"match", s / "good.png", s / "folder.png"}, s / "folder.png"},
        {"compare, 0x0 input", {"compare", s / "zero.png", "box:3", "--diff", s / "keep.png"}, s / "zero.png"},
    };
    if (running_as_root()) {
        MESSAGE("running as root, which reads any file: the unreadable-file case is skipped");
    } else {
        fs::copy_file(s / "good.png", s / "unreadable.png");
        fs::permissions(s / "unreadable.png", fs::perms::none);
        cases.push_back({"unreadable file", blur("unreadable.png"), s / "unreadable.png"});
        cases.push_back({"conv, unreadable kernel",
                         {"conv", s / "good.png", s / "unreadable.png", s / "keep.png"},
                         s / "unreadable.png"});
    }
    const int n = check_refusals(s, cases);
    MESSAGE(n << " bad-input cases refused");
    std::error_code ec;
    fs::permissions(s / "unreadable.png", fs::perms::owner_all, ec);
}

TEST_CASE("bad outputs: unsupported formats, missing or read-only directories, outputs equal to inputs") {
    Scratch s;
    cv::Mat picture(40, 50, CV_8UC1);
    cv::randu(picture, 0, 255);
    REQUIRE(cv::imwrite(s / "good.png", picture));
    cv::Mat bgra(20, 30, CV_8UC4);
    cv::randu(bgra, 0, 255);
    REQUIRE(cv::imwrite(s / "bgra.png", bgra));
    REQUIRE(cv::imwrite(s / "template.png", picture(cv::Rect(5, 5, 8, 8))));
    write_bytes(s / "keep.png", "an existing output, not to be touched");
    write_bytes(s / "keep.pgm", "an existing output, not to be touched");
    write_bytes(s / "plain", "a regular file");
    fs::create_directory(s / "folder.png");
    fs::create_directory(s / "out");
    fs::create_directory(s / "sub");
    fs::copy_file(s / "good.png", s / "sub/good.png");
    fs::create_symlink(s / "good.png", s / "symlink.png");
    fs::create_hard_link(s / "good.png", s / "hardlink.png");

    const auto blur = [&](const std::string& out) {
        return std::vector<std::string>{"blur", s / "good.png", out, "--sigma", "1"};
    };
    std::vector<Refusal> cases = {
        {"unknown extension", blur(s / "out.xyz"), s / "out.xyz"},
        {"no extension", blur(s / "out"), s / "out"},
        {"--raw into 8-bit PNG", {"blur", s / "good.png", s / "raw.png", "--sigma", "1", "--raw"}, s / "raw.png"},
        {"output directory missing", blur(s / "missing/out.png"), s / "missing/out.png"},
        {"output directory is a regular file", blur(s / "plain/out.png"), s / "plain/out.png"},
        {"output is a directory", blur(s / "folder.png"), s / "folder.png"},
        {"output is the input", blur(s / "good.png"), s / "good.png"},
        {"output is the input by another path", blur(s.dir.string() + "/sub/../good.png"), s / "good.png"},
        {"output is a symbolic link to the input", blur(s / "symlink.png"), s / "symlink.png"},
        {"output is a hard link to the input", blur(s / "hardlink.png"), s / "hardlink.png"},
        {"conv output is the kernel file",
         {"conv", s / "good.png", s / "template.png", s / "template.png"},
         s / "template.png"},
        {"lowpass --spectrum is the input",
         {"lowpass", s / "good.png", s / "keep.png", "--cutoff", "0.1", "--spectrum", s / "good.png"},
         s / "good.png"},
        {"lowpass --spectrum is OUT",
         {"lowpass", s / "good.png", s / "new.png", "--cutoff", "0.1", "--spectrum", s.dir.string() + "/./new.png"},
         s / "new.png"},
        {"match --annotate is the template",
         {"match", s / "good.png", s / "template.png", "--annotate", s / "template.png"},
         s / "template.png"},
        {"match --annotate and --scores one file",
         {"match", s / "good.png", s / "template.png", "--annotate", s / "m.png", "--scores", s / "sub/../m.png"},
         s / "m.png"},
        {"compare --diff is the input", {"compare", s / "good.png", "box:3", "--diff", s / "good.png"}, s / "good.png"},
        // The encoder refuses the data after the work is done (PGM holds one channel).
        {"encoder fails", {"blur", s / "bgra.png", s / "keep.pgm", "--sigma", "1"}, s / "keep.pgm"},
        // Batches.
        {"--outdir is a regular file", {"blur", s / "good.png", "--outdir", s / "plain", "--sigma", "1"}, s / "plain"},
        {"--outdir with an unknown --ext",
         {"blur", s / "good.png", "--outdir", s / "out", "--ext", "xyz", "--sigma", "1"},
         s / "out/good.xyz"},
        {"--outdir is the inputs' directory",
         {"blur", s / "good.png", "--outdir", s.dir.string(), "--sigma", "1"},
         s / "good.png"},
        {"two inputs of one name",
         {"blur", s / "good.png", s / "sub/good.png", "--outdir", s / "out", "--sigma", "1"},
         s / "out/good.png"},
    };
    if (fs::is_directory("/proc")) {
        // A directory nobody can create files in, root included (exit 1 as root, 2 otherwise).
        cases.push_back({"output in /proc", blur("/proc/fftconv-out.png"), "/proc/fftconv-out.png"});
    }
    if (running_as_root()) {
        MESSAGE("running as root, which writes anywhere: the read-only-directory cases are skipped");
    } else {
        fs::create_directory(s / "readonly");
        fs::permissions(s / "readonly", fs::perms::owner_read | fs::perms::owner_exec);
        cases.push_back({"read-only output directory", blur(s / "readonly/out.png"), s / "readonly/out.png"});
        cases.push_back({"read-only --outdir",
                         {"blur", s / "good.png", "--outdir", s / "readonly", "--sigma", "1"},
                         s / "readonly/good.png"});
    }
    const int n = check_refusals(s, cases);
    MESSAGE(n << " bad-output cases refused");
    std::error_code ec;
    fs::permissions(s / "readonly", fs::perms::owner_all, ec);
}

TEST_CASE("a batch with bad files among good ones writes the good ones and names each bad one") {
    Scratch s;
    cv::Mat picture(30, 40, CV_8UC3);
    cv::randu(picture, 0, 255);
    REQUIRE(cv::imwrite(s / "a.png", picture));
    REQUIRE(cv::imwrite(s / "c.png", picture.t()));
    std::string png = encoded(picture, ".png");
    write_bytes(s / "b.png", png.substr(0, png.size() / 2));  // truncated
    fs::create_directory(s / "d.png");                        // a directory
    for (const char* threads : {"1", "2"}) {
        CAPTURE(threads);
        fs::remove_all(s / "out");
        fs::create_directory(s / "out");
        write_bytes(s / "out/b.png", "the output of an earlier run");
        const auto before = snapshot(s.dir);
        const Result r = run(
            {"sobel", s / "a.png", s / "b.png", s / "c.png", s / "d.png", "--outdir", s / "out", "--threads", threads},
            s);
        CHECK(r.status == 1);
        // One line per bad file, each naming it; one "wrote" line per good one.
        CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 2, "stderr: " << r.err);
        CHECK(r.err.find(in_quotes(s / "b.png")) != std::string::npos);
        CHECK(r.err.find(in_quotes(s / "d.png")) != std::string::npos);
        CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
        CHECK(read_any(s / "out/a.png").size() == cv::Size(40, 30));
        CHECK(read_any(s / "out/c.png").size() == cv::Size(30, 40));
        // The inputs and the earlier output are as they were; nothing else appeared.
        auto after = snapshot(s.dir);
        after.erase("out/a.png");
        after.erase("out/c.png");
        CHECK_MESSAGE(after == before, "files touched:" << changes(before, after));
    }
}

TEST_CASE(
    "an integer image is filtered in strips of rows: blur, sobel and conv --mode same equal the library on "
    "the whole image, colour, gray and alpha") {
    // 700 rows: strips of at least 64 output rows (8 times the kernel's reach), so several strips
    // and joints, each strip read with its kernel's reach of real rows above and below.
    Scratch s;
    cv::Mat bgra(700, 90, CV_8UC4);
    std::mt19937 rng(41);
    for (int r = 0; r < bgra.rows; ++r)
        for (int c = 0; c < bgra.cols; ++c)
            for (int k = 0; k < 4; ++k)  // smooth ramps and noise, so derivatives are not flat
                bgra.at<cv::Vec4b>(r, c)[k] =
                    static_cast<uchar>((r * (k + 1) + c * (3 - k) + static_cast<int>(rng() % 40)) % 256);
    REQUIRE(cv::imwrite(s / "in.png", bgra));
    const std::vector<Image<float>> planes = to_planes<float>(bgra);  // B, G, R, A
    const auto channels_of = [](const cv::Mat& m) {
        REQUIRE(m.depth() == CV_32F);
        return to_planes<float>(m);
    };
    SUBCASE("blur carries alpha through") {
        REQUIRE(run({"blur", s / "in.png", s / "out.tif", "--sigma", "3", "--raw", "--method", "direct"}, s).status ==
                0);
        const std::vector<Image<float>> got = channels_of(read_any(s / "out.tif"));
        REQUIRE(got.size() == 4);
        for (int k = 0; k < 3; ++k)
            CHECK(max_diff(got[static_cast<std::size_t>(k)], gaussian_blur(planes[static_cast<std::size_t>(k)], 3.0,
                                                                           Border::reflect, Method::direct)) == 0);
        Image<float> alpha = planes[3];
        for (float& v : alpha.values()) v /= 255;
        CHECK(max_diff(got[3], alpha) < 1e-7);  // written as alpha / 255
    }
    SUBCASE("blur into an 8-bit PNG: each strip mapped to 8 bits as it is made, alpha carried through") {
        const Result r = run({"blur", s / "in.png", s / "out.png", "--sigma", "3", "--method", "direct"}, s);
        REQUIRE(r.status == 0);
        CHECK(r.out.find("8-bit, values kept (0..255)") != std::string::npos);
        const cv::Mat got = read_any(s / "out.png");
        REQUIRE(got.type() == CV_8UC4);
        std::vector<cv::Mat> want;
        for (int k = 0; k < 3; ++k) {
            cv::Mat m;
            to_mat(gaussian_blur(planes[static_cast<std::size_t>(k)], 3.0, Border::reflect, Method::direct))
                .convertTo(m, CV_8U);
            want.push_back(m);
        }
        cv::Mat alpha;
        cv::extractChannel(bgra, alpha, 3);
        want.push_back(alpha);
        cv::Mat merged;
        cv::merge(want, merged);
        CHECK(cv::norm(got, merged, cv::NORM_INF) == 0);
    }
    SUBCASE(
        "conv with an averaging kernel into an 8-bit PNG: automatic scaling known to keep the range, mapped "
        "strip by strip") {
        const Result r = run({"conv", s / "in.png", "box:9", s / "out.png", "--mode", "same", "--method", "direct"}, s);
        REQUIRE(r.status == 0);
        CHECK(r.out.find("8-bit, values kept (0..255)") != std::string::npos);
        const cv::Mat got = read_any(s / "out.png");
        REQUIRE(got.type() == CV_8UC4);
        const Image<float> box(9, 9, 1.0f / 81);
        for (int k = 0; k < 3; ++k) {
            cv::Mat want, channel;
            to_mat(convolve(planes[static_cast<std::size_t>(k)], box, Mode::same, Method::direct))
                .convertTo(want, CV_8U);
            cv::extractChannel(got, channel, k);
            CHECK(cv::norm(channel, want, cv::NORM_INF) == 0);
        }
    }
    SUBCASE(
        "blur of colour 8-bit and gray 16-bit images into their own formats: each strip's results written over "
        "its rows of the decoded image, the rows its neighbours read kept apart") {
        cv::Mat bgr, gray16(bgra.rows, bgra.cols, CV_16U);
        cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
        for (int r = 0; r < gray16.rows; ++r)
            for (int c = 0; c < gray16.cols; ++c)
                gray16.at<std::uint16_t>(r, c) = static_cast<std::uint16_t>((r * 211 + c * 97 + rng() % 4000) % 65536);
        REQUIRE(cv::imwrite(s / "bgr.png", bgr));
        REQUIRE(cv::imwrite(s / "gray16.png", gray16));
        for (const double sigma : {1.0, 3.0, 9.0}) {  // reach 4 to 28 rows: strips of 64 to 224 rows
            CAPTURE(sigma);
            const std::string sig = std::to_string(sigma);
            REQUIRE(run({"blur", s / "bgr.png", s / "out.png", "--sigma", sig, "--method", "direct"}, s).status == 0);
            cv::Mat got = read_any(s / "out.png");
            REQUIRE(got.type() == CV_8UC3);
            const std::vector<Image<float>> colour = to_planes<float>(bgr);
            for (int k = 0; k < 3; ++k) {
                cv::Mat want, channel;
                to_mat(gaussian_blur(colour[static_cast<std::size_t>(k)], sigma, Border::reflect, Method::direct))
                    .convertTo(want, CV_8U);
                cv::extractChannel(got, channel, k);
                CHECK(cv::norm(channel, want, cv::NORM_INF) == 0);
            }
            REQUIRE(run({"blur", s / "gray16.png", s / "out16.png", "--sigma", sig, "--method", "direct"}, s).status ==
                    0);
            got = read_any(s / "out16.png");
            REQUIRE(got.type() == CV_16UC1);
            cv::Mat want;
            to_mat(gaussian_blur(to_planes<float>(gray16).front(), sigma, Border::reflect, Method::direct))
                .convertTo(want, CV_16U);
            CHECK(cv::norm(got, want, cv::NORM_INF) == 0);
        }
    }
    SUBCASE("sobel into an 8-bit PNG: the signed mapping of the whole result, counted before any strip is mapped") {
        const Result r = run({"sobel", s / "in.png", s / "out.png", "--ksize", "5"}, s);
        REQUIRE(r.status == 0);
        std::vector<cv::Mat> results;
        double a = 0;
        for (int k = 0; k < 3; ++k) {
            const Image<float> d = sobel(planes[static_cast<std::size_t>(k)], 1, 0, 5, Border::reflect101);
            for (const float v : d.values()) a = std::max(a, static_cast<double>(std::abs(v)));
            results.push_back(to_mat(d));
        }
        CHECK(r.out.find("signed: 0 -> 128, ±" + std::to_string(static_cast<int>(a))) != std::string::npos);
        cv::Mat merged, want;
        cv::merge(results, merged);
        merged.convertTo(want, CV_8U, 127.5 / a, 127.5);
        const cv::Mat got = read_any(s / "out.png");
        REQUIRE(got.type() == CV_8UC3);  // a derivative drops alpha
        CHECK(cv::norm(got, want, cv::NORM_INF) == 0);
    }
    SUBCASE("sobel 5x5, dx and dy") {
        REQUIRE(
            run({"sobel", s / "in.png", s / "out.tif", "--dx", "1", "--dy", "1", "--ksize", "5", "--raw"}, s).status ==
            0);
        const std::vector<Image<float>> got = channels_of(read_any(s / "out.tif"));
        REQUIRE(got.size() == 3);
        for (int k = 0; k < 3; ++k)
            CHECK(max_diff(got[static_cast<std::size_t>(k)],
                           sobel(planes[static_cast<std::size_t>(k)], 1, 1, 5, Border::reflect101)) == 0);
    }
    SUBCASE("conv --mode same, direct and FFT, in gray") {
        Image<float> gray(700, 90);
        for (std::ptrdiff_t i = 0; i < gray.size(); ++i)
            gray.values()[i] = static_cast<float>(0.114 * planes[0].values()[i] + 0.587 * planes[1].values()[i] +
                                                  0.299 * planes[2].values()[i]);
        const Image<float> box(31, 31, 1.0f / (31 * 31));
        const Image<float> want = convolve(gray, box, Mode::same, Method::direct);
        for (const char* method : {"direct", "fft"}) {
            CAPTURE(method);
            REQUIRE(run({"conv", s / "in.png", "box:31", s / "out.tif", "--mode", "same", "--gray", "--raw", "--method",
                         method},
                        s)
                        .status == 0);
            // Gray with alpha is written as B = G = R = gray, and alpha.
            const std::vector<Image<float>> got = channels_of(read_any(s / "out.tif"));
            REQUIRE(got.size() == 4);
            CHECK(max_diff(got[0], want) <= (std::string(method) == "direct" ? 1e-4 : 1e-3));
        }
    }
}
