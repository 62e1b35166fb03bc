// build_scan_status: the scan block of get_status (protocol::ScanStatus, PROTOCOL.md 10.3) assembled from what the
// engine thread knows of the newest scan: its session (begin, counts, rate), what the engine reconstructs with (when
// it holds the scan), the memory plan, the newest center estimate and the newest re-filter. Pure: reads only its
// arguments; thread-safe.
#pragma once

#include <chrono>
#include <optional>

#include "tomolive/daemon/center_offset.hpp"
#include "tomolive/daemon/scan_session.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// What the engine reconstructs the scan with, in the daemon's terms.
struct EngineState {
  DetectorOffsetPx center_offset{0.0};
  kernels::SlicePositions slices;
  float axis_tilt_deg = 0.f;  // the tilt the engine corrects, degrees
};

struct ScanStatusSources {
  const ScanSession& session;
  std::optional<EngineState> engine;  // absent when the engine does not hold the scan (its begin_scan failed)
  std::optional<kernels::EngineMemoryPlan> plan;
  std::optional<protocol::CenterEstimateResult> center_estimate;  // the newest of this scan
  std::optional<protocol::ScanRefilter> refilter;                 // the newest re-filter of this scan
  std::optional<protocol::CommandProgress> command;               // the newest long command's progress, this scan
};

// `now` is the time the projection rate is measured at.
protocol::ScanStatus build_scan_status(const ScanStatusSources& sources, std::chrono::steady_clock::time_point now);

// The detector column of the axis for a center offset: (cols - 1) / 2 + offset, pixels.
double center_column_px(std::uint32_t detector_cols, DetectorOffsetPx offset);

}  // namespace tomolive::daemon
