// backproject_rows / backproject: the orthoslice maps of slice_geometry.hpp applied to one projection.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/cpu_backproject.hpp"

namespace tomolive::kernels {
namespace {

TEST(ProjectionAngle, CosAndSin) {
  const ProjectionAngle a = projection_angle(static_cast<float>(std::numbers::pi / 3));
  EXPECT_FLOAT_EQ(a.cos_t, 0.5f);
  EXPECT_FLOAT_EQ(a.sin_t, std::sqrt(3.f) / 2);
}

TEST(Backproject, AxialSliceAtZeroDegreesCopiesTheRowAlongColumns) {
  // At theta = 0, s = x: every axial row i reads the detector row at column j (axis in the middle, no offset).
  const std::uint32_t n = 8, rows = 3;
  std::vector<float> projection(std::size_t{rows} * n);
  for (std::size_t k = 0; k < projection.size(); ++k) projection[k] = static_cast<float>(k);
  const SlicePlane plane = axial_plane(n, 2);
  std::vector<float> slice(std::size_t{n} * n, 1.f);
  backproject(plane, projection.data(), n, projection_angle(0.f), axis_column(n, 0.f), 0.5f, slice.data());
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) EXPECT_FLOAT_EQ(slice[i * n + j], 1.f + 0.5f * projection[2 * n + j]);
  }
}

TEST(Backproject, AxialSliceAtNinetyDegreesRunsAlongRows) {
  // At theta = 90 deg, s = y; row 0 of the axial slice is +y, i.e. the highest detector column.
  const std::uint32_t n = 8;
  std::vector<float> projection(n);
  for (std::uint32_t c = 0; c < n; ++c) projection[c] = static_cast<float>(c);
  std::vector<float> slice(std::size_t{n} * n, 0.f);
  backproject(axial_plane(n, 0), projection.data(), n, projection_angle(static_cast<float>(std::numbers::pi / 2)),
              axis_column(n, 0.f), 1.f, slice.data());
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) EXPECT_NEAR(slice[i * n + j], static_cast<float>(n - 1 - i), 1e-5f);
  }
}

// The edge rule (detector_sampling.hpp): past the last column the sample falls linearly to 0 at u = cols.
TEST(Backproject, CenterOffsetShiftsTheSamplingAndEdgesFadeToZero) {
  const std::uint32_t n = 8;
  std::vector<float> projection(n);
  for (std::uint32_t c = 0; c < n; ++c) projection[c] = static_cast<float>(c + 1);
  std::vector<float> slice(n, 0.f);
  // XZ slice of one detector row at theta = 0, axis moved by +1.5: column j reads detector column j + 1.5.
  backproject(xz_plane(n, 1, 0.f), projection.data(), n, projection_angle(0.f), axis_column(n, 1.5f), 1.f,
              slice.data());
  for (std::uint32_t j = 0; j + 2 < n; ++j) EXPECT_FLOAT_EQ(slice[j], static_cast<float>(j) + 2.5f) << j;
  EXPECT_FLOAT_EQ(slice[n - 2], 0.5f * projection[n - 1]);  // u = n - 0.5: halfway from the last column to 0
  EXPECT_EQ(slice[n - 1], 0.f);                             // u = n + 0.5: outside the support (-1, n)
}

TEST(Backproject, NegativeWeightRemovesTheProjection) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  std::uniform_real_distribution<float> value(-1.f, 1.f);
  const std::uint32_t n = 32, rows = 4;
  std::vector<float> projection(std::size_t{rows} * n);
  for (float& v : projection) v = value(rng.gen);
  const ProjectionAngle angle = projection_angle(value(rng.gen) * 3.f);
  const float axis = axis_column(n, 0.75f);
  for (const SlicePlane& plane : {axial_plane(n, 3), xz_plane(n, rows, -4.25f), yz_plane(n, rows, 7.5f)}) {
    std::vector<float> slice(std::size_t{plane.rows} * plane.cols, 0.f);
    backproject(plane, projection.data(), n, angle, axis, 0.3f, slice.data());
    bool any_nonzero = false;
    for (const float v : slice) any_nonzero = any_nonzero || v != 0.f;
    EXPECT_TRUE(any_nonzero);
    backproject(plane, projection.data(), n, angle, axis, -0.3f, slice.data());
    for (const float v : slice) EXPECT_EQ(v, 0.f);
  }
}

TEST(Backproject, RowRangeTouchesOnlyThoseRows) {
  const std::uint32_t n = 16, rows = 4;
  std::vector<float> projection(std::size_t{rows} * n, 1.f);
  const SlicePlane plane = yz_plane(n, rows, 0.f);
  std::vector<float> slice(std::size_t{rows} * n, 0.f);
  backproject_rows(plane, projection.data(), n, projection_angle(0.4f), axis_column(n, 0.f), 2.f, slice.data(), 1,
                   3);
  for (std::uint32_t i = 0; i < rows; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) {
      const float v = slice[i * n + j];
      if (i == 0 || i == 3) {
        EXPECT_EQ(v, 0.f);
      } else if (j > 2 && j + 3 < n) {
        EXPECT_FLOAT_EQ(v, 2.f);  // inside the detector's reach at this angle
      }
    }
  }
}

}  // namespace
}  // namespace tomolive::kernels
