// Where detector pixels sit relative to the rotation axis (design.md, "Geometry conventions").
//
// A frame is [rows, cols], row 0 at the top. The rotation axis is vertical, at detector column
// (cols - 1) / 2 + center_offset_px; a positive offset moves the axis (and the sinogram) toward higher columns.
// The simulator's volume coordinates are pixels from the axis: x and y horizontal, z vertical and positive upward,
// with z = 0 halfway between the top and bottom rows, so detector row r lies at height z = (rows - 1) / 2 - r.
// A point (x, y, z) projects at angle theta onto column s + axis_column() with s = x cos(theta) + y sin(theta).
//
// A plain value; thread-compatible.
#pragma once

#include <cstdint>

namespace tomolive::sim {

struct DetectorGeometry {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  double center_offset_px = 0.0;  // axis offset from (cols - 1) / 2, detector pixels

  // Detector column of the rotation axis (fractional, pixels).
  double axis_column() const { return 0.5 * static_cast<double>(cols - 1) + center_offset_px; }
  // Height z (pixels, up is positive) of the centre of detector row `row`.
  double row_z(std::uint32_t row) const { return 0.5 * static_cast<double>(rows - 1) - static_cast<double>(row); }
  // Detector coordinate s (pixels from the axis) of the centre of column `col`.
  double column_s(std::uint32_t col) const { return static_cast<double>(col) - axis_column(); }
};

}  // namespace tomolive::sim
