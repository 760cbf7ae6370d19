// fuzz_image_input: the fftconv tool's input layer on arbitrary file contents. The input's bytes
// become a file, which goes through app::read_header (the header reader that sizes the work
// before decoding), app::read_picture (every subcommand's image reader, OpenCV's decoders
// underneath) and app::parse_kernel (a KERNEL argument naming a file: a text matrix, else an
// image normalised to sum 1). Each must give a well-formed result or throw the tool's
// documented errors (app::ProcessError, and app::UsageError for a malformed text matrix); an
// image that decodes larger than its header declared, another exception, a crash, a sanitizer
// report or a hang is a finding.
//
// OpenCV refuses images of more pixels than OPENCV_IO_MAX_IMAGE_PIXELS, which it reads once,
// when its library is loaded: the target sets a small limit (1 Mpixel, unless the variable is
// already set) and starts itself again, so that a header declaring a huge image cannot make the
// fuzzer run out of memory. OpenCV and the codec libraries are not built with coverage, so the
// fuzzer sees only fftconv's side of the reading; the seed corpus holds one small file of each
// format, which its mutations start from.
#include <sanitizer/common_interface_defs.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

#include "../../apps/cli.hpp"
#include "../../apps/image_header.hpp"
#include "../../apps/image_io.hpp"
#include "../../apps/kernels.hpp"

namespace {

constexpr const char* pixel_limit_variable = "OPENCV_IO_MAX_IMAGE_PIXELS";
constexpr const char* pixel_limit = "1048576";

// A scratch directory for the one file each input becomes; removed at exit.
struct Scratch {
    std::string dir;
    std::string file;
    ~Scratch() {
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};
Scratch scratch;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_image_input: %s (the input is the crash file libFuzzer writes)\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

void check_picture(const app::Picture& p) {
    if (p.planes.empty()) fail("read_picture returned no planes");
    for (const auto& plane : p.planes)
        if (plane.shape() != p.shape() || plane.empty()) fail("read_picture returned planes of different or no size");
    if (p.describe().empty()) fail("Picture::describe is empty");
    if (app::gray_of(p).shape() != p.shape()) fail("gray_of changed the shape");
}

void check_kernel(const app::Kernel& k) {
    if (k.values.empty()) fail("parse_kernel returned an empty kernel");
    if (k.description.empty()) fail("parse_kernel returned no description");
    for (double v : k.values.values())
        if (!std::isfinite(v)) fail("parse_kernel returned a kernel with a non-finite value (" + k.description + ")");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    if (!std::getenv(pixel_limit_variable)) {
        setenv(pixel_limit_variable, pixel_limit, 1);
        execv("/proc/self/exe", *argv);
        std::perror("fuzz_image_input: cannot restart itself with OPENCV_IO_MAX_IMAGE_PIXELS set");
        std::exit(1);
    }
    // read_picture points stderr at a scratch file while a codec runs; sanitizer reports go to
    // a copy of the real stderr instead, so that a crash inside a codec is still printed.
    const int report_fd = ::dup(STDERR_FILENO);
    if (report_fd >= 0) __sanitizer_set_report_fd(reinterpret_cast<void*>(static_cast<std::intptr_t>(report_fd)));

    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fftconv-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        std::perror("fuzz_image_input: mkdtemp");
        std::exit(1);
    }
    scratch.dir = pattern;
    scratch.file = pattern + "/input";
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(scratch.file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out) fail("cannot write " + scratch.file);
    }
    // The header reader sizes work before decoding: an image it reads must decode to no more
    // than it declared (else a bomb would pass its checks), with no more channels or bytes.
    const std::optional<app::ImageHeader> header = app::read_header(scratch.file);
    try {
        const app::Picture p = app::read_picture(scratch.file);
        check_picture(p);
        if (header) {
            const app::PageHeader& h = header->pages.front();
            const std::size_t channels = p.channels() + (p.alpha ? 1 : 0);
            if (p.shape().rows > h.height || p.shape().cols > h.width ||
                channels > static_cast<std::size_t>(h.channels))
                fail("read_header declared " + std::to_string(h.width) + "x" + std::to_string(h.height) + ", " +
                     std::to_string(h.channels) + " channels (" + header->format + "), the decoder gave " +
                     p.describe());
        }
    } catch (const app::ProcessError&) {
    } catch (const std::exception& e) {
        fail(std::string("read_picture threw an exception it does not document: ") + e.what());
    }
    try {
        check_kernel(app::parse_kernel(scratch.file));
    } catch (const app::ProcessError&) {
    } catch (const app::UsageError&) {
    } catch (const std::exception& e) {
        fail(std::string("parse_kernel threw an exception it does not document: ") + e.what());
    }
    return 0;
}
