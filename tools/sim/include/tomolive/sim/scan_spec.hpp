// The description of one simulated scan, and the protocol messages that announce it.
//
// A scan is num_darks darks, num_flats flats and projections_per_turn * turns projections, sent in that order.
// Projection k is taken at angle k * range_deg / projections_per_turn degrees; with turns > 1 the rotation is
// continuous and the angles keep increasing over the turns (k = 0 .. projections_per_turn * turns - 1), and the
// begin message asks for a sliding window of one turn (window = projections_per_turn).
//
// A plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tomolive/protocol/messages.hpp"
#include "tomolive/sim/detector_geometry.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::sim {

struct ScanSpec {
  std::uint64_t scan_id = 1;
  std::string name = "tomolive-sim";
  std::uint32_t rows = 256;
  std::uint32_t cols = 256;
  std::uint32_t num_darks = 4;
  std::uint32_t num_flats = 4;
  std::uint32_t projections_per_turn = 180;
  std::uint32_t turns = 1;
  double range_deg = 180.0;            // rotation per turn, degrees (180 or 360 in practice; any value in (0, 360])
  double center_offset_px = 0.0;       // true axis offset from (cols - 1) / 2 used to generate the projections
  // Offset written into begin (what the daemon is told); unset = the true offset. Set it differently to let the
  // daemon's center estimation find the truth.
  std::optional<double> announced_center_offset_px;
  double photons = 20000.0;            // I0, counts (DetectorConfig::photons)
  bool noise = true;
  bool defects = true;                 // dead and hot pixels
  std::uint64_t seed = 1;              // detector maps, defects and noise
  std::uint32_t streams = 1;           // data connections the scan is sent on (begin's "streams")
  // A 360 degree scan with the axis off the detector's centre whose phantom fills the extended field of view
  // (FieldOfView::half_acquisition): begin announces half_acquisition. Needs range_deg = 360 and an offset.
  bool half_acquisition = false;

  std::uint32_t num_projections() const { return projections_per_turn * turns; }
  double angle_step_deg() const { return range_deg / projections_per_turn; }
  // Angle of projection k, degrees.
  double angle_deg(std::uint32_t k) const { return k * angle_step_deg(); }
  DetectorGeometry geometry() const { return {rows, cols, center_offset_px}; }
  // Columns N of the daemon's slices (PROTOCOL.md 5.1): cols, or with half acquisition the widened frame's
  // cols + round(2 |announced offset|).
  std::uint32_t slice_cols() const;
  FieldOfView field_of_view() const {
    return half_acquisition ? FieldOfView::half_acquisition : FieldOfView::detector;
  }
};

// Checks sizes and values: rows and cols in [8, protocol::kMaxDetectorPixelsPerSide], projections in
// [1, protocol::kMaxProjections], darks and flats <= protocol::kMaxReferenceFrames, streams in
// [1, protocol::kMaxStreams], range in (0, 360], finite offsets
// with |offset| < 0.45 * cols - 1 (so the phantom fits), photons > 0; half acquisition only over 360 degrees with a
// non-zero offset and an announced one of at least protocol::kMinHalfAcquisitionOffsetPx. Returns nullopt if valid,
// else the reason.
std::optional<std::string> validate(const ScanSpec& spec);

// The begin message of the scan: uint16 frames, angles as start 0 + step, window as described above.
protocol::ScanBegin make_scan_begin(const ScanSpec& spec);
// The header of frame `frame_id` of one kind (0-based per kind), with timestamp_ns when given.
protocol::FrameHeader make_frame_header(const ScanSpec& spec, protocol::FrameKind kind, std::uint64_t frame_id,
                                        std::optional<std::int64_t> timestamp_ns = std::nullopt);
protocol::ScanEnd make_scan_end(const ScanSpec& spec);

}  // namespace tomolive::sim
