// Geometry of parallel-beam backprojection into orthoslices, shared by the CPU and CUDA engines.
// Units: pixels (detector and slice pixels are the same size); angles in radians. Thread safety: pure functions.
//
// Conventions (the user contract, as ASTRA parallel3d and scikit-image radon/iradon):
// - A detector frame is [rows, cols]; the rotation axis is vertical, at detector column
//   (cols - 1) / 2 + center_offset_px. A positive offset moves the axis toward higher columns.
// - A point (x, y) in pixels from the axis projects at angle theta onto s = x cos(theta) + y sin(theta), i.e. onto
//   detector column s + axis column.
// - Slices are N x N (axial) or rows x N (vertical) with N = cols, centred on the axis at pixel (N - 1) / 2.
//   Axial (XY) slice: row 0 is +y, column 0 is -x (what iradon returns). XZ slice: rows are detector rows, columns
//   run along +x at a fixed y. YZ slice: rows are detector rows, columns run along +y at a fixed x.
#pragma once

#include <cstdint>

#include "tomolive/kernels/detector_sampling.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// Maps slice pixel (i, j) (row i, column j) to a point in the volume:
//   x = x0 + i * x_di + j * x_dj,  y = y0 + i * y_di + j * y_dj  (pixels from the rotation axis)
//   detector row = row0 + i * row_di
// Any orthoslice is such an affine map; arbitrary orientations later only add terms.
struct SlicePlane {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  float x0 = 0.f, x_di = 0.f, x_dj = 0.f;
  float y0 = 0.f, y_di = 0.f, y_dj = 0.f;
  std::int32_t row0 = 0, row_di = 0;
};

// Axial slice through detector row `detector_row`, n x n pixels.
TOMOLIVE_HD inline SlicePlane axial_plane(std::uint32_t n, std::uint32_t detector_row) {
  const float half = 0.5f * static_cast<float>(n - 1);
  SlicePlane p;
  p.rows = n;
  p.cols = n;
  p.x0 = -half;  // column 0 is -x
  p.x_dj = 1.f;
  p.y0 = half;   // row 0 is +y
  p.y_di = -1.f;
  p.row0 = static_cast<std::int32_t>(detector_row);
  return p;
}

// Rows [row0, row0 + rows) and columns [col0, col0 + cols) of axial_plane(n, detector_row), as a plane of its own:
// its pixel (i, j) is the axial slice's pixel (row0 + i, col0 + j), at exactly the same (x, y) (pixel coordinates
// are integers or half-integers, exact in float), so backprojecting it gives the axial slice's values bit for bit.
TOMOLIVE_HD inline SlicePlane axial_region_plane(std::uint32_t n, std::uint32_t detector_row, std::uint32_t row0,
                                                 std::uint32_t col0, std::uint32_t rows, std::uint32_t cols) {
  SlicePlane p = axial_plane(n, detector_row);
  p.x0 += static_cast<float>(col0);
  p.y0 -= static_cast<float>(row0);
  p.rows = rows;
  p.cols = cols;
  return p;
}

// A rows x cols plane sampling the axial slice every `step` (>= 1) pixels: its pixel (i, j) is axial_plane(n,
// detector_row)'s pixel (row0 + i * step, col0 + j * step), at exactly its (x, y) (a half-integer plus an integer
// multiple of step: exact in float for slices below 2^22 pixels), so that backprojecting it gives those pixels of the
// axial slice bit for bit. step 1 is axial_region_plane.
TOMOLIVE_HD inline SlicePlane axial_sampled_plane(std::uint32_t n, std::uint32_t detector_row, std::uint32_t row0,
                                                  std::uint32_t col0, std::uint32_t rows, std::uint32_t cols,
                                                  std::uint32_t step) {
  SlicePlane p = axial_region_plane(n, detector_row, row0, col0, rows, cols);
  p.x_dj *= static_cast<float>(step);
  p.y_di *= static_cast<float>(step);
  return p;
}

// Vertical slice at y = y_px (pixels from the axis): detector_rows x n, columns along +x.
TOMOLIVE_HD inline SlicePlane xz_plane(std::uint32_t n, std::uint32_t detector_rows, float y_px) {
  SlicePlane p;
  p.rows = detector_rows;
  p.cols = n;
  p.x0 = -0.5f * static_cast<float>(n - 1);
  p.x_dj = 1.f;
  p.y0 = y_px;
  p.row_di = 1;
  return p;
}

// Vertical slice at x = x_px (pixels from the axis): detector_rows x n, columns along +y.
TOMOLIVE_HD inline SlicePlane yz_plane(std::uint32_t n, std::uint32_t detector_rows, float x_px) {
  SlicePlane p;
  p.rows = detector_rows;
  p.cols = n;
  p.x0 = x_px;
  p.y0 = -0.5f * static_cast<float>(n - 1);
  p.y_dj = 1.f;
  p.row_di = 1;
  return p;
}

// Detector column of the rotation axis.
TOMOLIVE_HD inline float axis_column(std::uint32_t cols, float center_offset_px) {
  return 0.5f * static_cast<float>(cols - 1) + center_offset_px;
}

// The contribution of one filtered projection (rows x cols, row-major) at angle theta to slice pixel (i, j),
// not yet multiplied by the angular weight, sampled by the edge rule of detector_sampling.hpp. cos_t/sin_t are
// cos(theta)/sin(theta).
TOMOLIVE_HD inline float backproject_pixel(const SlicePlane& plane, std::uint32_t i, std::uint32_t j,
                                           const float* filtered, std::uint32_t cols, float cos_t, float sin_t,
                                           float axis_col) {
  const float fi = static_cast<float>(i), fj = static_cast<float>(j);
  const float x = plane.x0 + fi * plane.x_di + fj * plane.x_dj;
  const float y = plane.y0 + fi * plane.y_di + fj * plane.y_dj;
  const std::int32_t row = plane.row0 + static_cast<std::int32_t>(i) * plane.row_di;
  const float u = x * cos_t + y * sin_t + axis_col;
  return sample_row_linear(filtered + static_cast<std::int64_t>(row) * cols, cols, u);
}

}  // namespace tomolive::kernels
