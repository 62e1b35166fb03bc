#include "tomolive/daemon/scan_session.hpp"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using protocol::ErrorCode;
using protocol::FrameKind;

protocol::ScanBegin small_begin() {
  protocol::ScanBegin begin;
  begin.scan_id = 7;
  begin.rows = 4;
  begin.cols = 8;
  begin.dtype = protocol::Dtype::uint16;
  begin.num_darks = 2;
  begin.num_flats = 2;
  begin.num_projections = 10;
  begin.angles = protocol::AngleRange{10.0, 18.0};
  return begin;
}

protocol::FrameHeader frame(FrameKind kind, std::uint64_t id) {
  protocol::FrameHeader f;
  f.kind = kind;
  f.scan_id = 7;
  f.frame_id = id;
  f.rows = 4;
  f.cols = 8;
  f.dtype = protocol::Dtype::uint16;
  return f;
}

TEST(ScanSession, CountsOneBeginPerAnnouncedStreamAndRefusesAFurtherOne) {
  protocol::ScanBegin begin = small_begin();
  ScanSession single(begin);
  EXPECT_EQ(single.begins_received(), 1u);
  EXPECT_FALSE(single.record_begin()) << "one stream: a second begin is a restarted sender";
  EXPECT_EQ(single.begins_received(), 1u);

  begin.streams = 3;
  ScanSession several(begin);
  EXPECT_TRUE(several.record_begin());
  EXPECT_TRUE(several.record_begin());
  EXPECT_EQ(several.begins_received(), 3u);
  EXPECT_FALSE(several.record_begin());
  EXPECT_EQ(several.begins_received(), 3u);
}

TEST(ScanSession, GeometryHasOneSlotPerProjectionAndPiOverNWeight) {
  ScanSession session(small_begin());
  const auto g = session.engine_geometry();
  EXPECT_EQ(g.rows, 4u);
  EXPECT_EQ(g.cols, 8u);
  EXPECT_EQ(g.slots, 10u);
  EXPECT_FLOAT_EQ(g.angle_weight_rad, std::numbers::pi_v<float> / 10.f);
}

TEST(ScanSession, HalfAcquisitionWidensTheGeometryAndWeighsAFullTurnOnce) {
  protocol::ScanBegin begin = small_begin();
  begin.angles = protocol::AngleRange{0.0, 36.0};  // 10 projections over 360 degrees
  begin.center_offset_px = -2.2;                   // 4 columns added on the right of the axis: the detector at 4..11
  EXPECT_FALSE(ScanSession(begin).layout().widens());
  EXPECT_FALSE(ScanSession(begin).engine_geometry().half_acquisition.enabled);
  begin.half_acquisition = true;
  ScanSession session(begin);
  const auto g = session.engine_geometry();
  EXPECT_EQ(g.cols, 12u);
  EXPECT_EQ(g.slots, 10u);
  EXPECT_FLOAT_EQ(g.angle_weight_rad, 2.f * std::numbers::pi_v<float> / 10.f);
  EXPECT_EQ(session.layout().detector_col0, 4u);
  const kernels::HalfAcquisition half = g.half_acquisition;
  EXPECT_TRUE(half.enabled);
  EXPECT_EQ(half.detector_col0, 4u);
  EXPECT_EQ(half.detector_cols, 8u);
  EXPECT_NEAR(session.layout().engine_offset(DetectorOffsetPx(-2.2)).px, -0.2, 1e-12);  // the axis near the widened frame's centre
}

TEST(ScanSession, ProjectionAnglesFollowStartAndStepUnlessTheFrameOverrides) {
  ScanSession session(small_begin());
  auto p3 = session.accept(frame(FrameKind::projection, 3));
  ASSERT_TRUE(p3);
  EXPECT_EQ(p3->slot, 3u);
  EXPECT_NEAR(p3->angle_rad, (10.0 + 3 * 18.0) * std::numbers::pi / 180.0, 1e-6);
  auto override_frame = frame(FrameKind::projection, 4);
  override_frame.angle_deg = 90.0;
  auto p4 = session.accept(override_frame);
  ASSERT_TRUE(p4);
  EXPECT_NEAR(p4->angle_rad, std::numbers::pi / 2, 1e-6);
}

TEST(ScanSession, AngleTableIsIndexedByFrameIdModuloItsLength) {
  auto begin = small_begin();
  begin.num_projections = 6;
  begin.window = 3;
  begin.angles = protocol::AngleTable{{0.0, 60.0, 120.0}};
  ScanSession session(begin);
  EXPECT_EQ(session.engine_geometry().slots, 3u);
  auto p4 = session.accept(frame(FrameKind::projection, 4));
  ASSERT_TRUE(p4);
  EXPECT_EQ(p4->slot, 1u);  // window slot 4 mod 3
  EXPECT_NEAR(p4->angle_rad, 60.0 * std::numbers::pi / 180.0, 1e-6);
}

TEST(ScanSession, RefusesDuplicatesOutOfRangeAndForeignFrames) {
  ScanSession session(small_begin());
  ASSERT_TRUE(session.accept(frame(FrameKind::projection, 1)));

  auto duplicate = session.accept(frame(FrameKind::projection, 1));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::duplicate_frame);
  EXPECT_NE(duplicate.error().message.find("1"), std::string::npos);

  auto beyond = session.accept(frame(FrameKind::projection, 10));
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::frame_id_out_of_range);
  EXPECT_NE(beyond.error().message.find("10"), std::string::npos);

  auto foreign = frame(FrameKind::projection, 2);
  foreign.scan_id = 8;
  auto mismatch = session.accept(foreign);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, ErrorCode::scan_id_mismatch);
  EXPECT_NE(mismatch.error().message.find("8"), std::string::npos);

  auto wide = frame(FrameKind::projection, 2);
  wide.cols = 9;
  auto shape = session.accept(wide);
  ASSERT_FALSE(shape);
  EXPECT_EQ(shape.error().code, ErrorCode::shape_mismatch);
  EXPECT_NE(shape.error().message.find("9"), std::string::npos);

  auto float_frame = frame(FrameKind::projection, 2);
  float_frame.dtype = protocol::Dtype::float32;
  auto dtype = session.accept(float_frame);
  ASSERT_FALSE(dtype);
  EXPECT_EQ(dtype.error().code, ErrorCode::shape_mismatch);
  EXPECT_NE(dtype.error().message.find("float32"), std::string::npos);
  EXPECT_EQ(session.received(FrameKind::projection), 1u);
}

TEST(ScanSession, RefusesReferencesAfterTheFirstProjection) {
  ScanSession session(small_begin());
  ASSERT_TRUE(session.accept(frame(FrameKind::dark, 0)));
  ASSERT_TRUE(session.accept(frame(FrameKind::projection, 0)));
  auto late = session.accept(frame(FrameKind::flat, 0));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::reference_after_projections);
}

TEST(ScanSession, CountsOutOfOrderGapsAndMissingFrames) {
  ScanSession session(small_begin());
  ASSERT_FALSE(session.accept(frame(FrameKind::projection, 5))->out_of_order);
  EXPECT_EQ(session.projections_missing(), 5u);  // ids 0..4 not yet received
  auto late = session.accept(frame(FrameKind::projection, 2));
  ASSERT_TRUE(late);
  EXPECT_TRUE(late->out_of_order);
  EXPECT_EQ(session.projections_missing(), 4u);
  const ScanSummary summary = session.end();
  EXPECT_EQ(summary.projections_missing, 8u);
  EXPECT_EQ(summary.darks_missing, 2u);
  EXPECT_EQ(summary.flats_missing, 2u);
  EXPECT_EQ(session.projections_missing(), 8u);
  auto after_end = session.accept(frame(FrameKind::projection, 3));
  ASSERT_FALSE(after_end);
  EXPECT_EQ(after_end.error().code, ErrorCode::no_active_scan);
}

TEST(ScanSession, ReportsTheRateOfTheLastSecond) {
  ScanSession session(small_begin());
  for (std::uint64_t id = 0; id < 4; ++id) ASSERT_TRUE(session.accept(frame(FrameKind::projection, id)));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_DOUBLE_EQ(session.projection_rate_hz(now), 4.0);
  EXPECT_DOUBLE_EQ(session.projection_rate_hz(now + std::chrono::seconds(2)), 0.0);
}

TEST(ScanSession, ReconstructionFinishesOnceWithTheLastAnnouncedProjection) {
  ScanSession session(small_begin());
  for (std::uint32_t i = 0; i < 9; ++i) EXPECT_FALSE(session.record_reconstructed());
  EXPECT_TRUE(session.record_reconstructed());
  EXPECT_EQ(session.reconstructed(), 10u);
}

TEST(ScanSession, ASlidingWindowScanFinishesWithItsAnnouncedCountNotItsWindow) {
  protocol::ScanBegin begin = small_begin();
  begin.window = 4;
  ScanSession session(begin);
  for (std::uint32_t i = 0; i < 9; ++i) EXPECT_FALSE(session.record_reconstructed()) << i;
  EXPECT_TRUE(session.record_reconstructed());
}

TEST(ScanSession, KnowsWhenItBegan) {
  const auto at = std::chrono::steady_clock::now() - std::chrono::seconds(3);
  EXPECT_EQ(ScanSession(small_begin(), at).begun_at(), at);
}

}  // namespace
}  // namespace tomolive::daemon
