// Scan description, protocol messages and rendered frames of a simulated scan.
#include "tomolive/sim/scan_simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <variant>
#include <vector>

#include "tomolive/sim/truth.hpp"

namespace tomolive::sim {
namespace {

using protocol::FrameKind;

ScanSpec small_spec() {
  ScanSpec spec;
  spec.rows = 24;
  spec.cols = 64;
  spec.projections_per_turn = 12;
  spec.num_darks = 2;
  spec.num_flats = 3;
  return spec;
}

TEST(ScanSpec, BeginDescribesTheScan) {
  ScanSpec spec = small_spec();
  spec.scan_id = 42;
  spec.center_offset_px = 1.5;
  const protocol::ScanBegin begin = make_scan_begin(spec);
  EXPECT_EQ(begin.scan_id, 42u);
  EXPECT_EQ(begin.rows, 24u);
  EXPECT_EQ(begin.cols, 64u);
  EXPECT_EQ(begin.dtype, protocol::Dtype::uint16);
  EXPECT_EQ(begin.num_darks, 2u);
  EXPECT_EQ(begin.num_flats, 3u);
  EXPECT_EQ(begin.num_projections, 12u);
  EXPECT_EQ(begin.window, 0u);
  EXPECT_DOUBLE_EQ(begin.center_offset_px, 1.5);
  const auto& range = std::get<protocol::AngleRange>(begin.angles);
  EXPECT_DOUBLE_EQ(range.start_deg, 0.0);
  EXPECT_DOUBLE_EQ(range.step_deg, 15.0);

  spec.announced_center_offset_px = 0.0;  // the daemon is told 0, the truth is 1.5
  EXPECT_DOUBLE_EQ(make_scan_begin(spec).center_offset_px, 0.0);
  EXPECT_EQ(make_scan_end(spec).scan_id, 42u);
}

TEST(ScanSpec, ContinuousRotationUsesAOneTurnWindow) {
  ScanSpec spec = small_spec();
  spec.turns = 3;
  spec.range_deg = 360.0;
  const protocol::ScanBegin begin = make_scan_begin(spec);
  EXPECT_EQ(begin.num_projections, 36u);
  EXPECT_EQ(begin.window, 12u);
  EXPECT_DOUBLE_EQ(std::get<protocol::AngleRange>(begin.angles).step_deg, 30.0);
  EXPECT_DOUBLE_EQ(spec.angle_deg(12), 360.0);  // angles keep increasing over the turns
  EXPECT_DOUBLE_EQ(spec.angle_deg(35), 1050.0);
}

TEST(ScanSpec, ValidateNamesTheProblem) {
  EXPECT_FALSE(validate(small_spec()).has_value());
  ScanSpec spec = small_spec();
  spec.rows = 0;
  EXPECT_TRUE(validate(spec).has_value());
  spec = small_spec();
  spec.center_offset_px = 30.0;  // 0.45 * 64 - 1 = 27.8
  ASSERT_TRUE(validate(spec).has_value());
  EXPECT_NE(validate(spec)->find("center offset"), std::string::npos);
  spec = small_spec();
  spec.range_deg = 0.0;
  EXPECT_TRUE(validate(spec).has_value());
  spec = small_spec();
  spec.projections_per_turn = 0;
  EXPECT_TRUE(validate(spec).has_value());
  spec = small_spec();
  spec.photons = 0.0;
  EXPECT_TRUE(validate(spec).has_value());
  EXPECT_THROW(ScanSimulator{spec}, std::invalid_argument);
  spec = small_spec();
  spec.half_acquisition = true;  // over 180 degrees, axis centred
  ASSERT_TRUE(validate(spec).has_value());
  EXPECT_NE(validate(spec)->find("half acquisition"), std::string::npos);
  spec.range_deg = 360.0;
  spec.center_offset_px = 20.0;
  EXPECT_FALSE(validate(spec).has_value());
}

TEST(ScanSimulator, FramesComeInSendingOrder) {
  const ScanSimulator scan(small_spec());
  ASSERT_EQ(scan.frame_count(), 2u + 3u + 12u);
  EXPECT_EQ(scan.frame_at(0).kind, FrameKind::dark);
  EXPECT_EQ(scan.frame_at(1).frame_id, 1u);
  EXPECT_EQ(scan.frame_at(2).kind, FrameKind::flat);
  EXPECT_EQ(scan.frame_at(2).frame_id, 0u);
  EXPECT_EQ(scan.frame_at(5).kind, FrameKind::projection);
  EXPECT_EQ(scan.frame_at(16).frame_id, 11u);
  EXPECT_THROW(scan.frame_at(17), std::out_of_range);
  const protocol::FrameHeader header = scan.header(6, 1234);
  EXPECT_EQ(header.kind, FrameKind::projection);
  EXPECT_EQ(header.frame_id, 1u);
  EXPECT_EQ(header.rows, 24u);
  EXPECT_EQ(header.cols, 64u);
  EXPECT_EQ(header.scan_id, 1u);
  EXPECT_EQ(header.timestamp_ns, 1234);
  EXPECT_EQ(scan.render(0).size(), scan.frame_pixels());
}

TEST(ScanSimulator, FramesDoNotDependOnThreadsOrOrder) {
  const ScanSimulator one(small_spec(), 1), three(small_spec(), 3);
  for (const std::size_t index : {std::size_t{16}, std::size_t{0}, std::size_t{3}, std::size_t{9}}) {
    EXPECT_EQ(one.render(index), three.render(index)) << "frame " << index;
  }
}

TEST(ScanSimulator, CorrectedProjectionsAreTheLineIntegrals) {
  ScanSpec spec = small_spec();
  spec.noise = false;
  spec.defects = false;
  spec.center_offset_px = -2.5;
  const ScanSimulator scan(spec);
  const std::vector<std::uint16_t> dark = scan.render(0), flat = scan.render(2);
  const std::uint32_t row = 11;
  std::vector<double> angles;
  for (std::uint32_t k = 0; k < spec.num_projections(); ++k) angles.push_back(spec.angle_deg(k));
  const Image sinogram_row = sinogram(scan.phantom(), spec.geometry(), row, angles);
  double highest = 0.0;
  for (std::uint32_t k = 0; k < spec.num_projections(); ++k) {
    const std::vector<std::uint16_t> projection = scan.render(5 + k);
    for (std::uint32_t u = 0; u < spec.cols; ++u) {
      const std::size_t i = row * spec.cols + u;
      const double signal = static_cast<double>(projection[i]) - dark[i], open = static_cast<double>(flat[i]) - dark[i];
      const double corrected = -std::log(signal / open);
      // Rounding to whole counts: +-0.5 count in ~2500..20000 counts.
      ASSERT_NEAR(corrected, sinogram_row.at(k, u), 1e-3) << "projection " << k << " column " << u;
      highest = std::max(highest, corrected);
    }
  }
  EXPECT_GT(highest, 1.0) << "the row crosses the phantom";
}

TEST(ScanSimulator, AcceptsAnyPhantom) {
  ScanSpec spec = small_spec();
  spec.noise = false;
  spec.defects = false;
  const ScanSimulator scan(spec, Phantom({{0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 0.0, 0.1}}));
  const std::vector<std::uint16_t> dark = scan.render(0), flat = scan.render(2), projection = scan.render(5);
  const std::size_t centre = 12 * spec.cols + 31;  // z = -0.5, s = -0.5: chord ~ 2 * sqrt(25 - 0.5)
  const double signal = static_cast<double>(projection[centre]) - dark[centre];
  const double corrected = -std::log(signal / (static_cast<double>(flat[centre]) - dark[centre]));
  EXPECT_NEAR(corrected, 0.1 * 2.0 * std::sqrt(25.0 - 0.5), 1e-3);
}

}  // namespace
}  // namespace tomolive::sim
