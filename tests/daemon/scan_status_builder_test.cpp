#include "tomolive/daemon/scan_status_builder.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using protocol::FrameKind;

protocol::ScanBegin begin_of(std::uint64_t scan_id) {
  protocol::ScanBegin begin;
  begin.scan_id = scan_id;
  begin.name = "sample A";
  begin.rows = 4;
  begin.cols = 8;
  begin.num_darks = 1;
  begin.num_flats = 2;
  begin.num_projections = 10;
  begin.angles = protocol::AngleRange{0.0, 18.0};
  begin.pixel_size_um = 0.65;
  return begin;
}

protocol::FrameHeader frame(FrameKind kind, std::uint64_t id) {
  protocol::FrameHeader f;
  f.kind = kind;
  f.scan_id = 3;
  f.frame_id = id;
  f.rows = 4;
  f.cols = 8;
  return f;
}

TEST(ScanStatusBuilder, CountsComeFromTheSession) {
  ScanSession session(begin_of(3));
  ASSERT_TRUE(session.accept(frame(FrameKind::dark, 0)));
  ASSERT_TRUE(session.accept(frame(FrameKind::flat, 1)));
  for (const std::uint64_t id : {0u, 1u, 4u}) ASSERT_TRUE(session.accept(frame(FrameKind::projection, id)));
  for (int added = 0; added < 2; ++added) session.record_reconstructed();  // the engine took two of the three

  const protocol::ScanStatus status = build_scan_status({session, std::nullopt, std::nullopt, std::nullopt,
                                                         std::nullopt, std::nullopt},
                                                        std::chrono::steady_clock::now());
  EXPECT_EQ(status.scan_id, 3u);
  EXPECT_EQ(status.name, "sample A");
  EXPECT_EQ(status.state, "receiving");
  EXPECT_EQ(status.rows, 4u);
  EXPECT_EQ(status.cols, 8u);
  EXPECT_EQ(status.slice_cols, 8u);
  EXPECT_EQ(status.darks_received, 1u);
  EXPECT_EQ(status.darks_expected, 1u);
  EXPECT_EQ(status.flats_received, 1u);
  EXPECT_EQ(status.flats_expected, 2u);
  EXPECT_EQ(status.projections_received, 3u);
  EXPECT_EQ(status.projections_expected, 10u);
  EXPECT_EQ(status.projections_missing, 2u) << "ids 2 and 3, below the newest";
  EXPECT_EQ(status.projections_reconstructed, 2u);
  EXPECT_GE(status.projection_rate_hz, 3.0) << "three projections within the last second";
  EXPECT_EQ(status.pixel_size_um, 0.65);
  EXPECT_EQ(status.memory, protocol::MemoryPlan{}) << "no plan: zeros";
  EXPECT_FALSE(status.center_estimate);
  EXPECT_FALSE(status.refilter);
}

TEST(ScanStatusBuilder, AnEndedScanCountsEveryMissingProjection) {
  ScanSession session(begin_of(3));
  ASSERT_TRUE(session.accept(frame(FrameKind::projection, 0)));
  session.end();
  const auto status = build_scan_status(
      {session, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, std::chrono::steady_clock::now());
  EXPECT_EQ(status.state, "ended");
  EXPECT_EQ(status.projections_missing, 9u);
}

TEST(ScanStatusBuilder, TheRateIsMeasuredAtTheGivenTime) {
  ScanSession session(begin_of(3));
  ASSERT_TRUE(session.accept(frame(FrameKind::projection, 0)));
  const auto later = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  const auto status =
      build_scan_status({session, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, later);
  EXPECT_EQ(status.projection_rate_hz, 0.0);
}

TEST(ScanStatusBuilder, EngineStateGivesTheCenterInDetectorPixelsAndTheSlices) {
  ScanSession session(begin_of(3));
  EngineState engine{DetectorOffsetPx(1.25), {}};
  engine.slices.xy_row = 2;
  engine.slices.xz_y_px = -1.5f;
  engine.slices.yz_x_px = 2.5f;
  const auto status = build_scan_status({session, engine, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
                                        std::chrono::steady_clock::now());
  EXPECT_DOUBLE_EQ(status.center_offset_px, 1.25);
  EXPECT_DOUBLE_EQ(status.center_column_px, 3.5 + 1.25);
  EXPECT_EQ(status.xy_row, 2u);
  EXPECT_DOUBLE_EQ(status.xz_y_px, -1.5);
  EXPECT_DOUBLE_EQ(status.yz_x_px, 2.5);
}

TEST(ScanStatusBuilder, HalfAcquisitionReportsTheWidenedSliceWidthAndTheDetectorColumn) {
  protocol::ScanBegin begin = begin_of(3);
  begin.half_acquisition = true;
  begin.angles = protocol::AngleRange{0.0, 36.0};
  begin.center_offset_px = 2.0;  // 4 columns added
  ScanSession session(begin);
  const auto status = build_scan_status({session, EngineState{DetectorOffsetPx(2.0), {}}, std::nullopt,
                                         std::nullopt, std::nullopt, std::nullopt},
                                        std::chrono::steady_clock::now());
  EXPECT_TRUE(status.half_acquisition);
  EXPECT_EQ(status.slice_cols, 12u);
  EXPECT_DOUBLE_EQ(status.center_column_px, 3.5 + 2.0) << "a column of the detector, not of the widened frame";
}

TEST(ScanStatusBuilder, PlanEstimateRefilterAndCommandArePassedThrough) {
  ScanSession session(begin_of(3));
  kernels::EngineMemoryPlan plan;
  plan.device = "cpu";
  plan.store_precision = "float32";
  plan.store_bytes = 1280;
  plan.total_bytes = 2000;
  plan.available_bytes = 4000;
  protocol::CenterEstimateResult estimate;
  estimate.method = "registration";
  estimate.center_offset_px = 0.5;
  estimate.samples = 4;
  protocol::ScanRefilter refilter;
  refilter.reason = "rings_pass";
  refilter.refilter.projections = 7;
  const protocol::CommandProgress command{"estimate_center (metric)", 64, 98, 1.25, 0.7};
  const auto status = build_scan_status({session, std::nullopt, plan, estimate, refilter, command},
                                        std::chrono::steady_clock::now());
  EXPECT_EQ(status.memory.device, "cpu");
  EXPECT_EQ(status.memory.store_bytes, 1280u);
  EXPECT_EQ(status.memory.total_bytes, 2000u);
  EXPECT_EQ(status.memory.available_bytes, 4000u);
  ASSERT_TRUE(status.center_estimate);
  EXPECT_EQ(*status.center_estimate, estimate);
  ASSERT_TRUE(status.refilter);
  EXPECT_EQ(*status.refilter, refilter);
  ASSERT_TRUE(status.command);
  EXPECT_EQ(*status.command, command);
}

TEST(ScanStatusBuilder, CenterColumnIsMeasuredFromTheDetectorsMiddle) {
  EXPECT_DOUBLE_EQ(center_column_px(64, DetectorOffsetPx(0.0)), 31.5) << "even widths: the axis between two pixels";
  EXPECT_DOUBLE_EQ(center_column_px(63, DetectorOffsetPx(-1.0)), 30.0);
}

}  // namespace
}  // namespace tomolive::daemon
