// CenterTools: the center-of-rotation commands (PROTOCOL.md 10.4) on the engine thread. They gather what the
// engine holds (stored projections 180 degrees apart, axial slices at candidate centers) and run the estimators of
// kernels/center_estimation.hpp; applying an estimate is the caller's set_center. Used by the engine thread only.
//
// Every offset they take or give is in detector pixels (DetectorOffsetPx), as in begin and set_center; with half
// acquisition the engine's frames are wider (ScanSession::layout()) and the offsets are converted here.
// A half-acquisition scan's registration compares corrected projections in the detector's own columns
// (estimate_half_acquisition_center around the announced offset); the metric and the sweep reconstruct with the
// widened engine.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "tomolive/daemon/center_offset.hpp"
#include "tomolive/daemon/half_acquisition_layout.hpp"
#include "tomolive/daemon/scan_session.hpp"
#include "tomolive/kernels/axis_tilt.hpp"
#include "tomolive/kernels/center_estimation.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// A center estimate of CenterTools::estimate.
struct DetectorCenterEstimate {
  DetectorOffsetPx offset{0.0};
  double confidence = 0.0;    // 0..1, see PROTOCOL.md 10.4
  std::uint32_t samples = 0;  // registration: pairs used; metric: candidates reconstructed
  // Registration (not half acquisition): the axis tilt from the same pairs (kernels/axis_tilt.hpp), in detector rows;
  // absent when too few row bands carried a usable registration.
  std::optional<double> tilt_deg = std::nullopt;
  std::optional<double> tilt_confidence = std::nullopt;
};

struct SweepOutput {
  protocol::SweepResult result;
  std::shared_ptr<const std::vector<float>> images;  // count x result.shape, candidate after candidate
};

class CenterTools {
 public:
  static constexpr std::uint32_t kMaxPairs = 8;              // opposed pairs registered at most
  static constexpr std::uint32_t kMaxRegistrationRows = 256;  // detector rows used per projection at most
  static constexpr std::uint32_t kTiltBands = 8;               // row bands of the tilt estimate (at least 3 rows each)
  static constexpr std::uint32_t kMetricSide = 512;           // metric estimate: central square of the XY slice
  static constexpr double kMetricRangePx = 100.0;             // metric estimate: candidates within +-this (or cols/4)
  // Half-acquisition registration: detector rows around the middle, and candidates within +-this many pixels of
  // the offset announced at begin.
  static constexpr std::uint32_t kHalfAcquisitionRows = 16;
  static constexpr double kHalfAcquisitionRangePx = 8.0;

  // `session` is the scan the engine holds.
  CenterTools(kernels::Engine& engine, const ScanSession& session);

  // An estimate by `method`, or the reason there is none (invalid_argument): not enough data yet, or the metric on
  // a half-acquisition scan (its candidate slices keep the current center's overlap weights). The metric estimate
  // calls `progress` (when set) after each of its passes (kernels::estimate_center_by_metric).
  std::variant<DetectorCenterEstimate, protocol::Error> estimate(protocol::CenterMethod method,
                                                                 const kernels::MetricProgress& progress = {});
  // The sweep of PROTOCOL.md 10.1, or why its arguments are refused (invalid_argument).
  std::variant<SweepOutput, protocol::Error> sweep(const protocol::SweepCenter& request);

 private:
  // Rows row0, row0 + row_step, ... (rows of them) and columns [col0, col0 + cols) of the engine's frames.
  struct FrameWindow {
    std::uint32_t row0 = 0, row_step = 1, rows = 0, col0 = 0, cols = 0;
  };
  // Stored slot pairs 180 degrees apart (within a quarter step), at most kMaxPairs spread over the angles, or why
  // there are none.
  std::variant<std::vector<std::pair<std::uint32_t, std::uint32_t>>, protocol::Error> opposed_slots() const;
  // The window of each pair's projections, filtered (copy_projection) or corrected (copy_corrected_projection):
  // 2 per pair, first then second.
  std::vector<std::vector<float>> gather(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                         bool corrected, const FrameWindow& window) const;
  // The estimators; each answers in the frame it measures in (engine frames, or the detector's columns).
  std::variant<DetectorCenterEstimate, protocol::Error> by_registration();
  std::variant<DetectorCenterEstimate, protocol::Error> by_half_acquisition_registration();
  DetectorCenterEstimate by_metric(const kernels::MetricProgress& progress);
  // An estimate the kernels made in the engine's frame, in detector pixels.
  DetectorCenterEstimate from_engine_frame(const kernels::CenterEstimate& estimate) const;

  kernels::Engine& engine_;
  const kernels::ScanGeometry geometry_;  // the engine's (widened) frames
  const HalfAcquisitionLayout layout_;
  const bool half_acquisition_;
  const DetectorOffsetPx announced_offset_;  // from begin
};

}  // namespace tomolive::daemon
