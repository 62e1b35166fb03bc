// ProcessingSweep: the sweep_processing command (PROTOCOL.md 10.8) on the engine thread. It turns the request into
// candidate processing settings (the engine's current setting with one parameter replaced: delta/beta with phase
// retrieval on, the ring filter's size with ring removal on, or the filter window), has the engine reconstruct the
// region once per candidate (Engine::sweep_processing) and ranks the images by the center sweep's sharpness metric
// (kernels::center_metric, lower = sharper). Applying a candidate is the caller's set_processing. Used by the engine
// thread only.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "tomolive/kernels/center_estimation.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct ProcessingSweepOutput {
  protocol::ProcessingSweepResult result;
  std::shared_ptr<const std::vector<float>> images;  // count x region rows x region cols, candidate after candidate
};

// The candidates of `request` built on `current`: each passes kernels::check_processing; or why the request is refused
// (invalid_argument naming the value): a delta/beta <= 0, a ring size that is not an odd integer in 3..255, an unknown
// window, log spacing with a start or stop <= 0. Labels go with the candidates ("delta_over_beta 250").
struct ProcessingCandidates {
  std::vector<kernels::ProcessingParams> settings;
  std::vector<double> values;
  std::vector<std::string> labels;
};
std::variant<ProcessingCandidates, protocol::Error> processing_candidates(const protocol::SweepProcessing& request,
                                                                         const kernels::ProcessingParams& current);

// Runs the sweep on `engine` (which holds a scan whose XY slice is slice_cols wide and has detector_rows rows), or
// says why not (invalid_argument; no projection yet: invalid_argument too). Candidate after candidate (each one
// re-filters the store's band of its own), so that `progress`, when set, is called before the first (done 0) and after
// each with the candidates done and their total (PROTOCOL.md 10.2, "Timeout"). Engine errors propagate.
std::variant<ProcessingSweepOutput, protocol::Error> run_processing_sweep(
    kernels::Engine& engine, const protocol::SweepProcessing& request, std::uint32_t detector_rows,
    std::uint32_t slice_cols, const kernels::MetricProgress& progress = {});

}  // namespace tomolive::daemon
