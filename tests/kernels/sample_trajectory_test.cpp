// The sample's position from its projections alone (PROTOCOL.md 10.11): the centre of mass of each corrected
// projection and the sinusoid fitted to it, on an off-axis cylinder of known position, over 180 and 360 degrees,
// with noise and an axis off the detector's middle; plus the fit's refusals.
#include "tomolive/kernels/sample_trajectory.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "off_axis_cylinder.hpp"

namespace tomolive::kernels {
namespace {

constexpr double kTolerancePx = 0.25;  // issue 19: sample centring within a quarter pixel

std::vector<ProjectionMoments> moments_of(const testing::OffAxisCylinder& scan, Engine& engine) {
  std::vector<ProjectionMoments> moments;
  std::vector<float> projection(std::size_t{scan.rows} * scan.cols);
  for (std::uint32_t k = 0; k < scan.projections; ++k) {
    engine.copy_corrected_projection(k, projection);
    const auto m = projection_moments(projection, scan.rows, scan.cols, *engine.slot_angle(k));
    EXPECT_TRUE(m.has_value());
    if (m) moments.push_back(*m);
  }
  return moments;
}

TEST(SampleTrajectory, OffAxisCylinderWithinAQuarterPixelOver180And360Degrees) {
  for (const double range : {180.0, 360.0}) {
    for (const double axis : {0.0, 2.3}) {
      SCOPED_TRACE("range " + std::to_string(range) + ", axis offset " + std::to_string(axis));
      testing::OffAxisCylinder scan;
      scan.range_deg = range;
      scan.axis_offset_px = axis;
      const auto engine = scan.engine();
      const auto fit = fit_sample_trajectory(moments_of(scan, *engine));
      ASSERT_TRUE(fit.has_value());
      std::printf("%g deg, axis %+.2f: x %+.3f (%+.2f) y %+.3f (%+.2f) axis %+.3f z-row %.3f rms %.3f px\n", range,
                  axis, fit->x_px, scan.x_px, fit->y_px, scan.y_px, fit->axis_column_px - 0.5 * (scan.cols - 1.0),
                  fit->row_px, fit->rms_px);
      EXPECT_NEAR(fit->x_px, scan.x_px, kTolerancePx);
      EXPECT_NEAR(fit->y_px, scan.y_px, kTolerancePx);
      EXPECT_NEAR(fit->axis_column_px, 0.5 * (scan.cols - 1.0) + axis, kTolerancePx);
      EXPECT_NEAR(0.5 * (scan.rows - 1.0) - fit->row_px, scan.z_px(), kTolerancePx);
      EXPECT_LT(fit->rms_px, 0.5);
      EXPECT_EQ(fit->projections, scan.projections);
    }
  }
}

TEST(SampleTrajectory, MomentsOfAKnownProjection) {
  // Two columns of weight 1 and 3 on row 1 of a 3 x 4 frame, a small value below the threshold elsewhere.
  std::vector<float> frame(12, 0.01f);
  frame[4 + 1] = 1.f;
  frame[4 + 3] = 3.f;
  const auto m = projection_moments(frame, 3, 4, 0.5);
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->column_px, (1.0 * 1 + 3.0 * 3) / 4.0);
  EXPECT_DOUBLE_EQ(m->row_px, 1.0);
  EXPECT_DOUBLE_EQ(m->mass, 4.0);
  EXPECT_EQ(m->angle_rad, 0.5);
  EXPECT_FALSE(projection_moments(std::vector<float>(12, 0.f), 3, 4, 0.0).has_value()) << "nothing in the beam";
  EXPECT_THROW(projection_moments(frame, 4, 4, 0.0), std::invalid_argument);
}

TEST(SampleTrajectory, FitNeedsAnglesThatDetermineTheSinusoid) {
  EXPECT_FALSE(fit_sample_trajectory({}).has_value());
  const std::vector<ProjectionMoments> alike = {{0.3, 10, 0, 1}, {0.3, 10, 0, 1}, {0.3, 10, 0, 1}, {0.3, 10, 0, 1}};
  EXPECT_FALSE(fit_sample_trajectory(alike).has_value());
  // Exact: a = 5, x = 2, y = -1 at four angles.
  std::vector<ProjectionMoments> exact;
  for (const double theta : {0.0, 0.7, 1.9, 2.8}) {
    exact.push_back({theta, 5.0 + 2.0 * std::cos(theta) - std::sin(theta), 4.0, 2.0});
  }
  const auto fit = fit_sample_trajectory(exact);
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->axis_column_px, 5.0, 1e-9);
  EXPECT_NEAR(fit->x_px, 2.0, 1e-9);
  EXPECT_NEAR(fit->y_px, -1.0, 1e-9);
  EXPECT_NEAR(fit->row_px, 4.0, 1e-12);
  EXPECT_NEAR(fit->rms_px, 0.0, 1e-9);
}

}  // namespace
}  // namespace tomolive::kernels
