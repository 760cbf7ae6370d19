// fftconv: the command-line front end. `fftconv COMMAND ARGS`; exit 0 on success, 2 on bad usage,
// 1 when the work fails, with one message on stderr.
#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

const std::vector<app::Command>& commands() {
    static const std::vector<app::Command> all = {app::sobel_command(),    app::blur_command(), app::lowpass_command(),
                                                  app::match_command(),    app::conv_command(), app::compare_command(),
                                                  app::delay_command(),    app::find_command(), app::shape_command(),
                                                  app::calibrate_command()};
    return all;
}

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: fftconv COMMAND [ARGS]      (fftconv COMMAND --help for each command's options)\n\n"
                 "Convolution, filtering and template matching, computed directly or through the FFT.\n\ncommands:\n");
    for (const app::Command& c : commands())
        std::fprintf(out, "  %-10s %s\n", c.spec.name.c_str(), c.spec.brief.c_str());
    std::fprintf(out, "\nexit status: 0 success, 1 a processing error, 2 bad usage\n");
}

// What was printed must have arrived: a full disk or a closed pipe behind stdout is a failure
// (exit status 1), not a silent loss. `command` is empty outside a subcommand.
int finish_stdout(const std::string& command, int status) {
    const int error = app::flush_stdout();
    if (error == 0) return status;
    const std::string what = std::string("cannot write to standard output (") + std::strerror(error) + ")";
    std::fprintf(stderr, "%s\n",
                 command.empty() ? ("fftconv: error: " + what).c_str() : app::error_line(command, what).c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    // A run allocates and frees the same few buffer sizes over and over (a strip of rows, its
    // result, the filters' scratch). glibc's defaults hand blocks of a few MB back to the
    // system on free and map them fresh, at ~4.5 ms per MiB of first touches; keeping blocks
    // under 32 MiB in the heap, and the heap untrimmed, reuses pages already touched.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(stdout);
        return finish_stdout("", 0);
    }
    if (name == "--version") {
        std::printf("fftconv %s\n", FFTCONV_VERSION);
        return finish_stdout("", 0);
    }
    const app::Command* command = nullptr;
    for (const app::Command& c : commands())
        if (c.spec.name == name) command = &c;
    if (!command) {
        std::vector<std::string> names;
        for (const app::Command& c : commands()) names.push_back(c.spec.name);
        const std::string guess = app::closest(name, names);
        std::fprintf(stderr, "fftconv: unknown command '%s'%s\n\n", name.c_str(),
                     guess.empty() ? "" : ("; did you mean '" + guess + "'?").c_str());
        usage(stderr);
        return 2;
    }
    int status = 1;
    const auto fail = [&](const std::string& what) {
        std::fprintf(stderr, "%s\n", app::error_line(name, what).c_str());
    };
    try {
        const app::Args args(command->spec, std::vector<std::string>(argv + 2, argv + argc));
        if (args.help()) {
            std::fputs(app::help_text(command->spec).c_str(), stdout);
            status = 0;
        } else {
            status = command->run(args);
        }
    } catch (const app::UsageError& e) {
        fail(e.what());
        status = 2;
    } catch (const std::bad_alloc&) {
        fail("out of memory");
    } catch (const cv::Exception& e) {
        fail("OpenCV: " + e.err);
    } catch (const std::exception& e) {  // ProcessError, fftconv::Error, filesystem errors
        fail(e.what());
    }
    return finish_stdout(name, status);
}
