// CPU backprojection of one filtered projection into a slice, through backproject_pixel() of slice_geometry.hpp
// (the core shared with the CUDA engine).
//
// Units: `filtered` is a ramp-filtered projection (rows x cols float32, row-major, dimensionless line integrals
// filtered per pixel); `weight` is the FBP quadrature weight in radians (ScanGeometry::angle_weight_rad), negative
// to remove a projection that was added before; the slice receives linear attenuation, 1/pixel.
// Thread safety: pure functions of their arguments; concurrent calls writing disjoint slice rows are safe.
#pragma once

#include <cstdint>

#include "tomolive/kernels/oblique_plane.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels {

// One projection's angle, as backprojection uses it.
struct ProjectionAngle {
  float cos_t = 1.f;
  float sin_t = 0.f;
};

// cos and sin of angle_rad, evaluated in double and rounded to float (the CUDA engine must do the same).
ProjectionAngle projection_angle(float angle_rad);

// slice[i * plane.cols + j] += weight * backproject_pixel(plane, i, j, ...) for rows i in [row_begin, row_end).
// `slice` holds plane.rows x plane.cols floats. Preconditions (not checked): row_end <= plane.rows, and every
// detector row the plane maps those slice rows to lies inside the projection.
void backproject_rows(const SlicePlane& plane, const float* filtered, std::uint32_t cols, ProjectionAngle angle,
                      float axis_col, float weight, float* slice, std::uint32_t row_begin, std::uint32_t row_end);

// The same for an oblique slice (oblique_plane.hpp): slice[i * plane.cols + j] += weight *
// backproject_oblique_pixel(plane, i, j, ...) for rows i in [row_begin, row_end); `filtered` is rows.rows x cols
// (the frames of the engine of `rows`).
void backproject_oblique_rows(const ObliquePlane& plane, const float* filtered, const EngineRows& rows,
                              std::uint32_t cols, ProjectionAngle angle, float axis_col, float weight, float* slice,
                              std::uint32_t row_begin, std::uint32_t row_end);

// The whole slice.
inline void backproject(const SlicePlane& plane, const float* filtered, std::uint32_t cols, ProjectionAngle angle,
                        float axis_col, float weight, float* slice) {
  backproject_rows(plane, filtered, cols, angle, axis_col, weight, slice, 0, plane.rows);
}

}  // namespace tomolive::kernels
