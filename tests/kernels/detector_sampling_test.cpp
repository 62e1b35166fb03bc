// The edge rule of detector_sampling.hpp (sample_row_linear), which every backprojection path of both engines follows:
// linear interpolation between floor(u) and floor(u) + 1, a column outside [0, cols - 1] counting as 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/detector_sampling.hpp"

namespace tomolive::kernels {
namespace {

// The rule written out in double, as a reference: the zero-padded row's linear interpolant.
double reference_sample(const std::vector<float>& row, double u) {
  const auto column = [&](double c) {
    return c >= 0 && c < static_cast<double>(row.size()) ? static_cast<double>(row[static_cast<std::size_t>(c)]) : 0.0;
  };
  const double left = std::floor(u);
  const double frac = u - left;
  return (1 - frac) * column(left) + frac * column(left + 1);
}

float uniform(testing::Seeded& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng.gen); }

std::uint32_t columns(testing::Seeded& rng, std::uint32_t most) {
  return std::uniform_int_distribution<std::uint32_t>(1, most)(rng.gen);
}

std::vector<float> random_row(testing::Seeded& rng, std::uint32_t cols) {
  std::vector<float> row(cols);
  for (float& v : row) v = uniform(rng, -1.f, 1.f);
  return row;
}

TEST(DetectorSampling, ColumnCentresReadTheirColumn) {
  const std::vector<float> row = {3.f, -1.f, 4.f, 1.5f};
  for (std::uint32_t c = 0; c < row.size(); ++c) {
    EXPECT_EQ(sample_row_linear(row.data(), 4, static_cast<float>(c)), row[c]) << c;
  }
  EXPECT_FLOAT_EQ(sample_row_linear(row.data(), 4, 1.25f), -1.f + 0.25f * 5.f);
}

// Between the edge columns and the zero columns beyond them the sample is a straight line; at and past u = -1 and
// u = cols it is exactly 0 (and for NaN).
TEST(DetectorSampling, EdgesFadeLinearlyToZeroOneColumnOut) {
  const std::vector<float> row = {2.f, 5.f, 7.f};
  const std::uint32_t cols = 3;
  EXPECT_FLOAT_EQ(sample_row_linear(row.data(), cols, -0.25f), 0.75f * 2.f);
  EXPECT_FLOAT_EQ(sample_row_linear(row.data(), cols, -0.5f), 0.5f * 2.f);
  EXPECT_FLOAT_EQ(sample_row_linear(row.data(), cols, 2.5f), 0.5f * 7.f);
  EXPECT_FLOAT_EQ(sample_row_linear(row.data(), cols, 2.75f), 0.25f * 7.f);
  for (const float u : {-1.f, -1.5f, -100.f, 3.f, 3.25f, 1e9f, -std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_EQ(sample_row_linear(row.data(), cols, u), 0.f) << u;
  }
  EXPECT_TRUE(in_support(-0.999f, cols));
  EXPECT_FALSE(in_support(-1.f, cols));
  EXPECT_TRUE(in_support(2.999f, cols));
  EXPECT_FALSE(in_support(3.f, cols));
}

// A one-column detector samples a triangle of height row[0] over (-1, 1).
TEST(DetectorSampling, OneColumnDetectorIsATriangle) {
  const float row[1] = {4.f};
  EXPECT_EQ(sample_row_linear(row, 1, 0.f), 4.f);
  EXPECT_FLOAT_EQ(sample_row_linear(row, 1, 0.5f), 2.f);
  EXPECT_FLOAT_EQ(sample_row_linear(row, 1, -0.5f), 2.f);
  EXPECT_EQ(sample_row_linear(row, 1, 1.f), 0.f);
}

// Everywhere (the edges and beyond included) the rule is the zero-padded row's linear interpolant.
TEST(DetectorSampling, EqualsTheZeroPaddedInterpolantEverywhere) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (int trial = 0; trial < 100; ++trial) {
    const std::uint32_t cols = columns(rng, 500);
    const std::vector<float> row = random_row(rng, cols);
    for (int k = 0; k < 300; ++k) {
      const float u = uniform(rng, -3.f, static_cast<float>(cols) + 3.f);
      EXPECT_NEAR(sample_row_linear(row.data(), cols, u), reference_sample(row, u), 1e-5) << "cols " << cols << ", u "
                                                                                         << u;
    }
  }
}

// Continuity, what makes two engines that round a position differently agree: positions a few ulps apart, at and
// around every column and both ends of the support, give values at most (distance x largest step) apart, where the
// largest step counts the zero columns beyond the edges.
TEST(DetectorSampling, PositionsUlpsApartGiveValuesUlpsApart) {
  testing::Seeded rng;
  SCOPED_TRACE(rng.trace());
  for (int trial = 0; trial < 50; ++trial) {
    const std::uint32_t cols = columns(rng, 300);
    const std::vector<float> row = random_row(rng, cols);
    double steepest = std::max(std::fabs(row.front()), std::fabs(row.back()));
    for (std::uint32_t c = 0; c + 1 < cols; ++c) steepest = std::max(steepest, std::fabs(double{row[c + 1]} - row[c]));
    std::vector<float> positions = {-1.f, static_cast<float>(cols)};
    for (std::uint32_t c = 0; c < cols; ++c) positions.push_back(static_cast<float>(c));
    for (const float centre : positions) {
      float below = centre, above = centre;
      for (int ulps = 0; ulps < 4; ++ulps) {
        below = std::nextafter(below, -INFINITY);
        above = std::nextafter(above, INFINITY);
      }
      const double distance = double{above} - double{below};
      const double change = std::fabs(double{sample_row_linear(row.data(), cols, above)} -
                                      double{sample_row_linear(row.data(), cols, below)});
      EXPECT_LE(change, distance * steepest + 1e-6) << "cols " << cols << ", around u " << centre;
    }
  }
}

}  // namespace
}  // namespace tomolive::kernels
