// fftconv: the command-line front end. `fftconv COMMAND ARGS`; exit 0 on success, 2 on bad usage,
// 1 when the work fails, with one message on stderr.
#include <cstdio>
#include <cstring>
#include <new>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

const std::vector<app::Command>& commands() {
    static const std::vector<app::Command> all = {app::sobel_command(), app::blur_command(), app::lowpass_command(),
                                                  app::match_command(), app::conv_command(), app::compare_command()};
    return all;
}

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: fftconv COMMAND [ARGS]      (fftconv COMMAND --help for each command's options)\n\n"
                 "Convolution, filtering and template matching, computed directly or through the FFT.\n\ncommands:\n");
    for (const app::Command& c : commands())
        std::fprintf(out, "  %-8s %s\n", c.spec.name.c_str(), c.spec.brief.c_str());
    std::fprintf(out, "\nexit status: 0 success, 1 a processing error, 2 bad usage\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(stdout);
        return 0;
    }
    if (name == "--version") {
        std::printf("fftconv %s\n", FFTCONV_VERSION);
        return 0;
    }
    const app::Command* command = nullptr;
    for (const app::Command& c : commands())
        if (c.spec.name == name) command = &c;
    if (!command) {
        std::fprintf(stderr, "fftconv: unknown command '%s'\n\n", name.c_str());
        usage(stderr);
        return 2;
    }
    const std::string prefix = "fftconv " + name + ": error: ";
    try {
        const app::Args args(command->spec, std::vector<std::string>(argv + 2, argv + argc));
        if (args.help()) {
            std::fputs(app::help_text(command->spec).c_str(), stdout);
            return 0;
        }
        return command->run(args);
    } catch (const app::UsageError& e) {
        std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%sout of memory\n", prefix.c_str());
        return 1;
    } catch (const cv::Exception& e) {
        std::fprintf(stderr, "%sOpenCV: %s\n", prefix.c_str(), e.err.c_str());
        return 1;
    } catch (const std::exception& e) {  // ProcessError, fftconv::Error, filesystem errors
        std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
        return 1;
    }
}
