// Oblique slices: a plane of any orientation through the reconstructed volume (PROTOCOL.md 10.9), shared by the CPU
// and CUDA engines. Units: pixels (detector and slice pixels are the same size). Thread safety: pure functions.
//
// Volume coordinates (those of slice_geometry.hpp, with the third axis added): x and y in pixels from the rotation
// axis, z the detector row (0 at the top, increasing downward; fractional between rows). The volume's centre is
// (0, 0, (rows - 1) / 2).
// A plane is given by a normal n = (n_x, n_y, n_z) (any length > 0, made unit) and an offset d (pixels): the points p
// with n . (p - centre) = d. Its image is laid out so that an axis plane gives exactly its orthoslice:
// - shape: cols x cols when |n_z| is the largest component (an axial-like plane), else rows x cols;
// - image centre (pixel ((R - 1) / 2, (C - 1) / 2)) at centre + d n;
// - column direction e_c: +x projected onto the plane (+y for a plane whose normal is mostly along x), unit;
//   row direction e_r = n x e_c or its opposite, whichever points along -y (axial-like) or +z (vertical-like).
// So n = (0, 0, 1), d = row - (rows - 1) / 2 is the XY slice at detector row `row`; n = (0, 1, 0), d = y the XZ slice
// at y; n = (1, 0, 0), d = x the YZ slice at x: pixel for pixel the same points, hence the same values.
// A point off the volume's rows (z < 0 or z > rows - 1) is 0; between rows, detector rows are interpolated linearly.
//
// Slabs. The plane is always the whole volume's (rows: the whole detector's, engine_rows.hpp
// EngineRows::detector_rows). An engine over a slab of the detector (engine.hpp DetectorSlab) fills the pixels whose
// detector row floor(z) lies in its owned rows and leaves the others zero, reading detector row r from its frame row
// r - first_row; the next row, which the interpolation also reads, may be a halo row (beyond its frames: its last row,
// the halo's limit). So the oblique slices of the engines of a split detector sum to the whole detector's, exactly
// when each slab has a halo row below its owned rows (or ends with the detector).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "tomolive/kernels/detector_sampling.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// The oblique slice a user asked for (ReconParams::oblique). Disabled: no oblique slice is computed.
struct ObliqueSlice {
  bool enabled = false;
  std::array<float, 3> normal{0.f, 0.f, 1.f};  // (x, y, z) as above; any length > 0
  float offset_px = 0.f;                       // signed distance of the plane from the volume's centre along n
};

bool operator==(const ObliqueSlice& a, const ObliqueSlice& b);

// Maps image pixel (i, j) (row i, column j) to the volume point
//   x = x0 + i x_di + j x_dj,  y = y0 + i y_di + j y_dj,  z = z0 + i z_di + j z_dj.
struct ObliquePlane {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  float x0 = 0.f, x_di = 0.f, x_dj = 0.f;
  float y0 = 0.f, y_di = 0.f, y_dj = 0.f;
  float z0 = 0.f, z_di = 0.f, z_dj = 0.f;
};

// Throws EngineError (engine.hpp) when the normal is not finite or has length 0, or the offset is not finite.
void check_oblique(const ObliqueSlice& slice);

// The plane of `slice` (check_oblique passed) in a volume of detector_rows x cols x cols (the whole detector's rows),
// laid out as above. The map is computed in double and rounded to float; components that are 0 or 1 stay exact, so an
// axis plane maps pixels to exactly the points of its orthoslice.
ObliquePlane oblique_plane(const ObliqueSlice& slice, std::uint32_t detector_rows, std::uint32_t cols);

// The plane through three volume points (x, y, z as above), as a normal (made unit, oriented so that its largest
// component is positive) and an offset; nullopt with the reason when the points are not finite or are (nearly)
// collinear (the triangle's doubled area below 1e-3 square pixels).
struct ObliqueFromPoints {
  std::optional<ObliqueSlice> slice;
  std::string error;
};
ObliqueFromPoints oblique_from_points(const std::array<std::array<float, 3>, 3>& points, std::uint32_t detector_rows);

// The contribution of one filtered projection at angle theta to image pixel (i, j), not yet multiplied by the angular
// weight: the detector rows around z interpolated linearly (a whole row when z is an integer), each sampled at
// u = x cos + y sin + axis_col by `sample(row, u)` (the edge rule of detector_sampling.hpp on frame row `row` of the
// engine of `rows`); 0 when z lies outside [0, rows.detector_rows - 1] or floor(z) outside the engine's owned rows
// (see Slabs above). The CPU engine samples a float row, the CUDA kernel the store's cells.
// (Under nvcc the sampler of the CUDA kernel is device-only: the host instantiation is never made, so the execution
// space check is off for this template.)
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <class SampleRow>
TOMOLIVE_HD inline float oblique_pixel(const ObliquePlane& plane, std::uint32_t i, std::uint32_t j,
                                       const EngineRows& rows, float cos_t, float sin_t, float axis_col,
                                       const SampleRow& sample) {
  const float fi = static_cast<float>(i), fj = static_cast<float>(j);
  const float z = plane.z0 + fi * plane.z_di + fj * plane.z_dj;
  if (!(z >= 0.f && z <= static_cast<float>(rows.detector_rows - 1))) return 0.f;
  const auto row = static_cast<std::uint32_t>(z);  // detector row
  if (!rows.owned_detector_rows().contains(row)) return 0.f;
  const float x = plane.x0 + fi * plane.x_di + fj * plane.x_dj;
  const float y = plane.y0 + fi * plane.y_di + fj * plane.y_dj;
  const float u = x * cos_t + y * sin_t + axis_col;
  const float frac = z - static_cast<float>(row);
  const float upper = sample(row - rows.first_row, u);
  if (frac == 0.f) return upper;
  return upper + frac * (sample(rows.frame_row(row + 1), u) - upper);
}

// oblique_pixel of a filtered projection held as rows.rows x cols floats, row-major.
TOMOLIVE_HD inline float backproject_oblique_pixel(const ObliquePlane& plane, std::uint32_t i, std::uint32_t j,
                                                   const float* filtered, const EngineRows& rows,
                                                   std::uint32_t cols, float cos_t, float sin_t, float axis_col) {
  return oblique_pixel(plane, i, j, rows, cos_t, sin_t, axis_col, [&](std::uint32_t row, float u) {
    return sample_row_linear(filtered + static_cast<std::int64_t>(row) * cols, cols, u);
  });
}

}  // namespace tomolive::kernels
