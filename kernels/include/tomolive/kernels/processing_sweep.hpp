// The detector rows a processing sweep (Engine::sweep_processing) re-filters for one candidate, shared by the CPU and
// CUDA engines. Thread safety: pure functions.
//
// The axial slice at detector row r backprojects row r of each filtered projection. Of the processing steps
// (processing.hpp), the zinger filter reads a 3 x 3 neighbourhood (rows r - 1 .. r + 1, clamped at the frame's
// edges), the ring pass, the half-acquisition weights and the ramp filter work row by row, and phase retrieval
// filters the whole frame in 2D, as the axis tilt rotation (axis_tilt_correction.hpp) mixes rows across it. So rows
// r - 1 .. r + 1 (clamped) suffice without phase retrieval and tilt rotation; with either, every row is needed. The band's own edges clamp the zinger filter exactly where the frame's do, or one row beyond r.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

// Detector rows [row0, row0 + rows) of every projection.
struct SweepBand {
  std::uint32_t row0 = 0;
  std::uint32_t rows = 0;
};

// The band a candidate needs for the axial row xy_row (< detector_rows) of a detector with detector_rows rows, with
// the scan's tilt rotation.
inline SweepBand processing_sweep_band(const ProcessingParams& candidate, const AxisTiltRotation& rotation,
                                       std::uint32_t xy_row, std::uint32_t detector_rows) {
  if (candidate.phase.enabled || rotation.enabled()) return {0, detector_rows};
  const std::uint32_t first = xy_row == 0 ? 0 : xy_row - 1;
  const std::uint32_t end = std::min(detector_rows, xy_row + 2);
  return {first, end - first};
}

}  // namespace tomolive::kernels
