// The cost model's constants in force: the built-in ones, or a calibration's (calibration.hpp),
// loaded from the per-user file once per process when the model is first needed.
#pragma once

#include "fftconv/calibration.hpp"
#include "fftconv/types.hpp"

namespace fftconv::detail {

// Per element type, seconds per unit of work (calibration.hpp's CostModel::Type).
using CostConstants = CostModel::Type;

// The model in force. The reference stays valid for the process: installed models are kept.
const CostModel& active_cost_model();
const CostConstants& cost_constants(ElementType type);

// Makes `model` the one in force for this process.
void install_cost_model(const CostModel& model);

// The CPU's model name and the SIMD set the inner loops run with: what a calibration is valid for.
std::string machine_name();

// The built-in constants (the model on the machine they were fitted on).
const CostModel& builtin_cost_model();

}  // namespace fftconv::detail
