// The detector rows a processing sweep (Engine::sweep_processing) re-filters for one candidate, shared by the CPU and
// CUDA engines. Thread safety: pure functions.
//
// The axial slice at detector row r backprojects row r of each filtered projection. Of the processing steps
// (processing.hpp), the zinger filter reads a 3 x 3 neighbourhood (rows r - 1 .. r + 1, clamped at the frame's
// edges), the ring pass, the half-acquisition weights and the ramp filter work row by row, phase retrieval filters
// the frame in 2D with a kernel that decays within paganin_reach_rows (processing.hpp) rows, and the axis tilt
// rotation (axis_tilt_correction.hpp) mixes rows across the whole frame. So:
// - without phase retrieval and tilt rotation, rows r - 1 .. r + 1 (clamped): exact, as the band's own edges clamp
//   the zinger filter exactly where the frame's do, or one row beyond r;
// - with phase retrieval (no tilt rotation), rows r - 1 - R .. r + 1 + R (clamped), R = ceil(paganin_reach_rows):
//   the zinger rows of every row the phase kernel reaches. Not exact: phase retrieval edge-pads the band where the
//   whole frame's rows would be, so row r differs from the whole frame's by the e^-5 of the kernel's weight beyond
//   the band times the rows' difference from the band's edge rows (and by the periodic wrap of a shorter padding);
// - with the tilt rotation, every row.
// The CPU and CUDA engines re-filter the same band, so their sweeps agree with each other exactly as their slices do.
#pragma once

#include <algorithm>
#include <cmath>
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
  if (rotation.enabled()) return {0, detector_rows};
  double reach = 1.0;  // the zinger filter's row
  if (candidate.phase.enabled) reach += std::ceil(paganin_reach_rows(candidate.phase));
  if (!(reach < detector_rows)) return {0, detector_rows};  // also a reach that is not a number
  const auto rows = static_cast<std::uint32_t>(reach);
  const std::uint32_t first = xy_row > rows ? xy_row - rows : 0;
  const std::uint32_t end = std::min(detector_rows, xy_row + rows + 1);
  return {first, end - first};
}

}  // namespace tomolive::kernels
