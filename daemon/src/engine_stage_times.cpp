#include "tomolive/daemon/engine_stage_times.hpp"

namespace tomolive::daemon {

std::string_view to_string(EngineStage stage) {
  switch (stage) {
    case EngineStage::projection: return "projection";
    case EngineStage::reference: return "reference";
    case EngineStage::slice_readback: return "slice_readback";
    case EngineStage::recompute: return "recompute";
    case EngineStage::refilter: return "refilter";
    case EngineStage::volume: return "volume";
  }
  return "unknown";
}

namespace {
DurationHistogram engine_histogram() { return DurationHistogram(DurationHistogram::engine_bounds_s()); }
}  // namespace

EngineStageTimes::EngineStageTimes()
    : histograms_{engine_histogram(), engine_histogram(), engine_histogram(),
                  engine_histogram(), engine_histogram(), engine_histogram()} {}

}  // namespace tomolive::daemon
