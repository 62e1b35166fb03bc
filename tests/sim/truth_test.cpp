// Truth slices follow the slice conventions of design.md, agree with each other and with the projections.
#include "tomolive/sim/truth.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace tomolive::sim {
namespace {

// A 65-row, 64-column detector: (N - 1) / 2 = 31.5; row 22 lies at z = 32 - 22 = 10.
constexpr std::uint32_t kRows = 65, kCols = 64;
constexpr double kDensity = 0.25;
// A small ball at x = +20.5, y = +9.5, z = +10: pixel centres in every slice through it.
const Phantom kBall({{20.5, 9.5, 10.0, 3.0, 3.0, 3.0, 0.0, kDensity}});

TEST(Truth, AxialSliceHasRowZeroAtPlusYAndColumnZeroAtMinusX) {
  const Image xy = truth_xy(kBall, kRows, kCols, 22);
  ASSERT_EQ(xy.rows, kCols);
  ASSERT_EQ(xy.cols, kCols);
  // x = j - 31.5 -> j = 52; y = 31.5 - i -> i = 22: upper-right quadrant.
  EXPECT_FLOAT_EQ(xy.at(22, 52), kDensity);
  double sum = 0.0, row_moment = 0.0, col_moment = 0.0;
  for (std::uint32_t i = 0; i < xy.rows; ++i) {
    for (std::uint32_t j = 0; j < xy.cols; ++j) {
      sum += xy.at(i, j);
      row_moment += static_cast<double>(i) * xy.at(i, j);
      col_moment += static_cast<double>(j) * xy.at(i, j);
    }
  }
  EXPECT_NEAR(row_moment / sum, 22.0, 1e-9);
  EXPECT_NEAR(col_moment / sum, 52.0, 1e-9);
  EXPECT_FLOAT_EQ(truth_xy(kBall, kRows, kCols, 30).at(22, 52), 0.f) << "row 30 is at z = 2, below the ball";
}

TEST(Truth, VerticalSlicesRunAlongPlusXAndPlusY) {
  const Image xz = truth_xz(kBall, kRows, kCols, 9.5);
  ASSERT_EQ(xz.rows, kRows);
  ASSERT_EQ(xz.cols, kCols);
  EXPECT_FLOAT_EQ(xz.at(22, 52), kDensity);  // detector row 22 (z = 10), x = 20.5
  EXPECT_FLOAT_EQ(xz.at(22, 11), 0.f);       // x = -20.5
  EXPECT_FLOAT_EQ(xz.at(42, 52), 0.f);       // z = -10
  const Image yz = truth_yz(kBall, kRows, kCols, 20.5);
  EXPECT_FLOAT_EQ(yz.at(22, 41), kDensity);  // y = 9.5 -> column 41
  EXPECT_FLOAT_EQ(yz.at(22, 22), 0.f);       // y = -9.5
  EXPECT_FLOAT_EQ(truth_yz(kBall, kRows, kCols, -20.5).at(22, 41), 0.f);
}

TEST(Truth, SlicesAgreeWhereTheyIntersect) {
  const DetectorGeometry geometry{kRows, kCols, 0.0};
  const Phantom phantom = shepp_logan_3d(geometry);
  const std::uint32_t row = 30;
  const double y = 31.5 - 20.0, x = 14.0 - 31.5;  // axial row 20, axial column 14
  for (const unsigned k : {1u, 3u}) {
    const Image xy = truth_xy(phantom, kRows, kCols, row, k);
    const Image xz = truth_xz(phantom, kRows, kCols, y, k);
    const Image yz = truth_yz(phantom, kRows, kCols, x, k);
    for (std::uint32_t j = 0; j < kCols; ++j) {
      EXPECT_FLOAT_EQ(xz.at(row, j), xy.at(20, j)) << "x column " << j;
      EXPECT_FLOAT_EQ(yz.at(row, j), xy.at(kCols - 1 - j, 14)) << "y column " << j;
    }
  }
}

TEST(Truth, SupersamplingAveragesOverThePixelFootprint) {
  // A nearly flat surface at x = 8.4 crosses pixel column 40 (x = 8.5, samples at x - 1/3, x, x + 1/3): two of the
  // three sample columns are inside.
  const Phantom slab({{8.4 + 100.0, 0.0, 0.0, 100.0, 200.0, 200.0, 0.0, 1.0}});
  const Image point = truth_xy(slab, kRows, kCols, 32, 1);
  const Image averaged = truth_xy(slab, kRows, kCols, 32, 3);
  EXPECT_FLOAT_EQ(point.at(31, 40), 1.f);
  EXPECT_NEAR(averaged.at(31, 40), 2.0 / 3.0, 1e-6);
  EXPECT_FLOAT_EQ(averaged.at(31, 41), 1.f);
  EXPECT_FLOAT_EQ(averaged.at(31, 39), 0.f);
}

TEST(Truth, AxialSliceIsConsistentWithTheProjectionConvention) {
  // Summing the axial slice along y gives the projection at theta = 0 (s = x); along x, the one at 90 (s = y).
  const DetectorGeometry geometry{kRows, kCols, 0.0};
  const Phantom phantom = shepp_logan_3d(geometry);
  const std::uint32_t row = 32;
  const Image xy = truth_xy(phantom, kRows, kCols, row, 3);
  const std::vector<double> angles{0.0, 90.0};
  const Image sino = sinogram(phantom, geometry, row, angles);
  double error0 = 0.0, error90 = 0.0, norm = 0.0;
  for (std::uint32_t u = 0; u < kCols; ++u) {
    double along_y = 0.0, along_x = 0.0;
    for (std::uint32_t t = 0; t < kCols; ++t) {
      along_y += xy.at(t, u);               // column u: x = u - 31.5
      along_x += xy.at(kCols - 1 - u, t);   // row 63 - u: y = u - 31.5
    }
    error0 += (along_y - sino.at(0, u)) * (along_y - sino.at(0, u));
    error90 += (along_x - sino.at(1, u)) * (along_x - sino.at(1, u));
    norm += sino.at(0, u) * sino.at(0, u);
  }
  EXPECT_LT(std::sqrt(error0 / norm), 0.03);
  EXPECT_LT(std::sqrt(error90 / norm), 0.03);
}

TEST(Truth, SinogramRowsAreProjections) {
  const DetectorGeometry geometry{kRows, kCols, 1.5};
  const Phantom phantom = shepp_logan_3d(geometry);
  const std::vector<double> angles{0.0, 45.0, 170.0};
  const Image sino = sinogram(phantom, geometry, 40, angles);
  ASSERT_EQ(sino.rows, 3u);
  ASSERT_EQ(sino.cols, kCols);
  for (std::uint32_t a = 0; a < 3; ++a) {
    for (std::uint32_t u = 0; u < kCols; ++u) {
      EXPECT_NEAR(sino.at(a, u), phantom.line_integral(angles[a], geometry.column_s(u), geometry.row_z(40)), 1e-5);
    }
  }
  EXPECT_THROW(sinogram(phantom, geometry, kRows, angles), std::invalid_argument);
  EXPECT_THROW(truth_xy(phantom, kRows, kCols, kRows), std::invalid_argument);
  EXPECT_THROW(truth_xz(phantom, kRows, kCols, 0.0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tomolive::sim
