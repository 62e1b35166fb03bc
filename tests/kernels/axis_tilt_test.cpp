// Axis tilt estimation (axis_tilt.hpp) on phantom projections made with a known tilt: each detector row is projected
// with its own axis column, (cols - 1) / 2 + offset + (row - (rows - 1) / 2) tan(tilt) (the shear a tilted axis
// gives for small tilts), from pairs of projections 180 degrees apart, ramp-filtered as the engines store them (what
// the daemon's registration reads).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <vector>

#include "tomolive/kernels/axis_tilt.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/sim/phantom.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::uint32_t kRows = 64, kCols = 128;

// Line integrals of the phantom at theta_deg on a rows x cols detector whose axis is tilted by tilt_deg (the
// convention of axis_tilt.hpp) with `offset_px` at the middle row.
std::vector<float> tilted_projection(const sim::Phantom& phantom, double theta_deg, double offset_px,
                                     double tilt_deg) {
  std::vector<float> frame(std::size_t{kRows} * kCols);
  const double slope = std::tan(tilt_deg * std::numbers::pi / 180.0);
  for (std::uint32_t r = 0; r < kRows; ++r) {
    const sim::DetectorGeometry row_geometry{kRows, kCols, offset_px + (r - 0.5 * (kRows - 1.0)) * slope};
    phantom.project(row_geometry, theta_deg, r, r + 1,
                    std::span<float>(frame.data() + std::size_t{r} * kCols, kCols));
  }
  CpuRampFilter(kCols).filter_rows(frame.data(), kRows);
  return frame;
}

struct TiltedPairs {
  std::vector<std::vector<float>> frames;
  std::vector<OpposedPair> pairs;
};

TiltedPairs make_pairs(double offset_px, double tilt_deg, std::uint32_t count) {
  // The phantom fits the field of view with room for the axis's shift along the rows.
  const sim::Phantom phantom = sim::shepp_logan_3d(sim::DetectorGeometry{kRows, kCols, 4.0}, 1.0);
  TiltedPairs t;
  for (std::uint32_t k = 0; k < count; ++k) {
    const double theta = 180.0 * k / count;
    t.frames.push_back(tilted_projection(phantom, theta, offset_px, tilt_deg));
    t.frames.push_back(tilted_projection(phantom, theta + 180.0, offset_px, tilt_deg));
  }
  for (std::uint32_t k = 0; k < count; ++k) t.pairs.push_back({t.frames[2 * k], t.frames[2 * k + 1]});
  return t;
}

TEST(AxisTilt, EstimatesKnownTiltsAndCenters) {
  for (const double tilt : {-0.6, -0.1, 0.0, 0.25, 0.9}) {
    for (const double offset : {-1.3, 0.4}) {
      const TiltedPairs t = make_pairs(offset, tilt, 6);
      const std::optional<AxisTiltEstimate> e = estimate_axis_tilt(t.pairs, kRows, kCols, 8);
      ASSERT_TRUE(e.has_value());
      std::printf("tilt %+.2f deg, offset %+.2f px: estimated %+.3f deg (+- %.3f), %+.3f px, confidence %.2f, "
                  "%u bands\n",
                  tilt, offset, e->tilt_deg, e->tilt_error_deg, e->center_offset_px, e->confidence, e->bands);
      EXPECT_NEAR(e->tilt_deg, tilt, 0.05) << "offset " << offset;
      EXPECT_NEAR(e->center_offset_px, offset, 0.25) << "tilt " << tilt;
      EXPECT_GT(e->confidence, 0.5);
      EXPECT_EQ(e->bands, kRows / 8);
    }
  }
}

TEST(AxisTilt, FeaturelessProjectionsGiveNoEstimate) {
  const std::vector<float> flat(std::size_t{kRows} * kCols, 0.5f);
  const std::vector<OpposedPair> pairs = {{flat, flat}, {flat, flat}};
  EXPECT_FALSE(estimate_axis_tilt(pairs, kRows, kCols, 8).has_value());
}

TEST(AxisTilt, UnrelatedProjectionsHaveLowConfidence) {
  // Each band's "opposed" projection comes from another angle: the offsets scatter, the fit's error is large.
  const sim::Phantom phantom = sim::shepp_logan_3d(sim::DetectorGeometry{kRows, kCols, 4.0}, 1.0);
  std::vector<std::vector<float>> frames;
  for (const double theta : {0.0, 63.0, 20.0, 141.0}) frames.push_back(tilted_projection(phantom, theta, 0.0, 0.0));
  const std::vector<OpposedPair> pairs = {{frames[0], frames[1]}, {frames[2], frames[3]}};
  const std::optional<AxisTiltEstimate> e = estimate_axis_tilt(pairs, kRows, kCols, 8);
  if (e) {
    EXPECT_LT(e->confidence, 0.5) << "tilt " << e->tilt_deg << " +- " << e->tilt_error_deg;
  }
}

TEST(AxisTilt, RemainderRowsFormOrJoinABand) {
  const TiltedPairs t = make_pairs(0.0, 0.3, 4);
  // 64 rows in bands of 12: 5 bands and 4 rows left (< 6: they join the last band); of 14: 4 bands and 8 left (a band).
  EXPECT_EQ(estimate_axis_tilt(t.pairs, kRows, kCols, 12)->bands, 5u);
  EXPECT_EQ(estimate_axis_tilt(t.pairs, kRows, kCols, 14)->bands, 5u);
}

TEST(AxisTilt, RefusesBadShapes) {
  const std::vector<float> frame(std::size_t{kRows} * kCols, 0.f), short_frame(10, 0.f);
  const std::vector<OpposedPair> pairs = {{frame, frame}};
  EXPECT_THROW(estimate_axis_tilt(pairs, kRows, kCols, 0), std::invalid_argument);
  EXPECT_THROW(estimate_axis_tilt(pairs, kRows, kCols, 22), std::invalid_argument);  // fewer than 3 bands
  const std::vector<OpposedPair> bad = {{frame, short_frame}};
  EXPECT_THROW(estimate_axis_tilt(bad, kRows, kCols, 8), std::invalid_argument);
}

}  // namespace
}  // namespace tomolive::kernels
