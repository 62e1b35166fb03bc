// EngineStageTimes: how long the engine thread spends in each stage of its work, as cumulative histograms in seconds
// since the daemon started (/metrics, tomolive_engine_stage_seconds{stage}). The engine thread times its calls with
// a StageTimer; any thread may read the histograms. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "tomolive/daemon/duration_histogram.hpp"

namespace tomolive::daemon {

enum class EngineStage : std::size_t {
  projection,      // one projection: flat-field, -log, filter, store, incremental slice update (add_projection)
  reference,       // one dark or flat averaged in (add_dark, add_flat)
  slice_readback,  // the three slices copied to host memory for publication (a snapshot)
  recompute,       // slices recomputed from the store after set_center or set_slices
  refilter,        // the store re-filtered (set_processing, ring passes)
  volume,          // a full volume computed (reconstruct_volume; the file written by its own thread)
};
inline constexpr std::size_t kEngineStageCount = 6;

// "projection", "reference", "slice_readback", "recompute", "refilter", "volume": the label values.
std::string_view to_string(EngineStage stage);

class EngineStageTimes {
 public:
  EngineStageTimes();

  // Times a scope: the duration from construction to destruction is observed for its stage (also when an
  // exception leaves the scope: the time was spent).
  class StageTimer {
   public:
    StageTimer(EngineStageTimes& times, EngineStage stage)
        : times_(times), stage_(stage), start_(std::chrono::steady_clock::now()) {}
    ~StageTimer() {
      times_.observe(stage_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    StageTimer(const StageTimer&) = delete;
    StageTimer& operator=(const StageTimer&) = delete;

   private:
    EngineStageTimes& times_;
    EngineStage stage_;
    std::chrono::steady_clock::time_point start_;
  };

  StageTimer time(EngineStage stage) { return StageTimer(*this, stage); }
  void observe(EngineStage stage, double seconds) { histograms_[static_cast<std::size_t>(stage)].observe(seconds); }
  prometheus::ClientMetric histogram(EngineStage stage) const {
    return histograms_[static_cast<std::size_t>(stage)].snapshot();
  }

 private:
  std::array<DurationHistogram, kEngineStageCount> histograms_;
};

}  // namespace tomolive::daemon
