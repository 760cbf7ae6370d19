// The subcommands of the fftconv binary, one source file each.
#pragma once

#include "cli.hpp"

namespace app {

struct Command {
    CommandSpec spec;
    int (*run)(const Args& args);
};

Command sobel_command();
Command blur_command();
Command lowpass_command();
Command match_command();
Command conv_command();
Command compare_command();
Command calibrate_command();
Command delay_command();
Command find_command();
Command shape_command();

}  // namespace app
