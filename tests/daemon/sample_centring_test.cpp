// Sample centring (PROTOCOL.md 10.11): slice pixels to the sample-stage frame at angle 0 and the motions, checked
// against the formulas and against reconstructions of an off-axis cylinder of known position (the picked point is
// the cylinder's centroid in each slice: the motions must bring the known centre onto the axis within 0.25 px).
#include "tomolive/daemon/sample_centring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/off_axis_cylinder.hpp"

namespace tomolive::daemon {
namespace {

constexpr double kTolerancePx = 0.25;

protocol::CenterSample pick(std::string slice, double row, double col) {
  protocol::CenterSample request;
  request.slice = std::move(slice);
  request.point = std::vector<double>{row, col};
  return request;
}

StagePoint point_of(const protocol::CenterSample& request, const SliceFrame& frame) {
  auto point = slice_point_in_stage_frame(request, frame);
  if (auto* error = std::get_if<protocol::Error>(&point)) ADD_FAILURE() << error->message;
  return std::holds_alternative<StagePoint>(point) ? std::get<StagePoint>(point) : StagePoint{};
}

TEST(SampleCentring, SlicePixelsFollowTheGeometryConventions) {
  // 9 detector rows (middle row 4), slices 11 wide (middle 5), XY at row 2, XZ at y = 1.5, YZ at x = -2.
  const SliceFrame frame{9, 11, kernels::SlicePositions{2, 1.5f, -2.f}};
  const StagePoint xy = point_of(pick("xy", 1.0, 8.0), frame);  // row 0 is +y, column 0 is -x
  EXPECT_DOUBLE_EQ(xy.x_px, 3.0);
  EXPECT_DOUBLE_EQ(xy.y_px, 4.0);
  EXPECT_DOUBLE_EQ(xy.z_px, 2.0);  // two rows above the middle
  const StagePoint xz = point_of(pick("xz", 6.0, 2.0), frame);
  EXPECT_DOUBLE_EQ(xz.x_px, -3.0);
  EXPECT_DOUBLE_EQ(xz.y_px, 1.5);
  EXPECT_DOUBLE_EQ(xz.z_px, -2.0);
  const StagePoint yz = point_of(pick("yz", 4.0, 10.0), frame);
  EXPECT_DOUBLE_EQ(yz.x_px, -2.0);
  EXPECT_DOUBLE_EQ(yz.y_px, 5.0);
  EXPECT_DOUBLE_EQ(yz.z_px, 0.0);

  protocol::CenterSample box;  // a box's centre: rows 1..3, cols 6..9
  box.slice = "xy";
  box.box = std::vector<double>{1.0, 6.0, 3.0, 4.0};
  const StagePoint centre = point_of(box, frame);
  EXPECT_DOUBLE_EQ(centre.x_px, 7.5 - 5.0);
  EXPECT_DOUBLE_EQ(centre.y_px, 5.0 - 2.0);

  const protocol::CenterSampleResult result = stage_motions("xy", xy, 0.65);
  EXPECT_DOUBLE_EQ(result.move_x_px, -3.0);
  EXPECT_DOUBLE_EQ(result.move_y_px, -4.0);
  EXPECT_DOUBLE_EQ(result.move_z_px, -2.0);
  EXPECT_DOUBLE_EQ(*result.move_x_um, -3.0 * 0.65);
  EXPECT_DOUBLE_EQ(*result.move_z_um, -2.0 * 0.65);
  EXPECT_DOUBLE_EQ(*result.pixel_size_um, 0.65);
  EXPECT_FALSE(stage_motions("xy", xy, std::nullopt).move_x_um.has_value());
}

TEST(SampleCentring, PointsOutsideTheSliceAreRefusedWithTheRange) {
  const SliceFrame frame{9, 11, {}};
  for (const auto& request : {pick("xy", 11.0, 0.0), pick("xz", 9.0, 3.0), pick("yz", 0.0, -0.5)}) {
    auto point = slice_point_in_stage_frame(request, frame);
    ASSERT_TRUE(std::holds_alternative<protocol::Error>(point)) << request.slice;
    const auto& error = std::get<protocol::Error>(point);
    EXPECT_EQ(error.code, protocol::ErrorCode::invalid_argument);
    EXPECT_NE(error.message.find("outside the " + request.slice + " slice"), std::string::npos) << error.message;
  }
}

// The centroid (row, col) of the pixels of `image` above half its maximum.
std::pair<double, double> bright_centroid(const std::vector<float>& image, std::uint32_t cols) {
  const float top = *std::max_element(image.begin(), image.end());
  double mass = 0.0, row = 0.0, col = 0.0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    if (image[i] <= 0.5f * top) continue;
    mass += image[i];
    row += image[i] * static_cast<double>(i / cols);
    col += image[i] * static_cast<double>(i % cols);
  }
  return {row / mass, col / mass};
}

TEST(SampleCentring, PickingTheCylinderInEachSliceGivesItsKnownPosition) {
  testing::OffAxisCylinder scan;
  scan.range_deg = 360.0;
  scan.projections = 360;
  scan.axis_offset_px = 1.7;
  const auto engine = scan.engine();
  // XZ through the cylinder's centre (y = y0), YZ through it (x = x0): their bright band's centroid is the axis of
  // the cylinder in x (or y) and its middle row in z.
  engine->set_slices({(scan.row_begin + scan.row_end) / 2, static_cast<float>(scan.y_px),
                      static_cast<float>(scan.x_px)});
  const SliceFrame frame{scan.rows, scan.cols, engine->params().slices};
  const std::size_t n = scan.cols;

  std::vector<float> xy(n * n), xz(std::size_t{scan.rows} * n), yz(xz.size());
  engine->copy_slice(kernels::Orthoslice::xy, xy);
  engine->copy_slice(kernels::Orthoslice::xz, xz);
  engine->copy_slice(kernels::Orthoslice::yz, yz);
  const auto [xy_row, xy_col] = bright_centroid(xy, scan.cols);
  const StagePoint from_xy = point_of(pick("xy", xy_row, xy_col), frame);
  EXPECT_NEAR(from_xy.x_px, scan.x_px, kTolerancePx);
  EXPECT_NEAR(from_xy.y_px, scan.y_px, kTolerancePx);
  const auto [xz_row, xz_col] = bright_centroid(xz, scan.cols);
  const StagePoint from_xz = point_of(pick("xz", xz_row, xz_col), frame);
  EXPECT_NEAR(from_xz.x_px, scan.x_px, kTolerancePx);
  EXPECT_NEAR(from_xz.z_px, scan.z_px(), kTolerancePx);
  const auto [yz_row, yz_col] = bright_centroid(yz, scan.cols);
  const StagePoint from_yz = point_of(pick("yz", yz_row, yz_col), frame);
  EXPECT_NEAR(from_yz.y_px, scan.y_px, kTolerancePx);
  EXPECT_NEAR(from_yz.z_px, scan.z_px(), kTolerancePx);

  const protocol::CenterSampleResult motions = stage_motions("xy", from_xy, 1.3);
  EXPECT_NEAR(motions.move_x_px, -scan.x_px, kTolerancePx);  // the move brings the cylinder onto the axis
  EXPECT_NEAR(*motions.move_y_um, -scan.y_px * 1.3, kTolerancePx * 1.3);
}

}  // namespace
}  // namespace tomolive::daemon
