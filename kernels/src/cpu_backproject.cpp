#include "tomolive/kernels/cpu_backproject.hpp"

#include <cmath>
#include <cstddef>

namespace tomolive::kernels {

ProjectionAngle projection_angle(float angle_rad) {
  const double angle = static_cast<double>(angle_rad);
  return {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))};
}

void backproject_rows(const SlicePlane& plane, const float* filtered, std::uint32_t cols, ProjectionAngle angle,
                      float axis_col, float weight, float* slice, std::uint32_t row_begin, std::uint32_t row_end) {
  for (std::uint32_t i = row_begin; i < row_end; ++i) {
    float* out = slice + std::size_t{i} * plane.cols;
    for (std::uint32_t j = 0; j < plane.cols; ++j) {
      out[j] += weight * backproject_pixel(plane, i, j, filtered, cols, angle.cos_t, angle.sin_t, axis_col);
    }
  }
}

void backproject_oblique_rows(const ObliquePlane& plane, const float* filtered, const EngineRows& rows,
                              std::uint32_t cols, ProjectionAngle angle, float axis_col, float weight, float* slice,
                              std::uint32_t row_begin, std::uint32_t row_end) {
  for (std::uint32_t i = row_begin; i < row_end; ++i) {
    float* out = slice + std::size_t{i} * plane.cols;
    for (std::uint32_t j = 0; j < plane.cols; ++j) {
      out[j] += weight * backproject_oblique_pixel(plane, i, j, filtered, rows, cols, angle.cos_t,
                                                   angle.sin_t, axis_col);
    }
  }
}

}  // namespace tomolive::kernels
