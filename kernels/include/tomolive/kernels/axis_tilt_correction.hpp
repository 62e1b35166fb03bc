// Axis tilt correction (PROTOCOL.md 10.4), shared by the CPU and CUDA engines: every projection is rotated in the
// detector plane so that a rotation axis tilted by tilt_deg (the convention of axis_tilt.hpp: the axis at detector
// row r lies at column (cols - 1) / 2 + center_offset_px + (r - (rows - 1) / 2) tan(tilt)) becomes vertical. For
// parallel beams an in-plane tilt of the axis is an in-plane rotation of the detector, so this correction is exact,
// not the per-row-center approximation (which ignores that a tilted axis also mixes rows).
//
// The rotation turns about the detector's centre, pivot (col, row) = ((cols - 1) / 2, (rows - 1) / 2), whatever the
// center offset, so that changing the center needs no re-filter: output pixel (r, c) takes the input value at
//   c_in = pivot_col + cos(t) (c - pivot_col) + sin(t) (r - pivot_row)
//   r_in = pivot_row - sin(t) (c - pivot_col) + cos(t) (r - pivot_row)
// (Keys' cubic convolution over 4 x 4 pixels, which blurs sharp edges much less than bilinear interpolation does;
// positions beyond the frame take the nearest edge pixel's value). Rows are the whole detector's: an engine over a
// slab of the detector (engine.hpp DetectorSlab, engine_rows.hpp) turns its frames about the whole detector's middle
// row, (detector_rows - 1) / 2 - first_row in its own rows; r and r_in are computed in detector rows and r_in moved
// into the frame's rows last (exact: first_row is an integer), so that its owned rows equal the whole engine's bit for
// bit where the source rows lie in its frames (its halo); beyond them its own edge rows are read. The tilted axis then
// lies on the output column pivot_col + center_offset_px cos(t) (corrected_axis_column below), and the
// reconstruction is shifted by center_offset_px sin(t) detector rows (a fraction of a pixel for the small offsets
// and tilts of an aligned stage). Units: pixels, degrees at the interface, radians inside.
//
// Where it runs: step 0 of processing.hpp, on the attenuation after the zinger filter (zingers and defective pixels
// are detector-grid effects) and before phase retrieval, rings, half-acquisition weights and the ramp filter (which
// assume a vertical axis). The corrected store keeps the unrotated attenuation, so a new tilt re-filters the store.
// Thread safety: pure data and pure functions.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// The largest tilt the engines accept, degrees (either sign): beyond it the stage is misaligned, not tilted.
inline constexpr float kMaxAxisTiltDeg = 10.f;

struct AxisTiltRotation {
  float cos_t = 1.f;
  float sin_t = 0.f;
  float pivot_col = 0.f;        // detector columns
  float pivot_row = 0.f;        // detector rows (of the whole detector)
  std::uint32_t first_row = 0;  // the detector row of the frame's row 0 (EngineRows::first_row)

  // Whether the rotation changes anything (tilt 0: the identity, skipped).
  TOMOLIVE_HD bool enabled() const { return sin_t != 0.f; }
};

// The rotation that straightens an axis tilted by tilt_deg on a detector of rows.detector_rows x cols, for frames of
// the engine's rows `rows` (|tilt_deg| <= kMaxAxisTiltDeg, checked by check_axis_tilt).
inline AxisTiltRotation axis_tilt_rotation(const EngineRows& rows, std::uint32_t cols, float tilt_deg) {
  constexpr double kRadPerDeg = 3.14159265358979323846 / 180.0;
  AxisTiltRotation r;
  r.cos_t = static_cast<float>(std::cos(tilt_deg * kRadPerDeg));
  r.sin_t = static_cast<float>(std::sin(tilt_deg * kRadPerDeg));
  r.pivot_col = 0.5f * static_cast<float>(cols - 1);
  r.pivot_row = 0.5f * static_cast<float>(rows.detector_rows - 1);
  r.first_row = rows.first_row;
  return r;
}

// The detector column the engines backproject around once projections are rotated: pivot_col + offset cos(t).
inline float corrected_axis_column(const AxisTiltRotation& rotation, float center_offset_px) {
  return rotation.pivot_col + center_offset_px * rotation.cos_t;
}

// A position clamped to [0, count - 1] (a position beyond the frame takes the nearest edge pixel).
TOMOLIVE_HD inline float clamp_position(float position, std::uint32_t count) {
  const float last = static_cast<float>(count - 1);
  return position < 0.f ? 0.f : (position > last ? last : position);
}

// Keys' cubic convolution weights (a = -0.5, Catmull-Rom) of the four samples at offsets -1, 0, 1, 2 from the floor
// of a position whose fractional part is f (0 <= f < 1); they sum to 1 and reproduce quadratics.
TOMOLIVE_HD inline void cubic_weights(float f, float (&w)[4]) {
  const float f2 = f * f, f3 = f2 * f;
  w[0] = -0.5f * f3 + f2 - 0.5f * f;
  w[1] = 1.5f * f3 - 2.5f * f2 + 1.f;
  w[2] = -1.5f * f3 + 2.f * f2 + 0.5f * f;
  w[3] = 0.5f * f3 - 0.5f * f2;
}

// Index k clamped to [0, count - 1].
TOMOLIVE_HD inline std::uint32_t clamp_index(std::int32_t k, std::uint32_t count) {
  return k < 0 ? 0u : (static_cast<std::uint32_t>(k) >= count ? count - 1 : static_cast<std::uint32_t>(k));
}

// Output pixel (row, col) of the rotated frame (row: a frame row), from `frame` (rows x cols values, row r at
// frame + r * pitch), by Keys' cubic convolution over the 4 x 4 input pixels around the source position (indices
// clamped at the frame's edges).
TOMOLIVE_HD inline float rotated_pixel(const AxisTiltRotation& rotation, const float* frame, std::uint32_t rows,
                                       std::uint32_t cols, std::uint32_t pitch, std::uint32_t row,
                                       std::uint32_t col) {
  const float dc = static_cast<float>(col) - rotation.pivot_col;
  const float dr = static_cast<float>(row + rotation.first_row) - rotation.pivot_row;
  const float c_in = clamp_position(rotation.pivot_col + rotation.cos_t * dc + rotation.sin_t * dr, cols);
  const float r_detector = rotation.pivot_row - rotation.sin_t * dc + rotation.cos_t * dr;
  const float r_in = clamp_position(r_detector - static_cast<float>(rotation.first_row), rows);
  const auto c0 = static_cast<std::int32_t>(c_in);  // floor: c_in >= 0
  const auto r0 = static_cast<std::int32_t>(r_in);
  float wc[4], wr[4];
  cubic_weights(c_in - static_cast<float>(c0), wc);
  cubic_weights(r_in - static_cast<float>(r0), wr);
  std::uint32_t columns[4];
  for (int k = 0; k < 4; ++k) columns[k] = clamp_index(c0 - 1 + k, cols);
  float sum = 0.f;
  for (int j = 0; j < 4; ++j) {
    const float* line = frame + static_cast<std::size_t>(clamp_index(r0 - 1 + j, rows)) * pitch;
    float across = 0.f;
    for (int k = 0; k < 4; ++k) across += wc[k] * line[columns[k]];
    sum += wr[j] * across;
  }
  return sum;
}

}  // namespace tomolive::kernels
