// What one call runs with: its threads, its planner effort and its memory budget, read from the
// process settings (settings.hpp) once, at the public function the user called, and passed down.
// Nothing below the front door reads the settings, so a call sees one set of them from start to
// end even when another thread changes them meanwhile.
#pragma once

#include "fftconv/types.hpp"
#include "memory.hpp"

namespace fftconv::detail {

struct Context {
    int threads = 1;                                 // >= 1
    PlannerEffort effort = PlannerEffort::estimate;  // for the FFT's plans and sizes
    MemoryBudget memory;

    // The settings now: threads(), planner_effort(), memory_limit().
    static Context current();
};

}  // namespace fftconv::detail
